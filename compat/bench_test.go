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
