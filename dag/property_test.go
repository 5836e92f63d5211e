package dag

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// genDAG draws a random acyclic graph: each step depends on a random subset of the steps before
// it in a random topological order, and the steps are then listed in another random order (so
// index order is not a topological order).
func genDAG(t *rapid.T) []StepSpec {
	n := rapid.IntRange(1, 40).Draw(t, "n")
	order := rapid.Permutation(seq(n)).Draw(t, "order") // order[k] = index of the k-th step in topological order
	out := make([]StepSpec, n)
	for k, i := range order {
		s := StepSpec{
			Name:        fmt.Sprintf("s%d", i),
			Retryable:   rapid.Bool().Draw(t, "retryable"),
			MaxAttempts: rapid.IntRange(0, 4).Draw(t, "max"),
		}
		density := rapid.IntRange(0, 4).Draw(t, "density")
		for j := 0; j < k; j++ {
			if density > 0 && rapid.IntRange(0, 9).Draw(t, "edge") < density {
				s.Dependencies = append(s.Dependencies, fmt.Sprintf("s%d", order[j]))
			}
		}
		out[i] = s
	}
	return out
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestPropertyReadiness drives random runs with random successes, failures, retries, manual
// resolutions, cancellations and clock moves, and checks after every move that the resolver agrees
// with a naive recomputation: no step is ready before all its parents are complete or resolved,
// the ready set, counts and execution context match a scan of every step.
func TestPropertyReadiness(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, err := New(genDAG(t))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		r := NewRun(g)
		now := t0
		for range rapid.IntRange(0, 120).Draw(t, "moves") {
			randomMove(t, r, &now)
			checkAgainstNaive(t, r, now)
		}
	})
}

func randomMove(t *rapid.T, r *Run, now *time.Time) {
	g := r.Graph()
	i := rapid.IntRange(0, g.Len()-1).Draw(t, "step")
	switch rapid.IntRange(0, 9).Draw(t, "action") {
	case 0:
		*now = now.Add(time.Duration(rapid.IntRange(0, 40).Draw(t, "secs")) * time.Second)
	case 1:
		r.SetNextAttemptAt(i, now.Add(time.Duration(rapid.IntRange(-5, 40).Draw(t, "deadline"))*time.Second))
	case 2:
		r.AddAttempts(i, rapid.IntRange(0, 2).Draw(t, "add"))
	default:
		to := State(rapid.IntRange(0, numStates-1).Draw(t, "to"))
		before := r.Step(i)
		wasReady := r.IsReady(i, *now)
		err := r.Transition(i, to, *now)
		if err != nil {
			if r.Step(i) != before {
				t.Fatalf("failed transition changed step %d", i)
			}
			return
		}
		if to == InProgress && before.State != InProgress {
			for _, p := range g.Parents(i) {
				if !r.State(p).Satisfies() && r.Presence(p) != NotCreated {
					t.Fatalf("step %d started with parent %d %s", i, p, r.State(p))
				}
			}
			if before.State == Pending && !wasReady && before.NextAttemptAt.IsZero() {
				t.Fatalf("step %d started though not startable", i)
			}
		}
	}
}

func checkAgainstNaive(t *rapid.T, r *Run, now time.Time) {
	g := r.Graph()
	var want []int
	for i := range g.Len() {
		if naiveReady(r, i, now) {
			want = append(want, i)
		}
	}
	got := r.AppendReady(nil, now)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ready at %s: got %v, naive %v", now, got, want)
	}
	for _, i := range got {
		for _, p := range g.Parents(i) {
			if !r.State(p).Satisfies() && r.Presence(p) != NotCreated {
				t.Fatalf("step %d ready with parent %d %s", i, p, r.State(p))
			}
		}
	}
	if ec, nc := r.ExecutionContext(now), naiveContext(r, now); ec != nc {
		t.Fatalf("execution context\n got %+v\nnaive %+v", ec, nc)
	}
	var c Counts
	undecided := 0
	for i := range g.Len() {
		switch r.Presence(i) {
		case Undecided:
			undecided++
			continue
		case NotCreated:
			continue
		}
		c.Total++
		switch r.State(i) {
		case Pending:
			c.Pending++
		case InProgress:
			c.InProgress++
		case Complete:
			c.Complete++
		case Error:
			c.Error++
		case Cancelled:
			c.Cancelled++
		case ResolvedManually:
			c.ResolvedManually++
		}
	}
	c.NotCreated = g.Len() - c.Total
	if c != r.Counts() {
		t.Fatalf("counts %+v, naive %+v", r.Counts(), c)
	}
	if r.AllDone() != (undecided == 0 && c.Complete+c.ResolvedManually == c.Total) {
		t.Fatalf("AllDone %v with counts %+v", r.AllDone(), c)
	}
	checkWakeup(t, r, now)
}

