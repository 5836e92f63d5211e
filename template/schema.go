package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tasker-systems/tasker-temporal/internal/schemaerr"
)

// compiled caches compiled input schemas by their JSON text: templates are few and long-lived,
// and the workflow's start path validates every request's context.
var compiled sync.Map // string → *jsonschema.Schema

const schemaURL = "tasker-template-input-schema.json"

func compileSchema(raw json.RawMessage) (*jsonschema.Schema, error) {
	key := string(raw)
	if s, ok := compiled.Load(key); ok {
		return s.(*jsonschema.Schema), nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		return nil, err
	}
	compiled.Store(key, s)
	return s, nil
}

// ValidateContext checks a task's context against the template's input schema (no schema: any
// JSON object passes). An empty context counts as {}. The error lists every failing location,
// e.g. `context does not match the input schema of orders/checkout@1.0.0: /customer/email: missing
// property; /items/0/quantity: must be >= 1`.
func (t *Template) ValidateContext(ctx json.RawMessage) error {
	if len(bytes.TrimSpace(ctx)) == 0 {
		ctx = json.RawMessage("{}")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(ctx))
	if err != nil {
		return fmt.Errorf("task context for %s is not valid JSON: %w", t.Key(), err)
	}
	if len(t.InputSchema) == 0 {
		return nil
	}
	s, err := compileSchema(t.InputSchema)
	if err != nil {
		return fmt.Errorf("template %s: invalid input_schema: %w", t.Key(), err)
	}
	err = s.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("validate task context for %s: %w", t.Key(), err)
	}
	return &ContextError{Template: t.Key(), Problems: schemaerr.Problems(ve)}
}

// ContextError is a task context that does not match its template's input schema.
type ContextError struct {
	Template string
	Problems []ContextProblem // sorted by location
}

// ContextProblem is one failing location of a document: a JSON pointer and what is wrong there.
type ContextProblem = schemaerr.Problem

func (e *ContextError) Error() string {
	return fmt.Sprintf("context does not match the input schema of %s: %s", e.Template, schemaerr.Join(e.Problems))
}
