package client

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/workflows"
)

// ErrTaskNotFound is the error (wrapped, with the workflow ID) of every call on a workflow ID that
// no task has: errors.Is(err, client.ErrTaskNotFound).
var ErrTaskNotFound = errors.New("task not found")

// ErrStepNotFound is wrapped by a retry or resolve that names a step the task does not have.
var ErrStepNotFound = errors.New("step not found")

// ErrTaskClosed matches every *TaskClosedError: errors.Is(err, client.ErrTaskClosed).
var ErrTaskClosed = errors.New("task is closed")

// TemplateNotFoundError is returned by StartTask when no template matches the request's
// namespace, name and version.
type TemplateNotFoundError struct {
	Namespace, Name, Version string
	Err                      error
}

func (e *TemplateNotFoundError) Error() string {
	key := e.Namespace + "/" + e.Name
	if e.Version != "" {
		key += "@" + e.Version
	}
	if e.Err == nil {
		return "template " + key + " not found"
	}
	return fmt.Sprintf("template %s not found: %v", key, e.Err)
}

func (e *TemplateNotFoundError) Unwrap() error { return e.Err }

// InvalidRequestError is returned by StartTask when the request does not fit its template: a
// missing namespace or name, a context that fails the template's schema, an unknown bypass step.
// Field is the request field at fault, as spelled in JSON ("namespace", "name", "context",
// "bypass_steps").
type InvalidRequestError struct {
	Field string
	Err   error
}

func (e *InvalidRequestError) Error() string {
	return fmt.Sprintf("invalid task request: %s: %v", e.Field, e.Err)
}

func (e *InvalidRequestError) Unwrap() error { return e.Err }

// TaskClosedError is returned by RetryStep, ResolveStep and CancelTask on a task that has already
// ended (or is being cancelled). State is the task's state: complete, error (failed) or cancelled.
type TaskClosedError struct {
	WorkflowID string
	State      string
}

func (e *TaskClosedError) Error() string {
	return fmt.Sprintf("task %s is closed: it is %s", e.WorkflowID, e.State)
}

// Is makes errors.Is(err, ErrTaskClosed) true.
func (e *TaskClosedError) Is(target error) bool { return target == ErrTaskClosed }

// RejectedError is returned when the task refused an operation because of the state it or the
// step is in, e.g. a retry of a step that is not in error. Message is the task's reason.
type RejectedError struct {
	WorkflowID string
	Op         string
	Message    string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("task %s: %s refused: %s", e.WorkflowID, e.Op, e.Message)
}

// InvalidCursorError is returned by ListPage for a cursor that no page returned.
type InvalidCursorError struct {
	Cursor string
	Err    error
}

func (e *InvalidCursorError) Error() string {
	return fmt.Sprintf("list tasks: cursor %q is not a cursor a page returned: %v", e.Cursor, e.Err)
}

func (e *InvalidCursorError) Unwrap() error { return e.Err }

// taskNotFound wraps ErrTaskNotFound with the workflow ID, keeping the message the CLI has
// always printed.
func taskNotFound(workflowID string) error {
	return fmt.Errorf("no task with workflow ID %q: %w", workflowID, ErrTaskNotFound)
}

// isNotFound reports whether err is Temporal's NotFound.
func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

// resolveError turns a refused request into this package's types, whether the refusal is local
// (template.ResolveRequest with Options.Templates) or the worker's verdict on the start's update
// (an application error of the orchestration's types).
func resolveError(req tasker.TaskRequest, err error) error {
	var nf *template.NotFoundError
	if errors.As(err, &nf) {
		return &TemplateNotFoundError{Namespace: req.Namespace, Name: req.Name, Version: req.Version, Err: nf.Err}
	}
	var inv *template.InvalidRequestError
	if errors.As(err, &inv) {
		field := inv.Field
		if field == "" {
			field = invalidField(req, inv.Error())
		}
		return &InvalidRequestError{Field: field, Err: inv}
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return err
	}
	cause := errors.New(appErr.Message())
	switch appErr.Type() {
	case workflows.ErrorTypeTemplateNotFound:
		return &TemplateNotFoundError{Namespace: req.Namespace, Name: req.Name, Version: req.Version, Err: cause}
	case workflows.ErrorTypeInvalidRequest:
		return &InvalidRequestError{Field: invalidField(req, appErr.Message()), Err: cause}
	}
	return cause
}

// invalidField names the request field an invalid-request message is about.
func invalidField(req tasker.TaskRequest, msg string) string {
	switch {
	case req.Namespace == "":
		return "namespace"
	case req.Name == "":
		return "name"
	case strings.Contains(msg, ": bypass_steps: "):
		return "bypass_steps"
	}
	return "context"
}

// updateError turns a refused update into this package's types: an unknown step, a closed task, or
// a state the operation does not apply to.
func updateError(workflowID, op string, err error) error {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return fmt.Errorf("task %s: %s: %w", workflowID, op, err)
	}
	msg := appErr.Message()
	switch {
	case strings.HasPrefix(msg, "unknown step"):
		return fmt.Errorf("task %s: %s: %s: %w", workflowID, op, msg, ErrStepNotFound)
	case closedState(msg) != "":
		return &TaskClosedError{WorkflowID: workflowID, State: closedState(msg)}
	}
	return &RejectedError{WorkflowID: workflowID, Op: op, Message: msg}
}

// closedRefusal is the workflow's refusal of an operation on a task that is closed or being
// cancelled: "task <key> is <state>".
var closedRefusal = regexp.MustCompile(`^task \S+ is ([a-z_]+)$`)

// closedState reads the state out of a closed-task refusal; a task that is still open in it is
// being cancelled.
func closedState(msg string) string {
	m := closedRefusal.FindStringSubmatch(msg)
	switch {
	case m == nil:
		return ""
	case m[1] == tasker.StateComplete || m[1] == tasker.StateError || m[1] == tasker.StateCancelled:
		return m[1]
	}
	return tasker.StateCancelled
}
