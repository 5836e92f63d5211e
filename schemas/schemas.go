// Package schemas embeds the JSON Schemas of the step-handler contract (docs/handlers.md): the
// StepRequest a handler receives, the StepResult it returns and the details of a RetryableError.
// Handlers in any language can validate against the .json files; Go code validates with Validate.
//
// It owns the schema files and their compilation only. It must not import Temporal or do I/O
// beyond reading its embedded files.
package schemas

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tasker-systems/tasker-temporal/internal/schemaerr"
)

// Schema file names, also their names within this package.
const (
	StepRequest      = "step-request.schema.json"
	StepResult       = "step-result.schema.json"
	StepErrorDetails = "step-error-details.schema.json"
	// The dynamic-step contract: outcomes embedded in results, a batch worker's inputs, checkpoints.
	DecisionOutcome   = "decision-outcome.schema.json"
	BatchOutcome      = "batch-outcome.schema.json"
	BatchWorkerInputs = "batch-worker-inputs.schema.json"
	Checkpoint        = "checkpoint.schema.json"
	baseURL           = "https://github.com/tasker-systems/tasker-temporal/schemas/"
)

//go:embed *.schema.json
var files embed.FS

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema
	compileErr  error
)

// Names lists the embedded schema files, sorted.
func Names() []string {
	return []string{BatchOutcome, BatchWorkerInputs, Checkpoint, DecisionOutcome, StepErrorDetails, StepRequest, StepResult}
}

// Raw returns the text of the named schema file.
func Raw(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return b, nil
}

func compileAll() (map[string]*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		c := jsonschema.NewCompiler()
		for _, name := range Names() {
			raw, err := Raw(name)
			if err != nil {
				compileErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				compileErr = fmt.Errorf("schema %s: not JSON: %w", name, err)
				return
			}
			if err := c.AddResource(baseURL+name, doc); err != nil {
				compileErr = fmt.Errorf("schema %s: %w", name, err)
				return
			}
		}
		out := map[string]*jsonschema.Schema{}
		for _, name := range Names() {
			s, err := c.Compile(baseURL + name)
			if err != nil {
				compileErr = fmt.Errorf("compile schema %s: %w", name, err)
				return
			}
			out[name] = s
		}
		compiled = out
	})
	return compiled, compileErr
}

// Validate checks a JSON document against the named schema. The error lists every failing
// location, e.g. `does not match step-result.schema.json: (root): additional properties
// 'result' not allowed`.
func Validate(name string, doc []byte) error {
	all, err := compileAll()
	if err != nil {
		return err
	}
	s, ok := all[name]
	if !ok {
		return fmt.Errorf("unknown schema %q (have %s)", name, strings.Join(Names(), ", "))
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	err = s.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("validate against %s: %w", name, err)
	}
	return &Error{Schema: name, Problems: schemaerr.Problems(ve)}
}

// Error is a document that does not match a schema.
type Error struct {
	Schema   string
	Problems []Problem // sorted by location
}

// Problem is one failing location of a document: a JSON pointer and what is wrong there.
type Problem = schemaerr.Problem

func (e *Error) Error() string {
	return fmt.Sprintf("does not match %s: %s", e.Schema, schemaerr.Join(e.Problems))
}
