package workflows_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/events"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
)

// TestEveryTransitionPublishesItsEvents runs a task with the recorder publishing to an in-process
// subscriber: every transition yields Tasker's events, in order, once.
func TestEveryTransitionPublishesItsEvents(t *testing.T) {
	pub := events.NewPublisher(zap.NewNop())
	var mu sync.Mutex
	var got []events.Event
	_, err := pub.Subscribe(">", func(_ context.Context, ev events.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
		return nil
	})
	require.NoError(t, err)
	env := newExampleEnv(t, tasktest.EnvOptions{Publisher: pub})
	res := env.Run(t, tasker.TaskRequest{Namespace: "examples", Name: "flaky"})
	require.Equal(t, tasker.StateComplete, res.Status)
	require.NoError(t, pub.Close(context.Background()))

	mu.Lock()
	defer mu.Unlock()
	var names []string
	ids := map[string]bool{}
	for _, ev := range got {
		assert.Equal(t, res.WorkflowID, ev.WorkflowID)
		assert.False(t, ids[ev.ID], "event %s delivered twice", ev.ID)
		ids[ev.ID] = true
		if ev.Step == "call_api" || ev.Step == "" {
			names = append(names, ev.Name)
		}
	}
	assert.Equal(t, []string{
		"task.before_transition", "task.start_requested", "workflow.task_started",
		"step.execution_requested", "step.failed", "workflow.step_failed", "observability.step.backoff",
		"step.retry_requested", "step.execution_requested", "step.failed", "workflow.step_failed", "observability.step.backoff",
		"step.retry_requested", "step.execution_requested", "step.completed", "workflow.step_completed",
		"task.before_transition", "task.completed", "workflow.task_completed",
	}, names)
}
