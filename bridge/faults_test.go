package bridge_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/bridge"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
)

// oneStep is a template whose single step s (callable Examples::Bridged) is served on queue.
func oneStep(t testing.TB, queue, extra string) *template.Template {
	t.Helper()
	src := fmt.Sprintf(`
name: bridged_%s
namespace_name: bridge_faults
version: 1.0.0
steps:
  - name: s
    handler:
      callable: Examples::Bridged
    retry:
      max_attempts: 2
      backoff: exponential
      backoff_base_ms: 100
    temporal:
      task_queue: %s
%s`, strings.ReplaceAll(strings.ToLower(queue[len(queue)-8:]), "-", "_"), queue, extra)
	tmpl, err := template.Parse([]byte(src), t.Name()+".yaml", "")
	require.NoError(t, err)
	return tmpl
}

func startTask(t testing.TB, env *tasktest.Env, tmpl *template.Template) string {
	t.Helper()
	task, err := env.Client.StartTask(context.Background(),
		tasker.TaskRequest{Namespace: tmpl.Namespace, Name: tmpl.Name, RequestedAt: time.Now()},
		client.StartOptions{WorkflowID: testsuite.UniqueName(t, "task")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = env.Client.CancelTask(context.Background(), task.WorkflowID, "test over") })
	return task.WorkflowID
}

func wait(t testing.TB, env *tasktest.Env, workflowID string, d time.Duration) tasker.TaskResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	res, err := env.Client.WaitTask(ctx, workflowID)
	if err != nil {
		state, _ := env.Client.GetTask(context.Background(), workflowID)
		t.Fatalf("task %s did not finish within %s: %v\nstate: %+v", workflowID, d, err, state)
	}
	return res
}

// stepState polls the task until step s reaches want after attempts attempts, and returns its
// status.
func stepState(t testing.TB, env *tasktest.Env, workflowID, want string, attempts int, d time.Duration) tasker.StepStatus {
	t.Helper()
	var got tasker.StepStatus
	waitFor(t, d, fmt.Sprintf("step s %s after %d attempts", want, attempts), func() (bool, error) {
		res, err := env.Client.GetTask(context.Background(), workflowID)
		if err != nil {
			return false, err
		}
		got, _ = res.Step("s")
		return got.Status == want && got.Attempts == attempts, fmt.Errorf("step s is %s after %d attempts (%s)", got.Status, got.Attempts, got.LastError)
	})
	return got
}

// freePort returns a loopback port nothing listens on.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// popSidekiqJob takes the next job off a Sidekiq queue, as a Sidekiq worker would, and returns it.
func popSidekiqJob(t testing.TB, queue string) map[string]any {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer func() { _ = rdb.Close() }()
	out, err := rdb.BRPop(context.Background(), 30*time.Second, "queue:"+queue).Result()
	require.NoError(t, err, "no job on Sidekiq queue %s", queue)
	var job map[string]any
	require.NoError(t, json.Unmarshal([]byte(out[1]), &job))
	return job
}

func envelopeOf(t testing.TB, job map[string]any) bridge.Envelope {
	t.Helper()
	args, _ := job["args"].([]any)
	require.Len(t, args, 1, "job args")
	raw, err := json.Marshal(args[0])
	require.NoError(t, err)
	var env bridge.Envelope
	require.NoError(t, json.Unmarshal(raw, &env))
	return env
}

// post calls the callback API as a job would and returns the status and reply.
func post(t testing.TB, url, path, token string, body any) (int, bridge.Reply) {
	t.Helper()
	data, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url+path, bytes.NewReader(data))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = res.Body.Close() }()
	var reply bridge.Reply
	require.NoError(t, json.NewDecoder(res.Body).Decode(&reply))
	return res.StatusCode, reply
}

func sidekiqConfig(taskQueue, queue, job string) bridge.Config {
	return bridge.Config{
		Sidekiq: &bridge.RedisTarget{Redis: redisURL},
		Routes:  []bridge.Route{{TaskQueue: taskQueue, Framework: bridge.Sidekiq, Queue: queue, Job: job}},
	}
}

