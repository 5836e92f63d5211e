// Package tasker holds the wire contract shared by every part of Tasker on Temporal: the request
// that starts a task, the JSON a step handler receives and returns in any language, the transition
// rows the workflow emits, and the names of the workflow, queues and search attributes.
//
// It owns types and constants, and the shape checks of the outcomes handlers embed in their
// results (outcome.go). It must not import Temporal, PostgreSQL or any other I/O, so
// that every other package (and a user's own code) can depend on it cheaply.
package tasker

import (
	"encoding/json"
	"time"
)

// Names fixed by the design (DESIGN §4.2).
const (
	// WorkflowType is the Temporal workflow type of every Tasker task.
	WorkflowType = "TaskerTask"
	// OrchestrationTaskQueue is the default task queue of the orchestration worker.
	OrchestrationTaskQueue = "tasker-orchestration"
	// DefaultNamespace is the Temporal namespace used when none is configured.
	DefaultNamespace = "default"
)

// Search attributes the workflow upserts; the worker registers them on start-up.
const (
	SearchAttrNamespace = "TaskerNamespace"
	SearchAttrTaskName  = "TaskerTaskName"
	SearchAttrVersion   = "TaskerVersion"
	SearchAttrStatus    = "TaskerStatus"
	SearchAttrTaskID    = "TaskerTaskID"
)

// State names shared by tasks and steps (TASKER-REFERENCE §2).
const (
	StatePending          = "pending"
	StateInProgress       = "in_progress"
	StateComplete         = "complete"
	StateError            = "error"
	StateCancelled        = "cancelled"
	StateResolvedManually = "resolved_manually"
)

// DefaultStepTaskQueue is the task queue of a step whose template names none: tasker-<namespace>.
func DefaultStepTaskQueue(namespace string) string { return "tasker-" + namespace }

// TaskRequest asks for one run of a template. It is the input of the TaskerTask workflow and is
// plain JSON, so a client in any language can start a task.
type TaskRequest struct {
	Namespace    string          `json:"namespace"`
	Name         string          `json:"name"`
	Version      string          `json:"version,omitempty"` // empty = the latest registered version
	Context      json.RawMessage `json:"context,omitempty"`
	Initiator    string          `json:"initiator,omitempty"`
	SourceSystem string          `json:"source_system,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Tags         []string        `json:"tags,omitempty"`
	BypassSteps  []string        `json:"bypass_steps,omitempty"`
	RequestedAt  time.Time       `json:"requested_at"`
	// TaskID adopts a task a Rails app already created (its tasker_tasks.task_id).
	TaskID int64 `json:"task_id,omitempty"`
}

// StepRequest is the input of every step activity, whatever language serves it (DESIGN §4.3).
type StepRequest struct {
	Task              TaskInfo                   `json:"task"`
	Step              StepInfo                   `json:"step"`
	DependencyResults map[string]json.RawMessage `json:"dependency_results"`
}

// TaskInfo describes the task a step belongs to.
type TaskInfo struct {
	ID         int64           `json:"id,omitempty"` // the Rails task_id when mirrored
	Namespace  string          `json:"namespace"`
	Name       string          `json:"name"`
	Version    string          `json:"version"`
	Context    json.RawMessage `json:"context,omitempty"`
	WorkflowID string          `json:"workflow_id"`
	RunID      string          `json:"run_id"`
}

// StepInfo describes the step being run.
type StepInfo struct {
	Name           string         `json:"name"`
	Attempt        int            `json:"attempt"`
	MaxAttempts    int            `json:"max_attempts"`
	Initialization map[string]any `json:"initialization,omitempty"`
	// Inputs is the step's instance data: a batch worker's BatchWorkerInputs (outcome.go).
	Inputs json.RawMessage `json:"inputs,omitempty"`
	// Checkpoint is the last checkpoint the step yielded, when it has one (outcome.go).
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
}

// StepResult is what a step handler returns.
type StepResult struct {
	Results  json.RawMessage `json:"results,omitempty"`
	Metadata map[string]any  `json:"metadata,omitempty"`
	// CheckpointYield, when set, means "not done yet": the workflow records the checkpoint and runs
	// the step again at once with it (results and metadata are ignored). See Checkpoint.
	CheckpointYield *Checkpoint `json:"checkpoint_yield,omitempty"`
}

// Error types a handler in any language raises as a Temporal application error type.
const (
	ErrorTypePermanent    = "PermanentError"
	ErrorTypeNonRetryable = "non_retryable"
	ErrorTypeRetryable    = "RetryableError"
)

// Entity kinds of a Transition.
const (
	EntityTask = "task"
	EntityStep = "step"
)

// Transition is one state change of a task or of one of its steps, as the workflow made it. The
// recorder mirrors transitions into the Rails schema and publishes them as lifecycle events.
type Transition struct {
	WorkflowID string `json:"workflow_id"`
	// Seq numbers a task's transitions from 1 in the order the workflow made them; (WorkflowID, Seq)
	// identifies a transition, so a retried or replayed write is recognised and skipped.
	Seq      int64          `json:"seq"`
	Entity   string         `json:"entity"`         // EntityTask or EntityStep
	Step     string         `json:"step,omitempty"` // step name when Entity is EntityStep
	From     string         `json:"from,omitempty"` // empty for the first transition
	To       string         `json:"to"`
	At       time.Time      `json:"at"` // workflow.Now when it was made
	Metadata map[string]any `json:"metadata,omitempty"`
	// Attempt is the step's attempt number this transition belongs to (steps only, from 1).
	Attempt int `json:"attempt,omitempty"`
	// Results is the step handler's output on → complete (or the results supplied on →
	// resolved_manually), and {error, error_class, backtrace} on → error.
	Results json.RawMessage `json:"results,omitempty"`
	// BackoffSeconds is the backoff the workflow will wait before the next attempt, on → error.
	BackoffSeconds int `json:"backoff_seconds,omitempty"`
}

// TaskMeta identifies a task for the recorder, the mirror and event payloads.
type TaskMeta struct {
	WorkflowID string `json:"workflow_id"`
	TaskID     int64  `json:"task_id,omitempty"` // the Rails task_id, once mirrored
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Version    string `json:"version"`
}

// TaskResult is the state of a task and each of its steps: the workflow's output, the answer of its
// `dag` query, and what `tasker status --json` prints.
type TaskResult struct {
	WorkflowID string       `json:"workflow_id"`
	RunID      string       `json:"run_id,omitempty"`
	TaskID     int64        `json:"task_id,omitempty"` // the Rails task_id, when mirrored
	Namespace  string       `json:"namespace"`
	Name       string       `json:"name"`
	Version    string       `json:"version"`
	Status     string       `json:"status"`
	Steps      []StepStatus `json:"steps"`
}

// StepStatus is one step's state within a TaskResult.
type StepStatus struct {
	Name        string          `json:"name"`
	Status      string          `json:"status"`
	Attempts    int             `json:"attempts"`
	MaxAttempts int             `json:"max_attempts"`
	Results     json.RawMessage `json:"results,omitempty"`
	LastError   string          `json:"last_error,omitempty"`
	// NextAttemptAt is when an errored step that will be retried becomes ready again.
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	// ResultsSize is len(Results) in bytes, kept when Results is left out (the dag query).
	ResultsSize int `json:"results_size,omitempty"`
}

// Step returns the named step's status, or false.
func (r *TaskResult) Step(name string) (StepStatus, bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return StepStatus{}, false
}
