package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/examples/handlers"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
)

func newEnv(t *testing.T) *tasktest.Env {
	t.Helper()
	ts, err := template.LoadDir("../examples/templates", "")
	require.NoError(t, err)
	reg := activities.NewRegistry()
	require.NoError(t, handlers.Register(reg))
	return tasktest.NewEnv(t, tasktest.EnvOptions{Templates: ts, Handlers: reg})
}

func TestStartErrorsHaveTypes(t *testing.T) {
	env := newEnv(t)
	tests := []struct {
		name      string
		req       tasker.TaskRequest
		wantField string // "" = template not found
	}{
		{"unknown template", tasker.TaskRequest{Namespace: "examples", Name: "nope"}, ""},
		{"unknown version", tasker.TaskRequest{Namespace: "examples", Name: "diamond", Version: "9.9.9"}, ""},
		{"no namespace", tasker.TaskRequest{Name: "diamond"}, "namespace"},
		{"no name", tasker.TaskRequest{Namespace: "examples"}, "name"},
		{"context fails the schema", tasker.TaskRequest{Namespace: "examples", Name: "diamond", Context: json.RawMessage(`{"number": "three"}`)}, "context"},
		{"unknown bypass step", tasker.TaskRequest{Namespace: "examples", Name: "diamond", BypassSteps: []string{"zz"}}, "bypass_steps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.Client.StartTask(t.Context(), tt.req, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "bad")})
			require.Error(t, err)
			var notFound *client.TemplateNotFoundError
			var invalid *client.InvalidRequestError
			if tt.wantField == "" {
				require.ErrorAs(t, err, &notFound)
				assert.Equal(t, tt.req.Name, notFound.Name)
				assert.Equal(t, tt.req.Version, notFound.Version)
				assert.False(t, errors.As(err, &invalid))
				return
			}
			require.ErrorAs(t, err, &invalid)
			assert.Equal(t, tt.wantField, invalid.Field)
			assert.False(t, errors.As(err, &notFound))
		})
	}
}

func TestOperationErrorsHaveTypes(t *testing.T) {
	env := newEnv(t)
	ctx := t.Context()

	missing := testsuite.UniqueName(t, "missing")
	_, err := env.Client.GetTask(ctx, missing)
	assert.ErrorIs(t, err, client.ErrTaskNotFound)
	assert.ErrorIs(t, env.Client.CancelTask(ctx, missing, ""), client.ErrTaskNotFound)
	assert.ErrorIs(t, env.Client.RetryStep(ctx, missing, "a", 1), client.ErrTaskNotFound)

	doomed, err := env.Client.StartTask(ctx, tasker.TaskRequest{Namespace: "examples", Name: "doomed"}, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "doomed")})
	require.NoError(t, err)
	waitState(t, env.Client, doomed.WorkflowID, tasker.StateError)

	err = env.Client.RetryStep(ctx, doomed.WorkflowID, "nope", 1)
	assert.ErrorIs(t, err, client.ErrStepNotFound)
	assert.NotErrorIs(t, err, client.ErrTaskNotFound)

	var rejected *client.RejectedError
	require.ErrorAs(t, env.Client.RetryStep(ctx, doomed.WorkflowID, "notify", 1), &rejected, "notify is pending, not in error")
	assert.Contains(t, rejected.Message, "only a step in error can be retried")

	require.NoError(t, env.Client.CancelTask(ctx, doomed.WorkflowID, "test"))
	_, err = env.Client.WaitTask(ctx, doomed.WorkflowID)
	require.NoError(t, err)
	for name, op := range map[string]func() error{
		"retry":   func() error { return env.Client.RetryStep(ctx, doomed.WorkflowID, "charge", 1) },
		"resolve": func() error { return env.Client.ResolveStep(ctx, doomed.WorkflowID, "charge", nil, "") },
		"cancel":  func() error { return env.Client.CancelTask(ctx, doomed.WorkflowID, "") },
	} {
		err := op()
		require.ErrorIs(t, err, client.ErrTaskClosed, name)
		var closed *client.TaskClosedError
		require.ErrorAs(t, err, &closed, name)
		assert.Equal(t, tasker.StateCancelled, closed.State, name)
		assert.NotErrorIs(t, err, client.ErrTaskNotFound, name)
	}
}

func TestListPageFollowsTheCursor(t *testing.T) {
	env := newEnv(t)
	ctx := t.Context()
	prefix := testsuite.UniqueName(t, "page")
	for i := range 3 {
		task, err := env.Client.StartTask(ctx, tasker.TaskRequest{Namespace: "examples", Name: "diamond", Context: json.RawMessage(`{"number": 1}`)},
			client.StartOptions{WorkflowID: prefix + "-" + string(rune('a'+i))})
		require.NoError(t, err)
		_, err = env.Client.WaitTask(ctx, task.WorkflowID)
		require.NoError(t, err)
	}
	f := client.ListFilter{Query: "WorkflowId STARTS_WITH '" + prefix + "'", Limit: 2}
	var seen []string
	require.Eventually(t, func() bool {
		all, err := env.Client.ListTasks(ctx, client.ListFilter{Query: f.Query})
		return err == nil && len(all) == 3
	}, 10*time.Second, 50*time.Millisecond, "visibility shows the 3 tasks")

	first, err := env.Client.ListPage(ctx, f)
	require.NoError(t, err)
	require.Len(t, first.Tasks, 2)
	require.NotEmpty(t, first.NextCursor)
	f.Cursor = first.NextCursor
	second, err := env.Client.ListPage(ctx, f)
	require.NoError(t, err)
	require.Len(t, second.Tasks, 1)
	for _, s := range append(first.Tasks, second.Tasks...) {
		seen = append(seen, s.WorkflowID)
		assert.Equal(t, "diamond", s.Name)
	}
	assert.ElementsMatch(t, []string{prefix + "-a", prefix + "-b", prefix + "-c"}, seen)

	var bad *client.InvalidCursorError
	_, err = env.Client.ListPage(ctx, client.ListFilter{Cursor: "!!not base64"})
	assert.ErrorAs(t, err, &bad)
}

func waitState(t *testing.T, c *client.Client, workflowID, state string) {
	t.Helper()
	require.Eventually(t, func() bool {
		res, err := c.GetTask(context.Background(), workflowID)
		return err == nil && res.Status == state
	}, 30*time.Second, 50*time.Millisecond, "task %s reaches %s", workflowID, state)
}
