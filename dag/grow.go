package dag

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Presence says whether a step of a dynamic graph exists in the run.
type Presence uint8

const (
	// Created: the step exists (every step of a static graph; for a dynamic one, created at
	// start, by a decision outcome, or as a batch worker instance). Only created steps run,
	// count in Counts and must finish for AllDone.
	Created Presence = iota
	// Undecided: not created yet, and a decision or batchable step that has not been decided yet
	// may still create it. An undecided parent holds back its created children.
	Undecided
	// NotCreated: never will be (a decision did not choose it or an ancestor, or it is a batch
	// worker template whose batchable step was expanded). It never runs and never blocks; a
	// deferred step treats it as absent.
	NotCreated
)

func (p Presence) String() string {
	switch p {
	case Created:
		return "created"
	case Undecided:
		return "undecided"
	case NotCreated:
		return "not_created"
	}
	return fmt.Sprintf("Presence(%d)", p)
}

// Limits bound what one outcome may do (tasker-core's orchestration.decision_points settings).
type Limits struct {
	// MaxDecisionDepth is the deepest nesting of decision steps an outcome may create (a
	// decision that only initial steps lead to has depth 1). 0 means DefaultMaxDecisionDepth.
	MaxDecisionDepth int
	// MaxStepsPerDecision caps the steps one decision outcome names. 0 means the default.
	MaxStepsPerDecision int
	// MaxBatchWorkers caps the workers one batch outcome creates. 0 means the default.
	MaxBatchWorkers int
}

// Defaults of Limits: tasker-core's max_decision_depth and max_steps_per_decision defaults, and
// a cap on workers that keeps a task within the workflow's 10,000-step design.
const (
	DefaultMaxDecisionDepth    = 20
	DefaultMaxStepsPerDecision = 100
	DefaultMaxBatchWorkers     = 10000
)

func (l Limits) orDefaults() Limits {
	if l.MaxDecisionDepth <= 0 {
		l.MaxDecisionDepth = DefaultMaxDecisionDepth
	}
	if l.MaxStepsPerDecision <= 0 {
		l.MaxStepsPerDecision = DefaultMaxStepsPerDecision
	}
	if l.MaxBatchWorkers <= 0 {
		l.MaxBatchWorkers = DefaultMaxBatchWorkers
	}
	return l
}

// Growth is one decision or batch outcome applied to a run, in the form Snapshot carries so that
// Restore can grow the graph again exactly.
type Growth struct {
	// Step is the decision or batchable step that decided.
	Step string `json:"step"`
	// Create lists the steps a decision chose (empty: no branches).
	Create []string `json:"create,omitempty"`
	// Worker is the batch worker template a batchable step expanded (batch outcomes only).
	Worker string `json:"worker,omitempty"`
	// Batches are the batch ids of the instances, in order (batch outcomes only).
	Batches []string `json:"batches,omitempty"`
}

// OutcomeError says why a decision or batch outcome cannot be applied. The run is unchanged.
// The workflow fails the deciding step permanently with it.
type OutcomeError struct {
	Step   string // the decision or batchable step
	Value  string // the offending value (a step name, a batch id, a count), when one is to blame
	Reason string
}

func (e *OutcomeError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("step %q: bad outcome %q: %s", e.Step, e.Value, e.Reason)
	}
	return fmt.Sprintf("step %q: bad outcome: %s", e.Step, e.Reason)
}

// dynState is the part of a Run that only dynamic graphs need.
type dynState struct {
	presence []Presence
	// gate counts, for an undecided step, what it still waits for before being created: for a
	// non-deferred step, its parents not yet created plus its decision parents that have not
	// chosen it; for a deferred step, its parents not yet settled (created steps that were not
	// created at start are settled at once: the first one creates it).
	gate []int32
	// by is the decision or batchable step whose outcome created the step (-1: created at start).
	by        []int32
	decided   []bool
	depth     []int32 // decision nesting depth of each template step (see decisionDepths)
	undecided int
	log       []Growth
	limits    Limits
	queue     []int // scratch: steps to create or drop, FIFO
}

