package events

import (
	"fmt"
	"strings"
)

// Pattern matches event names segment by segment, with NATS subject semantics so a pattern is
// also a broker subject filter: "*" matches exactly one segment, ">" as the last segment matches
// one or more. "step.*" matches step.completed but not observability.step.backoff; "observability.>"
// matches every observability event; ">" matches everything; "task.completed" matches itself.
type Pattern struct {
	raw  string
	segs []string
}

// ParsePattern validates a pattern: non-empty segments, ">" only last.
func ParsePattern(s string) (Pattern, error) {
	if s == "" {
		return Pattern{}, fmt.Errorf("event pattern is empty (use \">\" for every event)")
	}
	segs := strings.Split(s, ".")
	for i, seg := range segs {
		if seg == "" {
			return Pattern{}, fmt.Errorf("event pattern %q: segment %d is empty", s, i+1)
		}
		if seg == ">" && i != len(segs)-1 {
			return Pattern{}, fmt.Errorf("event pattern %q: \">\" must be the last segment", s)
		}
		if seg != "*" && seg != ">" && strings.ContainsAny(seg, "*> \t") {
			return Pattern{}, fmt.Errorf("event pattern %q: segment %q mixes a wildcard with text", s, seg)
		}
	}
	return Pattern{raw: s, segs: segs}, nil
}

// MustPattern is ParsePattern that panics; for patterns fixed in code.
func MustPattern(s string) Pattern {
	p, err := ParsePattern(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.raw }

// Match tells whether name matches the pattern.
func (p Pattern) Match(name string) bool {
	if len(p.segs) == 1 && p.segs[0] == ">" {
		return true
	}
	rest := name
	for i, seg := range p.segs {
		if seg == ">" {
			return rest != ""
		}
		if rest == "" && i > 0 {
			return false
		}
		head, tail, more := strings.Cut(rest, ".")
		if seg != "*" && seg != head {
			return false
		}
		if !more {
			return i == len(p.segs)-1
		}
		rest = tail
		if i == len(p.segs)-1 {
			return false
		}
	}
	return false
}
