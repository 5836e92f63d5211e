package dag

import (
	"fmt"
	"math/bits"
	"time"

	tasker "github.com/tasker-systems/tasker-temporal"
)

// MaxErrorBackoff caps Tasker's implicit backoff after an error: min(2^attempts s, 30 s).
const MaxErrorBackoff = 30 * time.Second

// StepStatus is the state of one step of a Run.
type StepStatus struct {
	State State
	// Attempts counts the times the step went to in_progress.
	Attempts int
	// MaxAttempts is the attempts the step may make: 1 when not retryable, else its spec's (or
	// DefaultMaxAttempts), raised by AddAttempts.
	MaxAttempts int
	Retryable   bool
	// NextAttemptAt is an explicit backoff deadline (zero = none): the step is not ready before it.
	NextAttemptAt time.Time
	// LastErrorAt is when the step last went to error (zero = never).
	LastErrorAt time.Time
}

// Counts holds the number of steps in each state.
type Counts struct {
	Total            int `json:"total"`
	Pending          int `json:"pending"`
	InProgress       int `json:"in_progress"`
	Complete         int `json:"complete"`
	Error            int `json:"error"`
	Cancelled        int `json:"cancelled"`
	ResolvedManually int `json:"resolved_manually"`
	// NotCreated counts the steps of a dynamic graph that do not exist (yet): Total leaves them out.
	NotCreated int `json:"not_created,omitempty"`
}

// Of returns the count of one state.
func (c Counts) Of(s State) int {
	switch s {
	case Pending:
		return c.Pending
	case InProgress:
		return c.InProgress
	case Complete:
		return c.Complete
	case Error:
		return c.Error
	case Cancelled:
		return c.Cancelled
	case ResolvedManually:
		return c.ResolvedManually
	}
	return 0
}

// Run is the mutable state of one task's DAG: each step's state, attempts and backoff, plus the
// counters that make readiness incremental. It is not safe for concurrent use: Transition,
// SetNextAttemptAt, AddAttempts, Reset and AppendReady (which narrows a scan hint) write; the
// other methods only read. It is deterministic:
// nothing in it reads the clock, iterates a map or draws randomness; time comes in as `now`.
//
// Readiness is kept in two bit sets over the step indexes: "startable" (pending, every parent
// satisfied, attempts left) and "retrying" (error, retryable, every parent satisfied, attempts
// left). Finishing a step
// touches only its children (O(out-degree)); AppendReady walks the bit sets (n/64 words) and
// checks the backoff of the candidates it finds.
type Run struct {
	g         *Graph
	state     []State
	attempts  []int32
	maxAtt    []int32
	unmet     []int32 // parents not yet complete or resolved_manually
	next      []time.Time
	lastErr   []time.Time
	startable []uint64
	retrying  []uint64
	// Words outside [loW, hiW) of startable|retrying are zero: scans skip them (a chain's single
	// candidate walks up the bit set, so this keeps its scans short).
	loW, hiW int
	counts   [numStates]int // over created steps only
	created  int            // steps that exist (all of them in a static graph)
	dyn      *dynState      // nil for a static graph
}

// NewRun starts a run of g with every step pending and no attempts made. For a dynamic graph the
// steps not downstream of a decision or a batch worker template are created; the others wait
// for Decide and Expand. g must be a template graph (a grown one is replaced by its Template).
func NewRun(g *Graph) *Run {
	g = g.Template()
	n := g.Len()
	r := &Run{
		g:         g,
		state:     make([]State, n),
		attempts:  make([]int32, n),
		maxAtt:    make([]int32, n),
		unmet:     make([]int32, n),
		next:      make([]time.Time, n),
		lastErr:   make([]time.Time, n),
		startable: make([]uint64, (n+63)/64),
		retrying:  make([]uint64, (n+63)/64),
	}
	for i := range n {
		r.maxAtt[i] = int32(g.maxAttempts(i))
	}
	r.created = n
	if g.dynamic {
		r.initDynamic()
		r.dyn.limits = Limits{}.orDefaults()
	}
	r.recompute()
	return r
}

