package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	sdktest "go.temporal.io/sdk/testsuite"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
	"github.com/tasker-systems/tasker-temporal/worker"
	"github.com/tasker-systems/tasker-temporal/workflows"
)

type harness struct {
	t        *testing.T
	env      *sdktest.TestWorkflowEnvironment
	rec      *tasktest.Recorder
	seq      int
	outcomes map[string]error
}

func mustParse(t *testing.T, yaml string) *template.Template {
	t.Helper()
	tmpl, err := template.Parse([]byte(yaml), t.Name()+".yaml", "")
	require.NoError(t, err)
	return tmpl
}

func newHarness(t *testing.T, tmpl *template.Template, settings worker.Settings, handlers map[string]any) *harness {
	t.Helper()
	var suite sdktest.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	reg := template.NewRegistry()
	require.NoError(t, reg.Add(tmpl))
	rec := &tasktest.Recorder{}
	orch := &worker.Orchestration{Templates: reg, Publisher: rec, Settings: settings}
	worker.RegisterOrchestration(env, orch)
	for name, fn := range handlers {
		env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	return &harness{t: t, env: env, rec: rec, outcomes: map[string]error{}}
}

func (h *harness) run(req tasker.TaskRequest) (tasker.TaskResult, error) {
	h.env.ExecuteWorkflow(tasker.WorkflowType, workflows.TaskInput{TaskRequest: req})
	require.True(h.t, h.env.IsWorkflowCompleted())
	var res tasker.TaskResult
	err := h.env.GetWorkflowError()
	if err == nil {
		require.NoError(h.t, h.env.GetWorkflowResult(&res))
	}
	return res, err
}

func ok(v any) func(context.Context, tasker.StepRequest) (tasker.StepResult, error) {
	return func(context.Context, tasker.StepRequest) (tasker.StepResult, error) {
		b, _ := json.Marshal(v)
		return tasker.StepResult{Results: b}, nil
	}
}

const diamondYAML = `
name: diamond
namespace_name: test
version: 1.0.0
steps:
  - name: a
    handler: {callable: A}
  - name: b
    handler: {callable: B}
    dependencies: [a]
  - name: c
    handler: {callable: C}
    dependencies: [a]
  - name: d
    handler: {callable: D}
    dependencies: [b, c]
`

func TestDiamondRunsEveryStepOnceWithParentResults(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]map[string]json.RawMessage{}
	capture := func(name string) func(context.Context, tasker.StepRequest) (tasker.StepResult, error) {
		return func(_ context.Context, req tasker.StepRequest) (tasker.StepResult, error) {
			mu.Lock()
			defer mu.Unlock()
			if _, dup := seen[req.Step.Name]; dup {
				return tasker.StepResult{}, fmt.Errorf("step %s ran twice", req.Step.Name)
			}
			seen[req.Step.Name] = req.DependencyResults
			return tasker.StepResult{Results: json.RawMessage(`{"from":"` + name + `"}`)}, nil
		}
	}
	h := newHarness(t, mustParse(t, diamondYAML), worker.Settings{},
		map[string]any{"A": capture("a"), "B": capture("b"), "C": capture("c"), "D": capture("d")})
	res, err := h.run(tasker.TaskRequest{Namespace: "test", Name: "diamond", Context: json.RawMessage(`{}`)})
	require.NoError(t, err)

	assert.Equal(t, tasker.StateComplete, res.Status)
	require.Len(t, res.Steps, 4)
	for _, s := range res.Steps {
		assert.Equal(t, tasker.StateComplete, s.Status, s.Name)
		assert.Equal(t, 1, s.Attempts, s.Name)
		assert.JSONEq(t, `{"from":"`+s.Name+`"}`, string(s.Results))
	}
	assert.Empty(t, seen["a"])
	assert.JSONEq(t, `{"from":"a"}`, string(seen["b"]["a"]))
	assert.Len(t, seen["d"], 2)
	assert.JSONEq(t, `{"from":"c"}`, string(seen["d"]["c"]))
	assert.Equal(t, []string{"pending>in_progress", "in_progress>complete"}, h.rec.Path("", "d"))
	assert.Equal(t, []string{"pending>in_progress", "in_progress>complete"}, h.rec.Path("", ""), "task transitions")
	for i, tr := range h.rec.All() {
		assert.Equal(t, int64(i+1), tr.Seq, "transitions are numbered in order")
	}
}

