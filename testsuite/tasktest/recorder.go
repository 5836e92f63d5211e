package tasktest

import (
	"context"
	"sync"

	"github.com/tasker-systems/tasker-temporal"
)

// Recorder keeps every transition the recorder publishes, by workflow ID: hand it to
// EnvOptions.Publisher (or worker.Config.Publisher) and read what the workflow did.
type Recorder struct {
	mu sync.Mutex
	by map[string][]tasker.Transition
}

// PublishTransitions records ts (worker.Publisher).
func (r *Recorder) PublishTransitions(_ context.Context, task tasker.TaskMeta, ts []tasker.Transition) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.by == nil {
		r.by = map[string][]tasker.Transition{}
	}
	r.by[task.WorkflowID] = append(r.by[task.WorkflowID], ts...)
	return nil
}

// All returns every transition of every task, in the order each task made them.
func (r *Recorder) All() []tasker.Transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []tasker.Transition
	for _, ts := range r.by {
		out = append(out, ts...)
	}
	return out
}

// Task returns one task's transitions, in order.
func (r *Recorder) Task(workflowID string) []tasker.Transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tasker.Transition(nil), r.by[workflowID]...)
}

// Step returns the transitions of step to state to ("" = any state) of one task (workflowID "" =
// every task). Step "" means the task's own transitions.
func (r *Recorder) Step(workflowID, step, to string) []tasker.Transition {
	var out []tasker.Transition
	for _, t := range r.scope(workflowID) {
		entity := tasker.EntityStep
		if step == "" {
			entity = tasker.EntityTask
		}
		if t.Entity == entity && t.Step == step && (to == "" || t.To == to) {
			out = append(out, t)
		}
	}
	return out
}

// Path lists step's transitions (step "" = the task's own) as "from>to", in order ("" workflowID
// = every task).
func (r *Recorder) Path(workflowID, step string) []string {
	var out []string
	for _, t := range r.Step(workflowID, step, "") {
		out = append(out, t.From+">"+t.To)
	}
	return out
}

func (r *Recorder) scope(workflowID string) []tasker.Transition {
	if workflowID == "" {
		return r.All()
	}
	return r.Task(workflowID)
}