// TestBridgeRestart: a job enqueued by one bridge process completes through another one.
func TestBridgeRestart(t *testing.T) {
	requireService(t, "Redis", "127.0.0.1:6379")
	tq, jobQ := testsuite.UniqueName(t, "sidekiq"), jobQueue(t)
	tmpl := oneStep(t, tq, "")
	env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, KeepQueues: true})
	cfg := sidekiqConfig(tq, jobQ, "NoopJob")
	cfg.Callback.Listen = fmt.Sprintf("127.0.0.1:%d", freePort(t))

	first := startBridge(t, env.Temporal, cfg)
	id := startTask(t, env, tmpl)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer func() { _ = rdb.Close() }()
	waitFor(t, 20*time.Second, "the job on the Sidekiq queue", func() (bool, error) {
		n, err := rdb.LLen(context.Background(), "queue:"+jobQ).Result()
		return n == 1, err
	})
	first.Stop() // the bridge goes away with the job enqueued and the attempt pending

	startBridge(t, env.Temporal, cfg) // a new process, same secret and callback address
	startSidekiq(t, jobQ)
	res := wait(t, env, id, 60*time.Second)
	require.Equal(t, tasker.StateComplete, res.Status)
	s, _ := res.Step("s")
	assert.Equal(t, 1, s.Attempts, "the enqueued attempt itself completed: no retry, no step lost")
	assert.JSONEq(t, `{"ok": true}`, string(s.Results))
}

// TestFrameworkWorkerDies: a Sidekiq process dies mid-job; the heartbeat timeout fails the
// attempt and the workflow's retry is served by a new Sidekiq process.
func TestFrameworkWorkerDies(t *testing.T) {
	requireService(t, "Redis", "127.0.0.1:6379")
	tq, jobQ := testsuite.UniqueName(t, "sidekiq"), jobQueue(t)
	tmpl := oneStep(t, tq, "      heartbeat: 3s\n      start_to_close: 1m\n")
	env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, KeepQueues: true})
	startBridge(t, env.Temporal, sidekiqConfig(tq, jobQ, "DieOnFirstAttemptJob"))
	doomed := startSidekiq(t, jobQ)
	id := startTask(t, env, tmpl)
	require.True(t, doomed.exited(60*time.Second), "the first Sidekiq process should kill itself in the job")
	startSidekiq(t, jobQ)

	res := wait(t, env, id, 60*time.Second)
	require.Equal(t, tasker.StateComplete, res.Status)
	s, _ := res.Step("s")
	assert.Equal(t, 2, s.Attempts)
	assert.JSONEq(t, `{"survived_attempt": 2}`, string(s.Results))

	// The first attempt ended by a heartbeat timeout.
	iter := env.Temporal.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	timeouts := 0
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskTimedOutEventAttributes(); a != nil {
			timeouts++
			assert.Equal(t, enumspb.TIMEOUT_TYPE_HEARTBEAT, a.GetFailure().GetTimeoutFailureInfo().GetTimeoutType())
		}
	}
	assert.Equal(t, 1, timeouts, "one attempt timed out")
}

// TestBrokerDown: with the framework's broker unreachable each attempt fails with a clear error
// and the step ends in error after its attempts; nothing is dropped silently.
func TestBrokerDown(t *testing.T) {
	cases := []struct {
		name string
		cfg  func(tq, down string) bridge.Config
		want []string
	}{
		{"sidekiq", func(tq, down string) bridge.Config {
			return bridge.Config{Sidekiq: &bridge.RedisTarget{Redis: "redis://" + down + "/0"},
				Routes: []bridge.Route{{TaskQueue: tq, Framework: bridge.Sidekiq, Queue: "q", Job: "NoopJob"}}}
		}, []string{"sidekiq: enqueue NoopJob", "connection refused"}},
		{"celery", func(tq, down string) bridge.Config {
			return bridge.Config{Celery: &bridge.AMQPTarget{AMQP: "amqp://guest:guest@" + down + "/"},
				Routes: []bridge.Route{{TaskQueue: tq, Framework: bridge.Celery, Queue: "q", Job: "Examples::Noop"}}}
		}, []string{"celery: publish Examples::Noop", "connect to RabbitMQ", "connection refused"}},
		{"bullmq", func(tq, down string) bridge.Config {
			return bridge.Config{BullMQ: &bridge.BullMQTarget{Redis: "redis://" + down + "/0"},
				Routes:   []bridge.Route{{TaskQueue: tq, Framework: bridge.BullMQ, Queue: "q", Job: "Examples::Noop"}},
				Callback: bridge.CallbackConfig{LedgerRedis: redisURL}}
		}, []string{"bullmq: add Examples::Noop", "Redis is not reachable", "ECONNREFUSED"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tq := testsuite.UniqueName(t, tc.name)
			tmpl := oneStep(t, tq, "")
			env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, KeepQueues: true})
			down := fmt.Sprintf("127.0.0.1:%d", freePort(t))
			startBridge(t, env.Temporal, tc.cfg(tq, down))
			id := startTask(t, env, tmpl)
			s := stepState(t, env, id, tasker.StateError, 2, 60*time.Second) // every attempt made, each failed visibly
			for _, w := range tc.want {
				assert.Contains(t, s.LastError, w)
			}
		})
	}
}

