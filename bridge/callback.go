package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
)

// Callback API paths, relative to the callback URL.
const (
	PathComplete  = "/v1/complete"
	PathFail      = "/v1/fail"
	PathHeartbeat = "/v1/heartbeat"
)

// CompleteRequest is the body of POST /v1/complete: the step's results (any JSON) and optional
// metadata. The token goes in the Authorization header: "Bearer <token>".
type CompleteRequest struct {
	Results  json.RawMessage `json:"results"`
	Metadata map[string]any  `json:"metadata,omitempty"`
}

// FailRequest is the body of POST /v1/fail.
type FailRequest struct {
	Message   string `json:"message"`
	Class     string `json:"class,omitempty"` // the exception class, e.g. "Timeout::Error"
	Backtrace string `json:"backtrace,omitempty"`
	// Permanent stops the step: no further attempts.
	Permanent bool `json:"permanent,omitempty"`
	// RetryAfterSeconds asks the workflow to wait this long before the next attempt.
	RetryAfterSeconds float64 `json:"retry_after_seconds,omitempty"`
}

// HeartbeatRequest is the body of POST /v1/heartbeat (optional).
type HeartbeatRequest struct {
	Details json.RawMessage `json:"details,omitempty"`
}

// Reply is every callback answer. Code is machine-readable: ok, token_invalid, token_expired,
// token_used, attempt_closed, result_too_large, bad_request, temporal_unavailable.
type Reply struct {
	OK              bool   `json:"ok"`
	Code            string `json:"code"`
	Error           string `json:"error,omitempty"`
	CancelRequested bool   `json:"cancel_requested,omitempty"`
}

// Handler is the callback API: POST /v1/complete, /v1/fail and /v1/heartbeat, each authorised by
// a callback token in "Authorization: Bearer <token>".
func (b *Bridge) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathComplete, b.handleComplete)
	mux.HandleFunc("POST "+PathFail, b.handleFail)
	mux.HandleFunc("POST "+PathHeartbeat, b.handleHeartbeat)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeReply(w, http.StatusOK, Reply{OK: true, Code: "ok"})
	})
	return mux
}

func writeReply(w http.ResponseWriter, status int, r Reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(r)
}

func refuse(w http.ResponseWriter, status int, code string, err error) {
	writeReply(w, status, Reply{Code: code, Error: err.Error()})
}

// authorize verifies the request's token; it answers the request itself and returns false when
// the token is refused.
func (b *Bridge) authorize(w http.ResponseWriter, r *http.Request) (Claims, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		refuse(w, http.StatusUnauthorized, "token_invalid", errors.New("missing Authorization: Bearer <callback token>"))
		return Claims{}, false
	}
	c, err := b.signer.Verify(strings.TrimSpace(token), b.now())
	switch {
	case errors.Is(err, ErrTokenExpired):
		refuse(w, http.StatusUnauthorized, "token_expired", err)
		return Claims{}, false
	case err != nil:
		refuse(w, http.StatusUnauthorized, "token_invalid", err)
		return Claims{}, false
	}
	return c, true
}

// readBody reads at most limit bytes; tooLarge reports a body over the limit.
func readBody(r *http.Request, limit int) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return nil, false, err
	}
	return body, len(body) > limit, nil
}

// bodyOverhead is what a completion body may hold beyond its results (metadata, JSON syntax).
const bodyOverhead = 64 << 10

func (b *Bridge) handleComplete(w http.ResponseWriter, r *http.Request) {
	c, ok := b.authorize(w, r)
	if !ok {
		return
	}
	max := b.cfg.Callback.MaxResultBytes
	body, tooLarge, err := readBody(r, max+bodyOverhead)
	if err != nil {
		refuse(w, http.StatusBadRequest, "bad_request", fmt.Errorf("read body: %w", err))
		return
	}
	var req CompleteRequest
	if !tooLarge {
		if err := json.Unmarshal(body, &req); err != nil {
			refuse(w, http.StatusBadRequest, "bad_request", fmt.Errorf("step %s: complete body is not JSON {results, metadata}: %w", c.Step, err))
			return
		}
		tooLarge = len(req.Results) > max
	}
	if tooLarge {
		size := len(req.Results)
		if size == 0 {
			size = len(body)
		}
		msg := fmt.Sprintf("step %s: results of %s are over the bridge limit of %d bytes (callback.max_result_bytes); got %d bytes or more",
			c.Step, c.Callable, max, size)
		b.apply(r.Context(), w, c, nil, temporal.NewNonRetryableApplicationError(msg, ErrorTypeResultTooLarge, nil),
			http.StatusRequestEntityTooLarge, Reply{Code: "result_too_large", Error: msg})
		return
	}
	res := tasker.StepResult{Results: req.Results, Metadata: req.Metadata}
	if size, err := payloadSize(res); err != nil || size > TemporalPayloadLimit {
		msg := fmt.Sprintf("step %s: results of %s encode to %d bytes with their metadata, over Temporal's payload limit of %d bytes; Temporal would refuse them",
			c.Step, c.Callable, size, TemporalPayloadLimit)
		if err != nil {
			msg = fmt.Sprintf("step %s: results of %s cannot be encoded for Temporal: %v", c.Step, c.Callable, err)
		}
		b.apply(r.Context(), w, c, nil, temporal.NewNonRetryableApplicationError(msg, ErrorTypeResultTooLarge, nil),
			http.StatusRequestEntityTooLarge, Reply{Code: "result_too_large", Error: msg})
		return
	}
	b.apply(r.Context(), w, c, res, nil, http.StatusOK, Reply{OK: true, Code: "ok"})
}

