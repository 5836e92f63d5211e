package compat_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/compat"
)

// railsTaskMidway inserts, with plain SQL as a Rails app leaves them, task "rails-2" of
// a → {b, c} → d in the middle of its run: a complete with results; b in error after 2 of 3
// attempts with a 4 s backoff, an hour ago; c in process (attempt 1, skippable); d pending and
// bypassed. It returns the task id.
func railsTaskMidway(t *testing.T, store *compat.Store, bypass string) int64 {
	t.Helper()
	var taskID int64
	err := store.Pool().QueryRow(context.Background(), `
		WITH ns AS (INSERT INTO tasker_task_namespaces (name, created_at, updated_at) VALUES ('payments', now(), now()) RETURNING task_namespace_id),
		ds AS (INSERT INTO tasker_dependent_systems (name, created_at, updated_at) VALUES ('default', now(), now()) RETURNING dependent_system_id),
		nt AS (INSERT INTO tasker_named_tasks (name, task_namespace_id, version, created_at, updated_at)
		       SELECT 'charge_card', task_namespace_id, '2.0.0', now(), now() FROM ns RETURNING named_task_id),
		named AS (INSERT INTO tasker_named_steps (dependent_system_id, name, created_at, updated_at)
		          SELECT dependent_system_id, n, now(), now() FROM ds, unnest(ARRAY['a', 'b', 'c', 'd']) n RETURNING named_step_id, name),
		task AS (INSERT INTO tasker_tasks (named_task_id, requested_at, identity_hash, context, bypass_steps, created_at, updated_at)
		         SELECT named_task_id, now() - interval '2 hours', 'rails-2', '{"card":"4242"}', $1::json,
		                now() - interval '2 hours', now() FROM nt RETURNING task_id),
		steps AS (INSERT INTO tasker_workflow_steps (task_id, named_step_id, retryable, retry_limit, in_process, processed, processed_at,
		                  attempts, last_attempted_at, backoff_request_seconds, results, skippable, created_at, updated_at)
		          SELECT task.task_id, named.named_step_id, true, 3, v.in_process, v.processed, v.processed_at,
		                 v.attempts, v.last_attempted_at, v.backoff, v.results::jsonb, v.skippable, now() - interval '2 hours', now()
		          FROM task, named JOIN (VALUES
		              ('a', false, true, now() - interval '90 minutes', 1, now() - interval '91 minutes', NULL::int, '{"charged":true}', false),
		              ('b', false, false, NULL::timestamp, 2, now() - interval '61 minutes', 4, '{"error":"timeout","error_class":"Net::ReadTimeout"}', false),
		              ('c', true, false, NULL::timestamp, 1, now() - interval '1 minute', NULL::int, NULL, true),
		              ('d', false, false, NULL::timestamp, NULL::int, NULL::timestamp, NULL::int, NULL, false))
		            AS v(name, in_process, processed, processed_at, attempts, last_attempted_at, backoff, results, skippable)
		            ON v.name = named.name
		          RETURNING workflow_step_id, named_step_id),
		by_name AS (SELECT s.workflow_step_id, n.name FROM steps s JOIN named n USING (named_step_id)),
		edges AS (INSERT INTO tasker_workflow_step_edges (from_step_id, to_step_id, name, created_at, updated_at)
		          SELECT p.workflow_step_id, c.workflow_step_id, 'provides', now(), now()
		          FROM (VALUES ('a', 'b'), ('a', 'c'), ('b', 'd'), ('c', 'd')) AS e(f, t)
		          JOIN by_name p ON p.name = e.f JOIN by_name c ON c.name = e.t),
		transitions AS (INSERT INTO tasker_workflow_step_transitions (to_state, from_state, sort_key, most_recent, workflow_step_id, created_at, updated_at)
		          SELECT x.to_state, x.from_state, x.sort_key, x.most_recent, s.workflow_step_id, now() - x.ago * interval '1 minute', now()
		          FROM by_name s JOIN (VALUES
		              ('a', 'in_progress', NULL, 0, false, 91), ('a', 'complete', 'in_progress', 10, true, 90),
		              ('b', 'in_progress', NULL, 0, false, 89), ('b', 'error', 'in_progress', 10, false, 88),
		              ('b', 'pending', 'error', 20, false, 62), ('b', 'in_progress', 'pending', 30, false, 61),
		              ('b', 'error', 'in_progress', 40, true, 60),
		              ('c', 'in_progress', NULL, 0, true, 1))
		            AS x(name, to_state, from_state, sort_key, most_recent, ago) ON x.name = s.name),
		task_tr AS (INSERT INTO tasker_task_transitions (to_state, from_state, sort_key, most_recent, task_id, created_at, updated_at)
		          SELECT 'in_progress', NULL, 0, true, task_id, now() - interval '91 minutes', now() FROM task)
		SELECT task_id FROM task`, bypass).Scan(&taskID)
	require.NoError(t, err)
	return taskID
}

