package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
	"github.com/tasker-systems/tasker-temporal/worker"
)

func TestMain(m *testing.M) { testsuite.Main(m) }

var stdoutMu sync.Mutex

// run runs the CLI in process with args and returns what it printed on stdout and its exit code
// and error message.
func run(t *testing.T, args ...string) (string, int, string) {
	t.Helper()
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	old := os.Stdout
	os.Stdout = w
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&out, r); close(done) }()
	root := newRoot()
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmdErr := root.ExecuteContext(ctx)
	os.Stdout = old
	require.NoError(t, w.Close())
	<-done
	msg := ""
	if cmdErr != nil {
		msg = cmdErr.Error()
	}
	return out.String(), exitCode(cmdErr), msg
}

// TestUsageErrors is the CLI's bad-argument table: each is refused before any call to Temporal,
// with exit code 2 and a message naming the flag or argument.
func TestUsageErrors(t *testing.T) {
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1") // nothing listens: a call would fail with 1, not 2
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"list --status bogus", []string{"list", "--status", "bogus"}, `--status "bogus": want one of pending, in_progress, complete, error, cancelled, resolved_manually`},
		{"list --limit 0", []string{"list", "--limit", "0"}, "--limit 0: must be at least 1"},
		{"list --limit not a number", []string{"list", "--limit", "ten"}, `invalid argument "ten"`},
		{"retry --attempts 0", []string{"retry", "wf", "s", "--attempts", "0"}, "--attempts 0: must be at least 1"},
		{"retry --attempts -3", []string{"retry", "wf", "s", "--attempts", "-3"}, "--attempts -3: must be at least 1"},
		{"retry without a step", []string{"retry", "wf"}, "accepts 2 arg(s), received 1"},
		{"status without an ID", []string{"status"}, "accepts 1 arg(s), received 0"},
		{"unknown flag", []string{"list", "--bogus"}, "unknown flag: --bogus"},
		{"-o xml", []string{"list", "-o", "xml"}, `-o "xml": want one of table, wide, json, yaml`},
		{"--json and -o yaml", []string{"list", "--json", "-o", "yaml"}, "--json and -o yaml disagree"},
		{"bad template reference", []string{"start", "diamond"}, "want NAMESPACE/NAME[@VERSION]"},
		{"context not JSON", []string{"start", "examples/diamond", "--context", "{"}, "the task context must be a JSON object"},
		{"reason over 128", []string{"start", "examples/diamond", "--reason", strings.Repeat("r", 129)}, "--reason: 129 characters, over the limit of 128"},
		{"initiator over 128", []string{"start", "examples/diamond", "--initiator", strings.Repeat("i", 200)}, "--initiator: 200 characters, over the limit of 128"},
		{"NUL in the context", []string{"start", "examples/diamond", "--context", `{"a": "x\u0000"}`}, `--context.a: contains a NUL character: PostgreSQL cannot store the NUL character (\u0000) in text or jsonb: remove it, or escape it yourself`},
		{"namespace over 64", []string{"start", strings.Repeat("n", 65) + "/t"}, "namespace: 65 characters, over the limit of 64"},
		{"version over 16", []string{"start", "examples/diamond@1.0.0-alpha.beta.gamma"}, "version: 22 characters, over the limit of 16"},
		{"resolve --results not JSON", []string{"resolve", "wf", "s", "--results", "{"}, "--results: not valid JSON"},
		{"events without --follow", []string{"events"}, "only --follow is supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, code, msg := run(t, tc.args...)
			assert.Equal(t, exitUsage, code, msg)
			assert.Contains(t, msg, tc.want)
			assert.NotContains(t, msg, "\n", "one line")
		})
	}
}

func TestVersion(t *testing.T) {
	out, code, _ := run(t, "--version")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "tasker version ")
	assert.Contains(t, out, "go1.")
}

func TestIsTransient(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{serviceerror.NewUnavailable("connection refused"), true},
		{fmt.Errorf("start task a/b: %w", serviceerror.NewDeadlineExceeded("context deadline exceeded")), true},
		{serviceerror.NewCanceled("RST_STREAM CANCEL"), true},
		{serviceerror.NewResourceExhausted(0, "busy"), true},
		{fmt.Errorf("start: %w", context.DeadlineExceeded), true},
		{serviceerror.NewInvalidArgument("bad"), false},
		{serviceerror.NewNotFound("no"), false},
		{errors.New("template not found"), false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, isTransient(tc.err), "%v", tc.err)
	}
}

// cliEnv runs a worker for two templates on the shared Temporal server: one that completes and
// one whose only step always fails (one attempt), so its task is held in error.
func cliEnv(t *testing.T) (*tasktest.Env, *template.Template, *template.Template) {
	t.Setenv("TEMPORAL_ADDRESS", testsuite.Address(t))
	reg := activities.NewRegistry()
	reg.MustRegister("Cli::Ok", activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) { return map[string]int{"ok": 1}, nil }))
	reg.MustRegister("Cli::Fail", activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) { return nil, errors.New("always fails") }))
	parse := func(name, callable string) *template.Template {
		src := fmt.Sprintf("name: %s\nnamespace_name: cli_test\nversion: 1.0.0\nsteps:\n  - name: s\n    handler: {callable: %s}\n    retry: {max_attempts: 1}\n", name, callable)
		tmpl, err := template.Parse([]byte(src), name+".yaml", "")
		require.NoError(t, err)
		return tmpl
	}
	suffix := strings.ToLower(testsuite.UniqueName(t, "x")[len(testsuite.UniqueName(t, "x"))-8:])
	ok, fail := parse("ok_"+suffix, "Cli::Ok"), parse("fail_"+suffix, "Cli::Fail")
	env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{ok, fail}, Handlers: reg,
		Settings: worker.Settings{Hold: time.Hour}})
	return env, ok, fail
}

