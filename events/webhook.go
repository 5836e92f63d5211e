package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Headers of a webhook delivery.
const (
	HeaderWebhookTimestamp = "Tasker-Timestamp" // Unix seconds when the request was signed
	HeaderWebhookSignature = "Tasker-Signature" // "v1=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
	HeaderWebhookDelivery  = "Tasker-Delivery"  // ID of the batch's first event (for logs)
)

// DefaultWebhookTolerance is how old a signed request VerifyWebhookSignature accepts.
const DefaultWebhookTolerance = 5 * time.Minute

// WebhookConfig configures a webhook sink.
type WebhookConfig struct {
	Name    string        // sink name in logs and Stats; "webhook <url>"
	URL     string        // http or https
	Secret  []byte        // HMAC key, shared with the receiver
	Timeout time.Duration // per request; 10s
	Client  *http.Client  // default: a client with Timeout
	Now     func() time.Time
}

// WebhookBody is the JSON body of a delivery: a batch of events in publish order.
type WebhookBody struct {
	Events []Event `json:"events"`
}

// WebhookSink POSTs batches of events as JSON (WebhookBody), signed with HMAC-SHA256. A 2xx answer
// is success; 408, 429 and 5xx (and network errors) are retried by the publisher; any other status
// is permanent and the batch is dropped (logged, counted). Deliveries are at least once: receivers
// de-duplicate by Event.ID.
type WebhookSink struct {
	cfg WebhookConfig
}

// NewWebhookSink validates cfg.
func NewWebhookSink(cfg WebhookConfig) (*WebhookSink, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook sink: url %q: want an absolute http(s) URL", cfg.URL)
	}
	if len(cfg.Secret) < 16 {
		return nil, fmt.Errorf("webhook sink %s: secret must be at least 16 bytes, got %d", cfg.URL, len(cfg.Secret))
	}
	if cfg.Name == "" {
		cfg.Name = "webhook " + u.Redacted()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &WebhookSink{cfg: cfg}, nil
}

// Name returns the sink's name.
func (s *WebhookSink) Name() string { return s.cfg.Name }

// Send POSTs one signed request carrying evs.
func (s *WebhookSink) Send(ctx context.Context, evs []Event) error {
	body, err := json.Marshal(WebhookBody{Events: evs})
	if err != nil {
		return Permanent(fmt.Errorf("webhook %s: encode %d events: %w", s.cfg.Name, len(evs), err))
	}
	ts := strconv.FormatInt(s.cfg.Now().Unix(), 10)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("webhook %s: %w", s.cfg.Name, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tasker-events")
	req.Header.Set(HeaderWebhookTimestamp, ts)
	req.Header.Set(HeaderWebhookSignature, SignWebhook(s.cfg.Secret, ts, body))
	if len(evs) > 0 {
		req.Header.Set(HeaderWebhookDelivery, evs[0].ID)
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", s.cfg.Name, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return statusError(s.cfg.Name, resp.StatusCode)
}

func statusError(name string, code int) error {
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("webhook %s: answered %d", name, code)
	}
	return Permanent(fmt.Errorf("webhook %s: answered %d (not retried)", name, code))
}

// SignWebhook returns the Tasker-Signature value for a body sent at timestamp (Unix seconds).
func SignWebhook(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhookSignature is what a Go receiver calls with the two headers and the raw body: the
// signature must match and the timestamp be within tolerance of now (either way), which refuses
// forged, altered and replayed-late requests.
func VerifyWebhookSignature(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if timestamp == "" || signature == "" {
		return fmt.Errorf("webhook: missing %s or %s header", HeaderWebhookTimestamp, HeaderWebhookSignature)
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: %s %q is not Unix seconds", HeaderWebhookTimestamp, timestamp)
	}
	age := now.Sub(time.Unix(sec, 0))
	if age > tolerance || age < -tolerance {
		return fmt.Errorf("webhook: %s %s is %s away from now (tolerance %s)", HeaderWebhookTimestamp, timestamp, age.Round(time.Second), tolerance)
	}
	if !strings.HasPrefix(signature, "v1=") {
		return fmt.Errorf("webhook: %s has no v1= signature", HeaderWebhookSignature)
	}
	want := SignWebhook(secret, timestamp, body)
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return fmt.Errorf("webhook: %s does not match the body", HeaderWebhookSignature)
	}
	return nil
}
