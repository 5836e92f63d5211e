package template

import "go.yaml.in/yaml/v3"

// positions remembers where things were in the YAML, for error messages after normalisation.
type positions struct {
	root    int
	steps   []int   // line of each step's mapping
	deps    [][]int // line of each dependency entry
	retries []int   // line of each step's retry settings (0 = none)
	node    *yaml.Node
	rails   bool
}

// stepPositions records the lines of steps, their dependency entries and retry settings.
func stepPositions(root *yaml.Node, rails bool) *positions {
	p := &positions{root: root.Line, node: root, rails: rails}
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
			retry = firstNode(field(item, "default_retry_limit"), field(item, "default_retryable"))
		}
		line := 0
		if retry != nil {
			line = retry.Line
		}
		p.retries = append(p.retries, line)
	}
	return p
}

func stepNode(root *yaml.Node, list string, i int) *yaml.Node {
	l := field(root, list)
	if l == nil || l.Kind != yaml.SequenceNode || i >= len(l.Content) {
		return root
	}
	return l.Content[i]
}

// firstNode returns the first of nodes that is not nil (nil when all are): a key's node, else
// the node to fall back on for an error's line.
func firstNode(nodes ...*yaml.Node) *yaml.Node {
	for _, n := range nodes {
		if n != nil {
			return n
		}
	}
	return nil
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
