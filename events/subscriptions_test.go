package events

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestLoadSubscriptions(t *testing.T) {
	path := filepath.Join("testdata", "subscriptions", "valid.yaml")
	subs, err := LoadSubscriptions(path)
	require.NoError(t, err)
	require.Len(t, subs, 3)

	hook := subs[0]
	assert.Equal(t, "payment-failures", hook.Name)
	assert.Equal(t, path, hook.File)
	assert.Equal(t, 4, hook.Line)
	assert.Equal(t, Filter{Namespace: "payments", TaskName: "process_payment"}, hook.Filter)
	require.NotNil(t, hook.Webhook)
	assert.Equal(t, 5*time.Second, hook.Webhook.Timeout)
	assert.Equal(t, "TASKER_TEST_WEBHOOK_SECRET", hook.Webhook.SecretEnv)
	require.Len(t, hook.Patterns(), 3)
	assert.True(t, hook.Patterns()[2].Match(ObservabilityStepMaxRetriesReached))

	broker := subs[1]
	require.NotNil(t, broker.NATS)
	assert.Equal(t, 15*time.Minute, broker.NATS.DuplicateWindow)
	assert.Equal(t, "tasker.events", broker.NATS.SubjectPrefix)

	require.NotNil(t, subs[2].Log)
	assert.Equal(t, "info", subs[2].Log.Level)
}

func TestLoadSubscriptionsErrors(t *testing.T) {
	dir := filepath.Join("testdata", "subscriptions", "bad")
	tests := []struct {
		file    string
		wantErr string
	}{
		{"unknown_key.yaml", "line 5: field colour not found"},
		{"no_sink.yaml", `subscription "nowhere" (line 2): want exactly one of webhook, nats, log; got 0`},
		{"two_sinks.yaml", `subscription "both" (line 2): want exactly one of webhook, nats, log; got 2`},
		{"bad_pattern.yaml", `subscription "broken" (line 6): events[1]: event pattern "step..completed": segment 2 is empty`},
		{"no_events.yaml", `subscription "empty" (line 2): field events is required`},
		{"no_name.yaml", "subscriptions[0] (line 2): field name is required"},
		{"duplicate.yaml", `subscription "twice" (line 5): duplicate name, first at line 2`},
		{"webhook_no_secret.yaml", `subscription "hook" (line 2): webhook: set exactly one of secret_env, secret`},
		{"webhook_no_url.yaml", `subscription "hook" (line 2): webhook.url is required`},
		{"bad_nats.yaml", `subscription "broker" (line 2): nats stream "TASKER.EVENTS"`},
		{"bad_level.yaml", `subscription "log" (line 2): log.level "loud"`},
		{"empty.yaml", "no subscriptions"},
		{"bad_duration.yaml", "line 4"},
		{"missing.yaml", "no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			_, err := LoadSubscriptions(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "load subscriptions "+path+": ")
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// TestSubscriptionSinksDeliver builds every kind of sink from a file and checks each gets only
// its events.
func TestSubscriptionSinksDeliver(t *testing.T) {
	cfg := testStream(t)
	rcv := &receiver{seen: map[string]bool{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	t.Setenv("TASKER_TEST_WEBHOOK_SECRET", string(testSecret))
	file := filepath.Join(t.TempDir(), "subscriptions.yaml")
	yaml := "subscriptions:\n" +
		"  - name: failures\n    events: [step.failed]\n    webhook: {url: \"" + srv.URL + "\", secret_env: TASKER_TEST_WEBHOOK_SECRET}\n" +
		"  - name: broker\n    events: [\">\"]\n    filter: {workflow_id: wf-a}\n    nats: {url: \"" + natsURL + "\", stream: " + cfg.Stream + ", subject_prefix: " + cfg.SubjectPrefix + ", storage: memory}\n" +
		"  - name: audit\n    events: [\"task.*\"]\n    log: {level: warn}\n"
	require.NoError(t, os.WriteFile(file, []byte(yaml), 0o600))
	subs, err := LoadSubscriptions(file)
	require.NoError(t, err)

	core, logs := observer.New(zap.InfoLevel)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sinks, err := BuildSinks(ctx, zap.New(core), subs)
	require.NoError(t, err)
	p := NewPublisher(zap.New(core), sinks...)
	a, b := diamondEvents("wf-a"), diamondEvents("wf-b")
	require.NoError(t, p.Publish(ctx, a...))
	require.NoError(t, p.Publish(ctx, b...))
	require.NoError(t, p.Close(ctx))

	assert.Equal(t, []string{StepFailed, StepFailed}, names(rcv.delivered), "webhook: step.failed of both tasks")
	assert.Equal(t, uint64(len(a)), streamMessages(t, cfg.Stream), "broker: every event of wf-a only")
	assert.Equal(t, 12, logs.FilterMessage("tasker event").Len(), "log: task.* of both tasks")
}

func TestBuildSinksErrors(t *testing.T) {
	os.Unsetenv("TASKER_TEST_UNSET_SECRET")
	sub := Subscription{Name: "hook", File: "subs.yaml", Line: 3, Events: []string{">"},
		Webhook: &WebhookSpec{URL: "https://example.com", SecretEnv: "TASKER_TEST_UNSET_SECRET"}}
	require.NoError(t, sub.validate(0))
	_, err := BuildSinks(context.Background(), nil, []Subscription{sub})
	assert.ErrorContains(t, err, `subscriptions subs.yaml: subscription "hook" (line 3): webhook.secret_env: environment variable TASKER_TEST_UNSET_SECRET is not set`)

	sub = Subscription{Name: "short", File: "subs.yaml", Line: 9, Events: []string{">"},
		Webhook: &WebhookSpec{URL: "https://example.com", Secret: "short"}}
	require.NoError(t, sub.validate(0))
	_, err = BuildSinks(context.Background(), nil, []Subscription{sub})
	assert.ErrorContains(t, err, `subscription "short" (line 9): webhook sink https://example.com: secret must be at least 16 bytes`)
}

func TestLogSink(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	s := NewLogSink("audit", zap.New(core), zap.InfoLevel)
	require.NoError(t, s.Send(context.Background(), diamondEvents("wf")[:2]))
	require.Equal(t, 2, logs.Len())
	assert.Equal(t, TaskBeforeTransition, logs.All()[0].ContextMap()["event"])
	assert.Equal(t, "audit", s.Name())
}
