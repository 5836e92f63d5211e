package dag

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSnapshotRoundTrip(t *testing.T) {
	g := mustGraph(t, []StepSpec{
		{Name: "a", Retryable: true},
		{Name: "b", Dependencies: []string{"a"}, Retryable: true, MaxAttempts: 5},
		{Name: "c", Dependencies: []string{"a"}, Retryable: true},
		{Name: "d", Dependencies: []string{"b", "c"}},
	})
	r := NewRun(g)
	step(t, r, "a", InProgress, t0)
	step(t, r, "a", Complete, t0)
	step(t, r, "b", InProgress, t0)
	step(t, r, "b", Error, t0.Add(time.Second))
	r.SetNextAttemptAt(1, t0.Add(time.Minute))
	r.AddAttempts(1, 2)
	step(t, r, "c", InProgress, t0)

	snap := r.Snapshot()
	require.Equal(t, "2310", snap.States)
	data, err := json.Marshal(snap)
	require.NoError(t, err)
	require.Less(t, len(data), 200, string(data))
	require.Equal(t, []int32{1, 1, 1, 0}, snap.Attempts)

	var back Snapshot
	require.NoError(t, json.Unmarshal(data, &back))
	r2, err := Restore(g, back)
	require.NoError(t, err)
	requireSameRun(t, r, r2)
	require.Equal(t, snap, r2.Snapshot())
}

// tHelper is what requireSameRun needs of a *testing.T or a *rapid.T.
type tHelper interface {
	require.TestingT
	Helper()
}

func requireSameRun(t tHelper, want, got *Run) {
	t.Helper()
	g := want.Graph()
	for i := range g.Len() {
		a, b := want.Step(i), got.Step(i)
		require.True(t, a.NextAttemptAt.Equal(b.NextAttemptAt), "step %s next", g.Name(i))
		require.True(t, a.LastErrorAt.Equal(b.LastErrorAt), "step %s last error", g.Name(i))
		a.NextAttemptAt, b.NextAttemptAt, a.LastErrorAt, b.LastErrorAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		require.Equal(t, a, b, "step %s", g.Name(i))
	}
	require.Equal(t, want.Counts(), got.Counts())
	for _, d := range []time.Duration{0, time.Second, time.Minute, time.Hour} {
		require.Equal(t, want.AppendReady(nil, t0.Add(d)), got.AppendReady(nil, t0.Add(d)))
		require.Equal(t, want.ExecutionContext(t0.Add(d)), got.ExecutionContext(t0.Add(d)))
	}
	w1, ok1 := want.NextWakeup()
	w2, ok2 := got.NextWakeup()
	require.Equal(t, ok1, ok2)
	require.True(t, w1.Equal(w2))
}

func TestRestoreErrors(t *testing.T) {
	g := mustGraph(t, specs([]string{"a"}, []string{"b", "a"}))
	other := mustGraph(t, specs([]string{"a"}, []string{"b"}))
	good := NewRun(g).Snapshot()
	mod := func(f func(s *Snapshot)) Snapshot {
		s := good
		s.Steps = append([]StepSnapshot(nil), good.Steps...)
		f(&s)
		return s
	}
	cases := []struct {
		name string
		g    *Graph
		snap Snapshot
		msg  string
	}{
		{"other graph", other, good, "snapshot is of another graph"},
		{"version", g, mod(func(s *Snapshot) { s.Version = 9 }), "snapshot version 9"},
		{"length", g, mod(func(s *Snapshot) { s.States = "000" }), "snapshot has 3 steps, the graph 2"},
		{"bad state", g, mod(func(s *Snapshot) { s.States = "07" }), `step "b": invalid state '7'`},
		{"bad state below 0", g, mod(func(s *Snapshot) { s.States = "/0" }), `step "a": invalid state '/'`},
		{"index range", g, mod(func(s *Snapshot) { s.Steps = []StepSnapshot{{Index: 2, MaxAttempts: 1}} }), "step index 2 out of order or out of range"},
		{"index order", g, mod(func(s *Snapshot) { s.Steps = []StepSnapshot{{Index: 1, MaxAttempts: 1}, {Index: 1, MaxAttempts: 1}} }), "out of order"},
		{"negative attempts", g, mod(func(s *Snapshot) { s.Attempts = []int32{0, -1} }), `step "b": invalid attempts -1`},
		{"attempts length", g, mod(func(s *Snapshot) { s.Attempts = []int32{1} }), "snapshot has attempts for 1 steps, the graph 2"},
		{"negative max", g, mod(func(s *Snapshot) { s.Steps = []StepSnapshot{{Index: 0, MaxAttempts: -1}} }), `step "a": invalid max attempts -1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Restore(c.g, c.snap)
			require.ErrorContains(t, err, c.msg)
		})
	}
}
