// Package workflows holds TaskerTask, the Temporal workflow that runs one Tasker task: it walks
// the task's DAG with the dag resolver, runs each ready step as an activity named by its handler
// callable, walks retries with the template's backoff, and emits every task and step transition
// to the recorder.
//
// Everything here is workflow code: it uses only workflow.* APIs for time, concurrency and
// randomness, and no I/O. Replay tests in this package guard every change against
// non-determinism.
package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/dag"
	"github.com/tasker-systems/tasker-temporal/template"
)

// Names of the workflow's query and updates.
const (
	QueryDAG         = "dag"
	QueryMermaid     = "mermaid" // the DAG as a Mermaid flowchart, any size
	UpdateRetryStep  = "retry_step"
	UpdateResolve    = "resolve_step"
	UpdateCancelTask = "cancel_task"
)

// Error types the workflow fails with.
const (
	ErrorTypeTaskFailed    = "TaskFailed"
	ErrorTypeTaskCancelled = "TaskCancelled"
)

// TaskInput is the workflow's input: a TaskRequest (its JSON fields at the top level, so a client
// in any language starts a task with a plain TaskRequest) and, after continue-as-new, the state
// carried over.
type TaskInput struct {
	tasker.TaskRequest
	Carry *Carry `json:"carry,omitempty"`
}

// TaskWorkflow runs one Tasker task to its end. It returns the final TaskResult; a task that ends
// in error (after the hold) or is cancelled also returns an application error whose details hold
// the TaskResult.
func TaskWorkflow(ctx workflow.Context, in TaskInput) (tasker.TaskResult, error) {
	var gate startGate
	if err := gate.register(ctx); err != nil {
		return tasker.TaskResult{}, err
	}
	w, err := newWalker(ctx, in)
	gate.open(w, err)
	if err != nil {
		// A start update waiting for the verdict gets it before the workflow fails.
		_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		return tasker.TaskResult{}, err
	}
	if err := w.registerHandlers(ctx); err != nil {
		return tasker.TaskResult{}, err
	}
	return w.walk(ctx)
}

// walker is the state of one run of the workflow.
type walker struct {
	req      tasker.TaskRequest
	tmpl     *template.Template
	graph    *dag.Graph
	run      *dag.Run
	settings Settings
	task     dag.State // the task's own state
	taskID   int64
	record   bool
	seq      int64
	unsent   []tasker.Transition
	results  []json.RawMessage
	lastErr  []string

	attempts    attempts
	cancelAsked string // reason, when cancel_task was called
	changed     bool   // an update changed the DAG
	mirror      mirrorState
	readyBuf    []int
	shownSeq    int64        // seq when the current details were last rendered
	drawing     dag.Renderer // draws them, redrawing only the steps that changed
}

func newWalker(ctx workflow.Context, in TaskInput) (*walker, error) {
	w := &walker{req: in.TaskRequest}
	if in.Carry != nil {
		return w, w.restore(in.Carry)
	}
	resolved, err := resolveTemplate(ctx, in.TaskRequest)
	if err != nil {
		return nil, err
	}
	if w.tmpl, err = resolved.Unpack(); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrorTypeTemplateNotFound, err)
	}
	w.record = resolved.Record
	w.settings = resolved.Settings.WithDefaults()
	if w.graph, err = w.tmpl.Graph(); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("template %s: %v", w.tmpl.Key(), err), ErrorTypeInvalidRequest, err)
	}
	if w.graph.Dynamic() {
		// Decision, deferred and batch steps load and validate, but this workflow does not grow a
		// graph yet: refuse the task at once rather than let it wait for steps nobody creates.
		err := fmt.Errorf("template %s has dynamic steps (decision, deferred or batch): not supported by this worker yet", w.tmpl.Key())
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrorTypeInvalidRequest, err)
	}
	w.run = dag.NewRun(w.graph)
	w.task = dag.Pending
	w.taskID = in.TaskID
	n := w.graph.Len()
	w.results, w.lastErr = make([]json.RawMessage, n), make([]string, n)
	return w, nil
}

