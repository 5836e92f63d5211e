package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// collector is a subscriber that records what it receives.
type collector struct {
	mu  sync.Mutex
	evs []Event
}

func (c *collector) handle(_ context.Context, ev Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evs = append(c.evs, ev)
	return nil
}

func (c *collector) events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.evs...)
}

func closePublisher(t *testing.T, p *Publisher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, p.Close(ctx))
}

func TestSubscribePatternsAndFilters(t *testing.T) {
	all := diamondEvents("wf-a")
	other := diamondEvents("wf-b")
	for i := range other {
		other[i].Namespace = "billing"
	}
	tests := []struct {
		name    string
		pattern string
		opts    []SubscribeOption
		want    func(Event) bool
	}{
		{"every event", ">", nil, func(Event) bool { return true }},
		{"step events", "step.*", nil, func(ev Event) bool { return ev.Name[:5] == "step." }},
		{"completions", "*.completed", nil, func(ev Event) bool { return ev.Name == StepCompleted || ev.Name == TaskCompleted }},
		{"observability", "observability.>", nil, func(ev Event) bool { return ev.Name == ObservabilityStepBackoff }},
		{"one namespace", ">", []SubscribeOption{WithFilter(Filter{Namespace: "billing"})}, func(ev Event) bool { return ev.Namespace == "billing" }},
		{"one workflow and step", "step.*", []SubscribeOption{WithFilter(Filter{WorkflowID: "wf-a", Step: "charge"})},
			func(ev Event) bool { return ev.WorkflowID == "wf-a" && ev.Step == "charge" && ev.Name[:5] == "step." }},
		{"predicate", ">", []SubscribeOption{WithPredicate(func(ev Event) bool { return ev.Seq%2 == 0 })}, func(ev Event) bool { return ev.Seq%2 == 0 }},
		{"custom events", "notifications.>", nil, func(ev Event) bool { return ev.Name == "notifications.email_sent" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPublisher(zap.NewNop())
			c := &collector{}
			_, err := p.Subscribe(tc.pattern, c.handle, tc.opts...)
			require.NoError(t, err)
			require.NoError(t, p.Publish(context.Background(), all...))
			require.NoError(t, p.Publish(context.Background(), other...))
			closePublisher(t, p)
			var want []Event
			for _, ev := range append(append([]Event(nil), all...), other...) {
				if tc.want(ev) {
					want = append(want, ev)
				}
			}
			require.NotEmpty(t, want, "the case selects something")
			assert.Equal(t, ids(want), ids(c.events()), "exactly the matching events, in publish order")
		})
	}
}

func TestSubscribeErrors(t *testing.T) {
	p := NewPublisher(nil)
	_, err := p.Subscribe("step..x", func(context.Context, Event) error { return nil })
	assert.ErrorContains(t, err, `subscribe: event pattern "step..x": segment 2 is empty`)
	_, err = p.Subscribe("step.*", nil)
	assert.ErrorContains(t, err, `subscribe "step.*": handler is nil`)
	_, err = p.Subscribe("step.*", func(context.Context, Event) error { return nil }, WithBuffer(0))
	assert.ErrorContains(t, err, "buffer must be positive")
	closePublisher(t, p)
	_, err = p.Subscribe("step.*", func(context.Context, Event) error { return nil })
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, p.Publish(context.Background(), diamondEvents("wf")[0]), ErrClosed)
	assert.NoError(t, p.Close(context.Background()), "Close twice is fine")
}

func TestPublishRejectsIncompleteEvents(t *testing.T) {
	p := NewPublisher(nil)
	defer closePublisher(t, p)
	err := p.Publish(context.Background(), Event{Name: "a.b"})
	assert.ErrorContains(t, err, `publish: event 0 ("a.b") has no ID or no name`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, p.Publish(ctx, diamondEvents("wf")[0]), context.Canceled)
}

func TestSlowSubscriberNeverBlocksPublish(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	p := NewPublisher(zap.New(core))
	release := make(chan struct{})
	_, err := p.Subscribe(">", func(ctx context.Context, ev Event) error {
		<-release
		return nil
	}, WithBuffer(4), WithName("stuck"))
	require.NoError(t, err)
	fast := &collector{}
	_, err = p.Subscribe(">", fast.handle, WithName("fast"))
	require.NoError(t, err)

	evs := diamondEvents("wf-slow")
	start := time.Now()
	for i := 0; i < 20; i++ {
		require.NoError(t, p.Publish(context.Background(), evs...))
	}
	assert.Less(t, time.Since(start), 2*time.Second, "Publish returned while the subscriber was stuck")
	close(release)
	closePublisher(t, p)

	st := p.Stats()
	total := uint64(20 * len(evs))
	assert.Equal(t, total, st.Published)
	byName := map[string]TargetStats{}
	for _, ts := range st.Targets {
		byName[ts.Name] = ts
	}
	stuck := byName["stuck"]
	assert.Equal(t, total, stuck.Delivered+stuck.Dropped, "each event is delivered or counted as dropped")
	assert.GreaterOrEqual(t, stuck.Dropped, total-5, "at most buffer+1 got through")
	assert.Equal(t, total, byName["fast"].Delivered, "a slow subscriber does not starve the others")
	require.NotZero(t, logs.FilterMessage("events dropped").Len(), "drops are logged")
	assert.Equal(t, "stuck", logs.FilterMessage("events dropped").All()[0].ContextMap()["subscriber"])
}

