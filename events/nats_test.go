package events

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

func newNATSPublisher(t *testing.T, cfg NATSConfig) *Publisher {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sink, err := NewNATSSink(ctx, cfg)
	require.NoError(t, err)
	return NewPublisher(zap.NewNop(), sink)
}

// followAll collects events from Follow until it has n of them (or 10s pass).
func followAll(t *testing.T, o FollowOptions, n int) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []Event
	err := Follow(ctx, natsURL, o, func(ev Event) error {
		got = append(got, ev)
		if len(got) == n {
			cancel()
		}
		return nil
	})
	require.NoError(t, err)
	return got
}

func TestNATSSinkStoresEveryEventOnceInOrder(t *testing.T) {
	cfg := testStream(t)
	evs := diamondEvents("wf-nats")
	for round := 0; round < 2; round++ { // the second round is a replayed publish: same IDs
		p := newNATSPublisher(t, cfg)
		require.NoError(t, p.Publish(context.Background(), evs...))
		closePublisher(t, p)
		assert.Equal(t, uint64(len(evs)), p.Stats().Targets[0].Delivered)
	}
	assert.Equal(t, uint64(len(evs)), streamMessages(t, cfg.Stream), "Nats-Msg-Id de-duplicated the replay")

	got := followAll(t, FollowOptions{Stream: cfg.Stream, SubjectPrefix: cfg.SubjectPrefix, FromStart: true}, len(evs))
	require.Equal(t, ids(evs), ids(got))
	assert.Equal(t, evs[0].At, got[0].At)
	assert.Equal(t, evs[0].Payload[KeyTaskName], got[0].Payload[KeyTaskName])
}

func TestFollowFilters(t *testing.T) {
	cfg := testStream(t)
	a, b := diamondEvents("wf-a"), diamondEvents("wf/b with spaces.and.dots")
	for i := range b {
		b[i].TaskID = 99
	}
	p := newNATSPublisher(t, cfg)
	require.NoError(t, p.Publish(context.Background(), a...))
	require.NoError(t, p.Publish(context.Background(), b...))
	closePublisher(t, p)

	tests := []struct {
		name string
		o    FollowOptions
		keep func(Event) bool
	}{
		{"one workflow", FollowOptions{WorkflowID: "wf/b with spaces.and.dots"}, func(ev Event) bool { return ev.TaskID == 99 }},
		{"pattern", FollowOptions{Pattern: "step.*"}, func(ev Event) bool { return MustPattern("step.*").Match(ev.Name) }},
		{"pattern and workflow", FollowOptions{Pattern: "*.completed", WorkflowID: "wf-a"},
			func(ev Event) bool { return ev.WorkflowID == "wf-a" && MustPattern("*.completed").Match(ev.Name) }},
		{"task id", FollowOptions{TaskID: 99, Pattern: "task.>"}, func(ev Event) bool { return ev.TaskID == 99 && ev.Name[:5] == "task." }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []Event
			for _, ev := range append(append([]Event(nil), a...), b...) {
				if tc.keep(ev) {
					want = append(want, ev)
				}
			}
			tc.o.Stream, tc.o.SubjectPrefix, tc.o.FromStart = cfg.Stream, cfg.SubjectPrefix, true
			assert.Equal(t, ids(want), ids(followAll(t, tc.o, len(want))))
		})
	}
}

func TestFollowNewOnly(t *testing.T) {
	cfg := testStream(t)
	p := newNATSPublisher(t, cfg)
	defer closePublisher(t, p)
	old := diamondEvents("wf-old")
	require.NoError(t, p.Publish(context.Background(), old...))
	require.Eventually(t, func() bool { return streamMessages(t, cfg.Stream) == uint64(len(old)) }, 5*time.Second, 10*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	var got []Event
	done := make(chan error, 1)
	go func() {
		done <- Follow(ctx, natsURL, FollowOptions{Stream: cfg.Stream, SubjectPrefix: cfg.SubjectPrefix}, func(ev Event) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, ev)
			cancel()
			return nil
		})
	}()
	// Publish new events until the follower, once subscribed, sees one.
	for seq := int64(1); ctx.Err() == nil; seq++ {
		ev, err := NewCustomEvent("probe.tick", t0, "wf-new", seq, testTask, nil)
		require.NoError(t, err)
		require.NoError(t, p.Publish(context.Background(), ev))
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, <-done)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, got)
	assert.Equal(t, "probe.tick", got[0].Name, "stored events are not replayed without FromStart")
}

func TestFollowHandlerErrorStops(t *testing.T) {
	cfg := testStream(t)
	p := newNATSPublisher(t, cfg)
	require.NoError(t, p.Publish(context.Background(), diamondEvents("wf")...))
	closePublisher(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := Follow(ctx, natsURL, FollowOptions{Stream: cfg.Stream, SubjectPrefix: cfg.SubjectPrefix, FromStart: true},
		func(Event) error { return errors.New("terminal closed") })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "follow: event task.before_transition")
	assert.Contains(t, err.Error(), "terminal closed")
}

func TestNATSErrors(t *testing.T) {
	requireNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct {
		name    string
		cfg     NATSConfig
		wantErr string
	}{
		{"malformed URL", NATSConfig{URL: "nats://%zz"}, "nats sink nats: connect nats://%zz"},
		{"bad stream", NATSConfig{Stream: "A.B"}, `nats stream "A.B": a stream name may not contain`},
		{"bad prefix", NATSConfig{SubjectPrefix: "tasker.*"}, `nats subject_prefix "tasker.*": want dot-separated tokens`},
		{"bad storage", NATSConfig{Storage: "disk"}, `nats storage "disk": want file or memory`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewNATSSink(ctx, tc.cfg)
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
	err := Follow(ctx, natsURL, FollowOptions{Stream: "NO_SUCH_STREAM_EVER"}, func(Event) error { return nil })
	assert.ErrorContains(t, err, "follow: stream NO_SUCH_STREAM_EVER on "+natsURL)
	err = Follow(ctx, natsURL, FollowOptions{Pattern: "step..x"}, func(Event) error { return nil })
	assert.ErrorContains(t, err, `follow: event pattern "step..x"`)
	err = Follow(ctx, "nats://127.0.0.1:1", FollowOptions{}, func(Event) error { return nil })
	assert.ErrorContains(t, err, "follow: connect nats://127.0.0.1:1")
}

func TestSubjects(t *testing.T) {
	ev := Event{WorkflowID: "wf-1", Name: StepCompleted}
	assert.Equal(t, "tasker.events."+WorkflowKey("wf-1")+".step.completed", Subject(DefaultSubjectPrefix, ev))
	assert.Len(t, WorkflowKey("anything at all"), 16)
	f, err := SubjectFilter("p", "", "")
	require.NoError(t, err)
	assert.Equal(t, "p.*.>", f)
	f, err = SubjectFilter("p", "step.*", "wf-1")
	require.NoError(t, err)
	assert.Equal(t, "p."+WorkflowKey("wf-1")+".step.*", f)
}
