package conformance

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tasker-systems/tasker-temporal"
)

var testParams = params{retryAfterSeconds: 7, heartbeatTimeout: time.Second}

func sentRequest(probe Probe) tasker.StepRequest {
	r := probeRequest(probe, testParams)
	r.Task.WorkflowID, r.Task.RunID = "wf-1", "run-1"
	return r
}

func jsonResult(t *testing.T, v any) Outcome {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return Outcome{Result: &Payload{Encoding: "json/plain", Data: b}}
}

// camelize rewrites every object key of v to camelCase, as a careless JSON mapper does.
func camelize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			parts := strings.Split(k, "_")
			for i := 1; i < len(parts); i++ {
				if parts[i] != "" {
					parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
				}
			}
			out[strings.Join(parts, "")] = camelize(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = camelize(x[i])
		}
	}
	return v
}

func asAny(t *testing.T, v any) any {
	t.Helper()
	b, _ := json.Marshal(v)
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func retryDetail(secs float64) []Payload {
	b, _ := json.Marshal(map[string]float64{"retry_after_seconds": secs})
	return []Payload{{Encoding: "json/plain", Data: b}}
}

func TestJudge(t *testing.T) {
	echoReq := sentRequest(Echo)
	contextCamel := asAny(t, echoReq).(map[string]any)
	contextCamel["task"].(map[string]any)["context"] = camelize(contextCamel["task"].(map[string]any)["context"])
	dropped := asAny(t, echoReq).(map[string]any)
	delete(dropped["step"].(map[string]any), "initialization")

	tests := []struct {
		name  string
		probe Probe
		out   func(t *testing.T) Outcome
		want  []string // each must appear in one violation; none = must pass
	}{
		{"echo ok", Echo, func(t *testing.T) Outcome { return jsonResult(t, map[string]any{"results": echoReq}) }, nil},
		{"echo with metadata ok", Echo, func(t *testing.T) Outcome {
			return jsonResult(t, map[string]any{"results": echoReq, "metadata": map[string]any{"x": 1}})
		}, nil},
		{"echo camelCase", Echo, func(t *testing.T) Outcome {
			return jsonResult(t, map[string]any{"results": camelize(asAny(t, echoReq))})
		},
			[]string{`field "dependencyResults" should be "dependency_results"`, `field "workflowId" in task should be "workflow_id"`, `field "maxAttempts" in step should be "max_attempts"`}},
		{"echo camelCase nested in context", Echo, func(t *testing.T) Outcome { return jsonResult(t, map[string]any{"results": contextCamel}) },
			[]string{"/task/context/line_items is missing", "/task/context/lineItems was not sent"}},
		{"echo drops initialization", Echo, func(t *testing.T) Outcome { return jsonResult(t, map[string]any{"results": dropped}) },
			[]string{"/step/initialization is missing"}},
		{"result instead of results", Echo, func(t *testing.T) Outcome { return jsonResult(t, map[string]any{"result": echoReq}) },
			[]string{`result field "result" is not in the contract`, `did you mean "results"?`, "results missing"}},
		{"bare results", Echo, func(t *testing.T) Outcome { return jsonResult(t, echoReq) },
			[]string{`result field "dependency_results" is not in the contract`}},
		{"not JSON", Echo, func(*testing.T) Outcome {
			return Outcome{Result: &Payload{Encoding: "binary/plain", Data: []byte("hi")}}
		},
			[]string{`the result is not JSON (payload encoding "binary/plain")`}},
		{"null", Echo, func(*testing.T) Outcome { return Outcome{Result: &Payload{Encoding: "binary/null"}} },
			[]string{"the handler returned nothing"}},
		{"scalar", Echo, func(t *testing.T) Outcome { return jsonResult(t, "done") }, []string{`the result "done" is not a StepResult object`}},
		{"echo failed", Echo, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "TypeError", Message: "x is undefined"}}
		}, []string{`the handler failed instead of echoing the request: application error type "TypeError"`}},

		{"retryable ok", FailRetryable, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "RetryableError", Details: retryDetail(7), NextRetryDelay: 7 * time.Second}}
		}, nil},
		{"retryable without next delay ok", FailRetryable, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "RetryableError", Details: retryDetail(7)}}
		}, nil},
		{"retryable plain error", FailRetryable, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "Error", Message: "boom"}}
		}, []string{`error type "Error" is not in the contract`, "no details"}},
		{"retryable without details", FailRetryable, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "RetryableError"}}
		}, []string{`carries details [{"retry_after_seconds": 7}]`}},
		{"retryable wrong seconds", FailRetryable, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "RetryableError", Details: retryDetail(70), NextRetryDelay: 3 * time.Second}}
		}, []string{"retry_after_seconds is 70, the probe asked for 7", "next_retry_delay 3s disagrees"}},
		{"retryable camelCase details", FailRetryable, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "RetryableError", Details: []Payload{{Encoding: "json/plain", Data: []byte(`{"retryAfterSeconds":7}`)}}}}
		}, []string{`{"retryAfterSeconds":7} does not match step-error-details.schema.json: (root): missing property 'retry_after_seconds'`}},
		{"retryable marked non-retryable", FailRetryable, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "RetryableError", NonRetryable: true, Details: retryDetail(7)}}
		}, []string{"marked non-retryable"}},
		{"retryable succeeded", FailRetryable, func(t *testing.T) Outcome { return jsonResult(t, map[string]any{"results": 1}) },
			[]string{"the handler succeeded"}},
		{"retryable timed out", FailRetryable, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindTimeout, TimeoutType: "StartToClose", Message: "activity timeout"}}
		}, []string{"did not fail with an application error: StartToClose timeout"}},

		{"permanent ok", FailPermanent, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "PermanentError", NonRetryable: true}}
		}, nil},
		{"non_retryable ok", FailPermanent, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "non_retryable", NonRetryable: true}}
		}, nil},
		{"permanent as plain error", FailPermanent, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "Error", Message: "bad input"}}
		}, []string{`error type "Error" is not in the contract: a permanent failure must be type PermanentError; as it is, the workflow would retry the step`}},
		{"permanent not flagged", FailPermanent, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "PermanentError"}}
		}, []string{"not marked non-retryable"}},
		{"permanent as retryable", FailPermanent, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "RetryableError"}}
		}, []string{"failed with type RetryableError"}},
		{"other non-retryable type", FailPermanent, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindApplication, Type: "ValidationError", NonRetryable: true}}
		}, []string{`error type "ValidationError" is not in the contract`, "only because it is non-retryable"}},

		{"heartbeat ok", Heartbeat, func(t *testing.T) Outcome {
			return jsonResult(t, map[string]any{"results": map[string]int{"heartbeats": 12}})
		}, nil},
		{"heartbeat timeout", Heartbeat, func(*testing.T) Outcome {
			return Outcome{Error: &FailureInfo{Kind: KindTimeout, TimeoutType: "Heartbeat", Message: "activity Heartbeat timeout"}}
		}, []string{"no heartbeat within the 1s heartbeat timeout"}},
		{"heartbeat no count", Heartbeat, func(t *testing.T) Outcome {
			return jsonResult(t, map[string]any{"results": map[string]int{"beats": 3}})
		},
			[]string{`the heartbeat probe returns {"heartbeats": n}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := judge(tt.probe, sentRequest(tt.probe), tt.out(t), testParams)
			if len(tt.want) == 0 && len(got) > 0 {
				t.Fatalf("want no violations, got:\n%s", strings.Join(got, "\n"))
			}
			if len(tt.want) > 0 && len(got) == 0 {
				t.Fatalf("want violations %q, got none", tt.want)
			}
			for _, w := range tt.want {
				if !containsOne(got, w) {
					t.Errorf("no violation contains %q; got:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

func containsOne(vs []string, sub string) bool {
	for _, v := range vs {
		if strings.Contains(v, sub) {
			return true
		}
	}
	return false
}

func TestNotServed(t *testing.T) {
	tests := []struct {
		f    *FailureInfo
		want bool
	}{
		{&FailureInfo{Kind: KindApplication, Type: "NotFoundError", Message: "Activity function X is not registered on this Worker"}, true},
		{&FailureInfo{Kind: KindApplication, Type: "ActivityNotRegisteredError", Message: "unable to find activityType=X. Supported types: [Y]"}, true},
		{&FailureInfo{Kind: KindApplication, Type: "PermanentError"}, false},
		{&FailureInfo{Kind: KindTimeout}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := notServed(tt.f); got != tt.want {
			t.Errorf("notServed(%+v) = %t, want %t", tt.f, got, tt.want)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{Callable: "C"}, "the task queue to probe is required"},
		{Options{Queue: "q"}, "the callable to probe is required"},
		{Options{Queue: "q", Callable: "C", Probes: []Probe{"echo", "dance"}}, `unknown probe "dance" (have echo, fail_retryable, fail_permanent, heartbeat)`},
		{Options{Queue: "q", Callable: "C", Timeout: 2 * time.Second}, "timeout 2s is too short for the heartbeat probe"},
	}
	for _, tt := range tests {
		_, err := tt.opts.withDefaults()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("withDefaults(%+v) = %v, want an error containing %q", tt.opts, err, tt.want)
		}
	}
	o, err := Options{Queue: "q", Callable: "C"}.withDefaults()
	if err != nil || o.Timeout != DefaultTimeout || len(o.Probes) != 4 || !strings.HasPrefix(o.ProbeQueue, "tasker-conformance-") {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
}

func TestProbeRequestsMatchSchema(t *testing.T) {
	for _, p := range AllProbes() {
		r := sentRequest(p)
		if got := r.Step.Initialization[ProbeKey]; got != string(p) {
			t.Errorf("probe %s: initialization %v", p, r.Step.Initialization)
		}
		b, _ := json.Marshal(r)
		if v := judgeEcho(r, Outcome{Result: &Payload{Encoding: "json/plain", Data: []byte(`{"results":` + string(b) + `}`)}}); len(v) > 0 {
			t.Errorf("probe %s request refused: %v", p, v)
		}
	}
}