const flakyYAML = `
name: flaky
namespace_name: test
version: 1.0.0
steps:
  - name: call
    handler: {callable: Flaky}
    retry: {max_attempts: 3, backoff: exponential, backoff_base_ms: 1000, max_backoff_ms: 60000}
`

func TestRetriesWalkTheTemplateBackoff(t *testing.T) {
	flaky := func(_ context.Context, req tasker.StepRequest) (tasker.StepResult, error) {
		if req.Step.Attempt < 3 {
			return tasker.StepResult{}, errors.New("upstream down")
		}
		return tasker.StepResult{Results: json.RawMessage(`"ok"`)}, nil
	}
	h := newHarness(t, mustParse(t, flakyYAML), worker.Settings{}, map[string]any{"Flaky": flaky})
	res, err := h.run(tasker.TaskRequest{Namespace: "test", Name: "flaky"})
	require.NoError(t, err)

	s, _ := res.Step("call")
	assert.Equal(t, tasker.StateComplete, s.Status)
	assert.Equal(t, 3, s.Attempts)
	assert.Equal(t, []string{
		"pending>in_progress", "in_progress>error", "error>pending",
		"pending>in_progress", "in_progress>error", "error>pending",
		"pending>in_progress", "in_progress>complete",
	}, h.rec.Path("", "call"))

	errs := h.rec.Step("", "call", tasker.StateError)
	starts := h.rec.Step("", "call", tasker.StateInProgress)
	require.Len(t, errs, 2)
	require.Len(t, starts, 3)
	for k, base := range []time.Duration{time.Second, 2 * time.Second} {
		waited := starts[k+1].At.Sub(errs[k].At)
		assert.InDelta(t, base.Seconds(), waited.Seconds(), base.Seconds()*0.11, "backoff after attempt %d is the base ±10%%", k+1)
		assert.Equal(t, k+1, errs[k].Attempt)
		assert.Positive(t, errs[k].BackoffSeconds)
		var body map[string]any
		require.NoError(t, json.Unmarshal(errs[k].Results, &body))
		assert.Equal(t, "upstream down", body["error"])
	}
}

func TestRetryAfterFromTheHandlerWins(t *testing.T) {
	calls := 0
	h := newHarness(t, mustParse(t, flakyYAML), worker.Settings{}, map[string]any{
		"Flaky": activities.Activity(activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) {
			calls++
			if calls == 1 {
				return nil, activities.RetryAfter(errors.New("429"), 45*time.Second)
			}
			return "ok", nil
		})),
	})
	_, err := h.run(tasker.TaskRequest{Namespace: "test", Name: "flaky"})
	require.NoError(t, err)
	errs, starts := h.rec.Step("", "call", tasker.StateError), h.rec.Step("", "call", tasker.StateInProgress)
	require.Len(t, starts, 2)
	assert.GreaterOrEqual(t, starts[1].At.Sub(errs[0].At), 45*time.Second)
	assert.Equal(t, 45, errs[0].BackoffSeconds)
}

const doomedYAML = `
name: doomed
namespace_name: test
version: 1.0.0
steps:
  - name: charge
    handler: {callable: Charge}
    retry: {max_attempts: 3}
  - name: notify
    handler: {callable: Notify}
    dependencies: [charge]
`

func TestPermanentErrorStopsAtOnceAndResolveLetsTheTaskComplete(t *testing.T) {
	notified := 0
	h := newHarness(t, mustParse(t, doomedYAML), worker.Settings{}, map[string]any{
		"Charge": activities.Activity(activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) {
			return nil, activities.Permanent(errors.New("card declined"))
		})),
		"Notify": func(context.Context, tasker.StepRequest) (tasker.StepResult, error) {
			notified++
			return tasker.StepResult{}, nil
		},
	})
	var resolve string
	h.env.RegisterDelayedCallback(func() {
		dag := h.query()
		s, _ := dag.Step("charge")
		assert.Equal(t, tasker.StateError, s.Status)
		assert.Equal(t, 1, s.Attempts, "a permanent error makes no further attempt")
		assert.Equal(t, tasker.StateError, dag.Status)
		assert.Equal(t, 0, notified, "the dependent never runs while its parent is in error")
		resolve = h.update(workflows.UpdateResolve, workflows.ResolveStepRequest{Step: "charge", Results: json.RawMessage(`{"by":"hand"}`)})
	}, time.Hour)

	res, err := h.run(tasker.TaskRequest{Namespace: "test", Name: "doomed"})
	require.NoError(t, err)
	require.NoError(t, h.outcome(resolve))
	assert.Equal(t, tasker.StateComplete, res.Status)
	s, _ := res.Step("charge")
	assert.Equal(t, tasker.StateResolvedManually, s.Status)
	assert.JSONEq(t, `{"by":"hand"}`, string(s.Results))
	assert.Equal(t, 1, notified)
	assert.Equal(t, []string{"pending>in_progress", "in_progress>error", "error>pending", "pending>in_progress", "in_progress>complete"}, h.rec.Path("", ""))
}

