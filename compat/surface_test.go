package compat_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/compat"
	"github.com/tasker-systems/tasker-temporal/dag"
	"github.com/tasker-systems/tasker-temporal/migrations"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

// The SQL-surface comparison (docs/compat.md §5): the same scenarios are written through the
// compat store into (1) a database our migrations made, (2) the Rails fixture schema plus our
// functions and, when TASKER_ENGINE_SQL_DIR names the engine's db/functions directory, (3) the
// Rails fixture plus the engine's own functions. Every function's output is compared row by row
// between the databases, with the Go oracle (oracle_test.go), with the workflow's own view (a
// dag.Run replaying the same transitions) and with the state each scenario must read as.

// EngineSQLDirEnv names the directory of the Tasker engine's db/functions/*.sql (opt-in).
const engineSQLDirEnv = "TASKER_ENGINE_SQL_DIR"

type surfaceScenario struct {
	name   string
	tmpl   *template.Template
	build  func(e *emitter, now time.Time)
	exec   string // the execution_status it must read as
	health string
}

// mirroredLimits is the retry_limit the mirror must have left, by scenario and step: a permanent
// error lowers it to the attempts made, an operator's retry raises it again.
var mirroredLimits = map[string]map[string]int32{"permanent": {"s0": 1, "s1": 3}, "operator_retry": {"s0": 2}}

// errorMeta is the metadata the workflow puts on → error.
func errorMeta(attempt, maxAttempts int, permanent bool) map[string]any {
	m := map[string]any{"attempt_number": attempt, "max_attempts": maxAttempts, "error": "boom", "error_class": "RuntimeError"}
	if permanent {
		m["permanent"], m["retryable"] = true, false
	}
	return m
}

// failAttempt emits attempt n of a step ending in error, as the workflow does.
func failAttempt(e *emitter, name string, attempt, maxAttempts int, permanent bool, backoff int) *emitter {
	e.step(name, tasker.StateInProgress, attempt)
	return e.emit(tasker.EntityStep, name, tasker.StateError, func(t *tasker.Transition) {
		t.Attempt, t.Results, t.BackoffSeconds = attempt, json.RawMessage(errResults), backoff
		t.Metadata = errorMeta(attempt, maxAttempts, permanent)
	})
}

// retryAfterError is the workflow's error → pending once the backoff has passed.
func retryAfterError(e *emitter, name string, attempt int) *emitter {
	return e.step(name, tasker.StatePending, attempt)
}

func oneShot() *template.Template {
	tmpl := chain(1)
	tmpl.Name = "one_shot"
	tmpl.Steps[0].Retry = template.Retry{Retryable: false, MaxAttempts: 5}
	return tmpl
}

