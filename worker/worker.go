package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	sdkclient "go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/workflows"
)

// Templates is where the worker finds templates: Get for each task, List for the step-queue
// policy. *template.Registry implements it.
type Templates interface {
	template.Templates
	List() []*template.Template
}

// Settings are the workflow's knobs (workflows.Settings); a zero field takes its default.
type Settings = workflows.Settings

// DefaultSettings are the settings of a Config that sets none (workflows.DefaultSettings).
func DefaultSettings() Settings { return workflows.DefaultSettings() }

// SearchAttributes are the custom search attributes every Tasker workflow upserts (DESIGN §4.2),
// with their types.
var SearchAttributes = map[string]enums.IndexedValueType{
	tasker.SearchAttrNamespace: enums.INDEXED_VALUE_TYPE_KEYWORD,
	tasker.SearchAttrTaskName:  enums.INDEXED_VALUE_TYPE_KEYWORD,
	tasker.SearchAttrVersion:   enums.INDEXED_VALUE_TYPE_KEYWORD,
	tasker.SearchAttrStatus:    enums.INDEXED_VALUE_TYPE_KEYWORD,
	tasker.SearchAttrTaskID:    enums.INDEXED_VALUE_TYPE_INT,
}

// Config configures a Worker. Only Templates is required.
type Config struct {
	// Templates the worker serves. Required.
	Templates Templates

	// Handlers are the Go step handlers this process serves, one activity per callable.
	//
	// Optional: nil serves no steps here (they are served by other workers, in any language).
	Handlers *activities.Registry

	// Mirror writes every task and transition to the Rails schema (compat.Mirror{Store: …}).
	//
	// Optional: nil turns the mirror off.
	Mirror Mirror

	// Publisher publishes the lifecycle event of every transition (*events.Publisher).
	//
	// Optional: nil publishes no events.
	Publisher Publisher

	// Settings are the workflow's knobs, fixed for each task when it starts.
	//
	// Optional: a zero field takes its default (DefaultSettings: 500 steps in flight, a 7-day
	// hold, continue-as-new at 10,000 events, 5 minutes per attempt, a 100-row DAG table).
	Settings Settings

	// Logger receives the worker's own logs (not the Temporal SDK's: that is the client's).
	//
	// Optional: nil logs nothing.
	Logger *zap.Logger

	// TaskQueue is the orchestration task queue: where the TaskerTask workflows run, and where
	// clients start them (client.Options.TaskQueue must match).
	//
	// Optional: default tasker.OrchestrationTaskQueue ("tasker-orchestration").
	TaskQueue string

	// StepTaskQueues are the task queues the Go handler worker polls.
	//
	// Optional: default the queues of every template step whose callable has a handler in
	// Handlers (the step's temporal.task_queue, else the template's, else tasker-<namespace>).
	StepTaskQueues []string

	// RegisterSearchAttributes adds SearchAttributes to Namespace on Start, through the operator
	// API (idempotent). Where that API is not allowed (Temporal Cloud) Start logs a warning: add
	// them in the namespace settings instead.
	//
	// Optional: false (the embedded server creates them itself; a cluster wants true, or the
	// attributes added by an operator).
	RegisterSearchAttributes bool

	// Namespace is the Temporal namespace the search attributes are registered in.
	//
	// Optional: default tasker.DefaultNamespace ("default").
	Namespace string

	// WorkerOptions are passed to every Temporal worker this Worker starts (e.g.
	// WorkerStopTimeout, how long running steps may take to finish on Stop).
	//
	// Optional: the SDK's defaults.
	WorkerOptions sdkworker.Options
}

// Worker runs the Tasker orchestrator and Go step handlers on Temporal workers.
type Worker struct {
	client     sdkclient.Client
	cfg        Config
	stepQueues []string
	workers    []sdkworker.Worker
	started    bool
}

