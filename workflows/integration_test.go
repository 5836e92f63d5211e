package workflows_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	sdkworker "go.temporal.io/sdk/worker"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	sdkclient "go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/examples/handlers"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
	"github.com/tasker-systems/tasker-temporal/worker"
)

var updateHistories = flag.Bool("update-histories", false, "record the integration tests' histories into testdata/histories for the replay test")

// TestMain runs the package's tests on one Temporal server. With TASKER_REPLAY_EVERY_TASK=1 the
// workers keep no workflow in cache, so every workflow task replays the whole history first:
// `make test` runs the examples that way too, which catches any difference between a live run
// and its replay (the kind of bug that shows only when a worker dies and another takes over).
func TestMain(m *testing.M) {
	if os.Getenv("TASKER_REPLAY_EVERY_TASK") != "" {
		sdkworker.SetStickyWorkflowCacheSize(0)
	}
	testsuite.Main(m)
}

func exampleTemplates(t *testing.T) []*template.Template {
	t.Helper()
	ts, err := template.LoadDir("../examples/templates", "")
	require.NoError(t, err)
	return ts
}

func exampleHandlers(t *testing.T) *activities.Registry {
	t.Helper()
	reg := activities.NewRegistry()
	require.NoError(t, handlers.Register(reg))
	return reg
}

func newExampleEnv(t *testing.T, opts tasktest.EnvOptions) *tasktest.Env {
	opts.Templates = exampleTemplates(t)
	opts.Handlers = exampleHandlers(t)
	return tasktest.NewEnv(t, opts)
}

func TestExamplesEndToEnd(t *testing.T) {
	env := newExampleEnv(t, tasktest.EnvOptions{})

	t.Run("diamond", func(t *testing.T) {
		res := env.Run(t, tasker.TaskRequest{Namespace: "examples", Name: "diamond", Context: json.RawMessage(`{"number": 3}`)})
		require.Equal(t, tasker.StateComplete, res.Status)
		want := map[string]string{"a": `{"value":9}`, "b": `{"value":19}`, "c": `{"value":27}`, "d": `{"value":46}`}
		for _, s := range res.Steps {
			assert.JSONEq(t, want[s.Name], string(s.Results), s.Name)
		}
		recordHistory(t, env, res.WorkflowID, "diamond")
	})

	t.Run("flaky", func(t *testing.T) {
		res := env.Run(t, tasker.TaskRequest{Namespace: "examples", Name: "flaky"})
		require.Equal(t, tasker.StateComplete, res.Status)
		s, _ := res.Step("call_api")
		assert.Equal(t, 3, s.Attempts)
		recordHistory(t, env, res.WorkflowID, "flaky")
	})

	t.Run("doomed then resolved", func(t *testing.T) {
		ctx := context.Background()
		task, err := env.Client.StartTask(ctx, tasker.TaskRequest{Namespace: "examples", Name: "doomed"}, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "doomed")})
		require.NoError(t, err)
		res := waitFor(t, env, task.WorkflowID, func(r tasker.TaskResult) bool { return r.Status == tasker.StateError })
		notify, _ := res.Step("notify")
		assert.Equal(t, tasker.StatePending, notify.Status)
		assert.Equal(t, 0, notify.Attempts, "the dependent step never ran")

		var rejected *client.RejectedError
		require.ErrorAs(t, env.Client.RetryStep(ctx, task.WorkflowID, "notify", 1), &rejected)
		assert.Contains(t, rejected.Message, "only a step in error can be retried")
		require.NoError(t, env.Client.ResolveStep(ctx, task.WorkflowID, "charge", json.RawMessage(`{"charged_by":"operator"}`), "paid by phone"))
		final, err := env.Client.WaitTask(ctx, task.WorkflowID)
		require.NoError(t, err)
		assert.Equal(t, tasker.StateComplete, final.Status)
		recordHistory(t, env, task.WorkflowID, "doomed-resolved")
	})
}

