package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/conformance"
)

func TestMain(m *testing.M) { testsuite.Main(m) }

// probeOf is the probe a request asks for ("" for a normal step).
func probeOf(req tasker.StepRequest) conformance.Probe {
	p, _ := req.Step.Initialization[conformance.ProbeKey].(string)
	return conformance.Probe(p)
}

// broken serves every probe correctly (through conformance.Wrap) except the one it overrides with
// a mistake handlers really make.
func broken(probe conformance.Probe, mistake func(ctx context.Context, req tasker.StepRequest) (any, error)) func(context.Context, tasker.StepRequest) (any, error) {
	good := activities.Activity(conformance.Wrap(nil))
	return func(ctx context.Context, req tasker.StepRequest) (any, error) {
		if probeOf(req) == probe {
			return mistake(ctx, req)
		}
		return good(ctx, req)
	}
}

// camelCase is the request as a handler with a camelCase model would echo it back.
func camelCase(req tasker.StepRequest) map[string]any {
	return map[string]any{
		"task": map[string]any{"id": req.Task.ID, "namespace": req.Task.Namespace, "name": req.Task.Name, "version": req.Task.Version,
			"context": req.Task.Context, "workflowId": req.Task.WorkflowID, "runId": req.Task.RunID},
		"step": map[string]any{"name": req.Step.Name, "attempt": req.Step.Attempt, "maxAttempts": req.Step.MaxAttempts,
			"initialization": req.Step.Initialization},
		"dependencyResults": req.DependencyResults,
	}
}

var brokenHandlers = map[string]func(context.Context, tasker.StepRequest) (any, error){
	"Broken::CamelCase": broken(conformance.Echo, func(_ context.Context, req tasker.StepRequest) (any, error) {
		return map[string]any{"results": camelCase(req)}, nil
	}),
	"Broken::ResultField": broken(conformance.Echo, func(_ context.Context, req tasker.StepRequest) (any, error) {
		return map[string]any{"result": req}, nil
	}),
	"Broken::Bytes": broken(conformance.Echo, func(context.Context, tasker.StepRequest) (any, error) {
		return []byte("ok"), nil
	}),
	"Broken::PlainErrors": broken(conformance.FailRetryable, func(context.Context, tasker.StepRequest) (any, error) {
		return nil, errors.New("gateway said 429")
	}),
	"Broken::PermanentRetried": broken(conformance.FailPermanent, func(context.Context, tasker.StepRequest) (any, error) {
		return nil, temporal.NewApplicationError("card declined", "CardDeclined")
	}),
	"Broken::NoRetryAfter": broken(conformance.FailRetryable, func(context.Context, tasker.StepRequest) (any, error) {
		return nil, temporal.NewApplicationError("gateway said 429", tasker.ErrorTypeRetryable)
	}),
	"Broken::NoHeartbeat": broken(conformance.Heartbeat, func(ctx context.Context, _ tasker.StepRequest) (any, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Second):
			return tasker.StepResult{Results: json.RawMessage(`{"heartbeats":0}`)}, nil
		}
	}),
}

// startGoWorker serves the good and broken Go handlers on a queue of the test's own.
func startGoWorker(t *testing.T) (sdkclient.Client, string) {
	t.Helper()
	c, err := sdkclient.Dial(sdkclient.Options{HostPort: testsuite.Address(t), Logger: quiet{}})
	if err != nil {
		t.Fatalf("dial Temporal: %v", err)
	}
	t.Cleanup(c.Close)
	queue := testsuite.UniqueName(t, "conformance-go")
	w := worker.New(c, queue, worker.Options{})
	reg := activities.NewRegistry()
	reg.MustRegister("Good::Echo", conformance.Wrap(activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) {
		return map[string]string{"normal": "work"}, nil
	})))
	reg.RegisterActivities(w)
	for name, fn := range brokenHandlers {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	if err := w.Start(); err != nil {
		t.Fatalf("start Go worker: %v", err)
	}
	t.Cleanup(w.Stop)
	return c, queue
}

func TestGoHandlers(t *testing.T) {
	c, queue := startGoWorker(t)
	tests := []struct {
		callable string
		failing  conformance.Probe // the one probe that must fail; "" = all pass
		want     []string
	}{
		{"Good::Echo", "", nil},
		{"Broken::CamelCase", conformance.Echo, []string{
			`field "dependencyResults" should be "dependency_results": field names are snake_case on the wire`,
			`field "workflowId" in task should be "workflow_id"`, `field "maxAttempts" in step should be "max_attempts"`}},
		{"Broken::ResultField", conformance.Echo, []string{`result field "result" is not in the contract`, `(did you mean "results"?)`}},
		{"Broken::Bytes", conformance.Echo, []string{`the result is not JSON (payload encoding "binary/plain")`}},
		{"Broken::PlainErrors", conformance.FailRetryable, []string{"a plain error (no application error type) is not in the contract", "no details"}},
		{"Broken::PermanentRetried", conformance.FailPermanent, []string{`error type "CardDeclined" is not in the contract: a permanent failure must be type PermanentError; as it is, the workflow would retry the step`}},
		{"Broken::NoRetryAfter", conformance.FailRetryable, []string{`no details: a RetryableError asked to retry after 7s carries details [{"retry_after_seconds": 7}]`}},
		{"Broken::NoHeartbeat", conformance.Heartbeat, []string{"no heartbeat within the 2s heartbeat timeout"}},
		{"Nobody::Serves", "*", []string{"does not serve callable Nobody::Serves"}},
	}
	for _, tt := range tests {
		t.Run(tt.callable, func(t *testing.T) {
			t.Parallel()
			report, err := conformance.Run(context.Background(), c, conformance.Options{Queue: queue, Callable: tt.callable, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			var text strings.Builder
			_ = report.WriteText(&text)
			t.Log(text.String())
			for _, r := range report.Results {
				failed := len(r.Violations) > 0
				if wantFail := tt.failing == "*" || r.Probe == tt.failing; failed != wantFail {
					t.Errorf("probe %s: failed=%t, want %t; violations %q", r.Probe, failed, wantFail, r.Violations)
				}
			}
			all := strings.Join(report.Violations(), "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("no violation contains %q", w)
				}
			}
			if report.OK() != (tt.failing == "") {
				t.Errorf("OK() = %t", report.OK())
			}
		})
	}
}

func TestNoWorker(t *testing.T) {
	c, err := sdkclient.Dial(sdkclient.Options{HostPort: testsuite.Address(t), Logger: quiet{}})
	if err != nil {
		t.Fatalf("dial Temporal: %v", err)
	}
	defer c.Close()
	queue := testsuite.UniqueName(t, "nobody")
	_, err = conformance.Run(context.Background(), c, conformance.Options{Queue: queue, Callable: "X", PollerWait: 500 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), `no worker polls activity task queue "`+queue+`"`) {
		t.Fatalf("want a no-poller error, got %v", err)
	}
}

// quiet drops the SDK's logs: the broken handlers fail on purpose.
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
