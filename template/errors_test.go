package template

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// y joins lines into a YAML document (keeps line numbers readable in the table below).
func y(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

func TestParseErrors(t *testing.T) {
	step := func(name string, extra ...string) []string {
		return append([]string{"  - name: " + name, "    handler: {callable: X}"}, extra...)
	}
	doc := func(head []string, steps ...[]string) []byte {
		lines := append([]string{"name: t", "namespace_name: ns", "version: 1.0.0"}, head...)
		lines = append(lines, "steps:")
		for _, s := range steps {
			lines = append(lines, s...)
		}
		return y(lines...)
	}
	cases := []struct {
		name string
		yaml []byte
		env  string
		want []string // every error message, in order
	}{
		{"empty file", []byte(""), "", []string{"f.yaml: empty template (no YAML document)"}},
		{"only a comment", []byte("# nothing\n"), "", []string{"f.yaml: empty template (no YAML document)"}},
		{"not a mapping", y("- a", "- b"), "", []string{"f.yaml:1: a template must be a YAML mapping"}},
		{"syntax error", y("name: [unclosed"), "", []string{"f.yaml:1: did not find expected ',' or ']'"}},
		{"no steps", y("name: t"), "", []string{`f.yaml:1: template "t": empty template: it has no steps`}},
		{"empty steps", y("name: t", "steps: []"), "", []string{`f.yaml:1: template "t": empty template: it has no steps`}},
		{"unknown top-level key", y("name: t", "verison: 1.0.0", "steps:", "  - name: a", "    handler: {callable: A}"), "",
			[]string{`f.yaml:2: template "t": unknown key "verison" (known: description, domain_events, environments, input_schema, loaded_from, metadata, name, namespace_name, steps, system_dependencies, task_handler, temporal, version)`}},
		{"unknown step key", doc(nil, step("a", "    retries: 3")), "",
			[]string{`f.yaml:7: template "t", step "a": unknown key "retries" (known: batch_config, dependencies, description, handler, lifecycle, name, publishes_events, retry, skippable, step_type, system_dependency, temporal, timeout_seconds, type)`}},
		{"unknown retry key", doc(nil, step("a", "    retry:", "      max_attemps: 3")), "",
			[]string{`f.yaml:8: template "t", step "a": unknown key "max_attemps" in steps[0].retry (known: backoff, backoff_base_ms, limit, max_attempts, max_backoff_ms, retryable)`}},
		{"unknown temporal key", doc(nil, step("a", "    temporal:", "      queue: q")), "",
			[]string{`f.yaml:8: template "t", step "a": unknown key "queue" in steps[0].temporal (known: heartbeat, local, start_to_close, task_queue)`}},
		{"unknown Rails key", y("name: r", "step_templates:", "  - name: a", "    handler_class: A", "    depends_on: b"), "",
			[]string{`f.yaml:5: template "r", step "a": unknown key "depends_on" (known: custom_events, default_retry_limit, default_retryable, dependent_system, depends_on_step, depends_on_steps, description, handler_class, handler_config, name, skippable, temporal)`}},
		{"steps not a list", y("name: t", "steps:", "  a: 1"), "", []string{`f.yaml:3: template "t": steps must be a list`}},
		{"both formats", y("name: t", "steps: []", "step_templates: []"), "", []string{`f.yaml:1: template "t": both steps (tasker-core format) and step_templates (Rails format): use one`}},
		{"duplicate step", doc(nil, step("a"), step("b"), step("a")), "",
			[]string{`f.yaml:9: template "t", step "a": duplicate step (first defined as step #1 at line 5)`}},
		{"unknown dependency", doc(nil, step("a"), step("b", "    dependencies:", "      - a", "      - c")), "",
			[]string{`f.yaml:11: template "t", step "b": depends on unknown step "c" (steps: a, b)`}},
		{"cycle", doc(nil, step("a", "    dependencies: [b]"), step("b", "    dependencies: [a]")), "",
			[]string{`f.yaml:5: template "t", step "a": dependency cycle a → b → a`}},
		{"self dependency", doc(nil, step("a", "    dependencies: [a]")), "",
			[]string{`f.yaml:5: template "t", step "a": dependency cycle a → a`}},
		{"no callable", doc(nil, []string{"  - name: a"}), "",
			[]string{`f.yaml:5: template "t", step "a": no handler callable (handler.callable or handler_class)`}},
		{"zero attempts", doc(nil, step("a", "    retry:", "      max_attempts: 0")), "",
			nil}, // 0 means the default: valid
		{"negative attempts", doc(nil, step("a", "    retry:", "      max_attempts: -2")), "",
			[]string{`f.yaml:8: template "t", step "a": invalid retry: max_attempts (or limit, default_retry_limit) is -2, must be at least 1`}},
		{"limit and max_attempts disagree", doc(nil, step("a", "    retry:", "      max_attempts: 2", "      limit: 3")), "",
			[]string{`f.yaml:5: template "t", step "a": retry.limit (3) and retry.max_attempts (2) disagree: limit is an alias, use one`}},
		{"unknown backoff", doc(nil, step("a", "    retry:", "      backoff: quadratic")), "",
			[]string{`f.yaml:8: template "t", step "a": invalid retry: unknown backoff "quadratic" (want none, linear, exponential or fibonacci)`}},
		{"negative backoff", doc(nil, step("a", "    retry:", "      backoff_base_ms: -1")), "",
			[]string{`f.yaml:8: template "t", step "a": invalid retry: backoff_base_ms and max_backoff_ms must not be negative`}},
		{"retry limit not a number", doc(nil, step("a", "    retry:", "      max_attempts: three")), "",
			[]string{"f.yaml:8: template \"t\": cannot unmarshal !!str `three` into int"}},
		{"negative timeout", doc(nil, step("a", "    timeout_seconds: -5")), "",
			[]string{`f.yaml:5: template "t", step "a": invalid timeout_seconds -5s: must not be negative`}},
		{"bad duration", doc(nil, step("a", "    temporal:", "      start_to_close: soon")), "",
			[]string{`f.yaml:8: template "t": invalid duration "soon": want a Go duration like "30s" or integer seconds`}},
		{"negative duration", doc(nil, step("a", "    temporal:", "      heartbeat: -3s")), "",
			[]string{`f.yaml:8: template "t": invalid duration "-3s": must not be negative`}},
		{"local step that heartbeats", doc(nil, step("a", "    temporal:", "      local: true", "      heartbeat: 5s")), "",
			[]string{`f.yaml:5: template "t", step "a": temporal.local and temporal.heartbeat together: a local step runs as a local activity, which cannot heartbeat`}},
		{"local step on a queue", doc(nil, step("a", "    temporal: {local: true, task_queue: q}")), "",
			[]string{`f.yaml:5: template "t", step "a": temporal.local and temporal.task_queue together: a local step runs on the orchestration worker, not on a step queue`}},
		{"local step", doc(nil, step("a", "    temporal: {local: true}")), "", nil},
		{"bad version", y("name: t", "version: one", "steps:", "  - name: a", "    handler: {callable: A}"), "",
			[]string{`f.yaml:1: template "t": version "one" is not a semantic version (e.g. 1.0.0): invalid semantic version`}},
		{"bad schema", doc([]string{"input_schema:", "  type: 12"}, step("a")), "",
			[]string{`f.yaml:1: template "t": invalid input_schema:`}},
		{"schema not a mapping", doc([]string{"input_schema: [1]"}, step("a")), "",
			[]string{`f.yaml:4: template "t": input_schema: a JSON Schema must be a mapping (or true/false)`}},
		{"override of an unknown step", doc([]string{"environments:", "  test:", "    steps:", "      - name: zz", "        timeout_seconds: 1"}, step("a")), "test",
			[]string{`f.yaml:7: template "t", step "zz": environments.test overrides unknown step "zz"`}},
		{"override of an unknown step in another env is ignored", doc([]string{"environments:", "  test:", "    steps:", "      - name: zz"}, step("a")), "prod",
			nil},
		{"several problems at once", doc(nil, []string{"  - name: a"}, step("b", "    retry: {backoff: nope}")), "",
			[]string{
				`f.yaml:5: template "t", step "a": no handler callable (handler.callable or handler_class)`,
				`f.yaml:8: template "t", step "b": invalid retry: unknown backoff "nope" (want none, linear, exponential or fibonacci)`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.yaml, "f.yaml", c.env)
			if c.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			got := Errors(err)
			require.Len(t, got, len(c.want), "errors: %v", err)
			for i, w := range c.want {
				require.True(t, strings.HasPrefix(got[i].Error(), w), "error %d\n got: %s\nwant: %s", i, got[i], w)
			}
			var e *Error
			require.True(t, errors.As(err, &e))
		})
	}
}

