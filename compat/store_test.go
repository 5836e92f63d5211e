package compat_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/compat"
	"github.com/tasker-systems/tasker-temporal/dag"
	"github.com/tasker-systems/tasker-temporal/migrations"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		url  string
		want []string
	}{
		{"malformed", "postgres://app:s3cret-pw@127.0.0.1:notaport/db", []string{"malformed database URL"}},
		{"unreachable", "postgres://app:s3cret-pw@127.0.0.1:1/db?connect_timeout=2", []string{"127.0.0.1:1", "unreachable", `database "db"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := compat.Open(ctx, tt.url)
			require.Error(t, err)
			assert.Nil(t, s)
			for _, w := range tt.want {
				assert.ErrorContains(t, err, w)
			}
			assert.NotContains(t, err.Error(), "s3cret-pw", "the password is redacted")
		})
	}
	t.Run("reachable", func(t *testing.T) {
		s, err := compat.Open(ctx, testsuite.NewDatabase(t))
		require.NoError(t, err)
		defer s.Close()
		require.NoError(t, s.Pool().Ping(ctx))
	})
}

func TestCreateTaskRows(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, ourSchema)
	req := request("order_fulfillment")
	req.BypassSteps = []string{"c"}
	rec, err := store.CreateTask(ctx, diamond(), req, "wf-rows")
	require.NoError(t, err)
	assert.False(t, rec.Adopted)
	assert.Equal(t, tasker.StatePending, rec.TaskState)
	assert.Len(t, rec.StepIDs, 4)
	assert.Equal(t, map[string]string{"a": "pending", "b": "pending", "c": "pending", "d": "pending"}, rec.StepStates)
	assert.Equal(t, map[string][]string{"b": {"a"}, "c": {"a"}, "d": {"b", "c"}}, rec.Parents)
	assert.Equal(t, "wf-rows", rec.WorkflowID)
	assert.Zero(t, rec.AppliedSeq)

	q := func(sql string, args ...any) string {
		t.Helper()
		var s string
		require.NoError(t, store.Pool().QueryRow(ctx, sql, args...).Scan(&s), sql)
		return s
	}
	tests := []struct{ name, sql, want string }{
		{"task", `SELECT concat_ws('|', t.identity_hash, t.requested_at, t.initiator, t.source_system, t.reason, t.tags, t.bypass_steps, t.context, t.complete)
			FROM tasker_tasks t WHERE task_id = $1`,
			compat.IdentityHash("wf-rows") + `|2026-03-01 09:30:00|tests|go|testing|["t1", "t2"]|["c"]|{"order_id": 42}|f`},
		{"catalog", `SELECT concat_ws('|', ns.name, nt.name, nt.version, nt.description, nt.configuration->>'name', jsonb_array_length(nt.configuration->'steps'))
			FROM tasker_tasks t JOIN tasker_named_tasks nt USING (named_task_id) JOIN tasker_task_namespaces ns USING (task_namespace_id) WHERE t.task_id = $1`,
			"ecommerce|order_fulfillment|1.2.0|fulfil an order|order_fulfillment|4"},
		{"named steps", `SELECT string_agg(ns.name || '@' || ds.name || ':' || ntns.default_retry_limit || ':' || ntns.default_retryable || ':' || ntns.skippable, ',' ORDER BY ns.name)
			FROM tasker_named_tasks_named_steps ntns JOIN tasker_named_steps ns USING (named_step_id) JOIN tasker_dependent_systems ds USING (dependent_system_id)`,
			"a@payments:3:true:false,b@default:3:true:false,c@default:3:true:true,d@default:3:true:false"},
		{"steps", `SELECT string_agg(concat_ws(':', ns.name, ws.retry_limit, ws.retryable, ws.skippable, ws.attempts, ws.in_process, ws.processed, ws.inputs), ',' ORDER BY ns.name)
			FROM tasker_workflow_steps ws JOIN tasker_named_steps ns USING (named_step_id) WHERE ws.task_id = $1`,
			`a:3:t:f:0:f:f:{"order_id": 42},b:3:t:f:0:f:f:{"order_id": 42},c:3:t:t:0:f:f:{"order_id": 42},d:3:t:f:0:f:f:{"order_id": 42}`},
		{"edges", `SELECT string_agg(f.name || '-' || e.name || '->' || tn.name, ',' ORDER BY e.id)
			FROM tasker_workflow_step_edges e
			JOIN tasker_workflow_steps fs ON fs.workflow_step_id = e.from_step_id JOIN tasker_named_steps f ON f.named_step_id = fs.named_step_id
			JOIN tasker_workflow_steps ts ON ts.workflow_step_id = e.to_step_id JOIN tasker_named_steps tn ON tn.named_step_id = ts.named_step_id
			WHERE fs.task_id = $1`, "a-provides->b,a-provides->c,b-provides->d,c-provides->d"},
		{"initial transitions", `SELECT string_agg(concat_ws(':', to_state, coalesce(from_state, 'NULL'), sort_key, most_recent, created_at), ',')
			FROM (SELECT to_state, from_state, sort_key, most_recent, created_at FROM tasker_task_transitions WHERE task_id = $1
			      UNION ALL SELECT st.to_state, st.from_state, st.sort_key, st.most_recent, st.created_at FROM tasker_workflow_step_transitions st
			      JOIN tasker_workflow_steps ws USING (workflow_step_id) WHERE ws.task_id = $1) x`,
			strings.Repeat("pending:NULL:0:t:2026-03-01 09:30:00,", 4) + "pending:NULL:0:t:2026-03-01 09:30:00"},
		{"mirror row", `SELECT workflow_id || ':' || applied_seq FROM tasker_temporal_mirror WHERE task_id = $1`, "wf-rows:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.sql, "$1") {
				assert.Equal(t, tt.want, q(tt.sql, rec.TaskID))
				return
			}
			assert.Equal(t, tt.want, q(tt.sql))
		})
	}
}

func TestCreateTaskRetryFindsTheSameTask(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, ourSchema)
	first, err := store.CreateTask(ctx, diamond(), request("x"), "wf-retry")
	require.NoError(t, err)
	_, err = store.WriteTransitions(ctx, first.TaskID, newEmitter("wf-retry").task(tasker.StateInProgress).run("a", 1).list)
	require.NoError(t, err)

	again, err := store.CreateTask(ctx, diamond(), request("x"), "wf-retry")
	require.NoError(t, err)
	assert.Equal(t, first.TaskID, again.TaskID)
	assert.Equal(t, first.StepIDs, again.StepIDs)
	assert.Equal(t, first.Parents, again.Parents)
	assert.Equal(t, tasker.StateInProgress, again.TaskState)
	assert.Equal(t, tasker.StateComplete, again.StepStates["a"])
	assert.Equal(t, int64(3), again.AppliedSeq, "a restarted workflow continues after the applied seq")

	// Concurrent creators of one workflow's task agree on one row.
	const n = 6
	ids := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rec, err := store.CreateTask(ctx, chain(3), request("chain"), "wf-race")
			assert.NoError(t, err)
			ids[i] = rec.TaskID
		})
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, ids[0], id)
	}
	var tasks int
	require.NoError(t, store.Pool().QueryRow(ctx, "SELECT count(*) FROM tasker_tasks WHERE identity_hash = $1",
		compat.IdentityHash("wf-race")).Scan(&tasks))
	assert.Equal(t, 1, tasks)
}

func TestCreateTaskErrors(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, ourSchema)
	with := func(mut func(*template.Template)) *template.Template {
		tmpl := diamond()
		mut(tmpl)
		return tmpl
	}
	tests := []struct {
		name string
		tmpl *template.Template
		req  tasker.TaskRequest
		wf   string
		msg  string
	}{
		{"nil template", nil, request("x"), "wf", "template is nil"},
		{"no workflow id", diamond(), request("x"), "", "ecommerce/order_fulfillment@1.2.0: workflow ID is empty"},
		{"no requested_at", diamond(), tasker.TaskRequest{}, "wf", "requested_at is not set"},
		{"no steps", with(func(t *template.Template) { t.Steps = nil }), request("x"), "wf", "template has no steps"},
		{"bad context", diamond(), func() tasker.TaskRequest { r := request("x"); r.Context = json.RawMessage("{"); return r }(), "wf", "context is not valid JSON"},
		{"unknown dependency", with(func(t *template.Template) { t.Steps[3].Dependencies = []string{"zz"} }), request("x"), "wf", `step "d" depends on unknown step "zz"`},
		{"repeated step", with(func(t *template.Template) { t.Steps[1].Name = "a" }), request("x"), "wf", `step name "a" is empty or repeated`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.CreateTask(ctx, tt.tmpl, tt.req, tt.wf)
			assert.ErrorContains(t, err, tt.msg)
			assert.ErrorIs(t, err, compat.ErrInvalidRequest)
		})
	}
	var tasks int
	require.NoError(t, store.Pool().QueryRow(ctx, "SELECT count(*) FROM tasker_tasks").Scan(&tasks))
	assert.Zero(t, tasks)
}

func TestNonRetryableStepHasOneAttempt(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, ourSchema)
	tmpl := chain(1)
	tmpl.Steps[0].Retry = template.Retry{Retryable: false, MaxAttempts: 5}
	rec, err := store.CreateTask(ctx, tmpl, request("chain"), "wf-once")
	require.NoError(t, err)
	ec, err := store.ExecutionContext(ctx, rec.TaskID)
	require.NoError(t, err)
	assert.Equal(t, dag.StatusHasReadySteps, ec.ExecutionStatus, "the first attempt of a non-retryable step is ready")

	_, err = store.WriteTransitions(ctx, rec.TaskID, newEmitter("wf-once").task(tasker.StateInProgress).fail("s0", 1).list)
	require.NoError(t, err)
	var limit int32
	var retryable bool
	require.NoError(t, store.Pool().QueryRow(ctx, "SELECT retry_limit, retryable FROM tasker_workflow_steps WHERE workflow_step_id = $1",
		rec.StepIDs["s0"]).Scan(&limit, &retryable))
	assert.Equal(t, int32(1), limit, "one attempt, and it is used")
	assert.True(t, retryable, "the engine never offers a step whose retryable is false, not even its first attempt: retry_limit 1 alone says one attempt")
	ec, err = store.ExecutionContext(ctx, rec.TaskID)
	require.NoError(t, err)
	assert.Equal(t, dag.StatusBlockedByFailures, ec.ExecutionStatus)
}

// railsTask inserts, with plain SQL as a Rails app would, task "rails-1": a → b, a complete
// (transitions pending 0, in_progress 10, complete 20; no workflow metadata), b never started.
func railsTask(t *testing.T, store *compat.Store) int64 {
	t.Helper()
	var taskID int64
	err := store.Pool().QueryRow(context.Background(), `
		WITH ns AS (INSERT INTO tasker_task_namespaces (name, created_at, updated_at) VALUES ('rails', now(), now()) RETURNING task_namespace_id),
		ds AS (INSERT INTO tasker_dependent_systems (name, created_at, updated_at) VALUES ('default', now(), now()) RETURNING dependent_system_id),
		nt AS (INSERT INTO tasker_named_tasks (name, task_namespace_id, created_at, updated_at)
		       SELECT 'rails_task', task_namespace_id, now(), now() FROM ns RETURNING named_task_id),
		nsa AS (INSERT INTO tasker_named_steps (dependent_system_id, name, created_at, updated_at)
		        SELECT dependent_system_id, 'a', now(), now() FROM ds RETURNING named_step_id),
		nsb AS (INSERT INTO tasker_named_steps (dependent_system_id, name, created_at, updated_at)
		        SELECT dependent_system_id, 'b', now(), now() FROM ds RETURNING named_step_id),
		task AS (INSERT INTO tasker_tasks (named_task_id, requested_at, identity_hash, context, created_at, updated_at)
		         SELECT named_task_id, now(), 'rails-1', '{"id":1}', now(), now() FROM nt RETURNING task_id),
		wa AS (INSERT INTO tasker_workflow_steps (task_id, named_step_id, attempts, processed, processed_at, results, created_at, updated_at)
		       SELECT task_id, named_step_id, 1, true, now(), '{"ok":true}', now(), now() FROM task, nsa RETURNING workflow_step_id),
		wb AS (INSERT INTO tasker_workflow_steps (task_id, named_step_id, created_at, updated_at)
		       SELECT task_id, named_step_id, now(), now() FROM task, nsb RETURNING workflow_step_id),
		e AS (INSERT INTO tasker_workflow_step_edges (from_step_id, to_step_id, name, created_at, updated_at)
		      SELECT wa.workflow_step_id, wb.workflow_step_id, 'provides', now(), now() FROM wa, wb),
		tr AS (INSERT INTO tasker_workflow_step_transitions (to_state, from_state, sort_key, most_recent, workflow_step_id, created_at, updated_at)
		       SELECT s.to_state, s.from_state, s.sort_key, s.most_recent, wa.workflow_step_id, now(), now()
		       FROM wa, (VALUES ('pending', NULL, 0, false), ('in_progress', 'pending', 10, false), ('complete', 'in_progress', 20, true))
		            AS s(to_state, from_state, sort_key, most_recent)),
		ttr AS (INSERT INTO tasker_task_transitions (to_state, from_state, sort_key, most_recent, task_id, created_at, updated_at)
		        SELECT 'in_progress', NULL, 10, true, task_id, now(), now() FROM task)
		SELECT task_id FROM task`).Scan(&taskID)
	require.NoError(t, err)
	return taskID
}

func TestAdoptTask(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{railsSchema, ourSchema} {
		t.Run(kind, func(t *testing.T) {
			store := newStore(t, kind)
			taskID := railsTask(t, store)
			rec, err := store.CreateTask(ctx, diamond(), tasker.TaskRequest{TaskID: taskID}, "ignored")
			require.NoError(t, err)
			assert.True(t, rec.Adopted)
			assert.Equal(t, taskID, rec.TaskID)
			assert.Equal(t, tasker.StateInProgress, rec.TaskState)
			assert.Equal(t, map[string]string{"a": tasker.StateComplete, "b": tasker.StatePending}, rec.StepStates)
			assert.Equal(t, map[string][]string{"b": {"a"}}, rec.Parents)
			assert.Zero(t, rec.AppliedSeq)

			e := newEmitter("wf-adopt")
			e.state[""] = rec.TaskState // the workflow starts from the states it adopted
			ts := e.run("b", 1).task(tasker.StateComplete).list
			for range 2 {
				applied, err := store.WriteTransitions(ctx, taskID, ts)
				require.NoError(t, err)
				assert.Equal(t, int64(3), applied)
			}
			rows := readTransitions(t, store.Pool(), taskID)
			assert.Len(t, rows["a"], 3, "Rails rows of a untouched")
			require.Len(t, rows["b"], 2, "b had no transition: the first lands at sort_key 0")
			assert.Equal(t, int32(0), rows["b"][0].sortKey)
			assert.Nil(t, rows["b"][0].from, "an entity's first transition has no from_state")
			assert.Equal(t, []int32{10, 20}, []int32{rows[""][0].sortKey, rows[""][1].sortKey}, "task continues after Rails' sort_key 10")
			assert.True(t, rows[""][1].mostRecent)
			assert.False(t, rows[""][0].mostRecent)

			again, err := store.AdoptTask(ctx, taskID)
			require.NoError(t, err)
			assert.Equal(t, "wf-adopt", again.WorkflowID)
			assert.Equal(t, int64(3), again.AppliedSeq)
			ec, err := store.ExecutionContext(ctx, taskID)
			require.NoError(t, err)
			assert.Equal(t, dag.StatusAllComplete, ec.ExecutionStatus)

			_, err = store.WriteTransitions(ctx, taskID, newEmitter("wf-intruder").task(tasker.StateCancelled).list)
			assert.ErrorIs(t, err, compat.ErrOtherWorkflow)
		})
	}
	t.Run("not found", func(t *testing.T) {
		store := newStore(t, railsSchema)
		_, err := store.AdoptTask(ctx, 404)
		assert.ErrorIs(t, err, compat.ErrTaskNotFound)
		assert.ErrorContains(t, err, "adopt task 404")
		_, err = store.ExecutionContext(ctx, 404)
		assert.ErrorIs(t, err, compat.ErrTaskNotFound)
	})
}

// A Rails database mirrored without tasker_temporal_mirror, then opted in: the table starts empty
// and the applied seq is derived once from the metadata, so a replay still lands once.
func TestMirrorTableAddedLater(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, railsSchema)
	rec, err := store.CreateTask(ctx, diamond(), request("x"), "wf-later")
	require.NoError(t, err)
	ts := newEmitter("wf-later").task(tasker.StateInProgress).run("a", 1).run("b", 1).run("c", 1).run("d", 1).task(tasker.StateComplete).list
	_, err = store.WriteTransitions(ctx, rec.TaskID, ts[:5])
	require.NoError(t, err)

	out, err := migrations.Ensure(ctx, store.Pool(), migrations.Options{AllowExtras: true})
	require.NoError(t, err)
	require.Equal(t, []string{migrations.MirrorTable}, out.Applied)
	fresh := compat.NewStore(store.Pool()) // a restarted worker
	applied, err := fresh.WriteTransitions(ctx, rec.TaskID, ts)
	require.NoError(t, err)
	assert.Equal(t, int64(len(ts)), applied)
	checkInvariants(t, store.Pool(), rec.TaskID, ts)
	var seq int64
	require.NoError(t, store.Pool().QueryRow(ctx, "SELECT applied_seq FROM tasker_temporal_mirror WHERE task_id = $1", rec.TaskID).Scan(&seq))
	assert.Equal(t, int64(len(ts)), seq)
}

func TestReadinessBackoff(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, ourSchema)
	rec, err := store.CreateTask(ctx, chain(2), request("chain"), "wf-ready")
	require.NoError(t, err)
	now := time.Now().UTC()
	e := newEmitter("wf-ready")
	e.at = now.Add(-time.Hour)
	ec, err := store.ExecutionContext(ctx, rec.TaskID)
	require.NoError(t, err)
	assert.Equal(t, dag.StatusHasReadySteps, ec.ExecutionStatus, "root step is ready")
	assert.Equal(t, int64(1), ec.ReadySteps)

	_, err = store.WriteTransitions(ctx, rec.TaskID, e.task(tasker.StateInProgress).step("s0", tasker.StateInProgress, 1).list)
	require.NoError(t, err)
	ec, err = store.ExecutionContext(ctx, rec.TaskID)
	require.NoError(t, err)
	assert.Equal(t, dag.StatusProcessing, ec.ExecutionStatus)

	// An error an hour ago: its backoff has passed, the step is ready again and the task recovering.
	e.list = nil
	_, err = store.WriteTransitions(ctx, rec.TaskID, e.step("s0", tasker.StateError, 1).list)
	require.NoError(t, err)
	ec, err = store.ExecutionContext(ctx, rec.TaskID)
	require.NoError(t, err)
	assert.Equal(t, dag.StatusHasReadySteps, ec.ExecutionStatus)
	assert.Equal(t, "recovering", ec.HealthStatus)

	// A second error just now with a 60 s backoff: not ready yet, so waiting.
	e.list, e.at = nil, now
	e.step("s0", tasker.StatePending, 1).step("s0", tasker.StateInProgress, 2).emit(tasker.EntityStep, "s0", tasker.StateError,
		func(t *tasker.Transition) { t.BackoffSeconds = 60 })
	_, err = store.WriteTransitions(ctx, rec.TaskID, e.list)
	require.NoError(t, err)
	ec, err = store.ExecutionContext(ctx, rec.TaskID)
	require.NoError(t, err)
	assert.Equal(t, dag.StatusWaitingForDependencies, ec.ExecutionStatus)
	assert.Equal(t, int64(0), ec.ReadySteps)
	assert.Equal(t, int64(1), ec.FailedSteps)
}

// On a Rails-created database the whole mirror path (Ensure, create, write, replay, adopt, read)
// issues no DDL: nothing is created lazily.
func TestRailsSchemaMirrorIssuesNoDDL(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, railsSchema)
	_, err := store.Pool().Exec(ctx, `
		CREATE TABLE test_ddl_log (id serial PRIMARY KEY, tag text NOT NULL);
		CREATE FUNCTION test_log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
		BEGIN INSERT INTO test_ddl_log (tag) VALUES (tg_tag); END $$;
		CREATE EVENT TRIGGER test_log_ddl ON ddl_command_start EXECUTE FUNCTION test_log_ddl();`)
	require.NoError(t, err)

	out, err := migrations.Ensure(ctx, store.Pool(), migrations.Options{InstallFunctions: true})
	require.NoError(t, err)
	assert.True(t, out.RailsSchemaFound)
	rec, err := store.CreateTask(ctx, diamond(), request("x"), "wf-no-ddl")
	require.NoError(t, err)
	ts := newEmitter("wf-no-ddl").task(tasker.StateInProgress).run("a", 1).run("b", 1).run("c", 1).run("d", 1).task(tasker.StateComplete).list
	for range 2 {
		_, err = store.WriteTransitions(ctx, rec.TaskID, ts)
		require.NoError(t, err)
	}
	_, err = store.AdoptTask(ctx, rec.TaskID)
	require.NoError(t, err)
	_, err = store.ExecutionContext(ctx, rec.TaskID)
	require.NoError(t, err)

	var ddl int
	require.NoError(t, store.Pool().QueryRow(ctx, "SELECT count(*) FROM test_ddl_log").Scan(&ddl))
	assert.Zero(t, ddl)
	checkInvariants(t, store.Pool(), rec.TaskID, ts)
}