func resolveTemplate(ctx workflow.Context, req tasker.TaskRequest) (ResolvedTask, error) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var resolved ResolvedTask
	if err := workflow.ExecuteLocalActivity(lctx, ResolveTemplateName, req).Get(ctx, &resolved); err != nil {
		return resolved, err
	}
	return resolved, nil
}

// walk is the main loop: start what is ready, record, wait for something to happen.
func (w *walker) walk(ctx workflow.Context) (tasker.TaskResult, error) {
	workflow.Go(ctx, w.attempts.serve)
	if w.task == dag.Pending {
		w.upsertSearchAttributes(ctx)
		w.moveTask(ctx, dag.InProgress, nil)
		w.bypass(ctx)
	}
	for {
		w.processCompletions(ctx)
		if ctx.Err() != nil && w.cancelAsked == "" {
			w.cancelAsked = "cancel requested through Temporal"
		}
		if w.cancelAsked != "" {
			return w.cancelTask(ctx)
		}
		draining := w.continueAsNewDue(ctx)
		if !draining {
			w.startReady(ctx)
		}
		w.updateTaskState(ctx)
		w.showDetails(ctx)
		w.flush(ctx)
		if w.run.AllDone() && w.attempts.count() == 0 {
			return w.finish(ctx)
		}
		if draining && w.attempts.count() == 0 {
			return tasker.TaskResult{}, w.continueAsNew(ctx)
		}
		if w.task == dag.Error && w.attempts.count() == 0 {
			if expired := w.holdForOperator(ctx); expired {
				return w.fail(ctx)
			}
			continue
		}
		if err := w.waitForEvent(ctx, draining); err != nil && !temporal.IsCanceledError(err) {
			return tasker.TaskResult{}, err
		}
	}
}

// versionReadyAfterLocalActivity guards the fix for a step that became ready while the loop ran:
// a local activity (the recorder) moves workflow.Now on by its own duration, so a retry whose
// backoff ended during a slow flush was neither started nor waited for, and the task stalled.
const versionReadyAfterLocalActivity = "ready-after-local-activity"

// waitForEvent blocks until a step finishes, an update changes the DAG, a cancel is asked, a
// retry's backoff ends, or an unrecorded transition is due for another try. It returns at once
// when a step became ready while this pass of the loop ran (and may start).
func (w *walker) waitForEvent(ctx workflow.Context, draining bool) error {
	w.changed = false
	if !draining && w.attempts.count() < w.settings.MaxInFlight && w.run.CountReady(workflow.Now(ctx)) > 0 &&
		workflow.GetVersion(ctx, versionReadyAfterLocalActivity, workflow.DefaultVersion, 1) == 1 {
		return nil
	}
	wake, ok := w.nextWakeup(ctx)
	cond := func() bool { return len(w.attempts.finished) > 0 || w.changed || w.cancelAsked != "" }
	if !ok {
		return workflow.Await(ctx, cond)
	}
	_, err := workflow.AwaitWithTimeout(ctx, wake.Sub(workflow.Now(ctx)), cond)
	return err
}

func (w *walker) nextWakeup(ctx workflow.Context) (time.Time, bool) {
	wake, ok := w.run.NextWakeupAfter(workflow.Now(ctx))
	if t, due := w.mirror.retryAt(len(w.unsent) > 0); due && (!ok || t.Before(wake)) {
		wake, ok = t, true
	}
	if ok && !wake.After(workflow.Now(ctx)) {
		wake = workflow.Now(ctx).Add(time.Millisecond)
	}
	return wake, ok
}

// holdForOperator waits, with the task in error, for an update that lets it go on. It reports
// whether the hold expired first.
func (w *walker) holdForOperator(ctx workflow.Context) bool {
	w.changed = false
	deadline := workflow.Now(ctx).Add(w.settings.Hold)
	for {
		w.flush(ctx)
		timeout := deadline.Sub(workflow.Now(ctx))
		if t, due := w.mirror.retryAt(len(w.unsent) > 0); due {
			timeout = min(timeout, max(t.Sub(workflow.Now(ctx)), time.Millisecond))
		}
		if timeout <= 0 {
			return true
		}
		ok, err := workflow.AwaitWithTimeout(ctx, timeout, func() bool { return w.changed || w.cancelAsked != "" })
		if err != nil || ok || ctx.Err() != nil {
			return false
		}
		if !workflow.Now(ctx).Before(deadline) {
			return true
		}
	}
}

