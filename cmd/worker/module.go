package main

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/devserver"
	"github.com/tasker-systems/tasker-temporal/examples/handlers"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/workflows"
)

// Module wires the worker's parts.
var Module = fx.Options(
	fx.Provide(
		newTemplates,
		newHandlers,
		newTemporal,
		newMirror,
		newPublisher,
		newOrchestration,
	),
	fx.Invoke(startWorkers),
)

func newTemplates(opts Options, logger *zap.Logger) (*template.Registry, error) {
	reg, err := template.LoadRegistry(opts.Templates, opts.Env)
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	logger.Info("templates loaded", zap.Int("count", len(reg.List())), zap.Strings("paths", opts.Templates))
	return reg, nil
}

func newHandlers() (*activities.Registry, error) {
	reg := activities.NewRegistry()
	if err := handlers.Register(reg); err != nil {
		return nil, fmt.Errorf("register example handlers: %w", err)
	}
	return reg, nil
}

// newTemporal connects to TEMPORAL_ADDRESS, or starts the embedded server and connects to it.
func newTemporal(lc fx.Lifecycle, opts Options, logger *zap.Logger) (sdkclient.Client, error) {
	address := opts.Temporal.Address
	if address == "" {
		srv, err := devserver.Start(devserver.Options{
			Port: opts.Port, UIPort: opts.UIPort, NoUI: opts.NoUI, Namespace: opts.Temporal.Namespace,
			DBFile: opts.DBFile, Logger: logger,
		})
		if err != nil {
			return nil, err
		}
		lc.Append(fx.StopHook(srv.Stop))
		address = srv.Address()
		logger.Info("embedded Temporal server started", zap.String("address", address), zap.String("ui", srv.UIURL()), zap.String("db_file", opts.DBFile))
		if srv.UIURL() != "" {
			logger.Sugar().Infof("Temporal UI: %s/namespaces/%s/workflows", srv.UIURL(), srv.Namespace())
		}
	}
	readyAddress = address
	c, err := opts.Temporal.Dial(context.Background(), address, logger)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(c.Close))
	if opts.Temporal.Address != "" {
		registerSearchAttributes(c, opts.Temporal.Namespace, logger)
	}
	return c, nil
}

// registerSearchAttributes adds Tasker's search attributes to a cluster we did not start; it is
// idempotent, and only warns where the operator API is not allowed (e.g. Temporal Cloud, where
// they are added in the namespace settings).
func registerSearchAttributes(c sdkclient.Client, namespace string, logger *zap.Logger) {
	attrs := map[string]enums.IndexedValueType{}
	for name, typ := range devserver.SearchAttributes {
		attrs[name] = typ
	}
	_, err := c.OperatorService().AddSearchAttributes(context.Background(), &operatorservice.AddSearchAttributesRequest{
		SearchAttributes: attrs, Namespace: namespace,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		logger.Warn("could not register search attributes; add them to the namespace by hand", zap.Any("attributes", attrs), zap.Error(err))
	}
}

func newOrchestration(opts Options, templates *template.Registry, mirror activities.Mirror, pub activities.Publisher, logger *zap.Logger) *activities.Orchestration {
	return &activities.Orchestration{
		Templates: templates,
		Mirror:    mirror,
		Publisher: pub,
		Settings:  activities.Settings{MaxInFlight: opts.MaxInFlight, Hold: opts.Hold},
		Logger:    logger,
	}
}

// startWorkers starts the orchestration worker and one worker per task queue that a template
// routes a Go-handled step to.
func startWorkers(lc fx.Lifecycle, opts Options, c sdkclient.Client, templates *template.Registry,
	handlerReg *activities.Registry, orch *activities.Orchestration, logger *zap.Logger) error {
	wopts := worker.Options{WorkerStopTimeout: opts.StopTimeout}

	orchestrator := worker.New(c, tasker.OrchestrationTaskQueue, wopts)
	workflows.Register(orchestrator, orch)
	handlerReg.RegisterActivities(orchestrator) // temporal.local steps run here, as local activities
	all := []worker.Worker{orchestrator}

	for _, queue := range stepQueues(templates, handlerReg) {
		w := worker.New(c, queue, wopts)
		handlerReg.RegisterActivities(w)
		all = append(all, w)
		logger.Info("serving Go step handlers", zap.String("task_queue", queue), zap.Int("handlers", len(handlerReg.Callables())))
	}
	for _, w := range all {
		w := w
		lc.Append(fx.Hook{
			OnStart: func(context.Context) error { return w.Start() },
			OnStop:  func(context.Context) error { w.Stop(); return nil },
		})
	}
	lc.Append(fx.StartHook(func() {
		logger.Sugar().Infof("worker ready: try `%sgo run ./cmd/tasker start examples/diamond --wait`", cliEnv(readyAddress))
	}))
	return nil
}

// stepQueues lists the task queues of template steps whose callable has a Go handler.
func stepQueues(templates *template.Registry, handlerReg *activities.Registry) []string {
	seen := map[string]bool{}
	for _, t := range templates.List() {
		for i := range t.Steps {
			if _, ok := handlerReg.Lookup(t.Steps[i].Callable); ok {
				seen[t.StepTaskQueue(&t.Steps[i])] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for q := range seen {
		out = append(out, q)
	}
	sort.Strings(out)
	return out
}

// readyAddress is the Temporal address the worker serves (for its ready line).
var readyAddress string

// cliEnv is the environment the CLI needs to reach Temporal at addr ("" for the default address
// of `make run`, which the CLI assumes).
func cliEnv(addr string) string {
	if addr == "" || addr == fmt.Sprintf("%s:%d", devserver.DefaultIP, devserver.DefaultPort) {
		return ""
	}
	return "TEMPORAL_ADDRESS=" + addr + " "
}
