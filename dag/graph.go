package dag

import (
	"fmt"
	"strings"
)

// DefaultMaxAttempts is the number of attempts a step gets when its spec says 0 (Tasker's
// coalesce(retry_limit, 3)).
const DefaultMaxAttempts = 3

// StepSpec describes one step of a graph: its name, the names of the steps it depends on, and its
// retry policy. MaxAttempts counts every attempt including the first; 0 means DefaultMaxAttempts.
// Retryable false means exactly one attempt whatever MaxAttempts says.
type StepSpec struct {
	Name         string
	Dependencies []string
	MaxAttempts  int
	Retryable    bool
	Skippable    bool
	// Kind is the step's type (standard by default); see StepKind.
	Kind StepKind
	// WorkerTemplate names the batch worker template a step is an instance of; only graphs grown
	// by Run.Expand have such steps.
	WorkerTemplate string
}

// Kinds of ValidationError.
const (
	KindEmpty             = "empty"              // no steps at all
	KindEmptyName         = "empty_name"         // a step without a name
	KindDuplicateStep     = "duplicate_step"     // two steps with one name
	KindUnknownDependency = "unknown_dependency" // a dependency names no step
	KindCycle             = "cycle"              // the dependencies form a cycle (Path holds it)
	KindInvalidRetry      = "invalid_retry"      // MaxAttempts < 0
)

// ValidationError says why a set of step specs is not a DAG. Step names the offending step (empty
// for KindEmpty); Path is the cycle for KindCycle, in execution order (each step is a dependency of
// the next) and closed (the first name repeats at the end), and the missing dependency name for
// KindUnknownDependency.
type ValidationError struct {
	Kind string
	Step string
	Path []string
}

func (e *ValidationError) Error() string {
	switch e.Kind {
	case KindEmpty:
		return "the template has no steps"
	case KindEmptyName:
		return fmt.Sprintf("step #%s has no name", e.Step)
	case KindDuplicateStep:
		return fmt.Sprintf("duplicate step %q", e.Step)
	case KindUnknownDependency:
		return fmt.Sprintf("step %q depends on unknown step %q", e.Step, strings.Join(e.Path, ""))
	case KindCycle:
		return fmt.Sprintf("dependency cycle %s", strings.Join(e.Path, " → "))
	case KindInvalidRetry:
		return fmt.Sprintf("step %q: max attempts must be ≥ 1 (or 0 for the default %d)", e.Step, DefaultMaxAttempts)
	}
	if msg, ok := dynamicErrorText(e); ok {
		return msg
	}
	return fmt.Sprintf("step %q: invalid (%s)", e.Step, e.Kind)
}

// Graph is an immutable DAG of steps. Steps are identified by their index in the specs given to
// New; parents and children are sorted ascending. A Graph is safe for concurrent use.
type Graph struct {
	specs    []StepSpec
	index    map[string]int
	parents  [][]int // sub-slices of one backing array
	children [][]int
	topo     []int
	levels   []int
	fp       uint64
	dynamic  bool   // some step is not StepStandard
	base     *Graph // the graph Run.Expand grew this one from (nil for New's)
}

// New validates specs and builds the graph. Errors are *ValidationError: no steps, a step without a
// name, a duplicate step, an unknown dependency, a cycle, a negative MaxAttempts, or a dynamic
// step breaking its rules (a decision without a dependency; a batch worker template without
// exactly one batchable parent, or with a child that is not deferred; a batchable step without a
// batch worker template child). A dependency listed twice counts once.
func New(specs []StepSpec) (*Graph, error) { return build(specs, false) }

func build(specs []StepSpec, instances bool) (*Graph, error) {
	if len(specs) == 0 {
		return nil, &ValidationError{Kind: KindEmpty}
	}
	g := &Graph{specs: make([]StepSpec, len(specs)), index: make(map[string]int, len(specs))}
	edges := 0
	for _, s := range specs {
		edges += len(s.Dependencies)
	}
	deps := make([]string, 0, edges) // one copy of every dependency list: the graph owns its specs
	for i, s := range specs {
		start := len(deps)
		deps = append(deps, s.Dependencies...)
		s.Dependencies = deps[start:len(deps):len(deps)]
		if len(s.Dependencies) == 0 {
			s.Dependencies = nil
		}
		if err := g.addSpec(i, s); err != nil {
			return nil, err
		}
	}
	if err := g.link(); err != nil {
		return nil, err
	}
	if err := g.sort(); err != nil {
		return nil, err
	}
	if err := g.validateDynamic(instances); err != nil {
		return nil, err
	}
	g.fp = g.fingerprint()
	return g, nil
}

func (g *Graph) addSpec(i int, s StepSpec) error {
	if s.Name == "" {
		return &ValidationError{Kind: KindEmptyName, Step: fmt.Sprint(i + 1)}
	}
	if _, dup := g.index[s.Name]; dup {
		return &ValidationError{Kind: KindDuplicateStep, Step: s.Name}
	}
	if s.MaxAttempts < 0 {
		return &ValidationError{Kind: KindInvalidRetry, Step: s.Name}
	}
	g.specs[i] = s
	g.index[s.Name] = i
	return nil
}

