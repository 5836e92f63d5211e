package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// UpdateStarted is the update a client sends with the start (Update-With-Start) to learn, in the
// same round trip, whether the worker took the task: it completes once the template is resolved
// and the request validated, or fails with the worker's reason (TemplateNotFound,
// InvalidTaskRequest). Later calls answer at once.
const UpdateStarted = "started"

// StartedTask is the answer to UpdateStarted.
type StartedTask struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Version is the template version the task runs: a request for the latest is pinned here.
	Version string `json:"version"`
}

// startGate answers UpdateStarted once the walker exists (or could not be made).
type startGate struct {
	done bool
	task StartedTask
	err  error
}

// register installs the handler. It must run before the workflow first blocks: the update
// arrives with the first workflow task.
func (g *startGate) register(ctx workflow.Context) error {
	return workflow.SetUpdateHandler(ctx, UpdateStarted, func(ctx workflow.Context) (StartedTask, error) {
		if err := workflow.Await(ctx, func() bool { return g.done }); err != nil {
			return StartedTask{}, err
		}
		return g.task, g.err
	})
}

// open releases the waiting updates with the walker's task, or with why it could not start: the
// application error itself (its type is the contract), not the local activity that carried it.
func (g *startGate) open(w *walker, err error) {
	g.done = true
	if err == nil {
		g.task = StartedTask{Namespace: w.tmpl.Namespace, Name: w.tmpl.Name, Version: w.tmpl.Version}
		return
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		err = appErr
	}
	g.err = err
}
