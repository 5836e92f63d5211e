package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/template"
)

// Names of the orchestration worker's local activities.
const (
	ResolveTemplateName = "tasker.resolve_template"
	RecordName          = "tasker.record"
)

// Application error types the orchestration activities fail with; none is retryable.
const (
	ErrorTypeTemplateNotFound = "TemplateNotFound"
	ErrorTypeInvalidRequest   = "InvalidTaskRequest"
)

// Templates finds a template by namespace, name and version ("" = latest). *template.Registry
// implements it.
type Templates = template.Templates

// Mirror writes a task and its transitions somewhere durable: the Rails schema (compat) in
// production. Implementations must be idempotent per (workflow ID, Seq).
type Mirror interface {
	// CreateTask creates (or, for the same workflowID, finds) the task and returns its id.
	CreateTask(ctx context.Context, tmpl *template.Template, req tasker.TaskRequest, workflowID string) (int64, error)
	// WriteTransitions applies the task's transitions in Seq order, skipping any already applied,
	// and returns the highest Seq applied.
	WriteTransitions(ctx context.Context, taskID int64, ts []tasker.Transition) (int64, error)
}

// Publisher receives every recorded transition, to publish lifecycle events. It must not block.
type Publisher interface {
	PublishTransitions(ctx context.Context, task TaskMeta, ts []tasker.Transition) error
}

// TaskMeta identifies a task for event payloads.
type TaskMeta = tasker.TaskMeta

// Orchestration holds the orchestration worker's local activities. Mirror and Publisher are
// optional: nil turns that side off.
type Orchestration struct {
	Templates Templates
	Mirror    Mirror
	Publisher Publisher
	Settings  Settings
	Logger    *zap.Logger
}

// Settings are the workflow's knobs. They are fixed when a task starts (they come from the worker
// through ResolveTemplate, so they are in history) and carried across continue-as-new.
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
}

// DefaultSettings are the settings of a worker that configures none.
func DefaultSettings() Settings {
	return Settings{
		MaxInFlight:         500,
		Hold:                7 * 24 * time.Hour,
		HistoryLimit:        10_000,
		DefaultStartToClose: 5 * time.Minute,
		DetailsRowLimit:     100,
	}
}

// WithDefaults fills every unset knob with its default.
func (s Settings) WithDefaults() Settings {
	d := DefaultSettings()
	if s.MaxInFlight <= 0 {
		s.MaxInFlight = d.MaxInFlight
	}
	s.MaxInFlight = min(s.MaxInFlight, 1_900)
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

// ResolvedTask is what the workflow needs to start walking a task.
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

// ResolveTemplate finds the request's template and validates the request against it: the context
// against the template's schema, bypass_steps against its steps. Errors are non-retryable and name
// what is wrong.
func (o *Orchestration) ResolveTemplate(ctx context.Context, req tasker.TaskRequest) (ResolvedTask, error) {
	tmpl, err := ResolveRequest(o.Templates, req)
	if err != nil {
		return ResolvedTask{}, err
	}
	packed, err := template.Pack(tmpl)
	if err != nil {
		return ResolvedTask{}, err
	}
	return ResolvedTask{Packed: packed, Record: o.Mirror != nil || o.Publisher != nil, Settings: o.Settings.WithDefaults()}, nil
}

// ResolveRequest looks the request's template up and validates it (template.ResolveRequest),
// and reports a refusal as a non-retryable Temporal application error of type
// ErrorTypeTemplateNotFound or ErrorTypeInvalidRequest.
func ResolveRequest(templates Templates, req tasker.TaskRequest) (*template.Template, error) {
	tmpl, err := template.ResolveRequest(templates, req)
	var nf *template.NotFoundError
	switch {
	case err == nil:
		return tmpl, nil
	case errors.As(err, &nf):
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrorTypeTemplateNotFound, err)
	default:
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrorTypeInvalidRequest, err)
	}
}

// RecordRequest asks the recorder to mirror a task's transitions; Create is set until the task has
// a TaskID.
type RecordRequest struct {
	Task        TaskMeta            `json:"task"`
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

// ErrMirrorOff is returned when Record is asked to create a task but no mirror is configured.
var ErrMirrorOff = errors.New("mirror is off")

// Record mirrors transitions (creating the task first when asked) and publishes them. A mirror
// failure is returned so the workflow keeps the transitions and tries again later; a publisher
// failure is logged and never fails the task.
func (o *Orchestration) Record(ctx context.Context, req RecordRequest) (RecordResult, error) {
	res := RecordResult{TaskID: req.Task.TaskID}
	if o.Mirror != nil {
		if req.Create != nil && res.TaskID == 0 {
			id, err := o.Mirror.CreateTask(ctx, req.Create.Template, req.Create.Request, req.Task.WorkflowID)
			if err != nil {
				return res, fmt.Errorf("mirror: create task %s: %w", req.Task.WorkflowID, err)
			}
			res.TaskID = id
		}
		if len(req.Transitions) > 0 {
			applied, err := o.Mirror.WriteTransitions(ctx, res.TaskID, req.Transitions)
			if err != nil {
				return res, fmt.Errorf("mirror: task %d (%s): write %d transitions: %w", res.TaskID, req.Task.WorkflowID, len(req.Transitions), err)
			}
			res.AppliedSeq = applied
		}
	} else if n := len(req.Transitions); n > 0 {
		res.AppliedSeq = req.Transitions[n-1].Seq
	}
	if o.Publisher != nil && len(req.Transitions) > 0 {
		meta := req.Task
		meta.TaskID = res.TaskID
		if err := o.Publisher.PublishTransitions(ctx, meta, req.Transitions); err != nil {
			o.logger().Warn("publish lifecycle events", zap.String("workflow_id", meta.WorkflowID), zap.Error(err))
		}
	}
	return res, nil
}

func (o *Orchestration) logger() *zap.Logger {
	if o.Logger == nil {
		return zap.NewNop()
	}
	return o.Logger
}
