package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/examples/handlers"
	"github.com/tasker-systems/tasker-temporal/httpapi"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
)

// browser starts headless Chromium for one test. It fails (never skips) when Chromium is missing:
// scripts/deps/40-chromium.sh installs it.
func browser(tb testing.TB) context.Context {
	tb.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		tb.Fatal("the console tests need headless Chromium: run scripts/deps/40-chromium.sh (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1400, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run runs browser actions with a deadline, failing the test with what it was doing.
func run(tb testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatalf("browser: %s: %v", what, err)
	}
}

// get runs one browser action that returns a value.
func get[T any](tb testing.TB, ctx context.Context, what string, action chromedp.Action[T]) T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		tb.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// screenshot saves the page into $TASKER_SCREENSHOTS (docs/images when refreshing the README's
// pictures); without it, nothing is written.
func screenshot(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	dir := os.Getenv("TASKER_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := get(tb, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	require.NoError(tb, os.WriteFile(filepath.Join(dir, name), png, 0o644))
}

func consoleURL(f fixture, workflowID string) string {
	if workflowID == "" {
		return f.url + "/console/"
	}
	return f.url + "/console/#/tasks/" + url.PathEscape(workflowID)
}

// useToken types a token into the console's token form and waits for the scope it grants.
func useToken(token, scope string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SetValue(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#scope[data-scope=%q]`, scope))),
	)
}

func nodeSel(step, status string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`#graph g.node[data-step=%q][data-status=%q]`, step, status))
}

func startTask(t *testing.T, c *client.Client, name, ctxJSON string) string {
	t.Helper()
	req := tasker.TaskRequest{Namespace: "examples", Name: name, Initiator: t.Name()}
	if ctxJSON != "" {
		req.Context = []byte(ctxJSON)
	}
	task, err := c.StartTask(t.Context(), req, client.StartOptions{WorkflowID: testsuite.UniqueName(t, name)})
	require.NoError(t, err)
	return task.WorkflowID
}

func TestConsoleListShowsAStartedTask(t *testing.T) {
	f := serve(t, newEnv(t), httpapi.Config{})
	id := startTask(t, f.env.Client, "diamond", `{"number": 2}`)
	ctx := browser(t)
	run(t, ctx, "list shows the task",
		chromedp.Navigate(consoleURL(f, "")+"#/?name=diamond"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr.row[data-id=%q]`, id))),
	)
	status := get(t, ctx, "the task's status", chromedp.Text(chromedp.CSS(fmt.Sprintf(`tr.row[data-id=%q] td.status`, id))))
	require.Contains(t, []string{"pending", "in_progress", "complete"}, strings.TrimSpace(status))
	screenshot(t, ctx, "console-list.png")

	run(t, ctx, "a row opens the task page",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr.row[data-id=%q]`, id))),
		chromedp.WaitVisible(nodeSel("d", "complete")),
	)
}

// gateTemplate is one step held open by a test until it releases the gate, then one after it.
const gateTemplate = `
name: gate
namespace_name: examples
version: 1.0.0
steps:
  - name: hold
    handler: {callable: Test::Gate}
  - name: after
    handler: {callable: Examples::Echo}
    dependencies: [hold]
`

func TestConsoleGraphFollowsTheTask(t *testing.T) {
	gate := make(chan struct{})
	tmpl, err := template.Parse([]byte(gateTemplate), "gate.yaml", "")
	require.NoError(t, err)
	reg := activities.NewRegistry()
	require.NoError(t, handlers.Register(reg))
	require.NoError(t, reg.Register("Test::Gate", activities.HandlerFunc(func(ctx context.Context, _ activities.StepContext) (any, error) {
		select {
		case <-gate:
			return map[string]bool{"released": true}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})))
	env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, Handlers: reg})
	f := serve(t, env, httpapi.Config{})
	id := startTask(t, env.Client, "gate", "")

	ctx := browser(t)
	run(t, ctx, "the held step shows in_progress and the next one pending",
		chromedp.Navigate(consoleURL(f, id)),
		chromedp.WaitVisible(nodeSel("hold", "in_progress")),
		chromedp.WaitVisible(nodeSel("after", "pending")),
	)
	close(gate)
	run(t, ctx, "both steps turn complete without a reload",
		chromedp.WaitVisible(nodeSel("hold", "complete")),
		chromedp.WaitVisible(nodeSel("after", "complete")),
		chromedp.WaitVisible(chromedp.CSS(`#task-status .badge.complete`)),
	)
	feed := get(t, ctx, "the event feed", chromedp.Text(chromedp.ID("feed")))
	require.Contains(t, feed, "hold: in_progress → complete", "the event feed shows the change")
}

