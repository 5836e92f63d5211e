package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
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

// BenchmarkStartWait is one 4-step task (diamond) started and waited for: through the REST API
// (POST /tasks, then GET /tasks/{id}?wait=) against the Go client (base_client) on the same
// workers.
func BenchmarkStartWait(b *testing.B) {
	f := serve(b, newEnv(b), httpapi.Config{Open: true})
	n := 0
	next := func() string {
		n++
		return fmt.Sprintf(`{"number": %d, "run": %q}`, n, testsuite.UniqueName(b, "sw"))
	}
	b.Run("base_client", func(b *testing.B) {
		for b.Loop() {
			task, err := f.env.Client.StartTask(context.Background(), tasker.TaskRequest{Namespace: "examples", Name: "diamond", Context: json.RawMessage(next())}, client.StartOptions{})
			require.NoError(b, err)
			res, err := f.env.Client.WaitTask(context.Background(), task.WorkflowID)
			require.NoError(b, err)
			require.Equal(b, tasker.StateComplete, res.Status)
		}
	})
	b.Run("rest", func(b *testing.B) {
		for b.Loop() {
			resp, err := http.Post(f.url+"/tasks", "application/json", strings.NewReader(`{"namespace": "examples", "name": "diamond", "context": `+next()+`}`))
			require.NoError(b, err)
			var created struct {
				Task struct {
					WorkflowID string `json:"workflow_id"`
				} `json:"task"`
			}
			require.NoError(b, json.NewDecoder(resp.Body).Decode(&created))
			resp.Body.Close()
			resp, err = http.Get(f.url + "/tasks/" + url.PathEscape(created.Task.WorkflowID) + "?wait=30s")
			require.NoError(b, err)
			var got struct {
				Task struct {
					Status string `json:"status"`
				} `json:"task"`
			}
			require.NoError(b, json.NewDecoder(resp.Body).Decode(&got))
			resp.Body.Close()
			require.Equal(b, tasker.StateComplete, got.Task.Status)
		}
	})
}

// BenchmarkListFirstPage reads GET /tasks?limit=50 with at least TASKER_BENCH_LIST_TASKS (default
// 10,000) tasks in the namespace, and reports its P50. The tasks it starts go to a queue no
// worker polls, so they cost visibility rows only.
func BenchmarkListFirstPage(b *testing.B) {
	want := 10000
	if v := os.Getenv("TASKER_BENCH_LIST_TASKS"); v != "" {
		var err error
		want, err = strconv.Atoi(v)
		require.NoError(b, err, "TASKER_BENCH_LIST_TASKS")
	}
	env := newEnv(b)
	idle := client.New(env.Temporal, client.Options{TaskQueue: testsuite.UniqueName(b, "idle"), Templates: env.Templates})
	prefix := testsuite.UniqueName(b, "list")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < want; i += 16 {
				_, err := idle.StartTask(context.Background(), tasker.TaskRequest{Namespace: "examples", Name: "diamond", Context: json.RawMessage(`{"number": 1}`)},
					client.StartOptions{WorkflowID: fmt.Sprintf("%s-%05d", prefix, i)})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	require.NoError(b, <-errs)
	f := serve(b, env, httpapi.Config{})
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		resp, err := http.Get(f.url + "/tasks?limit=50")
		require.NoError(b, err)
		var page struct {
			Tasks []json.RawMessage `json:"tasks"`
		}
		require.NoError(b, json.NewDecoder(resp.Body).Decode(&page))
		resp.Body.Close()
		require.Len(b, page.Tasks, 50)
		took = append(took, time.Since(start))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(want), "tasks")
}

// wideTemplate is one step, n-2 steps after it, and one step after all of them.
func wideTemplate(n int) string {
	var sb strings.Builder
	sb.WriteString("name: wide_bench\nnamespace_name: examples\nversion: 1.0.0\nsteps:\n  - name: start\n    handler: {callable: Examples::Echo}\n")
	fans := make([]string, 0, n-2)
	for i := range n - 2 {
		name := fmt.Sprintf("fan_%04d", i)
		fans = append(fans, name)
		fmt.Fprintf(&sb, "  - name: %s\n    handler: {callable: Examples::Echo}\n    dependencies: [start]\n", name)
	}
	fmt.Fprintf(&sb, "  - name: end\n    handler: {callable: Examples::Echo}\n    dependencies: [%s]\n", strings.Join(fans, ", "))
	return sb.String()
}

// BenchmarkConsoleTaskPage1000 opens the console's page of a 1,000-step task in headless Chromium
// until the graph is drawn, and reports the time as render_ms (target: under 1,000).
func BenchmarkConsoleTaskPage1000(b *testing.B) {
	tmpl, err := template.Parse([]byte(wideTemplate(1000)), "wide_bench.yaml", "")
	require.NoError(b, err)
	reg := activities.NewRegistry()
	require.NoError(b, handlers.Register(reg))
	env := tasktest.NewEnv(b, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, Handlers: reg})
	f := serve(b, env, httpapi.Config{})
	task, err := env.Client.StartTask(context.Background(), tasker.TaskRequest{Namespace: "examples", Name: "wide_bench"}, client.StartOptions{WorkflowID: testsuite.UniqueName(b, "page")})
	require.NoError(b, err)
	_, err = env.Client.WaitTask(context.Background(), task.WorkflowID)
	require.NoError(b, err)

	ctx := browser(b)
	page := consoleURL(f, task.WorkflowID)
	var total time.Duration
	loops := 0
	b.ResetTimer()
	for b.Loop() {
		loops++
		start := time.Now()
		run(b, ctx, "open the page until the graph is drawn",
			chromedp.Navigate("about:blank"),
			chromedp.Navigate(page),
			chromedp.WaitVisible(chromedp.CSS(`body[data-graph-ready]`)),
		)
		total += time.Since(start)
	}
	nodes := get(b, ctx, "nodes drawn", chromedp.Evaluate[string](`document.body.dataset.graphReady`))
	require.NotEqual(b, "0", nodes)
	b.ReportMetric(float64(total.Milliseconds())/float64(loops), "render_ms")
}