func surfaceScenarios() []surfaceScenario {
	return []surfaceScenario{
		{"success", diamond(), func(e *emitter, _ time.Time) {
			e.task(tasker.StateInProgress).run("a", 1).run("b", 1).run("c", 1).run("d", 1).task(tasker.StateComplete)
		}, dag.StatusAllComplete, dag.HealthHealthy},
		{"retried", chain(3), func(e *emitter, _ time.Time) {
			e.task(tasker.StateInProgress)
			failAttempt(e, "s0", 1, 3, false, 2)
			retryAfterError(e, "s0", 1).run("s0", 2).run("s1", 1)
		}, dag.StatusHasReadySteps, dag.HealthHealthy},
		{"exhausted", chain(2), func(e *emitter, _ time.Time) {
			e.task(tasker.StateInProgress)
			failAttempt(e, "s0", 1, 3, false, 2)
			failAttempt(retryAfterError(e, "s0", 1), "s0", 2, 3, false, 4)
			failAttempt(retryAfterError(e, "s0", 2), "s0", 3, 3, false, 0)
			e.task(tasker.StateError)
		}, dag.StatusBlockedByFailures, dag.HealthBlocked},
		// The fidelity defect of issue 14: a permanent error on attempt 1 of 3.
		{"permanent", chain(2), func(e *emitter, _ time.Time) {
			failAttempt(e.task(tasker.StateInProgress), "s0", 1, 3, true, 0).task(tasker.StateError)
		}, dag.StatusBlockedByFailures, dag.HealthBlocked},
		{"resolved", chain(2), func(e *emitter, _ time.Time) {
			failAttempt(e.task(tasker.StateInProgress), "s0", 1, 3, true, 0).task(tasker.StateError)
			e.resolve("s0", map[string]any{"resolved_by": "operator"}, `{"manual":true}`)
			e.task(tasker.StatePending).task(tasker.StateInProgress)
		}, dag.StatusHasReadySteps, dag.HealthHealthy},
		// An operator's retry_step after a permanent error: retry_limit goes up again.
		{"operator_retry", chain(2), func(e *emitter, _ time.Time) {
			failAttempt(e.task(tasker.StateInProgress), "s0", 1, 3, true, 0).task(tasker.StateError)
			e.emit(tasker.EntityStep, "s0", tasker.StatePending, func(t *tasker.Transition) {
				t.Metadata = map[string]any{"retry_requested_by": "operator", "extra_attempts": 1, "max_attempts": 2, "retryable": true}
			})
			e.task(tasker.StatePending).task(tasker.StateInProgress).step("s0", tasker.StateInProgress, 2)
		}, dag.StatusProcessing, dag.HealthHealthy},
		{"cancelled", diamond(), func(e *emitter, _ time.Time) {
			e.task(tasker.StateInProgress).run("a", 1)
			for _, s := range []string{"b", "c", "d"} {
				e.step(s, tasker.StateCancelled, 0)
			}
			e.task(tasker.StateCancelled)
		}, dag.StatusWaitingForDependencies, dag.HealthHealthy},
		{"bypassed", chain(3), func(e *emitter, _ time.Time) {
			e.task(tasker.StateInProgress).resolve("s1", map[string]any{"bypassed": true, "reason": "bypass_steps"}, "").run("s0", 1)
		}, dag.StatusHasReadySteps, dag.HealthHealthy},
		{"skippable", diamond(), func(e *emitter, _ time.Time) {
			e.task(tasker.StateInProgress).run("a", 1).run("b", 1)
			failAttempt(e, "c", 1, 3, false, 2)
			failAttempt(retryAfterError(e, "c", 1), "c", 2, 3, false, 4)
			failAttempt(retryAfterError(e, "c", 2), "c", 3, 3, false, 0)
			e.resolve("c", map[string]any{"skipped": true, "reason": "skippable step out of attempts"}, "")
		}, dag.StatusHasReadySteps, dag.HealthHealthy},
		// The error came a second ago and the handler asked for 60 s: nothing is ready yet.
		{"backoff_open", chain(2), func(e *emitter, now time.Time) {
			e.task(tasker.StateInProgress)
			e.at = now.Add(-3 * time.Second)
			failAttempt(e, "s0", 1, 3, false, 60)
		}, dag.StatusWaitingForDependencies, dag.HealthRecovering},
		{"backoff_elapsed", chain(2), func(e *emitter, _ time.Time) {
			failAttempt(e.task(tasker.StateInProgress), "s0", 1, 3, false, 2)
		}, dag.StatusHasReadySteps, dag.HealthRecovering},
		{"in_progress", chain(2), func(e *emitter, _ time.Time) {
			e.task(tasker.StateInProgress).step("s0", tasker.StateInProgress, 1)
		}, dag.StatusProcessing, dag.HealthHealthy},
		// A non-retryable step before its one attempt: ready (retry_limit 1, retryable true).
		{"one_shot_fresh", oneShot(), func(e *emitter, _ time.Time) {}, dag.StatusHasReadySteps, dag.HealthHealthy},
		{"one_shot_failed", oneShot(), func(e *emitter, _ time.Time) {
			failAttempt(e.task(tasker.StateInProgress), "s0", 1, 1, false, 0).task(tasker.StateError)
		}, dag.StatusBlockedByFailures, dag.HealthBlocked},
	}
}

