package template

import (
	"strings"

	"github.com/tasker-systems/tasker-temporal/dag"
)

// Step types (tasker-core's `type`, alias `step_type`). The empty type is standard.
const (
	TypeStandard    = "standard"
	TypeDecision    = "decision"
	TypeDeferred    = "deferred_convergence"
	TypeBatchable   = "batchable"
	TypeBatchWorker = "batch_worker"
)

// typeAliases maps every accepted spelling to its type: tasker-core's serde names, and the
// shorter ones its guides use in examples (`deferred`, `decision_point`).
var typeAliases = map[string]string{
	"": TypeStandard, TypeStandard: TypeStandard, TypeDecision: TypeDecision, "decision_point": TypeDecision,
	TypeDeferred: TypeDeferred, "deferred": TypeDeferred, TypeBatchable: TypeBatchable, TypeBatchWorker: TypeBatchWorker,
}

var stepKinds = map[string]dag.StepKind{
	TypeStandard: dag.StepStandard, TypeDecision: dag.StepDecision, TypeDeferred: dag.StepDeferred,
	TypeBatchable: dag.StepBatchable, TypeBatchWorker: dag.StepBatchWorker,
}

// Batch failure strategies (tasker-core's FailureStrategy; continue_on_failure is its default).
const (
	FailContinueOnFailure = "continue_on_failure"
	FailFast              = "fail_fast"
	FailIsolate           = "isolate"
)

// Defaults of BatchConfig, tasker-core's.
const (
	DefaultBatchSize   = 1000
	DefaultParallelism = 10
	DefaultCursorField = "id"
)

// BatchConfig is tasker-core's batch_config of a batchable step or of a batch worker template:
// items per batch, the most workers to run at once, the field the cursor tracks, the worker
// template the batchable step instantiates, how a worker's failure is treated, and (from
// tasker-core's BatchMetadata) how often a worker should checkpoint, in items (0: the handler
// decides).
type BatchConfig struct {
	BatchSize          int    `json:"batch_size"`
	Parallelism        int    `json:"parallelism"`
	CursorField        string `json:"cursor_field"`
	WorkerTemplate     string `json:"worker_template,omitempty"`
	FailureStrategy    string `json:"failure_strategy"`
	CheckpointInterval int    `json:"checkpoint_interval,omitempty"`
}

// rawDynamic holds a tasker-core step's dynamic keys; it is inlined into the raw step.
type rawDynamic struct {
	Type        string          `yaml:"type"`
	StepType    string          `yaml:"step_type"`
	BatchConfig *rawBatchConfig `yaml:"batch_config"`
	Lifecycle   map[string]any  `yaml:"lifecycle"`
}

type rawBatchConfig struct {
	BatchSize          *int   `yaml:"batch_size"`
	Parallelism        *int   `yaml:"parallelism"`
	CursorField        string `yaml:"cursor_field"`
	WorkerTemplate     string `yaml:"worker_template"`
	FailureStrategy    string `yaml:"failure_strategy"`
	CheckpointInterval int    `yaml:"checkpoint_interval"`
}

var batchConfigShape = mapping(map[string]*shape{
	"batch_size": anyValue, "parallelism": anyValue, "cursor_field": anyValue, "worker_template": anyValue,
	"failure_strategy": anyValue, "checkpoint_interval": anyValue,
})

// lifecycleShape is tasker-core's per-step lifecycle (staleness and DLQ settings). It is kept on
// the step for tools; on Temporal, start_to_close and heartbeat timeouts do that job.
var lifecycleShape = mapping(map[string]*shape{
	"max_steps_in_process_minutes": anyValue, "max_retries": anyValue, "backoff_multiplier": anyValue,
	"max_duration_minutes": anyValue, "max_waiting_for_dependencies_minutes": anyValue,
	"max_waiting_for_retry_minutes": anyValue, "staleness_action": anyValue, "auto_fail_on_timeout": anyValue,
	"auto_dlq_on_timeout": anyValue,
})

// dynamicKeys are the keys rawDynamic adds to a tasker-core step.
var dynamicKeys = map[string]*shape{"type": anyValue, "step_type": anyValue, "batch_config": batchConfigShape, "lifecycle": lifecycleShape}

// applyDynamic copies the dynamic keys onto a normalised step. An unknown type is kept as
// written, for Validate to report.
func (d rawDynamic) applyTo(s *Step) {
	typ := d.Type
	if typ == "" {
		typ = d.StepType
	}
	if canon, ok := typeAliases[typ]; ok {
		typ = canon
	}
	if typ != TypeStandard {
		s.Type = typ
	}
	s.Lifecycle = jsonSafeMap(d.Lifecycle)
	if b := d.BatchConfig; b != nil {
		s.BatchConfig = &BatchConfig{
			BatchSize: DefaultBatchSize, Parallelism: DefaultParallelism, CursorField: b.CursorField,
			WorkerTemplate: b.WorkerTemplate, FailureStrategy: b.FailureStrategy, CheckpointInterval: b.CheckpointInterval,
		}
		if b.BatchSize != nil {
			s.BatchConfig.BatchSize = *b.BatchSize
		}
		if b.Parallelism != nil {
			s.BatchConfig.Parallelism = *b.Parallelism
		}
		if s.BatchConfig.CursorField == "" {
			s.BatchConfig.CursorField = DefaultCursorField
		}
		if s.BatchConfig.FailureStrategy == "" {
			s.BatchConfig.FailureStrategy = FailContinueOnFailure
		}
	}
}

