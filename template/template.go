// Package template loads Tasker task templates (the tasker-core TaskTemplate YAML and the Rails
// engine YAML) into one normalised Template, validates them, validates a task's context against a
// template's input schema, and keeps a registry of templates by namespace, name and version.
//
// It owns parsing and validation only. It must not import Temporal or touch the network or a
// database; it reads template files from disk and nothing else.
package template

import (
	"encoding/json"
	"time"
)

// Backoff strategies between attempts of a step.
const (
	BackoffNone        = "none"
	BackoffLinear      = "linear"
	BackoffExponential = "exponential"
	BackoffFibonacci   = "fibonacci"
)

// Defaults from Tasker (TASKER-REFERENCE §6).
const (
	DefaultMaxAttempts = 3
	DefaultBackoffBase = time.Second
	DefaultMaxBackoff  = 30 * time.Second
	DefaultVersion     = "0.1.0"
	// DefaultDependentSystem is the dependent system of a step when the template names none.
	DefaultDependentSystem = "default"
)

// Template is one task template, normalised from either YAML format. It round-trips through JSON
// exactly: the workflow carries it in its history.
type Template struct {
	Name        string `json:"name"`
	Namespace   string `json:"namespace"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
	// TaskHandlerClass is the Rails task handler class, when the template came from the Rails format.
	TaskHandlerClass string `json:"task_handler_class,omitempty"`
	// InputSchema is the JSON Schema the task context must satisfy (input_schema or schema).
	InputSchema            json.RawMessage `json:"input_schema,omitempty"`
	DefaultDependentSystem string          `json:"default_dependent_system,omitempty"`
	Temporal               TaskTemporal    `json:"temporal,omitempty"`
	Steps                  []Step          `json:"steps"`
	// Source is the file the template was loaded from (for error messages); empty when built in code.
	Source string `json:"source,omitempty"`
}

// TaskTemporal holds our task-level `temporal:` extension keys.
type TaskTemporal struct {
	TaskQueue string `json:"task_queue,omitempty"`
}

// Step is one step template.
type Step struct {
	Name            string         `json:"name"`
	Description     string         `json:"description,omitempty"`
	Callable        string         `json:"callable"`
	Initialization  map[string]any `json:"initialization,omitempty"`
	Dependencies    []string       `json:"dependencies,omitempty"`
	Retry           Retry          `json:"retry"`
	Timeout         time.Duration  `json:"timeout,omitempty"` // timeout_seconds; 0 = none set
	Skippable       bool           `json:"skippable,omitempty"`
	DependentSystem string         `json:"dependent_system,omitempty"`
	Temporal        StepTemporal   `json:"temporal,omitempty"`
	// Type is the tasker-core step type (TypeDecision, …); empty for standard. See dynamic.go.
	Type        string         `json:"type,omitempty"`
	BatchConfig *BatchConfig   `json:"batch_config,omitempty"`
	Lifecycle   map[string]any `json:"lifecycle,omitempty"`
}

// Retry is a step's retry policy. MaxAttempts counts every attempt including the first.
type Retry struct {
	Retryable   bool          `json:"retryable"`
	MaxAttempts int           `json:"max_attempts"`
	Backoff     string        `json:"backoff"`
	BackoffBase time.Duration `json:"backoff_base"`
	MaxBackoff  time.Duration `json:"max_backoff"`
}

// StepTemporal holds our step-level `temporal:` extension keys.
type StepTemporal struct {
	TaskQueue    string        `json:"task_queue,omitempty"`
	StartToClose time.Duration `json:"start_to_close,omitempty"`
	Heartbeat    time.Duration `json:"heartbeat,omitempty"`
	// Local runs the step as a local activity in the orchestration worker: no task-queue round
	// trip per attempt (see docs/workflow.md, "Fast steps", for what it trades).
	Local bool `json:"local,omitempty"`
}

// Key identifies a template in a registry: namespace/name@version.
func (t *Template) Key() string { return t.Namespace + "/" + t.Name + "@" + t.Version }
