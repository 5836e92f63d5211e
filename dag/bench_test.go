package dag

import (
	"fmt"
	"testing"
)

var benchSizes = []int{10, 100, 1000, 10000}

// resolveAll walks a run to the end with every attempt succeeding, in rounds: start every ready
// step, then finish them. It returns the number of rounds.
func resolveAll(r *Run, buf []int) ([]int, int) {
	rounds := 0
	for {
		buf = r.AppendReady(buf[:0], t0)
		if len(buf) == 0 {
			return buf, rounds
		}
		rounds++
		for _, i := range buf {
			if err := r.Transition(i, InProgress, t0); err != nil {
				panic(err)
			}
		}
		for _, i := range buf {
			if err := r.Transition(i, Complete, t0); err != nil {
				panic(err)
			}
		}
	}
}

// BenchmarkResolve builds the graph from specs and resolves it fully (every step started and
// completed, round by round): go. go_prebuilt resolves an already built graph (the workflow builds
// its graph once per task). base_sql resolves the same DAG through the Rails tables, one readiness
// query per round (only where that takes about a second: see sqlResolveWanted). ns/step is the
// cost per step of the whole thing.
func BenchmarkResolve(b *testing.B) {
	for _, sh := range shapes {
		for _, n := range benchSizes {
			specs := sh.build(n)
			b.Run(fmt.Sprintf("%s/%d/go", sh.name, n), func(b *testing.B) { benchResolveGo(b, specs) })
			if n >= 1000 {
				b.Run(fmt.Sprintf("%s/%d/go_prebuilt", sh.name, n), func(b *testing.B) { benchResolvePrebuilt(b, specs) })
			}
			if sqlResolveWanted(specs) {
				b.Run(fmt.Sprintf("%s/%d/base_sql", sh.name, n), func(b *testing.B) {
					benchResolveSQL(b, mustGraph(b, specs))
					reportPerStep(b, n)
				})
			}
		}
	}
}

func reportPerStep(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/step")
}

func benchResolveGo(b *testing.B, specs []StepSpec) {
	b.ReportAllocs()
	var buf []int
	for b.Loop() {
		g, err := New(specs)
		if err != nil {
			b.Fatal(err)
		}
		r := NewRun(g)
		buf, _ = resolveAll(r, buf)
		if !r.AllDone() {
			b.Fatal("not done")
		}
	}
	reportPerStep(b, len(specs))
}

func benchResolvePrebuilt(b *testing.B, specs []StepSpec) {
	g := mustGraph(b, specs)
	b.ReportAllocs()
	var buf []int
	for b.Loop() {
		r := NewRun(g)
		buf, _ = resolveAll(r, buf)
	}
	reportPerStep(b, len(specs))
}

// incrementalSizes keeps the group short: the per-step cost is flat in n (see the target at 10,000).
var incrementalSizes = []int{1000, 10000}

// BenchmarkIncremental measures one finished step on a prebuilt graph: its in_progress and
// complete transitions (which update the children's counters) plus its share of the AppendReady
// calls that find the next ready steps. One op = one step; the run is Reset when it is done.
func BenchmarkIncremental(b *testing.B) {
	for _, sh := range shapes {
		for _, n := range incrementalSizes {
			g, err := New(sh.build(n))
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/%d", sh.name, n), func(b *testing.B) {
				r := NewRun(g)
				buf := make([]int, 0, n)
				next := 0
				b.ReportAllocs()
				for b.Loop() {
					if next == len(buf) {
						if r.AllDone() {
							r.Reset()
						}
						buf = r.AppendReady(buf[:0], t0)
						next = 0
					}
					i := buf[next]
					next++
					if err := r.Transition(i, InProgress, t0); err != nil {
						b.Fatal(err)
					}
					if err := r.Transition(i, Complete, t0); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkTransition is the bare cost of finishing one step: Transition to complete, which
// decrements its children's counters (O(out-degree)), without looking for ready steps.
func BenchmarkTransition(b *testing.B) {
	g, err := New(latticeSpecs(10000))
	if err != nil {
		b.Fatal(err)
	}
	r := NewRun(g)
	order := g.TopoOrder()
	k := 0
	b.ReportAllocs()
	for b.Loop() {
		if k == len(order) {
			b.StopTimer()
			r.Reset()
			k = 0
			b.StartTimer()
		}
		i := order[k]
		k++
		_ = r.Transition(i, InProgress, t0)
		_ = r.Transition(i, Complete, t0)
	}
}

// BenchmarkExecutionContext is the cost of get_task_execution_context's answer on a half-done
// 10,000-step run.
func BenchmarkExecutionContext(b *testing.B) {
	g, err := New(randomSpecs(10000))
	if err != nil {
		b.Fatal(err)
	}
	r := midRun(g)
	b.ReportAllocs()
	for b.Loop() {
		_ = r.ExecutionContext(t0)
	}
}

// sqlResolveWanted keeps the SQL side of BenchmarkResolve to what finishes in about a second:
// 1,000 steps and at most 40,000 step-rounds (a 1,000-step chain needs 1,000 queries).
func sqlResolveWanted(specs []StepSpec) bool {
	if len(specs) != 1000 {
		return false
	}
	g, err := New(specs)
	if err != nil {
		return false
	}
	_, rounds := resolveAll(NewRun(g), nil)
	return rounds*len(specs) <= 40000
}
