package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Default namespace of a template that names none (the Rails default, task_namespace_id 1).
const DefaultNamespace = "default"

// Raw YAML shapes both formats share. Pointers tell "absent" from "zero", for defaults and
// environment overrides.
type (
	rawHandler struct {
		Callable       string         `yaml:"callable"`
		Initialization map[string]any `yaml:"initialization"`
	}
	rawRetry struct {
		Retryable     *bool   `yaml:"retryable"`
		MaxAttempts   *int    `yaml:"max_attempts"`
		Limit         *int    `yaml:"limit"`
		Backoff       *string `yaml:"backoff"`
		BackoffBaseMs *int64  `yaml:"backoff_base_ms"`
		MaxBackoffMs  *int64  `yaml:"max_backoff_ms"`
	}
	rawTaskTemporal struct {
		TaskQueue *string `yaml:"task_queue"`
	}
	rawStepTemporal struct {
		TaskQueue    *string   `yaml:"task_queue"`
		StartToClose *duration `yaml:"start_to_close"`
		Heartbeat    *duration `yaml:"heartbeat"`
		Local        *bool     `yaml:"local"`
	}
)

// duration is a YAML duration: a Go duration string ("30s", "1m30s") or integer seconds.
type duration time.Duration

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration must be a string like \"30s\" or integer seconds", n.Line)
	}
	if n.Tag == "!!int" {
		secs, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil || secs < 0 || secs > int64(time.Duration(1<<63-1)/time.Second) {
			return fmt.Errorf("line %d: invalid duration %q: want non-negative seconds", n.Line, n.Value)
		}
		*d = duration(time.Duration(secs) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q: want a Go duration like \"30s\" or integer seconds", n.Line, n.Value)
	}
	if v < 0 {
		return fmt.Errorf("line %d: invalid duration %q: must not be negative", n.Line, n.Value)
	}
	*d = duration(v)
	return nil
}

// Parse loads one template from YAML in either format (the tasker-core TaskTemplate, with steps;
// the Rails engine format, with step_templates), applies the `environments` overrides for env
// (empty = none), normalises it and validates it. source names the file in errors.
func Parse(data []byte, source, env string) (*Template, error) {
	root, err := parseNode(data, source)
	if err != nil {
		return nil, err
	}
	loc := Error{Source: source, Template: scalarField(root, "name")}
	if err := checkAliases(root, loc); err != nil {
		return nil, err
	}
	rails := field(root, "step_templates") != nil
	if rails && field(root, "steps") != nil {
		return nil, located(loc, root, "both steps (tasker-core format) and step_templates (Rails format): use one")
	}
	sh := coreShape
	if rails {
		sh = railsShape
	}
	if errs := checkKeys(root, sh, loc, ""); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var t *Template
	if rails {
		t, err = decodeRails(root, loc, env)
	} else {
		t, err = decodeCore(root, loc, env)
	}
	if err != nil {
		return nil, err
	}
	t.Source = source
	if err := t.validate(stepPositions(root, rails)); err != nil {
		return nil, err
	}
	return t, nil
}

func parseNode(data []byte, source string) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Source: source, Msg: "empty template (no YAML document)"}
		}
		line, msg := splitLine(strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, &Error{Source: source, Line: line, Msg: msg}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, &Error{Source: source, Msg: "empty template (no YAML document)"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Source: source, Line: root.Line, Msg: "a template must be a YAML mapping"}
	}
	return root, nil
}

// decodeErr turns yaml.v3 decoding errors ("line 5: cannot unmarshal …") into *Errors.
func decodeErr(loc Error, err error) error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var errs []error
	for _, m := range msgs {
		e := loc
		e.Line, e.Msg = splitLine(strings.TrimPrefix(m, "yaml: "))
		errs = append(errs, &e)
	}
	return errors.Join(errs...)
}

// splitLine splits "line 5: message" into 5 and "message" (0 and msg when there is no line).
func splitLine(msg string) (int, string) {
	line, rest, ok := strings.Cut(strings.TrimPrefix(msg, "line "), ": ")
	if !ok || !strings.HasPrefix(msg, "line ") {
		return 0, msg
	}
	n, err := strconv.Atoi(line)
	if err != nil {
		return 0, msg
	}
	return n, rest
}

// decodeRaw decodes a template's root mapping into one format's raw shape, then applies
// environment env's overrides (when the template has some) with apply.
func decodeRaw[R, E any](root *yaml.Node, loc Error, env string, raw *R, envs func() map[string]E, apply func(E) error) error {
	if err := root.Decode(raw); err != nil {
		return decodeErr(loc, err)
	}
	if e, ok := envs()[env]; ok && env != "" {
		return apply(e)
	}
	return nil
}