// written is one scenario as written into one database.
type written struct {
	sc     surfaceScenario
	taskID int64
	stepID map[string]int64
	run    *dag.Run // the workflow's view of the same transitions
}

type surfaceDB struct {
	name   string
	pool   *pgxpool.Pool
	engine bool // the Tasker engine's own functions
	tasks  []written
}

// writeScenarios runs every scenario through the compat store; base is the first task's
// requested_at, now anchors the scenarios that need a window still open.
func writeScenarios(t *testing.T, db *surfaceDB, base, now time.Time) {
	t.Helper()
	ctx := context.Background()
	store := compat.NewStore(db.pool)
	for i, sc := range surfaceScenarios() {
		wf := "surface-" + sc.name
		req := request(sc.tmpl.Name)
		req.RequestedAt = base.Add(time.Duration(i) * time.Minute)
		rec, err := store.CreateTask(ctx, sc.tmpl, req, wf)
		require.NoError(t, err, sc.name)
		e := newEmitter(wf)
		e.at = req.RequestedAt
		sc.build(e, now)
		checkPoint(t, db, sc, rec.TaskID, nil)
		for n, tr := range e.list { // one flush per transition: every state a reader can see
			_, err = store.WriteTransitions(ctx, rec.TaskID, []tasker.Transition{tr})
			require.NoError(t, err, sc.name)
			checkPoint(t, db, sc, rec.TaskID, e.list[:n+1])
		}
		db.tasks = append(db.tasks, written{sc: sc, taskID: rec.TaskID, stepID: rec.StepIDs, run: replay(t, sc.tmpl, e.list)})
	}
}

// checkPoint requires the task's execution context, read through the database's functions after
// the transitions so far, to be what the workflow sees (a dag.Run that made them).
func checkPoint(t *testing.T, db *surfaceDB, sc surfaceScenario, taskID int64, so []tasker.Transition) {
	t.Helper()
	ec := query[contextRow](t, db.pool, `SELECT * FROM get_task_execution_context($1)`, taskID)
	require.Len(t, ec, 1)
	wf := replay(t, sc.tmpl, so).ExecutionContext(time.Now())
	got := ec[0]
	assert.Equal(t,
		[]any{wf.ExecutionStatus, wf.HealthStatus, wf.TotalSteps, wf.PendingSteps, wf.InProgressSteps, wf.CompletedSteps, wf.FailedSteps, wf.ReadySteps},
		[]any{got.ExecutionStatus, got.HealthStatus, int(got.Total), int(got.Pending), int(got.InProgress), int(got.Completed), int(got.Failed), int(got.ReadySteps)},
		"%s on %s after %d transitions: the functions read what the workflow sees", sc.name, db.name, len(so))
}

// replay applies a scenario's step transitions to a dag.Run the way the workflow does.
func replay(t *testing.T, tmpl *template.Template, ts []tasker.Transition) *dag.Run {
	t.Helper()
	specs := make([]dag.StepSpec, len(tmpl.Steps))
	for i, st := range tmpl.Steps {
		limit := cmp.Or(st.Retry.MaxAttempts, template.DefaultMaxAttempts)
		if !st.Retry.Retryable {
			limit = 1
		}
		specs[i] = dag.StepSpec{Name: st.Name, Dependencies: st.Dependencies, MaxAttempts: limit, Retryable: st.Retry.Retryable, Skippable: st.Skippable}
	}
	g, err := dag.New(specs)
	require.NoError(t, err)
	run := dag.NewRun(g)
	for _, tr := range ts {
		if tr.Entity != tasker.EntityStep {
			continue
		}
		i, _ := g.Index(tr.Step)
		to, err := dag.ParseState(tr.To)
		require.NoError(t, err)
		if tr.Metadata["retry_requested_by"] == "operator" {
			run.AddAttempts(i, tr.Metadata["max_attempts"].(int)-run.Step(i).MaxAttempts)
		}
		require.NoError(t, run.Transition(i, to, tr.At), "replay seq %d", tr.Seq)
		switch {
		case to == dag.Error && tr.Metadata["permanent"] == true:
			run.StopRetries(i)
		case to == dag.Error && tr.BackoffSeconds > 0:
			run.SetNextAttemptAt(i, tr.At.Add(time.Duration(tr.BackoffSeconds)*time.Second))
		}
	}
	return run
}

