package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal/internal/config"
	"github.com/tasker-systems/tasker-temporal/internal/health"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

func TestCommandErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing config", []string{"--config", missing}, "bridge config " + missing},
		{"temporal unreachable", []string{"--config", "../../bridge/testdata/valid.yaml", "--temporal-address", "127.0.0.1:1"}, "cannot reach Temporal at 127.0.0.1:1"},
		{"positional args", []string{"extra"}, `unknown command "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := command()
			cmd.SetArgs(tc.args)
			err := cmd.Execute()
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func getReport(url string) (int, health.Report, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, health.Report{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	var rep health.Report
	err = json.NewDecoder(resp.Body).Decode(&rep)
	return resp.StatusCode, rep, err
}

// TestHealthAndStop: /health/live and /health/ready report the bridge's checks (ready only when
// Temporal, this bridge's pollers and its job backends are reachable), and a stop signal drains
// and returns within the stop timeout.
func TestHealthAndStop(t *testing.T) {
	cases := []struct {
		name      string
		redis     string
		wantReady int
		wantFail  string
	}{
		{"backends up", "redis://127.0.0.1:6379/0", http.StatusOK, ""},
		{"sidekiq redis down", "redis://127.0.0.1:1/0", http.StatusServiceUnavailable, "sidekiq"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			queue := testsuite.UniqueName(t, "bridge-health")
			cfg := filepath.Join(t.TempDir(), "bridge.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`callback: {listen: "127.0.0.1:0", ledger_redis: "redis://127.0.0.1:6379/0"}
sidekiq: {redis: %q}
routes:
  - {task_queue: %s, framework: sidekiq, queue: health}
`, tc.redis, queue)), 0o600))
			t.Setenv("TASKER_BRIDGE_SECRET", strings.Repeat("k", 32))
			addr := freeAddr(t)
			opts := options{Config: cfg, Address: testsuite.Address(t), Temporal: config.Temporal{Namespace: "default"},
				LogFormat: "json", LogLevel: "error", HealthListen: addr, StopTimeout: 3 * time.Second}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- run(ctx, opts) }()

			base := "http://" + addr
			var code int
			var rep health.Report
			require.Eventually(t, func() bool {
				var err error
				code, rep, err = getReport(base + "/health/ready")
				return err == nil && (code == tc.wantReady) && (tc.wantReady != http.StatusOK || rep.OK)
			}, 20*time.Second, 100*time.Millisecond, "ready: last %d %+v", code, rep)
			names := map[string]bool{}
			for _, c := range rep.Checks {
				names[c.Name] = c.OK
			}
			assert.Len(t, names, 4, "callback, temporal, pollers, sidekiq: %+v", rep)
			if tc.wantFail != "" {
				assert.False(t, names[tc.wantFail], "%s fails", tc.wantFail)
				assert.Contains(t, rep.Failed(), tc.wantFail+": redis 127.0.0.1:1 unreachable")
			}
			code, rep, err := getReport(base + "/health/live")
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, code, "live: %+v", rep)

			start := time.Now()
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
				assert.Less(t, time.Since(start), opts.StopTimeout+2*time.Second, "stopped within the stop timeout")
			case <-time.After(opts.StopTimeout + 5*time.Second):
				t.Fatal("the bridge did not stop within its stop timeout")
			}
			_, _, err = getReport(base + "/health/live")
			assert.Error(t, err, "the health server stopped with the bridge")
		})
	}
}
