package main

import (
	"context"
	"fmt"
	"slices"

	sdkclient "go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/devserver"
	"github.com/tasker-systems/tasker-temporal/examples/handlers"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/worker"
)

// Module wires the worker's parts around worker.New.
var Module = fx.Options(
	fx.Provide(
		newTemplates,
		newHandlers,
		newTemporal,
		newMirror,
		newPublisher,
		newWorker,
	),
	fx.Invoke(startWorker),
)

func newTemplates(opts Options, logger *zap.Logger) (*template.Registry, error) {
	reg, err := template.LoadRegistry(opts.Templates, opts.Env)
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	logger.Info("templates loaded", zap.Int("count", len(reg.List())), zap.Strings("paths", opts.Templates))
	return reg, nil
}

// newHandlers returns the Go step handlers this process serves: the example handlers, and only
// when a served template calls one of them (the example templates); nil otherwise.
func newHandlers(templates *template.Registry, logger *zap.Logger) (*activities.Registry, error) {
	reg := activities.NewRegistry()
	if err := handlers.Register(reg); err != nil {
		return nil, fmt.Errorf("register example handlers: %w", err)
	}
	if !callsAny(templates, reg.Callables()) {
		logger.Info("no served template calls an example handler: serving no Go step handlers")
		return nil, nil
	}
	return reg, nil
}

// callsAny reports whether a step of some template has one of the callables.
func callsAny(templates *template.Registry, callables []string) bool {
	for _, t := range templates.List() {
		for i := range t.Steps {
			if slices.Contains(callables, t.Steps[i].Callable) {
				return true
			}
		}
	}
	return false
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
	return c, nil
}

func newWorker(opts Options, c sdkclient.Client, templates *template.Registry, handlerReg *activities.Registry,
	mirror worker.Mirror, pub worker.Publisher, logger *zap.Logger) (*worker.Worker, error) {
	return worker.New(c, worker.Config{
		Templates: templates,
		Handlers:  handlerReg,
		Mirror:    mirror,
		Publisher: pub,
		Settings:  worker.Settings{MaxInFlight: opts.MaxInFlight, Hold: opts.Hold},
		Logger:    logger,
		// The embedded server creates the search attributes itself; a cluster we did not start
		// gets them added (idempotent).
		RegisterSearchAttributes: opts.Temporal.Address != "",
		Namespace:                opts.Temporal.Namespace,
		WorkerOptions:            sdkworker.Options{WorkerStopTimeout: opts.StopTimeout},
	})
}

func startWorker(lc fx.Lifecycle, w *worker.Worker) {
	lc.Append(fx.Hook{OnStart: w.Start, OnStop: w.Stop})
}

// announceReady logs the ready line once everything has started: it is invoked last, so a part
// that fails to start (say the HTTP port is taken) stops the worker before it claims to be ready.
var announceReady = fx.Invoke(func(lc fx.Lifecycle, w *worker.Worker, logger *zap.Logger) {
	lc.Append(fx.StartHook(func() {
		for _, q := range w.StepTaskQueues() {
			logger.Info("serving Go step handlers", zap.String("task_queue", q))
		}
		logger.Sugar().Infof("worker ready: try `%sgo run ./cmd/tasker start examples/diamond --wait`", cliEnv(readyAddress))
	}))
})

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
