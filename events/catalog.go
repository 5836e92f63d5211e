package events

import (
	"fmt"
	"sort"
	"strings"
)

// Task lifecycle events (TASKER-REFERENCE §7).
const (
	TaskInitializeRequested = "task.initialize_requested"
	TaskStartRequested      = "task.start_requested"
	TaskCompleted           = "task.completed"
	TaskFailed              = "task.failed"
	TaskRetryRequested      = "task.retry_requested"
	TaskCancelled           = "task.cancelled"
	TaskResolvedManually    = "task.resolved_manually"
	TaskBeforeTransition    = "task.before_transition"
)

// Step lifecycle events.
const (
	StepInitializeRequested = "step.initialize_requested"
	StepExecutionRequested  = "step.execution_requested"
	StepBeforeHandle        = "step.before_handle"
	StepHandle              = "step.handle"
	StepCompleted           = "step.completed"
	StepFailed              = "step.failed"
	StepRetryRequested      = "step.retry_requested"
	StepCancelled           = "step.cancelled"
	StepResolvedManually    = "step.resolved_manually"
	StepBeforeTransition    = "step.before_transition"
)

// Workflow (orchestration) events.
const (
	WorkflowTaskStarted               = "workflow.task_started"
	WorkflowTaskCompleted             = "workflow.task_completed"
	WorkflowTaskFailed                = "workflow.task_failed"
	WorkflowStepCompleted             = "workflow.step_completed"
	WorkflowStepFailed                = "workflow.step_failed"
	WorkflowViableStepsDiscovered     = "workflow.viable_steps_discovered"
	WorkflowNoViableSteps             = "workflow.no_viable_steps"
	WorkflowOrchestrationRequested    = "workflow.orchestration_requested"
	WorkflowTaskFinalizationStarted   = "workflow.task_finalization_started"
	WorkflowTaskFinalizationCompleted = "workflow.task_finalization_completed"
	WorkflowTaskReenqueueStarted      = "workflow.task_reenqueue_started"
	WorkflowTaskReenqueueRequested    = "workflow.task_reenqueue_requested"
	WorkflowTaskReenqueueFailed       = "workflow.task_reenqueue_failed"
	WorkflowTaskReenqueueDelayed      = "workflow.task_reenqueue_delayed"
	WorkflowTaskStateUnclear          = "workflow.task_state_unclear"
	WorkflowStepExecutionFailed       = "workflow.step_execution_failed"
	WorkflowViableStepsBatchReady     = "workflow.viable_steps_batch_ready"
	WorkflowStepsExecutionStarted     = "workflow.steps_execution_started"
	WorkflowStepsExecutionCompleted   = "workflow.steps_execution_completed"
)

// Observability events.
const (
	ObservabilityTaskHandle            = "observability.task.handle"
	ObservabilityTaskEnqueue           = "observability.task.enqueue"
	ObservabilityTaskFinalize          = "observability.task.finalize"
	ObservabilityStepHandle            = "observability.step.handle"
	ObservabilityStepFindViable        = "observability.step.find_viable"
	ObservabilityStepBackoff           = "observability.step.backoff"
	ObservabilityStepSkip              = "observability.step.skip"
	ObservabilityStepMaxRetriesReached = "observability.step.max_retries_reached"
)

// Categories of the catalog; a category is also the first segment of its events' names.
const (
	CategoryTask          = "task"
	CategoryStep          = "step"
	CategoryWorkflow      = "workflow"
	CategoryObservability = "observability"
	CategoryCustom        = "custom"
)

// Payload field types a Definition declares.
const (
	TypeString  = "string"
	TypeInteger = "integer"
	TypeNumber  = "number"
	TypeBoolean = "boolean"
	TypeObject  = "object"
	TypeArray   = "array"
	TypeTime    = "time" // an RFC 3339 string
	TypeAny     = "any"
)

// Field is one key of an event payload.
type Field struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
}