// New checks cfg and builds a Worker on a connected Temporal client; nothing polls until Start.
func New(c sdkclient.Client, cfg Config) (*Worker, error) {
	if c == nil {
		return nil, errors.New("worker.New: the Temporal client is nil")
	}
	if cfg.Templates == nil {
		return nil, errors.New("worker.New: Config.Templates is required")
	}
	if cfg.TaskQueue == "" {
		cfg.TaskQueue = tasker.OrchestrationTaskQueue
	}
	if cfg.Namespace == "" {
		cfg.Namespace = tasker.DefaultNamespace
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	cfg.Settings = cfg.Settings.WithDefaults()
	w := &Worker{client: c, cfg: cfg, stepQueues: cfg.StepTaskQueues}
	if w.stepQueues == nil {
		w.stepQueues = StepQueues(cfg.Templates, cfg.Handlers)
	}
	return w, nil
}

// TaskQueue is the orchestration task queue.
func (w *Worker) TaskQueue() string { return w.cfg.TaskQueue }

// StepTaskQueues are the queues the Go handler worker polls (none without Handlers).
func (w *Worker) StepTaskQueues() []string {
	if w.cfg.Handlers == nil {
		return nil
	}
	return slices.Clone(w.stepQueues)
}

// Settings are the workflow settings each new task gets, defaults filled in.
func (w *Worker) Settings() Settings { return w.cfg.Settings }

// Start registers the search attributes (when asked) and starts polling: the orchestration queue
// (the workflow, the orchestration activities and, with Handlers, the handlers too, for steps run
// as local activities), and each step queue when there are Handlers. On an error nothing is left
// running.
func (w *Worker) Start(ctx context.Context) error {
	if w.started {
		return errors.New("worker: already started")
	}
	if w.cfg.RegisterSearchAttributes {
		w.registerSearchAttributes(ctx)
	}
	orch := sdkworker.New(w.client, w.cfg.TaskQueue, w.cfg.WorkerOptions)
	RegisterOrchestration(orch, &Orchestration{
		Templates: w.cfg.Templates, Mirror: w.cfg.Mirror, Publisher: w.cfg.Publisher,
		Settings: w.cfg.Settings, Logger: w.cfg.Logger, Handlers: w.cfg.Handlers,
	})
	if w.cfg.Handlers != nil {
		w.cfg.Handlers.RegisterActivities(orch) // temporal.local steps run here, as local activities
	}
	all, queues := []sdkworker.Worker{orch}, []string{w.cfg.TaskQueue}
	for _, q := range w.StepTaskQueues() {
		if q == w.cfg.TaskQueue { // steps routed to the orchestration queue: already served there
			continue
		}
		sw := sdkworker.New(w.client, q, w.cfg.WorkerOptions)
		w.cfg.Handlers.RegisterActivities(sw)
		all, queues = append(all, sw), append(queues, q)
	}
	for i, sw := range all {
		if err := sw.Start(); err != nil {
			stopAll(all[:i])
			return fmt.Errorf("worker: start polling %s: %w", queues[i], err)
		}
	}
	w.workers, w.started = all, true
	w.cfg.Logger.Info("tasker worker started", zap.String("task_queue", w.cfg.TaskQueue),
		zap.Strings("step_task_queues", w.StepTaskQueues()), zap.Bool("mirror", w.cfg.Mirror != nil), zap.Bool("events", w.cfg.Publisher != nil))
	return nil
}

// Stop stops polling and waits for running steps to finish (up to WorkerOptions.WorkerStopTimeout)
// or for ctx to end, whichever comes first. Stopping a Worker that is not started does nothing.
func (w *Worker) Stop(ctx context.Context) error {
	if !w.started {
		return nil
	}
	w.started = false
	done := make(chan struct{})
	go func() {
		stopAll(w.workers)
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("worker: stop: %w", ctx.Err())
	}
}

func stopAll(ws []sdkworker.Worker) {
	for _, w := range ws {
		w.Stop()
	}
}

// registerSearchAttributes adds Tasker's search attributes; it only warns where the operator API
// is not allowed or fails, since a namespace set up by hand works as well.
func (w *Worker) registerSearchAttributes(ctx context.Context) {
	_, err := w.client.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		SearchAttributes: SearchAttributes, Namespace: w.cfg.Namespace,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		w.cfg.Logger.Warn("could not register search attributes; add them to the namespace by hand",
			zap.String("namespace", w.cfg.Namespace), zap.Any("attributes", SearchAttributes), zap.Error(err))
	}
}

// StepQueues is the step-queue policy: the task queues of template steps whose callable has a Go
// handler in handlers, sorted. With no handlers it is empty.
func StepQueues(templates Templates, handlers *activities.Registry) []string {
	if handlers == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, t := range templates.List() {
		for i := range t.Steps {
			if _, ok := handlers.Lookup(t.Steps[i].Callable); ok {
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
