package template

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/dag"
)

var backoffs = map[string]bool{BackoffNone: true, BackoffLinear: true, BackoffExponential: true, BackoffFibonacci: true}

// Validate checks a normalised template: a name, namespace and semantic version; at least one
// step; every step named, unique, with a callable and valid retry and timeout values; known
// dependencies and no cycle; an input schema that compiles. It returns every problem found, each
// an *Error naming the template and step (and file and line when the template came from Parse).
func (t *Template) Validate() error { return t.validate(nil) }

func (t *Template) validate(pos *positions) error {
	v := validator{t: t, pos: pos}
	v.header()
	v.steps()
	v.dynamic()
	v.retryConflicts()
	v.limits()
	if len(v.errs) == 0 {
		v.graph()
	}
	v.schema()
	return errors.Join(v.errs...)
}

type validator struct {
	t    *Template
	pos  *positions
	errs []error
}

func (v *validator) add(step int, line int, format string, args ...any) {
	e := &Error{Source: v.t.Source, Template: v.t.Name, Msg: fmt.Sprintf(format, args...)}
	if step >= 0 && step < len(v.t.Steps) {
		e.Step = v.t.Steps[step].Name
	}
	e.Line = line
	if line == 0 && v.pos != nil {
		e.Line = v.pos.root
		if step >= 0 && step < len(v.pos.steps) {
			e.Line = v.pos.steps[step]
		}
	}
	v.errs = append(v.errs, e)
}

func (v *validator) header() {
	t := v.t
	if t.Name == "" {
		v.add(-1, 0, "the template has no name")
	}
	if t.Namespace == "" {
		v.add(-1, 0, "the template has no namespace_name")
	}
	if _, err := semver.NewVersion(t.Version); err != nil {
		v.add(-1, 0, "version %q is not a semantic version (e.g. 1.0.0): %v", t.Version, err)
	}
	if len(t.Steps) == 0 {
		v.add(-1, 0, "empty template: it has no steps")
	}
}

func (v *validator) retryLine(i int) int {
	if v.pos != nil && i < len(v.pos.retries) {
		return v.pos.retries[i]
	}
	return 0
}

func (v *validator) steps() {
	seen := map[string]int{}
	for i := range v.t.Steps {
		s := &v.t.Steps[i]
		if s.Name == "" {
			v.add(i, 0, "step #%d has no name", i+1)
			continue
		}
		if first, dup := seen[s.Name]; dup {
			v.add(i, 0, "duplicate step (first defined as step #%d%s)", first+1, v.lineNote(first))
			continue
		}
		seen[s.Name] = i
		if s.Callable == "" {
			v.add(i, 0, "no handler callable (handler.callable or handler_class)")
		}
		v.retry(i, s)
		if s.Timeout < 0 {
			v.add(i, 0, "invalid timeout_seconds %s: must not be negative", s.Timeout)
		}
		if s.Temporal.StartToClose < 0 || s.Temporal.Heartbeat < 0 {
			v.add(i, 0, "invalid temporal durations: must not be negative")
		}
		if s.Temporal.Local && s.Temporal.Heartbeat > 0 {
			v.add(i, 0, "temporal.local and temporal.heartbeat together: a local step runs as a local activity, which cannot heartbeat")
		}
		if s.Temporal.Local && s.Temporal.TaskQueue != "" {
			v.add(i, 0, "temporal.local and temporal.task_queue together: a local step runs on the orchestration worker, not on a step queue")
		}
	}
}

func (v *validator) lineNote(step int) string {
	if v.pos == nil || step >= len(v.pos.steps) {
		return ""
	}
	return fmt.Sprintf(" at line %d", v.pos.steps[step])
}

func (v *validator) retry(i int, s *Step) {
	r := s.Retry
	line := v.retryLine(i)
	if r.MaxAttempts < 1 {
		v.add(i, line, "invalid retry: max_attempts (or limit, default_retry_limit) is %d, must be at least 1", r.MaxAttempts)
	}
	if !r.Retryable && r.MaxAttempts > 1 {
		v.add(i, line, "invalid retry: retryable is false but max_attempts is %d", r.MaxAttempts)
	}
	if !backoffs[r.Backoff] {
		v.add(i, line, "invalid retry: unknown backoff %q (want none, linear, exponential or fibonacci)", r.Backoff)
	}
	if r.BackoffBase < 0 || r.MaxBackoff < 0 {
		v.add(i, line, "invalid retry: backoff_base_ms and max_backoff_ms must not be negative")
	}
}