// initDynamic classifies every step of a template graph: created at start (not downstream of a
// decision, not a batch worker template or downstream of one), or undecided.
func (r *Run) initDynamic() {
	g := r.g
	n := g.Len()
	d := &dynState{
		presence: make([]Presence, n),
		gate:     make([]int32, n),
		by:       make([]int32, n),
		decided:  make([]bool, n),
		depth:    g.decisionDepths(),
	}
	r.dyn = d
	for _, i := range g.topo {
		d.by[i] = -1
		d.presence[i], d.gate[i] = r.initialPresence(i)
		if d.presence[i] == Undecided {
			d.undecided++
		}
	}
	r.created = n - d.undecided
}

// initialPresence decides step i's presence at start from its parents' (topological order).
func (r *Run) initialPresence(i int) (Presence, int32) {
	g, d := r.g, r.dyn
	if g.isWorkerTemplate(i) {
		return Undecided, 0
	}
	var gate int32
	for _, p := range g.parents[i] {
		switch {
		case d.presence[p] != Created:
			gate++
		case g.specs[p].Kind == StepDecision && g.specs[i].Kind != StepDeferred:
			gate++
		}
	}
	if gate == 0 {
		return Created, 0
	}
	return Undecided, gate
}

// Presence says whether step i exists in the run (always Created for a static graph).
func (r *Run) Presence(i int) Presence {
	if r.dyn == nil {
		return Created
	}
	return r.dyn.presence[i]
}

// CreatedBy is the decision or batchable step whose outcome created step i; false when the step
// was created at start or is not created.
func (r *Run) CreatedBy(i int) (int, bool) {
	if r.dyn == nil || r.dyn.presence[i] != Created || r.dyn.by[i] < 0 {
		return 0, false
	}
	return int(r.dyn.by[i]), true
}

// Decided reports whether decision or batchable step i has had its outcome applied.
func (r *Run) Decided(i int) bool { return r.dyn != nil && r.dyn.decided[i] }

// Growth is the outcomes applied so far, in order (what Snapshot carries). Do not mutate.
func (r *Run) Growth() []Growth {
	if r.dyn == nil {
		return nil
	}
	return r.dyn.log
}

// SetLimits sets the bounds Decide and Expand enforce (zero fields take the defaults).
func (r *Run) SetLimits(l Limits) {
	if r.dyn != nil {
		r.dyn.limits = l.orDefaults()
	}
}

// Creatable lists the steps decision step d may name in an outcome: its children that are not
// deferred convergence steps or batch worker templates, ascending.
func (r *Run) Creatable(d int) []int {
	var out []int
	for _, c := range r.g.children[d] {
		if r.choosable(c) {
			out = append(out, c)
		}
	}
	return out
}

func (r *Run) choosable(c int) bool {
	k := r.g.specs[c].Kind
	return k != StepDeferred && !r.g.isWorkerTemplate(c)
}

func (r *Run) checkDecider(i int, kind StepKind) error {
	if i < 0 || i >= r.g.Len() {
		return fmt.Errorf("apply outcome of step #%d: no such step (the task has %d)", i, r.g.Len())
	}
	name := r.g.specs[i].Name
	switch {
	case r.g.specs[i].Kind != kind:
		return &OutcomeError{Step: name, Reason: fmt.Sprintf("the step is %s, not %s", r.g.specs[i].Kind, kind)}
	case r.dyn.decided[i]:
		return &OutcomeError{Step: name, Reason: "an outcome was already applied"}
	case r.dyn.presence[i] != Created:
		return &OutcomeError{Step: name, Reason: "the step was not created"}
	case !r.state[i].Satisfies():
		return &OutcomeError{Step: name, Reason: fmt.Sprintf("the step is %s, not complete or resolved_manually", r.state[i])}
	}
	return nil
}

