package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"

	sdkclient "go.temporal.io/sdk/client"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/examples/handlers"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/worker"
)

func TestMain(m *testing.M) { testsuite.Main(m) }

// Start a task, wait for it, and match the errors of a bad request and of an unknown task. It
// runs against the Temporal server of TEMPORAL_ADDRESS, with an orchestration worker and the
// example handlers in this process.
func Example() {
	ctx := context.Background()
	tc, err := sdkclient.Dial(sdkclient.Options{HostPort: os.Getenv("TEMPORAL_ADDRESS"), Logger: quiet{}})
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	defer tc.Close()
	templates, stop, err := startExampleWorker(tc, "example-orchestration")
	if err != nil {
		fmt.Println("worker:", err)
		return
	}
	defer stop()

	c := client.New(tc, client.Options{TaskQueue: "example-orchestration", Templates: templates})
	task, err := c.StartTask(ctx, tasker.TaskRequest{
		Namespace: "examples", Name: "diamond", Context: json.RawMessage(`{"number": 3}`),
	}, client.StartOptions{})
	if err != nil {
		fmt.Println("start:", err)
		return
	}
	res, err := c.WaitTask(ctx, task.WorkflowID)
	if err != nil {
		fmt.Println("wait:", err)
		return
	}
	d, _ := res.Step("d")
	fmt.Println("task:", res.Status, "d:", string(d.Results))

	_, err = c.StartTask(ctx, tasker.TaskRequest{Namespace: "examples", Name: "diamond", Context: json.RawMessage(`{"number": "three"}`)}, client.StartOptions{})
	var invalid *client.InvalidRequestError
	if errors.As(err, &invalid) {
		fmt.Println("invalid field:", invalid.Field)
	}
	_, err = c.GetTask(ctx, "no-such-task")
	fmt.Println("not found:", errors.Is(err, client.ErrTaskNotFound))
	// Output:
	// task: complete d: {"value":46}
	// invalid field: context
	// not found: true
}

// startExampleWorker serves the example templates and handlers on one task queue (orchestration
// and steps alike), as cmd/worker does on several.
func startExampleWorker(tc sdkclient.Client, queue string) (*template.Registry, func(), error) {
	ts, err := template.LoadDir("../examples/templates", "")
	if err != nil {
		return nil, nil, err
	}
	reg := template.NewRegistry()
	for _, t := range ts {
		t.Temporal.TaskQueue = queue
		for i := range t.Steps {
			t.Steps[i].Temporal.TaskQueue = ""
		}
		if err := reg.Add(t); err != nil {
			return nil, nil, err
		}
	}
	handlerReg := activities.NewRegistry()
	if err := handlers.Register(handlerReg); err != nil {
		return nil, nil, err
	}
	w, err := worker.New(tc, worker.Config{Templates: reg, Handlers: handlerReg, TaskQueue: queue})
	if err != nil {
		return nil, nil, err
	}
	if err := w.Start(context.Background()); err != nil {
		return nil, nil, err
	}
	return reg, func() { _ = w.Stop(context.Background()) }, nil
}

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
