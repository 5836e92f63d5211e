package bridge_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal/bridge"
)

func TestParseConfigErrors(t *testing.T) {
	const targets = "sidekiq: {redis: redis://127.0.0.1:6379/0}\ncelery: {amqp: amqp://127.0.0.1:5672/}\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"no routes", targets, "routes: at least one route is required"},
		{"no task queue", targets + "routes: [{framework: sidekiq, queue: q}]", "routes[0]: task_queue: required"},
		{"no queue", targets + "routes: [{task_queue: t, framework: sidekiq}]", "routes[0]: queue: required"},
		{"no framework", targets + "routes: [{task_queue: t, queue: q}]", "routes[0]: framework: required"},
		{"unknown framework", targets + "routes: [{task_queue: t, queue: q, framework: resque}]", `routes[0]: framework: unknown "resque"`},
		{"framework not configured", targets + "routes: [{task_queue: t, queue: q, framework: bullmq}]", "routes[0]: framework bullmq: the config has no bullmq.redis"},
		{"duplicate", targets + "routes: [{task_queue: t, queue: q, framework: sidekiq, callable: A}, {task_queue: t, queue: r, framework: celery, callable: A}]",
			`routes[1]: task_queue "t" callable "A" is already routed by routes[0]`},
		{"unknown key", targets + "routes: [{task_queue: t, queue: q, framework: sidekiq, klass: X}]", "field klass not found"},
		{"negative limit", targets + "callback: {max_result_bytes: -1}\nroutes: [{task_queue: t, queue: q, framework: sidekiq}]", "callback.max_result_bytes"},
		{"limit over Temporal's", targets + "callback: {max_result_bytes: 2097153}\nroutes: [{task_queue: t, queue: q, framework: sidekiq}]",
			"callback.max_result_bytes: 2097153 is over Temporal's payload limit of 2097152 bytes (2 MiB)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bridge.ParseConfig([]byte(tc.yaml), "bridge.yaml")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "bridge config bridge.yaml")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoadConfigRoutes(t *testing.T) {
	cfg, err := bridge.LoadConfig(filepath.Join("testdata", "valid.yaml"))
	require.NoError(t, err)
	assert.Equal(t, []string{"bridge-bullmq", "bridge-celery", "bridge-sidekiq"}, cfg.TaskQueues())
	assert.Equal(t, bridge.DefaultMaxResultBytes, cfg.Callback.MaxResultBytes)
	assert.Equal(t, "redis://127.0.0.1:6379/0", cfg.Callback.LedgerRedis, "the ledger defaults to the Sidekiq Redis")

	cases := []struct {
		queue, callable string
		ok              bool
		framework       bridge.Framework
		job             string
	}{
		{"bridge-sidekiq", "Bridge::AddTen", true, bridge.Sidekiq, "AddTenJob"},
		{"bridge-sidekiq", "Examples::Other", false, "", ""},
		{"bridge-celery", "Bridge::Triple", true, bridge.Celery, "Bridge::Triple"},
		{"bridge-bullmq", "Examples::Anything", true, bridge.BullMQ, ""}, // catch-all: the job is the callable
		{"elsewhere", "Bridge::AddTen", false, "", ""},
	}
	for _, tc := range cases {
		r, ok := cfg.Lookup(tc.queue, tc.callable)
		assert.Equal(t, tc.ok, ok, "%s %s", tc.queue, tc.callable)
		assert.Equal(t, tc.framework, r.Framework, "%s %s", tc.queue, tc.callable)
		assert.Equal(t, tc.job, r.Job, "%s %s", tc.queue, tc.callable)
	}
	_, err = bridge.LoadConfig(filepath.Join("testdata", "missing.yaml"))
	assert.ErrorContains(t, err, "bridge config testdata/missing.yaml")
}

func TestSigner(t *testing.T) {
	s, err := bridge.NewSigner([]byte(secret))
	require.NoError(t, err)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	claims := bridge.Claims{TaskToken: []byte{1, 2, 3}, WorkflowID: "wf", Step: "s", Attempt: 2, Expires: now.Add(time.Minute)}
	tok, err := s.Sign(claims)
	require.NoError(t, err)
	tok2, err := s.Sign(claims)
	require.NoError(t, err)
	assert.NotEqual(t, tok, tok2, "each token has its own nonce")

	got, err := s.Verify(tok, now)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3}, got.TaskToken)
	assert.Equal(t, "s", got.Step)
	assert.Len(t, got.Nonce, 32)

	_, err = s.Verify(tok, now.Add(time.Minute))
	assert.ErrorIs(t, err, bridge.ErrTokenExpired)
	for _, bad := range []string{"", ".", "abc", tok + "x", "x" + tok, tok[:len(tok)-2]} {
		_, err = s.Verify(bad, now)
		assert.ErrorIs(t, err, bridge.ErrTokenInvalid, "%q", bad)
	}
	_, err = bridge.NewSigner([]byte("short"))
	assert.ErrorContains(t, err, "at least 32 bytes")
}

func TestSecretFromEnvironment(t *testing.T) {
	cfg := bridge.Config{Sidekiq: &bridge.RedisTarget{Redis: redisURL}, Callback: bridge.CallbackConfig{SecretEnv: "TASKER_BRIDGE_TEST_SECRET"},
		Routes: []bridge.Route{{TaskQueue: "t", Framework: bridge.Sidekiq, Queue: "q"}}}
	t.Setenv("TASKER_BRIDGE_TEST_SECRET", "too short")
	_, err := bridge.New(cfg, bridge.Options{Temporal: dialTemporal(t)})
	assert.ErrorContains(t, err, "$TASKER_BRIDGE_TEST_SECRET must hold at least 32 bytes (got 9)")
}

func ExampleParseConfig() {
	cfg, err := bridge.ParseConfig([]byte(`
sidekiq: {redis: redis://127.0.0.1:6379/0}
routes:
  - task_queue: tasker-payments
    callable: Payments::Charge
    framework: sidekiq
    queue: payments
    job: ChargeJob
`), "bridge.yaml")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	r, _ := cfg.Lookup("tasker-payments", "Payments::Charge")
	fmt.Println(r.Framework, r.Queue, r.Job, cfg.Callback.Listen)
	// Output: sidekiq payments ChargeJob 127.0.0.1:8787
}

func ExampleSigner() {
	signer, err := bridge.NewSigner([]byte("a secret of at least thirty-two bytes"))
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	token, _ := signer.Sign(bridge.Claims{TaskToken: []byte("temporal task token"), Step: "charge", Attempt: 1, Expires: now.Add(time.Hour)})
	claims, err := signer.Verify(token, now)
	fmt.Println(claims.Step, claims.Attempt, string(claims.TaskToken), err)
	_, err = signer.Verify(token, now.Add(2*time.Hour))
	fmt.Println(err)
	// Output:
	// charge 1 temporal task token <nil>
	// callback token has expired (at 2026-01-01T13:00:00Z)
}