// link resolves dependency names into parent and child index lists (CSR-like: one backing array
// per direction, so a graph is a handful of allocations whatever its size).
func (g *Graph) link() error {
	n := len(g.specs)
	edges := 0
	for _, s := range g.specs {
		edges += len(s.Dependencies)
	}
	parentBuf := make([]int, 0, edges)
	g.parents = make([][]int, n)
	childCount := make([]int, n)
	seen := make([]int, n) // seen[p] == i+1 when p is already a parent of i
	for i, s := range g.specs {
		start := len(parentBuf)
		for _, d := range s.Dependencies {
			p, ok := g.index[d]
			if !ok {
				return &ValidationError{Kind: KindUnknownDependency, Step: s.Name, Path: []string{d}}
			}
			if seen[p] == i+1 {
				continue
			}
			seen[p] = i + 1
			parentBuf = append(parentBuf, p)
			childCount[p]++
		}
		ps := parentBuf[start:len(parentBuf):len(parentBuf)]
		sortInts(ps)
		g.parents[i] = ps
	}
	childBuf := make([]int, len(parentBuf))
	g.children = make([][]int, n)
	off := 0
	for p := range n {
		g.children[p] = childBuf[off : off : off+childCount[p]]
		off += childCount[p]
	}
	for i := range n { // ascending i, so each child list comes out sorted
		for _, p := range g.parents[i] {
			g.children[p] = append(g.children[p], i)
		}
	}
	return nil
}

// sort computes a topological order (Kahn's algorithm, FIFO from the roots in index order) and
// each step's level (roots 0, else 1 + the highest parent level). A leftover step means a cycle.
func (g *Graph) sort() error {
	n := len(g.specs)
	unmet := make([]int, n)
	g.topo = make([]int, 0, n)
	for i := range n {
		unmet[i] = len(g.parents[i])
		if unmet[i] == 0 {
			g.topo = append(g.topo, i)
		}
	}
	for head := 0; head < len(g.topo); head++ {
		for _, c := range g.children[g.topo[head]] {
			unmet[c]--
			if unmet[c] == 0 {
				g.topo = append(g.topo, c)
			}
		}
	}
	if len(g.topo) < n {
		path := g.cyclePath(unmet)
		return &ValidationError{Kind: KindCycle, Step: path[0], Path: path}
	}
	g.levels = make([]int, n)
	for _, i := range g.topo {
		for _, p := range g.parents[i] {
			g.levels[i] = max(g.levels[i], g.levels[p]+1)
		}
	}
	return nil
}

// cycleStart is the lowest-index step Kahn's algorithm could not place.
func (g *Graph) cycleStart(unmet []int) int {
	for i, u := range unmet {
		if u > 0 {
			return i
		}
	}
	return 0
}

// cyclePath walks parents from a step left over by Kahn's algorithm: every such step has a
// leftover parent, so the walk must revisit a step; the revisited stretch is a cycle. It is
// reported in execution order (parent → child), closed.
func (g *Graph) cyclePath(unmet []int) []string {
	pos := make(map[int]int)
	var walk []int
	cur := g.cycleStart(unmet)
	for {
		if at, ok := pos[cur]; ok {
			walk = walk[at:]
			break
		}
		pos[cur] = len(walk)
		walk = append(walk, cur)
		for _, p := range g.parents[cur] {
			if unmet[p] > 0 {
				cur = p
				break
			}
		}
	}
	// walk goes child → parent; reverse it into execution order, start it at its lowest-index step
	// (so the report is stable) and close it.
	lowest := 0
	for k, i := range walk {
		if i < walk[lowest] {
			lowest = k
		}
	}
	path := make([]string, 0, len(walk)+1)
	for k := range walk {
		path = append(path, g.specs[walk[(lowest-k+len(walk))%len(walk)]].Name)
	}
	return append(path, path[0])
}

// fingerprint is FNV-1a over the names, parent lists and non-standard kinds (written out: hash.Hash's interface
// calls cost more than the hashing here).
func (g *Graph) fingerprint() uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	mix := func(b byte) { h = (h ^ uint64(b)) * prime }
	for i, s := range g.specs {
		for k := 0; k < len(s.Name); k++ {
			mix(s.Name[k])
		}
		mix(0)
		for _, p := range g.parents[i] {
			for k := 0; k < 64; k += 8 {
				mix(byte(p >> k))
			}
		}
		if s.Kind != StepStandard { // only then: static graphs keep the fingerprints they had
			mix(0xfe)
			mix(byte(s.Kind))
		}
		mix(0xff)
	}
	return h
}

// insertion sort: dependency lists are short, and this keeps the package free of sort allocations.
func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// Len is the number of steps.
func (g *Graph) Len() int { return len(g.specs) }

// Name is the name of step i.
func (g *Graph) Name(i int) string { return g.specs[i].Name }

// Index finds a step by name.
func (g *Graph) Index(name string) (int, bool) {
	i, ok := g.index[name]
	return i, ok
}

// Spec returns step i's spec (a copy; its Dependencies slice is shared: do not mutate it).
func (g *Graph) Spec(i int) StepSpec { return g.specs[i] }

// Parents are the steps step i depends on, ascending. Do not mutate.
func (g *Graph) Parents(i int) []int { return g.parents[i] }

// Children are the steps that depend on step i, ascending. Do not mutate.
func (g *Graph) Children(i int) []int { return g.children[i] }

// TopoOrder is a topological order of the steps: every step comes after all its parents. It is
// deterministic (roots in index order, then breadth-first). Do not mutate.
func (g *Graph) TopoOrder() []int { return g.topo }

// Levels gives each step's dependency level: roots 0, otherwise one more than its deepest parent
// (the meaning of Tasker's calculate_dependency_levels). Do not mutate.
func (g *Graph) Levels() []int { return g.levels }

// Fingerprint identifies the graph's shape (names and edges); Restore checks it.
func (g *Graph) Fingerprint() uint64 { return g.fp }

// maxAttempts is the attempts step i gets: 1 when not retryable, else MaxAttempts or the default.
func (g *Graph) maxAttempts(i int) int {
	s := &g.specs[i]
	switch {
	case !s.Retryable:
		return 1
	case s.MaxAttempts == 0:
		return DefaultMaxAttempts
	}
	return s.MaxAttempts
}