// startReady starts every ready step, up to the in-flight cap.
func (w *walker) startReady(ctx workflow.Context) {
	free := w.settings.MaxInFlight - w.attempts.count()
	if free <= 0 {
		return
	}
	w.readyBuf = w.run.AppendReady(w.readyBuf[:0], workflow.Now(ctx))
	for _, i := range w.readyBuf {
		if free == 0 {
			return
		}
		w.startStep(ctx, i)
		free--
	}
}

func (w *walker) startStep(ctx workflow.Context, i int) {
	if w.run.State(i) == dag.Error {
		w.moveStep(ctx, i, dag.Pending, stepChange{meta: map[string]any{"retry_attempt": w.run.Step(i).Attempts + 1}})
	}
	w.run.SetNextAttemptAt(i, time.Time{})
	attempt := w.run.Step(i).Attempts + 1
	w.moveStep(ctx, i, dag.InProgress, stepChange{meta: map[string]any{"attempt_number": attempt}, attempt: attempt})

	step := &w.tmpl.Steps[i]
	actx, cancel := workflow.WithCancel(ctx)
	req := w.stepRequest(ctx, i, attempt)
	issue := func() workflow.Future {
		return workflow.ExecuteActivity(workflow.WithActivityOptions(actx, w.activityOptions(step)), step.Callable, req)
	}
	if step.Temporal.Local {
		issue = func() workflow.Future {
			return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(actx, w.localActivityOptions(step)), step.Callable, req)
		}
	}
	w.attempts.start(flight{step: i, issue: issue, cancel: cancel, started: workflow.Now(ctx)})
}

// stepTimeout bounds one attempt: temporal.start_to_close, else timeout_seconds, else the
// worker's default.
func (w *walker) stepTimeout(step *template.Step) time.Duration {
	if step.Temporal.StartToClose > 0 {
		return step.Temporal.StartToClose
	}
	if step.Timeout > 0 {
		return step.Timeout
	}
	return w.settings.DefaultStartToClose
}

func (w *walker) activityOptions(step *template.Step) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:           w.tmpl.StepTaskQueue(step),
		StartToCloseTimeout: w.stepTimeout(step),
		HeartbeatTimeout:    w.heartbeat(step),
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		Summary:             step.Name,
		// A step that heartbeats learns of a cancel; wait for it to stop. One that does not
		// cannot be stopped: its result is dropped.
		WaitForCancellation: w.heartbeat(step) > 0,
	}
}

// heartbeat is the step's heartbeat timeout: temporal.heartbeat, else the worker's for a step its
// Go handlers serve (a map lookup: replay-safe).
func (w *walker) heartbeat(step *template.Step) time.Duration {
	if step.Temporal.Heartbeat > 0 {
		return step.Temporal.Heartbeat
	}
	return w.settings.Heartbeats[step.Callable]
}

// localActivityOptions run a temporal.local step in the orchestration worker. Like every attempt,
// one execution: the workflow walks the retries.
func (w *walker) localActivityOptions(step *template.Step) workflow.LocalActivityOptions {
	return workflow.LocalActivityOptions{
		StartToCloseTimeout: w.stepTimeout(step),
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		Summary:             step.Name,
	}
}

func (w *walker) stepRequest(ctx workflow.Context, i, attempt int) tasker.StepRequest {
	info := workflow.GetInfo(ctx)
	step := &w.tmpl.Steps[i]
	deps := make(map[string]json.RawMessage, len(w.graph.Parents(i)))
	for _, p := range w.graph.Parents(i) {
		deps[w.graph.Name(p)] = w.results[p]
	}
	return tasker.StepRequest{
		Task: tasker.TaskInfo{
			ID: w.taskID, Namespace: w.tmpl.Namespace, Name: w.tmpl.Name, Version: w.tmpl.Version,
			Context: w.req.Context, WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
		},
		Step: tasker.StepInfo{
			Name: step.Name, Attempt: attempt, MaxAttempts: w.run.Step(i).MaxAttempts, Initialization: step.Initialization,
		},
		DependencyResults: deps,
	}
}

