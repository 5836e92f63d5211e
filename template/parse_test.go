package template

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseCoreFormat(t *testing.T) {
	tpl, err := LoadFile("testdata/templates/order_fulfillment.yaml", "")
	require.NoError(t, err)
	require.Equal(t, "order_fulfillment", tpl.Name)
	require.Equal(t, "ecommerce", tpl.Namespace)
	require.Equal(t, "1.2.0", tpl.Version)
	require.Equal(t, "ecommerce/order_fulfillment@1.2.0", tpl.Key())
	require.Equal(t, "shop", tpl.DefaultDependentSystem)
	require.Equal(t, "testdata/templates/order_fulfillment.yaml", tpl.Source)
	require.Equal(t, []string{"validate_order", "reserve_inventory", "process_payment", "ship_order"}, tpl.StepNames())
	require.JSONEq(t, `{"type":"object","required":["order_id","customer"],"properties":{
		"order_id":{"type":"integer","minimum":1},
		"customer":{"type":"object","required":["email"],"properties":{"email":{"type":"string"}}},
		"items":{"type":"array","items":{"type":"object","required":["sku","quantity"],
			"properties":{"sku":{"type":"string"},"quantity":{"type":"integer","minimum":1}}}}}}`, string(tpl.InputSchema))

	v := tpl.Steps[0]
	require.Equal(t, "Ecommerce::ValidateOrderHandler", v.Callable)
	require.Equal(t, map[string]any{"strict": true, "limits": map[string]any{"max_items": 50}}, v.Initialization)
	require.Empty(t, v.Dependencies)
	require.Equal(t, Retry{Retryable: true, MaxAttempts: 2, Backoff: BackoffLinear, BackoffBase: 500 * time.Millisecond, MaxBackoff: 5 * time.Second}, v.Retry)
	require.Equal(t, 30*time.Second, v.Timeout)
	require.Equal(t, "shop", v.DependentSystem)

	r := tpl.Steps[1]
	require.Equal(t, Retry{Retryable: true, MaxAttempts: 5, Backoff: BackoffExponential, BackoffBase: time.Second, MaxBackoff: 30 * time.Second}, r.Retry, "retry.limit is max_attempts")
	require.Equal(t, StepTemporal{TaskQueue: "warehouse-steps", StartToClose: 2 * time.Minute, Heartbeat: 15 * time.Second}, r.Temporal)
	require.Equal(t, "warehouse", r.DependentSystem)
	require.Equal(t, "warehouse-steps", tpl.StepTaskQueue(&r))

	p := tpl.Steps[2]
	require.Equal(t, Retry{Retryable: false, MaxAttempts: 1, Backoff: BackoffExponential, BackoffBase: time.Second, MaxBackoff: 30 * time.Second}, p.Retry, "retryable: false = one attempt")
	require.Equal(t, "ecommerce-steps", tpl.StepTaskQueue(&p), "the template's queue")

	s := tpl.Steps[3]
	require.Equal(t, []string{"reserve_inventory", "process_payment"}, s.Dependencies)
	require.Equal(t, DefaultMaxAttempts, s.Retry.MaxAttempts)
}

func TestParseEnvironments(t *testing.T) {
	tpl, err := LoadFile("testdata/templates/order_fulfillment.yaml", "test")
	require.NoError(t, err)
	v := tpl.Steps[0]
	require.Equal(t, map[string]any{"strict": true, "limits": map[string]any{"max_items": 5}}, v.Initialization, "deep merge")
	require.Equal(t, 5*time.Second, v.Timeout)
	require.Equal(t, 1, v.Retry.MaxAttempts)
	require.Equal(t, BackoffLinear, v.Retry.Backoff, "fields the override does not set stay")
	r := tpl.Steps[1]
	require.Equal(t, StepTemporal{TaskQueue: "warehouse-steps", StartToClose: 10 * time.Second, Heartbeat: 15 * time.Second}, r.Temporal)
	require.Equal(t, "ecommerce-test", tpl.Temporal.TaskQueue)

	// Null overrides change nothing; an environment that is not in the file changes nothing.
	for _, env := range []string{"production", "staging"} {
		tpl, err := LoadFile("testdata/templates/order_fulfillment.yaml", env)
		require.NoError(t, err)
		base, _ := LoadFile("testdata/templates/order_fulfillment.yaml", "")
		require.Equal(t, base, tpl, env)
	}
}