func TestOutOfAttemptsHoldsThenFails(t *testing.T) {
	h := newHarness(t, mustParse(t, doomedYAML), worker.Settings{Hold: 2 * time.Hour}, map[string]any{
		"Charge": func(context.Context, tasker.StepRequest) (tasker.StepResult, error) {
			return tasker.StepResult{}, errors.New("gateway timeout")
		},
		"Notify": ok("sent"),
	})
	_, err := h.run(tasker.TaskRequest{Namespace: "test", Name: "doomed"})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, workflows.ErrorTypeTaskFailed, appErr.Type())
	var res tasker.TaskResult
	require.NoError(t, appErr.Details(&res))
	s, _ := res.Step("charge")
	assert.Equal(t, tasker.StateError, res.Status)
	assert.Equal(t, 3, s.Attempts)
	n, _ := res.Step("notify")
	assert.Equal(t, tasker.StatePending, n.Status)
	assert.Equal(t, 0, n.Attempts)
}

func TestRetryStepGivesAnExhaustedStepMoreAttempts(t *testing.T) {
	calls := 0
	h := newHarness(t, mustParse(t, doomedYAML), worker.Settings{}, map[string]any{
		"Charge": func(context.Context, tasker.StepRequest) (tasker.StepResult, error) {
			calls++
			if calls <= 3 {
				return tasker.StepResult{}, errors.New("gateway timeout")
			}
			return tasker.StepResult{Results: json.RawMessage(`"charged"`)}, nil
		},
		"Notify": ok("sent"),
	})
	var pending, unknown, retry string
	h.env.RegisterDelayedCallback(func() {
		pending = h.update(workflows.UpdateRetryStep, workflows.RetryStepRequest{Step: "notify"})
		unknown = h.update(workflows.UpdateRetryStep, workflows.RetryStepRequest{Step: "nope"})
		retry = h.update(workflows.UpdateRetryStep, workflows.RetryStepRequest{Step: "charge", ExtraAttempts: 2})
	}, time.Hour)
	res, err := h.run(tasker.TaskRequest{Namespace: "test", Name: "doomed"})
	require.NoError(t, err)
	assert.ErrorContains(t, h.outcome(pending), "step is pending", "only an errored step can be retried")
	assert.ErrorContains(t, h.outcome(unknown), `unknown step "nope"`)
	require.NoError(t, h.outcome(retry))
	s, _ := res.Step("charge")
	assert.Equal(t, 4, s.Attempts)
	assert.Equal(t, 5, s.MaxAttempts)
	assert.Equal(t, tasker.StateComplete, res.Status)
}

const skipYAML = `
name: skip
namespace_name: test
version: 1.0.0
steps:
  - name: optional
    handler: {callable: Fail}
    retry: {max_attempts: 2, backoff: none}
    skippable: true
  - name: bypassed
    handler: {callable: Fail}
  - name: after
    handler: {callable: OK}
    dependencies: [optional, bypassed]
`

