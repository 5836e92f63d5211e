package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// DefaultHTTPTimeout bounds one HTTP call of an HTTPHandler when its client sets no timeout.
const DefaultHTTPTimeout = 30 * time.Second

// MaxRetryAfter caps a server's Retry-After, as Tasker does.
const MaxRetryAfter = 300 * time.Second

// HTTPHandler is the base of a step that calls an HTTP API, with Tasker's semantics for the
// answer: 2xx succeeds with the decoded JSON body; 429 and 503 are retryable and honour
// Retry-After (seconds or an HTTP date, capped at MaxRetryAfter); 400, 401, 403, 404 and 422 are
// permanent; other 4xx are permanent; other 5xx and transport errors are retryable.
type HTTPHandler struct {
	// Client is the HTTP client; nil = a client with DefaultHTTPTimeout.
	Client *http.Client
	// Request builds the request for a step. Required.
	Request func(ctx context.Context, step StepContext) (*http.Request, error)
	// Now is the clock for Retry-After dates; nil = time.Now.
	Now func() time.Time
}

var defaultHTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}

// Process sends the request and maps the response.
func (h *HTTPHandler) Process(ctx context.Context, step StepContext) (any, error) {
	if h.Request == nil {
		return nil, Permanent(fmt.Errorf("step %s: HTTPHandler has no Request builder", step.Name()))
	}
	req, err := h.Request(ctx, step)
	if err != nil {
		return nil, Permanent(fmt.Errorf("step %s: build request: %w", step.Name(), err))
	}
	client := h.Client
	if client == nil {
		client = defaultHTTPClient
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("step %s: %s %s: %w", step.Name(), req.Method, req.URL.Redacted(), err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("step %s: read response: %w", step.Name(), err)
	}
	if err := h.classify(resp, body); err != nil {
		return nil, fmt.Errorf("step %s: %s %s: %w", step.Name(), req.Method, req.URL.Redacted(), err)
	}
	return decodeBody(body), nil
}

// StatusError is an HTTP answer that is not 2xx.
type StatusError struct {
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

func (h *HTTPHandler) classify(resp *http.Response, body []byte) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	statusErr := &StatusError{Status: code, Body: truncate(string(bytes.TrimSpace(body)), 512)}
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		return &RetryableError{Err: statusErr, RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), h.now())}
	case code >= 500:
		return &RetryableError{Err: statusErr}
	default:
		return &PermanentError{Err: statusErr, Code: "http_" + strconv.Itoa(code)}
	}
}

func (h *HTTPHandler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date, relative to now,
// capped at MaxRetryAfter. An absent, malformed or past value gives 0 (use the template backoff).
func ParseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, MaxRetryAfter)
}

func decodeBody(body []byte) any {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return string(body)
	}
	return v
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// IsPermanent reports whether err stops a step without retrying.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