// Decide applies decision step d's outcome once d is complete (or resolved_manually): the
// children named in create are created (with every step downstream of them that no other
// undecided step gates, and the deferred convergence steps they lead to); every other child d
// may create will never be created, and neither will what only they lead to. An empty create is
// tasker-core's NoBranches. A bad outcome (a step d may not create, a duplicate, too many steps,
// a decision nested deeper than the limit; or d not a decided-once, finished decision) returns
// an *OutcomeError and leaves the run unchanged.
func (r *Run) Decide(d int, create []string) error {
	if r.dyn == nil {
		return r.staticOutcome(d)
	}
	if err := r.checkDecider(d, StepDecision); err != nil {
		return err
	}
	chosen, err := r.checkChoice(d, create)
	if err != nil {
		return err
	}
	r.applyDecision(d, chosen)
	r.dyn.log = append(r.dyn.log, Growth{Step: r.g.specs[d].Name, Create: slices.Clone(create)})
	return nil
}

func (r *Run) staticOutcome(i int) error {
	if i < 0 || i >= r.g.Len() {
		return fmt.Errorf("apply outcome of step #%d: no such step (the task has %d)", i, r.g.Len())
	}
	return &OutcomeError{Step: r.g.specs[i].Name, Reason: "the step is standard: only decision and batchable steps have outcomes"}
}

// checkChoice resolves and validates the names of a decision outcome.
func (r *Run) checkChoice(d int, create []string) ([]int, error) {
	name := r.g.specs[d].Name
	if len(create) > r.dyn.limits.MaxStepsPerDecision {
		return nil, &OutcomeError{Step: name, Value: fmt.Sprint(len(create)), Reason: fmt.Sprintf("more steps than the limit of %d per decision", r.dyn.limits.MaxStepsPerDecision)}
	}
	chosen := make([]int, 0, len(create))
	for _, s := range create {
		c, ok := r.g.index[s]
		if !ok {
			return nil, &OutcomeError{Step: name, Value: s, Reason: "no such step in the template"}
		}
		if !slices.Contains(r.g.parents[c], d) || !r.choosable(c) {
			return nil, &OutcomeError{Step: name, Value: s, Reason: "not a step this decision can create (it can create: " + r.creatableNames(d) + ")"}
		}
		if slices.Contains(chosen, c) {
			return nil, &OutcomeError{Step: name, Value: s, Reason: "named twice"}
		}
		chosen = append(chosen, c)
	}
	if s, depth, ok := r.tooDeep(chosen); ok {
		return nil, &OutcomeError{Step: name, Value: s, Reason: fmt.Sprintf("it would create a decision nested %d deep, beyond the limit of %d", depth, r.dyn.limits.MaxDecisionDepth)}
	}
	return chosen, nil
}