// checkWakeup: the next wakeup is when some waiting step becomes ready, and nothing waiting
// becomes ready earlier.
func checkWakeup(t *rapid.T, r *Run, now time.Time) {
	w, ok := r.NextWakeupAfter(now)
	if !ok {
		if r.CountReady(now.Add(24*time.Hour)) != r.CountReady(now) {
			t.Fatalf("no wakeup after %s, yet more steps are ready a day later", now)
		}
		return
	}
	if !w.After(now) {
		t.Fatalf("wakeup %s not after %s", w, now)
	}
	if r.CountReady(w) <= r.CountReady(w.Add(-time.Nanosecond)) {
		t.Fatalf("nothing becomes ready at wakeup %s", w)
	}
	if r.CountReady(w.Add(-time.Nanosecond)) != r.CountReady(now) {
		t.Fatalf("a step becomes ready before the wakeup %s", w)
	}
}

// TestPropertyAllSucceed: when every attempt succeeds, walking the ready set runs every step
// exactly once, parents always first, and ends with every step complete.
func TestPropertyAllSucceed(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, err := New(genDAG(t))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		r := NewRun(g)
		runs := make([]int, g.Len())
		var ready []int
		for rounds := 0; ; rounds++ {
			ready = r.AppendReady(ready[:0], t0)
			if len(ready) == 0 {
				break
			}
			// Start a random non-empty prefix of the ready set; finish them in reverse order.
			k := rapid.IntRange(1, len(ready)).Draw(t, "batch")
			for _, i := range ready[:k] {
				if err := r.Transition(i, InProgress, t0); err != nil {
					t.Fatal(err)
				}
				runs[i]++
			}
			for j := k - 1; j >= 0; j-- {
				if err := r.Transition(ready[j], Complete, t0); err != nil {
					t.Fatal(err)
				}
			}
			if rounds > g.Len() {
				t.Fatalf("more rounds than steps")
			}
		}
		for i, n := range runs {
			if n != 1 {
				t.Fatalf("step %s ran %d times", g.Name(i), n)
			}
		}
		if !r.AllDone() || r.ExecutionContext(t0).ExecutionStatus != StatusAllComplete {
			t.Fatalf("not all done: %+v", r.Counts())
		}
	})
}

// TestPropertyCycleDetection: on random directed graphs (cycles allowed), New reports a cycle
// exactly when a brute-force transitive closure finds one, and the reported path is a real cycle.
func TestPropertyCycleDetection(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "n")
		adj := make([][]bool, n) // adj[i][j]: i depends on j
		sp := make([]StepSpec, n)
		for i := range n {
			adj[i] = make([]bool, n)
			sp[i] = StepSpec{Name: fmt.Sprintf("s%d", i)}
			for j := range n {
				if rapid.IntRange(0, 9).Draw(t, "edge") < 2 {
					adj[i][j] = true
					sp[i].Dependencies = append(sp[i].Dependencies, fmt.Sprintf("s%d", j))
				}
			}
		}
		// Floyd–Warshall reachability.
		reach := make([][]bool, n)
		for i := range n {
			reach[i] = append([]bool(nil), adj[i]...)
		}
		for k := range n {
			for i := range n {
				for j := range n {
					reach[i][j] = reach[i][j] || (reach[i][k] && reach[k][j])
				}
			}
		}
		cyclic := false
		for i := range n {
			cyclic = cyclic || reach[i][i]
		}
		g, err := New(sp)
		if !cyclic {
			if err != nil {
				t.Fatalf("acyclic graph rejected: %v", err)
			}
			if len(g.TopoOrder()) != n {
				t.Fatalf("topological order has %d of %d steps", len(g.TopoOrder()), n)
			}
			return
		}
		ve, ok := err.(*ValidationError)
		if !ok || ve.Kind != KindCycle {
			t.Fatalf("cyclic graph accepted or misreported: %v", err)
		}
		p := ve.Path
		if len(p) < 2 || p[0] != p[len(p)-1] {
			t.Fatalf("cycle path not closed: %v", p)
		}
		for k := 0; k+1 < len(p); k++ {
			var parent, child int
			fmt.Sscanf(p[k], "s%d", &parent)
			fmt.Sscanf(p[k+1], "s%d", &child)
			if !adj[child][parent] {
				t.Fatalf("cycle path %v: %s does not depend on %s", p, p[k+1], p[k])
			}
		}
	})
}

// TestPropertySnapshot: after any sequence of moves, a snapshot through JSON restores a run equal
// in every observable way, and the restored run's snapshot is identical.
func TestPropertySnapshot(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, err := New(genDAG(t))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		r := NewRun(g)
		now := t0
		for range rapid.IntRange(0, 60).Draw(t, "moves") {
			randomMove(t, r, &now)
		}
		data, err := json.Marshal(r.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		var s Snapshot
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		r2, err := Restore(g, s)
		if err != nil {
			t.Fatalf("restore: %v", err)
		}
		requireSameRun(t, r, r2)
		data2, _ := json.Marshal(r2.Snapshot())
		if string(data) != string(data2) {
			t.Fatalf("snapshot changed on round trip:\n%s\n%s", data, data2)
		}
		// The restored run keeps working like the original.
		for range 20 {
			i := rapid.IntRange(0, g.Len()-1).Draw(t, "step")
			to := State(rapid.IntRange(0, numStates-1).Draw(t, "to"))
			e1, e2 := r.Transition(i, to, now), r2.Transition(i, to, now)
			if (e1 == nil) != (e2 == nil) {
				t.Fatalf("original and restored disagree on %d → %s: %v / %v", i, to, e1, e2)
			}
		}
		requireSameRun(t, r, r2)
	})
}
