package dag

import (
	"fmt"
	"testing"
)

// batchIDs is n batch ids 001….
func batchIDs(n int) []string {
	ids := make([]string, n)
	for k := range ids {
		ids[k] = fmt.Sprintf("%03d", k+1)
	}
	return ids
}

// BenchmarkDynamic measures a grown run the way BenchmarkIncremental measures a static one: one
// op = one finished batch worker (in_progress, complete, its share of AppendReady) of a batch of
// n workers converging on one deferred step (out-degree 1 per worker, n for the batchable step).
// base_static is the same shape as a static template (the batchable step's children and the
// convergence step's parents written out). Each run is rebuilt outside the timer when done.
// expand is the cost of applying the batch outcome itself (one op = one outcome of n workers).
func BenchmarkDynamic(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		static := []StepSpec{{Name: "analyze_csv"}}
		agg := StepSpec{Name: "aggregate"}
		for _, id := range batchIDs(n) {
			static = append(static, StepSpec{Name: "w_" + id, Dependencies: []string{"analyze_csv"}})
			agg.Dependencies = append(agg.Dependencies, "w_"+id)
		}
		static = append(static, agg)
		b.Run(fmt.Sprintf("%d/base_static", n), func(b *testing.B) {
			g, err := New(static)
			if err != nil {
				b.Fatal(err)
			}
			benchWorkers(b, func() *Run {
				r := NewRun(g)
				finishBench(b, r, 0)
				return r
			})
		})
		b.Run(fmt.Sprintf("%d/grown", n), func(b *testing.B) {
			g, err := New(csvSpecs())
			if err != nil {
				b.Fatal(err)
			}
			ids := batchIDs(n)
			benchWorkers(b, func() *Run {
				r := NewRun(g)
				finishBench(b, r, 0)
				if err := r.Expand(0, "process_csv_batch", ids); err != nil {
					b.Fatal(err)
				}
				return r
			})
		})
		b.Run(fmt.Sprintf("%d/expand", n), func(b *testing.B) {
			g, err := New(csvSpecs())
			if err != nil {
				b.Fatal(err)
			}
			ids := batchIDs(n)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				r := NewRun(g)
				finishBench(b, r, 0)
				b.StartTimer()
				if err := r.Expand(0, "process_csv_batch", ids); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func finishBench(b *testing.B, r *Run, i int) {
	if err := r.Transition(i, InProgress, t0); err != nil {
		b.Fatal(err)
	}
	if err := r.Transition(i, Complete, t0); err != nil {
		b.Fatal(err)
	}
}

func benchWorkers(b *testing.B, fresh func() *Run) {
	r := fresh()
	buf := make([]int, 0, r.Graph().Len())
	next := 0
	b.ReportAllocs()
	for b.Loop() {
		if next == len(buf) {
			buf = r.AppendReady(buf[:0], t0)
			next = 0
			if len(buf) == 0 || r.Graph().Name(buf[0]) == "aggregate" || r.Graph().Name(buf[0]) == "aggregate_csv_results" {
				b.StopTimer()
				r = fresh()
				buf = r.AppendReady(buf[:0], t0)
				b.StartTimer()
			}
		}
		i := buf[next]
		next++
		finishBench(b, r, i)
	}
}