func TestParseRailsFormat(t *testing.T) {
	tpl, err := LoadFile("testdata/templates/payments/process_refund.yaml", "")
	require.NoError(t, err)
	require.Equal(t, "payments/process_refund@2.1.0", tpl.Key())
	require.Equal(t, "Payments::ProcessRefundHandler", tpl.TaskHandlerClass, "module_namespace prefixes the class")
	require.Equal(t, "payment_gateway", tpl.DefaultDependentSystem)
	require.Contains(t, string(tpl.InputSchema), `"required":["payment_id","refund_amount"]`)

	byName := map[string]Step{}
	for _, s := range tpl.Steps {
		byName[s.Name] = s
	}
	refund := byName["refund"]
	require.Equal(t, "Payments::RefundHandler", refund.Callable)
	require.Equal(t, []string{"validate_eligibility"}, refund.Dependencies)
	require.Equal(t, 2, refund.Retry.MaxAttempts)
	require.True(t, refund.Retry.Retryable)
	require.Equal(t, map[string]any{"url": "https://gateway.example.com/refunds", "timeout_seconds": 20}, refund.Initialization)
	require.Equal(t, 45*time.Second, refund.Temporal.StartToClose)
	require.Equal(t, "payment_gateway", refund.DependentSystem)
	require.Equal(t, "tasker-payments", tpl.StepTaskQueue(&refund))

	records := byName["update_records"]
	require.True(t, records.Skippable)
	require.Equal(t, "ledger", records.DependentSystem)
	require.Equal(t, 3, records.Retry.MaxAttempts, "Rails default_retry_limit 3")

	notify := byName["notify_customer"]
	require.Equal(t, []string{"refund", "update_records"}, notify.Dependencies, "depends_on_step + depends_on_steps, deduplicated")
	require.Equal(t, 1, notify.Retry.MaxAttempts, "default_retryable: false = one attempt")

	dev, err := LoadFile("testdata/templates/payments/process_refund.yaml", "development")
	require.NoError(t, err)
	d, _ := dev.Step("refund")
	require.Equal(t, map[string]any{"url": "http://localhost:3000/refunds", "timeout_seconds": 20}, d.Initialization)
	require.Equal(t, 1, d.Retry.MaxAttempts)
}

func TestParseDefaults(t *testing.T) {
	tpl, err := Parse([]byte("name: minimal\nsteps:\n  - name: only\n    handler: {callable: Only}\n"), "minimal.yaml", "")
	require.NoError(t, err)
	require.Equal(t, "0.1.0", tpl.Version)
	require.Equal(t, "default", tpl.Namespace)
	s := tpl.Steps[0]
	require.Equal(t, Retry{Retryable: true, MaxAttempts: 3, Backoff: "exponential", BackoffBase: time.Second, MaxBackoff: 30 * time.Second}, s.Retry)
	require.Equal(t, "default", s.DependentSystem)
	require.Equal(t, "tasker-default", tpl.StepTaskQueue(&s))
	require.Equal(t, "tasker-default", tpl.StepTaskQueue(nil))
}

func TestTemplateJSONRoundTrip(t *testing.T) {
	for _, f := range []string{"testdata/templates/order_fulfillment.yaml", "testdata/templates/payments/process_refund.yaml"} {
		tpl, err := LoadFile(f, "test")
		require.NoError(t, err)
		data, err := json.Marshal(tpl)
		require.NoError(t, err)
		var back Template
		require.NoError(t, json.Unmarshal(data, &back))
		data2, err := json.Marshal(&back)
		require.NoError(t, err)
		require.JSONEq(t, string(data), string(data2))
		require.NoError(t, back.Validate())
	}
}