func TestLoadDirErrors(t *testing.T) {
	_, err := LoadDir("testdata/bad", "")
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, `testdata/bad/cycle.yaml:5: template "looping", step "a": dependency cycle a → b → c → a`)
	require.Contains(t, msg, `testdata/bad/typo.yaml:7: template "typo", step "a": unknown key "retries"`)

	_, err = LoadFile("testdata/nope.yaml", "")
	require.ErrorContains(t, err, "load template testdata/nope.yaml: open testdata/nope.yaml: no such file or directory")
	_, err = LoadDir("testdata/nope", "")
	require.ErrorContains(t, err, "load templates from testdata/nope")
}

func TestValidateInCode(t *testing.T) {
	tpl := &Template{Name: "code", Namespace: "ns", Version: "1.0.0", Steps: []Step{
		{Name: "a", Callable: "A", Retry: Retry{Retryable: true, MaxAttempts: 3, Backoff: BackoffNone}},
		{Name: "b", Callable: "B", Dependencies: []string{"x"}, Retry: Retry{Retryable: true, MaxAttempts: 3, Backoff: BackoffNone}},
	}}
	require.EqualError(t, tpl.Validate(), `template "code", step "b": depends on unknown step "x" (steps: a, b)`)
	tpl.Steps[1].Dependencies = nil
	tpl.Steps[1].Retry = Retry{Retryable: false, MaxAttempts: 2, Backoff: BackoffNone}
	require.EqualError(t, tpl.Validate(), `template "code", step "b": invalid retry: retryable is false but max_attempts is 2`)
	tpl.Steps[1].Retry.MaxAttempts = 1
	require.NoError(t, tpl.Validate())
	tpl.Namespace = ""
	require.EqualError(t, tpl.Validate(), `template "code": the template has no namespace_name`)
	require.EqualError(t, (&Template{Version: "1.0.0"}).Validate(), "the template has no name\nthe template has no namespace_name\nempty template: it has no steps")
}
