package template

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	tasker "github.com/tasker-systems/tasker-temporal"
)

// maxExpandedNodes bounds the YAML nodes a template may expand to once its aliases are followed:
// a few hundred thousand is far beyond any real template and stops an alias bomb (a few lines
// that expand to billions of values) before anything decodes or stores it.
const maxExpandedNodes = 200_000

// checkAliases refuses a document whose aliases expand beyond maxExpandedNodes, anywhere in it
// (initialization, metadata, input_schema, keys we otherwise ignore), naming the top-level key.
func checkAliases(root *yaml.Node, loc Error) error {
	memo := map[*yaml.Node]int{}
	for k := 0; k+1 < len(root.Content); k += 2 {
		key, val := root.Content[k], root.Content[k+1]
		if n := expanded(val, memo, 0); n > maxExpandedNodes {
			return located(loc, key, fmt.Sprintf("%s expands to more than %d YAML values through its aliases (an alias bomb?): refused", key.Value, maxExpandedNodes))
		}
	}
	return nil
}

// expanded counts the nodes under n with every alias followed, memoised per node; it stops
// counting once past the bound, and treats an alias cycle as over it.
func expanded(n *yaml.Node, memo map[*yaml.Node]int, depth int) int {
	if n == nil {
		return 0
	}
	if c, ok := memo[n]; ok {
		return c
	}
	if depth > 10_000 {
		return maxExpandedNodes + 1
	}
	memo[n] = maxExpandedNodes + 1 // in progress: a cycle counts as too big
	total := 1
	if n.Kind == yaml.AliasNode {
		total = expanded(n.Alias, memo, depth+1)
	}
	for _, c := range n.Content {
		total += expanded(c, memo, depth+1)
		if total > maxExpandedNodes {
			break
		}
	}
	memo[n] = total
	return total
}

// limits checks every value against the Rails column it lands in (TASKER-REFERENCE §1): lengths
// of names, version, descriptions and dependent systems, and no NUL character anywhere in the
// template (it is stored as jsonb in tasker_named_tasks.configuration).
func (v *validator) limits() {
	t := v.t
	v.column(-1, "name", "name", t.Name, tasker.MaxTaskNameLen)
	v.column(-1, "namespace_name", "namespace_name", t.Namespace, tasker.MaxNamespaceLen)
	v.column(-1, "version", "version", t.Version, tasker.MaxVersionLen)
	v.column(-1, "description", "description", t.Description, tasker.MaxDescriptionLen)
	v.column(-1, v.systemKey(), "default dependent system", t.DefaultDependentSystem, tasker.MaxDependentSystemLen)
	for i := range t.Steps {
		s := &t.Steps[i]
		v.column(i, "name", "step name", s.Name, tasker.MaxStepNameLen)
		v.column(i, "description", "step description", s.Description, tasker.MaxDescriptionLen)
		v.column(i, v.stepSystemKey(), "dependent system", s.DependentSystem, tasker.MaxDependentSystemLen)
		if err := tasker.CheckValue("initialization", s.Initialization); err != nil {
			v.add(i, v.stepKeyLine(i, v.initKey()), "%v", err)
		}
		for k, d := range s.Dependencies {
			if err := tasker.CheckText(fmt.Sprintf("dependencies[%d]", k), d); err != nil {
				v.add(i, v.depLine(i, d), "%v", err)
			}
		}
	}
	if err := tasker.CheckJSON("input_schema", t.InputSchema); err != nil {
		v.add(-1, v.keyLine(-1, "input_schema"), "%v", err)
	}
}

// column adds an error when value does not fit a varchar(limit) column; key is the YAML key, for
// the line, and field names the value in the message.
func (v *validator) column(step int, key, field, value string, limit int) {
	if err := tasker.CheckLen(field, value, limit); err != nil {
		v.add(step, v.keyLine(step, key), "%v", err)
	}
}

func (v *validator) rails() bool { return v.pos != nil && v.pos.rails }

func (v *validator) systemKey() string {
	if v.rails() {
		return "default_dependent_system"
	}
	return "system_dependencies"
}

func (v *validator) stepSystemKey() string {
	if v.rails() {
		return "dependent_system"
	}
	return "system_dependency"
}

func (v *validator) initKey() string {
	if v.rails() {
		return "handler_config"
	}
	return "handler"
}

// keyLine is the line of key in the template (step < 0) or in step i; 0 when unknown, which add
// turns into the template's or the step's line.
func (v *validator) keyLine(step int, key string) int {
	if step >= 0 {
		return v.stepKeyLine(step, key)
	}
	if v.pos == nil {
		return 0
	}
	if n := keyNode(v.pos.node, key); n != nil {
		return n.Line
	}
	return 0
}

func (v *validator) stepKeyLine(step int, key string) int {
	if v.pos == nil {
		return 0
	}
	list := "steps"
	if v.pos.rails {
		list = "step_templates"
	}
	l := field(v.pos.node, list)
	if l == nil || l.Kind != yaml.SequenceNode || step >= len(l.Content) {
		return 0
	}
	if n := keyNode(l.Content[step], key); n != nil {
		return n.Line
	}
	return 0
}

// keyNode returns the key node of key in mapping n, or nil.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == key {
			return n.Content[k]
		}
	}
	return nil
}

// retryConflicts refuses a step that says it is not retryable yet asks for several attempts
// (retry: {retryable: false, max_attempts: 5}): Normalize would silently make it one attempt.
func (v *validator) retryConflicts() {
	if v.pos == nil {
		return
	}
	list := "steps"
	if v.pos.rails {
		list = "step_templates"
	}
	l := field(v.pos.node, list)
	if l == nil || l.Kind != yaml.SequenceNode {
		return
	}
	for i, item := range l.Content {
		retryable, limit, limitKey := v.retryNodes(item)
		if retryable == nil || limit == nil || retryable.Value != "false" {
			continue
		}
		var n int
		if err := limit.Decode(&n); err == nil && n > 1 {
			v.add(i, limit.Line, "invalid retry: retryable is false but %s is %d (a step that is not retryable makes exactly one attempt): drop one of them", limitKey, n)
		}
	}
}

func (v *validator) retryNodes(step *yaml.Node) (retryable, limit *yaml.Node, limitKey string) {
	if v.pos.rails {
		return field(step, "default_retryable"), field(step, "default_retry_limit"), "default_retry_limit"
	}
	r := field(step, "retry")
	if r != nil && r.Kind == yaml.AliasNode {
		r = r.Alias
	}
	if l := field(r, "max_attempts"); l != nil {
		return field(r, "retryable"), l, "max_attempts"
	}
	return field(r, "retryable"), field(r, "limit"), "limit"
}
