package workflows

import (
	"encoding/json"
	"errors"
	"hash/fnv"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
)

// failure is a failed attempt in Tasker's terms.
type failure struct {
	message    string
	class      string
	backtrace  string
	permanent  bool
	retryAfter time.Duration
}

// classify reads an activity error: a PermanentError (or non_retryable, or any non-retryable
// application error) stops the step; a RetryableError may carry retry_after_seconds (in its details
// or as Temporal's next retry delay); a timeout is a failed attempt like any other.
func classify(err error) failure {
	f := failure{message: err.Error(), class: "Error"}
	var appErr *temporal.ApplicationError
	var timeoutErr *temporal.TimeoutError
	switch {
	case errors.As(err, &appErr):
		f.message, f.class = appErr.Message(), appErr.Type()
		f.permanent = appErr.NonRetryable() || appErr.Type() == tasker.ErrorTypePermanent || appErr.Type() == tasker.ErrorTypeNonRetryable
		f.retryAfter = retryAfter(appErr)
		if appErr.Unwrap() != nil {
			f.backtrace = appErr.Unwrap().Error()
		}
	case errors.As(err, &timeoutErr):
		f.message, f.class = "timeout: "+timeoutErr.TimeoutType().String(), "Timeout"
	}
	return f
}

func retryAfter(appErr *temporal.ApplicationError) time.Duration {
	if d := appErr.NextRetryDelay(); d > 0 {
		return d
	}
	if !appErr.HasDetails() {
		return 0
	}
	var details activities.RetryDetails
	if err := appErr.Details(&details); err != nil {
		var raw json.RawMessage
		if appErr.Details(&raw) != nil {
			return 0
		}
		if json.Unmarshal(raw, &details) != nil {
			return 0
		}
	}
	if details.RetryAfterSeconds <= 0 {
		return 0
	}
	return time.Duration(details.RetryAfterSeconds * float64(time.Second))
}

// jitter spreads d by ±10%, derived from the task, step and attempt so that replays agree.
func jitter(d time.Duration, workflowID, step string, attempt int) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(workflowID))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(step))
	_, _ = h.Write([]byte(strconv.Itoa(attempt)))
	frac := float64(h.Sum64()%2001)/10000 - 0.1 // [-0.1, +0.1]
	return d + time.Duration(float64(d)*frac)
}