// graph builds the dag.Graph to find unknown dependencies and cycles.
func (v *validator) graph() {
	_, err := dag.New(v.t.specs())
	var ve *dag.ValidationError
	if !errors.As(err, &ve) {
		return
	}
	i, _ := v.t.stepIndex(ve.Step)
	switch ve.Kind {
	case dag.KindUnknownDependency:
		v.add(i, v.depLine(i, ve.Path[0]), "depends on unknown step %q (steps: %s)", ve.Path[0], strings.Join(v.t.StepNames(), ", "))
	case dag.KindCycle:
		v.add(i, 0, "dependency cycle %s", strings.Join(ve.Path, " → "))
	default:
		v.add(i, 0, "%s", ve.Error())
	}
}

func (v *validator) depLine(i int, dep string) int {
	if v.pos == nil || i < 0 || i >= len(v.pos.deps) {
		return 0
	}
	for k, d := range v.t.Steps[i].Dependencies {
		if d == dep && k < len(v.pos.deps[i]) {
			return v.pos.deps[i][k]
		}
	}
	return 0
}

func (v *validator) schema() {
	if len(v.t.InputSchema) == 0 {
		return
	}
	if _, err := compileSchema(v.t.InputSchema); err != nil {
		v.add(-1, 0, "invalid input_schema: %v", err)
	}
}

func (t *Template) stepIndex(name string) (int, bool) {
	for i := range t.Steps {
		if t.Steps[i].Name == name {
			return i, true
		}
	}
	return -1, false
}

// StepNames lists the step names in template order.
func (t *Template) StepNames() []string {
	out := make([]string, len(t.Steps))
	for i := range t.Steps {
		out[i] = t.Steps[i].Name
	}
	return out
}

// Step finds a step by name.
func (t *Template) Step(name string) (*Step, bool) {
	i, ok := t.stepIndex(name)
	if !ok {
		return nil, false
	}
	return &t.Steps[i], true
}

func (t *Template) specs() []dag.StepSpec {
	specs := make([]dag.StepSpec, len(t.Steps))
	for i := range t.Steps {
		s := &t.Steps[i]
		specs[i] = dag.StepSpec{
			Name:         s.Name,
			Dependencies: s.Dependencies,
			MaxAttempts:  s.Retry.MaxAttempts,
			Retryable:    s.Retry.Retryable,
			Skippable:    s.Skippable,
			Kind:         s.Kind(),
		}
	}
	return specs
}

// Graph builds the template's step graph: step i of the graph is t.Steps[i].
func (t *Template) Graph() (*dag.Graph, error) {
	g, err := dag.New(t.specs())
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", t.Key(), err)
	}
	return g, nil
}

// ValidateBypass checks that every name in a request's bypass_steps is a step of the template.
func (t *Template) ValidateBypass(steps []string) error {
	var unknown []string
	for _, s := range steps {
		if _, ok := t.stepIndex(s); !ok {
			unknown = append(unknown, fmt.Sprintf("%q", s))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	names := t.StepNames()
	sort.Strings(names)
	return &Error{Template: t.Name, Msg: fmt.Sprintf("bypass_steps names unknown step %s (steps: %s)", strings.Join(unknown, ", "), strings.Join(names, ", "))}
}

// StepTaskQueue is the task queue step s runs on: its temporal.task_queue, else the template's,
// else tasker-<namespace>.
func (t *Template) StepTaskQueue(s *Step) string {
	switch {
	case s != nil && s.Temporal.TaskQueue != "":
		return s.Temporal.TaskQueue
	case t.Temporal.TaskQueue != "":
		return t.Temporal.TaskQueue
	}
	return tasker.DefaultStepTaskQueue(t.Namespace)
}

// BackoffPolicy is the step's wait between attempts, for dag.BackoffPolicy.Delay.
func (s *Step) BackoffPolicy() dag.BackoffPolicy {
	return dag.BackoffPolicy{Strategy: s.Retry.Backoff, Base: s.Retry.BackoffBase, Max: s.Retry.MaxBackoff}
}
