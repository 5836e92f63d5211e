package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/schemas"
)

// params are the probe parameters the kit sends and then expects back.
type params struct {
	retryAfterSeconds float64
	heartbeatTimeout  time.Duration
}

// probeRequest builds the step request of one probe. The context and dependency results carry
// nested snake_case keys so that a handler that rewrites keys is caught by the echo probe.
func probeRequest(probe Probe, p params) tasker.StepRequest {
	init := map[string]any{ProbeKey: string(probe)}
	switch probe {
	case FailRetryable:
		init["retry_after_seconds"] = p.retryAfterSeconds
	case Heartbeat:
		init["interval_ms"] = p.heartbeatTimeout.Milliseconds() / 4
		init["duration_ms"] = p.heartbeatTimeout.Milliseconds() * 3
	}
	return tasker.StepRequest{
		Task: tasker.TaskInfo{
			ID: 4242, Namespace: "tasker_conformance", Name: "conformance_probe", Version: "1.0.0",
			Context: json.RawMessage(`{"order_id":1001,"line_items":[{"sku":"SKU-1","unit_price":9.99,"quantity":2}],"customer":{"email_address":"probe@example.com"}}`),
		},
		Step: tasker.StepInfo{Name: "probe_" + string(probe), Attempt: 2, MaxAttempts: 3, Initialization: init},
		DependencyResults: map[string]json.RawMessage{
			"charge_card":  json.RawMessage(`{"charge_id":"ch_1001","amount_cents":1998}`),
			"skipped_step": json.RawMessage(`null`),
		},
	}
}

// judge returns the violations of one probe's outcome; sent is the request as the handler got it
// (with the probe workflow's IDs filled in).
func judge(probe Probe, sent tasker.StepRequest, out Outcome, p params) []string {
	switch probe {
	case Echo:
		return judgeEcho(sent, out)
	case FailRetryable:
		return judgeRetryable(out, p)
	case FailPermanent:
		return judgePermanent(out)
	case Heartbeat:
		return judgeHeartbeat(out, p)
	}
	return []string{fmt.Sprintf("unknown probe %q", probe)}
}

