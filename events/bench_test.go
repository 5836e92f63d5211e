package events

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
)

// benchEvents makes n distinct events (distinct IDs, so the broker stores each) shaped like a
// step.completed event, sharing one payload map.
func benchEvents(n int) []Event {
	payload := FromTransition(diamondTransitions("wf-bench")[7], testTask)[0].Payload
	out := make([]Event, n)
	for i := range out {
		wf := fmt.Sprintf("wf-bench-%d", i/32)
		seq := int64(i%32 + 1)
		out[i] = Event{ID: EventID(wf, seq, StepCompleted, -1), Name: StepCompleted, At: t0, WorkflowID: wf,
			TaskID: int64(i / 32), Namespace: testTask.Namespace, TaskName: testTask.Name, Version: testTask.Version,
			Step: "validate", Seq: seq, Payload: payload}
	}
	return out
}

// BenchmarkEvents measures events/s in one run:
//   - in_process: Publish → an in-process Go subscriber;
//   - nats_node: Publish → NATS JetStream (file storage, as deployed) → a Node.js subscriber,
//     publisher and subscriber running at once; the clock runs from the first Publish until the
//     subscriber has the last event (this is the cross-language target);
//   - nats_publish: Publish → JetStream, until the broker acked every event (the Go side alone);
//   - nats_node_catchup: the Node.js subscriber draining a stream filled beforehand (its own
//     rate: it keeps up while this exceeds the publish rate).
func BenchmarkEvents(b *testing.B) {
	b.Run("in_process", benchInProcess)
	b.Run("nats_node", benchNATSNode)
	b.Run("nats_publish", benchNATSPublish)
	b.Run("nats_node_catchup", benchNATSNodeCatchup)
}

func benchInProcess(b *testing.B) {
	pool := benchEvents(4096)
	p := NewPublisher(zap.NewNop())
	var got atomic.Int64
	done := make(chan struct{})
	n := int64(b.N)
	_, err := p.Subscribe("step.*", func(_ context.Context, ev Event) error {
		if got.Add(1) == n {
			close(done)
		}
		return nil
	}, WithBuffer(1<<16))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := p.Publish(ctx, pool[i%len(pool)]); err != nil {
			b.Fatal(err)
		}
		if i%4096 == 4095 {
			waitQueue(p, 1<<15) // keep below the buffer: measure delivery, not drops
		}
	}
	<-done
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	closeBench(b, p)
}

// waitQueue waits while any target has more than max events queued.
func waitQueue(p *Publisher, max int) {
	for {
		busy := false
		for _, t := range p.Stats().Targets {
			busy = busy || t.Queued > max
		}
		if !busy {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func closeBench(b *testing.B, p *Publisher) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		b.Fatal(err)
	}
	for _, t := range p.Stats().Targets {
		if t.Dropped > 0 || t.Failed > 0 {
			b.Fatalf("%s %s dropped %d, failed %d", t.Kind, t.Name, t.Dropped, t.Failed)
		}
	}
}

func benchNATSNode(b *testing.B) {
	cfg := testStream(b)
	cfg.Storage = "file"
	evs := benchEvents(b.N)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sink, err := NewNATSSink(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	p := NewPublisherWith(zap.NewNop(), Options{BatchSize: 1024}, sink)
	subject, err := SubjectFilter(cfg.SubjectPrefix, ">", "")
	if err != nil {
		b.Fatal(err)
	}
	node := startNodeSubscriber(b, cfg, subject, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range evs {
		if err := p.Publish(ctx, evs[i]); err != nil {
			b.Fatal(err)
		}
		if i%4096 == 4095 {
			waitQueue(p, 1<<15)
		}
	}
	res := node.result(b)
	elapsed := time.Since(start)
	b.StopTimer()
	if res.Count != b.N {
		b.Fatalf("node subscriber received %d of %d events", res.Count, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	closeBench(b, p)
}

// newBenchNATS returns a publisher to a fresh file-storage stream, and n distinct events.
func newBenchNATS(b *testing.B, n int) (NATSConfig, *Publisher, []Event) {
	cfg := testStream(b)
	cfg.Storage = "file"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sink, err := NewNATSSink(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return cfg, NewPublisherWith(zap.NewNop(), Options{BatchSize: 1024}, sink), benchEvents(n)
}

// publishAcked publishes evs and waits until the sink has delivered them all.
func publishAcked(b *testing.B, p *Publisher, evs []Event) {
	ctx := context.Background()
	for i := range evs {
		if err := p.Publish(ctx, evs[i]); err != nil {
			b.Fatal(err)
		}
		if i%4096 == 4095 {
			waitQueue(p, 1<<15)
		}
	}
	for p.Stats().Targets[0].Delivered < uint64(len(evs)) {
		if p.Stats().Targets[0].Dropped > 0 {
			b.Fatalf("sink dropped events: %+v", p.Stats().Targets[0])
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func benchNATSPublish(b *testing.B) {
	_, p, evs := newBenchNATS(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	publishAcked(b, p, evs)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	closeBench(b, p)
}

// benchNATSNodeCatchup drains at least 20,000 events whatever b.N (so one run is enough and the
// subscriber's start-up does not dominate); only its events/s means something.
func benchNATSNodeCatchup(b *testing.B) {
	n := max(b.N, 20000)
	cfg, p, evs := newBenchNATS(b, n)
	publishAcked(b, p, evs)
	closeBench(b, p)
	subject, err := SubjectFilter(cfg.SubjectPrefix, ">", "")
	if err != nil {
		b.Fatal(err)
	}
	node := startNodeSubscriber(b, cfg, subject, n)
	res := node.result(b)
	if res.Count != n {
		b.Fatalf("node subscriber received %d of %d events", res.Count, n)
	}
	// The subscriber times itself from its first event to its last (1 ms resolution).
	elapsed := time.Duration(max(res.ElapsedMS, 1)) * time.Millisecond
	b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
}

// BenchmarkFromTransition is the recorder's cost of turning one transition into its events.
func BenchmarkFromTransition(b *testing.B) {
	trs := diamondTransitions("wf-bench")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = FromTransition(trs[i%len(trs)], testTask)
	}
}
