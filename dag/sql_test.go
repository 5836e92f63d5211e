package dag

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal/migrations"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

// The SQL side of the readiness benchmarks: the same DAG and state held in Tasker's Rails tables,
// asked the same question by one query with the semantics of get_step_readiness_status.

// readinessSQL answers "which steps of task $1 are ready at $2" the way Tasker's
// get_step_readiness_status does (TASKER-REFERENCE §3), in its shape: the current state from the
// most_recent transition, parents' states through the edges, grouped per step.
const readinessSQL = `
SELECT ws.workflow_step_id
FROM tasker_workflow_steps ws
JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
LEFT JOIN tasker_workflow_step_transitions cur
  ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent = true
LEFT JOIN tasker_workflow_step_edges dep
  ON dep.to_step_id = ws.workflow_step_id
LEFT JOIN tasker_workflow_step_transitions parent
  ON parent.workflow_step_id = dep.from_step_id AND parent.most_recent = true
LEFT JOIN tasker_workflow_step_transitions last_failure
  ON last_failure.workflow_step_id = ws.workflow_step_id
  AND last_failure.to_state = 'error' AND last_failure.most_recent = true
WHERE ws.task_id = $1
GROUP BY ws.workflow_step_id, cur.to_state, last_failure.created_at
HAVING COALESCE(cur.to_state, 'pending') IN ('pending', 'error')
  AND bool_and(NOT ws.processed)
  AND COUNT(dep.from_step_id) = COUNT(CASE WHEN parent.to_state IN ('complete', 'resolved_manually') THEN 1 END)
  AND bool_and(COALESCE(ws.attempts, 0) < COALESCE(ws.retry_limit, 3))
  AND bool_and(COALESCE(ws.retryable, true))
  AND bool_and(NOT ws.in_process)
  AND bool_and(ws.backoff_request_seconds IS NULL OR ws.last_attempted_at IS NULL
      OR ws.last_attempted_at + ws.backoff_request_seconds * interval '1 second' <= $2::timestamp)
  AND (last_failure.created_at IS NULL
      OR last_failure.created_at + LEAST(power(2, COALESCE(MAX(ws.attempts), 1)) * interval '1 second', interval '30 seconds') <= $2::timestamp)
ORDER BY ws.workflow_step_id`