// Definition describes one event of the catalog: its name, category and payload schema.
type Definition struct {
	Name        string  `json:"name"`
	Category    string  `json:"category"`
	Description string  `json:"description"`
	Fields      []Field `json:"fields"`
}

// Common payload keys (Tasker's names, so existing subscribers keep reading them).
const (
	KeyTaskID            = "task_id"
	KeyWorkflowID        = "workflow_id"
	KeyNamespace         = "namespace"
	KeyTaskName          = "task_name"
	KeyVersion           = "version"
	KeyFromState         = "from_state"
	KeyToState           = "to_state"
	KeyTransitionedAt    = "transitioned_at"
	KeyTransitionEvent   = "transition_event"
	KeyStepName          = "step_name"
	KeyAttemptNumber     = "attempt_number"
	KeyRetryAttempt      = "retry_attempt"
	KeyResults           = "results"
	KeyError             = "error"
	KeyErrorClass        = "error_class"
	KeyExecutionDuration = "execution_duration"
	KeyBackoffSeconds    = "backoff_seconds"
	KeyMaxAttempts       = "max_attempts"
	KeyMetadata          = "metadata"
)

func req(name, typ string) Field { return Field{Name: name, Type: typ, Required: true} }
func opt(name, typ string) Field { return Field{Name: name, Type: typ} }

// taskFields is what every task-level event carries.
func taskFields(extra ...Field) []Field {
	f := []Field{
		req(KeyTaskID, TypeInteger), req(KeyWorkflowID, TypeString), req(KeyNamespace, TypeString),
		req(KeyTaskName, TypeString), req(KeyVersion, TypeString),
	}
	return append(f, extra...)
}

// transitionFields is what an event made from a transition carries besides the task fields.
func transitionFields(extra ...Field) []Field {
	f := []Field{req(KeyFromState, TypeString), req(KeyToState, TypeString), req(KeyTransitionedAt, TypeTime),
		opt(KeyMetadata, TypeObject)}
	return append(f, extra...)
}

func taskTransition(extra ...Field) []Field { return taskFields(transitionFields(extra...)...) }

func stepTransition(extra ...Field) []Field {
	return taskFields(transitionFields(append([]Field{req(KeyStepName, TypeString), opt(KeyAttemptNumber, TypeInteger)}, extra...)...)...)
}

func def(name, desc string, fields []Field) Definition {
	cat, _, _ := strings.Cut(name, ".")
	return Definition{Name: name, Category: cat, Description: desc, Fields: fields}
}

var catalog = buildCatalog()

