package workflows

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/dag"
)

// stepChange is what a step transition carries besides its states.
type stepChange struct {
	meta    map[string]any
	attempt int
	results json.RawMessage
	backoff time.Duration
}

// moveStep applies a step transition to the DAG and queues it for the recorder. The workflow only
// asks for transitions the state machine allows; an illegal one is a bug, so it panics (the
// workflow task fails and is retried after a fix, nothing is lost).
func (w *walker) moveStep(ctx workflow.Context, i int, to dag.State, c stepChange) {
	from := w.run.State(i)
	if from == to {
		return
	}
	if err := w.run.Transition(i, to, workflow.Now(ctx)); err != nil {
		panic(fmt.Sprintf("task %s: %v", w.tmpl.Key(), err))
	}
	w.emit(ctx, tasker.Transition{
		Entity: tasker.EntityStep, Step: w.graph.Name(i), From: from.String(), To: to.String(),
		Metadata: c.meta, Attempt: c.attempt, Results: c.results, BackoffSeconds: int((c.backoff + time.Second - 1) / time.Second),
	})
}

// moveTask applies a task transition and queues it.
func (w *walker) moveTask(ctx workflow.Context, to dag.State, meta map[string]any) {
	from := w.task
	if from == to {
		return
	}
	if err := dag.CheckTaskTransition(from, to); err != nil {
		panic(fmt.Sprintf("task %s: %v", w.tmpl.Key(), err))
	}
	w.task = to
	w.emit(ctx, tasker.Transition{Entity: tasker.EntityTask, From: from.String(), To: to.String(), Metadata: meta})
	w.upsertStatus(ctx)
}

func (w *walker) emit(ctx workflow.Context, t tasker.Transition) {
	w.seq++
	t.Seq = w.seq
	t.WorkflowID = workflow.GetInfo(ctx).WorkflowExecution.ID
	t.At = workflow.Now(ctx)
	if w.record {
		w.unsent = append(w.unsent, t)
	}
}

// mirrorState tracks the recorder: whether the task row exists and when to try again after a
// failure (PostgreSQL down: the DAG keeps running and transitions wait in workflow state).
type mirrorState struct {
	created  bool
	failures int
	nextTry  time.Time
}

// retryAt is when a failed flush should be tried again, if one is due.
func (m *mirrorState) retryAt(haveUnsent bool) (time.Time, bool) {
	if !haveUnsent || m.failures == 0 {
		return time.Time{}, false
	}
	return m.nextTry, true
}

// flush sends unsent transitions to the recorder, unless a recent failure says wait.
func (w *walker) flush(ctx workflow.Context) {
	if !w.record || (len(w.unsent) == 0 && w.mirror.created) {
		return
	}
	if w.mirror.failures > 0 && workflow.Now(ctx).Before(w.mirror.nextTry) {
		return
	}
	if err := w.sendToRecorder(ctx); err != nil {
		w.mirror.failures++
		delay := min(time.Second<<min(w.mirror.failures-1, 6), time.Minute)
		w.mirror.nextTry = workflow.Now(ctx).Add(delay)
		workflow.GetLogger(ctx).Warn("mirror lags: transitions kept in workflow state",
			"unsent", len(w.unsent), "failures", w.mirror.failures, "retry_in", delay, "error", err)
		return
	}
	w.mirror.failures = 0
}

// flushAll blocks until the recorder has every transition: a task does not close before its mirror
// has caught up.
func (w *walker) flushAll(ctx workflow.Context) {
	for w.record && (len(w.unsent) > 0 || !w.mirror.created) {
		if w.mirror.failures > 0 {
			if d := w.mirror.nextTry.Sub(workflow.Now(ctx)); d > 0 {
				_ = workflow.Sleep(ctx, d)
			}
		}
		w.mirror.nextTry = time.Time{}
		w.flush(ctx)
	}
}

func (w *walker) sendToRecorder(ctx workflow.Context) error {
	req := RecordRequest{Task: w.taskMeta(ctx), Transitions: w.unsent}
	if !w.mirror.created {
		req.Create = &CreateTask{Template: w.tmpl, Request: w.req}
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		Summary:             "record transitions",
	})
	var res RecordResult
	if err := workflow.ExecuteLocalActivity(lctx, RecordName, req).Get(ctx, &res); err != nil {
		return err
	}
	if !w.mirror.created {
		w.mirror.created = true
		if res.TaskID != 0 && w.taskID != res.TaskID {
			w.taskID = res.TaskID
			w.upsertTaskID(ctx)
		}
	}
	w.dropApplied(res.AppliedSeq)
	return nil
}

// dropApplied forgets the transitions the recorder applied.
func (w *walker) dropApplied(applied int64) {
	n := 0
	for n < len(w.unsent) && w.unsent[n].Seq <= applied {
		n++
	}
	w.unsent = append(w.unsent[:0], w.unsent[n:]...)
}

func (w *walker) taskMeta(ctx workflow.Context) tasker.TaskMeta {
	return tasker.TaskMeta{
		WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, TaskID: w.taskID,
		Namespace: w.tmpl.Namespace, Name: w.tmpl.Name, Version: w.tmpl.Version,
	}
}
