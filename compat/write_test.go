package compat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/compat"
	"github.com/tasker-systems/tasker-temporal/dag"
)

type stepWant struct {
	state     string
	attempts  int32
	processed bool
	results   string // expected results JSON; "" = SQL NULL
}

type scenarioWant struct {
	taskState string
	complete  bool
	steps     map[string]stepWant
	exec      string
	pct       float64
	health    string
}

func done(name string, attempt int32) stepWant {
	return stepWant{tasker.StateComplete, attempt, true, fmt.Sprintf(`{"step":%q,"attempt":%d}`, name, attempt)}
}

const errResults = `{"error":"boom","error_class":"RuntimeError","backtrace":["handler.go:1"]}`

// outOfAttempts: a and c complete, b fails all three attempts, the task goes to error.
func outOfAttempts(e *emitter) *emitter {
	e.task(tasker.StateInProgress).run("a", 1).run("c", 1).fail("b", 1).step("b", tasker.StatePending, 1).
		fail("b", 2).step("b", tasker.StatePending, 2).fail("b", 3)
	return e.task(tasker.StateError)
}

var scenarios = []struct {
	name  string
	build func(*emitter) *emitter
	want  scenarioWant
}{
	{
		name: "success",
		build: func(e *emitter) *emitter {
			return e.task(tasker.StateInProgress).run("a", 1).run("b", 1).run("c", 1).run("d", 1).task(tasker.StateComplete)
		},
		want: scenarioWant{tasker.StateComplete, true,
			map[string]stepWant{"a": done("a", 1), "b": done("b", 1), "c": done("c", 1), "d": done("d", 1)},
			dag.StatusAllComplete, 100, "healthy"},
	},
	{
		name: "retry then success",
		build: func(e *emitter) *emitter {
			return e.task(tasker.StateInProgress).run("a", 1).fail("b", 1).step("b", tasker.StatePending, 1).
				run("b", 2).run("c", 1).run("d", 1).task(tasker.StateComplete)
		},
		want: scenarioWant{tasker.StateComplete, true,
			map[string]stepWant{"a": done("a", 1), "b": done("b", 2), "c": done("c", 1), "d": done("d", 1)},
			dag.StatusAllComplete, 100, "healthy"},
	},
	{
		name:  "out of attempts",
		build: outOfAttempts,
		want: scenarioWant{tasker.StateError, false,
			map[string]stepWant{"a": done("a", 1), "b": {tasker.StateError, 3, false, errResults}, "c": done("c", 1),
				"d": {tasker.StatePending, 0, false, ""}},
			dag.StatusBlockedByFailures, 50, "blocked"},
	},
	{
		name: "skipped",
		build: func(e *emitter) *emitter {
			return e.task(tasker.StateInProgress).run("a", 1).run("b", 1).
				resolve("c", map[string]any{"skipped": true, "reason": "skippable step"}, "").run("d", 1).task(tasker.StateComplete)
		},
		want: scenarioWant{tasker.StateComplete, true,
			map[string]stepWant{"a": done("a", 1), "b": done("b", 1), "c": {tasker.StateResolvedManually, 0, true, ""}, "d": done("d", 1)},
			dag.StatusAllComplete, 100, "healthy"},
	},
	{
		name: "bypassed",
		build: func(e *emitter) *emitter {
			return e.task(tasker.StateInProgress).run("a", 1).resolve("b", map[string]any{"bypassed": true}, `{"bypassed":true}`).
				run("c", 1).run("d", 1).task(tasker.StateComplete)
		},
		want: scenarioWant{tasker.StateComplete, true,
			map[string]stepWant{"a": done("a", 1), "b": {tasker.StateResolvedManually, 0, true, `{"bypassed":true}`}, "c": done("c", 1), "d": done("d", 1)},
			dag.StatusAllComplete, 100, "healthy"},
	},
	{
		name: "resolved",
		build: func(e *emitter) *emitter {
			return outOfAttempts(e).resolve("b", map[string]any{"resolved_by": "ops"}, `{"manual":true}`).
				task(tasker.StatePending).task(tasker.StateInProgress).run("d", 1).task(tasker.StateComplete)
		},
		want: scenarioWant{tasker.StateComplete, true,
			map[string]stepWant{"a": done("a", 1), "b": {tasker.StateResolvedManually, 3, true, `{"manual":true}`}, "c": done("c", 1), "d": done("d", 1)},
			dag.StatusAllComplete, 100, "healthy"},
	},
	{
		name: "retry_step",
		build: func(e *emitter) *emitter {
			return outOfAttempts(e).step("b", tasker.StatePending, 3).task(tasker.StatePending).task(tasker.StateInProgress).
				run("b", 4).run("d", 1).task(tasker.StateComplete)
		},
		want: scenarioWant{tasker.StateComplete, true,
			map[string]stepWant{"a": done("a", 1), "b": done("b", 4), "c": done("c", 1), "d": done("d", 1)},
			dag.StatusAllComplete, 100, "healthy"},
	},
	{
		name: "cancelled",
		build: func(e *emitter) *emitter {
			return e.task(tasker.StateInProgress).run("a", 1).step("b", tasker.StateInProgress, 1).
				step("b", tasker.StateCancelled, 1).step("c", tasker.StateCancelled, 0).step("d", tasker.StateCancelled, 0).
				task(tasker.StateCancelled)
		},
		want: scenarioWant{tasker.StateCancelled, false,
			map[string]stepWant{"a": done("a", 1), "b": {tasker.StateCancelled, 1, false, ""},
				"c": {tasker.StateCancelled, 0, false, ""}, "d": {tasker.StateCancelled, 0, false, ""}},
			dag.StatusWaitingForDependencies, 25, "healthy"},
	},
}

