package workflows

import (
	"errors"
	"time"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/template"
)

// The workflow's contract with its orchestration activities (the worker package implements them):
// their names, their request and result types, and the settings the worker hands the workflow.
// Recorded histories hold these JSON shapes: add fields, never rename or drop one.

// Names of the orchestration activities, run as local activities of TaskerTask.
const (
	ResolveTemplateName = "tasker.resolve_template"
	RecordName          = "tasker.record"
)

// Application error types the orchestration fails a task with; none is retryable.
const (
	ErrorTypeTemplateNotFound = "TemplateNotFound"
	ErrorTypeInvalidRequest   = "InvalidTaskRequest"
)

// Settings are the workflow's knobs. They are fixed when a task starts (they come from the worker
// through ResolveTemplate, so they are in history) and carried across continue-as-new. A zero
// field takes its default (DefaultSettings).
type Settings struct {
	// MaxInFlight caps steps running at once (Temporal refuses more than 2,000 pending activities).
	MaxInFlight int `json:"max_in_flight"`
	// Hold is how long a task in error waits for an operator before it closes as failed.
	Hold time.Duration `json:"hold"`
	// HistoryLimit continues-as-new once history holds this many events (or the server suggests it).
	HistoryLimit int `json:"history_limit"`
	// DefaultStartToClose bounds one attempt of a step that sets no timeout.
	DefaultStartToClose time.Duration `json:"default_start_to_close"`
	// DetailsRowLimit is the largest DAG shown as a full table in the UI's current details.
	DetailsRowLimit int `json:"details_row_limit"`
	// Heartbeats is the heartbeat timeout of the task's steps that set none, by callable: the
	// worker fills it, per task, for the callables its Go handlers serve (they heartbeat on their
	// own), so a dead worker's attempt fails within it instead of at start-to-close.
	Heartbeats map[string]time.Duration `json:"heartbeats,omitempty"`
}

// DefaultGoHeartbeat is the heartbeat timeout a worker gives the steps its Go handlers serve.
const DefaultGoHeartbeat = 30 * time.Second

// MaxInFlightCap is the largest MaxInFlight takes, below Temporal's 2,000 pending activities.
const MaxInFlightCap = 1_900

// DefaultSettings are the settings of a worker that configures none: 500 steps in flight, a hold
// of 7 days, continue-as-new at 10,000 events, 5 minutes per attempt, a 100-row DAG table.
func DefaultSettings() Settings {
	return Settings{
		MaxInFlight:         500,
		Hold:                7 * 24 * time.Hour,
		HistoryLimit:        10_000,
		DefaultStartToClose: 5 * time.Minute,
		DetailsRowLimit:     100,
	}
}

// WithDefaults fills every unset knob with its default and caps MaxInFlight at MaxInFlightCap.
func (s Settings) WithDefaults() Settings {
	d := DefaultSettings()
	if s.MaxInFlight <= 0 {
		s.MaxInFlight = d.MaxInFlight
	}
	s.MaxInFlight = min(s.MaxInFlight, MaxInFlightCap)
	if s.Hold <= 0 {
		s.Hold = d.Hold
	}
	if s.HistoryLimit <= 0 {
		s.HistoryLimit = d.HistoryLimit
	}
	if s.DefaultStartToClose <= 0 {
		s.DefaultStartToClose = d.DefaultStartToClose
	}
	if s.DetailsRowLimit <= 0 {
		s.DetailsRowLimit = d.DetailsRowLimit
	}
	return s
}

// ResolvedTask is what the workflow needs to start walking a task: ResolveTemplate's result.
type ResolvedTask struct {
	// Packed is the template, packed (template.Pack) to stay well under Temporal's payload limits.
	Packed []byte `json:"packed,omitempty"`
	// Template is the unpacked template, as workers before Packed sent it (kept for replay).
	Template *template.Template `json:"template,omitempty"`
	// Record is true when transitions must be sent to the Record activity (a mirror or a
	// publisher is configured).
	Record bool `json:"record"`
	// Settings are the worker's workflow settings, fixed for the task's life.
	Settings Settings `json:"settings"`
}

// Unpack returns the resolved template, packed or not.
func (r ResolvedTask) Unpack() (*template.Template, error) {
	if len(r.Packed) > 0 {
		return template.Unpack(r.Packed)
	}
	if r.Template == nil {
		return nil, errors.New("resolve template: no template returned")
	}
	return r.Template, nil
}

// RecordRequest asks the recorder to mirror a task's transitions; Create is set until the task has
// a TaskID.
type RecordRequest struct {
	Task        tasker.TaskMeta     `json:"task"`
	Create      *CreateTask         `json:"create,omitempty"`
	Transitions []tasker.Transition `json:"transitions"`
}

// CreateTask carries what the mirror needs to create the task rows.
type CreateTask struct {
	Template *template.Template `json:"template"`
	Request  tasker.TaskRequest `json:"request"`
}

// RecordResult reports what the recorder applied.
type RecordResult struct {
	TaskID     int64 `json:"task_id"`
	AppliedSeq int64 `json:"applied_seq"`
}