func TestSQLSurfaceMatchesTheEngine(t *testing.T) {
	ctx := context.Background()
	now := time.Now().UTC()
	base := now.Add(-30 * time.Minute).Truncate(time.Millisecond)

	dbs := []*surfaceDB{{name: "our migrations", pool: freshPool(t)}, {name: "Rails fixture + our functions", pool: freshPool(t)}}
	_, err := migrations.Ensure(ctx, dbs[0].pool, migrations.Options{})
	require.NoError(t, err, "our migrations alone create the SQL surface")
	loadRailsSchema(t, dbs[1].pool)
	if dir := os.Getenv(engineSQLDirEnv); dir != "" {
		engine := &surfaceDB{name: "Rails fixture + the engine's functions", pool: freshPool(t), engine: true}
		loadEngine(t, engine.pool, dir)
		dbs = append(dbs, engine)
	} else {
		t.Logf("%s is not set: comparing our migrations, the Rails fixture with our functions and the oracle; "+
			"the engine's own functions are NOT compared (docs/compat.md §5 says how)", engineSQLDirEnv)
	}
	for _, db := range dbs {
		writeScenarios(t, db, base, now)
	}
	for _, db := range dbs[1:] {
		for i, w := range db.tasks {
			require.Equal(t, dbs[0].tasks[i].taskID, w.taskID, "the same ids in every database (%s)", w.sc.name)
		}
	}

	for _, db := range dbs {
		t.Run(db.name, func(t *testing.T) { checkAgainstOracle(t, db, base) })
	}
	for _, q := range surfaceQueries(dbs[0], base) {
		t.Run("rows/"+q.name, func(t *testing.T) { compareAcross(t, dbs, q) })
	}
}

func freshPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testsuite.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

var versionSuffix = regexp.MustCompile(`_v(\d+)\.sql$`)

