package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Default namespace of a template that names none (the Rails default, task_namespace_id 1).
const DefaultNamespace = "default"

// Raw YAML shapes. Pointers tell "absent" from "zero", for defaults and environment overrides.
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
	rawCoreStep struct {
		Name             string           `yaml:"name"`
		Description      string           `yaml:"description"`
		Handler          *rawHandler      `yaml:"handler"`
		SystemDependency string           `yaml:"system_dependency"`
		Dependencies     []string         `yaml:"dependencies"`
		Retry            *rawRetry        `yaml:"retry"`
		TimeoutSeconds   *int             `yaml:"timeout_seconds"`
		Skippable        bool             `yaml:"skippable"`
		Temporal         *rawStepTemporal `yaml:"temporal"`
	}
	rawCore struct {
		Name               string `yaml:"name"`
		Namespace          string `yaml:"namespace_name"`
		Version            string `yaml:"version"`
		Description        string `yaml:"description"`
		SystemDependencies struct {
			Primary string `yaml:"primary"`
		} `yaml:"system_dependencies"`
		InputSchema  any                           `yaml:"input_schema"`
		Steps        []rawCoreStep                 `yaml:"steps"`
		Temporal     *rawTaskTemporal              `yaml:"temporal"`
		Environments map[string]rawCoreEnvironment `yaml:"environments"`
	}
	rawCoreEnvironment struct {
		Steps    []rawCoreStep    `yaml:"steps"`
		Temporal *rawTaskTemporal `yaml:"temporal"`
	}
	rawRailsStep struct {
		Name              string           `yaml:"name"`
		Description       string           `yaml:"description"`
		DependentSystem   string           `yaml:"dependent_system"`
		DefaultRetryable  *bool            `yaml:"default_retryable"`
		DefaultRetryLimit *int             `yaml:"default_retry_limit"`
		Skippable         *bool            `yaml:"skippable"`
		HandlerClass      string           `yaml:"handler_class"`
		HandlerConfig     map[string]any   `yaml:"handler_config"`
		DependsOnStep     string           `yaml:"depends_on_step"`
		DependsOnSteps    []string         `yaml:"depends_on_steps"`
		Temporal          *rawStepTemporal `yaml:"temporal"`
	}
	rawRails struct {
		Name                   string                         `yaml:"name"`
		Namespace              string                         `yaml:"namespace_name"`
		Version                string                         `yaml:"version"`
		Description            string                         `yaml:"description"`
		TaskHandlerClass       string                         `yaml:"task_handler_class"`
		ModuleNamespace        string                         `yaml:"module_namespace"`
		DefaultDependentSystem string                         `yaml:"default_dependent_system"`
		Schema                 any                            `yaml:"schema"`
		StepTemplates          []rawRailsStep                 `yaml:"step_templates"`
		Temporal               *rawTaskTemporal               `yaml:"temporal"`
		Environments           map[string]rawRailsEnvironment `yaml:"environments"`
	}
	rawRailsEnvironment struct {
		StepTemplates []rawRailsStep   `yaml:"step_templates"`
		Temporal      *rawTaskTemporal `yaml:"temporal"`
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

// positions remembers where things were in the YAML, for error messages after normalisation.
type positions struct {
	root    int
	steps   []int   // line of each step's mapping
	deps    [][]int // line of each dependency entry
	retries []int   // line of each step's retry settings (0 = none)
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

func decodeCore(root *yaml.Node, loc Error, env string) (*Template, error) {
	var raw rawCore
	if err := root.Decode(&raw); err != nil {
		return nil, decodeErr(loc, err)
	}
	if e, ok := raw.Environments[env]; ok && env != "" {
		if err := applyCoreEnv(&raw, e, root, loc, env); err != nil {
			return nil, err
		}
	}
	t := &Template{
		Name:                   raw.Name,
		Namespace:              raw.Namespace,
		Version:                raw.Version,
		Description:            raw.Description,
		DefaultDependentSystem: raw.SystemDependencies.Primary,
		Temporal:               taskTemporalOf(raw.Temporal),
	}
	schema, err := schemaJSON(raw.InputSchema)
	if err != nil {
		return nil, located(loc, orRoot(field(root, "input_schema"), root), "input_schema: "+err.Error())
	}
	t.InputSchema = schema
	for _, s := range raw.Steps {
		step := Step{
			Name:            s.Name,
			Description:     s.Description,
			Dependencies:    s.Dependencies,
			Skippable:       s.Skippable,
			DependentSystem: s.SystemDependency,
			Temporal:        stepTemporalOf(s.Temporal),
			Retry:           retryOf(s.Retry),
		}
		if s.Handler != nil {
			step.Callable = s.Handler.Callable
			step.Initialization = jsonSafeMap(s.Handler.Initialization)
		}
		if s.TimeoutSeconds != nil {
			step.Timeout = time.Duration(*s.TimeoutSeconds) * time.Second
		}
		t.Steps = append(t.Steps, step)
	}
	if err := checkRetryAliases(raw.Steps, root, loc); err != nil {
		return nil, err
	}
	t.Normalize()
	return t, nil
}

func orRoot(n, root *yaml.Node) *yaml.Node {
	if n == nil {
		return root
	}
	return n
}

// checkRetryAliases refuses retry.limit and retry.max_attempts together with different values.
func checkRetryAliases(steps []rawCoreStep, root *yaml.Node, loc Error) error {
	for i, s := range steps {
		r := s.Retry
		if r != nil && r.Limit != nil && r.MaxAttempts != nil && *r.Limit != *r.MaxAttempts {
			e := loc
			e.Step = s.Name
			return located(e, stepNode(root, "steps", i), fmt.Sprintf("retry.limit (%d) and retry.max_attempts (%d) disagree: limit is an alias, use one", *r.Limit, *r.MaxAttempts))
		}
	}
	return nil
}

func stepNode(root *yaml.Node, list string, i int) *yaml.Node {
	l := field(root, list)
	if l == nil || l.Kind != yaml.SequenceNode || i >= len(l.Content) {
		return root
	}
	return l.Content[i]
}

// applyCoreEnv merges environment env's step overrides into raw: initialization deep-merged,
// retry, timeout and temporal fields replaced where set.
func applyCoreEnv(raw *rawCore, e rawCoreEnvironment, root *yaml.Node, loc Error, env string) error {
	if e.Temporal != nil && e.Temporal.TaskQueue != nil {
		raw.Temporal = mergeTaskTemporal(raw.Temporal, e.Temporal)
	}
	for k, o := range e.Steps {
		i := indexCore(raw.Steps, o.Name)
		if i < 0 {
			return located(Error{Source: loc.Source, Template: loc.Template, Step: o.Name}, overrideNode(root, env, "steps", k),
				fmt.Sprintf("environments.%s overrides unknown step %q", env, o.Name))
		}
		s := &raw.Steps[i]
		if o.Handler != nil {
			if s.Handler == nil {
				s.Handler = &rawHandler{}
			}
			if o.Handler.Callable != "" {
				s.Handler.Callable = o.Handler.Callable
			}
			s.Handler.Initialization = deepMerge(s.Handler.Initialization, o.Handler.Initialization)
		}
		if o.Retry != nil {
			s.Retry = mergeRetry(s.Retry, o.Retry)
		}
		if o.TimeoutSeconds != nil {
			s.TimeoutSeconds = o.TimeoutSeconds
		}
		if o.Temporal != nil {
			s.Temporal = mergeStepTemporal(s.Temporal, o.Temporal)
		}
	}
	return nil
}

func overrideNode(root *yaml.Node, env, list string, k int) *yaml.Node {
	e := field(field(root, "environments"), env)
	return orRoot(stepNode(e, list, k), root)
}

func indexCore(steps []rawCoreStep, name string) int {
	for i := range steps {
		if steps[i].Name == name {
			return i
		}
	}
	return -1
}

func mergeRetry(base, o *rawRetry) *rawRetry {
	out := rawRetry{}
	if base != nil {
		out = *base
	}
	if o.Retryable != nil {
		out.Retryable = o.Retryable
	}
	if o.MaxAttempts != nil || o.Limit != nil {
		out.MaxAttempts, out.Limit = o.MaxAttempts, o.Limit
	}
	if o.Backoff != nil {
		out.Backoff = o.Backoff
	}
	if o.BackoffBaseMs != nil {
		out.BackoffBaseMs = o.BackoffBaseMs
	}
	if o.MaxBackoffMs != nil {
		out.MaxBackoffMs = o.MaxBackoffMs
	}
	return &out
}

func mergeTaskTemporal(base, o *rawTaskTemporal) *rawTaskTemporal {
	out := rawTaskTemporal{}
	if base != nil {
		out = *base
	}
	if o.TaskQueue != nil {
		out.TaskQueue = o.TaskQueue
	}
	return &out
}

func mergeStepTemporal(base, o *rawStepTemporal) *rawStepTemporal {
	out := rawStepTemporal{}
	if base != nil {
		out = *base
	}
	if o.TaskQueue != nil {
		out.TaskQueue = o.TaskQueue
	}
	if o.StartToClose != nil {
		out.StartToClose = o.StartToClose
	}
	if o.Heartbeat != nil {
		out.Heartbeat = o.Heartbeat
	}
	if o.Local != nil {
		out.Local = o.Local
	}
	return &out
}

// deepMerge returns base with o merged in: nested mappings merge, anything else in o wins.
func deepMerge(base, o map[string]any) map[string]any {
	if len(o) == 0 {
		return base
	}
	out := make(map[string]any, len(base)+len(o))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range o {
		bm, ok1 := out[k].(map[string]any)
		om, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = deepMerge(bm, om)
			continue
		}
		out[k] = v
	}
	return out
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

func decodeRails(root *yaml.Node, loc Error, env string) (*Template, error) {
	var raw rawRails
	if err := root.Decode(&raw); err != nil {
		return nil, decodeErr(loc, err)
	}
	if e, ok := raw.Environments[env]; ok && env != "" {
		if err := applyRailsEnv(&raw, e, root, loc, env); err != nil {
			return nil, err
		}
	}
	t := &Template{
		Name:                   raw.Name,
		Namespace:              raw.Namespace,
		Version:                raw.Version,
		Description:            raw.Description,
		TaskHandlerClass:       railsClass(raw.ModuleNamespace, raw.TaskHandlerClass),
		DefaultDependentSystem: raw.DefaultDependentSystem,
		Temporal:               taskTemporalOf(raw.Temporal),
	}
	schema, err := schemaJSON(raw.Schema)
	if err != nil {
		return nil, located(loc, orRoot(field(root, "schema"), root), "schema: "+err.Error())
	}
	t.InputSchema = schema
	for _, s := range raw.StepTemplates {
		step := Step{
			Name:            s.Name,
			Description:     s.Description,
			Callable:        s.HandlerClass,
			Initialization:  jsonSafeMap(s.HandlerConfig),
			Dependencies:    railsDependencies(s),
			DependentSystem: s.DependentSystem,
			Temporal:        stepTemporalOf(s.Temporal),
			Retry:           Retry{Retryable: true},
		}
		if s.DefaultRetryable != nil {
			step.Retry.Retryable = *s.DefaultRetryable
		}
		if s.DefaultRetryLimit != nil {
			step.Retry.MaxAttempts = *s.DefaultRetryLimit
		}
		if s.Skippable != nil {
			step.Skippable = *s.Skippable
		}
		t.Steps = append(t.Steps, step)
	}
	t.Normalize()
	return t, nil
}

// railsClass prefixes a Rails task handler class with its module_namespace, as Rails resolves it.
func railsClass(module, class string) string {
	if module == "" || class == "" || strings.Contains(class, "::") {
		return class
	}
	return module + "::" + class
}

func railsDependencies(s rawRailsStep) []string {
	var deps []string
	seen := map[string]bool{}
	for _, d := range append([]string{s.DependsOnStep}, s.DependsOnSteps...) {
		if d != "" && !seen[d] {
			seen[d] = true
			deps = append(deps, d)
		}
	}
	return deps
}

func applyRailsEnv(raw *rawRails, e rawRailsEnvironment, root *yaml.Node, loc Error, env string) error {
	if e.Temporal != nil && e.Temporal.TaskQueue != nil {
		raw.Temporal = mergeTaskTemporal(raw.Temporal, e.Temporal)
	}
	for k, o := range e.StepTemplates {
		i := -1
		for j := range raw.StepTemplates {
			if raw.StepTemplates[j].Name == o.Name {
				i = j
				break
			}
		}
		if i < 0 {
			return located(Error{Source: loc.Source, Template: loc.Template, Step: o.Name}, overrideNode(root, env, "step_templates", k),
				fmt.Sprintf("environments.%s overrides unknown step %q", env, o.Name))
		}
		s := &raw.StepTemplates[i]
		s.HandlerConfig = deepMerge(s.HandlerConfig, o.HandlerConfig)
		if o.DefaultRetryable != nil {
			s.DefaultRetryable = o.DefaultRetryable
		}
		if o.DefaultRetryLimit != nil {
			s.DefaultRetryLimit = o.DefaultRetryLimit
		}
		if o.Skippable != nil {
			s.Skippable = o.Skippable
		}
		if o.Temporal != nil {
			s.Temporal = mergeStepTemporal(s.Temporal, o.Temporal)
		}
	}
	return nil
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

// stepPositions records the lines of steps, their dependency entries and retry settings.
func stepPositions(root *yaml.Node, rails bool) *positions {
	p := &positions{root: root.Line}
	list := field(root, "steps")
	if rails {
		list = field(root, "step_templates")
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return p
	}
	for _, item := range list.Content {
		p.steps = append(p.steps, item.Line)
		var deps []int
		if rails {
			if d := field(item, "depends_on_step"); d != nil && d.Value != "" {
				deps = append(deps, d.Line)
			}
			deps = append(deps, seqLines(field(item, "depends_on_steps"))...)
		} else {
			deps = seqLines(field(item, "dependencies"))
		}
		p.deps = append(p.deps, deps)
		retry := field(item, "retry")
		if rails {
			retry = orNil(field(item, "default_retry_limit"), field(item, "default_retryable"))
		}
		line := 0
		if retry != nil {
			line = retry.Line
		}
		p.retries = append(p.retries, line)
	}
	return p
}

func orNil(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

func seqLines(n *yaml.Node) []int {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]int, len(n.Content))
	for i, c := range n.Content {
		out[i] = c.Line
	}
	return out
}

// LoadFile reads and parses one template file.
func LoadFile(path, env string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", path, err)
	}
	return Parse(data, path, env)
}

// LoadDir loads every *.yml and *.yaml file under dir, recursively, in lexical path order. It
// reports every file's errors, not only the first.
func LoadDir(dir, env string) ([]*Template, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isYAML(path) {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load templates from %s: %w", dir, err)
	}
	sort.Strings(paths)
	var out []*Template
	var errs []error
	for _, p := range paths {
		t, err := LoadFile(p, env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func isYAML(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".yml" || ext == ".yaml"
}
