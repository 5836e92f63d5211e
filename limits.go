package tasker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Column limits of the Rails schema (TASKER-REFERENCE §1), in characters as PostgreSQL counts
// them for varchar(n). A value over its limit can never be mirrored, so it is refused up front.
const (
	MaxNamespaceLen       = 64  // tasker_task_namespaces.name
	MaxTaskNameLen        = 64  // tasker_named_tasks.name
	MaxVersionLen         = 16  // tasker_named_tasks.version
	MaxStepNameLen        = 128 // tasker_named_steps.name
	MaxDependentSystemLen = 64  // tasker_dependent_systems.name
	MaxDescriptionLen     = 255 // every description column
	MaxInitiatorLen       = 128 // tasker_tasks.initiator
	MaxSourceSystemLen    = 128 // tasker_tasks.source_system
	MaxReasonLen          = 128 // tasker_tasks.reason
)

// NULEscapeHint says how to carry a NUL character through PostgreSQL, which cannot store one in
// text or jsonb.
const NULEscapeHint = `PostgreSQL cannot store the NUL character (\u0000) in text or jsonb: remove it, or escape it yourself (e.g. write "\\u0000", or base64-encode binary data)`

// FieldError is one field of a request or template that cannot be stored. Field names the field
// as the user wrote it (e.g. "reason", "context.items[2].note").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// CheckLen returns a *FieldError when value is longer than limit characters, nil otherwise; it
// also refuses a NUL character, which no text column can hold.
func CheckLen(field, value string, limit int) error {
	if n := utf8.RuneCountInString(value); n > limit {
		return &FieldError{Field: field, Msg: fmt.Sprintf("%d characters, over the limit of %d (the Rails column is varchar(%d)): shorten it", n, limit, limit)}
	}
	return CheckText(field, value)
}

// CheckText refuses a NUL character or invalid UTF-8 in a value bound for a text column.
func CheckText(field, value string) error {
	if strings.IndexByte(value, 0) >= 0 {
		return &FieldError{Field: field, Msg: "contains a NUL character: " + NULEscapeHint}
	}
	if !utf8.ValidString(value) {
		return &FieldError{Field: field, Msg: "is not valid UTF-8"}
	}
	return nil
}

// CheckJSON refuses JSON that PostgreSQL's jsonb cannot store: invalid JSON, or a NUL character
// (\u0000) in any string or key. The error names the path of the first offending value.
func CheckJSON(field string, raw []byte) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return &FieldError{Field: field, Msg: fmt.Sprintf("is not valid JSON: %v", err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &FieldError{Field: field, Msg: "is not valid JSON: more than one value"}
	}
	return CheckValue(field, v)
}

// CheckValue is CheckJSON for a decoded value (maps, slices, strings, …).
func CheckValue(field string, v any) error {
	switch x := v.(type) {
	case string:
		return CheckText(field, x)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if err := CheckText(field+" key "+strconv.Quote(k), k); err != nil {
				return err
			}
			if err := CheckValue(field+"."+k, x[k]); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := CheckValue(fmt.Sprintf("%s[%d]", field, i), e); err != nil {
				return err
			}
		}
	}
	return nil
}

// Validate checks that every field of the request fits the Rails column it is stored in: the
// namespace, name and version within their lengths, initiator, source_system and reason within
// 128 characters, and no NUL character in any of them or in the context, tags or bypass_steps.
// It returns every problem, each a *FieldError, joined; nil when the request can be stored. It
// does not look the template up: that is the worker's part.
func (r TaskRequest) Validate() error {
	errs := []error{
		required("namespace", r.Namespace),
		required("name", r.Name),
		CheckLen("namespace", r.Namespace, MaxNamespaceLen),
		CheckLen("name", r.Name, MaxTaskNameLen),
		CheckLen("version", r.Version, MaxVersionLen),
		CheckLen("initiator", r.Initiator, MaxInitiatorLen),
		CheckLen("source_system", r.SourceSystem, MaxSourceSystemLen),
		CheckLen("reason", r.Reason, MaxReasonLen),
		CheckJSON("context", r.Context),
	}
	for i, t := range r.Tags {
		errs = append(errs, CheckText(fmt.Sprintf("tags[%d]", i), t))
	}
	for i, s := range r.BypassSteps {
		errs = append(errs, CheckLen(fmt.Sprintf("bypass_steps[%d]", i), s, MaxStepNameLen))
	}
	return errors.Join(errs...)
}

func required(field, value string) error {
	if value == "" {
		return &FieldError{Field: field, Msg: "is required"}
	}
	return nil
}