// flushStyles deliver a scenario's transitions to WriteTransitions.
var flushStyles = []struct {
	name  string
	flush func(t *testing.T, s *compat.Store, taskID int64, ts []tasker.Transition)
}{
	{"one batch", func(t *testing.T, s *compat.Store, taskID int64, ts []tasker.Transition) {
		applied, err := s.WriteTransitions(context.Background(), taskID, ts)
		require.NoError(t, err)
		assert.Equal(t, ts[len(ts)-1].Seq, applied)
	}},
	{"batches of 3 each flushed twice then all replayed", func(t *testing.T, s *compat.Store, taskID int64, ts []tasker.Transition) {
		ctx := context.Background()
		for _, batch := range chunks(ts, 3) {
			for range 2 {
				applied, err := s.WriteTransitions(ctx, taskID, batch)
				require.NoError(t, err)
				assert.Equal(t, batch[len(batch)-1].Seq, applied)
			}
		}
		applied, err := s.WriteTransitions(ctx, taskID, ts)
		require.NoError(t, err)
		assert.Equal(t, ts[len(ts)-1].Seq, applied)
	}},
}

func TestTransitionScenarios(t *testing.T) {
	for _, kind := range []string{ourSchema, railsSchema} {
		t.Run(kind, func(t *testing.T) {
			store := newStore(t, kind)
			for _, sc := range scenarios {
				for _, style := range flushStyles {
					t.Run(sc.name+"/"+style.name, func(t *testing.T) {
						wf := "wf-" + sc.name + "-" + style.name
						rec, err := store.CreateTask(context.Background(), diamond(), request("order_fulfillment"), wf)
						require.NoError(t, err)
						ts := sc.build(newEmitter(wf)).list
						style.flush(t, store, rec.TaskID, ts)
						checkInvariants(t, store.Pool(), rec.TaskID, ts)
						checkScenario(t, store, rec.TaskID, sc.want)
					})
				}
			}
		})
	}
}

// transitionRow is one row of a task or step transition table.
type transitionRow struct {
	entity     string // "" = task, else step name
	sortKey    int32
	from       *string
	to         string
	mostRecent bool
	seq        *int64
}

