package health_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/tasker-systems/tasker-temporal/internal/health"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

func TestWorkerChecks(t *testing.T) {
	ctx := context.Background()
	identity := testsuite.UniqueName(t, "identity")
	tc, err := sdkclient.DialContext(ctx, sdkclient.Options{HostPort: testsuite.Address(t), Identity: identity})
	require.NoError(t, err)
	defer tc.Close()
	polled := testsuite.UniqueName(t, "polled")
	idle := testsuite.UniqueName(t, "idle")
	w := worker.New(tc, polled, worker.Options{})
	w.RegisterActivityWithOptions(func(context.Context) error { return nil }, activityName("noop"))
	require.NoError(t, w.Start())
	defer w.Stop()

	pool, err := pgxpool.New(ctx, testsuite.NewDatabase(t))
	require.NoError(t, err)
	defer pool.Close()
	closed, err := pgxpool.New(ctx, testsuite.NewDatabase(t))
	require.NoError(t, err)
	closed.Close()

	cases := []struct {
		name     string
		checker  *health.Checker
		ok       bool
		failures string
	}{
		{"polled queue, mirror up", health.Worker(tc, "default", identity, []string{polled}, pool), true, ""},
		{"mirror off", health.Worker(tc, "default", identity, []string{polled}, nil), true, ""},
		{"a queue nobody polls", health.Worker(tc, "default", identity, []string{polled, idle}, pool), false,
			"pollers: no recent poll from " + identity + " on task queue(s) " + idle},
		{"mirror down", health.Worker(tc, "default", identity, []string{polled}, closed), false, "mirror: unreachable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rep health.Report
			require.Eventually(t, func() bool {
				rep = tc.checker.RunReady(ctx)
				return rep.OK == tc.ok
			}, 15*time.Second, 200*time.Millisecond, "ready: %+v", rep)
			if tc.failures != "" {
				assert.Contains(t, rep.Failed(), tc.failures)
			}
			srv := httptest.NewServer(tc.checker.Handler())
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/health/ready")
			require.NoError(t, err)
			defer func() { _ = resp.Body.Close() }()
			var got health.Report
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
			want := http.StatusOK
			if !tc.ok {
				want = http.StatusServiceUnavailable
			}
			assert.Equal(t, want, resp.StatusCode)
			assert.Equal(t, tc.ok, got.OK)
			live, err := http.Get(srv.URL + "/health/live")
			require.NoError(t, err)
			_ = live.Body.Close()
			assert.Equal(t, http.StatusOK, live.StatusCode, "live does not depend on Temporal or the mirror")
		})
	}
}

func activityName(n string) activity.RegisterOptions { return activity.RegisterOptions{Name: n} }