// Reset returns the run to the state NewRun gives (every step pending, no attempts, limits and
// deadlines cleared) without allocating. A run that grew (Decide, Expand) is rebuilt from its
// template graph instead, keeping its Limits.
func (r *Run) Reset() {
	if r.dyn != nil {
		limits := r.dyn.limits
		*r = *NewRun(r.g.Template())
		r.dyn.limits = limits
		return
	}
	clear(r.state)
	clear(r.attempts)
	clear(r.next)
	clear(r.lastErr)
	for i := range r.maxAtt {
		r.maxAtt[i] = int32(r.g.maxAttempts(i))
	}
	r.recompute()
}

// recompute rebuilds the counters and bit sets from the per-step arrays (NewRun, Restore).
func (r *Run) recompute() {
	r.counts = [numStates]int{}
	for i, s := range r.state {
		if r.Presence(i) == Created {
			r.counts[s]++
		}
		r.unmet[i] = 0
		for _, p := range r.g.parents[i] {
			if !r.state[p].Satisfies() && r.Presence(p) != NotCreated {
				r.unmet[i]++
			}
		}
	}
	r.loW, r.hiW = 0, len(r.startable)
	for i := range r.state {
		r.updateBits(i)
	}
}

// Graph is the graph this run walks.
func (r *Run) Graph() *Graph { return r.g }

// Step returns the status of step i.
func (r *Run) Step(i int) StepStatus {
	return StepStatus{
		State:         r.state[i],
		Attempts:      int(r.attempts[i]),
		MaxAttempts:   int(r.maxAtt[i]),
		Retryable:     r.g.specs[i].Retryable,
		NextAttemptAt: r.next[i],
		LastErrorAt:   r.lastErr[i],
	}
}

// State is the state of step i (cheaper than Step(i).State).
func (r *Run) State(i int) State { return r.state[i] }

func (r *Run) stepError(i int, from, to State, reason string) error {
	return &TransitionError{Entity: tasker.EntityStep, Step: r.g.specs[i].Name, From: from, To: to, Reason: reason}
}

// Transition moves step i to `to` under Tasker's step state machine. A same-state transition is a
// no-op returning nil (write no transition row for it). → in_progress requires every parent to be
// complete or resolved_manually and an attempt left; it increments Attempts and clears an explicit
// backoff deadline (it has been waited out). → error records LastErrorAt = now. → complete or
// resolved_manually satisfies the children. An illegal transition returns a *TransitionError naming
// the step and leaves the run unchanged.
func (r *Run) Transition(i int, to State, now time.Time) error {
	if i < 0 || i >= len(r.state) {
		return fmt.Errorf("transition step #%d: no such step (the task has %d)", i, len(r.state))
	}
	from := r.state[i]
	if r.dyn != nil && r.dyn.presence[i] != Created {
		return r.stepError(i, from, to, "the step was not created ("+r.dyn.presence[i].String()+")")
	}
	if from == to {
		return nil
	}
	if err := CheckStepTransition(from, to); err != nil {
		return r.stepError(i, from, to, "")
	}
	if to == InProgress {
		if err := r.checkStart(i); err != nil {
			return err
		}
		r.attempts[i]++
		r.next[i] = time.Time{}
	}
	if to == Error {
		r.lastErr[i] = now
	}
	r.state[i] = to
	r.counts[from]--
	r.counts[to]++
	r.updateBits(i)
	if to.Satisfies() {
		r.satisfyChildren(i)
	}
	return nil
}

func (r *Run) checkStart(i int) error {
	if r.unmet[i] > 0 {
		for _, p := range r.g.parents[i] {
			if !r.state[p].Satisfies() {
				return r.stepError(i, r.state[i], InProgress, fmt.Sprintf("parent %q is %s", r.g.specs[p].Name, r.state[p]))
			}
		}
	}
	if r.attempts[i] >= r.maxAtt[i] {
		return r.stepError(i, r.state[i], InProgress, fmt.Sprintf("no attempts left (%d of %d made)", r.attempts[i], r.maxAtt[i]))
	}
	return nil
}