// loadEngine loads the Rails fixture, then the engine's functions in version order (so a _v02 file
// replaces what a _v01 file defined, as the engine's migrations do) and the views of ../views.
func loadEngine(t *testing.T, pool *pgxpool.Pool, dir string) {
	t.Helper()
	ctx := context.Background()
	fixture, err := os.ReadFile("../migrations/testdata/rails_schema.sql")
	require.NoError(t, err)
	_, err = pool.Exec(ctx, string(fixture))
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "%s=%s holds no .sql files", engineSQLDirEnv, dir)
	version := func(f string) int {
		m := versionSuffix.FindStringSubmatch(f)
		if m == nil {
			return 0
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	slices.SortFunc(files, func(a, b string) int { return cmp.Or(cmp.Compare(version(a), version(b)), cmp.Compare(a, b)) })
	for _, f := range files {
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		_, err = pool.Exec(ctx, string(body))
		require.NoError(t, err, "load the engine's %s", f)
		t.Logf("engine: loaded %s", filepath.Base(f))
	}
	views, err := filepath.Glob(filepath.Join(dir, "..", "views", "*.sql"))
	require.NoError(t, err)
	if len(views) == 0 {
		t.Logf("engine: no ../views next to %s: tasker_step_dag_relationships is the fixture's, not the engine's", dir)
	}
	for _, f := range views {
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		name := versionSuffix.ReplaceAllString(filepath.Base(f), "")
		_, err = pool.Exec(ctx, fmt.Sprintf("DROP VIEW IF EXISTS %s; CREATE VIEW %s AS %s", name, name, body))
		require.NoError(t, err, "load the engine's view %s", f)
		t.Logf("engine: loaded view %s", name)
	}
}

func ids(db *surfaceDB) []int64 {
	out := make([]int64, len(db.tasks))
	for i, w := range db.tasks {
		out[i] = w.taskID
	}
	return out
}

// checkAgainstOracle compares one database's functions with the oracle, the workflow's view and
// the expected states.
func checkAgainstOracle(t *testing.T, db *surfaceDB, base time.Time) {
	ctx := context.Background()
	snap := readSnapshot(t, db.pool)
	now := time.Now().UTC()
	all := ids(db)
	asked := append(slices.Clone(all), all[0], 987654321) // a duplicate and a task that does not exist

	assert.Equal(t, snap.readinessBatch(all, now), query[readinessRow](t, db.pool, `SELECT * FROM get_step_readiness_status_batch($1) ORDER BY task_id, workflow_step_id`, all),
		"get_step_readiness_status_batch")
	assert.Equal(t, snap.contexts(asked, now), query[contextRow](t, db.pool, `SELECT * FROM get_task_execution_contexts_batch($1)`, asked),
		"get_task_execution_contexts_batch")
	assert.Equal(t, snap.health(), query[healthRow](t, db.pool, `SELECT total_tasks, pending_tasks, in_progress_tasks, complete_tasks,
		error_tasks, cancelled_tasks, total_steps, pending_steps, in_progress_steps, complete_steps, error_steps,
		retryable_error_steps, exhausted_retry_steps, in_backoff_steps FROM get_system_health_counts_v01()`)[0], "get_system_health_counts_v01")
	var active, maxConns, setting int64
	require.NoError(t, db.pool.QueryRow(ctx, `SELECT active_connections, max_connections, current_setting('max_connections')::bigint
		FROM get_system_health_counts_v01()`).Scan(&active, &maxConns, &setting))
	assert.GreaterOrEqual(t, active, int64(1), "the asking connection is active")
	assert.Equal(t, setting, maxConns)
	assert.Equal(t, snap.dagRows(), query[dagRow](t, db.pool, `SELECT * FROM tasker_step_dag_relationships ORDER BY workflow_step_id`),
		"tasker_step_dag_relationships")
	checkAnalytics(t, db, snap, base)

	for _, w := range db.tasks {
		t.Run(w.sc.name, func(t *testing.T) {
			now := time.Now().UTC()
			assert.Equal(t, snap.readinessBatch([]int64{w.taskID}, now),
				query[readinessRow](t, db.pool, `SELECT * FROM get_step_readiness_status($1) ORDER BY workflow_step_id`, w.taskID))
			first := []int64{w.stepID[w.sc.tmpl.Steps[0].Name]}
			assert.Equal(t, snap.readinessBatch([]int64{w.taskID}, now)[:1],
				query[readinessRow](t, db.pool, `SELECT * FROM get_step_readiness_status($1, $2)`, w.taskID, first), "with step_ids")
			ec := query[contextRow](t, db.pool, `SELECT * FROM get_task_execution_context($1)`, w.taskID)
			require.Len(t, ec, 1)
			assert.Equal(t, snap.contexts([]int64{w.taskID}, now), ec, "oracle")
			assert.Equal(t, w.sc.exec, ec[0].ExecutionStatus, "what the scenario must read as")
			assert.Equal(t, w.sc.health, ec[0].HealthStatus)
			for step, limit := range mirroredLimits[w.sc.name] {
				var got int32
				require.NoError(t, db.pool.QueryRow(ctx, `SELECT retry_limit FROM tasker_workflow_steps WHERE workflow_step_id = $1`,
					w.stepID[step]).Scan(&got))
				assert.Equal(t, limit, got, "retry_limit of %s", step)
			}
			wf := w.run.ExecutionContext(now)
			assert.Equal(t, []any{wf.ExecutionStatus, wf.HealthStatus, wf.TotalSteps, wf.PendingSteps, wf.InProgressSteps, wf.CompletedSteps, wf.FailedSteps, wf.ReadySteps},
				[]any{ec[0].ExecutionStatus, ec[0].HealthStatus, int(ec[0].Total), int(ec[0].Pending), int(ec[0].InProgress), int(ec[0].Completed), int(ec[0].Failed), int(ec[0].ReadySteps)},
				"the engine reads what the workflow sees")

			levels := query[levelRow](t, db.pool, `SELECT * FROM calculate_dependency_levels($1)`, w.taskID)
			assert.Equal(t, snap.levels(w.taskID), levels, "oracle")
			g := w.run.Graph()
			for _, l := range levels {
				i := slices.IndexFunc(w.sc.tmpl.Steps, func(s template.Step) bool { return w.stepID[s.Name] == l.WorkflowStepID })
				assert.Equal(t, g.Levels()[i], int(l.Level), "dag.Graph.Levels of step %s", g.Name(i))
			}
			assert.Len(t, levels, g.Len())
		})
	}
	assert.Empty(t, query[contextRow](t, db.pool, `SELECT * FROM get_task_execution_context(987654321)`), "no row for a missing task")
}

func checkAnalytics(t *testing.T, db *surfaceDB, snap *snapshot, base time.Time) {
	since := base.Add(-time.Minute)
	now := time.Now().UTC()
	got := query[analyticsRow](t, db.pool, `SELECT active_tasks_count, total_namespaces_count, unique_task_types_count,
		system_health_score, task_throughput, completion_count, error_count, completion_rate, error_rate,
		avg_task_duration, avg_step_duration, step_throughput, analysis_period_start FROM get_analytics_metrics_v01($1)`, since)
	require.Len(t, got, 1)
	want := snap.analytics(since, now)
	got[0].PeriodStart = got[0].PeriodStart.UTC()
	assert.InDelta(t, want.AvgTaskDuration, got[0].AvgTaskDuration, 0.0011, "avg_task_duration")
	assert.InDelta(t, want.AvgStepDuration, got[0].AvgStepDuration, 0.0011, "avg_step_duration")
	want.AvgTaskDuration, want.AvgStepDuration = got[0].AvgTaskDuration, got[0].AvgStepDuration
	assert.Equal(t, want, got[0], "get_analytics_metrics_v01")
	assert.Positive(t, want.Completions)

	if db.engine {
		// The engine's two slowest_* functions return timestamp columns declared timestamptz, which
		// PostgreSQL refuses at run time; there is nothing of theirs to compare.
		for _, fn := range []string{"get_slowest_steps_v01", "get_slowest_tasks_v01"} {
			_, err := db.pool.Exec(context.Background(), "SELECT * FROM "+fn+"()")
			var pgErr *pgconn.PgError
			if assert.ErrorAs(t, err, &pgErr, "%s is known to fail on the engine's schema; if it runs now, compare it", fn) {
				t.Logf("engine: %s fails as known (%s %s): not compared", fn, pgErr.Code, pgErr.Message)
			}
		}
		return
	}
	steps := query[slowStepRow](t, db.pool, `SELECT * FROM get_slowest_steps_v01($1, 5)`, since)
	for i := range steps {
		steps[i].CreatedAt, steps[i].CompletedAt = steps[i].CreatedAt.UTC(), steps[i].CompletedAt.UTC()
	}
	assert.Equal(t, snap.slowestSteps(since, 5), steps, "get_slowest_steps_v01")
	assert.Len(t, steps, 5)
	tasks := query[slowTaskRow](t, db.pool, `SELECT * FROM get_slowest_tasks_v01($1, 100)`, since)
	for i := range tasks {
		tasks[i].CreatedAt, tasks[i].CompletedAt = tasks[i].CreatedAt.UTC(), tasks[i].CompletedAt.UTC()
	}
	assert.Equal(t, snap.slowestTasks(since, 100), tasks, "get_slowest_tasks_v01")
	assert.NotEmpty(t, tasks)
	filtered := query[slowTaskRow](t, db.pool, `SELECT * FROM get_slowest_tasks_v01(NULL, 100, 'ecommerce', 'order_fulfillment', '1.2.0')`)
	assert.NotEmpty(t, filtered)
	for _, r := range filtered {
		assert.Equal(t, []string{"ecommerce", "order_fulfillment", "1.2.0"}, []string{r.Namespace, r.TaskName, r.Version})
	}
}

// query collects rows into T by position.
func query[T any](t *testing.T, pool *pgxpool.Pool, sql string, args ...any) []T {
	t.Helper()
	rows, err := pool.Query(context.Background(), sql, args...)
	require.NoError(t, err, sql)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[T])
	require.NoError(t, err, sql)
	if out == nil {
		out = []T{}
	}
	return out
}

