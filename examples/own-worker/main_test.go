package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

func TestMain(m *testing.M) { testsuite.Main(m) }

// TestRunPrintsTheReceipt runs the example as main does, on the test's Temporal server, with and
// without the Rails mirror.
func TestRunPrintsTheReceipt(t *testing.T) {
	tests := []struct {
		name   string
		mirror bool
	}{
		{name: "mirror off"},
		{name: "mirror on", mirror: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dbURL := ""
			if tc.mirror {
				dbURL = testsuite.NewDatabase(t)
			}
			var out strings.Builder
			opts := options{Address: testsuite.Address(t), DatabaseURL: dbURL, TaskQueue: testsuite.UniqueName(t, "orch"),
				StepQueue: testsuite.UniqueName(t, "steps"), WorkflowID: testsuite.UniqueName(t, "checkout")}
			require.NoError(t, run(t.Context(), opts, &out))
			assert.Contains(t, out.String(), `complete, receipt {"line":"total: $20.49"}`)
			assert.Equal(t, tc.mirror, !strings.Contains(out.String(), "rails task_id 0\n"), "a Rails task_id only with the mirror: %s", out.String())
		})
	}
}

// TestPriceRefusesAnEmptyCart runs a handler alone (activities.Run), without Temporal.
func TestPriceRefusesAnEmptyCart(t *testing.T) {
	req := tasker.StepRequest{Task: tasker.TaskInfo{Context: json.RawMessage(`{"items": []}`)}, Step: tasker.StepInfo{Name: "price", Attempt: 1, MaxAttempts: 3}}
	_, err := activities.Run(context.Background(), activities.HandlerFunc(price), req)
	var perm *activities.PermanentError
	require.True(t, errors.As(err, &perm), "an empty cart is a permanent error: %v", err)
	assert.Equal(t, "empty_cart", perm.Code)
}
