package dag

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// genDynamic draws a random template with decisions, deferred steps and batch groups: genDAG's
// graph with random step kinds (a step with dependencies may be a decision or deferred), plus
// batch groups of a batchable step, one or two worker templates and a deferred convergence step,
// hung under random steps.
func genDynamic(t *rapid.T) []StepSpec {
	specs := genDAG(t)
	for i := range specs {
		if len(specs[i].Dependencies) == 0 {
			continue
		}
		specs[i].Kind = []StepKind{StepStandard, StepDecision, StepDeferred}[rapid.IntRange(0, 2).Draw(t, "kind")]
	}
	for k := range rapid.IntRange(0, 3).Draw(t, "batches") {
		b := StepSpec{Name: fmt.Sprintf("b%d", k), Kind: StepBatchable, Retryable: true}
		if p := rapid.IntRange(-1, len(specs)-1).Draw(t, "batch_parent"); p >= 0 && specs[p].Kind != StepBatchWorker {
			b.Dependencies = []string{specs[p].Name}
		}
		conv := StepSpec{Name: fmt.Sprintf("c%d", k), Kind: StepDeferred, Retryable: true}
		specs = append(specs, b)
		for w := range rapid.IntRange(1, 2).Draw(t, "workers") {
			name := fmt.Sprintf("w%d%c", k, 'a'+w)
			specs = append(specs, StepSpec{Name: name, Kind: StepBatchWorker, Dependencies: []string{b.Name}, Retryable: true})
			conv.Dependencies = append(conv.Dependencies, name)
		}
		if p := rapid.IntRange(-1, len(specs)-1).Draw(t, "conv_extra"); p >= 0 && specs[p].Kind != StepBatchWorker {
			conv.Dependencies = append(conv.Dependencies, specs[p].Name)
		}
		specs = append(specs, conv)
	}
	return specs
}

// decideRandomly applies a random outcome for a finished decision or batchable step.
func decideRandomly(t *rapid.T, r *Run, i int) {
	switch r.Graph().Kind(i) {
	case StepDecision:
		var names []string
		for _, c := range r.Creatable(i) {
			if rapid.Bool().Draw(t, "choose") {
				names = append(names, r.Graph().Name(c))
			}
		}
		if err := r.Decide(i, names); err != nil {
			t.Fatalf("Decide(%s, %v): %v", r.Graph().Name(i), names, err)
		}
	case StepBatchable:
		ws := r.WorkerTemplates(i)
		w := ws[rapid.IntRange(0, len(ws)-1).Draw(t, "worker")]
		var ids []string
		for k := range rapid.IntRange(0, 4).Draw(t, "n_batches") {
			ids = append(ids, fmt.Sprintf("%03d", k+1))
		}
		if err := r.Expand(i, r.Graph().Name(w), ids); err != nil {
			t.Fatalf("Expand(%s): %v", r.Graph().Name(i), err)
		}
	}
}

// checkDynamicInvariants compares the run with a naive scan: exactly the steps naiveReady finds
// (created, pending or error with attempts left and backoff passed, every parent satisfied or not
// created) are ready; counts cover created steps only; a not-created step is pending with no
// attempts; a created non-deferred step has no not-created parent; AllDone means every created
// step is done and none is undecided.
func checkDynamicInvariants(t *rapid.T, r *Run, now time.Time) {
	g := r.Graph()
	ready := r.AppendReady(nil, now)
	var c Counts
	undecided := 0
	for i := range g.Len() {
		p := r.Presence(i)
		switch p {
		case Created:
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
		case Undecided:
			undecided++
		}
		if p != Created && (r.State(i) != Pending || r.Step(i).Attempts != 0) {
			t.Fatalf("step %s is %s but %s with %d attempts", g.Name(i), p, r.State(i), r.Step(i).Attempts)
		}
		want := naiveReady(r, i, now)
		if got := slices.Contains(ready, i); got != want {
			t.Fatalf("step %s (%s, %s): ready %v, want %v", g.Name(i), p, r.State(i), got, want)
		}
		if p == Created && g.Kind(i) != StepDeferred {
			for _, q := range g.Parents(i) {
				if r.Presence(q) == NotCreated {
					t.Fatalf("created non-deferred step %s has a parent %s that was not created", g.Name(i), g.Name(q))
				}
			}
		}
	}
	c.NotCreated = g.Len() - c.Total
	if r.Counts() != c {
		t.Fatalf("counts %+v, naive %+v", r.Counts(), c)
	}
	if want := undecided == 0 && c.Complete+c.ResolvedManually == c.Total; r.AllDone() != want {
		t.Fatalf("AllDone %v, want %v", r.AllDone(), want)
	}
}

