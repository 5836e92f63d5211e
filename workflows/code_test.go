package workflows_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/worker"
)

// TestPermanentErrorCodeReachesTheTransition: a handler's PermanentError.Code travels in the
// error details to the workflow, which puts it on the step's error transition for the mirror and
// the events.
func TestPermanentErrorCodeReachesTheTransition(t *testing.T) {
	h := newHarness(t, mustParse(t, doomedYAML), worker.Settings{}, map[string]any{
		"Charge": activities.Activity(activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) {
			return nil, &activities.PermanentError{Err: errors.New("card declined"), Code: "card_declined"}
		})),
	})
	h.env.RegisterDelayedCallback(func() {
		h.env.CancelWorkflow()
	}, worker.DefaultSettings().Hold/2)
	_, _ = h.run(tasker.TaskRequest{Namespace: "test", Name: "doomed"})
	errs := h.rec.Step("", "charge", tasker.StateError)
	require.Len(t, errs, 1, "a permanent error is one attempt")
	assert.Equal(t, "card_declined", errs[0].Metadata["error_code"])
	assert.Equal(t, true, errs[0].Metadata["permanent"])
}