func TestGraphAndBackoff(t *testing.T) {
	tpl, err := LoadFile("testdata/templates/order_fulfillment.yaml", "")
	require.NoError(t, err)
	g, err := tpl.Graph()
	require.NoError(t, err)
	require.Equal(t, len(tpl.Steps), g.Len())
	ship, _ := g.Index("ship_order")
	require.Equal(t, 2, g.Levels()[ship])
	pay, _ := g.Index("process_payment")
	require.False(t, g.Spec(pay).Retryable)
	require.Equal(t, 1, g.Spec(pay).MaxAttempts)

	b := tpl.Steps[0].BackoffPolicy()
	require.Equal(t, []time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond}, []time.Duration{b.Delay(1), b.Delay(2), b.Delay(3)})
	e := tpl.Steps[1].BackoffPolicy()
	require.Equal(t, 30*time.Second, e.Delay(10))
}

func TestValidateBypass(t *testing.T) {
	tpl, err := LoadFile("testdata/templates/order_fulfillment.yaml", "")
	require.NoError(t, err)
	require.NoError(t, tpl.ValidateBypass(nil))
	require.NoError(t, tpl.ValidateBypass([]string{"ship_order"}))
	err = tpl.ValidateBypass([]string{"ship_order", "gift_wrap", "nope"})
	require.EqualError(t, err, `template "order_fulfillment": bypass_steps names unknown step "gift_wrap", "nope" (steps: process_payment, reserve_inventory, ship_order, validate_order)`)
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	tpl, err := Parse(y(
		"name: anchors",
		"x-retry: &retry {max_attempts: 5}",
		"steps:",
		"  - name: a",
		"    handler: &h {callable: Same}",
		"    retry: *retry",
		"  - name: b",
		"    handler: *h",
		"    retry:",
		"      <<: *retry",
		"      backoff: linear",
	), "anchors.yaml", "")
	// x-retry is not a template key: anchors must live under known keys.
	require.ErrorContains(t, err, `anchors.yaml:2: template "anchors": unknown key "x-retry"`)
	require.Nil(t, tpl)

	tpl, err = Parse(y(
		"name: anchors",
		"steps:",
		"  - name: a",
		"    handler: &h {callable: Same}",
		"    retry: &retry {max_attempts: 5}",
		"  - name: b",
		"    handler: *h",
		"    retry:",
		"      <<: *retry",
		"      backoff: linear",
		"  - name: c",
		"    handler: *h",
		"    retry:",
		"      <<: {max_atempts: 2}",
	), "anchors.yaml", "")
	require.ErrorContains(t, err, `anchors.yaml:14: template "anchors", step "c": unknown key "max_atempts" in steps[2].retry`)
	require.Nil(t, tpl)
}

func TestAnchorsResolve(t *testing.T) {
	tpl, err := Parse(y(
		"name: anchors",
		"steps:",
		"  - name: a",
		"    handler: &h {callable: Same}",
		"    retry: &retry {max_attempts: 5}",
		"  - name: b",
		"    handler: *h",
		"    retry:",
		"      <<: *retry",
		"      backoff: linear",
	), "anchors.yaml", "")
	require.NoError(t, err)
	b, _ := tpl.Step("b")
	require.Equal(t, "Same", b.Callable)
	require.Equal(t, 5, b.Retry.MaxAttempts)
	require.Equal(t, BackoffLinear, b.Retry.Backoff)
}

func TestNormalizeInCode(t *testing.T) {
	tpl := &Template{Name: "code", Steps: []Step{
		{Name: "a", Callable: "A", Retry: Retry{Retryable: true}},
		{Name: "b", Callable: "B", Dependencies: []string{"a"}},
	}}
	require.Error(t, tpl.Validate(), "defaults missing")
	tpl.Normalize()
	require.NoError(t, tpl.Validate())
	require.Equal(t, "default/code@0.1.0", tpl.Key())
	require.Equal(t, Retry{Retryable: true, MaxAttempts: 3, Backoff: BackoffExponential, BackoffBase: time.Second, MaxBackoff: 30 * time.Second}, tpl.Steps[0].Retry)
	require.Equal(t, 1, tpl.Steps[1].Retry.MaxAttempts, "zero Retry = not retryable = one attempt")
}
