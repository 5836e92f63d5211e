// Package schemaerr turns a JSON Schema validation error (santhosh-tekuri/jsonschema) into the
// flat list of failing locations this project reports: a JSON pointer and what is wrong there.
// It owns that formatting only; callers compile and validate.
package schemaerr

import (
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Problem is one failing location of a document.
type Problem struct {
	Path    string // JSON pointer; "" is the whole document
	Message string
}

// Problems flattens a validation error tree into its leaves, de-duplicated and sorted by
// location (then message).
func Problems(ve *jsonschema.ValidationError) []Problem {
	var out []Problem
	seen := map[Problem]bool{}
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		p := Problem{Path: pointer(e.InstanceLocation), Message: leafMessage(e)}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// Join formats problems as "path: message; path: message", the whole document as "(root)".
func Join(problems []Problem) string {
	parts := make([]string, len(problems))
	for i, p := range problems {
		path := p.Path
		if path == "" {
			path = "(root)"
		}
		parts[i] = path + ": " + p.Message
	}
	return strings.Join(parts, "; ")
}

func leafMessage(e *jsonschema.ValidationError) string {
	units := e.BasicOutput()
	if units != nil && units.Error != nil {
		return units.Error.String()
	}
	for _, u := range units.Errors {
		if u.Error != nil {
			return u.Error.String()
		}
	}
	return e.Error()
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}
