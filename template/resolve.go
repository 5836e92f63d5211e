package template

import (
	"errors"
	"fmt"

	tasker "github.com/tasker-systems/tasker-temporal"
)

// Templates finds a template by namespace, name and version ("" = the latest). *Registry
// implements it; a service may pass its own (a database-backed store, say).
type Templates interface {
	Get(namespace, name, version string) (*Template, error)
}

// NotFoundError reports that a task request names no template the registry holds. It wraps the
// registry's error (ErrNotFound for a *Registry).
type NotFoundError struct {
	Namespace, Name, Version string
	Err                      error
}

func (e *NotFoundError) Error() string { return e.Err.Error() }
func (e *NotFoundError) Unwrap() error { return e.Err }

// InvalidRequestError reports a task request its template refuses: a missing namespace or name,
// a context that fails the input schema, an unknown bypass step. Field names the request field
// ("namespace", "context", "bypass_steps").
type InvalidRequestError struct {
	// Template is the template's key; for a request refused before its template is looked up
	// (its own limits, tasker.TaskRequest.Validate) the request's namespace/name, with no Field.
	Template string
	Field    string
	Err      error
}

func (e *InvalidRequestError) Error() string {
	switch {
	case e.Template == "":
		return fmt.Sprintf("task request: %v", e.Err)
	case e.Field == "":
		return fmt.Sprintf("task request %s: %v", e.Template, e.Err)
	}
	return fmt.Sprintf("task %s: %s: %v", e.Template, e.Field, e.Err)
}
func (e *InvalidRequestError) Unwrap() error { return e.Err }

// errNoRegistry is the NotFoundError cause when no registry is configured.
var errNoRegistry = errors.New("no template registry configured")

// ResolveRequest looks the request's template up and validates the request against it: the
// context against the template's input schema, bypass_steps against its steps. It returns a
// *NotFoundError or an *InvalidRequestError, so a client (before it starts a workflow) and the
// worker (inside the task) refuse a request the same way.
func ResolveRequest(templates Templates, req tasker.TaskRequest) (*Template, error) {
	if templates == nil {
		return nil, &NotFoundError{Namespace: req.Namespace, Name: req.Name, Version: req.Version, Err: errNoRegistry}
	}
	if err := req.Validate(); err != nil {
		return nil, &InvalidRequestError{Template: req.Namespace + "/" + req.Name, Err: err}
	}
	if req.Namespace == "" || req.Name == "" {
		return nil, &InvalidRequestError{Field: "namespace", Err: fmt.Errorf("namespace and name are required (got %q/%q)", req.Namespace, req.Name)}
	}
	tmpl, err := templates.Get(req.Namespace, req.Name, req.Version)
	if err != nil {
		return nil, &NotFoundError{Namespace: req.Namespace, Name: req.Name, Version: req.Version, Err: err}
	}
	if err := tmpl.ValidateContext(req.Context); err != nil {
		return nil, &InvalidRequestError{Template: tmpl.Key(), Field: "context", Err: err}
	}
	if err := tmpl.ValidateBypass(req.BypassSteps); err != nil {
		return nil, &InvalidRequestError{Template: tmpl.Key(), Field: "bypass_steps", Err: err}
	}
	return tmpl, nil
}