func TestStartTaskIsIdempotentPerRequest(t *testing.T) {
	env := newExampleEnv(t, tasktest.EnvOptions{})
	ctx := context.Background()
	req := tasker.TaskRequest{Namespace: "examples", Name: "diamond", Context: json.RawMessage(`{"number": 5, "id": "` + testsuite.UniqueName(t, "x") + `"}`), RequestedAt: time.Now()}
	first, err := env.Client.StartTask(ctx, req, client.StartOptions{})
	require.NoError(t, err)
	_, err = env.Client.WaitTask(ctx, first.WorkflowID)
	require.NoError(t, err)

	again, err := env.Client.StartTask(ctx, req, client.StartOptions{})
	require.NoError(t, err)
	assert.Equal(t, first.WorkflowID, again.WorkflowID, "the same request within the minute is the same task")
	assert.True(t, again.Existing)
	assert.Equal(t, first.RunID, again.RunID)

	req.Context = json.RawMessage(`{"number": 6, "id": "other"}`)
	other, err := env.Client.StartTask(ctx, req, client.StartOptions{})
	require.NoError(t, err)
	assert.NotEqual(t, first.WorkflowID, other.WorkflowID)
}

func TestStartRefusesBadRequestsBeforeAnyWorkflow(t *testing.T) {
	env := newExampleEnv(t, tasktest.EnvOptions{})
	ctx := context.Background()
	tests := []struct {
		name  string
		req   tasker.TaskRequest
		field string // the invalid field; "" = template not found
		want  []string
	}{
		{"unknown template", tasker.TaskRequest{Namespace: "examples", Name: "nope"}, "", []string{"examples/nope"}},
		{"unknown version", tasker.TaskRequest{Namespace: "examples", Name: "diamond", Version: "9.9.9"}, "", []string{"9.9.9", "1.0.0"}},
		{"context fails the schema", tasker.TaskRequest{Namespace: "examples", Name: "diamond", Context: json.RawMessage(`{"number": "three"}`)}, "context", []string{"number"}},
		{"unknown bypass step", tasker.TaskRequest{Namespace: "examples", Name: "diamond", BypassSteps: []string{"zz"}}, "bypass_steps", []string{"zz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := testsuite.UniqueName(t, "bad")
			_, err := env.Client.StartTask(ctx, tt.req, client.StartOptions{WorkflowID: id})
			var notFound *client.TemplateNotFoundError
			var invalid *client.InvalidRequestError
			if tt.field == "" {
				require.ErrorAs(t, err, &notFound)
			} else {
				require.ErrorAs(t, err, &invalid)
				assert.Equal(t, tt.field, invalid.Field)
			}
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w, "the message says what is wrong")
			}
			// Asked by ID (not through visibility, which lags): no workflow was started.
			_, err = env.Temporal.DescribeWorkflowExecution(ctx, id, "")
			var noWorkflow *serviceerror.NotFound
			assert.ErrorAs(t, err, &noWorkflow, "no workflow was started for a bad request")
		})
	}
}

// TestStartWithoutLocalTemplatesGetsTheWorkersVerdict starts bad requests through a client that
// has no templates of its own (the CLI run outside the repository): the start's update answers
// with the worker's refusal, in one line, instead of "started".
func TestStartWithoutLocalTemplatesGetsTheWorkersVerdict(t *testing.T) {
	env := newExampleEnv(t, tasktest.EnvOptions{})
	bare := client.New(env.Temporal, client.Options{TaskQueue: env.TaskQueue})
	ctx := context.Background()
	var notFound *client.TemplateNotFoundError
	var invalid *client.InvalidRequestError
	tests := []struct {
		name   string
		req    tasker.TaskRequest
		target any
		want   []string
	}{
		{"unknown template", tasker.TaskRequest{Namespace: "examples", Name: "nope"}, &notFound, []string{"examples/nope"}},
		{"context fails the schema", tasker.TaskRequest{Namespace: "examples", Name: "diamond", Context: json.RawMessage(`{"number": "three"}`)}, &invalid, []string{"context", "number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bare.StartTask(ctx, tt.req, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "verdict")})
			require.Error(t, err)
			require.ErrorAs(t, err, tt.target)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "activity error", "the local activity that carried the refusal is not the user's business")
		})
	}
	task, err := bare.StartTask(ctx, tasker.TaskRequest{Namespace: "examples", Name: "diamond", Context: json.RawMessage(`{"number": 3}`)},
		client.StartOptions{WorkflowID: testsuite.UniqueName(t, "verdict-ok")})
	require.NoError(t, err)
	assert.NotEmpty(t, task.RunID)
	res, err := bare.WaitTask(ctx, task.WorkflowID)
	require.NoError(t, err)
	assert.Equal(t, tasker.StateComplete, res.Status)
}