// satisfyChildren decrements the unmet-parent counter of each child of i: O(out-degree).
func (r *Run) satisfyChildren(i int) {
	for _, c := range r.g.children[i] {
		r.unmet[c]--
		if r.unmet[c] == 0 {
			r.updateBits(c)
		}
	}
}

func (r *Run) updateBits(i int) {
	w, b := i>>6, uint64(1)<<(uint(i)&63)
	eligible := r.unmet[i] == 0 && r.attempts[i] < r.maxAtt[i] && (r.dyn == nil || r.dyn.presence[i] == Created)
	if r.state[i] == Pending && eligible {
		r.startable[w] |= b
		r.widen(w)
	} else {
		r.startable[w] &^= b
	}
	if r.state[i] == Error && r.g.specs[i].Retryable && eligible {
		r.retrying[w] |= b
		r.widen(w)
	} else {
		r.retrying[w] &^= b
	}
}

// widen makes word w part of the scanned range.
func (r *Run) widen(w int) {
	if r.loW >= r.hiW {
		r.loW, r.hiW = w, w+1
		return
	}
	r.loW = min(r.loW, w)
	r.hiW = max(r.hiW, w+1)
}

// words returns the range of words to scan, first narrowing it past empty words at both ends.
func (r *Run) words() (lo, hi int) {
	for r.loW < r.hiW && r.startable[r.loW]|r.retrying[r.loW] == 0 {
		r.loW++
	}
	for r.hiW > r.loW && r.startable[r.hiW-1]|r.retrying[r.hiW-1] == 0 {
		r.hiW--
	}
	return r.loW, r.hiW
}

// SetNextAttemptAt sets step i's explicit backoff deadline (a zero time clears it). While set, the
// step is not ready before it, and Tasker's implicit error backoff does not apply.
func (r *Run) SetNextAttemptAt(i int, t time.Time) { r.next[i] = t }

// AddAttempts raises step i's MaxAttempts by n (an operator's retry_step on an exhausted step).
// n ≤ 0 does nothing.
func (r *Run) AddAttempts(i int, n int) {
	if n <= 0 {
		return
	}
	r.maxAtt[i] += int32(n)
	r.updateBits(i)
}

// StopRetries lowers step i's MaxAttempts to the attempts it has made, so that once in error it
// is exhausted: a permanent error. AddAttempts (an operator's retry_step) raises it again.
func (r *Run) StopRetries(i int) {
	r.maxAtt[i] = r.attempts[i]
	r.updateBits(i)
}

// readyAt is when candidate step i becomes ready: its explicit deadline when set; else, for an
// error step, LastErrorAt + min(2^attempts, 30) s; else at once (the zero time).
func (r *Run) readyAt(i int) time.Time {
	if !r.next[i].IsZero() {
		return r.next[i]
	}
	if r.state[i] == Error {
		return r.lastErr[i].Add(ErrorBackoff(int(r.attempts[i])))
	}
	return time.Time{}
}

// ErrorBackoff is Tasker's implicit wait after an error with `attempts` attempts made:
// min(2^attempts, 30) seconds.
func ErrorBackoff(attempts int) time.Duration {
	if attempts < 0 {
		attempts = 0
	}
	if attempts >= 5 {
		return MaxErrorBackoff
	}
	return time.Duration(1<<uint(attempts)) * time.Second
}

