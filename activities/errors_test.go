package activities_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/sdk/temporal"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
)

// TestFailureRoundTrip sends each kind of handler failure through the contract's application
// error and reads it back as the workflow does: what the handler said (permanence, delay, code,
// class) must arrive.
func TestFailureRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		err  error               // a Go handler's error …
		sent *activities.Failure // … or a bridged job's report
		want activities.Failure
	}{
		{name: "permanent with code", err: &activities.PermanentError{Err: errors.New("card declined"), Code: "card_declined"},
			want: activities.Failure{Message: "card declined", Class: tasker.ErrorTypePermanent, Code: "card_declined", Permanent: true, Backtrace: "card declined"}},
		{name: "permanent", err: activities.Permanent(errors.New("gone")),
			want: activities.Failure{Message: "gone", Class: tasker.ErrorTypePermanent, Permanent: true, Backtrace: "gone"}},
		{name: "retry after", err: activities.RetryAfter(errors.New("busy"), 7*time.Second),
			want: activities.Failure{Message: "busy", Class: tasker.ErrorTypeRetryable, RetryAfter: 7 * time.Second, Backtrace: "busy"}},
		{name: "plain error", err: errors.New("boom"),
			want: activities.Failure{Message: "boom", Class: "*errors.errorString", Backtrace: "boom"}},
		{name: "bridged job, own class", sent: &activities.Failure{Message: "timeout talking to bank", Class: "Net::ReadTimeout"},
			want: activities.Failure{Message: "timeout talking to bank", Class: "Net::ReadTimeout"}},
		{name: "bridged job, permanent with class", sent: &activities.Failure{Message: "bad card", Class: "CardError", Permanent: true},
			want: activities.Failure{Message: "CardError: bad card", Class: tasker.ErrorTypePermanent, Permanent: true}},
		{name: "bridged job, no class", sent: &activities.Failure{Message: "failed"},
			want: activities.Failure{Message: "failed", Class: tasker.ErrorTypeRetryable}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := activities.Failure{}
			if tc.err != nil {
				f = activities.FailureOf(tc.err)
			} else {
				f = *tc.sent
			}
			got := activities.ReadFailure(f.ApplicationError())
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestReadFailureTimeout(t *testing.T) {
	got := activities.ReadFailure(temporal.NewTimeoutError(0, nil))
	assert.Equal(t, "Timeout", got.Class)
	assert.False(t, got.Permanent, "a timeout is a failed attempt, retried like any other")
}
