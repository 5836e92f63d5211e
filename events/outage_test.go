package events

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tasker-systems/tasker-temporal/testsuite"
)

// proxiedStream is a test stream reached through a TCP proxy the test can cut.
func proxiedStream(t *testing.T) (NATSConfig, *testsuite.Proxy) {
	cfg := testStream(t)
	proxy := testsuite.NewProxy(t, strings.TrimPrefix(natsURL, "nats://"))
	cfg.URL = "nats://" + proxy.Addr()
	cfg.AckTimeout = time.Second
	return cfg, proxy
}

// eventsOf returns n distinct events of one workflow, in order.
func eventsOf(wf string, n int) []Event {
	var out []Event
	for i := 0; len(out) < n; i++ {
		for _, ev := range diamondEvents(fmt.Sprintf("%s-%d", wf, i)) {
			if len(out) < n {
				out = append(out, ev)
			}
		}
	}
	return out
}

func waitDelivered(t *testing.T, p *Publisher, n uint64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if p.Stats().Targets[0].Delivered >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("delivered %d of %d events within %s: %+v", p.Stats().Targets[0].Delivered, n, d, p.Stats())
}

// TestNATSDownAtStartIsNotFatal: with NATS unreachable the sink is made anyway, one warning is
// logged, events wait in the queue, and all of them land once NATS is back.
func TestNATSDownAtStartIsNotFatal(t *testing.T) {
	cfg, proxy := proxiedStream(t)
	proxy.Cut()
	sink, err := NewNATSSink(context.Background(), cfg)
	require.NoError(t, err, "NATS down is not a start-up error")
	assert.False(t, sink.Reachable())
	core, logs := observer.New(zap.InfoLevel)
	p := NewPublisherWith(zap.New(core), Options{RetryBase: 10 * time.Millisecond, RetryMax: 200 * time.Millisecond, MaxAttempts: 2}, sink)
	evs := eventsOf("wf-down-at-start", 40)
	require.NoError(t, p.Publish(context.Background(), evs...))

	time.Sleep(2 * time.Second) // far beyond MaxAttempts × RetryMax: a non-durable sink would have given up
	assert.Zero(t, p.Stats().Targets[0].Delivered)
	assert.Zero(t, p.Stats().Targets[0].Dropped)
	proxy.Restore()
	waitDelivered(t, p, uint64(len(evs)), 20*time.Second)
	closePublisher(t, p)

	assert.Equal(t, 1, logs.FilterLevelExact(zap.WarnLevel).Len(), "one warning: %v", logs.All())
	assert.Equal(t, 1, logs.FilterMessageSnippet("event sink unreachable").Len())
	assert.Equal(t, 1, logs.FilterMessageSnippet("event sink is back").Len())
	assert.Equal(t, uint64(len(evs)), streamMessages(t, cfg.Stream))
	got := followAll(t, FollowOptions{Stream: cfg.Stream, SubjectPrefix: cfg.SubjectPrefix, FromStart: true}, len(evs))
	assert.Equal(t, ids(evs), ids(got), "every event once, in order")
}

// TestNATSOutageMidRun: NATS cut while events flow; events within the queue's bound are all
// delivered once it is back, in order, none lost or doubled; beyond the bound the excess is
// counted as dropped and logged.
func TestNATSOutageMidRun(t *testing.T) {
	cases := []struct {
		name      string
		buffer    int
		during    int // events published while NATS is away
		wantDrops bool
	}{
		{"within the bound", 1000, 300, false},
		{"beyond the bound", 50, 300, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, proxy := proxiedStream(t)
			sink, err := NewNATSSink(context.Background(), cfg)
			require.NoError(t, err)
			require.True(t, sink.Reachable())
			core, logs := observer.New(zap.InfoLevel)
			p := NewPublisherWith(zap.New(core), Options{SinkBuffer: tc.buffer, BatchSize: 10, RetryBase: 10 * time.Millisecond,
				RetryMax: 200 * time.Millisecond, MaxAttempts: 2}, sink)
			before := eventsOf("wf-before", 20)
			require.NoError(t, p.Publish(context.Background(), before...))
			waitDelivered(t, p, uint64(len(before)), 10*time.Second)

			proxy.Cut()
			during := eventsOf("wf-during", tc.during)
			for _, ev := range during {
				require.NoError(t, p.Publish(context.Background(), ev))
			}
			time.Sleep(1500 * time.Millisecond)
			proxy.Restore()
			if !tc.wantDrops {
				waitDelivered(t, p, uint64(len(before)+len(during)), 20*time.Second)
			}
			closePublisher(t, p)
			st := p.Stats().Targets[0]

			assert.Equal(t, uint64(len(before)+len(during)), st.Delivered+st.Dropped, "every event delivered or counted: %+v", st)
			assert.Equal(t, st.Delivered, streamMessages(t, cfg.Stream), "what was delivered is in the stream, once")
			assert.Equal(t, 1, logs.FilterMessageSnippet("event sink unreachable").Len(), "one warning for the outage")
			if tc.wantDrops {
				assert.NotZero(t, st.Dropped)
				assert.NotZero(t, logs.FilterMessage("events dropped").Len(), "drops are logged")
				return
			}
			assert.Zero(t, st.Dropped)
			want := append(append([]Event(nil), before...), during...)
			got := followAll(t, FollowOptions{Stream: cfg.Stream, SubjectPrefix: cfg.SubjectPrefix, FromStart: true}, len(want))
			assert.Equal(t, ids(want), ids(got), "in order")
		})
	}
}