// rawHeader is what both formats say alike at the top of a template.
type rawHeader struct {
	Name        string           `yaml:"name"`
	Namespace   string           `yaml:"namespace_name"`
	Version     string           `yaml:"version"`
	Description string           `yaml:"description"`
	Temporal    *rawTaskTemporal `yaml:"temporal"`
}

// template starts the normalised Template from the header.
func (h *rawHeader) template() *Template {
	return &Template{Name: h.Name, Namespace: h.Namespace, Version: h.Version, Description: h.Description, Temporal: taskTemporalOf(h.Temporal)}
}

// inputSchema converts the JSON Schema under key (input_schema, or the Rails schema) to JSON; an
// error names the key and its line.
func inputSchema(v any, root *yaml.Node, loc Error, key string) (json.RawMessage, error) {
	schema, err := schemaJSON(v)
	if err != nil {
		return nil, located(loc, firstNode(field(root, key), root), key+": "+err.Error())
	}
	return schema, nil
}

func retryOf(r *rawRetry) Retry {
	out := Retry{Retryable: true}
	if r == nil {
		return out
	}
	if r.Retryable != nil {
		out.Retryable = *r.Retryable
	}
	switch {
	case r.MaxAttempts != nil:
		out.MaxAttempts = *r.MaxAttempts
	case r.Limit != nil:
		out.MaxAttempts = *r.Limit
	}
	if r.Backoff != nil {
		out.Backoff = *r.Backoff
	}
	if r.BackoffBaseMs != nil {
		out.BackoffBase = time.Duration(*r.BackoffBaseMs) * time.Millisecond
	}
	if r.MaxBackoffMs != nil {
		out.MaxBackoff = time.Duration(*r.MaxBackoffMs) * time.Millisecond
	}
	return out
}

func taskTemporalOf(r *rawTaskTemporal) TaskTemporal {
	if r == nil || r.TaskQueue == nil {
		return TaskTemporal{}
	}
	return TaskTemporal{TaskQueue: *r.TaskQueue}
}

func stepTemporalOf(r *rawStepTemporal) StepTemporal {
	var out StepTemporal
	if r == nil {
		return out
	}
	if r.TaskQueue != nil {
		out.TaskQueue = *r.TaskQueue
	}
	if r.StartToClose != nil {
		out.StartToClose = time.Duration(*r.StartToClose)
	}
	if r.Heartbeat != nil {
		out.Heartbeat = time.Duration(*r.Heartbeat)
	}
	out.Local = r.Local != nil && *r.Local
	return out
}

// Normalize fills Tasker's defaults, as Parse does: version 0.1.0, namespace "default", each
// step's dependent system, and the retry policy (3 attempts, exponential backoff from 1 s capped
// at 30 s; a step that is not retryable gets exactly one attempt). Call it on a template built in
// code before Validate; note that a zero Retry means Retryable false, hence one attempt.
func (t *Template) Normalize() {
	if t.Version == "" {
		t.Version = DefaultVersion
	}
	if t.Namespace == "" {
		t.Namespace = DefaultNamespace
	}
	for i := range t.Steps {
		s := &t.Steps[i]
		if s.DependentSystem == "" {
			s.DependentSystem = t.DefaultDependentSystem
		}
		if s.DependentSystem == "" {
			s.DependentSystem = DefaultDependentSystem
		}
		r := &s.Retry
		if r.MaxAttempts == 0 {
			r.MaxAttempts = DefaultMaxAttempts
		}
		if !r.Retryable {
			r.MaxAttempts = 1
		}
		if r.Backoff == "" {
			r.Backoff = BackoffExponential
		}
		if r.BackoffBase == 0 {
			r.BackoffBase = DefaultBackoffBase
		}
		if r.MaxBackoff == 0 {
			r.MaxBackoff = DefaultMaxBackoff
		}
	}
}

// schemaJSON converts a YAML-decoded JSON Schema to JSON (nil for none).
func schemaJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	if _, ok := jsonSafe(v).(map[string]any); !ok {
		if _, isBool := v.(bool); !isBool {
			return nil, fmt.Errorf("a JSON Schema must be a mapping (or true/false)")
		}
	}
	b, err := json.Marshal(jsonSafe(v))
	if err != nil {
		return nil, fmt.Errorf("not representable as JSON: %w", err)
	}
	return b, nil
}

// jsonSafe rewrites YAML values JSON cannot encode: mappings with non-string keys get string keys.
func jsonSafe(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return jsonSafeMap(x)
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonSafe(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonSafe(e)
		}
		return out
	}
	return v
}

func jsonSafeMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = jsonSafe(v)
	}
	return out
}