func TestAdoptReadsRailsStepState(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{railsSchema, ourSchema} {
		t.Run(kind, func(t *testing.T) {
			store := newStore(t, kind)
			taskID := railsTaskMidway(t, store, `["d"]`)
			rec, err := store.AdoptTask(ctx, taskID)
			require.NoError(t, err)

			assert.Equal(t, []string{"payments", "charge_card", "2.0.0"}, []string{rec.Namespace, rec.Name, rec.Version})
			assert.JSONEq(t, `{"card":"4242"}`, string(rec.Context))
			assert.Equal(t, []string{"d"}, rec.BypassSteps)
			assert.Equal(t, tasker.StateInProgress, rec.TaskState)
			assert.Equal(t, map[string][]string{"b": {"a"}, "c": {"a"}, "d": {"b", "c"}}, rec.Parents)

			require.Len(t, rec.Steps, 4)
			a, b, c, d := rec.Steps["a"], rec.Steps["b"], rec.Steps["c"], rec.Steps["d"]
			for name, s := range rec.Steps {
				assert.Equal(t, rec.StepIDs[name], s.ID)
				assert.Equal(t, rec.StepStates[name], s.State)
			}
			assert.Equal(t, tasker.StateComplete, a.State)
			assert.True(t, a.Processed)
			assert.JSONEq(t, `{"charged":true}`, string(a.Results), "a complete step keeps its results for its dependents")

			assert.Equal(t, tasker.StateError, b.State)
			assert.Equal(t, []int{2, 3}, []int{b.Attempts, b.RetryLimit}, "attempts and retry limit carry over")
			require.NotNil(t, b.BackoffRequestSeconds)
			assert.Equal(t, 4, *b.BackoffRequestSeconds)
			require.NotNil(t, b.LastAttemptedAt)
			assert.WithinDuration(t, time.Now().Add(-61*time.Minute), *b.LastAttemptedAt, 2*time.Minute)
			assert.WithinDuration(t, time.Now().Add(-60*time.Minute), b.StateAt, 2*time.Minute, "when the error happened")
			assert.JSONEq(t, `{"error":"timeout","error_class":"Net::ReadTimeout"}`, string(b.Results))

			assert.Equal(t, tasker.StateInProgress, c.State)
			assert.True(t, c.InProcess)
			assert.True(t, c.Skippable)
			assert.Equal(t, 1, c.Attempts)
			assert.Nil(t, c.Results)

			assert.Equal(t, tasker.StatePending, d.State)
			assert.Zero(t, d.Attempts, "NULL attempts read as 0")
			assert.True(t, d.StateAt.IsZero(), "no transition yet")
			assert.Nil(t, d.BackoffRequestSeconds)
			assert.Nil(t, d.LastAttemptedAt)

			// Tasker's functions read the same rows the same way: b is ready again (backoff long
			// past, attempts left), c is running.
			ec, err := store.ExecutionContext(ctx, taskID)
			require.NoError(t, err)
			assert.Equal(t, []any{compat.StatusHasReadySteps, int64(1), int64(1), int64(1), int64(1), "recovering"},
				[]any{ec.ExecutionStatus, ec.ReadySteps, ec.InProgressSteps, ec.FailedSteps, ec.CompletedSteps, ec.HealthStatus})
		})
	}
}

func TestAdoptRefusesBadBypassSteps(t *testing.T) {
	store := newStore(t, railsSchema)
	taskID := railsTaskMidway(t, store, `{"d":true}`)
	_, err := store.AdoptTask(context.Background(), taskID)
	assert.ErrorContains(t, err, "bypass_steps")
	assert.ErrorContains(t, err, "not a JSON array of step names")
}

func TestCreatedTaskRecordHasStepRows(t *testing.T) {
	store := newStore(t, ourSchema)
	tmpl := oneShot()
	rec, err := store.CreateTask(context.Background(), tmpl, request(tmpl.Name), "wf-steps")
	require.NoError(t, err)
	again, err := store.CreateTask(context.Background(), tmpl, request(tmpl.Name), "wf-steps")
	require.NoError(t, err)
	want := compat.StepRecord{ID: rec.StepIDs["s0"], State: tasker.StatePending, RetryLimit: 1, Retryable: true}
	assert.Equal(t, want, rec.Steps["s0"], "a fresh task")
	got := again.Steps["s0"]
	assert.False(t, got.StateAt.IsZero(), "read back: the initial pending transition")
	got.StateAt = time.Time{}
	assert.Equal(t, want, got, "a retried CreateTask reads the same step back")
	assert.Equal(t, json.RawMessage(nil), got.Results)
}
