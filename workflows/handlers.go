package workflows

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/dag"
)

// RetryStepRequest is the argument of the retry_step update.
type RetryStepRequest struct {
	Step string `json:"step"`
	// ExtraAttempts is how many attempts to allow beyond those made; default 1.
	ExtraAttempts int `json:"extra_attempts,omitempty"`
}

// ResolveStepRequest is the argument of the resolve_step update.
type ResolveStepRequest struct {
	Step    string          `json:"step"`
	Results json.RawMessage `json:"results,omitempty"`
	Reason  string          `json:"reason,omitempty"`
}

// CancelTaskRequest is the argument of the cancel_task update.
type CancelTaskRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (w *walker) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryDAG, func() (tasker.TaskResult, error) {
		return w.result(ctx), nil
	}); err != nil {
		return fmt.Errorf("register query %s: %w", QueryDAG, err)
	}
	if err := workflow.SetQueryHandler(ctx, QueryMermaid, func() (string, error) {
		return w.run.Mermaid(), nil
	}); err != nil {
		return fmt.Errorf("register query %s: %w", QueryMermaid, err)
	}
	updates := []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdateRetryStep, w.retryStep, w.validateRetry},
		{UpdateResolve, w.resolveStep, w.validateResolve},
		{UpdateCancelTask, w.cancel, w.validateCancel},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return fmt.Errorf("register update %s: %w", u.name, err)
		}
	}
	return nil
}

func (w *walker) stepIndex(name string) (int, error) {
	i, ok := w.graph.Index(name)
	if !ok {
		return 0, fmt.Errorf("%w %q in task %s (steps: %v)", errUnknownStep, name, w.tmpl.Key(), w.stepNames())
	}
	return i, nil
}

func (w *walker) stepNames() []string {
	names := make([]string, w.graph.Len())
	for i := range names {
		names[i] = w.graph.Name(i)
	}
	return names
}

func (w *walker) taskOpen() error {
	if w.cancelAsked != "" || w.task == dag.Cancelled || w.task == dag.Complete {
		return fmt.Errorf("task %s is %s", w.tmpl.Key(), w.task)
	}
	return nil
}

func (w *walker) validateRetry(req RetryStepRequest) error {
	if err := w.taskOpen(); err != nil {
		return err
	}
	i, err := w.stepIndex(req.Step)
	if err != nil {
		return err
	}
	if st := w.run.State(i); st != dag.Error {
		return fmt.Errorf("retry_step %s: step is %s; only a step in error can be retried", req.Step, st)
	}
	if req.ExtraAttempts < 0 {
		return fmt.Errorf("retry_step %s: extra_attempts must not be negative (got %d)", req.Step, req.ExtraAttempts)
	}
	return nil
}

// retryStep moves an errored step back to pending with more attempts, ready at once.
func (w *walker) retryStep(ctx workflow.Context, req RetryStepRequest) error {
	if err := w.validateRetry(req); err != nil {
		return err
	}
	i, _ := w.stepIndex(req.Step)
	extra := max(req.ExtraAttempts, 1)
	st := w.run.Step(i)
	if need := st.Attempts + extra - st.MaxAttempts; need > 0 {
		w.run.AddAttempts(i, need)
	}
	w.moveStep(ctx, i, dag.Pending, stepChange{meta: map[string]any{
		"retry_requested_by": "operator", "extra_attempts": extra, "max_attempts": w.run.Step(i).MaxAttempts, "retryable": true,
	}})
	w.run.SetNextAttemptAt(i, time.Time{})
	w.changed = true
	return nil
}

func (w *walker) validateResolve(req ResolveStepRequest) error {
	if err := w.taskOpen(); err != nil {
		return err
	}
	i, err := w.stepIndex(req.Step)
	if err != nil {
		return err
	}
	if st := w.run.State(i); st != dag.Pending && st != dag.Error {
		return fmt.Errorf("resolve_step %s: step is %s; only a pending or errored step can be resolved", req.Step, st)
	}
	if len(req.Results) > 0 && !json.Valid(req.Results) {
		return fmt.Errorf("resolve_step %s: results are not valid JSON", req.Step)
	}
	return nil
}

// resolveStep marks a step resolved_manually with the results an operator supplied.
func (w *walker) resolveStep(ctx workflow.Context, req ResolveStepRequest) error {
	if err := w.validateResolve(req); err != nil {
		return err
	}
	i, _ := w.stepIndex(req.Step)
	w.results[i] = req.Results
	w.lastErr[i] = ""
	meta := map[string]any{"resolved_by": "operator"}
	if req.Reason != "" {
		meta["reason"] = req.Reason
	}
	w.moveStep(ctx, i, dag.ResolvedManually, stepChange{meta: meta, results: req.Results})
	w.changed = true
	return nil
}

func (w *walker) validateCancel(req CancelTaskRequest) error {
	return w.taskOpen()
}

// cancel asks the main loop to cancel the task; the loop cancels running attempts and moves every
// open step and the task to cancelled.
func (w *walker) cancel(ctx workflow.Context, req CancelTaskRequest) error {
	if err := w.validateCancel(req); err != nil {
		return err
	}
	w.cancelAsked = req.Reason
	if w.cancelAsked == "" {
		w.cancelAsked = "cancelled by operator"
	}
	return nil
}