var (
	sharedDBOnce sync.Once
	sharedDB     string
	sharedDrop   func() error
	sharedErr    error
	nextTaskID   int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDrop != nil {
		if err := sharedDrop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// railsDB connects to one throwaway database per test binary holding the fixture schema. It fails
// the test or benchmark loudly when PostgreSQL is down.
func railsDB(tb testing.TB) *pgx.Conn {
	tb.Helper()
	ctx := context.Background()
	sharedDBOnce.Do(func() {
		sharedDB, sharedDrop, sharedErr = testsuite.NewDatabaseURL(ctx)
		if sharedErr != nil {
			return
		}
		pool, err := pgxpool.New(ctx, sharedDB)
		if err != nil {
			sharedErr = err
			return
		}
		defer pool.Close()
		if _, err := migrations.Ensure(ctx, pool, migrations.Options{}); err != nil {
			sharedErr = fmt.Errorf("create the Rails schema: %w", err)
			return
		}
		_, sharedErr = pool.Exec(ctx, `
INSERT INTO tasker_task_namespaces (task_namespace_id, name, created_at, updated_at) VALUES (1, 'default', now(), now()) ON CONFLICT DO NOTHING;
INSERT INTO tasker_dependent_systems (dependent_system_id, name, created_at, updated_at) VALUES (1, 'default', now(), now()) ON CONFLICT DO NOTHING;
INSERT INTO tasker_named_tasks (named_task_id, name, task_namespace_id, created_at, updated_at) VALUES (1, 'bench', 1, now(), now()) ON CONFLICT DO NOTHING;`)
	})
	if sharedErr != nil {
		tb.Fatalf("rails database: %v", sharedErr)
	}
	conn, err := pgx.Connect(ctx, sharedDB)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// railsTask is one task loaded into the Rails tables; step i is workflow_step_id base+i.
type railsTask struct {
	id   int64
	base int64
	n    int
}

func (t railsTask) stepIndex(id int64) int { return int(id - t.base) }

// loadRails writes run r's graph and state as a new task: named steps, workflow steps, provides
// edges and transitions (an initial pending row, and the current state as most_recent).
func loadRails(tb testing.TB, conn *pgx.Conn, r *Run) railsTask {
	tb.Helper()
	ctx := context.Background()
	nextTaskID++
	t := railsTask{id: nextTaskID, base: nextTaskID * 1_000_000, n: r.Graph().Len()}
	at := t0.Add(-time.Hour)
	_, err := conn.Exec(ctx, `INSERT INTO tasker_tasks (task_id, named_task_id, requested_at, identity_hash, created_at, updated_at)
		VALUES ($1, 1, $2, $3, $2, $2)`, t.id, at, fmt.Sprint("bench-", t.id))
	require.NoError(tb, err)
	g := r.Graph()
	var named, steps, edges, trans [][]any
	for i := range g.Len() {
		id := t.base + int64(i)
		st := r.Step(i)
		named = append(named, []any{int32(id), int32(1), fmt.Sprintf("t%d_%s", t.id, g.Name(i)), at, at})
		var lastAttempt any
		if st.Attempts > 0 {
			lastAttempt = at
		}
		steps = append(steps, []any{id, t.id, int32(id), st.Retryable, int32(st.MaxAttempts),
			st.State == InProgress, st.State == Complete, int32(st.Attempts), lastAttempt, at, at})
		for _, p := range g.Parents(i) {
			edges = append(edges, []any{t.base + int64(p), id, "provides", at, at})
		}
		trans = append(trans, []any{"pending", nil, int32(0), st.State == Pending, id, at, at})
		if st.State != Pending {
			created := at
			if st.State == Error {
				created = st.LastErrorAt
			}
			trans = append(trans, []any{st.State.String(), "pending", int32(10), true, id, created, created})
		}
	}
	copyRows(tb, conn, "tasker_named_steps", []string{"named_step_id", "dependent_system_id", "name", "created_at", "updated_at"}, named)
	copyRows(tb, conn, "tasker_workflow_steps", []string{"workflow_step_id", "task_id", "named_step_id", "retryable", "retry_limit",
		"in_process", "processed", "attempts", "last_attempted_at", "created_at", "updated_at"}, steps)
	copyRows(tb, conn, "tasker_workflow_step_edges", []string{"from_step_id", "to_step_id", "name", "created_at", "updated_at"}, edges)
	copyRows(tb, conn, "tasker_workflow_step_transitions", []string{"to_state", "from_state", "sort_key", "most_recent",
		"workflow_step_id", "created_at", "updated_at"}, trans)
	_, err = conn.Exec(ctx, "ANALYZE tasker_workflow_steps, tasker_workflow_step_edges, tasker_workflow_step_transitions, tasker_named_steps")
	require.NoError(tb, err)
	return t
}

func copyRows(tb testing.TB, conn *pgx.Conn, table string, cols []string, rows [][]any) {
	tb.Helper()
	_, err := conn.CopyFrom(context.Background(), pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	require.NoError(tb, err, "copy into %s", table)
}

// sqlReady runs readinessSQL and returns step indexes, ascending.
func sqlReady(tb testing.TB, conn *pgx.Conn, t railsTask, now time.Time, dst []int) []int {
	rows, err := conn.Query(context.Background(), readinessSQL, t.id, now.UTC())
	if err != nil {
		tb.Fatalf("readiness query: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			tb.Fatalf("scan: %v", err)
		}
		dst = append(dst, t.stepIndex(id))
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("readiness query: %v", err)
	}
	return dst
}

// midRun is a half-done run: the first half of the topological order complete, and of the steps
// that are then ready, a quarter each in progress, in error within their backoff, in error past
// it, and left pending.
func midRun(g *Graph) *Run {
	r := NewRun(g)
	for _, i := range g.TopoOrder()[:g.Len()/2] {
		_ = r.Transition(i, InProgress, t0.Add(-time.Minute))
		_ = r.Transition(i, Complete, t0.Add(-time.Minute))
	}
	for k, i := range r.AppendReady(nil, t0) {
		switch k % 4 {
		case 0:
			_ = r.Transition(i, InProgress, t0)
		case 1:
			_ = r.Transition(i, InProgress, t0)
			_ = r.Transition(i, Error, t0.Add(-time.Second)) // backoff 2 s: not ready
		case 2:
			_ = r.Transition(i, InProgress, t0)
			_ = r.Transition(i, Error, t0.Add(-10*time.Second)) // ready again
		}
	}
	return r
}

// TestReadinessAgreesWithSQL loads random run states into the Rails tables and checks that the Go
// resolver and the SQL readiness query pick the same steps. (Not covered: explicit backoff
// deadlines and non-retryable steps, where we knowingly differ from Tasker: see docs/dag.md.)
func TestReadinessAgreesWithSQL(t *testing.T) {
	conn := railsDB(t)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, sh := range shapes {
		for round := range 3 {
			g, err := New(sh.build(60))
			require.NoError(t, err)
			r := NewRun(g)
			now := t0
			for range 150 {
				i := rng.IntN(g.Len())
				switch rng.IntN(8) {
				case 0:
					now = now.Add(time.Duration(rng.IntN(20)) * time.Second)
				case 1:
					r.AddAttempts(i, 1)
				default:
					_ = r.Transition(i, State(rng.IntN(numStates)), now)
				}
			}
			task := loadRails(t, conn, r)
			for _, at := range []time.Duration{0, time.Second, 3 * time.Second, time.Minute} {
				want := r.AppendReady(nil, now.Add(at))
				got := sqlReady(t, conn, task, now.Add(at), nil)
				require.Equal(t, fmt.Sprint(want), fmt.Sprint(got), "%s round %d at +%s", sh.name, round, at)
			}
		}
	}
	// And the benchmark's mid-run states.
	for _, n := range []int{10, 100, 1000} {
		r := midRun(mustGraph(t, randomSpecs(n)))
		task := loadRails(t, conn, r)
		want := r.AppendReady(nil, t0)
		require.NotEmpty(t, want)
		require.Equal(t, want, sqlReady(t, conn, task, t0, nil), "midRun %d", n)
	}
}

// BenchmarkReadiness asks "which steps are ready now" of a half-done task (midRun) three ways:
// base_sql is one query with get_step_readiness_status's semantics over the Rails tables; go is
// AppendReady on the live Run (the workflow's case: the state is kept incrementally);
// go_from_snapshot rebuilds the Run from its snapshot first (the cold case, e.g. after
// continue-as-new).
func BenchmarkReadiness(b *testing.B) {
	conn := railsDB(b)
	for _, n := range benchSizes {
		g, err := New(randomSpecs(n))
		if err != nil {
			b.Fatal(err)
		}
		r := midRun(g)
		task := loadRails(b, conn, r)
		want := fmt.Sprint(r.AppendReady(nil, t0))
		b.Run(fmt.Sprintf("%d/base_sql", n), func(b *testing.B) {
			var buf []int
			for b.Loop() {
				buf = sqlReady(b, conn, task, t0, buf[:0])
			}
			if fmt.Sprint(buf) != want {
				b.Fatalf("SQL and Go disagree: %v vs %s", buf, want)
			}
		})
		b.Run(fmt.Sprintf("%d/go", n), func(b *testing.B) {
			buf := make([]int, 0, n)
			b.ReportAllocs()
			for b.Loop() {
				buf = r.AppendReady(buf[:0], t0)
			}
		})
		snap := r.Snapshot()
		b.Run(fmt.Sprintf("%d/go_from_snapshot", n), func(b *testing.B) {
			var buf []int
			b.ReportAllocs()
			for b.Loop() {
				r2, err := Restore(g, snap)
				if err != nil {
					b.Fatal(err)
				}
				buf = r2.AppendReady(buf[:0], t0)
			}
		})
	}
}

// benchResolveSQL resolves a fresh task fully through the Rails tables, the way a SQL-driven
// orchestrator does: per round, one readiness query, then one batch that writes each ready
// step's in_progress and complete transitions and marks it processed.
func benchResolveSQL(b *testing.B, g *Graph) {
	conn := railsDB(b)
	task := loadRails(b, conn, NewRun(g))
	ctx := context.Background()
	var buf []int
	ids := make([]int64, 0, g.Len())
	for b.Loop() {
		b.StopTimer()
		resetRailsTask(b, conn, task)
		b.StartTimer()
		for {
			buf = sqlReady(b, conn, task, t0, buf[:0])
			if len(buf) == 0 {
				break
			}
			ids = ids[:0]
			for _, i := range buf {
				ids = append(ids, task.base+int64(i))
			}
			batch := &pgx.Batch{}
			batch.Queue(`UPDATE tasker_workflow_step_transitions SET most_recent = false, updated_at = $2
				WHERE workflow_step_id = ANY($1) AND most_recent`, ids, t0)
			batch.Queue(`INSERT INTO tasker_workflow_step_transitions (to_state, from_state, sort_key, most_recent, workflow_step_id, created_at, updated_at)
				SELECT 'in_progress', 'pending', 10, false, id, $2::timestamp, $2::timestamp FROM unnest($1::bigint[]) id
				UNION ALL SELECT 'complete', 'in_progress', 20, true, id, $2::timestamp, $2::timestamp FROM unnest($1::bigint[]) id`, ids, t0)
			batch.Queue(`UPDATE tasker_workflow_steps SET attempts = 1, processed = true, processed_at = $2,
				last_attempted_at = $2, updated_at = $2 WHERE workflow_step_id = ANY($1)`, ids, t0)
			if err := conn.SendBatch(ctx, batch).Close(); err != nil {
				b.Fatalf("round: %v", err)
			}
		}
	}
	var done int
	err := conn.QueryRow(ctx, `SELECT count(*) FROM tasker_workflow_steps WHERE task_id = $1 AND processed`, task.id).Scan(&done)
	require.NoError(b, err)
	require.Equal(b, g.Len(), done, "SQL resolve did not finish the task")
}

func resetRailsTask(b *testing.B, conn *pgx.Conn, t railsTask) {
	batch := &pgx.Batch{}
	lo, hi := t.base, t.base+int64(t.n)
	batch.Queue(`DELETE FROM tasker_workflow_step_transitions WHERE workflow_step_id BETWEEN $1 AND $2 AND sort_key > 0`, lo, hi)
	batch.Queue(`UPDATE tasker_workflow_step_transitions SET most_recent = true WHERE workflow_step_id BETWEEN $1 AND $2`, lo, hi)
	batch.Queue(`UPDATE tasker_workflow_steps SET attempts = 0, processed = false, processed_at = NULL, last_attempted_at = NULL
		WHERE workflow_step_id BETWEEN $1 AND $2`, lo, hi)
	if err := conn.SendBatch(context.Background(), batch).Close(); err != nil {
		b.Fatalf("reset task: %v", err)
	}
}
