// Package tasktest runs Tasker tasks in tests, in the spirit of rivertest: NewEnv starts a
// worker.Worker (the orchestrator and Go step handlers) on task queues of the test's own against
// the Temporal server testsuite provides, with a client to start tasks on it; RequireStep and
// RequireStatus assert on a task's result; Recorder keeps the transitions the recorder sees;
// QuietLogger silences the Temporal SDK. It is for tests only.
package tasktest

import (
	"context"
	"testing"
	"time"

	sdkclient "go.temporal.io/sdk/client"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/worker"
)

// RunTimeout bounds Env.Run when the test has no earlier deadline.
const RunTimeout = 2 * time.Minute

// EnvOptions configure NewEnv.
type EnvOptions struct {
	// Templates to serve. Each is copied with its steps routed to the test's own step queue.
	Templates []*template.Template
	// Handlers serve the steps in process; nil = no Go step worker (steps are served elsewhere).
	Handlers *activities.Registry
	// Mirror and Publisher are handed to the recorder; nil = off.
	Mirror    worker.Mirror
	Publisher worker.Publisher
	Settings  worker.Settings
	// KeepQueues leaves the templates' task queues as they are.
	KeepQueues bool
	// Address is the Temporal server to use; default testsuite.Address.
	Address string
}

// Env is a running worker.Worker on task queues of the test's own, with a client to start tasks
// on it.
type Env struct {
	Client        *client.Client
	Temporal      sdkclient.Client
	Templates     *template.Registry
	Worker        *worker.Worker
	TaskQueue     string // the orchestration queue
	StepTaskQueue string // where the templates' steps go
}

// NewEnv starts a worker for one test on the Temporal server of Address and stops it when the
// test ends.
func NewEnv(tb testing.TB, opts EnvOptions) *Env {
	tb.Helper()
	addr := opts.Address
	if addr == "" {
		addr = testsuite.Address(tb)
	}
	tc, err := sdkclient.Dial(sdkclient.Options{HostPort: addr, Logger: QuietLogger{}})
	if err != nil {
		tb.Fatalf("tasktest: dial Temporal at %s: %v", addr, err)
	}
	tb.Cleanup(tc.Close)

	env := &Env{Temporal: tc, TaskQueue: testsuite.UniqueName(tb, "orch"), StepTaskQueue: testsuite.UniqueName(tb, "steps"), Templates: template.NewRegistry()}
	for _, t := range opts.Templates {
		if err := env.Templates.Add(env.route(t, opts.KeepQueues)); err != nil {
			tb.Fatalf("tasktest: %v", err)
		}
	}
	w, err := worker.New(tc, worker.Config{
		Templates: env.Templates, Handlers: opts.Handlers, Mirror: opts.Mirror, Publisher: opts.Publisher,
		Settings: opts.Settings, TaskQueue: env.TaskQueue,
	})
	if err != nil {
		tb.Fatalf("tasktest: %v", err)
	}
	if err := w.Start(tb.Context()); err != nil {
		tb.Fatalf("tasktest: %v", err)
	}
	tb.Cleanup(func() { _ = w.Stop(context.Background()) })
	env.Worker = w
	env.Client = client.New(tc, client.Options{TaskQueue: env.TaskQueue, Templates: env.Templates})
	return env
}

// route copies t with its steps on the test's step queue (unless keep).
func (e *Env) route(t *template.Template, keep bool) *template.Template {
	cp := *t
	if keep {
		return &cp
	}
	cp.Temporal.TaskQueue = e.StepTaskQueue
	cp.Steps = append([]template.Step(nil), t.Steps...)
	for i := range cp.Steps {
		cp.Steps[i].Temporal.TaskQueue = ""
	}
	return &cp
}

// Run starts a task and waits for its end, within the test's deadline or RunTimeout.
func (e *Env) Run(tb testing.TB, req tasker.TaskRequest) tasker.TaskResult {
	tb.Helper()
	ctx, cancel := Context(tb, RunTimeout)
	defer cancel()
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

// Context is tb.Context() with a deadline of d from now, or the test's own deadline if that is
// sooner.
func Context(tb testing.TB, d time.Duration) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(d)
	if t, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if td, ok := t.Deadline(); ok && td.Before(deadline) {
			deadline = td
		}
	}
	return context.WithDeadline(tb.Context(), deadline)
}

// RequireStatus fails the test unless the task ended in status (tasker.StateComplete, …).
func RequireStatus(tb testing.TB, res tasker.TaskResult, status string) {
	tb.Helper()
	if res.Status != status {
		tb.Fatalf("task %s: status %q, want %q (steps: %s)", res.WorkflowID, res.Status, status, stepStates(res))
	}
}

// RequireStep fails the test unless the task has a step name in state, and returns it.
func RequireStep(tb testing.TB, res tasker.TaskResult, name, state string) tasker.StepStatus {
	tb.Helper()
	s, ok := res.Step(name)
	if !ok {
		tb.Fatalf("task %s has no step %q (steps: %s)", res.WorkflowID, name, stepStates(res))
	}
	if s.Status != state {
		tb.Fatalf("task %s step %q: state %q, want %q (attempts %d, last error %q)", res.WorkflowID, name, s.Status, state, s.Attempts, s.LastError)
	}
	return s
}

func stepStates(res tasker.TaskResult) string {
	out := ""
	for i, s := range res.Steps {
		if i > 0 {
			out += ", "
		}
		out += s.Name + "=" + s.Status
	}
	return out
}

// QuietLogger drops the Temporal SDK's logs (an SDK log.Logger).
type QuietLogger struct{}

func (QuietLogger) Debug(string, ...any) {}
func (QuietLogger) Info(string, ...any)  {}
func (QuietLogger) Warn(string, ...any)  {}
func (QuietLogger) Error(string, ...any) {}
