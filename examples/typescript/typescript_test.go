package typescript_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/examples/typescript/tsworker"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
)

func TestMain(m *testing.M) { testsuite.Main(m) }

// startWorker runs dist/<script> serving queue until the test ends (see tsworker.Start).
func startWorker(t *testing.T, script, queue string) { tsworker.Start(t, script, queue) }

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
	rec := &tasktest.Recorder{}
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
		errs := rec.Step(res.WorkflowID, "charge_card", tasker.StateError)
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
		errs := rec.Step(task.WorkflowID, "ship_order", tasker.StateError)
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
