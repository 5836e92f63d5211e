package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
)

// attempts holds the task's running step attempts and the one coroutine that serves them all.
//
// The main loop starts an attempt by queueing it; the runner coroutine issues its activity and,
// when it finishes, hands its outcome back in start order. A coroutine per attempt (the first
// version of this workflow) made the SDK's dispatcher switch to every running step's goroutine
// on every pass, which dominated the workflow's CPU on wide DAGs. The runner keeps that version's
// command order, so recorded histories replay: an attempt's activity is issued when the main loop
// yields, after the commands the main loop made before yielding, and outcomes reach the main loop
// on the pass after they arrive, together with whatever an update handler did on that pass.
type attempts struct {
	queued   []flight     // started by the main loop, activity not issued yet
	running  []flight     // activity issued, not finished
	finished []completion // finished, in start order, not yet applied by the main loop
}

// flight is one attempt of a step.
type flight struct {
	step    int
	issue   func() workflow.Future // issues the attempt's activity
	future  workflow.Future
	cancel  workflow.CancelFunc
	started time.Time
}

// completion is a finished attempt's outcome.
type completion struct {
	step   int
	result tasker.StepResult
	err    error
}

// count is the number of attempts started and not yet applied: what the in-flight cap counts.
func (a *attempts) count() int { return len(a.queued) + len(a.running) + len(a.finished) }

// start queues an attempt; its activity is issued when the main loop next yields.
func (a *attempts) start(f flight) { a.queued = append(a.queued, f) }

// take returns the finished attempts' outcomes, in start order, for the main loop to apply.
func (a *attempts) take() []completion {
	done := a.finished
	a.finished = nil
	return done
}

// settled reports whether every started attempt has finished.
func (a *attempts) settled() bool { return len(a.queued) == 0 && len(a.running) == 0 }

// cancelAll cancels every attempt not yet finished, in step order (deterministic).
func (a *attempts) cancelAll() {
	all := append(append([]flight(nil), a.running...), a.queued...)
	slices.SortFunc(all, func(x, y flight) int { return x.step - y.step })
	for _, f := range all {
		f.cancel()
	}
}

// serve is the runner coroutine: it never returns; the workflow ends around it.
func (a *attempts) serve(ctx workflow.Context) {
	// Disconnected: a cancel of the task must not wake this loop for ever; the attempts' own
	// contexts carry the cancel to the activities.
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	for {
		_ = workflow.Await(ctx, func() bool { return len(a.queued) > 0 || a.anyFinished() })
		a.collect(ctx)
		a.issueQueued()
	}
}

func (a *attempts) anyFinished() bool {
	for i := range a.running {
		if a.running[i].future.IsReady() {
			return true
		}
	}
	return false
}

// collect moves the finished attempts from running to finished, keeping start order.
func (a *attempts) collect(ctx workflow.Context) {
	keep := a.running[:0]
	for _, f := range a.running {
		if !f.future.IsReady() {
			keep = append(keep, f)
			continue
		}
		c := completion{step: f.step}
		c.err = f.future.Get(ctx, &c.result) // ready: does not block
		if c.err == nil {
			if c.result.Metadata == nil {
				c.result.Metadata = map[string]any{}
			}
			c.result.Metadata["execution_duration"] = workflow.Now(ctx).Sub(f.started).Seconds()
		}
		a.finished = append(a.finished, c)
	}
	clear(a.running[len(keep):])
	a.running = keep
}

func (a *attempts) issueQueued() {
	for _, f := range a.queued {
		f.future = f.issue()
		f.issue = nil
		a.running = append(a.running, f)
	}
	clear(a.queued)
	a.queued = a.queued[:0]
}