func buildCatalog() map[string]Definition {
	stepFailure := []Field{req(KeyError, TypeAny), opt(KeyErrorClass, TypeString), opt(KeyBackoffSeconds, TypeInteger),
		opt(KeyResults, TypeAny)}
	defs := []Definition{
		def(TaskInitializeRequested, "a task was created (→ pending) or handed back to pending", taskTransition()),
		def(TaskStartRequested, "a task started (pending → in_progress)", taskTransition()),
		def(TaskCompleted, "a task finished: every step complete or resolved (→ complete)", taskTransition()),
		def(TaskFailed, "a task failed (→ error)", taskTransition(opt(KeyError, TypeAny))),
		def(TaskRetryRequested, "a failed task was retried (error → pending)", taskTransition()),
		def(TaskCancelled, "a task was cancelled (→ cancelled)", taskTransition()),
		def(TaskResolvedManually, "an operator resolved a failed task (→ resolved_manually)", taskTransition()),
		def(TaskBeforeTransition, "published before every task transition's own event", taskTransition(req(KeyTransitionEvent, TypeString))),

		def(StepInitializeRequested, "a step was created (→ pending)", stepTransition()),
		def(StepExecutionRequested, "a step attempt started (pending → in_progress)", stepTransition()),
		def(StepBeforeHandle, "a step handler is about to run (published by a handler foundation)", taskFields(req(KeyStepName, TypeString), opt(KeyAttemptNumber, TypeInteger))),
		def(StepHandle, "a step handler ran (published by a handler foundation)", taskFields(req(KeyStepName, TypeString), opt(KeyAttemptNumber, TypeInteger), opt(KeyExecutionDuration, TypeNumber))),
		def(StepCompleted, "a step attempt succeeded (in_progress → complete)", stepTransition(opt(KeyResults, TypeAny), opt(KeyExecutionDuration, TypeNumber))),
		def(StepFailed, "a step attempt failed (→ error)", stepTransition(stepFailure...)),
		def(StepRetryRequested, "a failed step goes back to pending for another attempt (error → pending)", stepTransition(opt(KeyRetryAttempt, TypeInteger))),
		def(StepCancelled, "a step was cancelled (→ cancelled)", stepTransition()),
		def(StepResolvedManually, "an operator resolved a step (→ resolved_manually)", stepTransition(opt(KeyResults, TypeAny))),
		def(StepBeforeTransition, "before a step transition (catalogued for Tasker compatibility; Tasker itself does not publish it from transitions, nor do we)", stepTransition(req(KeyTransitionEvent, TypeString))),

		def(WorkflowTaskStarted, "the orchestration started a task", taskTransition()),
		def(WorkflowTaskCompleted, "the orchestration finished a task successfully", taskTransition()),
		def(WorkflowTaskFailed, "the orchestration finished a task in error", taskTransition(opt(KeyError, TypeAny))),
		def(WorkflowStepCompleted, "the orchestration saw a step complete", stepTransition(opt(KeyResults, TypeAny), opt(KeyExecutionDuration, TypeNumber))),
		def(WorkflowStepFailed, "the orchestration saw a step fail", stepTransition(stepFailure...)),
		def(WorkflowViableStepsDiscovered, "the resolver found steps ready to run", taskFields(req("step_names", TypeArray))),
		def(WorkflowNoViableSteps, "the resolver found no step ready to run", taskFields()),
		def(WorkflowOrchestrationRequested, "orchestration of a task was requested", taskFields()),
		def(WorkflowTaskFinalizationStarted, "task finalization started", taskFields()),
		def(WorkflowTaskFinalizationCompleted, "task finalization completed", taskFields()),
		def(WorkflowTaskReenqueueStarted, "re-enqueueing a task started", taskFields()),
		def(WorkflowTaskReenqueueRequested, "a running task was handed back to pending (in_progress → pending)", taskTransition()),
		def(WorkflowTaskReenqueueFailed, "re-enqueueing a task failed", taskFields(opt(KeyError, TypeAny))),
		def(WorkflowTaskReenqueueDelayed, "re-enqueueing a task was delayed", taskFields(opt("delay_seconds", TypeNumber))),
		def(WorkflowTaskStateUnclear, "the orchestration could not tell a task's state", taskFields()),
		def(WorkflowStepExecutionFailed, "a step could not be executed", taskFields(req(KeyStepName, TypeString), opt(KeyError, TypeAny))),
		def(WorkflowViableStepsBatchReady, "a batch of ready steps is about to run", taskFields(req("step_names", TypeArray))),
		def(WorkflowStepsExecutionStarted, "a batch of steps started", taskFields(opt("step_names", TypeArray))),
		def(WorkflowStepsExecutionCompleted, "a batch of steps finished", taskFields(opt("step_names", TypeArray))),

		def(ObservabilityTaskHandle, "a task was handled", taskFields(opt(KeyExecutionDuration, TypeNumber))),
		def(ObservabilityTaskEnqueue, "a task was enqueued", taskFields()),
		def(ObservabilityTaskFinalize, "a task was finalized", taskFields()),
		def(ObservabilityStepHandle, "a step was handled", taskFields(req(KeyStepName, TypeString), opt(KeyExecutionDuration, TypeNumber))),
		def(ObservabilityStepFindViable, "ready steps were computed", taskFields(opt("step_names", TypeArray))),
		def(ObservabilityStepBackoff, "a failed step waits before its next attempt", stepTransition(req(KeyBackoffSeconds, TypeInteger))),
		def(ObservabilityStepSkip, "a step was skipped (bypassed)", taskFields(req(KeyStepName, TypeString))),
		def(ObservabilityStepMaxRetriesReached, "a step failed with no attempt left", stepTransition(opt(KeyMaxAttempts, TypeInteger), opt(KeyError, TypeAny))),
	}
	m := make(map[string]Definition, len(defs))
	for _, d := range defs {
		m[d.Name] = d
	}
	return m
}

