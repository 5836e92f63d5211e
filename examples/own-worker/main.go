// Command own-worker is a Go service that runs the Tasker orchestrator and its own step handlers
// in one process (docs/embedding.md): it serves templates/checkout.yaml with the handlers in
// handlers.go, starts one checkout task and prints its receipt, then serves until interrupted.
//
//	go run ./examples/own-worker                        # the embedded Temporal server
//	TEMPORAL_ADDRESS=127.0.0.1:7233 go run ./examples/own-worker
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop go run ./examples/own-worker   # + the Rails mirror
package main

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"

	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/compat"
	"github.com/tasker-systems/tasker-temporal/devserver"
	"github.com/tasker-systems/tasker-temporal/migrations"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/worker"
)

//go:embed templates/checkout.yaml
var templates embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := options{Address: os.Getenv("TEMPORAL_ADDRESS"), DatabaseURL: os.Getenv("DATABASE_URL"), Serve: true}
	if err := run(ctx, opts, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// options say where run works; the zero value is the embedded server, no mirror, default queues.
type options struct {
	Address     string // Temporal; "" = start the embedded server
	DatabaseURL string // the Rails mirror; "" = off
	TaskQueue   string // the orchestration queue; "" = tasker-orchestration
	StepQueue   string // the steps' queue; "" = the template's (tasker-shop)
	WorkflowID  string // the demo task's; "" = derived from the request
	Serve       bool   // keep serving after the demo task, until ctx ends
}

// run starts the worker, runs one checkout and prints its receipt; with Serve it then serves
// until ctx ends (Ctrl-C). Stop drains running steps before the client and the server go.
func run(ctx context.Context, opts options, out io.Writer) error {
	address := opts.Address
	if address == "" {
		srv, err := devserver.Start(devserver.Options{Port: -1, NoUI: true})
		if err != nil {
			return err
		}
		defer srv.Stop()
		address = srv.Address()
	}
	tc, err := sdkclient.Dial(sdkclient.Options{HostPort: address, Logger: sdklog.NewStructuredLogger(slog.Default())})
	if err != nil {
		return err
	}
	defer tc.Close()

	data, _ := templates.ReadFile("templates/checkout.yaml")
	tmpl, err := template.Parse(data, "templates/checkout.yaml", "")
	if err != nil {
		return err
	}
	if opts.StepQueue != "" {
		tmpl.Temporal.TaskQueue = opts.StepQueue
	}
	reg := template.NewRegistry()
	if err := reg.Add(tmpl); err != nil {
		return err
	}
	cfg := worker.Config{Templates: reg, Handlers: Handlers(), TaskQueue: opts.TaskQueue}
	if opts.DatabaseURL != "" {
		store, err := compat.Open(ctx, opts.DatabaseURL)
		if err != nil {
			return err
		}
		defer store.Close()
		if _, err := migrations.Ensure(ctx, store.Pool(), migrations.Options{}); err != nil {
			return err
		}
		cfg.Mirror = compat.Mirror{Store: store}
	}
	w, err := worker.New(tc, cfg)
	if err != nil {
		return err
	}
	if err := w.Start(ctx); err != nil {
		return err
	}
	defer func() { _ = w.Stop(context.Background()) }()

	c := client.New(tc, client.Options{TaskQueue: w.TaskQueue(), Templates: reg})
	task, err := c.StartTask(ctx, tasker.TaskRequest{Namespace: "shop", Name: "checkout",
		Context: json.RawMessage(`{"items": [{"sku": "mug", "cents": 1250}, {"sku": "tea", "cents": 799}]}`)}, client.StartOptions{WorkflowID: opts.WorkflowID})
	if err != nil {
		return err
	}
	res, err := c.WaitTask(ctx, task.WorkflowID)
	if err != nil {
		return err
	}
	r, _ := res.Step("receipt")
	fmt.Fprintf(out, "task %s: %s, receipt %s, rails task_id %d\n", res.WorkflowID, res.Status, r.Results, res.TaskID)
	if opts.Serve {
		<-ctx.Done()
	}
	return nil
}