// surfaceQuery is one call compared row by row across the databases.
type surfaceQuery struct {
	name     string
	sql      string // selects rows of the function or view as f
	args     []any
	drop     []string // keys that differ between any two calls (the clock, connections)
	unsorted bool     // the engine does not order these rows: compare as sets
	noEngine bool     // the engine's function cannot run (see checkAnalytics)
}

func surfaceQueries(db *surfaceDB, base time.Time) []surfaceQuery {
	all := ids(db)
	since := base.Add(-time.Minute)
	qs := []surfaceQuery{
		{name: "get_step_readiness_status_batch", sql: `get_step_readiness_status_batch($1)`, args: []any{all}, unsorted: true},
		{name: "get_task_execution_contexts_batch", sql: `get_task_execution_contexts_batch($1)`, args: []any{append(slices.Clone(all), all[1], 0)}},
		{name: "tasker_step_dag_relationships", sql: `tasker_step_dag_relationships`, unsorted: true},
		{name: "get_system_health_counts_v01", sql: `get_system_health_counts_v01()`, drop: []string{"active_connections"}},
		{name: "get_analytics_metrics_v01", sql: `get_analytics_metrics_v01($1)`, args: []any{since}, drop: []string{"calculated_at"}},
		{name: "get_slowest_steps_v01", sql: `get_slowest_steps_v01($1, 100)`, args: []any{since}, noEngine: true},
		{name: "get_slowest_tasks_v01", sql: `get_slowest_tasks_v01($1, 100)`, args: []any{since}, noEngine: true},
	}
	for _, w := range db.tasks {
		qs = append(qs,
			surfaceQuery{name: "get_step_readiness_status/" + w.sc.name, sql: `get_step_readiness_status($1)`, args: []any{w.taskID}, unsorted: true},
			surfaceQuery{name: "get_task_execution_context/" + w.sc.name, sql: `get_task_execution_context($1)`, args: []any{w.taskID}},
			surfaceQuery{name: "calculate_dependency_levels/" + w.sc.name, sql: `calculate_dependency_levels($1)`, args: []any{w.taskID}})
	}
	return qs
}

// compareAcross runs q in every database and requires the same rows (as JSON) from each.
func compareAcross(t *testing.T, dbs []*surfaceDB, q surfaceQuery) {
	var first []string
	compared := []string{}
	for _, db := range dbs {
		if db.engine && q.noEngine {
			t.Logf("%s: not run on the engine (it fails there; see get_slowest_* in docs/compat.md §5)", q.name)
			continue
		}
		sql := fmt.Sprintf(`SELECT (to_jsonb(f) - $%d::text[])::text FROM %s f`, len(q.args)+1, q.sql)
		drop := q.drop
		if drop == nil {
			drop = []string{}
		}
		rows, err := db.pool.Query(context.Background(), sql, append(slices.Clone(q.args), drop)...)
		require.NoError(t, err, "%s on %s", q.name, db.name)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		if q.unsorted {
			slices.Sort(got)
		}
		if first == nil {
			first = got
			require.NotEmpty(t, got, "%s returns rows", q.name)
		} else {
			assert.Equal(t, first, got, "%s: %s differs from %s", q.name, db.name, dbs[0].name)
		}
		compared = append(compared, db.name)
	}
	t.Logf("%s: identical rows in %s", q.name, strings.Join(compared, ", "))
}
