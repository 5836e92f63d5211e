package activities_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal/activities"
)

func TestHTTPHandlerFollowsTaskerStatusSemantics(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		status     int
		retryAfter string
		permanent  bool
		wantAfter  time.Duration
	}{
		{status: 429, retryAfter: "7", wantAfter: 7 * time.Second},
		{status: 503, retryAfter: now.Add(90 * time.Second).Format(http.TimeFormat), wantAfter: 90 * time.Second},
		{status: 503, retryAfter: "100000", wantAfter: activities.MaxRetryAfter},
		{status: 429},
		{status: 500},
		{status: 502},
		{status: 400, permanent: true},
		{status: 401, permanent: true},
		{status: 403, permanent: true},
		{status: 404, permanent: true},
		{status: 422, permanent: true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status)+"/"+tt.retryAfter, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte("nope"))
			}))
			defer srv.Close()
			h := &activities.HTTPHandler{Now: func() time.Time { return now }, Request: func(ctx context.Context, _ activities.StepContext) (*http.Request, error) {
				return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			}}
			_, err := h.Process(context.Background(), activities.StepContext{})
			require.Error(t, err)
			assert.Equal(t, tt.permanent, activities.IsPermanent(err))
			var se *activities.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.status, se.Status)
			var re *activities.RetryableError
			if !tt.permanent {
				require.ErrorAs(t, err, &re)
				assert.Equal(t, tt.wantAfter, re.RetryAfter)
			}
		})
	}
}

func TestHTTPHandlerDecodesJSONAndRetriesTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"charge_id":"ch_1"}`))
	}))
	h := &activities.HTTPHandler{Request: func(ctx context.Context, _ activities.StepContext) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
	}}
	out, err := h.Process(context.Background(), activities.StepContext{})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"charge_id": "ch_1"}, out)

	srv.Close() // now nothing listens
	_, err = h.Process(context.Background(), activities.StepContext{})
	require.Error(t, err)
	assert.False(t, activities.IsPermanent(err), "a transport error is retryable")

	_, err = (&activities.HTTPHandler{}).Process(context.Background(), activities.StepContext{})
	assert.True(t, activities.IsPermanent(err), "no request builder is a programming error: permanent")
	assert.False(t, errors.Is(err, context.Canceled))
}