func TestFailingSubscriberIsContained(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	p := NewPublisher(zap.New(core))
	_, err := p.Subscribe("task.*", func(context.Context, Event) error { return errors.New("metrics backend down") }, WithName("erroring"))
	require.NoError(t, err)
	_, err = p.Subscribe("task.*", func(context.Context, Event) error { panic("bug in subscriber") }, WithName("panicking"))
	require.NoError(t, err)
	require.NoError(t, p.Publish(context.Background(), diamondEvents("wf")...))
	closePublisher(t, p)
	for _, ts := range p.Stats().Targets {
		assert.Equal(t, uint64(6), ts.Failed, ts.Name) // 3 task transitions × (task.before_transition + its task.* event)
		assert.Zero(t, ts.Delivered, ts.Name)
	}
	assert.NotZero(t, logs.FilterMessage("event subscriber failed").FilterField(zap.String("subscriber", "panicking")).Len())
}

func TestUnsubscribe(t *testing.T) {
	p := NewPublisher(nil)
	defer closePublisher(t, p)
	c := &collector{}
	unsub, err := p.Subscribe(">", c.handle)
	require.NoError(t, err)
	evs := diamondEvents("wf")
	require.NoError(t, p.Publish(context.Background(), evs[:3]...))
	unsub()
	unsub()
	require.NoError(t, p.Publish(context.Background(), evs[3:]...))
	require.Eventually(t, func() bool { return len(c.events()) == 3 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	assert.Len(t, c.events(), 3, "nothing after unsubscribe")
	assert.Empty(t, p.Stats().Targets)
}

// flakySink fails its first failures calls, then records batches.
type flakySink struct {
	mu       sync.Mutex
	failures int
	err      error
	calls    int
	got      []Event
}

func (f *flakySink) Name() string { return "flaky" }

func (f *flakySink) Send(_ context.Context, evs []Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failures {
		return f.err
	}
	f.got = append(f.got, evs...)
	return nil
}

func TestSinkRetriesKeepOrder(t *testing.T) {
	sink := &flakySink{failures: 3, err: errors.New("broker unavailable")}
	p := NewPublisherWith(nil, Options{RetryBase: time.Millisecond, BatchSize: 8}, sink)
	evs := diamondEvents("wf-r")
	require.NoError(t, p.Publish(context.Background(), evs...))
	closePublisher(t, p)
	assert.Equal(t, ids(evs), ids(sink.got), "every event once, in order, after retries")
	st := p.Stats().Targets[0]
	assert.Equal(t, uint64(len(evs)), st.Delivered)
	assert.Zero(t, st.Dropped)
}

func TestSinkGivesUp(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantCalls int
	}{
		{"retryable error exhausts attempts", errors.New("down"), 3},
		{"permanent error stops at once", Permanent(errors.New("rejected")), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zap.WarnLevel)
			sink := &flakySink{failures: 1000, err: tc.err}
			p := NewPublisherWith(zap.New(core), Options{RetryBase: time.Millisecond, MaxAttempts: 3, BatchSize: 1000}, sink)
			evs := diamondEvents("wf")
			require.NoError(t, p.Publish(context.Background(), evs...))
			closePublisher(t, p)
			st := p.Stats().Targets[0]
			assert.Equal(t, uint64(len(evs)), st.Dropped)
			// Batching depends on timing: the first event may leave alone. Each batch costs
			// wantCalls attempts and one log line.
			require.NotZero(t, st.Failed)
			assert.Equal(t, tc.wantCalls*int(st.Failed), sink.calls)
			assert.Equal(t, int(st.Failed), logs.FilterMessage("event sink gave up on a batch").Len())
		})
	}
	assert.True(t, IsPermanent(fmt.Errorf("wrapped: %w", Permanent(errors.New("x")))))
	assert.False(t, IsPermanent(errors.New("x")))
	assert.Nil(t, Permanent(nil))
}

func TestFilteredSink(t *testing.T) {
	sink := &flakySink{}
	f := Filtered(sink, []Pattern{MustPattern("task.*"), MustPattern("notifications.>")}, Filter{Namespace: "payments"})
	p := NewPublisher(nil, f)
	evs := diamondEvents("wf")
	require.NoError(t, p.Publish(context.Background(), evs...))
	closePublisher(t, p)
	var want []string
	for _, ev := range evs {
		if ev.Name[:5] == "task." || ev.Name == "notifications.email_sent" {
			want = append(want, ev.ID)
		}
	}
	assert.Equal(t, want, ids(sink.got))
}

// blockingSink blocks in Send until its context ends.
type blockingSink struct{}

func (blockingSink) Name() string { return "blocking" }
func (blockingSink) Send(ctx context.Context, _ []Event) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestCloseGivesUpAtDeadline(t *testing.T) {
	p := NewPublisher(nil, blockingSink{})
	require.NoError(t, p.Publish(context.Background(), diamondEvents("wf")...))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := p.Close(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "close publisher: not drained: context deadline exceeded")
}

// TestConcurrentPublishSubscribeClose runs publishers, subscribes, unsubscribes and Close at once
// (run with -race): nothing panics, and Publish after Close says so.
func TestConcurrentPublishSubscribeClose(t *testing.T) {
	p := NewPublisher(nil, &flakySink{})
	evs := diamondEvents("wf-c")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := p.Publish(context.Background(), evs...); err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("publish: %v", err)
					}
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				unsub, err := p.Subscribe("step.*", func(context.Context, Event) error { return nil })
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("subscribe: %v", err)
					}
					return
				}
				unsub()
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	closePublisher(t, p)
	wg.Wait()
	assert.ErrorIs(t, p.Publish(context.Background(), evs[0]), ErrClosed)
}
