package events

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

var testSecret = []byte("0123456789abcdef-secret")

// receiver is a webhook endpoint that verifies each delivery as a user's receiver would,
// answers with the statuses queued in answers, then 200, and de-duplicates by event ID.
type receiver struct {
	mu        sync.Mutex
	answers   []int
	requests  int
	ok        int
	bad       []string
	seen      map[string]bool
	delivered []Event
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	err := VerifyWebhookSignature(testSecret, req.Header.Get(HeaderWebhookTimestamp), req.Header.Get(HeaderWebhookSignature), body, time.Now(), DefaultWebhookTolerance)
	if err != nil {
		r.bad = append(r.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if len(r.answers) > 0 {
		code := r.answers[0]
		r.answers = r.answers[1:]
		w.WriteHeader(code)
		return
	}
	var b WebhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		r.bad = append(r.bad, err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	for _, ev := range b.Events {
		if !r.seen[ev.ID] {
			r.seen[ev.ID] = true
			r.delivered = append(r.delivered, ev)
		}
	}
	r.ok++
	w.WriteHeader(http.StatusNoContent)
}

func TestWebhookSinkDelivers(t *testing.T) {
	tests := []struct {
		name        string
		answers     []int
		wantAll     bool
		wantDropped bool
	}{
		{"first try", nil, true, false},
		{"retries 503 and 429", []int{503, 429, 500}, true, false},
		{"gives up on 400", []int{400}, false, true},
		{"gives up on 404", []int{404}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rcv := &receiver{answers: tc.answers, seen: map[string]bool{}}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			sink, err := NewWebhookSink(WebhookConfig{URL: srv.URL + "/hooks/tasker", Secret: testSecret})
			require.NoError(t, err)
			p := NewPublisherWith(zap.NewNop(), Options{RetryBase: time.Millisecond, BatchSize: 1000}, sink)
			evs := diamondEvents("wf-hook")
			require.NoError(t, p.Publish(context.Background(), evs...))
			closePublisher(t, p)

			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			assert.Empty(t, rcv.bad, "every request verified")
			if tc.wantAll {
				assert.Equal(t, ids(evs), ids(rcv.delivered))
				// One request per batch that succeeded, plus one per failure answered: the
				// publisher may cut the events into more than one batch, depending on timing.
				assert.Equal(t, rcv.ok+len(tc.answers), rcv.requests)
			}
			st := p.Stats().Targets[0]
			if tc.wantDropped {
				// The batch that met the 4xx is dropped at once (one request, no retry); batches
				// after it are sent.
				assert.Equal(t, rcv.ok+1, rcv.requests, "a 4xx is not retried")
				assert.Equal(t, uint64(1), st.Failed)
				assert.NotZero(t, st.Dropped)
				assert.Equal(t, uint64(len(evs)), st.Dropped+st.Delivered)
				assert.Len(t, rcv.delivered, int(st.Delivered))
			}
			assert.Equal(t, "webhook "+srv.URL+"/hooks/tasker", st.Name)
		})
	}
}

func TestWebhookRefusedSignatureIsPermanent(t *testing.T) {
	rcv := &receiver{seen: map[string]bool{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	sink, err := NewWebhookSink(WebhookConfig{URL: srv.URL, Secret: []byte("another-secret-of-16+")})
	require.NoError(t, err)
	err = sink.Send(context.Background(), diamondEvents("wf")[:2])
	require.Error(t, err)
	assert.True(t, IsPermanent(err))
	assert.Contains(t, err.Error(), "answered 401 (not retried)")
}

func TestNewWebhookSinkErrors(t *testing.T) {
	tests := []struct {
		cfg     WebhookConfig
		wantErr string
	}{
		{WebhookConfig{URL: "ftp://x", Secret: testSecret}, `url "ftp://x": want an absolute http(s) URL`},
		{WebhookConfig{URL: "/relative", Secret: testSecret}, "want an absolute http(s) URL"},
		{WebhookConfig{URL: "http://127.0.0.1:9/x", Secret: []byte("short")}, "secret must be at least 16 bytes, got 5"},
	}
	for _, tc := range tests {
		_, err := NewWebhookSink(tc.cfg)
		assert.ErrorContains(t, err, tc.wantErr)
	}
}

func TestWebhookNetworkErrorIsRetryable(t *testing.T) {
	sink, err := NewWebhookSink(WebhookConfig{URL: "http://127.0.0.1:1/nothing-listens", Secret: testSecret, Timeout: time.Second})
	require.NoError(t, err)
	err = sink.Send(context.Background(), diamondEvents("wf")[:1])
	require.Error(t, err)
	assert.False(t, IsPermanent(err))
}

func TestVerifyWebhookSignature(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"events":[]}`)
	ts := "1800000000"
	sig := SignWebhook(testSecret, ts, body)
	tests := []struct {
		name          string
		ts, sig, body string
		secret        []byte
		wantErr       string
	}{
		{"valid", ts, sig, string(body), testSecret, ""},
		{"altered body", ts, sig, `{"events":[1]}`, testSecret, "does not match the body"},
		{"wrong secret", ts, sig, string(body), []byte("not-the-secret-at-all"), "does not match the body"},
		{"replayed timestamp", "1799999000", SignWebhook(testSecret, "1799999000", body), string(body), testSecret, "away from now (tolerance 5m0s)"},
		{"timestamp moved", "1800000001", sig, string(body), testSecret, "does not match the body"},
		{"missing headers", "", "", string(body), testSecret, "missing Tasker-Timestamp or Tasker-Signature header"},
		{"bad timestamp", "yesterday", sig, string(body), testSecret, `Tasker-Timestamp "yesterday" is not Unix seconds`},
		{"unknown scheme", ts, "v0=abc", string(body), testSecret, "has no v1= signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyWebhookSignature(tc.secret, tc.ts, tc.sig, []byte(tc.body), now, DefaultWebhookTolerance)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
}