func readTransitions(t *testing.T, pool *pgxpool.Pool, taskID int64) map[string][]transitionRow {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT '' AS entity, sort_key, from_state, to_state, most_recent, (metadata->>'seq')::bigint, id, 0
		FROM tasker_task_transitions WHERE task_id = $1
		UNION ALL
		SELECT ns.name, st.sort_key, st.from_state, st.to_state, st.most_recent, (st.metadata->>'seq')::bigint, st.id, 1
		FROM tasker_workflow_step_transitions st
		JOIN tasker_workflow_steps ws ON ws.workflow_step_id = st.workflow_step_id
		JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
		WHERE ws.task_id = $1
		ORDER BY 8, 1, 7`, taskID)
	require.NoError(t, err)
	out := map[string][]transitionRow{}
	for rows.Next() {
		var r transitionRow
		var id int64
		var table int
		require.NoError(t, rows.Scan(&r.entity, &r.sortKey, &r.from, &r.to, &r.mostRecent, &r.seq, &id, &table))
		out[r.entity] = append(out[r.entity], r)
	}
	require.NoError(t, rows.Err())
	return out
}

// checkInvariants asserts TASKER-REFERENCE §4 on the transition rows: per entity one most_recent
// row (the last), sort keys 0, 10, 20 … in insertion order, each from_state the previous to_state,
// the states exactly those the workflow emitted, and every Seq landed exactly once.
func checkInvariants(t *testing.T, pool *pgxpool.Pool, taskID int64, ts []tasker.Transition) {
	t.Helper()
	got := readTransitions(t, pool, taskID)
	wantStates := map[string][]string{"": {tasker.StatePending}}
	for name := range got {
		wantStates[name] = []string{tasker.StatePending}
	}
	var wantSeqs []int64
	for _, tr := range ts {
		wantStates[tr.Step] = append(wantStates[tr.Step], tr.To)
		wantSeqs = append(wantSeqs, tr.Seq)
	}
	var seqs []int64
	for entity, rows := range got {
		var states []string
		for i, r := range rows {
			states = append(states, r.to)
			assert.Equal(t, int32(10*i), r.sortKey, "entity %q row %d sort_key", entity, i)
			assert.Equal(t, i == len(rows)-1, r.mostRecent, "entity %q row %d most_recent", entity, i)
			if i == 0 {
				assert.Nil(t, r.from, "entity %q first row from_state", entity)
			} else if assert.NotNil(t, r.from) {
				assert.Equal(t, rows[i-1].to, *r.from, "entity %q row %d from_state", entity, i)
			}
			if r.seq != nil {
				seqs = append(seqs, *r.seq)
			}
		}
		assert.Equal(t, wantStates[entity], states, "states of entity %q", entity)
	}
	slices.Sort(seqs)
	assert.Equal(t, wantSeqs, seqs, "every seq lands exactly once")
}

func checkScenario(t *testing.T, store *compat.Store, taskID int64, want scenarioWant) {
	t.Helper()
	ctx := context.Background()
	var complete bool
	require.NoError(t, store.Pool().QueryRow(ctx, "SELECT complete FROM tasker_tasks WHERE task_id = $1", taskID).Scan(&complete))
	assert.Equal(t, want.complete, complete, "tasker_tasks.complete")

	rows, err := store.Pool().Query(ctx, `
		SELECT ns.name, COALESCE(cur.to_state, 'pending'), ws.attempts, ws.processed, ws.in_process,
		       ws.processed_at IS NOT NULL, ws.results::text, ws.backoff_request_seconds, ws.retry_limit
		FROM tasker_workflow_steps ws
		JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
		LEFT JOIN tasker_workflow_step_transitions cur ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
		WHERE ws.task_id = $1`, taskID)
	require.NoError(t, err)
	seen := 0
	for rows.Next() {
		var name, state string
		var attempts, limit int32
		var processed, inProcess, hasProcessedAt bool
		var results *string
		var backoff *int32
		require.NoError(t, rows.Scan(&name, &state, &attempts, &processed, &inProcess, &hasProcessedAt, &results, &backoff, &limit))
		w, ok := want.steps[name]
		require.True(t, ok, "unexpected step %q", name)
		seen++
		assert.Equal(t, w.state, state, "step %s state", name)
		assert.Equal(t, w.attempts, attempts, "step %s attempts", name)
		assert.Equal(t, w.processed, processed, "step %s processed", name)
		assert.Equal(t, w.processed, hasProcessedAt, "step %s processed_at set", name)
		assert.False(t, inProcess, "step %s in_process", name)
		assert.Equal(t, int32(3), limit, "step %s retry_limit", name)
		if w.results == "" {
			assert.Nil(t, results, "step %s results", name)
		} else if assert.NotNil(t, results, "step %s results", name) {
			assert.JSONEq(t, w.results, *results, "step %s results", name)
		}
		if state == tasker.StateError {
			assert.Equal(t, int32(2), *backoff, "step %s backoff_request_seconds", name)
		}
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, len(want.steps), seen)

	ec, err := store.ExecutionContext(ctx, taskID)
	require.NoError(t, err)
	assert.Equal(t, want.taskState, ec.Status, "execution context status")
	assert.Equal(t, want.exec, ec.ExecutionStatus, "execution_status")
	assert.InDelta(t, want.pct, ec.CompletionPercentage, 0.01, "completion_percentage")
	assert.Equal(t, want.health, ec.HealthStatus, "health_status")
	assert.Equal(t, int64(len(want.steps)), ec.TotalSteps)
}

func TestTransitionMetadata(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, ourSchema)
	rec, err := store.CreateTask(ctx, diamond(), request("x"), "wf-meta")
	require.NoError(t, err)
	ts := newEmitter("wf-meta").task(tasker.StateInProgress).fail("a", 1).list
	_, err = store.WriteTransitions(ctx, rec.TaskID, ts)
	require.NoError(t, err)

	var meta string
	require.NoError(t, store.Pool().QueryRow(ctx, `SELECT metadata::text FROM tasker_workflow_step_transitions
		WHERE workflow_step_id = $1 AND to_state = 'error'`, rec.StepIDs["a"]).Scan(&meta))
	assert.JSONEq(t, `{"workflow_id":"wf-meta","seq":3,"attempt_number":1,"error":"boom"}`, meta)

	var lastAttempted, errorAt string
	require.NoError(t, store.Pool().QueryRow(ctx, `SELECT ws.last_attempted_at::text, st.created_at::text
		FROM tasker_workflow_steps ws JOIN tasker_workflow_step_transitions st ON st.workflow_step_id = ws.workflow_step_id
		WHERE ws.workflow_step_id = $1 AND st.to_state = 'error'`, rec.StepIDs["a"]).Scan(&lastAttempted, &errorAt))
	assert.Equal(t, "2026-03-01 09:30:02", lastAttempted, "last_attempted_at = time of → in_progress")
	assert.Equal(t, "2026-03-01 09:30:03", errorAt, "created_at = the workflow's time of the transition")
}

func TestWriteTransitionsErrors(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, ourSchema)
	rec, err := store.CreateTask(ctx, diamond(), request("x"), "wf-err")
	require.NoError(t, err)
	started := newEmitter("wf-err").task(tasker.StateInProgress).list
	_, err = store.WriteTransitions(ctx, rec.TaskID, started)
	require.NoError(t, err)

	next := func(mut func(*tasker.Transition)) []tasker.Transition {
		tr := tasker.Transition{WorkflowID: "wf-err", Seq: 2, Entity: tasker.EntityStep, Step: "a",
			From: tasker.StatePending, To: tasker.StateInProgress, At: t0.Add(time.Minute), Attempt: 1}
		mut(&tr)
		return []tasker.Transition{tr}
	}
	tests := []struct {
		name   string
		taskID int64
		ts     []tasker.Transition
		is     error
		msg    string
	}{
		{"unknown task", 999999, next(func(*tasker.Transition) {}), compat.ErrTaskNotFound, "task 999999"},
		{"from is not the current state", rec.TaskID, next(func(t *tasker.Transition) { t.From = tasker.StateError }), compat.ErrInvalidTransition, `from "error" but the current state is "pending"`},
		{"not allowed", rec.TaskID, next(func(t *tasker.Transition) { t.To = tasker.StateComplete }), compat.ErrInvalidTransition, "pending → complete is not allowed"},
		{"unknown step", rec.TaskID, next(func(t *tasker.Transition) { t.Step = "zz" }), compat.ErrInvalidTransition, `step "zz" is not a step of the task`},
		{"another workflow", rec.TaskID, next(func(t *tasker.Transition) { t.WorkflowID = "wf-other" }), compat.ErrOtherWorkflow, `mirrored by workflow "wf-err"`},
		{"gap", rec.TaskID, next(func(t *tasker.Transition) { t.Seq = 5 }), compat.ErrSeqGap, "next seq is 2, batch continues at 5"},
		{"seq zero", rec.TaskID, next(func(t *tasker.Transition) { t.Seq = 0 }), compat.ErrInvalidBatch, "seq 0: seq must be positive"},
		{"no workflow id", rec.TaskID, next(func(t *tasker.Transition) { t.WorkflowID = "" }), compat.ErrInvalidBatch, "workflow_id is empty"},
		{"bad entity", rec.TaskID, next(func(t *tasker.Transition) { t.Entity = "job" }), compat.ErrInvalidBatch, `entity "job"`},
		{"no step name", rec.TaskID, next(func(t *tasker.Transition) { t.Step = "" }), compat.ErrInvalidBatch, "without a step name"},
		{"bad state", rec.TaskID, next(func(t *tasker.Transition) { t.To = "done" }), compat.ErrInvalidBatch, `to state "done" is not a Tasker state`},
		{"no time", rec.TaskID, next(func(t *tasker.Transition) { t.At = time.Time{} }), compat.ErrInvalidBatch, "at (the workflow time) is not set"},
		{"bad results", rec.TaskID, next(func(t *tasker.Transition) { t.Results = json.RawMessage("{") }), compat.ErrInvalidBatch, "results are not valid JSON"},
		{"seq twice", rec.TaskID, append(next(func(*tasker.Transition) {}), next(func(*tasker.Transition) {})...), compat.ErrInvalidBatch, "seq 2 appears twice"},
		{"two workflows", rec.TaskID, append(next(func(*tasker.Transition) {}), next(func(t *tasker.Transition) { t.Seq, t.WorkflowID = 3, "wf-x" })...), compat.ErrInvalidBatch, "one batch is one workflow's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.WriteTransitions(ctx, tt.taskID, tt.ts)
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.msg)
			assert.ErrorIs(t, err, tt.is)
		})
	}
	checkInvariants(t, store.Pool(), rec.TaskID, started)
}

func TestWriteTransitionsBatchIsAtomic(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{ourSchema, railsSchema} {
		t.Run(kind, func(t *testing.T) {
			store := newStore(t, kind)
			rec, err := store.CreateTask(ctx, diamond(), request("x"), "wf-atomic")
			require.NoError(t, err)
			good := newEmitter("wf-atomic").task(tasker.StateInProgress).run("a", 1).list
			bad := slices.Clone(good)
			bad = append(bad, tasker.Transition{WorkflowID: "wf-atomic", Seq: 4, Entity: tasker.EntityStep, Step: "d",
				From: tasker.StatePending, To: tasker.StateComplete, At: t0.Add(time.Hour)})
			_, err = store.WriteTransitions(ctx, rec.TaskID, bad)
			require.ErrorIs(t, err, compat.ErrInvalidTransition)
			checkInvariants(t, store.Pool(), rec.TaskID, nil) // nothing of the batch landed

			applied, err := store.WriteTransitions(ctx, rec.TaskID, good)
			require.NoError(t, err)
			assert.Equal(t, int64(3), applied)
			applied, err = store.WriteTransitions(ctx, rec.TaskID, nil)
			require.NoError(t, err)
			assert.Equal(t, int64(3), applied, "an empty batch reports the applied seq")
			checkInvariants(t, store.Pool(), rec.TaskID, good)
		})
	}
}

func TestConcurrentTasks(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, ourSchema)
	const tasks = 100
	tmpl := chain(5)
	ids := make([]int64, tasks)
	lists := make([][]tasker.Transition, tasks)
	errs := make(chan error, tasks)
	var wg sync.WaitGroup
	for i := range tasks {
		wg.Go(func() {
			wf := fmt.Sprintf("wf-concurrent-%03d", i)
			rec, err := store.CreateTask(ctx, tmpl, request(tmpl.Name), wf)
			if err != nil {
				errs <- err
				return
			}
			ids[i] = rec.TaskID
			e := newEmitter(wf).task(tasker.StateInProgress)
			for _, st := range tmpl.Steps {
				e.run(st.Name, 1)
			}
			lists[i] = e.task(tasker.StateComplete).list
			for _, batch := range chunks(lists[i], 4) {
				if _, err := store.WriteTransitions(ctx, rec.TaskID, batch); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var distinct, steps int
	require.NoError(t, store.Pool().QueryRow(ctx, `SELECT count(DISTINCT task_id), count(*) FROM tasker_workflow_steps`).Scan(&distinct, &steps))
	assert.Equal(t, tasks, distinct)
	assert.Equal(t, tasks*len(tmpl.Steps), steps)
	for i, id := range ids {
		checkInvariants(t, store.Pool(), id, lists[i])
		ec, err := store.ExecutionContext(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, dag.StatusAllComplete, ec.ExecutionStatus)
		assert.Equal(t, 100.0, ec.CompletionPercentage)
	}
}

// A batch the database refuses half-way (here a CHECK constraint the test adds) leaves nothing
// behind, and the connection goes back to the pool usable.
func TestWriteTransitionsDatabaseErrorRollsBack(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, ourSchema)
	_, err := store.Pool().Exec(ctx, `ALTER TABLE tasker_workflow_step_transitions
		ADD CONSTRAINT test_no_cancel CHECK (to_state <> 'cancelled')`)
	require.NoError(t, err)
	rec, err := store.CreateTask(ctx, diamond(), request("x"), "wf-db-error")
	require.NoError(t, err)

	e := newEmitter("wf-db-error").task(tasker.StateInProgress).step("a", tasker.StateInProgress, 1)
	good := slices.Clone(e.list)
	bad := e.step("a", tasker.StateCancelled, 1).list
	for range 3 { // more attempts than the pool has idle connections
		_, err = store.WriteTransitions(ctx, rec.TaskID, bad)
		require.ErrorContains(t, err, "test_no_cancel")
		assert.NotErrorIs(t, err, compat.ErrInvalidTransition)
	}
	checkInvariants(t, store.Pool(), rec.TaskID, nil)
	var mirrored int64
	require.NoError(t, store.Pool().QueryRow(ctx, "SELECT applied_seq FROM tasker_temporal_mirror WHERE task_id = $1", rec.TaskID).Scan(&mirrored))
	assert.Zero(t, mirrored)

	applied, err := store.WriteTransitions(ctx, rec.TaskID, good)
	require.NoError(t, err)
	assert.Equal(t, int64(2), applied)
	checkInvariants(t, store.Pool(), rec.TaskID, good)
	for _, c := range store.Pool().AcquireAllIdle(ctx) {
		assert.Equal(t, byte('I'), c.Conn().PgConn().TxStatus(), "idle pool connections are outside any transaction")
		c.Release()
	}
}