// claimsOf decodes a token's claims without verifying it (the test plays a forger).
func claimsOf(t testing.TB, token string) bridge.Claims {
	t.Helper()
	p, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(p)
	require.NoError(t, err)
	var c bridge.Claims
	require.NoError(t, json.Unmarshal(raw, &c))
	return c
}

// TestCallbackTokens: forged, expired and reused tokens are refused and change nothing; the
// genuine report completes the step once.
func TestCallbackTokens(t *testing.T) {
	requireService(t, "Redis", "127.0.0.1:6379")
	tq, jobQ := testsuite.UniqueName(t, "sidekiq"), jobQueue(t)
	tmpl := oneStep(t, tq, "")
	env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, KeepQueues: true})
	b := startBridge(t, env.Temporal, sidekiqConfig(tq, jobQ, "ManualJob"))
	id := startTask(t, env, tmpl)

	job := popSidekiqJob(t, jobQ)
	assert.Equal(t, "ManualJob", job["class"])
	assert.Equal(t, jobQ, job["queue"])
	assert.Equal(t, false, job["retry"])
	assert.Regexp(t, `^[0-9a-f]{24}$`, job["jid"])
	envl := envelopeOf(t, job)
	require.Equal(t, bridge.EnvelopeVersion, envl.Version)
	require.Equal(t, "s", envl.Request.Step.Name)
	require.Equal(t, b.URL(), envl.Callback.URL)
	token := envl.Callback.Token

	claims := claimsOf(t, token)
	other, err := bridge.NewSigner([]byte(strings.Repeat("z", 40)))
	require.NoError(t, err)
	otherToken, err := other.Sign(claims)
	require.NoError(t, err)
	same, err := bridge.NewSigner([]byte(secret))
	require.NoError(t, err)
	expired := claims
	expired.Expires = time.Now().Add(-time.Minute)
	expiredToken, err := same.Sign(expired)
	require.NoError(t, err)
	p, sig, _ := strings.Cut(token, ".")
	tampered := claims
	tampered.Step = "other"
	tamperedPayload, _ := json.Marshal(tampered)

	refused := []struct {
		name, token, code string
		status            int
	}{
		{"bad signature", p + "." + strings.Repeat("A", len(sig)), "token_invalid", 401},
		{"other secret", otherToken, "token_invalid", 401},
		{"tampered claims", base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + sig, "token_invalid", 401},
		{"garbage", "not-a-token", "token_invalid", 401},
		{"expired", expiredToken, "token_expired", 401},
	}
	for _, r := range refused {
		for _, path := range []string{bridge.PathComplete, bridge.PathFail, bridge.PathHeartbeat} {
			status, reply := post(t, b.URL(), path, r.token, map[string]any{"results": map[string]int{"value": 666}, "message": "forged", "permanent": true})
			assert.Equal(t, r.status, status, "%s %s", r.name, path)
			assert.Equal(t, r.code, reply.Code, "%s %s: %s", r.name, path, reply.Error)
		}
	}
	state, err := env.Client.GetTask(context.Background(), id)
	require.NoError(t, err)
	s, _ := state.Step("s")
	require.Equal(t, tasker.StateInProgress, s.Status, "refused reports change nothing")

	status, reply := post(t, b.URL(), bridge.PathHeartbeat, token, map[string]any{"details": map[string]int{"progress": 50}})
	require.Equal(t, http.StatusOK, status, reply.Error)
	status, reply = post(t, b.URL(), bridge.PathComplete, token, map[string]any{"results": map[string]int{"value": 1}})
	require.Equal(t, http.StatusOK, status, reply.Error)
	status, reply = post(t, b.URL(), bridge.PathComplete, token, map[string]any{"results": map[string]int{"value": 2}})
	assert.Equal(t, http.StatusConflict, status)
	assert.Equal(t, "token_used", reply.Code)
	status, reply = post(t, b.URL(), bridge.PathFail, token, map[string]any{"message": "late", "permanent": true})
	assert.Equal(t, http.StatusConflict, status)
	assert.Equal(t, "token_used", reply.Code)

	res := wait(t, env, id, 30*time.Second)
	require.Equal(t, tasker.StateComplete, res.Status)
	s, _ = res.Step("s")
	assert.JSONEq(t, `{"value": 1}`, string(s.Results), "the first report stands")
	assert.Equal(t, 1, s.Attempts)
}

