package compat_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/compat"
)

const (
	benchTasks = 100
	benchSteps = 10
)

// benchWorkload creates benchTasks tasks of benchSteps chained steps and, for each, its
// transitions: task in_progress, then per step in_progress → error → pending → in_progress →
// complete (one retry), then task complete: 52 transitions per task.
func benchWorkload(b *testing.B, store *compat.Store, round int) ([]int64, [][]tasker.Transition) {
	b.Helper()
	tmpl := chain(benchSteps)
	ids := make([]int64, benchTasks)
	lists := make([][]tasker.Transition, benchTasks)
	for i := range benchTasks {
		wf := fmt.Sprintf("bench-%d-%03d", round, i)
		rec, err := store.CreateTask(context.Background(), tmpl, request(tmpl.Name), wf)
		if err != nil {
			b.Fatal(err)
		}
		e := newEmitter(wf).task(tasker.StateInProgress)
		for _, st := range tmpl.Steps {
			e.fail(st.Name, 1).step(st.Name, tasker.StatePending, 1).run(st.Name, 2)
		}
		ids[i], lists[i] = rec.TaskID, e.task(tasker.StateComplete).list
	}
	return ids, lists
}

// BenchmarkWriteTransitions measures transitions/s written into PostgreSQL by 100 tasks at once,
// each flushing its transitions in batches of the given size (a task's flushes are sequential, as
// the recorder's are). base_statesman writes the same transitions the way Statesman does: one
// transaction per transition (read the last sort_key, flip most_recent, insert, update the step).
func BenchmarkWriteTransitions(b *testing.B) {
	ctx := context.Background()
	store := benchStore(b, ourSchema)
	pool := store.Pool()
	round := 0
	// Siblings under one parent, so the lead's report prints each batch size against Statesman's
	// one transaction per transition (which cannot batch).
	const parent = "100_tasks_x_52_transitions"
	for _, size := range []int{1, 8, 52} {
		b.Run(fmt.Sprintf("%s/batch_%d", parent, size), func(b *testing.B) {
			runWrites(b, store, &round, func(taskID int64, ts []tasker.Transition) error {
				for _, batch := range chunks(ts, size) {
					if _, err := store.WriteTransitions(ctx, taskID, batch); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
	b.Run(parent+"/base_statesman", func(b *testing.B) {
		runWrites(b, store, &round, func(taskID int64, ts []tasker.Transition) error {
			return statesmanWrite(ctx, pool, taskID, ts)
		})
	})
}

// BenchmarkWriteTransitionsRailsSchema is the same load on a Rails-created database without
// tasker_temporal_mirror, where each flush derives the applied Seq from transition metadata.
func BenchmarkWriteTransitionsRailsSchema(b *testing.B) {
	ctx := context.Background()
	store := benchStore(b, railsSchema)
	round := 0
	for _, size := range []int{8, 52} {
		b.Run(fmt.Sprintf("100_tasks_x_52_transitions/batch_%d", size), func(b *testing.B) {
			runWrites(b, store, &round, func(taskID int64, ts []tasker.Transition) error {
				for _, batch := range chunks(ts, size) {
					if _, err := store.WriteTransitions(ctx, taskID, batch); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}

// benchStore is a store of the given kind on a 16-connection pool.
func benchStore(b *testing.B, kind string) *compat.Store {
	cfg := newStore(b, kind).Pool().Config()
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return compat.NewStore(pool)
}

func runWrites(b *testing.B, store *compat.Store, round *int, write func(int64, []tasker.Transition) error) {
	var total int
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		*round++
		ids, lists := benchWorkload(b, store, *round)
		b.StartTimer()
		start := time.Now()
		errs := make(chan error, benchTasks)
		var wg sync.WaitGroup
		for i := range benchTasks {
			wg.Go(func() {
				if err := write(ids[i], lists[i]); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		elapsed += time.Since(start)
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		for _, l := range lists {
			total += len(l)
		}
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "transitions/s")
}

// statesmanWrite is the baseline: per transition one transaction, as Statesman's
// transition_to! does it.
func statesmanWrite(ctx context.Context, pool *pgxpool.Pool, taskID int64, ts []tasker.Transition) error {
	for _, t := range ts {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			table, parent, id := "tasker_task_transitions", "task_id", taskID
			if t.Entity == tasker.EntityStep {
				table, parent = "tasker_workflow_step_transitions", "workflow_step_id"
				err := tx.QueryRow(ctx, `SELECT ws.workflow_step_id FROM tasker_workflow_steps ws
					JOIN tasker_named_steps ns USING (named_step_id) WHERE ws.task_id = $1 AND ns.name = $2`, taskID, t.Step).Scan(&id)
				if err != nil {
					return err
				}
			}
			var sortKey int32
			if err := tx.QueryRow(ctx, `SELECT COALESCE(max(sort_key), -10) + 10 FROM `+table+` WHERE `+parent+` = $1`, id).Scan(&sortKey); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE `+table+` SET most_recent = false WHERE `+parent+` = $1 AND most_recent`, id); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO `+table+` (to_state, from_state, metadata, sort_key, most_recent, `+parent+`, created_at, updated_at)
				VALUES ($1, $2, '{}', $3, true, $4, $5, $5)`, t.To, t.From, sortKey, id, t.At)
			if err != nil || t.Entity == tasker.EntityTask {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE tasker_workflow_steps SET attempts = $2, updated_at = $3 WHERE workflow_step_id = $1`, id, t.Attempt, t.At)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkSQLSurfaceBatch times Tasker's batch functions on a database our migrations made,
// holding 5,000 tasks of 10 chained steps in mixed states, for 50 and for all 5,000 tasks (the Rails
// engine's claim: readiness in < 50 ms for 50 tasks, < 500 ms for 5,000). base_readiness_per_task
// asks get_step_readiness_status once per task instead, as a caller without the batch form would.
func BenchmarkSQLSurfaceBatch(b *testing.B) {
	pool := newStore(b, ourSchema).Pool()
	all := seedSurfaceBench(b, pool, 5000, 10)
	for _, n := range []int{50, 5000} {
		ids := all[:n]
		parent := fmt.Sprintf("tasks_%d_x_10_steps", n)
		for _, fn := range []string{"get_step_readiness_status_batch", "get_task_execution_contexts_batch"} {
			b.Run(parent+"/"+fn, func(b *testing.B) {
				for b.Loop() {
					readAll(b, pool, `SELECT * FROM `+fn+`($1)`, ids)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/call")
			})
		}
		b.Run(parent+"/base_readiness_per_task", func(b *testing.B) {
			for b.Loop() {
				for _, id := range ids {
					readAll(b, pool, `SELECT * FROM get_step_readiness_status($1)`, id)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/call")
		})
	}
}

// readAll runs a query and reads every row, as a caller does.
func readAll(b *testing.B, pool *pgxpool.Pool, sql string, args ...any) {
	rows, err := pool.Query(context.Background(), sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil || n == 0 {
		b.Fatalf("%s: %d rows, %v", sql, n, err)
	}
}

// seedSurfaceBench inserts, with set-based SQL as a bulk load would, tasks of `steps` chained
// steps: in task i the first i mod steps steps are complete (in_progress, then complete), the
// next one is in error after one attempt, the rest pending. It returns the task ids.
func seedSurfaceBench(b *testing.B, pool *pgxpool.Pool, tasks, steps int) []int64 {
	b.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
		INSERT INTO tasker_task_namespaces (name, created_at, updated_at) VALUES ('bench', now(), now());
		INSERT INTO tasker_dependent_systems (name, created_at, updated_at) VALUES ('default', now(), now());
		INSERT INTO tasker_named_tasks (name, task_namespace_id, version, created_at, updated_at)
		SELECT 'surface', task_namespace_id, '0.1.0', now(), now() FROM tasker_task_namespaces;
		INSERT INTO tasker_named_steps (dependent_system_id, name, created_at, updated_at)
		SELECT 1, 's' || k, now(), now() FROM generate_series(0, $2 - 1) k;
		INSERT INTO tasker_tasks (named_task_id, requested_at, identity_hash, created_at, updated_at)
		SELECT 1, now() - interval '1 hour', 'bench-' || i, now() - interval '1 hour', now() FROM generate_series(1, $1) i;
		INSERT INTO tasker_workflow_steps (task_id, named_step_id, retry_limit, attempts, processed, created_at, updated_at)
		SELECT t.task_id, k + 1, 3, CASE WHEN k <= t.task_id % $2 THEN 1 ELSE 0 END, k < t.task_id % $2,
		       now() - interval '1 hour', now()
		FROM tasker_tasks t, generate_series(0, $2 - 1) k ORDER BY t.task_id, k;
		INSERT INTO tasker_workflow_step_edges (from_step_id, to_step_id, name, created_at, updated_at)
		SELECT p.workflow_step_id, c.workflow_step_id, 'provides', now(), now()
		FROM tasker_workflow_steps p JOIN tasker_workflow_steps c ON c.task_id = p.task_id AND c.named_step_id = p.named_step_id + 1;
		INSERT INTO tasker_workflow_step_transitions (to_state, from_state, sort_key, most_recent, workflow_step_id, created_at, updated_at)
		SELECT 'pending', NULL, 0, false, ws.workflow_step_id, now() - interval '1 hour', now() FROM tasker_workflow_steps ws;
		INSERT INTO tasker_workflow_step_transitions (to_state, from_state, sort_key, most_recent, workflow_step_id, created_at, updated_at)
		SELECT CASE WHEN ws.named_step_id - 1 < ws.task_id % $2 THEN 'complete' WHEN ws.named_step_id - 1 = ws.task_id % $2 THEN 'error'
		            ELSE 'pending' END,
		       'in_progress', 10, true, ws.workflow_step_id, now() - interval '30 minutes', now() FROM tasker_workflow_steps ws;
		INSERT INTO tasker_task_transitions (to_state, sort_key, most_recent, task_id, created_at, updated_at)
		SELECT 'in_progress', 0, true, task_id, now() - interval '1 hour', now() FROM tasker_tasks;
		ANALYZE`, pgx.QueryExecModeSimpleProtocol, tasks, steps)
	if err != nil {
		b.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT task_id FROM tasker_tasks ORDER BY task_id`)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		b.Fatal(err)
	}
	return ids
}