// processCompletions applies every finished attempt.
func (w *walker) processCompletions(ctx workflow.Context) {
	for _, c := range w.attempts.take() {
		if w.run.State(c.step) != dag.InProgress {
			continue // cancelled or resolved while running
		}
		if c.err == nil {
			w.succeed(ctx, c)
		} else {
			w.failAttempt(ctx, c)
		}
	}
}

func (w *walker) succeed(ctx workflow.Context, c completion) {
	w.results[c.step] = c.result.Results
	w.lastErr[c.step] = ""
	meta := map[string]any{"attempt_number": w.run.Step(c.step).Attempts}
	for k, v := range c.result.Metadata {
		meta[k] = v
	}
	w.moveStep(ctx, c.step, dag.Complete, stepChange{meta: meta, attempt: w.run.Step(c.step).Attempts, results: c.result.Results})
}

func (w *walker) failAttempt(ctx workflow.Context, c completion) {
	f := classify(c.err)
	i := c.step
	attempt := w.run.Step(i).Attempts
	w.lastErr[i] = f.message
	errResults, _ := json.Marshal(map[string]any{"error": f.message, "error_class": f.class, "backtrace": f.backtrace})
	meta := map[string]any{"attempt_number": attempt, "max_attempts": w.run.Step(i).MaxAttempts, "error": f.message, "error_class": f.class}
	backoff := time.Duration(0)
	switch {
	case f.permanent:
		meta["permanent"], meta["retryable"] = true, false
		if f.code != "" {
			meta["error_code"] = f.code // PermanentError.Code, for the mirror and the events
		}
	case w.canRetry(i, attempt):
		backoff = w.backoff(ctx, i, attempt, f.retryAfter)
	}
	w.moveStep(ctx, i, dag.Error, stepChange{meta: meta, attempt: attempt, results: errResults, backoff: backoff})
	if f.permanent {
		w.run.StopRetries(i)
	} else if backoff > 0 {
		w.run.SetNextAttemptAt(i, workflow.Now(ctx).Add(backoff))
	}
	if w.run.Exhausted(i) && w.tmpl.Steps[i].Skippable {
		w.moveStep(ctx, i, dag.ResolvedManually, stepChange{meta: map[string]any{"skipped": true, "reason": "skippable step out of attempts"}})
	}
}

// canRetry reports whether a step that failed attempt number attempt has another attempt.
func (w *walker) canRetry(i, attempt int) bool {
	return w.tmpl.Steps[i].Retry.Retryable && attempt < w.run.Step(i).MaxAttempts
}

// backoff is the wait before the next attempt: the handler's retry_after when it gave one, else
// the template's policy with ±10% jitter derived deterministically from the task, step and attempt.
func (w *walker) backoff(ctx workflow.Context, i, attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, activities.MaxRetryAfter)
	}
	d := w.tmpl.Steps[i].BackoffPolicy().Delay(attempt)
	if d <= 0 {
		return 0
	}
	return jitter(d, workflow.GetInfo(ctx).WorkflowExecution.ID, w.graph.Name(i), attempt)
}

// updateTaskState moves the task between in_progress and error as its steps block or unblock it.
func (w *walker) updateTaskState(ctx workflow.Context) {
	blocked := w.attempts.count() == 0 && !w.run.AllDone() && !w.anyRunnable(ctx)
	switch {
	case blocked && w.task == dag.InProgress:
		w.moveTask(ctx, dag.Error, map[string]any{"blocked_steps": w.blockedSteps()})
	case !blocked && w.task == dag.Error:
		w.moveTask(ctx, dag.Pending, map[string]any{"reason": "retry_requested"})
		w.moveTask(ctx, dag.InProgress, nil)
	}
}

// anyRunnable reports whether some step is ready now or will be after a backoff.
func (w *walker) anyRunnable(ctx workflow.Context) bool {
	now := workflow.Now(ctx)
	if w.run.CountReady(now) > 0 {
		return true
	}
	_, ok := w.run.NextWakeupAfter(now)
	return ok
}

func (w *walker) blockedSteps() []string {
	var names []string
	for i := range w.graph.Len() {
		if w.run.Exhausted(i) {
			names = append(names, w.graph.Name(i))
		}
	}
	return names
}

