package template

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// aliasBomb is a mapping of nine anchors, each a list of ten aliases of the one before: 10^9
// values once expanded, a few hundred bytes as written.
func aliasBomb(indent string) []string {
	lines := []string{indent + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"}
	for i := 1; i < 9; i++ {
		p := fmt.Sprintf("*a%d", i-1)
		lines = append(lines, fmt.Sprintf("%sa%d: &a%d [%s]", indent, i, i, strings.Repeat(p+", ", 9)+p))
	}
	return lines
}

// TestColumnLimits is the bad-input table for template values that the Rails schema cannot store:
// each is refused at load with the file, line, field and limit.
func TestColumnLimits(t *testing.T) {
	core := func(head []string, step ...string) []byte {
		lines := append([]string{"name: t", "namespace_name: ns", "version: 1.0.0"}, head...)
		lines = append(lines, "steps:", "  - name: a", "    handler: {callable: X}")
		return y(append(lines, step...)...)
	}
	rails := func(step ...string) []byte {
		lines := []string{"name: t", "namespace_name: ns", "version: 1.0.0", "step_templates:", "  - name: a", "    handler_class: X"}
		return y(append(lines, step...)...)
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct {
		name string
		yaml []byte
		want string // the first error, as a prefix; "" = loads
	}{
		{"namespace at 64 fits", y("name: t", "namespace_name: "+long(64), "steps:", "  - name: a", "    handler: {callable: X}"), ""},
		{"namespace over 64", y("name: t", "namespace_name: "+long(70), "steps:", "  - name: a", "    handler: {callable: X}"),
			`f.yaml:2: template "t": namespace_name: 70 characters, over the limit of 64 (the Rails column is varchar(64)): shorten it`},
		{"task name over 64", y("name: "+long(65), "steps:", "  - name: a", "    handler: {callable: X}"),
			`f.yaml:1: template "` + long(65) + `": name: 65 characters, over the limit of 64`},
		{"multibyte name counts characters", y("name: "+strings.Repeat("é", 64), "steps:", "  - name: a", "    handler: {callable: X}"), ""},
		{"version over 16", y("name: t", "version: 1.0.0-alpha.beta.gamma", "steps:", "  - name: a", "    handler: {callable: X}"),
			`f.yaml:2: template "t": version: 22 characters, over the limit of 16`},
		{"description over 255", core([]string{"description: " + long(256)}),
			`f.yaml:4: template "t": description: 256 characters, over the limit of 255`},
		{"primary system over 64", core([]string{"system_dependencies: {primary: " + long(65) + "}"}),
			`f.yaml:4: template "t": default dependent system: 65 characters, over the limit of 64`},
		{"step name over 128", y("name: t", "steps:", "  - name: "+long(129), "    handler: {callable: X}"),
			`f.yaml:3: template "t", step "` + long(129) + `": step name: 129 characters, over the limit of 128`},
		{"step description over 255", core(nil, "    description: "+long(300)),
			`f.yaml:7: template "t", step "a": step description: 300 characters, over the limit of 255`},
		{"step system over 64", core(nil, "    system_dependency: "+long(65)),
			`f.yaml:7: template "t", step "a": dependent system: 65 characters, over the limit of 64`},
		{"rails dependent system over 64", rails("    dependent_system: " + long(65)),
			`f.yaml:7: template "t", step "a": dependent system: 65 characters, over the limit of 64`},
		{"rails default dependent system over 64", y("name: t", "default_dependent_system: "+long(65), "step_templates:", "  - name: a", "    handler_class: X"),
			`f.yaml:2: template "t": default dependent system: 65 characters`},
		{"NUL in a step name", y("name: t", "steps:", `  - name: "a\0b"`, "    handler: {callable: X}"),
			`f.yaml:3: template "t", step "a\x00b": step name: contains a NUL character: PostgreSQL cannot store the NUL character (\u0000) in text or jsonb: remove it, or escape it`},
		{"NUL in initialization", y("name: t", "steps:", "  - name: a", `    handler: {callable: X, initialization: {k: ["a\0"]}}`),
			`f.yaml:4: template "t", step "a": initialization.k[0]: contains a NUL character`},
		{"NUL in rails handler_config", rails(`    handler_config: {url: "x\0"}`),
			`f.yaml:7: template "t", step "a": initialization.url: contains a NUL character`},
		{"NUL in the input schema", core([]string{`input_schema: {type: object, description: "a\0"}`}),
			`f.yaml:4: template "t": input_schema.description: contains a NUL character`},
		{"not retryable with 5 attempts", core(nil, "    retry: {retryable: false, max_attempts: 5}"),
			`f.yaml:7: template "t", step "a": invalid retry: retryable is false but max_attempts is 5`},
		{"not retryable with limit 2", core(nil, "    retry:", "      retryable: false", "      limit: 2"),
			`f.yaml:9: template "t", step "a": invalid retry: retryable is false but limit is 2`},
		{"not retryable with 1 attempt", core(nil, "    retry: {retryable: false, max_attempts: 1}"), ""},
		{"rails not retryable with limit 3", rails("    default_retryable: false", "    default_retry_limit: 3"),
			`f.yaml:8: template "t", step "a": invalid retry: retryable is false but default_retry_limit is 3`},
		{"alias bomb under metadata", core(append([]string{"metadata:"}, aliasBomb("  ")...)),
			`f.yaml:4: template "t": metadata expands to more than 200000 YAML values`},
		{"alias bomb under domain_events", core(append([]string{"domain_events:"}, aliasBomb("  ")...)),
			`f.yaml:4: template "t": domain_events expands to more than 200000 YAML values`},
		{"alias bomb under initialization", y(append([]string{"name: t", "steps:", "  - name: a", "    handler:", "      callable: X", "      initialization:"}, aliasBomb("        ")...)...),
			`f.yaml:2: template "t": steps expands to more than 200000 YAML values`},
		{"small aliases are fine", core([]string{"metadata:", "  a: &a [1, 2]", "  b: *a"}), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.yaml, "f.yaml", "")
			if c.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			first := Errors(err)[0].Error()
			require.True(t, strings.HasPrefix(first, c.want), "\n got: %q\nwant: %q", first, c.want)
		})
	}
}