// stepResult decodes a successful outcome as a StepResult, reporting what breaks the contract.
func stepResult(out Outcome, what string) (map[string]json.RawMessage, []string) {
	if out.Error != nil {
		return nil, []string{fmt.Sprintf("the handler failed instead of %s: %s", what, describeFailure(out.Error))}
	}
	if out.Result == nil || out.Result.Encoding == "" || out.Result.Encoding == "binary/null" {
		return nil, []string{"the handler returned nothing (a null payload): return a StepResult object {\"results\": …, \"metadata\": {…}}"}
	}
	if out.Result.Encoding != "json/plain" {
		return nil, []string{fmt.Sprintf("the result is not JSON (payload encoding %q): return a StepResult object {\"results\": …, \"metadata\": {…}} with the JSON payload converter", out.Result.Encoding)}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(out.Result.Data, &obj); err != nil || obj == nil {
		return nil, []string{fmt.Sprintf("the result %s is not a StepResult object {\"results\": …, \"metadata\": {…}}", clip(out.Result.Data))}
	}
	var v []string
	for _, k := range sortedKeys(obj) {
		if k != "results" && k != "metadata" {
			v = append(v, fmt.Sprintf("result field %q is not in the contract: a StepResult has only \"results\" and \"metadata\"%s, and the workflow drops anything else", k, hint(k, "results", "metadata")))
		}
	}
	if err := schemas.Validate(schemas.StepResult, out.Result.Data); err != nil && len(v) == 0 {
		v = append(v, "the result "+err.Error())
	}
	return obj, v
}

func judgeEcho(sent tasker.StepRequest, out Outcome) []string {
	obj, v := stepResult(out, "echoing the request")
	if obj == nil {
		return v
	}
	echoed, ok := obj["results"]
	if !ok {
		return append(v, "results missing: the echo probe returns the StepRequest it received as results")
	}
	if renamed := renamedFields(echoed); len(renamed) > 0 {
		return append(v, renamed...)
	}
	if err := schemas.Validate(schemas.StepRequest, echoed); err != nil {
		return append(v, "the echoed request "+err.Error())
	}
	want, _ := json.Marshal(sent)
	for _, d := range diffJSON(want, echoed, 5) {
		v = append(v, "the echoed request differs from the one sent: "+d)
	}
	return v
}

// renamedFields names contract fields that came back under another spelling (camelCase).
func renamedFields(doc json.RawMessage) []string {
	var top map[string]json.RawMessage
	if json.Unmarshal(doc, &top) != nil {
		return nil
	}
	var v []string
	check := func(where string, obj map[string]json.RawMessage, fields ...string) {
		for _, k := range sortedKeys(obj) {
			for _, f := range fields {
				if k != f && normalize(k) == normalize(f) {
					v = append(v, fmt.Sprintf("field %q%s should be %q: field names are snake_case on the wire; do not map them to camelCase", k, where, f))
				}
			}
		}
	}
	check("", top, "task", "step", "dependency_results")
	var task, step map[string]json.RawMessage
	_ = json.Unmarshal(top["task"], &task)
	_ = json.Unmarshal(top["step"], &step)
	check(" in task", task, "id", "namespace", "name", "version", "context", "workflow_id", "run_id")
	check(" in step", step, "name", "attempt", "max_attempts", "initialization")
	return v
}

func judgeRetryable(out Outcome, p params) []string {
	f := out.Error
	switch {
	case f == nil:
		return []string{"the handler succeeded: a fail_retryable probe must fail with an application error of type RetryableError"}
	case f.Kind != KindApplication:
		return []string{"the handler did not fail with an application error: " + describeFailure(f)}
	}
	var v []string
	switch f.Type {
	case tasker.ErrorTypeRetryable:
	case tasker.ErrorTypePermanent, tasker.ErrorTypeNonRetryable:
		v = append(v, fmt.Sprintf("failed with type %s: a retryable failure must be type RetryableError (the workflow stops the step at once on %s)", f.Type, f.Type))
	default:
		v = append(v, fmt.Sprintf("%s is not in the contract: a retryable failure asking for a backoff must be type RetryableError", errorType(f)))
	}
	if f.NonRetryable {
		v = append(v, "the error is marked non-retryable: the workflow would stop the step instead of retrying it")
	}
	return append(v, retryAfterViolations(f, p.retryAfterSeconds)...)
}

func retryAfterViolations(f *FailureInfo, want float64) []string {
	var v []string
	if len(f.Details) == 0 {
		v = append(v, fmt.Sprintf("no details: a RetryableError asked to retry after %gs carries details [{\"retry_after_seconds\": %g}], else the workflow uses the template's backoff", want, want))
	} else {
		v = append(v, retryDetailViolations(f.Details[0], want)...)
	}
	if f.NextRetryDelay > 0 && f.NextRetryDelay != time.Duration(want*float64(time.Second)) {
		v = append(v, fmt.Sprintf("next_retry_delay %s disagrees with the requested retry_after_seconds %g", f.NextRetryDelay, want))
	}
	return v
}

func retryDetailViolations(d Payload, want float64) []string {
	if d.Encoding != "json/plain" {
		return []string{fmt.Sprintf("the first error detail is not JSON (payload encoding %q): send {\"retry_after_seconds\": %g}", d.Encoding, want)}
	}
	if err := schemas.Validate(schemas.StepErrorDetails, d.Data); err != nil {
		return []string{fmt.Sprintf("the first error detail %s %v", clip(d.Data), err)}
	}
	var got struct {
		RetryAfterSeconds float64 `json:"retry_after_seconds"`
	}
	_ = json.Unmarshal(d.Data, &got)
	if got.RetryAfterSeconds != want {
		return []string{fmt.Sprintf("retry_after_seconds is %g, the probe asked for %g", got.RetryAfterSeconds, want)}
	}
	return nil
}

func judgePermanent(out Outcome) []string {
	f := out.Error
	switch {
	case f == nil:
		return []string{"the handler succeeded: a fail_permanent probe must fail with a non-retryable application error of type PermanentError"}
	case f.Kind != KindApplication:
		return []string{"the handler did not fail with an application error: " + describeFailure(f)}
	}
	var v []string
	switch f.Type {
	case tasker.ErrorTypePermanent, tasker.ErrorTypeNonRetryable:
	case tasker.ErrorTypeRetryable:
		v = append(v, "failed with type RetryableError: a permanent failure must be type PermanentError (the workflow would retry the step)")
	default:
		if f.NonRetryable {
			v = append(v, fmt.Sprintf("%s is not in the contract: a permanent failure must be type PermanentError (it stops the step only because it is non-retryable, and Rails sees error_class %q)", errorType(f), f.Type))
		} else {
			v = append(v, fmt.Sprintf("%s is not in the contract: a permanent failure must be type PermanentError; as it is, the workflow would retry the step", errorType(f)))
		}
	}
	if !f.NonRetryable && (f.Type == tasker.ErrorTypePermanent || f.Type == tasker.ErrorTypeNonRetryable) {
		v = append(v, "the "+f.Type+" is not marked non-retryable: raise it with non_retryable = true")
	}
	return v
}

func judgeHeartbeat(out Outcome, p params) []string {
	if f := out.Error; f != nil && f.Kind == KindTimeout && strings.EqualFold(f.TimeoutType, "heartbeat") {
		return []string{fmt.Sprintf("no heartbeat within the %s heartbeat timeout: a step with temporal.heartbeat fails like this; heartbeat at least every interval_ms while working", p.heartbeatTimeout)}
	}
	obj, v := stepResult(out, "heartbeating until done")
	if obj == nil {
		return v
	}
	var res struct {
		Heartbeats *int `json:"heartbeats"`
	}
	if err := json.Unmarshal(obj["results"], &res); err != nil || res.Heartbeats == nil || *res.Heartbeats < 1 {
		v = append(v, fmt.Sprintf("results %s: the heartbeat probe returns {\"heartbeats\": n} with n ≥ 1", clip(obj["results"])))
	}
	return v
}

// notServed reports a failure that means the worker has no activity of that name.
func notServed(f *FailureInfo) bool {
	if f == nil || f.Kind != KindApplication {
		return false
	}
	return f.Type == "NotFoundError" || strings.Contains(f.Message, "unable to find activityType") ||
		strings.Contains(f.Message, "is not registered")
}

// errorType names a failure's application error type for a message.
func errorType(f *FailureInfo) string {
	if f.Type == "" {
		return "a plain error (no application error type)"
	}
	return fmt.Sprintf("error type %q", f.Type)
}

func describeFailure(f *FailureInfo) string {
	switch f.Kind {
	case KindApplication:
		return fmt.Sprintf("application error type %q (non_retryable=%t): %s", f.Type, f.NonRetryable, f.Message)
	case KindTimeout:
		return fmt.Sprintf("%s timeout: %s", f.TimeoutType, f.Message)
	}
	return f.Message
}

// diffJSON lists up to limit paths where got differs from want, as JSON values.
func diffJSON(want, got []byte, limit int) []string {
	var w, g any
	if err := decode(want, &w); err != nil {
		return []string{"cannot decode what was sent: " + err.Error()}
	}
	if err := decode(got, &g); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	var out []string
	walkDiff("", w, g, &out)
	if len(out) > limit {
		out = append(out[:limit], fmt.Sprintf("… and %d more differences", len(out)-limit))
	}
	return out
}

func decode(b []byte, v *any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

func walkDiff(path string, want, got any, out *[]string) {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok && gok {
		keys := map[string]bool{}
		for k := range wm {
			keys[k] = true
		}
		for k := range gm {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			wv, inW := wm[k]
			gv, inG := gm[k]
			switch {
			case !inG:
				*out = append(*out, fmt.Sprintf("%s/%s is missing (sent %s)", path, k, show(wv)))
			case !inW:
				*out = append(*out, fmt.Sprintf("%s/%s was not sent (got %s)", path, k, show(gv)))
			default:
				walkDiff(path+"/"+k, wv, gv, out)
			}
		}
		return
	}
	if !equalJSON(want, got) {
		where := path
		if where == "" {
			where = "(root)"
		}
		*out = append(*out, fmt.Sprintf("%s is %s, sent %s", where, show(got), show(want)))
	}
}

// equalJSON compares decoded JSON values; numbers compare by value (1 == 1.0).
func equalJSON(a, b any) bool {
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		af, aerr := an.Float64()
		bf, berr := bn.Float64()
		return aerr == nil && berr == nil && af == bf
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if !equalJSON(as[i], bs[i]) {
				return false
			}
		}
		return true
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		if len(am) != len(bm) {
			return false
		}
		for k, av := range am {
			bv, ok := bm[k]
			if !ok || !equalJSON(av, bv) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return clip(b)
}

func clip(b []byte) string {
	s := string(b)
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// normalize folds case and drops underscores: dependencyResults and dependency_results agree.
func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// hint suggests the contract field a stray field was probably meant to be.
func hint(k string, fields ...string) string {
	for _, f := range fields {
		if normalize(k) == normalize(f) || normalize(k)+"s" == normalize(f) {
			return fmt.Sprintf(" (did you mean %q?)", f)
		}
	}
	return ""
}
