package activities

import (
	"encoding/json"
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

// RetryDetails is the detail payload of a step's application error, in any language: a
// RetryableError's server-requested backoff, a PermanentError's code.
type RetryDetails struct {
	RetryAfterSeconds float64 `json:"retry_after_seconds"`
	// Code is PermanentError.Code: a machine-readable reason such as "http_404".
	Code string `json:"code,omitempty"`
}

// Failure is a failed attempt in the step contract's terms (DESIGN §4.3). It is the one mapping
// between errors and the contract: a Go handler's error (FailureOf), a bridged job's failure
// report and the workflow reading an activity error back (ReadFailure) all go through it.
type Failure struct {
	Message string
	// Class is the error's class: the application error type, or the handler's own class.
	Class      string
	Code       string // PermanentError.Code, when given
	Backtrace  string
	Permanent  bool
	RetryAfter time.Duration // a server-requested backoff; 0 = the template's
	Cause      error         // kept as the application error's cause (its backtrace)
}

// FailureOf reads a Go handler's error: PermanentError, RetryableError, or any other error
// (retryable, classed by its Go type).
func FailureOf(err error) Failure {
	var perm *PermanentError
	if errors.As(err, &perm) {
		return Failure{Message: perm.Err.Error(), Class: tasker.ErrorTypePermanent, Code: perm.Code, Permanent: true, Cause: perm.Err}
	}
	var retry *RetryableError
	if errors.As(err, &retry) {
		return Failure{Message: retry.Err.Error(), Class: tasker.ErrorTypeRetryable, RetryAfter: retry.RetryAfter, Cause: retry.Err}
	}
	return Failure{Message: err.Error(), Class: fmt.Sprintf("%T", err), Cause: err}
}

// ApplicationError is the Temporal application error of the contract: type PermanentError
// (non-retryable), RetryableError (with retry_after_seconds when the failure asks for a delay), or
// the failure's own class; a class the type does not show prefixes the message.
func (f Failure) ApplicationError() error {
	opts := temporal.ApplicationErrorOptions{NonRetryable: f.Permanent, Cause: f.Cause}
	typ, msg := f.Class, f.Message
	switch {
	case f.Permanent:
		typ = tasker.ErrorTypePermanent
	case f.RetryAfter > 0:
		typ = tasker.ErrorTypeRetryable
		opts.NextRetryDelay = f.RetryAfter
	case typ == "":
		typ = tasker.ErrorTypeRetryable
	}
	if f.Class != "" && typ != f.Class {
		msg = f.Class + ": " + msg
	}
	if f.RetryAfter > 0 || f.Code != "" {
		opts.Details = []any{RetryDetails{RetryAfterSeconds: f.RetryAfter.Seconds(), Code: f.Code}}
	}
	return temporal.NewApplicationErrorWithOptions(msg, typ, opts)
}

// ReadFailure reads an activity error back: a PermanentError (or non_retryable, or any
// non-retryable application error) is permanent; retry_after_seconds and code come from the
// details (or Temporal's next retry delay); a timeout is a failed attempt like any other.
func ReadFailure(err error) Failure {
	f := Failure{Message: err.Error(), Class: "Error"}
	var appErr *temporal.ApplicationError
	var timeoutErr *temporal.TimeoutError
	switch {
	case errors.As(err, &appErr):
		f.Message, f.Class = appErr.Message(), appErr.Type()
		f.Permanent = appErr.NonRetryable() || appErr.Type() == tasker.ErrorTypePermanent || appErr.Type() == tasker.ErrorTypeNonRetryable
		details := readDetails(appErr)
		f.RetryAfter, f.Code = appErr.NextRetryDelay(), details.Code
		if f.RetryAfter <= 0 && details.RetryAfterSeconds > 0 {
			f.RetryAfter = time.Duration(details.RetryAfterSeconds * float64(time.Second))
		}
		if appErr.Unwrap() != nil {
			f.Backtrace = appErr.Unwrap().Error()
		}
	case errors.As(err, &timeoutErr):
		f.Message, f.Class = "timeout: "+timeoutErr.TimeoutType().String(), "Timeout"
	}
	return f
}

// readDetails decodes the first detail as RetryDetails, whether it was sent as an object or as
// JSON text; anything else reads as none.
func readDetails(appErr *temporal.ApplicationError) RetryDetails {
	var details RetryDetails
	if !appErr.HasDetails() {
		return details
	}
	if appErr.Details(&details) == nil {
		return details
	}
	var raw json.RawMessage
	if appErr.Details(&raw) != nil || json.Unmarshal(raw, &details) != nil {
		return RetryDetails{}
	}
	return details
}

// toApplicationError turns a handler error into the contract's application error; an error
// already in the contract's terms passes unchanged.
func toApplicationError(err error) error {
	var appErr *temporal.ApplicationError
	var perm *PermanentError
	var retry *RetryableError
	if errors.As(err, &appErr) && !errors.As(err, &perm) && !errors.As(err, &retry) {
		return err
	}
	return FailureOf(err).ApplicationError()
}

// RetryAfterSeconds rounds a Retry-After duration up to whole seconds (Tasker stores integers).
func RetryAfterSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
