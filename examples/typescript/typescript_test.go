package typescript_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
)

func TestMain(m *testing.M) { testsuite.Main(m) }

var (
	buildOnce sync.Once
	buildErr  error
)

// buildWorker compiles src/ into dist/ with the pinned tsc, once per test binary.
func buildWorker(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not installed: Node 20+ is needed for the TypeScript worker (see scripts/deps/20-node-native.sh)")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "@temporalio", "worker")); err != nil {
		t.Fatal("examples/typescript/node_modules is missing: run `make deps` (scripts/deps/20-node-native.sh runs npm ci)")
	}
	buildOnce.Do(func() {
		out, err := exec.Command("node", filepath.Join("node_modules", "typescript", "bin", "tsc"), "-p", ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("tsc: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// startWorker runs dist/<script> against the test's Temporal server, serving queue, until the
// test ends. Its output is shown when the test fails.
func startWorker(t *testing.T, script, queue string) {
	t.Helper()
	buildWorker(t)
	cmd := exec.Command("node", filepath.Join("dist", script))
	cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS="+testsuite.Address(t), "TASKER_TASK_QUEUE="+queue)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var logs syncBuffer
	cmd.Stderr = &logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node %s: %v", script, err)
	}
	exited := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			_, _ = fmt.Fprintln(&logs, sc.Text())
			if !signalled && strings.HasPrefix(sc.Text(), "ready task_queue=") {
				signalled = true
				close(ready)
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("TypeScript worker %s exited with %v after SIGTERM", script, err)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("TypeScript worker %s did not stop within 20s of SIGTERM", script)
		}
		if t.Failed() {
			t.Logf("TypeScript worker %s output:\n%s", script, logs.String())
		}
	})
	select {
	case <-ready:
	case err := <-exited:
		t.Fatalf("TypeScript worker %s exited before it was ready (%v):\n%s", script, err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("TypeScript worker %s not ready within 60s:\n%s", script, logs.String())
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*syncBuffer)(nil)

// transitions collects every transition the workflow records, by workflow ID.
type transitions struct {
	mu sync.Mutex
	by map[string][]tasker.Transition
}

func (r *transitions) PublishTransitions(_ context.Context, task activities.TaskMeta, ts []tasker.Transition) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.by == nil {
		r.by = map[string][]tasker.Transition{}
	}
	r.by[task.WorkflowID] = append(r.by[task.WorkflowID], ts...)
	return nil
}

func (r *transitions) step(workflowID, step, to string) []tasker.Transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []tasker.Transition
	for _, t := range r.by[workflowID] {
		if t.Entity == tasker.EntityStep && t.Step == step && t.To == to {
			out = append(out, t)
		}
	}
	return out
}

func loadTemplate(t *testing.T) *template.Template {
	t.Helper()
	tmpl, err := template.LoadFile(filepath.Join("templates", "order_fulfillment.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func orderContext(id int, country string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"order":{"order_id":%d,"country":%q,"items":[{"sku":"A","quantity":2,"unit_price":5},{"sku":"B","quantity":1,"unit_price":2.5}]}}`, id, country))
}

func results(t *testing.T, res tasker.TaskResult, step string) map[string]any {
	t.Helper()
	s, ok := res.Step(step)
	if !ok {
		t.Fatalf("no step %s in %+v", step, res)
	}
	var out map[string]any
	if err := json.Unmarshal(s.Results, &out); err != nil {
		t.Fatalf("step %s results %s: %v", step, s.Results, err)
	}
	return out
}

func wantResults(t *testing.T, res tasker.TaskResult, step, want string) {
	t.Helper()
	got := results(t, res, step)
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("step %s results %s, want %s", step, gb, wb)
	}
}

// TestOrderFulfillment runs the template's tasks with every step served by the TypeScript worker.
func TestOrderFulfillment(t *testing.T) {
	rec := &transitions{}
	env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{loadTemplate(t)}, Publisher: rec})
	startWorker(t, "worker.js", env.StepTaskQueue)

	t.Run("retryable failure honours retry_after_seconds", func(t *testing.T) {
		res := env.Run(t, tasker.TaskRequest{Namespace: "typescript_examples", Name: "order_fulfillment", Context: orderContext(101, "US")})
		if res.Status != tasker.StateComplete {
			t.Fatalf("task %s: status %s, want complete: %+v", res.WorkflowID, res.Status, res.Steps)
		}
		wantResults(t, res, "validate_order", `{"order_id":101,"total":12.5,"item_count":2}`)
		wantResults(t, res, "charge_card", `{"charge_id":"ch_101_2","amount":12.5,"attempts":2}`)
		wantResults(t, res, "ship_order", `{"tracking":"TRK-101","country":"US"}`)
		wantResults(t, res, "send_receipt", `{"charge_id":"ch_101_2","amount":12.5,"tracking":"TRK-101","sent":true}`)
		if s, _ := res.Step("charge_card"); s.Attempts != 2 {
			t.Errorf("charge_card attempts %d, want 2", s.Attempts)
		}
		errs := rec.step(res.WorkflowID, "charge_card", tasker.StateError)
		if len(errs) != 1 {
			t.Fatalf("charge_card error transitions: %+v, want 1", errs)
		}
		if errs[0].BackoffSeconds != 1 || errs[0].Metadata["error_class"] != tasker.ErrorTypeRetryable {
			t.Errorf("charge_card error transition: backoff %ds class %v, want 1s (the handler's retry_after_seconds, not the template's 60s) and RetryableError",
				errs[0].BackoffSeconds, errs[0].Metadata["error_class"])
		}
	})

	t.Run("permanent failure stops the step until resolved", func(t *testing.T) {
		ctx := context.Background()
		task, err := env.Client.StartTask(ctx, tasker.TaskRequest{Namespace: "typescript_examples", Name: "order_fulfillment", Context: orderContext(102, "FR")},
			client.StartOptions{WorkflowID: testsuite.UniqueName(t, "task")})
		if err != nil {
			t.Fatal(err)
		}
		ship := waitStep(t, env.Client, task.WorkflowID, "ship_order", tasker.StateError)
		if ship.Attempts != 1 || !strings.Contains(ship.LastError, "carrier does not ship to FR") {
			t.Fatalf("ship_order after a permanent failure: attempts %d, last error %q; want 1 attempt (of 3) and the handler's message", ship.Attempts, ship.LastError)
		}
		errs := rec.step(task.WorkflowID, "ship_order", tasker.StateError)
		if len(errs) != 1 || errs[0].Metadata["error_class"] != tasker.ErrorTypePermanent {
			t.Fatalf("ship_order error transitions %+v, want one PermanentError", errs)
		}
		if err := env.Client.ResolveStep(ctx, task.WorkflowID, "ship_order", json.RawMessage(`{"tracking":"MANUAL-7"}`), "shipped by hand"); err != nil {
			t.Fatal(err)
		}
		res, err := env.Client.WaitTask(ctx, task.WorkflowID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != tasker.StateComplete {
			t.Fatalf("task after resolve: status %s: %+v", res.Status, res.Steps)
		}
		if s, _ := res.Step("ship_order"); s.Status != tasker.StateResolvedManually {
			t.Errorf("ship_order status %s, want resolved_manually", s.Status)
		}
		wantResults(t, res, "send_receipt", `{"charge_id":"ch_102_2","amount":12.5,"tracking":"MANUAL-7","sent":true}`)
	})

	t.Run("invalid order fails validate_order permanently", func(t *testing.T) {
		ctx := context.Background()
		task, err := env.Client.StartTask(ctx, tasker.TaskRequest{Namespace: "typescript_examples", Name: "order_fulfillment",
			Context: json.RawMessage(`{"order":{"order_id":103,"country":"US","items":[]}}`)}, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "task")})
		if err != nil {
			t.Fatal(err)
		}
		s := waitStep(t, env.Client, task.WorkflowID, "validate_order", tasker.StateError)
		if s.Attempts != 1 || !strings.Contains(s.LastError, "order 103 has no items") {
			t.Fatalf("validate_order: attempts %d, last error %q", s.Attempts, s.LastError)
		}
		if err := env.Client.CancelTask(ctx, task.WorkflowID, "test done"); err != nil {
			t.Fatal(err)
		}
	})
}

// waitStep polls the task until the step reaches state.
func waitStep(t *testing.T, c *client.Client, workflowID, step, state string) tasker.StepStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := c.GetTask(context.Background(), workflowID)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := res.Step(step); ok && s.Status == state {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("step %s of %s did not reach %s within 60s: %+v", step, workflowID, state, res.Steps)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
