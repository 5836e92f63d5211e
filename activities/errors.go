package activities

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tasker-systems/tasker-temporal"
)

// PermanentError fails a step at once: no further attempts are made.
type PermanentError struct {
	Err error
	// Code is an optional machine-readable reason (e.g. "http_404").
	Code string
}

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so the step fails without retrying.
func Permanent(err error) error { return &PermanentError{Err: err} }

// RetryableError fails this attempt; the workflow retries the step, after RetryAfter when it is
// set (a server-requested backoff such as HTTP Retry-After), else after the template's backoff.
type RetryableError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *RetryableError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("retryable (after %s): %v", e.RetryAfter, e.Err)
	}
	return "retryable: " + e.Err.Error()
}
func (e *RetryableError) Unwrap() error { return e.Err }

// RetryAfter wraps err so the step is retried no sooner than d.
func RetryAfter(err error, d time.Duration) error { return &RetryableError{Err: err, RetryAfter: d} }

// RetryDetails is the detail payload of a RetryableError application error, in any language.
type RetryDetails struct {
	RetryAfterSeconds float64 `json:"retry_after_seconds"`
}

// toApplicationError turns a handler error into the Temporal application error of the contract
// (DESIGN §4.3): type PermanentError (non-retryable) or RetryableError carrying retry_after_seconds.
func toApplicationError(err error) error {
	var perm *PermanentError
	if errors.As(err, &perm) {
		return temporal.NewApplicationErrorWithOptions(perm.Err.Error(), tasker.ErrorTypePermanent,
			temporal.ApplicationErrorOptions{NonRetryable: true, Cause: perm.Err})
	}
	var retry *RetryableError
	if errors.As(err, &retry) {
		opts := temporal.ApplicationErrorOptions{Cause: retry.Err}
		if retry.RetryAfter > 0 {
			opts.Details = []any{RetryDetails{RetryAfterSeconds: retry.RetryAfter.Seconds()}}
			opts.NextRetryDelay = retry.RetryAfter
		}
		return temporal.NewApplicationErrorWithOptions(retry.Err.Error(), tasker.ErrorTypeRetryable, opts)
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err // already in the contract's terms
	}
	return temporal.NewApplicationErrorWithOptions(err.Error(), fmt.Sprintf("%T", err), temporal.ApplicationErrorOptions{Cause: err})
}

// RetryAfterSeconds rounds a Retry-After duration up to whole seconds (Tasker stores integers).
func RetryAfterSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
