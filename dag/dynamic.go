package dag

import (
	"fmt"
	"strings"
)

// StepKind is a step's type in tasker-core's template format. A graph whose steps are all
// StepStandard is static: every step exists from the start. Decisions, batchable steps, batch
// worker templates and deferred convergence steps make the run's step set grow at run time.
type StepKind uint8

const (
	// StepStandard is an ordinary step (the default).
	StepStandard StepKind = iota
	// StepDecision is a decision point: when it finishes, Run.Decide says which of its children to
	// create.
	StepDecision
	// StepDeferred is a deferred convergence step: it waits for the intersection of its declared
	// dependencies and the steps that were actually created.
	StepDeferred
	// StepBatchable is a batchable step: when it finishes, Run.Expand instantiates N copies of one
	// of its batch worker children.
	StepBatchable
	// StepBatchWorker is a batch worker template (never run itself) or, when StepSpec.WorkerTemplate
	// is set, one instance of it.
	StepBatchWorker
)

var kindNames = [...]string{"standard", "decision", "deferred_convergence", "batchable", "batch_worker"}

func (k StepKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("StepKind(%d)", k)
}

// Kinds of ValidationError for dynamic steps.
const (
	KindDecisionRoot       = "decision_root"        // a decision step with no dependency
	KindBatchWorkerParent  = "batch_worker_parent"  // a batch worker template without exactly one batchable parent
	KindBatchWorkerChild   = "batch_worker_child"   // a non-deferred step depends on a batch worker template
	KindBatchableNoWorker  = "batchable_no_worker"  // a batchable step with no batch worker template child
	KindInvalidStepKind    = "invalid_step_kind"    // a StepKind out of range
	KindInstanceOfTemplate = "instance_of_template" // StepSpec.WorkerTemplate set by a caller of New
)

func dynamicErrorText(e *ValidationError) (string, bool) {
	switch e.Kind {
	case KindDecisionRoot:
		return fmt.Sprintf("decision step %q must have at least one dependency", e.Step), true
	case KindBatchWorkerParent:
		return fmt.Sprintf("batch_worker step %q must depend on exactly one step, a batchable one (it depends on %s)", e.Step, quoteList(e.Path)), true
	case KindBatchWorkerChild:
		return fmt.Sprintf("step %q depends on batch_worker template %q but is not deferred_convergence: only a deferred convergence step can wait for batch workers", e.Step, strings.Join(e.Path, "")), true
	case KindBatchableNoWorker:
		return fmt.Sprintf("batchable step %q has no batch_worker step depending on it", e.Step), true
	case KindInvalidStepKind:
		return fmt.Sprintf("step %q: invalid step type", e.Step), true
	case KindInstanceOfTemplate:
		return fmt.Sprintf("step %q: WorkerTemplate is set only by Run.Expand", e.Step), true
	}
	return "", false
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "nothing"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// validateDynamic checks the rules of dynamic steps once the edges are known. instances tells
// whether specs with WorkerTemplate set are allowed (graphs built by Run.Expand).
func (g *Graph) validateDynamic(instances bool) error {
	for _, s := range g.specs {
		if s.Kind > StepBatchWorker {
			return &ValidationError{Kind: KindInvalidStepKind, Step: s.Name}
		}
		if s.Kind != StepStandard {
			g.dynamic = true
		}
		if s.WorkerTemplate != "" && !instances {
			return &ValidationError{Kind: KindInstanceOfTemplate, Step: s.Name}
		}
	}
	for i := range g.specs {
		if err := g.checkKind(i); err != nil {
			return err
		}
	}
	return nil
}

func (g *Graph) checkKind(i int) error {
	s := &g.specs[i]
	switch s.Kind {
	case StepDecision:
		if len(g.parents[i]) == 0 {
			return &ValidationError{Kind: KindDecisionRoot, Step: s.Name}
		}
	case StepBatchWorker:
		ps := g.parents[i]
		if len(ps) != 1 || g.specs[ps[0]].Kind != StepBatchable {
			names := make([]string, len(ps))
			for k, p := range ps {
				names[k] = g.specs[p].Name
			}
			return &ValidationError{Kind: KindBatchWorkerParent, Step: s.Name, Path: names}
		}
		if s.WorkerTemplate != "" {
			return nil
		}
		for _, c := range g.children[i] {
			if g.specs[c].Kind != StepDeferred {
				return &ValidationError{Kind: KindBatchWorkerChild, Step: g.specs[c].Name, Path: []string{s.Name}}
			}
		}
	case StepBatchable:
		for _, c := range g.children[i] {
			if g.isWorkerTemplate(c) {
				return nil
			}
		}
		return &ValidationError{Kind: KindBatchableNoWorker, Step: s.Name}
	}
	return nil
}

// Kind is step i's type.
func (g *Graph) Kind(i int) StepKind { return g.specs[i].Kind }

// Dynamic reports whether the graph has a decision, deferred, batchable or batch worker step.
func (g *Graph) Dynamic() bool { return g.dynamic }

func (g *Graph) isWorkerTemplate(i int) bool {
	return g.specs[i].Kind == StepBatchWorker && g.specs[i].WorkerTemplate == ""
}

// IsInstance reports whether step i is a batch worker instance made by Run.Expand.
func (g *Graph) IsInstance(i int) bool { return g.specs[i].WorkerTemplate != "" }

// Template is the graph a run starts from: the graph itself for one built by New, else the
// graph Run.Expand grew it from.
func (g *Graph) Template() *Graph {
	if g.base != nil {
		return g.base
	}
	return g
}

// BatchWorkerName is the name tasker-core gives a batch worker instance: the worker template's
// name, an underscore and the cursor's batch_id (process_csv_batch_001).
func BatchWorkerName(workerTemplate, batchID string) string {
	return workerTemplate + "_" + batchID
}

// NoBatchesID is the batch_id of the placeholder worker tasker-core creates for a NoBatches
// outcome (its cursor is 0..0 and it is marked is_no_op).
const NoBatchesID = "000"

// decisionDepth is, per step, the number of decision steps on the deepest dependency path from a
// root down to it, the step itself included (a first-level decision has depth 1).
func (g *Graph) decisionDepths() []int32 {
	d := make([]int32, len(g.specs))
	for _, i := range g.topo {
		for _, p := range g.parents[i] {
			d[i] = max(d[i], d[p])
		}
		if g.specs[i].Kind == StepDecision {
			d[i]++
		}
	}
	return d
}

// expand returns a graph that extends g with one instance of worker template w per batch id,
// named BatchWorkerName(w, id), each depending on w's batchable parent and depended on by every
// child of w. Existing steps keep their indexes; instances come last, in the order of ids.
func (g *Graph) expand(w int, ids []string) (*Graph, error) {
	tmpl := g.specs[w]
	specs := make([]StepSpec, len(g.specs), len(g.specs)+len(ids))
	copy(specs, g.specs)
	names := make([]string, len(ids))
	for k, id := range ids {
		names[k] = BatchWorkerName(tmpl.Name, id)
	}
	for _, c := range g.children[w] {
		deps := make([]string, 0, len(specs[c].Dependencies)+len(names))
		deps = append(deps, specs[c].Dependencies...)
		specs[c].Dependencies = append(deps, names...)
	}
	for _, n := range names {
		inst := tmpl
		inst.Name = n
		inst.WorkerTemplate = tmpl.Name
		specs = append(specs, inst)
	}
	ng, err := build(specs, true)
	if err != nil {
		return nil, err
	}
	ng.base = g.Template()
	return ng, nil
}
