package events

import (
	"context"

	"github.com/tasker-systems/tasker-temporal"
)

// PublishTransitions publishes the lifecycle events of a task's transitions, in order: the
// recorder's publisher (worker.Publisher). Like Publish it never waits on a subscriber or a sink.
func (p *Publisher) PublishTransitions(ctx context.Context, task tasker.TaskMeta, ts []tasker.Transition) error {
	meta := TaskMeta{TaskID: task.TaskID, Namespace: task.Namespace, Name: task.Name, Version: task.Version}
	evs := make([]Event, 0, 3*len(ts))
	for _, t := range ts {
		evs = append(evs, FromTransition(t, meta)...)
	}
	return p.Publish(ctx, evs...)
}
