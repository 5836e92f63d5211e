package dag

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func mustGraph(t testing.TB, s []StepSpec) *Graph {
	t.Helper()
	g, err := New(s)
	require.NoError(t, err)
	return g
}

// names maps ready indexes to names, for readable assertions.
func names(g *Graph, idx []int) []string {
	out := []string{}
	for _, i := range idx {
		out = append(out, g.Name(i))
	}
	return out
}

func step(t testing.TB, r *Run, name string, to State, now time.Time) {
	t.Helper()
	i, ok := r.Graph().Index(name)
	require.True(t, ok, name)
	require.NoError(t, r.Transition(i, to, now), "%s → %s", name, to)
}

func TestReadiness(t *testing.T) {
	diamond := specs([]string{"a"}, []string{"b", "a"}, []string{"c", "a"}, []string{"d", "b", "c"})
	type move struct {
		step string
		to   State
		at   time.Duration // after t0
	}
	cases := []struct {
		name  string
		specs []StepSpec
		moves []move
		at    time.Duration
		ready []string
	}{
		{"roots are ready", diamond, nil, 0, []string{"a"}},
		{"children wait for the parent", diamond, []move{{"a", InProgress, 0}}, 0, []string{}},
		{"complete parent releases children", diamond, []move{{"a", InProgress, 0}, {"a", Complete, 0}}, 0, []string{"b", "c"}},
		{"all parents needed", diamond, []move{{"a", InProgress, 0}, {"a", Complete, 0}, {"b", InProgress, 0}, {"b", Complete, 0}}, 0, []string{"c"}},
		{"resolved_manually satisfies", diamond, []move{{"a", ResolvedManually, 0}, {"b", ResolvedManually, 0}, {"c", InProgress, 0}, {"c", Complete, 0}}, 0, []string{"d"}},
		{"cancelled does not satisfy", diamond, []move{{"a", Cancelled, 0}}, time.Hour, []string{}},
		{"error waits 2^1 s after attempt 1", diamond, []move{{"a", InProgress, 0}, {"a", Error, 0}}, 1999 * time.Millisecond, []string{}},
		{"error ready after 2^1 s", diamond, []move{{"a", InProgress, 0}, {"a", Error, 0}}, 2 * time.Second, []string{"a"}},
		{"error after attempt 2 waits 4 s", diamond, []move{{"a", InProgress, 0}, {"a", Error, 0}, {"a", Pending, 2 * time.Second}, {"a", InProgress, 2 * time.Second}, {"a", Error, 3 * time.Second}}, 6 * time.Second, []string{}},
		{"error after attempt 2 ready at +4 s", diamond, []move{{"a", InProgress, 0}, {"a", Error, 0}, {"a", Pending, 2 * time.Second}, {"a", InProgress, 2 * time.Second}, {"a", Error, 3 * time.Second}}, 7 * time.Second, []string{"a"}},
		{"exhausted error is never ready", []StepSpec{{Name: "a", Retryable: true, MaxAttempts: 1}}, []move{{"a", InProgress, 0}, {"a", Error, 0}}, time.Hour, []string{}},
		{"not retryable: one attempt", []StepSpec{{Name: "a", Retryable: false, MaxAttempts: 3}}, []move{{"a", InProgress, 0}, {"a", Error, 0}}, time.Hour, []string{}},
		{"not retryable: first attempt runs", []StepSpec{{Name: "a", Retryable: false}}, nil, 0, []string{"a"}},
		{"pending → error without an attempt waits 1 s", diamond, []move{{"a", Error, 0}}, time.Second, []string{"a"}},
		{"error with unmet parents is not ready", diamond, []move{{"b", Error, 0}}, time.Hour, []string{"a"}},
		{"in progress is not ready", diamond, []move{{"a", InProgress, 0}}, time.Hour, []string{}},
		{"ascending order", specs([]string{"z"}, []string{"y"}, []string{"x"}), nil, 0, []string{"z", "y", "x"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := mustGraph(t, c.specs)
			r := NewRun(g)
			for _, m := range c.moves {
				step(t, r, m.step, m.to, t0.Add(m.at))
			}
			now := t0.Add(c.at)
			got := r.AppendReady(nil, now)
			require.Equal(t, c.ready, names(g, got))
			require.Equal(t, len(got), r.CountReady(now))
			for i := range g.Len() {
				require.Equal(t, contains(got, i), r.IsReady(i, now), g.Name(i))
			}
		})
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestErrorBackoffCap(t *testing.T) {
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for a, w := range want {
		require.Equal(t, w*time.Second, ErrorBackoff(a), "attempts %d", a)
	}
	require.Equal(t, time.Second, ErrorBackoff(-1))
	require.Equal(t, 30*time.Second, ErrorBackoff(1000))
}

func TestExplicitBackoff(t *testing.T) {
	g := mustGraph(t, specs([]string{"a"}))
	r := NewRun(g)
	step(t, r, "a", InProgress, t0)
	step(t, r, "a", Error, t0)
	// Explicit deadline replaces the implicit 2 s.
	r.SetNextAttemptAt(0, t0.Add(10*time.Second))
	require.Empty(t, r.AppendReady(nil, t0.Add(5*time.Second)))
	w, ok := r.NextWakeup()
	require.True(t, ok)
	require.Equal(t, t0.Add(10*time.Second), w)
	require.Equal(t, []int{0}, r.AppendReady(nil, t0.Add(10*time.Second)))
	// A shorter explicit deadline also wins over the implicit backoff.
	r.SetNextAttemptAt(0, t0.Add(time.Second))
	require.Equal(t, []int{0}, r.AppendReady(nil, t0.Add(time.Second)))
	// The deadline holds back the pending step too, and is cleared when the attempt starts.
	r.SetNextAttemptAt(0, t0.Add(20*time.Second))
	step(t, r, "a", Pending, t0.Add(2*time.Second))
	require.Empty(t, r.AppendReady(nil, t0.Add(19*time.Second)))
	_, ok = r.NextWakeupAfter(t0.Add(20 * time.Second))
	require.False(t, ok)
	step(t, r, "a", InProgress, t0.Add(20*time.Second))
	require.True(t, r.Step(0).NextAttemptAt.IsZero())
	// Clearing with the zero time.
	step(t, r, "a", Error, t0.Add(21*time.Second))
	r.SetNextAttemptAt(0, t0.Add(time.Hour))
	r.SetNextAttemptAt(0, time.Time{})
	require.Equal(t, []int{0}, r.AppendReady(nil, t0.Add(21*time.Second+4*time.Second)))
}

func TestNextWakeup(t *testing.T) {
	g := mustGraph(t, specs([]string{"a"}, []string{"b"}, []string{"c"}))
	r := NewRun(g)
	_, ok := r.NextWakeup()
	require.False(t, ok, "pending steps without a deadline are ready now, not waiting")
	step(t, r, "a", InProgress, t0)
	step(t, r, "a", Error, t0) // ready at +2 s
	step(t, r, "b", InProgress, t0)
	step(t, r, "b", Error, t0.Add(-time.Second)) // ready at +1 s
	w, ok := r.NextWakeup()
	require.True(t, ok)
	require.Equal(t, t0.Add(time.Second), w)
	w, ok = r.NextWakeupAfter(t0.Add(time.Second))
	require.True(t, ok)
	require.Equal(t, t0.Add(2*time.Second), w)
	_, ok = r.NextWakeupAfter(t0.Add(2 * time.Second))
	require.False(t, ok)
}

func TestTransitionRules(t *testing.T) {
	g := mustGraph(t, specs([]string{"a"}, []string{"b", "a"}))
	r := NewRun(g)

	// Same state: a no-op, nothing counted.
	require.NoError(t, r.Transition(0, Pending, t0))
	require.Equal(t, 0, r.Step(0).Attempts)

	// Starting a child before its parent: error naming both.
	err := r.Transition(1, InProgress, t0)
	require.ErrorIs(t, err, ErrIllegalTransition)
	require.EqualError(t, err, `step "b": illegal transition pending → in_progress: parent "a" is pending`)
	require.Equal(t, Pending, r.State(1))

	// Illegal by the table.
	err = r.Transition(0, Complete, t0)
	require.EqualError(t, err, `step "a": illegal transition pending → complete`)

	// No such step.
	require.ErrorContains(t, r.Transition(5, InProgress, t0), "no such step")
	require.ErrorContains(t, r.Transition(-1, InProgress, t0), "no such step")

	// in_progress counts an attempt; in_progress → in_progress does not.
	step(t, r, "a", InProgress, t0)
	require.NoError(t, r.Transition(0, InProgress, t0))
	require.Equal(t, 1, r.Step(0).Attempts)

	// error records LastErrorAt.
	step(t, r, "a", Error, t0.Add(time.Minute))
	require.Equal(t, t0.Add(time.Minute), r.Step(0).LastErrorAt)

	// Terminal states stay terminal.
	step(t, r, "a", ResolvedManually, t0)
	err = r.Transition(0, Pending, t0)
	var te *TransitionError
	require.True(t, errors.As(err, &te))
	require.Equal(t, "a", te.Step)
	require.Equal(t, ResolvedManually, te.From)
}

func TestAttemptsLimit(t *testing.T) {
	g := mustGraph(t, []StepSpec{{Name: "a", Retryable: true, MaxAttempts: 2}})
	r := NewRun(g)
	for k := range 2 {
		step(t, r, "a", InProgress, t0)
		step(t, r, "a", Error, t0)
		require.Equal(t, k == 1, r.Exhausted(0), "after attempt %d", k+1)
		if k == 0 {
			step(t, r, "a", Pending, t0)
		}
	}
	require.Equal(t, 2, r.Step(0).Attempts)
	// Out of attempts: even when moved to pending, it cannot start.
	step(t, r, "a", Pending, t0)
	require.Empty(t, r.AppendReady(nil, t0.Add(time.Hour)))
	require.ErrorContains(t, r.Transition(0, InProgress, t0), "no attempts left (2 of 2 made)")
	// An operator grants one more.
	r.AddAttempts(0, 1)
	r.AddAttempts(0, 0)
	r.AddAttempts(0, -3)
	require.Equal(t, 3, r.Step(0).MaxAttempts)
	require.Equal(t, []int{0}, r.AppendReady(nil, t0))
	step(t, r, "a", InProgress, t0)
	step(t, r, "a", Complete, t0)
	require.True(t, r.AllDone())
}

func TestNotRetryableOperatorRetry(t *testing.T) {
	g := mustGraph(t, []StepSpec{{Name: "a", Retryable: false}})
	r := NewRun(g)
	step(t, r, "a", InProgress, t0)
	step(t, r, "a", Error, t0)
	require.True(t, r.Exhausted(0))
	require.Empty(t, r.AppendReady(nil, t0.Add(time.Hour)))
	r.AddAttempts(0, 1)
	require.True(t, r.Exhausted(0), "still not retryable by itself")
	step(t, r, "a", Pending, t0)
	require.Equal(t, []int{0}, r.AppendReady(nil, t0))
}

func TestCountsAndAllDone(t *testing.T) {
	g := mustGraph(t, specs([]string{"a"}, []string{"b", "a"}, []string{"c"}))
	r := NewRun(g)
	require.Equal(t, Counts{Total: 3, Pending: 3}, r.Counts())
	step(t, r, "a", InProgress, t0)
	step(t, r, "c", Cancelled, t0)
	c := r.Counts()
	require.Equal(t, Counts{Total: 3, Pending: 1, InProgress: 1, Cancelled: 1}, c)
	require.Equal(t, 1, c.Of(Cancelled))
	require.Equal(t, 1, c.Of(InProgress))
	require.Equal(t, 0, c.Of(State(9)))
	require.False(t, r.AllDone())
	step(t, r, "a", Complete, t0)
	step(t, r, "b", ResolvedManually, t0)
	require.False(t, r.AllDone(), "a cancelled step is not done")

	g2 := mustGraph(t, specs([]string{"a"}, []string{"b", "a"}))
	r2 := NewRun(g2)
	step(t, r2, "a", InProgress, t0)
	step(t, r2, "a", Complete, t0)
	step(t, r2, "b", ResolvedManually, t0)
	require.True(t, r2.AllDone())
	require.Equal(t, 1, r2.Counts().Of(Complete))
	require.Equal(t, 1, r2.Counts().Of(ResolvedManually))
}

func TestStopRetriesExhaustsAnErroredStepUntilMoreAttempts(t *testing.T) {
	g, err := New([]StepSpec{{Name: "a", MaxAttempts: 3, Retryable: true}})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRun(g)
	now := time.Unix(1_700_000_000, 0)
	if err := r.Transition(0, InProgress, now); err != nil {
		t.Fatal(err)
	}
	if err := r.Transition(0, Error, now); err != nil {
		t.Fatal(err)
	}
	r.StopRetries(0)
	if !r.Exhausted(0) {
		t.Fatal("a step stopped after 1 of 3 attempts must be exhausted")
	}
	if got := r.AppendReady(nil, now.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("an exhausted step is never ready, got %v", got)
	}
	if _, ok := r.NextWakeupAfter(now); ok {
		t.Fatal("nothing to wake for")
	}
	r.AddAttempts(0, 1)
	if r.Exhausted(0) || r.Step(0).MaxAttempts != 2 {
		t.Fatalf("AddAttempts re-opens the step: exhausted=%v max=%d", r.Exhausted(0), r.Step(0).MaxAttempts)
	}
}
