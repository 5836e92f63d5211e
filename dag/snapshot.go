package dag

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// SnapshotVersion is the format version Snapshot writes and Restore reads.
const SnapshotVersion = 1

// Snapshot is a Run's state in a compact, JSON-serialisable form, carried across continue-as-new.
// States holds one digit per step (the numeric State); Attempts one count per step (omitted when
// no step made an attempt); Steps lists only the steps whose attempt limit or times differ from a
// fresh run, ascending by index. Times are Unix nanoseconds and come back in UTC (the same
// instants). A finished 10,000-step task takes about 30 kB.
type Snapshot struct {
	Version     int            `json:"v"`
	Fingerprint string         `json:"fp"` // Graph.Fingerprint in hex: the graph it belongs to
	States      string         `json:"states"`
	Attempts    []int32        `json:"attempts,omitempty"`
	Steps       []StepSnapshot `json:"steps,omitempty"`
	// Growth is the decision and batch outcomes applied, in order (dynamic graphs only): Restore
	// applies them again to the template graph before the states, so the fingerprint and the
	// step count are the grown graph's.
	Growth []Growth `json:"growth,omitempty"`
}

// StepSnapshot is the sparse part of one step's status.
type StepSnapshot struct {
	Index         int    `json:"i"`
	MaxAttempts   int    `json:"m,omitempty"` // only when it differs from the graph's
	NextAttemptAt *int64 `json:"n,omitempty"`
	LastErrorAt   *int64 `json:"e,omitempty"`
}

// Snapshot captures the run. Restore(r.Graph(), r.Snapshot()) gives back an equal run.
func (r *Run) Snapshot() Snapshot {
	states := make([]byte, len(r.state))
	var steps []StepSnapshot
	var attempts []int32
	for i, s := range r.state {
		states[i] = '0' + byte(s)
		if r.attempts[i] != 0 && attempts == nil {
			attempts = append([]int32(nil), r.attempts...)
		}
		ss := StepSnapshot{Index: i}
		if m := int(r.maxAtt[i]); m != r.g.maxAttempts(i) {
			ss.MaxAttempts = m
		}
		ss.NextAttemptAt = unixNano(r.next[i])
		ss.LastErrorAt = unixNano(r.lastErr[i])
		if ss != (StepSnapshot{Index: i}) {
			steps = append(steps, ss)
		}
	}
	return Snapshot{
		Version:     SnapshotVersion,
		Fingerprint: strconv.FormatUint(r.g.fp, 16),
		States:      string(states),
		Attempts:    attempts,
		Steps:       steps,
		Growth:      slices.Clone(r.Growth()),
	}
}

func unixNano(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}

func fromUnixNano(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}

// Restore rebuilds a run of g from a snapshot. g is the template graph (a grown one stands for its
// Template); the snapshot's growth is applied to it first. It fails when the snapshot was taken of
// another graph (fingerprint or step count), has another version, holds an invalid state, index
// or count, or an outcome that does not apply.
func Restore(g *Graph, s Snapshot) (*Run, error) {
	if s.Version != SnapshotVersion {
		return nil, fmt.Errorf("restore DAG state: snapshot version %d, want %d", s.Version, SnapshotVersion)
	}
	r := NewRun(g)
	if err := r.replay(s.Growth); err != nil {
		return nil, fmt.Errorf("restore DAG state: %w", err)
	}
	g = r.g
	if want := strconv.FormatUint(g.fp, 16); s.Fingerprint != want {
		return nil, fmt.Errorf("restore DAG state: snapshot is of another graph (fingerprint %s, this graph %s)", s.Fingerprint, want)
	}
	if len(s.States) != g.Len() {
		return nil, fmt.Errorf("restore DAG state: snapshot has %d steps, the graph %d", len(s.States), g.Len())
	}
	for i := range len(s.States) {
		st := State(s.States[i] - '0')
		if s.States[i] < '0' || !st.Valid() {
			return nil, fmt.Errorf("restore DAG state: step %q: invalid state %q", g.Name(i), s.States[i])
		}
		r.state[i] = st
	}
	if len(s.Attempts) != 0 && len(s.Attempts) != g.Len() {
		return nil, fmt.Errorf("restore DAG state: snapshot has attempts for %d steps, the graph %d", len(s.Attempts), g.Len())
	}
	for i, a := range s.Attempts {
		if a < 0 {
			return nil, fmt.Errorf("restore DAG state: step %q: invalid attempts %d", g.Name(i), a)
		}
		r.attempts[i] = a
	}
	last := -1
	for _, ss := range s.Steps {
		if err := r.restoreStep(ss, last); err != nil {
			return nil, fmt.Errorf("restore DAG state: %w", err)
		}
		last = ss.Index
	}
	r.recompute()
	return r, nil
}

func (r *Run) restoreStep(ss StepSnapshot, last int) error {
	if ss.Index <= last || ss.Index >= len(r.state) {
		return fmt.Errorf("step index %d out of order or out of range", ss.Index)
	}
	if ss.MaxAttempts < 0 || ss.MaxAttempts > 1<<30 {
		return fmt.Errorf("step %q: invalid max attempts %d", r.g.Name(ss.Index), ss.MaxAttempts)
	}
	if ss.MaxAttempts > 0 {
		r.maxAtt[ss.Index] = int32(ss.MaxAttempts)
	}
	r.next[ss.Index] = fromUnixNano(ss.NextAttemptAt)
	r.lastErr[ss.Index] = fromUnixNano(ss.LastErrorAt)
	return nil
}
