package typescript_test

import (
	"context"
	"strings"
	"testing"

	sdkclient "go.temporal.io/sdk/client"

	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/conformance"
)

func dial(t *testing.T) sdkclient.Client {
	t.Helper()
	c, err := sdkclient.Dial(sdkclient.Options{HostPort: testsuite.Address(t), Logger: quiet{}})
	if err != nil {
		t.Fatalf("dial Temporal at %s: %v", testsuite.Address(t), err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestConformance runs the conformance kit against every callable the TypeScript worker serves.
func TestConformance(t *testing.T) {
	queue := testsuite.UniqueName(t, "ts-conformance")
	startWorker(t, "worker.js", queue)
	c := dial(t)
	for _, callable := range []string{"TypeScript::ValidateOrder", "TypeScript::ChargeCard", "TypeScript::ShipOrder", "TypeScript::SendReceipt"} {
		t.Run(callable, func(t *testing.T) {
			t.Parallel()
			report, err := conformance.Run(context.Background(), c, conformance.Options{Queue: queue, Callable: callable})
			if err != nil {
				t.Fatal(err)
			}
			if len(report.Results) != len(conformance.AllProbes()) {
				t.Fatalf("%d probe results, want %d", len(report.Results), len(conformance.AllProbes()))
			}
			if !report.OK() {
				var b strings.Builder
				_ = report.WriteText(&b)
				t.Fatalf("the TypeScript worker breaks the contract:\n%s", b.String())
			}
		})
	}
}

// TestConformanceBrokenWorker runs the kit against src/broken.ts and checks it names each mistake.
func TestConformanceBrokenWorker(t *testing.T) {
	queue := testsuite.UniqueName(t, "ts-broken")
	startWorker(t, "broken.js", queue)
	report, err := conformance.Run(context.Background(), dial(t), conformance.Options{Queue: queue, Callable: "Broken::CamelCaseHandler"})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	_ = report.WriteText(&text)
	t.Log(text.String())
	want := map[conformance.Probe][]string{
		conformance.Echo: {
			`field "dependencyResults" should be "dependency_results": field names are snake_case on the wire`,
			`field "workflowId" in task should be "workflow_id"`,
			`field "maxAttempts" in step should be "max_attempts"`,
		},
		conformance.FailRetryable: {
			`error type "Error" is not in the contract: a retryable failure asking for a backoff must be type RetryableError`,
			`no details: a RetryableError asked to retry after 7s carries details [{"retry_after_seconds": 7}]`,
		},
		conformance.FailPermanent: {"the PermanentError is not marked non-retryable"},
		conformance.Heartbeat:     {"no heartbeat within the 2s heartbeat timeout"},
	}
	for _, r := range report.Results {
		all := strings.Join(r.Violations, "\n")
		for _, w := range want[r.Probe] {
			if !strings.Contains(all, w) {
				t.Errorf("probe %s: no violation contains %q", r.Probe, w)
			}
		}
		if len(r.Violations) == 0 {
			t.Errorf("probe %s passed against the broken worker", r.Probe)
		}
	}
	if report.OK() {
		t.Fatal("the broken worker passed")
	}
}

// quiet drops the SDK's logs.
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