// TestResultTooLarge: results over callback.max_result_bytes are refused with 413 and fail the
// step permanently with an error that says so.
func TestResultTooLarge(t *testing.T) {
	requireService(t, "Redis", "127.0.0.1:6379")
	tq, jobQ := testsuite.UniqueName(t, "sidekiq"), jobQueue(t)
	tmpl := oneStep(t, tq, "")
	env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, KeepQueues: true})
	cfg := sidekiqConfig(tq, jobQ, "HugeResultJob")
	cfg.Callback.MaxResultBytes = 1024
	startBridge(t, env.Temporal, cfg)
	startSidekiq(t, jobQ) // HugeResultJob reports 2 MiB of results
	id := startTask(t, env, tmpl)

	s := stepState(t, env, id, tasker.StateError, 1, 60*time.Second)
	assert.Empty(t, s.NextAttemptAt, "a result too large is permanent: no retry")
	assert.Contains(t, s.LastError, "over the bridge limit of 1024 bytes")
}

// TestFailReports: a job's failure report is the step contract's error: permanent stops the step,
// retryable with retry_after_seconds makes the workflow wait that long before the next attempt.
func TestFailReports(t *testing.T) {
	requireService(t, "Redis", "127.0.0.1:6379")
	cases := []struct {
		name   string
		report bridge.FailRequest
		check  func(t *testing.T, env *tasktest.Env, id, jobQ, url string)
	}{
		{"permanent", bridge.FailRequest{Message: "card declined", Class: "Payments::Declined", Permanent: true},
			func(t *testing.T, env *tasktest.Env, id, _, _ string) {
				s := stepState(t, env, id, tasker.StateError, 1, 30*time.Second)
				assert.Contains(t, s.LastError, "card declined")
				assert.Nil(t, s.NextAttemptAt, "no further attempt")
			}},
		{"retry after", bridge.FailRequest{Message: "rate limited", Class: "Net::HTTPTooManyRequests", RetryAfterSeconds: 2},
			func(t *testing.T, env *tasktest.Env, id, jobQ, url string) {
				failedAt := time.Now()
				next := popSidekiqJob(t, jobQ) // the workflow's second attempt, enqueued after the backoff
				assert.GreaterOrEqual(t, time.Since(failedAt), 1500*time.Millisecond, "retry_after_seconds is honoured")
				envl := envelopeOf(t, next)
				assert.Equal(t, 2, envl.Request.Step.Attempt)
				status, reply := post(t, url, bridge.PathComplete, envl.Callback.Token, map[string]any{"results": "ok"})
				require.Equal(t, http.StatusOK, status, reply.Error)
				res := wait(t, env, id, 30*time.Second)
				require.Equal(t, tasker.StateComplete, res.Status)
				s, _ := res.Step("s")
				assert.Equal(t, 2, s.Attempts)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tq, jobQ := testsuite.UniqueName(t, "sidekiq"), jobQueue(t)
			tmpl := oneStep(t, tq, "")
			env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, KeepQueues: true})
			b := startBridge(t, env.Temporal, sidekiqConfig(tq, jobQ, "ManualJob"))
			id := startTask(t, env, tmpl)
			envl := envelopeOf(t, popSidekiqJob(t, jobQ))
			status, reply := post(t, b.URL(), bridge.PathFail, envl.Callback.Token, tc.report)
			require.Equal(t, http.StatusOK, status, reply.Error)
			tc.check(t, env, id, jobQ, b.URL())
		})
	}
}

// TestHeartbeatCancel: heartbeats keep an attempt alive past its heartbeat timeout; once the task
// is cancelled the next heartbeat answers cancel_requested, and a late completion is refused.
func TestHeartbeatCancel(t *testing.T) {
	requireService(t, "Redis", "127.0.0.1:6379")
	tq, jobQ := testsuite.UniqueName(t, "sidekiq"), jobQueue(t)
	tmpl := oneStep(t, tq, "      heartbeat: 3s\n")
	env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, KeepQueues: true})
	b := startBridge(t, env.Temporal, sidekiqConfig(tq, jobQ, "ManualJob"))
	id := startTask(t, env, tmpl)
	envl := envelopeOf(t, popSidekiqJob(t, jobQ))
	token := envl.Callback.Token

	for range 5 { // 5 s of work, longer than the heartbeat timeout
		status, reply := post(t, b.URL(), bridge.PathHeartbeat, token, map[string]any{"details": "working"})
		require.Equal(t, http.StatusOK, status, reply.Error)
		require.False(t, reply.CancelRequested)
		time.Sleep(time.Second)
	}
	state, err := env.Client.GetTask(context.Background(), id)
	require.NoError(t, err)
	s, _ := state.Step("s")
	require.Equal(t, tasker.StateInProgress, s.Status, "heartbeats kept the attempt alive")
	require.Equal(t, 1, s.Attempts)

	require.NoError(t, env.Client.CancelTask(context.Background(), id, "operator"))
	waitFor(t, 10*time.Second, "cancel_requested on heartbeat", func() (bool, error) {
		status, reply := post(t, b.URL(), bridge.PathHeartbeat, token, nil)
		return reply.CancelRequested || status == http.StatusGone, fmt.Errorf("%d %s", status, reply.Code)
	})
	status, reply := post(t, b.URL(), bridge.PathComplete, token, map[string]any{"results": "too late"})
	assert.Equal(t, http.StatusGone, status)
	assert.Equal(t, "attempt_closed", reply.Code)
}

