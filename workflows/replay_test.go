package workflows_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/workflows"
)

// TestReplayRecordedHistories replays histories recorded from real runs against the current
// workflow code: a change that breaks determinism for tasks already running fails here.
// testdata/histories holds the examples of every version (v1-* from the first, v2-* recorded by
// go test ./workflows -run TestExamplesEndToEnd -update-histories), testdata/bench the
// benchmark's (-run '^$' -bench WorkflowCPU -update-histories).
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*.json")
	require.NoError(t, err)
	bench, err := filepath.Glob("testdata/bench/*.json")
	require.NoError(t, err)
	for _, f := range bench {
		if !strings.HasSuffix(f, "-sdk.json") { // the hand-written baseline's, not ours
			files = append(files, f)
		}
	}
	require.NotEmpty(t, files, "no recorded histories")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.TaskWorkflow, workflow.RegisterOptions{Name: tasker.WorkflowType})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
