package compat

import (
	"context"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/template"
)

// Mirror adapts a Store to the recorder's mirror (worker.Mirror): a request that names a Rails
// task_id adopts that task, any other creates (or, on a retry, finds) its own.
type Mirror struct{ Store *Store }

// CreateTask creates or adopts the task and returns its task_id.
func (m Mirror) CreateTask(ctx context.Context, tmpl *template.Template, req tasker.TaskRequest, workflowID string) (int64, error) {
	if req.TaskID != 0 {
		rec, err := m.Store.AdoptTask(ctx, req.TaskID)
		return rec.TaskID, err
	}
	rec, err := m.Store.CreateTask(ctx, tmpl, req, workflowID)
	return rec.TaskID, err
}

// WriteTransitions applies the task's transitions (see Store.WriteTransitions).
func (m Mirror) WriteTransitions(ctx context.Context, taskID int64, ts []tasker.Transition) (int64, error) {
	return m.Store.WriteTransitions(ctx, taskID, ts)
}