// TestShimFailures: each shim reports what a handler raised — an ordinary exception is a
// retryable failure carrying its class, a PermanentError stops the step — through the real
// framework workers.
func TestShimFailures(t *testing.T) {
	requireService(t, "Redis", "127.0.0.1:6379")
	requireService(t, "RabbitMQ", "127.0.0.1:5672")
	cases := []struct {
		framework          bridge.Framework
		flakyJob, declined string
		start              func(testing.TB, string) *proc
		class              string
	}{
		{bridge.Sidekiq, "FlakyJob", "DeclineJob", startSidekiq, "IOError"},
		{bridge.Celery, "Examples::Flaky", "Examples::Decline", startCelery, "ConnectionError"},
		{bridge.BullMQ, "Examples::Flaky", "Examples::Decline", startBullMQ, "TypeError"},
	}
	for _, tc := range cases {
		t.Run(string(tc.framework), func(t *testing.T) {
			tq, jobQ := testsuite.UniqueName(t, string(tc.framework)), jobQueue(t)
			tmpl, err := template.Parse([]byte(fmt.Sprintf(`
name: shim_failures
namespace_name: bridge_faults_%s
version: 1.0.0
temporal: {task_queue: %s}
steps:
  - name: flaky
    handler: {callable: Examples::Flaky}
    retry: {max_attempts: 2, backoff: exponential, backoff_base_ms: 100}
  - name: decline
    handler: {callable: Examples::Decline}
    retry: {max_attempts: 3, backoff: exponential, backoff_base_ms: 100}
`, tc.framework, tq)), t.Name()+".yaml", "")
			require.NoError(t, err)
			env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, KeepQueues: true})
			cfg := bridge.Config{
				Sidekiq: &bridge.RedisTarget{Redis: redisURL}, Celery: &bridge.AMQPTarget{AMQP: amqpURL}, BullMQ: &bridge.BullMQTarget{Redis: redisURL},
				Routes: []bridge.Route{
					{TaskQueue: tq, Callable: "Examples::Flaky", Framework: tc.framework, Queue: jobQ, Job: tc.flakyJob},
					{TaskQueue: tq, Callable: "Examples::Decline", Framework: tc.framework, Queue: jobQ, Job: tc.declined},
				},
			}
			startBridge(t, env.Temporal, cfg)
			tc.start(t, jobQ)
			id := startTask(t, env, tmpl)

			var flaky, decline tasker.StepStatus
			waitFor(t, 60*time.Second, "flaky complete and decline in error", func() (bool, error) {
				res, err := env.Client.GetTask(context.Background(), id)
				if err != nil {
					return false, err
				}
				flaky, _ = res.Step("flaky")
				decline, _ = res.Step("decline")
				return flaky.Status == tasker.StateComplete && decline.Status == tasker.StateError,
					fmt.Errorf("flaky %s (%s), decline %s (%s)", flaky.Status, flaky.LastError, decline.Status, decline.LastError)
			})
			assert.Equal(t, 2, flaky.Attempts, "the ordinary exception was retried")
			assert.JSONEq(t, `{"attempt": 2}`, string(flaky.Results))
			assert.Equal(t, 1, decline.Attempts, "PermanentError stops the step")
			assert.Nil(t, decline.NextAttemptAt)
			assert.Contains(t, decline.LastError, "card declined")

			// The attempts failed with the handler's exception class and PermanentError as types.
			var types []string
			iter := env.Temporal.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for iter.HasNext() {
				ev, err := iter.Next()
				require.NoError(t, err)
				if a := ev.GetActivityTaskFailedEventAttributes(); a != nil {
					types = append(types, a.GetFailure().GetApplicationFailureInfo().GetType())
				}
			}
			assert.ElementsMatch(t, []string{tc.class, tasker.ErrorTypePermanent}, types)
		})
	}
}
