package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/workflows"
)

// Mirror writes a task and its transitions somewhere durable: the Rails schema (compat.Mirror) in
// production. Implementations must be idempotent per (workflow ID, Seq).
type Mirror interface {
	// CreateTask creates (or, for the same workflowID, finds) the task and returns its id.
	CreateTask(ctx context.Context, tmpl *template.Template, req tasker.TaskRequest, workflowID string) (int64, error)
	// WriteTransitions applies the task's transitions in Seq order, skipping any already applied,
	// and returns the highest Seq applied.
	WriteTransitions(ctx context.Context, taskID int64, ts []tasker.Transition) (int64, error)
}

// Publisher receives every recorded transition, to publish lifecycle events (*events.Publisher).
// It must not block.
type Publisher interface {
	PublishTransitions(ctx context.Context, task tasker.TaskMeta, ts []tasker.Transition) error
}

// Orchestration holds the TaskerTask workflow's orchestration activities (template resolution and
// the recorder). New builds one from a Config; tests that run the workflow in Temporal's test
// environment register one with RegisterOrchestration. Mirror and Publisher are optional: nil
// turns that side off.
type Orchestration struct {
	Templates template.Templates
	Mirror    Mirror
	Publisher Publisher
	Settings  workflows.Settings
	Logger    *zap.Logger
	// Handlers are the Go handlers this process serves: their steps get a heartbeat timeout
	// (workflows.DefaultGoHeartbeat) when they set none. Optional.
	Handlers *activities.Registry
}

// RegisterOrchestration registers the TaskerTask workflow and its orchestration activities.
func RegisterOrchestration(r sdkworker.Registry, o *Orchestration) {
	r.RegisterWorkflowWithOptions(workflows.TaskWorkflow, workflow.RegisterOptions{Name: tasker.WorkflowType})
	r.RegisterActivityWithOptions(o.ResolveTemplate, activity.RegisterOptions{Name: workflows.ResolveTemplateName})
	r.RegisterActivityWithOptions(o.Record, activity.RegisterOptions{Name: workflows.RecordName})
}

// ResolveTemplate finds the request's template and validates the request against it
// (template.ResolveRequest). A refusal is a non-retryable application error of type
// workflows.ErrorTypeTemplateNotFound or workflows.ErrorTypeInvalidRequest, naming what is wrong.
func (o *Orchestration) ResolveTemplate(_ context.Context, req tasker.TaskRequest) (workflows.ResolvedTask, error) {
	tmpl, err := template.ResolveRequest(o.Templates, req)
	if err != nil {
		return workflows.ResolvedTask{}, refusal(err)
	}
	packed, err := template.Pack(tmpl)
	if err != nil {
		return workflows.ResolvedTask{}, err
	}
	return workflows.ResolvedTask{Packed: packed, Record: o.Mirror != nil || o.Publisher != nil, Settings: o.settingsFor(tmpl)}, nil
}

// settingsFor is the worker's settings for one task: with the heartbeat timeout of the template's
// steps that a Go handler of this process serves (Go handlers heartbeat automatically), unless
// the step sets its own or runs as a local activity.
func (o *Orchestration) settingsFor(tmpl *template.Template) workflows.Settings {
	s := o.Settings.WithDefaults()
	if o.Handlers == nil {
		return s
	}
	for i := range tmpl.Steps {
		st := &tmpl.Steps[i]
		if st.Temporal.Heartbeat > 0 || st.Temporal.Local {
			continue
		}
		if _, ok := o.Handlers.Lookup(st.Callable); !ok {
			continue
		}
		if s.Heartbeats == nil {
			s.Heartbeats = map[string]time.Duration{}
		}
		s.Heartbeats[st.Callable] = workflows.DefaultGoHeartbeat
	}
	return s
}

// refusal reports a template.ResolveRequest error in the workflow's terms.
func refusal(err error) error {
	typ := workflows.ErrorTypeInvalidRequest
	var nf *template.NotFoundError
	if errors.As(err, &nf) {
		typ = workflows.ErrorTypeTemplateNotFound
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), typ, err)
}

// Record mirrors transitions (creating the task first when asked) and publishes them. A mirror
// failure is returned so the workflow keeps the transitions and tries again later; a publisher
// failure is logged and never fails the task.
func (o *Orchestration) Record(ctx context.Context, req workflows.RecordRequest) (workflows.RecordResult, error) {
	res := workflows.RecordResult{TaskID: req.Task.TaskID}
	if o.Mirror != nil {
		if err := o.mirror(ctx, req, &res); err != nil {
			return res, err
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

func (o *Orchestration) mirror(ctx context.Context, req workflows.RecordRequest, res *workflows.RecordResult) error {
	if req.Create != nil && res.TaskID == 0 {
		id, err := o.Mirror.CreateTask(ctx, req.Create.Template, req.Create.Request, req.Task.WorkflowID)
		if err != nil {
			return fmt.Errorf("mirror: create task %s: %w", req.Task.WorkflowID, err)
		}
		res.TaskID = id
	}
	if len(req.Transitions) == 0 {
		return nil
	}
	applied, err := o.Mirror.WriteTransitions(ctx, res.TaskID, req.Transitions)
	if err != nil {
		return fmt.Errorf("mirror: task %d (%s): write %d transitions: %w", res.TaskID, req.Task.WorkflowID, len(req.Transitions), err)
	}
	res.AppliedSeq = applied
	return nil
}

func (o *Orchestration) logger() *zap.Logger {
	if o.Logger == nil {
		return zap.NewNop()
	}
	return o.Logger
}