func checkRoundTrip(t *rapid.T, r *Run) {
	raw, err := json.Marshal(r.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var s Snapshot
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	back, err := Restore(r.Graph().Template(), s)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	again, _ := json.Marshal(back.Snapshot())
	if string(again) != string(raw) || back.Counts() != r.Counts() || back.Graph().Fingerprint() != r.Graph().Fingerprint() {
		t.Fatalf("restore differs:\n%s\n%s", raw, again)
	}
	for i := range r.Graph().Len() {
		if back.Presence(i) != r.Presence(i) {
			t.Fatalf("restored %s is %s, was %s", r.Graph().Name(i), back.Presence(i), r.Presence(i))
		}
	}
}

// TestPropertyDynamic walks random dynamic templates with random outcomes (and random start
// orders, failures and retries) to the end, checking the invariants after every move and a
// snapshot round trip now and then: the task never gets stuck (it always ends AllDone with no
// undecided step) and no step the outcomes did not create ever runs.
func TestPropertyDynamic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, err := New(genDynamic(t))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		r := NewRun(g)
		checkDynamicInvariants(t, r, t0)
		for step := 0; ; step++ {
			ready := r.AppendReady(nil, t0)
			if len(ready) == 0 {
				break
			}
			i := ready[rapid.IntRange(0, len(ready)-1).Draw(t, "pick")]
			if err := r.Transition(i, InProgress, t0); err != nil {
				t.Fatal(err)
			}
			if r.Step(i).Attempts < r.Step(i).MaxAttempts && rapid.IntRange(0, 5).Draw(t, "fail") == 0 {
				if err := r.Transition(i, Error, t0); err != nil {
					t.Fatal(err)
				}
				if err := r.Transition(i, Pending, t0); err != nil {
					t.Fatal(err)
				}
			} else {
				to := Complete
				if rapid.IntRange(0, 9).Draw(t, "resolve") == 0 {
					to = Error
				}
				if to == Error {
					// an exhausted failure is resolved by an operator
					if err := r.Transition(i, Error, t0); err != nil {
						t.Fatal(err)
					}
					to = ResolvedManually
				}
				if err := r.Transition(i, to, t0); err != nil {
					t.Fatal(err)
				}
				decideRandomly(t, r, i)
			}
			checkDynamicInvariants(t, r, t0)
			if step%5 == 0 {
				checkRoundTrip(t, r)
			}
		}
		if !r.AllDone() {
			t.Fatalf("stuck: counts %+v", r.Counts())
		}
		checkRoundTrip(t, r)
	})
}

// TestPropertyDynamicDeterministic applies the same outcomes to two runs of one template in the
// same order and requires identical snapshots: growth depends on nothing else.
func TestPropertyDynamicDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, err := New(genDynamic(t))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		a, b := NewRun(g), NewRun(g)
		for {
			ready := a.AppendReady(nil, t0)
			if len(ready) == 0 {
				break
			}
			i := ready[0]
			for _, r := range []*Run{a, b} {
				if err := r.Transition(i, InProgress, t0); err != nil {
					t.Fatal(err)
				}
				if err := r.Transition(i, Complete, t0); err != nil {
					t.Fatal(err)
				}
			}
			if k := a.Graph().Kind(i); k == StepDecision || k == StepBatchable {
				decideRandomly(t, a, i)
				last := a.Growth()[len(a.Growth())-1]
				if err := b.replayOne(last); err != nil {
					t.Fatal(err)
				}
			}
		}
		sa, _ := json.Marshal(a.Snapshot())
		sb, _ := json.Marshal(b.Snapshot())
		if string(sa) != string(sb) || !a.AllDone() {
			t.Fatalf("runs differ or not done:\n%s\n%s", sa, sb)
		}
	})
}

// TestPropertyDynamicReadiness is TestPropertyReadiness on dynamic templates: random transitions
// (legal or not), clock moves, deadlines and extra attempts, with a random outcome applied to a
// decision or batchable step as soon as it is complete or resolved; after every move the
// resolver must agree with the naive scan (ready set, counts, execution context, wakeups) over
// the created steps, and now and then survive a snapshot round trip.
func TestPropertyDynamicReadiness(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, err := New(genDynamic(t))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		r := NewRun(g)
		now := t0
		for move := range rapid.IntRange(0, 150).Draw(t, "moves") {
			randomMove(t, r, &now)
			for i := range r.Graph().Len() {
				k := r.Graph().Kind(i)
				if (k == StepDecision || k == StepBatchable) && r.State(i).Satisfies() && !r.Decided(i) {
					decideRandomly(t, r, i)
				}
			}
			checkAgainstNaive(t, r, now)
			checkDynamicInvariants(t, r, now)
			if move%10 == 0 {
				checkRoundTrip(t, r)
			}
		}
	})
}