// AppendReady appends to dst, in ascending step index order, every step ready to start at now:
// pending with every parent complete or resolved_manually and an attempt left; or error,
// retryable, with every parent satisfied, an attempt left and its backoff passed (the explicit NextAttemptAt when set,
// else LastErrorAt + min(2^attempts, 30) s). An explicit NextAttemptAt also holds back a pending
// step. It allocates only when dst must grow.
func (r *Run) AppendReady(dst []int, now time.Time) []int {
	lo, hi := r.words()
	for w := lo; w < hi; w++ {
		m := r.startable[w] | r.retrying[w]
		for m != 0 {
			i := w<<6 | bits.TrailingZeros64(m)
			m &= m - 1
			if !r.readyAt(i).After(now) {
				dst = append(dst, i)
			}
		}
	}
	return dst
}

// IsReady reports whether step i is ready to start at now (see AppendReady).
func (r *Run) IsReady(i int, now time.Time) bool {
	w, b := i>>6, uint64(1)<<(uint(i)&63)
	if (r.startable[w]|r.retrying[w])&b == 0 {
		return false
	}
	return !r.readyAt(i).After(now)
}

// CountReady is len(AppendReady(nil, now)) without building the list.
func (r *Run) CountReady(now time.Time) int {
	n := 0
	lo, hi := r.loW, r.hiW
	for w := lo; w < hi; w++ {
		m := r.startable[w] | r.retrying[w]
		for m != 0 {
			i := w<<6 | bits.TrailingZeros64(m)
			m &= m - 1
			if !r.readyAt(i).After(now) {
				n++
			}
		}
	}
	return n
}

// NextWakeup is the earliest time a step waiting out a backoff becomes ready: over every
// retry-eligible error step and every startable pending step with an explicit deadline. It is
// false when no step waits. The time may already have passed (a step the caller has not started
// yet); use NextWakeupAfter to skip those.
func (r *Run) NextWakeup() (time.Time, bool) {
	return r.nextWakeup(time.Time{}, false)
}

// NextWakeupAfter is NextWakeup restricted to times strictly after now: the time to set a timer
// for, when the steps ready at now have been started.
func (r *Run) NextWakeupAfter(now time.Time) (time.Time, bool) {
	return r.nextWakeup(now, true)
}

func (r *Run) nextWakeup(now time.Time, after bool) (time.Time, bool) {
	var best time.Time
	found := false
	lo, hi := r.loW, r.hiW
	for w := lo; w < hi; w++ {
		m := r.startable[w] | r.retrying[w]
		for m != 0 {
			i := w<<6 | bits.TrailingZeros64(m)
			m &= m - 1
			t := r.readyAt(i)
			if t.IsZero() || (after && !t.After(now)) {
				continue
			}
			if !found || t.Before(best) {
				best, found = t, true
			}
		}
	}
	return best, found
}

// Exhausted reports whether step i is in error with no retry left: attempts ≥ MaxAttempts, or not
// retryable. An exhausted step blocks the task until an operator retries or resolves it.
func (r *Run) Exhausted(i int) bool {
	return r.state[i] == Error && (r.attempts[i] >= r.maxAtt[i] || !r.g.specs[i].Retryable)
}

// Counts returns the number of steps in each state. O(1).
func (r *Run) Counts() Counts {
	c := r.counts
	return Counts{
		Total:            r.created,
		NotCreated:       len(r.state) - r.created,
		Pending:          c[Pending],
		InProgress:       c[InProgress],
		Complete:         c[Complete],
		Error:            c[Error],
		Cancelled:        c[Cancelled],
		ResolvedManually: c[ResolvedManually],
	}
}

// AllDone reports whether every created step is complete or resolved_manually and no step is
// still undecided: the condition for the task to go to complete. Steps a decision did not create
// do not block it.
func (r *Run) AllDone() bool {
	if r.dyn != nil && r.dyn.undecided > 0 {
		return false
	}
	return r.counts[Complete]+r.counts[ResolvedManually] == r.created
}

// exhaustedCount is the number of exhausted error steps. O(n) only while some step is in error.
func (r *Run) exhaustedCount() int {
	if r.counts[Error] == 0 {
		return 0
	}
	n := 0
	for i, s := range r.state {
		if s == Error && r.Exhausted(i) {
			n++
		}
	}
	return n
}
