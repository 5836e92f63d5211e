// Package tasktest runs Tasker tasks in tests: an orchestration worker and Go step handlers on
// task queues of the test's own, against the Temporal server testsuite provides, and a client to
// start tasks on them. It is for tests only.
package tasktest

import (
	"context"
	"testing"

	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/workflows"
)

// EnvOptions configure NewEnv.
type EnvOptions struct {
	// Templates to serve. Each is copied with its steps routed to the test's own step queue.
	Templates []*template.Template
	// Handlers serve the steps in process; nil = no Go step worker (steps are served elsewhere).
	Handlers *activities.Registry
	// Mirror and Publisher are handed to the recorder; nil = off.
	Mirror    activities.Mirror
	Publisher activities.Publisher
	Settings  activities.Settings
	// KeepQueues leaves the templates' task queues as they are.
	KeepQueues bool
	// Address is the Temporal server to use; default testsuite.Address.
	Address string
}

// Env is a running orchestration worker (and Go step worker) on task queues of the test's own,
// with a client to start tasks on it.
type Env struct {
	Client        *client.Client
	Temporal      sdkclient.Client
	Templates     *template.Registry
	TaskQueue     string // the orchestration queue
	StepTaskQueue string // where the templates' steps go
}

// NewEnv starts workers for one test on the Temporal server of Address and stops them when the
// test ends.
func NewEnv(tb testing.TB, opts EnvOptions) *Env {
	tb.Helper()
	addr := opts.Address
	if addr == "" {
		addr = testsuite.Address(tb)
	}
	tc, err := sdkclient.Dial(sdkclient.Options{HostPort: addr, Logger: quietLogger{}})
	if err != nil {
		tb.Fatalf("tasktest: dial Temporal at %s: %v", addr, err)
	}
	tb.Cleanup(tc.Close)

	env := &Env{Temporal: tc, TaskQueue: testsuite.UniqueName(tb, "orch"), StepTaskQueue: testsuite.UniqueName(tb, "steps"), Templates: template.NewRegistry()}
	for _, t := range opts.Templates {
		cp := *t
		if !opts.KeepQueues {
			cp.Temporal.TaskQueue = env.StepTaskQueue
			cp.Steps = append([]template.Step(nil), t.Steps...)
			for i := range cp.Steps {
				cp.Steps[i].Temporal.TaskQueue = ""
			}
		}
		if err := env.Templates.Add(&cp); err != nil {
			tb.Fatalf("tasktest: %v", err)
		}
	}
	orch := &activities.Orchestration{Templates: env.Templates, Mirror: opts.Mirror, Publisher: opts.Publisher, Settings: opts.Settings}
	startWorker(tb, tc, env.TaskQueue, func(w worker.Worker) {
		workflows.Register(w, orch)
		if opts.Handlers != nil {
			opts.Handlers.RegisterActivities(w) // temporal.local steps run here, as local activities
		}
	})
	if opts.Handlers != nil {
		startWorker(tb, tc, env.StepTaskQueue, func(w worker.Worker) { opts.Handlers.RegisterActivities(w) })
	}
	env.Client = client.New(tc, client.Options{TaskQueue: env.TaskQueue, Templates: env.Templates})
	return env
}

func startWorker(tb testing.TB, tc sdkclient.Client, queue string, register func(worker.Worker)) {
	tb.Helper()
	w := worker.New(tc, queue, worker.Options{})
	register(w)
	if err := w.Start(); err != nil {
		tb.Fatalf("tasktest: start worker on %s: %v", queue, err)
	}
	tb.Cleanup(w.Stop)
}

// Run starts a task and waits for its end.
func (e *Env) Run(tb testing.TB, req tasker.TaskRequest) tasker.TaskResult {
	tb.Helper()
	ctx := context.Background()
	task, err := e.Client.StartTask(ctx, req, client.StartOptions{WorkflowID: testsuite.UniqueName(tb, "task")})
	if err != nil {
		tb.Fatalf("start task %s/%s: %v", req.Namespace, req.Name, err)
	}
	res, err := e.Client.WaitTask(ctx, task.WorkflowID)
	if err != nil {
		tb.Fatalf("wait for task %s: %v", task.WorkflowID, err)
	}
	return res
}

// quietLogger drops the SDK's logs in tests.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