// Kind is the step's dag.StepKind (standard for an empty or unknown type).
func (s *Step) Kind() dag.StepKind { return stepKinds[s.typeName()] }

func (s *Step) typeName() string {
	if s.Type == "" {
		return TypeStandard
	}
	return s.Type
}

// WorkerTemplateOf is the batch worker template batchable step s instantiates when an outcome
// names none: its batch_config.worker_template, else handler.initialization.worker_template_name
// (tasker-core's fixtures), else its only batch_worker child. Empty when none can be told.
func (t *Template) WorkerTemplateOf(s *Step) string {
	if s.BatchConfig != nil && s.BatchConfig.WorkerTemplate != "" {
		return s.BatchConfig.WorkerTemplate
	}
	if name, ok := s.Initialization["worker_template_name"].(string); ok && name != "" {
		return name
	}
	var found []string
	for i := range t.Steps {
		w := &t.Steps[i]
		if w.Type == TypeBatchWorker && len(w.Dependencies) == 1 && w.Dependencies[0] == s.Name {
			found = append(found, w.Name)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

// BatchConfigOf is the batch configuration of worker template w (its own batch_config, else its
// batchable parent's), with tasker-core's defaults when neither has one.
func (t *Template) BatchConfigOf(w *Step) BatchConfig {
	if w.BatchConfig != nil {
		return *w.BatchConfig
	}
	for _, d := range w.Dependencies {
		if p, ok := t.Step(d); ok && p.BatchConfig != nil {
			return *p.BatchConfig
		}
	}
	return BatchConfig{BatchSize: DefaultBatchSize, Parallelism: DefaultParallelism, CursorField: DefaultCursorField, FailureStrategy: FailContinueOnFailure}
}

var failureStrategies = map[string]bool{FailContinueOnFailure: true, FailFast: true, FailIsolate: true}

// dynamic checks the dynamic keys of every step: a known type; batch_config only on batchable
// and batch_worker steps, with values in tasker-core's ranges; the worker template a batchable
// step names is a batch_worker step that depends on it. The graph rules (a decision has a
// parent, a batch worker has exactly one batchable parent, only deferred steps depend on a batch
// worker, cycles) are dag.New's, reported by graph.
func (v *validator) dynamic() {
	for i := range v.t.Steps {
		s := &v.t.Steps[i]
		if _, ok := stepKinds[s.typeName()]; !ok {
			v.add(i, 0, "unknown step type %q (want standard, decision, deferred_convergence (or deferred), batchable or batch_worker)", s.Type)
			continue
		}
		v.batchConfig(i, s)
		if s.Type == TypeBatchable {
			v.workerTemplate(i, s)
		}
	}
}

func (v *validator) batchConfig(i int, s *Step) {
	b := s.BatchConfig
	if b == nil {
		return
	}
	if s.Type != TypeBatchable && s.Type != TypeBatchWorker {
		v.add(i, 0, "batch_config on a %s step: only batchable and batch_worker steps take one", s.typeName())
	}
	if b.BatchSize < 1 || b.BatchSize > 100000 {
		v.add(i, 0, "batch_config.batch_size %d: must be 1 to 100000", b.BatchSize)
	}
	if b.Parallelism < 1 || b.Parallelism > 1000 {
		v.add(i, 0, "batch_config.parallelism %d: must be 1 to 1000", b.Parallelism)
	}
	if len(b.CursorField) > 255 {
		v.add(i, 0, "batch_config.cursor_field is longer than 255 characters")
	}
	if !failureStrategies[b.FailureStrategy] {
		v.add(i, 0, "batch_config.failure_strategy %q: want continue_on_failure, fail_fast or isolate", b.FailureStrategy)
	}
	if b.CheckpointInterval < 0 {
		v.add(i, 0, "batch_config.checkpoint_interval %d: must not be negative", b.CheckpointInterval)
	}
	if s.Type == TypeBatchWorker && b.WorkerTemplate != "" && b.WorkerTemplate != s.Name {
		v.add(i, 0, "batch_config.worker_template %q on batch_worker step: it must name the step itself", b.WorkerTemplate)
	}
}

func (v *validator) workerTemplate(i int, s *Step) {
	name := v.t.WorkerTemplateOf(s)
	if name == "" {
		return // dag.New reports a batchable step without a worker; several need an outcome to choose
	}
	w, ok := v.t.Step(name)
	if !ok || w.Type != TypeBatchWorker || !containsString(w.Dependencies, s.Name) {
		var cands []string
		for k := range v.t.Steps {
			c := &v.t.Steps[k]
			if c.Type == TypeBatchWorker && containsString(c.Dependencies, s.Name) {
				cands = append(cands, c.Name)
			}
		}
		v.add(i, 0, "worker template %q is not a batch_worker step depending on %q (candidates: %s)", name, s.Name, strings.Join(cands, ", "))
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// with adds keys to a mapping shape (the dynamic keys of a tasker-core step).
func (sh *shape) with(keys map[string]*shape) *shape {
	for k, v := range keys {
		sh.keys[k] = v
	}
	return sh
}
