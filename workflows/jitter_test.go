package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkclient "go.temporal.io/sdk/client"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/worker"
)

// TestBackoffJitterSpreadsRetriesAndReplaysTheSame runs the same failing step in tasks of
// different workflow IDs: each waits the template's 1 s ±10%, the waits differ between tasks (so
// a fleet of retries does not stampede), and the same workflow ID always waits the same (the
// jitter is derived, not random, so a replay agrees).
func TestBackoffJitterSpreadsRetriesAndReplaysTheSame(t *testing.T) {
	wait := func(t *testing.T, workflowID string) time.Duration {
		failOnce := func(_ context.Context, req tasker.StepRequest) (tasker.StepResult, error) {
			if req.Step.Attempt == 1 {
				return tasker.StepResult{}, errors.New("upstream down")
			}
			return tasker.StepResult{Results: json.RawMessage(`"ok"`)}, nil
		}
		h := newHarness(t, mustParse(t, flakyYAML), worker.Settings{}, map[string]any{"Flaky": failOnce})
		h.env.SetStartWorkflowOptions(sdkclient.StartWorkflowOptions{ID: workflowID})
		_, err := h.run(tasker.TaskRequest{Namespace: "test", Name: "flaky"})
		require.NoError(t, err)
		errs, starts := h.rec.Step("", "call", tasker.StateError), h.rec.Step("", "call", tasker.StateInProgress)
		require.Len(t, errs, 1)
		require.Len(t, starts, 2)
		return starts[1].At.Sub(errs[0].At)
	}
	ids := []string{"task-a", "task-b", "task-c", "task-d", "task-e", "task-f"}
	distinct := map[time.Duration]bool{}
	for _, id := range ids {
		d := wait(t, id)
		assert.InDelta(t, time.Second.Seconds(), d.Seconds(), 0.1+1e-9, "%s: the base backoff ±10%%", id)
		distinct[d] = true
	}
	assert.Greater(t, len(distinct), len(ids)/2, "tasks wait different times: the jitter is applied (waits: %v)", distinct)
	assert.Equal(t, wait(t, "task-a"), wait(t, "task-a"), "the same task waits the same on every run")
}
