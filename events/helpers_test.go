package events

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	tasker "github.com/tasker-systems/tasker-temporal"
)

var testTask = TaskMeta{TaskID: 42, Namespace: "payments", Name: "process_payment", Version: "1.0.0"}

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// diamondTransitions is one task's transitions as the workflow makes them: a diamond
// validate → {charge, notify} → finalize, where charge fails once and is retried, and notify
// returns a custom event. The workflow ID varies so many tasks can share a stream.
func diamondTransitions(wf string) []tasker.Transition {
	var out []tasker.Transition
	add := func(entity, step, from, to string, attempt int, edit func(*tasker.Transition)) {
		tr := tasker.Transition{WorkflowID: wf, Seq: int64(len(out) + 1), Entity: entity, Step: step,
			From: from, To: to, At: t0.Add(time.Duration(len(out)) * time.Second), Attempt: attempt}
		if edit != nil {
			edit(&tr)
		}
		out = append(out, tr)
	}
	const task, step = tasker.EntityTask, tasker.EntityStep
	const p, ip, c, e = tasker.StatePending, tasker.StateInProgress, tasker.StateComplete, tasker.StateError
	add(task, "", "", p, 0, nil)
	for _, s := range []string{"validate", "charge", "notify", "finalize"} {
		add(step, s, "", p, 0, nil)
	}
	add(task, "", p, ip, 0, nil)
	add(step, "validate", p, ip, 1, nil)
	add(step, "validate", ip, c, 1, func(tr *tasker.Transition) {
		tr.Results = json.RawMessage(`{"valid":true}`)
		tr.Metadata = map[string]any{KeyExecutionDuration: 0.012}
	})
	add(step, "charge", p, ip, 1, nil)
	add(step, "notify", p, ip, 1, nil)
	add(step, "charge", ip, e, 1, func(tr *tasker.Transition) {
		tr.Results = json.RawMessage(`{"error":"card processor timeout","error_class":"Timeout","backtrace":[]}`)
		tr.BackoffSeconds = 2
		tr.Metadata = map[string]any{KeyMaxAttempts: 3}
	})
	add(step, "notify", ip, c, 1, func(tr *tasker.Transition) {
		tr.Results = json.RawMessage(`{"sent":true}`)
		tr.Metadata = map[string]any{CustomEventsKey: []any{
			map[string]any{"name": "notifications.email_sent", "payload": map[string]any{"to": "buyer@example.com"}},
		}}
	})
	add(step, "charge", e, p, 1, func(tr *tasker.Transition) { tr.Metadata = map[string]any{KeyRetryAttempt: 2} })
	add(step, "charge", p, ip, 2, nil)
	add(step, "charge", ip, c, 2, func(tr *tasker.Transition) { tr.Results = json.RawMessage(`{"charge_id":"ch_1"}`) })
	add(step, "finalize", p, ip, 1, nil)
	add(step, "finalize", ip, c, 1, nil)
	add(task, "", ip, c, 0, nil)
	return out
}

// diamondEvents is every event of one diamond task, in publish order.
func diamondEvents(wf string) []Event {
	var out []Event
	for _, tr := range diamondTransitions(wf) {
		out = append(out, FromTransition(tr, testTask)...)
	}
	return out
}

const natsURL = "nats://127.0.0.1:4222"

// requireNATS fails the test loudly when the NATS server is down.
func requireNATS(tb testing.TB) {
	tb.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:4222", 2*time.Second)
	if err != nil {
		tb.Fatalf("NATS JetStream must run on 127.0.0.1:4222 for this test: %v", err)
	}
	_ = c.Close()
}

var streamSeq struct {
	sync.Mutex
	n int
}

// testStream gives a test its own stream (memory storage) and subject prefix, deleted after.
func testStream(tb testing.TB) NATSConfig {
	tb.Helper()
	requireNATS(tb)
	streamSeq.Lock()
	streamSeq.n++
	n := streamSeq.n
	streamSeq.Unlock()
	id := fmt.Sprintf("%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000_000, n)
	cfg := NATSConfig{URL: natsURL, Stream: "TEST_EVENTS_" + id, SubjectPrefix: "test.events." + id, Storage: "memory"}
	tb.Cleanup(func() {
		nc, err := nats.Connect(natsURL)
		if err != nil {
			return
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = js.DeleteStream(ctx, cfg.Stream)
	})
	return cfg
}

// streamMessages counts the messages a stream holds.
func streamMessages(tb testing.TB, stream string) uint64 {
	tb.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("jetstream: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		tb.Fatalf("stream %s: %v", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		tb.Fatalf("stream %s info: %v", stream, err)
	}
	return info.State.Msgs
}

func ids(evs []Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

func names(evs []Event) []string {
	if len(evs) == 0 {
		return nil
	}
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Name
	}
	return out
}