func startTask(t *testing.T, env *tasktest.Env, tmpl *template.Template) string {
	task, err := env.Client.StartTask(context.Background(), tasker.TaskRequest{Namespace: tmpl.Namespace, Name: tmpl.Name},
		client.StartOptions{WorkflowID: testsuite.UniqueName(t, "task")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = env.Client.CancelTask(context.Background(), task.WorkflowID, "test over") })
	return task.WorkflowID
}

// TestWaitAndOperate: wait returns on a held error (exit 3, with the commands that fix it),
// a cancelled task exits 4, an operation on a closed task says how it ended, and a complete
// task exits 0 in every output format.
func TestWaitAndOperate(t *testing.T) {
	env, ok, fail := cliEnv(t)

	id := startTask(t, env, fail)
	out, code, msg := run(t, "wait", id)
	assert.Equal(t, exitTaskError, code, msg)
	assert.Contains(t, out, "error")
	assert.Contains(t, msg, "task "+id+" is in error; fix it with one of:")
	assert.Contains(t, msg, "tasker retry "+id+" s")
	assert.Contains(t, msg, "tasker resolve "+id+" s")

	out, code, msg = run(t, "cancel", id)
	require.Equal(t, exitOK, code, msg)
	assert.Contains(t, out, "cancelled")
	_, code, msg = run(t, "wait", id)
	assert.Equal(t, exitCancelled, code, msg)
	_, code, msg = run(t, "retry", id, "s")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, msg, "task "+id+" is cancelled and closed: it cannot be retried any more")

	done := startTask(t, env, ok)
	for _, format := range []string{"table", "wide", "json", "yaml"} {
		out, code, msg = run(t, "wait", done, "-o", format)
		assert.Equal(t, exitOK, code, "%s: %s", format, msg)
		switch format {
		case "json":
			assert.Contains(t, out, `"status": "complete"`)
		case "yaml":
			assert.Contains(t, out, "status: complete")
		default:
			assert.Contains(t, out, "STEP")
		}
	}
	_, code, msg = run(t, "resolve", done, "s")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, msg, "is complete and closed")
}

// TestListHasAHeaderAndIsNewestFirst lists two tasks of one template.
func TestListHasAHeaderAndIsNewestFirst(t *testing.T) {
	env, ok, _ := cliEnv(t)
	first := startTask(t, env, ok)
	time.Sleep(1100 * time.Millisecond)
	second := startTask(t, env, ok)
	var out string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var code int
		out, code, _ = run(t, "list", "--name", ok.Name)
		require.Equal(t, exitOK, code)
		if strings.Contains(out, first) && strings.Contains(out, second) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	assert.True(t, strings.HasPrefix(lines[0], "WORKFLOW ID"), out)
	assert.True(t, strings.HasPrefix(lines[1], second), "newest first:\n%s", out)
	assert.True(t, strings.HasPrefix(lines[2], first), out)
}

// TestStartWithoutLocalTemplatesReportsTheWorkersRefusal: without local templates the start's
// Update-With-Start brings the worker's refusal back in one line instead of "started".
func TestStartWithoutLocalTemplatesReportsTheWorkersRefusal(t *testing.T) {
	env, ok, _ := cliEnv(t)
	bare := client.New(env.Temporal, client.Options{TaskQueue: env.TaskQueue}) // no local templates
	_, err := bare.StartTask(context.Background(), tasker.TaskRequest{Namespace: ok.Namespace, Name: ok.Name}, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "task")})
	require.NoError(t, err)
	_, err = bare.StartTask(context.Background(), tasker.TaskRequest{Namespace: "cli_test", Name: "no_such_template"}, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "task")})
	var notFound *client.TemplateNotFoundError
	require.ErrorAs(t, err, &notFound)
	assert.Contains(t, err.Error(), "no_such_template")
	assert.NotContains(t, err.Error(), "\n")
	assert.NotContains(t, err.Error(), "workflow execution error", "the worker's words, not the error chain")
}

// TestDagShowsTheTableAndTheMermaidGraph: `dag` prints the workflow's current details (a first
// line naming the step that needs an operator, then the table; no raw Mermaid block, which the
// Temporal UI cannot draw); `dag --mermaid` prints the flowchart from the workflow's query.
func TestDagShowsTheTableAndTheMermaidGraph(t *testing.T) {
	env, _, fail := cliEnv(t)
	id := startTask(t, env, fail)
	_, code, msg := run(t, "wait", id)
	require.Equal(t, exitTaskError, code, msg)

	out, code, msg := run(t, "dag", id)
	require.Equal(t, exitOK, code, msg)
	first, rest, _ := strings.Cut(out, "\n")
	assert.Contains(t, first, "needs an operator: step s out of attempts (1/1): always fails")
	assert.Contains(t, rest, "| # | step | state | attempts | level | depends on |")
	assert.NotContains(t, out, "```mermaid")

	out, code, msg = run(t, "dag", id, "--mermaid")
	require.Equal(t, exitOK, code, msg)
	assert.True(t, strings.HasPrefix(out, "flowchart TD\n"), out)
	assert.Contains(t, out, `s0["s<br/><small>error</small>"]`)
}