func TestCancelWideLeavesNoActivityRunning(t *testing.T) {
	env := newExampleEnv(t, tasktest.EnvOptions{})
	ctx := context.Background()
	task, err := env.Client.StartTask(ctx, tasker.TaskRequest{Namespace: "examples", Name: "wide", Context: json.RawMessage(`{"sleep_ms": 60000}`)},
		client.StartOptions{WorkflowID: testsuite.UniqueName(t, "wide")})
	require.NoError(t, err)
	waitFor(t, env, task.WorkflowID, func(r tasker.TaskResult) bool {
		s, _ := r.Step("start")
		return s.Status == tasker.StateInProgress
	})
	require.NoError(t, env.Client.CancelTask(ctx, task.WorkflowID, "test"))
	res, err := env.Client.WaitTask(ctx, task.WorkflowID)
	require.NoError(t, err)
	assert.Equal(t, tasker.StateCancelled, res.Status)
	for _, s := range res.Steps {
		assert.Equal(t, tasker.StateCancelled, s.Status, s.Name)
	}
	desc, err := env.Temporal.DescribeWorkflowExecution(ctx, task.WorkflowID, "")
	require.NoError(t, err)
	assert.Empty(t, desc.GetPendingActivities(), "no activity is left running")
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, desc.GetWorkflowExecutionInfo().GetStatus())
}

func TestContinueAsNewCarriesTheDAG(t *testing.T) {
	yaml := "name: long\nnamespace_name: examples\nversion: 1.0.0\nsteps:\n"
	for i := range 60 {
		yaml += fmt.Sprintf("  - name: s%03d\n    handler: {callable: Examples::Echo}\n", i)
		if i > 0 {
			yaml += fmt.Sprintf("    dependencies: [s%03d]\n", i-1)
		}
	}
	tmpl, err := template.Parse([]byte(yaml), "long.yaml", "")
	require.NoError(t, err)
	rec := &tasktest.Recorder{}
	env := tasktest.NewEnv(t, tasktest.EnvOptions{
		Templates: []*template.Template{tmpl}, Handlers: exampleHandlers(t), Publisher: rec,
		Settings: worker.Settings{HistoryLimit: 100},
	})
	res := env.Run(t, tasker.TaskRequest{Namespace: "examples", Name: "long"})
	require.Equal(t, tasker.StateComplete, res.Status)
	for _, s := range res.Steps {
		require.Equal(t, tasker.StateComplete, s.Status, s.Name)
		require.Equal(t, 1, s.Attempts, s.Name)
	}

	runs := 0
	hist := env.Temporal.GetWorkflowHistory(context.Background(), res.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for hist.HasNext() {
		ev, err := hist.Next()
		require.NoError(t, err)
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
			runs++
			assert.NotEmpty(t, ev.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId(), "the last run continued from another")
		}
	}
	assert.Equal(t, 1, runs)
	all := rec.All()
	require.Len(t, all, 2+60*2, "every transition once, across runs")
	for i, tr := range all {
		require.Equal(t, int64(i+1), tr.Seq, "Seq continues across continue-as-new")
	}
}

// waitFor polls the task until cond holds.
func waitFor(t *testing.T, env *tasktest.Env, workflowID string, cond func(tasker.TaskResult) bool) tasker.TaskResult {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := env.Client.GetTask(context.Background(), workflowID)
		if err == nil && cond(res) {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s: condition not met in 30s (last: %+v, %v)", workflowID, res.Status, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// historyVersion prefixes the histories recorded now: the files of earlier versions stay beside
// them, since tasks they started may still be running when a new worker deploys.
const historyVersion = "v2"

// recordHistory writes the workflow's history to testdata/histories/<version>-<name>.json with
// -update-histories, for TestReplayRecordedHistories.
func recordHistory(t *testing.T, env *tasktest.Env, workflowID, name string) {
	t.Helper()
	if !*updateHistories {
		return
	}
	writeHistory(t, env.Temporal, workflowID, filepath.Join("testdata", "histories", historyVersion+"-"+strings.ReplaceAll(name, "/", "-")+".json"))
}

// writeHistory writes a workflow's history as JSON, the format the replayer reads.
func writeHistory(tb testing.TB, tc sdkclient.Client, workflowID, path string) {
	tb.Helper()
	hist := tc.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []json.RawMessage
	for hist.HasNext() {
		ev, err := hist.Next()
		require.NoError(tb, err)
		b, err := protojson.Marshal(ev)
		require.NoError(tb, err)
		events = append(events, b)
	}
	out, err := json.MarshalIndent(map[string]any{"events": events}, "", " ")
	require.NoError(tb, err)
	require.NoError(tb, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(tb, os.WriteFile(path, out, 0o644))
}
