package worker_test

import (
	"context"
	"fmt"
	"log"

	sdkclient "go.temporal.io/sdk/client"

	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/worker"
)

// A service runs the orchestrator and its own handlers in its own process.
func ExampleNew() {
	tc, err := sdkclient.Dial(sdkclient.Options{HostPort: "127.0.0.1:7233"})
	if err != nil {
		log.Fatal(err)
	}
	defer tc.Close()
	templates, err := template.LoadRegistry([]string{"templates"}, "")
	if err != nil {
		log.Fatal(err)
	}
	handlers := activities.NewRegistry()
	handlers.MustRegister("Shop::Charge", activities.HandlerFunc(func(ctx context.Context, step activities.StepContext) (any, error) {
		return map[string]any{"charged": true}, nil
	}))
	w, err := worker.New(tc, worker.Config{Templates: templates, Handlers: handlers})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		log.Fatal(err)
	}
	defer func() { _ = w.Stop(context.Background()) }()
	// … serve until the process is told to stop.
}

// The step-queue policy: a Go handler worker polls the queue of every step it has a handler for.
func ExampleStepQueues() {
	tmpl, _ := template.Parse([]byte(`
name: order
namespace_name: shop
steps:
  - name: charge
    handler: {callable: Shop::Charge}
  - name: ship
    handler: {callable: Shop::Ship}
    dependencies: [charge]
    temporal: {task_queue: warehouse}
`), "order.yaml", "")
	templates := template.NewRegistry()
	_ = templates.Add(tmpl)
	handlers := activities.NewRegistry()
	handlers.MustRegister("Shop::Charge", activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) { return nil, nil }))
	fmt.Println(worker.StepQueues(templates, handlers))
	// Output: [tasker-shop]
}