func (r *Run) creatableNames(d int) string {
	var names []string
	for _, c := range r.Creatable(d) {
		names = append(names, r.g.specs[c].Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// tooDeep looks downstream of the chosen steps, up to and including the next decisions, for a
// decision nested deeper than the limit.
func (r *Run) tooDeep(chosen []int) (string, int, bool) {
	limit := int32(r.dyn.limits.MaxDecisionDepth)
	seen := map[int]bool{}
	stack := slices.Clone(chosen)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] || i >= len(r.dyn.depth) {
			continue
		}
		seen[i] = true
		if r.g.specs[i].Kind == StepDecision {
			if r.dyn.depth[i] > limit {
				return r.g.specs[i].Name, int(r.dyn.depth[i]), true
			}
			continue
		}
		stack = append(stack, r.g.children[i]...)
	}
	return "", 0, false
}

func (r *Run) applyDecision(d int, chosen []int) {
	r.dyn.decided[d] = true
	for _, c := range r.g.children[d] {
		if !r.choosable(c) || r.dyn.presence[c] != Undecided {
			continue
		}
		if slices.Contains(chosen, c) {
			r.dyn.gate[c]--
			if r.dyn.gate[c] == 0 {
				r.dyn.queue = append(r.dyn.queue, c)
			}
			continue
		}
		r.dyn.queue = append(r.dyn.queue, ^c) // ^c: drop c
	}
	r.settle(d)
}

// settle creates (index ≥ 0) or drops (^index) the queued steps, and what follows from each, in
// FIFO order. by is the step whose outcome started it.
func (r *Run) settle(by int) {
	d := r.dyn
	for len(d.queue) > 0 {
		i := d.queue[0]
		d.queue = d.queue[1:]
		if i >= 0 {
			r.create(i, by)
		} else {
			r.drop(^i)
		}
	}
	d.queue = d.queue[:0]
}

func (r *Run) create(i, by int) {
	d := r.dyn
	if d.presence[i] != Undecided {
		return
	}
	d.presence[i] = Created
	d.by[i] = int32(by)
	d.undecided--
	r.created++
	r.counts[r.state[i]]++
	r.updateBits(i)
	for _, c := range r.g.children[i] {
		if d.presence[c] != Undecided || r.g.isWorkerTemplate(c) {
			continue
		}
		switch {
		case r.g.specs[c].Kind == StepDeferred:
			d.queue = append(d.queue, c)
		case r.g.specs[i].Kind == StepDecision:
			// a decision's children wait for its choice, not for its creation
		default:
			d.gate[c]--
			if d.gate[c] == 0 {
				d.queue = append(d.queue, c)
			}
		}
	}
}

func (r *Run) drop(i int) {
	d := r.dyn
	if d.presence[i] != Undecided {
		return
	}
	d.presence[i] = NotCreated
	d.undecided--
	r.absentParent(i)
}

// absentParent tells i's children that i will never be satisfied and never run: created children
// stop waiting for it; an undecided deferred child with no other unsettled parent is dropped, any
// other undecided child is dropped at once.
func (r *Run) absentParent(i int) {
	d := r.dyn
	for _, c := range r.g.children[i] {
		if !r.state[i].Satisfies() {
			r.unmet[c]--
			if r.unmet[c] == 0 {
				r.updateBits(c)
			}
		}
		if d.presence[c] != Undecided {
			continue
		}
		if r.g.specs[c].Kind == StepDeferred {
			d.gate[c]--
			if d.gate[c] == 0 {
				d.queue = append(d.queue, ^c)
			}
			continue
		}
		d.queue = append(d.queue, ^c)
	}
}

// Expand applies batchable step b's outcome once b is complete (or resolved_manually): one
// instance of batch worker template worker (a batch_worker child of b) per batch id, named
// BatchWorkerName(worker, id), each depending on b and depended on by every deferred step that
// depends on the template, which thereby waits for all of them. The run's graph grows (Graph
// returns the new one; existing steps keep their indexes, instances come last in the order of
// batchIDs); the template itself is never created, nor is any other batch worker template of b.
// No batch ids creates no worker (a deferred step with nothing else created is then not created
// either); tasker-core's NoBatches creates one placeholder, batch id NoBatchesID. A bad outcome
// (worker not a template of b, an empty, duplicate or clashing batch id, too many workers; or b
// not a decided-once, finished batchable step) returns an *OutcomeError and leaves the run
// unchanged.
func (r *Run) Expand(b int, worker string, batchIDs []string) error {
	if r.dyn == nil {
		return r.staticOutcome(b)
	}
	if err := r.checkDecider(b, StepBatchable); err != nil {
		return err
	}
	w, err := r.checkBatches(b, worker, batchIDs)
	if err != nil {
		return err
	}
	ng, err := r.g.expand(w, batchIDs)
	if err != nil {
		return &OutcomeError{Step: r.g.specs[b].Name, Reason: err.Error()}
	}
	r.applyExpand(b, w, ng)
	r.dyn.log = append(r.dyn.log, Growth{Step: r.g.specs[b].Name, Worker: worker, Batches: slices.Clone(batchIDs)})
	return nil
}

// WorkerTemplates lists the batch worker templates of batchable step b, ascending.
func (r *Run) WorkerTemplates(b int) []int {
	var out []int
	for _, c := range r.g.children[b] {
		if r.g.isWorkerTemplate(c) {
			out = append(out, c)
		}
	}
	return out
}

func (r *Run) checkBatches(b int, worker string, ids []string) (int, error) {
	name := r.g.specs[b].Name
	w, ok := r.g.index[worker]
	if !ok || !r.g.isWorkerTemplate(w) || !slices.Contains(r.g.parents[w], b) {
		var names []string
		for _, t := range r.WorkerTemplates(b) {
			names = append(names, r.g.specs[t].Name)
		}
		return 0, &OutcomeError{Step: name, Value: worker, Reason: "not a batch_worker template of this step (its templates: " + strings.Join(names, ", ") + ")"}
	}
	if len(ids) > r.dyn.limits.MaxBatchWorkers {
		return 0, &OutcomeError{Step: name, Value: fmt.Sprint(len(ids)), Reason: fmt.Sprintf("more workers than the limit of %d per batch", r.dyn.limits.MaxBatchWorkers)}
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		switch {
		case id == "":
			return 0, &OutcomeError{Step: name, Value: id, Reason: "empty batch_id"}
		case seen[id]:
			return 0, &OutcomeError{Step: name, Value: id, Reason: "batch_id named twice"}
		}
		seen[id] = true
		if _, clash := r.g.index[BatchWorkerName(worker, id)]; clash {
			return 0, &OutcomeError{Step: name, Value: id, Reason: fmt.Sprintf("worker name %q is already a step", BatchWorkerName(worker, id))}
		}
	}
	return w, nil
}

// applyExpand moves the run onto the grown graph ng and settles the instances and templates.
func (r *Run) applyExpand(b, w int, ng *Graph) {
	old := r.g.Len()
	r.grow(ng)
	d := r.dyn
	d.decided[b] = true
	for i := old; i < ng.Len(); i++ {
		d.queue = append(d.queue, i)
	}
	for _, t := range r.WorkerTemplates(b) {
		d.queue = append(d.queue, ^t)
	}
	r.settle(b)
}

// grow extends the run's arrays to ng (a graph grown from r.g); the new steps are undecided and
// pending, and their children count them as unmet parents.
func (r *Run) grow(ng *Graph) {
	old, n := r.g.Len(), ng.Len()
	r.g = ng
	k := n - old
	r.state = append(r.state, make([]State, k)...)
	r.attempts = append(r.attempts, make([]int32, k)...)
	r.unmet = append(r.unmet, make([]int32, k)...)
	r.next = append(r.next, make([]time.Time, k)...)
	r.lastErr = append(r.lastErr, make([]time.Time, k)...)
	for i := old; i < n; i++ {
		r.maxAtt = append(r.maxAtt, int32(ng.maxAttempts(i)))
	}
	words := (n + 63) / 64
	r.startable = append(r.startable, make([]uint64, words-len(r.startable))...)
	r.retrying = append(r.retrying, make([]uint64, words-len(r.retrying))...)
	d := r.dyn
	d.presence = append(d.presence, make([]Presence, k)...)
	d.gate = append(d.gate, make([]int32, k)...)
	d.decided = append(d.decided, make([]bool, k)...)
	for i := old; i < n; i++ {
		d.presence[i] = Undecided
		d.by = append(d.by, -1)
		d.undecided++
		for _, p := range ng.parents[i] {
			if !r.state[p].Satisfies() {
				r.unmet[i]++
			}
		}
		for _, c := range ng.children[i] {
			r.unmet[c]++ // a new, pending parent
			r.updateBits(c)
		}
	}
}

// replay applies a snapshot's outcomes to a fresh run, before its states are restored: the checks
// that depend on states and limits were made when the outcomes were first applied.
func (r *Run) replay(log []Growth) error {
	if len(log) == 0 {
		return nil
	}
	if r.dyn == nil {
		return fmt.Errorf("the snapshot has outcomes but the graph is static")
	}
	limits := r.dyn.limits
	r.dyn.limits = Limits{MaxDecisionDepth: 1 << 30, MaxStepsPerDecision: 1 << 30, MaxBatchWorkers: 1 << 30}
	defer func() { r.dyn.limits = limits }()
	for k, gr := range log {
		if err := r.replayOne(gr); err != nil {
			return fmt.Errorf("outcome #%d: %w", k+1, err)
		}
	}
	return nil
}

func (r *Run) replayOne(gr Growth) error {
	i, ok := r.g.index[gr.Step]
	if !ok {
		return fmt.Errorf("no step %q", gr.Step)
	}
	kind := StepDecision
	if gr.Worker != "" {
		kind = StepBatchable
	}
	saved := r.state[i]
	r.state[i] = Complete // the outcome was applied once the step had finished
	defer func() { r.state[i] = saved }()
	if kind == StepDecision {
		return r.Decide(i, gr.Create)
	}
	return r.Expand(i, gr.Worker, gr.Batches)
}