// Catalog returns every built-in event definition, sorted by name.
func Catalog() []Definition {
	out := make([]Definition, 0, len(catalog))
	for _, d := range catalog {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the built-in definition of name.
func Lookup(name string) (Definition, bool) {
	d, ok := catalog[name]
	return d, ok
}

// Validate checks that payload has every required field and that each declared field present has
// its type. Keys the definition does not declare are allowed (payloads may grow).
func (d Definition) Validate(payload map[string]any) error {
	for _, f := range d.Fields {
		v, ok := payload[f.Name]
		if !ok || v == nil {
			if f.Required {
				return fmt.Errorf("event %s: payload field %q is required", d.Name, f.Name)
			}
			continue
		}
		if !hasType(v, f.Type) {
			return fmt.Errorf("event %s: payload field %q is %T, want %s", d.Name, f.Name, v, f.Type)
		}
	}
	return nil
}

func hasType(v any, typ string) bool {
	switch typ {
	case TypeAny:
		return true
	case TypeString, TypeTime:
		_, ok := v.(string)
		return ok
	case TypeBoolean:
		_, ok := v.(bool)
		return ok
	case TypeInteger:
		switch n := v.(type) {
		case int, int32, int64, uint, uint32, uint64:
			return true
		case float64:
			return n == float64(int64(n))
		}
		return false
	case TypeNumber:
		switch v.(type) {
		case int, int32, int64, uint, uint32, uint64, float32, float64:
			return true
		}
		return false
	case TypeObject:
		_, ok := v.(map[string]any)
		return ok
	case TypeArray:
		switch v.(type) {
		case []any, []string:
			return true
		}
		return false
	}
	return false
}

// ReservedPrefixes are the first name segments a custom event may not use.
var ReservedPrefixes = []string{"task", "step", "workflow", "observability", "test"}

// ValidateCustomName applies Tasker's rules for custom event names — a dot, no reserved prefix — and
// ours: lowercase segments of letters, digits, '_' or '-', none empty, at most 255 characters, so a
// name is always a valid broker subject.
func ValidateCustomName(name string) error {
	if name == "" {
		return fmt.Errorf("custom event name is empty")
	}
	if !strings.Contains(name, ".") {
		return fmt.Errorf("custom event name %q must contain a dot (e.g. \"payments.card_declined\")", name)
	}
	if len(name) > 255 {
		return fmt.Errorf("custom event name %q is longer than 255 characters", name)
	}
	first, _, _ := strings.Cut(name, ".")
	for _, p := range ReservedPrefixes {
		if strings.EqualFold(first, p) {
			return fmt.Errorf("custom event name %q uses the reserved prefix %q (reserved: %s)", name, p, strings.Join(ReservedPrefixes, ", "))
		}
	}
	for i, seg := range strings.Split(name, ".") {
		if err := validSegment(seg); err != nil {
			return fmt.Errorf("custom event name %q: segment %d: %w", name, i+1, err)
		}
	}
	return nil
}

func validSegment(seg string) error {
	if seg == "" {
		return fmt.Errorf("empty segment")
	}
	for _, r := range seg {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			return fmt.Errorf("character %q not allowed (use a-z, 0-9, '_', '-')", r)
		}
	}
	return nil
}