func (w *walker) finish(ctx workflow.Context) (tasker.TaskResult, error) {
	w.moveTask(ctx, dag.Complete, nil)
	w.showDetails(ctx)
	w.flushAll(ctx)
	return w.result(ctx), nil
}

func (w *walker) fail(ctx workflow.Context) (tasker.TaskResult, error) {
	w.flushAll(ctx)
	res := w.result(ctx)
	return res, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("task %s failed: steps out of attempts: %v (held %s for an operator)", w.tmpl.Key(), w.blockedSteps(), w.settings.Hold),
		ErrorTypeTaskFailed, nil, res)
}

// cancelGrace bounds how long a cancelled task waits for its running steps to acknowledge.
const cancelGrace = time.Minute

// cancelTask cancels running attempts (waiting, up to cancelGrace, for those that heartbeat to
// stop), moves every open step and the task to cancelled. A cancel requested through Temporal
// (the UI's Cancel button) closes the workflow as cancelled; cancel_task closes it as failed with
// type TaskCancelled. Either way the TaskResult says cancelled.
func (w *walker) cancelTask(parent workflow.Context) (tasker.TaskResult, error) {
	throughTemporal := parent.Err() != nil
	ctx, _ := workflow.NewDisconnectedContext(parent)
	w.attempts.cancelAll()
	_, _ = workflow.AwaitWithTimeout(ctx, cancelGrace, w.attempts.settled)
	for _, c := range w.attempts.take() {
		if c.err == nil && w.run.State(c.step) == dag.InProgress {
			w.succeed(ctx, c) // finished before the cancel reached it
		}
	}
	meta := map[string]any{"reason": w.cancelAsked}
	for i := range w.graph.Len() {
		switch w.run.State(i) {
		case dag.Error:
			w.moveStep(ctx, i, dag.Pending, stepChange{meta: meta})
			w.moveStep(ctx, i, dag.Cancelled, stepChange{meta: meta})
		case dag.Pending, dag.InProgress:
			w.moveStep(ctx, i, dag.Cancelled, stepChange{meta: meta})
		}
	}
	if w.task == dag.Error {
		w.moveTask(ctx, dag.Pending, meta)
	}
	w.moveTask(ctx, dag.Cancelled, meta)
	w.showDetails(ctx)
	w.flushAll(ctx)
	res := w.result(ctx)
	if throughTemporal {
		return res, temporal.NewCanceledError(res)
	}
	return res, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("task %s cancelled: %s", w.tmpl.Key(), w.cancelAsked), ErrorTypeTaskCancelled, nil, res)
}

// bypass resolves the request's bypass_steps before anything runs: they never run.
func (w *walker) bypass(ctx workflow.Context) {
	for _, name := range w.req.BypassSteps {
		i, ok := w.graph.Index(name)
		if !ok || w.run.State(i) != dag.Pending {
			continue
		}
		w.moveStep(ctx, i, dag.ResolvedManually, stepChange{meta: map[string]any{"bypassed": true}})
	}
}

func (w *walker) result(ctx workflow.Context) tasker.TaskResult {
	info := workflow.GetInfo(ctx)
	res := tasker.TaskResult{
		WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID, TaskID: w.taskID,
		Namespace: w.tmpl.Namespace, Name: w.tmpl.Name, Version: w.tmpl.Version, Status: w.task.String(),
		Steps: make([]tasker.StepStatus, w.graph.Len()),
	}
	for i := range w.graph.Len() {
		st := w.run.Step(i)
		s := tasker.StepStatus{
			Name: w.graph.Name(i), Status: st.State.String(), Attempts: st.Attempts, MaxAttempts: st.MaxAttempts,
			Results: w.results[i], ResultsSize: len(w.results[i]), LastError: w.lastErr[i],
		}
		if st.State == dag.Error && !w.run.Exhausted(i) && !st.NextAttemptAt.IsZero() {
			t := st.NextAttemptAt
			s.NextAttemptAt = &t
		}
		res.Steps[i] = s
	}
	return res
}

var errUnknownStep = errors.New("unknown step")
