package template

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is wrapped by Registry.Get when no template matches.
var ErrNotFound = errors.New("template not found")

// Error is one problem with a template, located as precisely as the loader knows: the file and
// line, the template and the step. Parse and Validate return one Error, or several joined with
// errors.Join (use errors.As to get the first, or the Errors helper to get them all).
type Error struct {
	Source   string // file name; empty for a template built in code
	Line     int    // 0 when unknown
	Template string // template name, when known
	Step     string // step name, when the problem is in a step
	Msg      string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	var where []string
	if e.Template != "" {
		where = append(where, fmt.Sprintf("template %q", e.Template))
	}
	if e.Step != "" {
		where = append(where, fmt.Sprintf("step %q", e.Step))
	}
	if len(where) > 0 {
		b.WriteString(strings.Join(where, ", "))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors unpacks an error returned by Parse or Validate into its *Error parts.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		walk(errors.Unwrap(err))
	}
	walk(err)
	return out
}