func (b *Bridge) handleFail(w http.ResponseWriter, r *http.Request) {
	c, ok := b.authorize(w, r)
	if !ok {
		return
	}
	body, tooLarge, err := readBody(r, bodyOverhead)
	if err != nil || tooLarge {
		refuse(w, http.StatusBadRequest, "bad_request", fmt.Errorf("step %s: fail body unreadable or over %d bytes", c.Step, bodyOverhead))
		return
	}
	var req FailRequest
	if err := json.Unmarshal(body, &req); err != nil {
		refuse(w, http.StatusBadRequest, "bad_request", fmt.Errorf("step %s: fail body is not JSON {message, class, permanent, retry_after_seconds}: %w", c.Step, err))
		return
	}
	b.apply(r.Context(), w, c, nil, failureError(req), http.StatusOK, Reply{OK: true, Code: "ok"})
}

// failureError turns a job's failure report into the step contract's application error.
func failureError(req FailRequest) error {
	f := activities.Failure{Message: req.Message, Class: req.Class, Permanent: req.Permanent,
		RetryAfter: time.Duration(req.RetryAfterSeconds * float64(time.Second))}
	if f.Message == "" {
		f.Message = "job failed"
	}
	if req.Backtrace != "" {
		f.Cause = errors.New(req.Backtrace)
	}
	return f.ApplicationError()
}

// apply completes the attempt once: it claims the token's nonce, reports to Temporal, and marks
// the nonce used; when Temporal cannot be reached it releases the nonce so the job may retry.
func (b *Bridge) apply(ctx context.Context, w http.ResponseWriter, c Claims, result any, failure error, okStatus int, okReply Reply) {
	claimed, err := b.ledger.Claim(ctx, c.Nonce, c.Expires)
	if err != nil {
		refuse(w, http.StatusServiceUnavailable, "ledger_unavailable", err)
		return
	}
	if !claimed {
		refuse(w, http.StatusConflict, "token_used", fmt.Errorf("step %s: %w", c.Step, ErrTokenUsed))
		return
	}
	err = b.tc.CompleteActivity(ctx, c.TaskToken, result, failure)
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		_ = b.ledger.Done(ctx, c.Nonce, c.Expires)
		refuse(w, http.StatusGone, "attempt_closed", fmt.Errorf("step %s attempt %d is no longer open (timed out, cancelled or completed): %v", c.Step, c.Attempt, err))
		return
	case err != nil:
		_ = b.ledger.Release(context.WithoutCancel(ctx), c.Nonce)
		b.log.Warn("complete activity failed", zap.String("step", c.Step), zap.Error(err))
		refuse(w, http.StatusServiceUnavailable, "temporal_unavailable", fmt.Errorf("step %s: report to Temporal: %w", c.Step, err))
		return
	}
	if err := b.ledger.Done(ctx, c.Nonce, c.Expires); err != nil {
		b.log.Warn("mark token used", zap.Error(err))
	}
	writeReply(w, okStatus, okReply)
}

func (b *Bridge) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	c, ok := b.authorize(w, r)
	if !ok {
		return
	}
	body, tooLarge, err := readBody(r, bodyOverhead)
	if err != nil || tooLarge {
		refuse(w, http.StatusBadRequest, "bad_request", fmt.Errorf("step %s: heartbeat body unreadable or over %d bytes", c.Step, bodyOverhead))
		return
	}
	var req HeartbeatRequest
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			refuse(w, http.StatusBadRequest, "bad_request", fmt.Errorf("step %s: heartbeat body is not JSON: %w", c.Step, err))
			return
		}
	}
	var details []any
	if len(req.Details) > 0 {
		details = append(details, req.Details)
	}
	err = b.tc.RecordActivityHeartbeat(r.Context(), c.TaskToken, details...)
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		writeReply(w, http.StatusOK, Reply{OK: true, Code: "ok"})
	case temporal.IsCanceledError(err):
		// The task was cancelled: close the attempt as cancelled and tell the job to stop.
		_ = b.tc.CompleteActivity(r.Context(), c.TaskToken, nil, temporal.NewCanceledError())
		writeReply(w, http.StatusOK, Reply{OK: true, Code: "cancel_requested", CancelRequested: true})
	case errors.As(err, &notFound):
		refuse(w, http.StatusGone, "attempt_closed", fmt.Errorf("step %s attempt %d is no longer open (timed out, cancelled or completed): %v", c.Step, c.Attempt, err))
	default:
		refuse(w, http.StatusServiceUnavailable, "temporal_unavailable", fmt.Errorf("step %s: heartbeat to Temporal: %w", c.Step, err))
	}
}

// payloadSize is the size of res as Temporal receives it: encoded by the default data converter,
// measured as the server measures a payload.
func payloadSize(res tasker.StepResult) (int, error) {
	p, err := converter.GetDefaultDataConverter().ToPayloads(res)
	if err != nil {
		return 0, err
	}
	return proto.Size(p), nil
}