func TestSkippableAndBypassedStepsLetDependentsRun(t *testing.T) {
	failed := 0
	h := newHarness(t, mustParse(t, skipYAML), worker.Settings{}, map[string]any{
		"Fail": func(_ context.Context, req tasker.StepRequest) (tasker.StepResult, error) {
			failed++
			return tasker.StepResult{}, errors.New("nope: " + req.Step.Name)
		},
		"OK": ok(1),
	})
	res, err := h.run(tasker.TaskRequest{Namespace: "test", Name: "skip", BypassSteps: []string{"bypassed"}})
	require.NoError(t, err)
	assert.Equal(t, tasker.StateComplete, res.Status)
	assert.Equal(t, 2, failed, "the skippable step used its two attempts; the bypassed one never ran")
	opt, _ := res.Step("optional")
	assert.Equal(t, tasker.StateResolvedManually, opt.Status)
	assert.Equal(t, true, h.rec.Step("", "optional", tasker.StateResolvedManually)[0].Metadata["skipped"])
	byp := h.rec.Step("", "bypassed", tasker.StateResolvedManually)
	require.Len(t, byp, 1)
	assert.Equal(t, true, byp[0].Metadata["bypassed"])
	assert.Equal(t, []string{"pending>resolved_manually"}, h.rec.Path("", "bypassed"))
}

func TestCancelTaskCancelsRunningAndOpenSteps(t *testing.T) {
	h := newHarness(t, mustParse(t, diamondYAML), worker.Settings{}, map[string]any{
		"A": func(ctx context.Context, _ tasker.StepRequest) (tasker.StepResult, error) {
			select {
			case <-ctx.Done():
				return tasker.StepResult{}, ctx.Err()
			case <-time.After(2 * time.Second):
				return tasker.StepResult{}, errors.New("step a was not cancelled")
			}
		},
		"B": ok(1), "C": ok(1), "D": ok(1),
	})
	var cancel string
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "A" {
			cancel = h.update(workflows.UpdateCancelTask, workflows.CancelTaskRequest{Reason: "changed my mind"})
		}
	})
	_, err := h.run(tasker.TaskRequest{Namespace: "test", Name: "diamond"})
	require.NoError(t, h.outcome(cancel))
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, workflows.ErrorTypeTaskCancelled, appErr.Type())
	var res tasker.TaskResult
	require.NoError(t, appErr.Details(&res))
	assert.Equal(t, tasker.StateCancelled, res.Status)
	for _, s := range res.Steps {
		assert.Equal(t, tasker.StateCancelled, s.Status, s.Name)
	}
	assert.Equal(t, []string{"pending>in_progress", "in_progress>cancelled"}, h.rec.Path("", "a"))
}

func TestUnknownTemplateFailsTheWorkflowClearly(t *testing.T) {
	h := newHarness(t, mustParse(t, diamondYAML), worker.Settings{}, nil)
	_, err := h.run(tasker.TaskRequest{Namespace: "test", Name: "nope"})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, workflows.ErrorTypeTemplateNotFound, appErr.Type())
	assert.Contains(t, appErr.Error(), "test/nope")
}

func TestInFlightCapLimitsConcurrentSteps(t *testing.T) {
	yaml := "name: fan\nnamespace_name: test\nversion: 1.0.0\nsteps:\n"
	for i := range 20 {
		yaml += fmt.Sprintf("  - name: s%02d\n    handler: {callable: Slow}\n", i)
	}
	var mu sync.Mutex
	running, peak := 0, 0
	slow := func(ctx context.Context, _ tasker.StepRequest) (tasker.StepResult, error) {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
		return tasker.StepResult{}, nil
	}
	h := newHarness(t, mustParse(t, yaml), worker.Settings{MaxInFlight: 3}, map[string]any{"Slow": slow})
	res, err := h.run(tasker.TaskRequest{Namespace: "test", Name: "fan"})
	require.NoError(t, err)
	assert.Equal(t, tasker.StateComplete, res.Status)
	assert.LessOrEqual(t, peak, 3)
	assert.Positive(t, peak)
}

func (h *harness) query() tasker.TaskResult {
	val, err := h.env.QueryWorkflow(workflows.QueryDAG)
	require.NoError(h.t, err)
	var res tasker.TaskResult
	require.NoError(h.t, val.Get(&res))
	return res
}

// update sends an update; its outcome lands in h.outcomes[id] once the workflow handled it.
func (h *harness) update(name string, arg any) string {
	h.seq++
	id := fmt.Sprintf("%s-%d", name, h.seq)
	h.env.UpdateWorkflow(name, id, &sdktest.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(err error) { h.outcomes[id] = err },
		OnComplete: func(_ any, err error) { h.outcomes[id] = err },
	}, arg)
	return id
}

// outcome is an update's result: nil, its error, or an error saying it never finished.
func (h *harness) outcome(id string) error {
	err, ok := h.outcomes[id]
	if !ok {
		return errors.New("update " + id + " did not finish")
	}
	return err
}
