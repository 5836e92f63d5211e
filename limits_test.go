package tasker_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	tasker "github.com/tasker-systems/tasker-temporal"
)

// TestTaskRequestValidate is the bad-input table of task requests that the Rails schema cannot
// store; each error names the field and its limit or says how to escape.
func TestTaskRequestValidate(t *testing.T) {
	ok := func(edit func(r *tasker.TaskRequest)) tasker.TaskRequest {
		r := tasker.TaskRequest{Namespace: "ns", Name: "t", Version: "1.0.0", Context: json.RawMessage(`{"a":1}`)}
		edit(&r)
		return r
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct {
		name string
		req  tasker.TaskRequest
		want string // "" = valid
	}{
		{"valid", ok(func(*tasker.TaskRequest) {}), ""},
		{"reason at 128 fits", ok(func(r *tasker.TaskRequest) { r.Reason = long(128) }), ""},
		{"no namespace", ok(func(r *tasker.TaskRequest) { r.Namespace = "" }), "namespace: is required"},
		{"no name", ok(func(r *tasker.TaskRequest) { r.Name = "" }), "name: is required"},
		{"namespace over 64", ok(func(r *tasker.TaskRequest) { r.Namespace = long(70) }), "namespace: 70 characters, over the limit of 64 (the Rails column is varchar(64)): shorten it"},
		{"name over 64", ok(func(r *tasker.TaskRequest) { r.Name = long(65) }), "name: 65 characters, over the limit of 64"},
		{"version over 16", ok(func(r *tasker.TaskRequest) { r.Version = "1.0.0-alpha.beta.gamma" }), "version: 22 characters, over the limit of 16"},
		{"initiator over 128", ok(func(r *tasker.TaskRequest) { r.Initiator = long(129) }), "initiator: 129 characters, over the limit of 128"},
		{"source_system over 128", ok(func(r *tasker.TaskRequest) { r.SourceSystem = long(200) }), "source_system: 200 characters, over the limit of 128"},
		{"reason over 128", ok(func(r *tasker.TaskRequest) { r.Reason = long(129) }), "reason: 129 characters, over the limit of 128"},
		{"reason multibyte counts characters", ok(func(r *tasker.TaskRequest) { r.Reason = strings.Repeat("ü", 128) }), ""},
		{"NUL in reason", ok(func(r *tasker.TaskRequest) { r.Reason = "a\x00b" }), "reason: contains a NUL character: PostgreSQL cannot store"},
		{"invalid UTF-8 in initiator", ok(func(r *tasker.TaskRequest) { r.Initiator = "\xff" }), "initiator: is not valid UTF-8"},
		{"NUL escape in context", ok(func(r *tasker.TaskRequest) { r.Context = json.RawMessage(`{"a":{"b":["ok","x\u0000y"]}}`) }),
			`context.a.b[1]: contains a NUL character: PostgreSQL cannot store the NUL character (\u0000) in text or jsonb: remove it, or escape it yourself (e.g. write "\\u0000"`},
		{"NUL in a context key", ok(func(r *tasker.TaskRequest) { r.Context = json.RawMessage(`{"k\u0000":1}`) }), `context key "k\x00": contains a NUL character`},
		{"escaped backslash-u is fine", ok(func(r *tasker.TaskRequest) { r.Context = json.RawMessage(`{"a":"x\\u0000y"}`) }), ""},
		{"context not JSON", ok(func(r *tasker.TaskRequest) { r.Context = json.RawMessage(`{"a":`) }), "context: is not valid JSON"},
		{"context two values", ok(func(r *tasker.TaskRequest) { r.Context = json.RawMessage(`{} {}`) }), "context: is not valid JSON: more than one value"},
		{"NUL in a tag", ok(func(r *tasker.TaskRequest) { r.Tags = []string{"ok", "\x00"} }), "tags[1]: contains a NUL character"},
		{"bypass step over 128", ok(func(r *tasker.TaskRequest) { r.BypassSteps = []string{long(129)} }), "bypass_steps[0]: 129 characters, over the limit of 128"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.req.Validate()
			if c.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), c.want), "\n got: %q\nwant: %q", err, c.want)
			var fe *tasker.FieldError
			require.True(t, errors.As(err, &fe))
		})
	}
}

func TestValidateReportsEveryField(t *testing.T) {
	err := tasker.TaskRequest{Namespace: "ns", Name: "t", Reason: strings.Repeat("r", 129), Initiator: strings.Repeat("i", 129)}.Validate()
	require.ErrorContains(t, err, "initiator: 129 characters")
	require.ErrorContains(t, err, "reason: 129 characters")
}

func ExampleTaskRequest_Validate() {
	req := tasker.TaskRequest{Namespace: "payments", Name: "refund", Reason: strings.Repeat("why ", 40)}
	fmt.Println(req.Validate())
	// Output: reason: 160 characters, over the limit of 128 (the Rails column is varchar(128)): shorten it
}
