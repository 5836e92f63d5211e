package template_test

import (
	"encoding/json"
	"fmt"

	"github.com/tasker-systems/tasker-temporal/template"
)

func ExampleParse() {
	yaml := []byte(`
name: welcome_email
namespace_name: notifications
version: 1.0.0
temporal:
  task_queue: notifications
steps:
  - name: render
    handler: {callable: Notifications::Render}
  - name: send
    handler: {callable: Notifications::Send}
    dependencies: [render]
    retry: {max_attempts: 5, backoff: fibonacci}
    temporal: {start_to_close: 30s, task_queue: smtp}
environments:
  test:
    steps:
      - name: send
        retry: {max_attempts: 1}
`)
	t, err := template.Parse(yaml, "welcome_email.yaml", "test")
	if err != nil {
		fmt.Println(err)
		return
	}
	send, _ := t.Step("send")
	fmt.Println(t.Key(), send.Retry.MaxAttempts, send.Retry.Backoff, send.Temporal.StartToClose, t.StepTaskQueue(send))
	render, _ := t.Step("render")
	fmt.Println(t.StepTaskQueue(render))
	// Output:
	// notifications/welcome_email@1.0.0 1 fibonacci 30s smtp
	// notifications
}

func ExampleParse_errors() {
	_, err := template.Parse([]byte(`
name: broken
steps:
  - name: a
    handler: {callable: A}
    dependencies: [b]
  - name: b
    handler: {callable: B}
    dependencies: [a]
    retires: 3
`), "broken.yaml", "")
	fmt.Println(err)
	// Output: broken.yaml:10: template "broken", step "b": unknown key "retires" (known: batch_config, dependencies, description, handler, lifecycle, name, publishes_events, retry, skippable, step_type, system_dependency, temporal, timeout_seconds, type)
}

func ExampleTemplate_ValidateContext() {
	t, _ := template.Parse([]byte(`
name: charge
input_schema:
  type: object
  required: [amount]
  properties:
    amount: {type: number, minimum: 0}
steps:
  - name: charge
    handler: {callable: Charge}
`), "charge.yaml", "")
	fmt.Println(t.ValidateContext(json.RawMessage(`{"amount": 12.5}`)))
	fmt.Println(t.ValidateContext(json.RawMessage(`{"amount": -1}`)))
	// Output:
	// <nil>
	// context does not match the input schema of default/charge@0.1.0: /amount: minimum: got -1, want 0
}

func ExampleRegistry_Get() {
	r, err := template.LoadRegistry([]string{"testdata/templates"}, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	latest, _ := r.Get("payments", "process_refund", "")
	fmt.Println(latest.Key())
	_, err = r.Get("payments", "process_refund", "9.9.9")
	fmt.Println(err)
	// Output:
	// payments/process_refund@2.1.0
	// template not found: payments/process_refund@9.9.9 (registered versions: 1.9.0, 1.10.0, 2.1.0)
}