func TestConsoleResolvesADoomedTask(t *testing.T) {
	f := serve(t, newEnv(t), withTokens())
	id := startTask(t, f.env.Client, "doomed", "")
	ctx := browser(t)
	run(t, ctx, "open the doomed task with a write token and select the failed step",
		chromedp.Navigate(consoleURL(f, id)),
		useToken(writeToken, "write"),
		chromedp.WaitVisible(nodeSel("charge", "error")),
		chromedp.Click(nodeSel("charge", "error")),
		chromedp.WaitVisible(chromedp.ID("last-error")),
	)
	lastErr := get(t, ctx, "the step's error", chromedp.Text(chromedp.ID("last-error")))
	require.Contains(t, lastErr, "card declined")
	run(t, ctx, "resolve it from the page, confirming",
		chromedp.WaitEnabled(chromedp.ID("resolve")),
		chromedp.SetValue(chromedp.ID("results"), `{"charged_by": "operator"}`),
		chromedp.Click(chromedp.ID("resolve")),
		chromedp.WaitVisible(chromedp.ID("confirm-yes")),
		chromedp.Click(chromedp.ID("confirm-yes")),
		chromedp.WaitVisible(nodeSel("charge", "resolved_manually")),
		chromedp.WaitVisible(nodeSel("notify", "complete")),
		chromedp.WaitVisible(chromedp.CSS(`#task-status .badge.complete`)),
	)
	res, err := f.env.Client.WaitTask(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, tasker.StateComplete, res.Status, "the task completed")
	charge, _ := res.Step("charge")
	require.JSONEq(t, `{"charged_by": "operator"}`, string(charge.Results))
	screenshot(t, ctx, "console-resolved.png")
}

func TestConsoleReadOnlyTokenCannotWrite(t *testing.T) {
	f := serve(t, newEnv(t), withTokens())
	id := startTask(t, f.env.Client, "doomed", "")
	ctx := browser(t)
	run(t, ctx, "a read-only token sees the task but no enabled write button",
		chromedp.Navigate(consoleURL(f, id)),
		useToken(readToken, "read"),
		chromedp.WaitVisible(nodeSel("charge", "error")),
		chromedp.Click(nodeSel("charge", "error")),
		chromedp.WaitVisible(chromedp.ID("readonly-note")),
	)
	note := get(t, ctx, "the read-only note", chromedp.Text(chromedp.ID("readonly-note")))
	for _, button := range []string{"retry", "resolve", "cancel"} {
		disabled := get(t, ctx, button+" disabled", chromedp.Evaluate[bool](`document.getElementById("`+button+`").disabled`))
		require.True(t, disabled, "the %s button is disabled", button)
	}
	require.Contains(t, note, "Read-only")
	res, err := f.env.Client.GetTask(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, tasker.StateError, res.Status, "nothing changed the task")
}

func TestConsoleCollapsesAFanOut(t *testing.T) {
	f := serve(t, newEnv(t), httpapi.Config{})
	id := startTask(t, f.env.Client, "wide", `{"sleep_ms": 1500}`)
	ctx := browser(t)
	run(t, ctx, "the 200 fan steps are drawn as one node per state",
		chromedp.Navigate(consoleURL(f, id)),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.node.group`)),
		chromedp.WaitVisible(nodeSel("start", "complete")),
	)
	groups := get(t, ctx, "group nodes", chromedp.Evaluate[int](`document.querySelectorAll("#graph g.node.group").length`))
	require.GreaterOrEqual(t, groups, 1)
	require.LessOrEqual(t, groups, 6)
	screenshot(t, ctx, "console-wide-running.png")
	run(t, ctx, "searching a fan step expands its level and marks it",
		chromedp.SendKeys(chromedp.ID("search"), "fan_150"),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.node.match[data-step="fan_150"]`)),
	)
	fans := get(t, ctx, "fan nodes", chromedp.Evaluate[int](`document.querySelectorAll("#graph g.node[data-step^=fan_]").length`))
	require.Equal(t, 200, fans)
}
