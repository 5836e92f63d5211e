package template

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// shape describes which keys a YAML mapping may hold, so that an unknown key (usually a typo) is an
// error naming its line instead of being silently dropped. keys != nil: a mapping with these keys;
// anyKey != nil: a mapping whose keys are free (e.g. environment names) and whose values have that
// shape; items != nil: a list of that shape; all nil: any value.
type shape struct {
	keys   map[string]*shape
	anyKey *shape
	items  *shape
	// stepList marks the steps / step_templates lists, whose items name the step in messages.
	stepList bool
}

var anyValue = &shape{}

func mapping(keys map[string]*shape) *shape { return &shape{keys: keys} }
func steps(item *shape) *shape              { return &shape{items: item, stepList: true} }

var (
	handlerShape  = mapping(map[string]*shape{"callable": anyValue, "initialization": anyValue})
	retryShape    = mapping(map[string]*shape{"retryable": anyValue, "max_attempts": anyValue, "limit": anyValue, "backoff": anyValue, "backoff_base_ms": anyValue, "max_backoff_ms": anyValue})
	taskTemporal  = mapping(map[string]*shape{"task_queue": anyValue})
	stepTemporal  = mapping(map[string]*shape{"task_queue": anyValue, "start_to_close": anyValue, "heartbeat": anyValue, "local": anyValue})
	coreStepShape = mapping(map[string]*shape{
		"name": anyValue, "description": anyValue, "handler": handlerShape, "system_dependency": anyValue,
		"dependencies": anyValue, "retry": retryShape, "timeout_seconds": anyValue, "publishes_events": anyValue,
		"skippable": anyValue, "temporal": stepTemporal,
	}).with(dynamicKeys)
	coreOverrideShape = mapping(map[string]*shape{
		"name": anyValue, "handler": handlerShape, "retry": retryShape, "timeout_seconds": anyValue, "temporal": stepTemporal,
	})
	coreShape = mapping(map[string]*shape{
		"name": anyValue, "namespace_name": anyValue, "version": anyValue, "description": anyValue,
		"metadata": anyValue, "task_handler": handlerShape, "system_dependencies": mapping(map[string]*shape{"primary": anyValue, "secondary": anyValue}),
		"domain_events": anyValue, "input_schema": anyValue, "steps": steps(coreStepShape), "loaded_from": anyValue,
		"temporal": taskTemporal,
		"environments": {anyKey: mapping(map[string]*shape{
			"steps": steps(coreOverrideShape), "task_handler": handlerShape, "temporal": taskTemporal,
		})},
	})

	railsStepShape = mapping(map[string]*shape{
		"name": anyValue, "description": anyValue, "dependent_system": anyValue, "default_retryable": anyValue,
		"default_retry_limit": anyValue, "skippable": anyValue, "handler_class": anyValue, "handler_config": anyValue,
		"depends_on_step": anyValue, "depends_on_steps": anyValue, "custom_events": anyValue, "temporal": stepTemporal,
	})
	railsOverrideShape = mapping(map[string]*shape{
		"name": anyValue, "handler_config": anyValue, "default_retryable": anyValue, "default_retry_limit": anyValue,
		"skippable": anyValue, "temporal": stepTemporal,
	})
	railsShape = mapping(map[string]*shape{
		"name": anyValue, "module_namespace": anyValue, "task_handler_class": anyValue, "concurrent": anyValue,
		"namespace_name": anyValue, "version": anyValue, "description": anyValue, "default_dependent_system": anyValue,
		"named_steps": anyValue, "schema": anyValue, "step_templates": steps(railsStepShape), "custom_events": anyValue,
		"default_context": anyValue, "default_options": anyValue, "temporal": taskTemporal,
		"environments": {anyKey: mapping(map[string]*shape{
			"step_templates": steps(railsOverrideShape), "temporal": taskTemporal,
		})},
	})
)

// checkKeys walks node against sh and returns an *Error for every unknown key or misplaced kind
// (a list where a mapping belongs, …).
func checkKeys(node *yaml.Node, sh *shape, loc Error, path string) []error {
	if node != nil && node.Kind == yaml.AliasNode {
		node = node.Alias
	}
	if node == nil || sh == anyValue || isNull(node) {
		return nil
	}
	switch {
	case sh.keys != nil || sh.anyKey != nil:
		if node.Kind != yaml.MappingNode {
			return []error{located(loc, node, fmt.Sprintf("%s must be a mapping", describe(path)))}
		}
		var errs []error
		for k := 0; k+1 < len(node.Content); k += 2 {
			key, val := node.Content[k], node.Content[k+1]
			if key.Tag == "!!merge" { // `<<: *anchor` merges another mapping (or a list of them)
				errs = append(errs, checkMerge(val, sh, loc, path)...)
				continue
			}
			child := sh.anyKey
			if sh.keys != nil {
				child = sh.keys[key.Value]
				if child == nil {
					errs = append(errs, located(loc, key, fmt.Sprintf("unknown key %q%s (known: %s)", key.Value, inPath(path), known(sh.keys))))
					continue
				}
			}
			errs = append(errs, checkKeys(val, child, loc, join(path, key.Value))...)
		}
		return errs
	case sh.items != nil:
		if node.Kind != yaml.SequenceNode {
			return []error{located(loc, node, fmt.Sprintf("%s must be a list", describe(path)))}
		}
		var errs []error
		for k, item := range node.Content {
			itemLoc := loc
			if sh.stepList {
				itemLoc.Step = scalarField(item, "name")
			}
			errs = append(errs, checkKeys(item, sh.items, itemLoc, fmt.Sprintf("%s[%d]", path, k))...)
		}
		return errs
	}
	return nil
}

func checkMerge(val *yaml.Node, sh *shape, loc Error, path string) []error {
	if val.Kind == yaml.AliasNode {
		val = val.Alias
	}
	if val == nil || val.Kind != yaml.SequenceNode {
		return checkKeys(val, sh, loc, path)
	}
	var errs []error
	for _, m := range val.Content {
		errs = append(errs, checkKeys(m, sh, loc, path)...)
	}
	return errs
}

func located(loc Error, node *yaml.Node, msg string) error {
	e := loc
	e.Line = node.Line
	e.Msg = msg
	return &e
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func inPath(path string) string {
	if path == "" || strings.HasSuffix(path, "]") {
		return ""
	}
	return " in " + path
}

func describe(path string) string {
	if path == "" {
		return "the template"
	}
	return path
}

func known(keys map[string]*shape) string {
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// scalarField returns the value of a scalar key of a mapping node, or "".
func scalarField(n *yaml.Node, key string) string {
	if n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == key && n.Content[k+1].Kind == yaml.ScalarNode {
			return n.Content[k+1].Value
		}
	}
	return ""
}

// field returns the value node of a key of a mapping node, or nil.
func field(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == key {
			return n.Content[k+1]
		}
	}
	return nil
}
