package bridge_test

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/bridge"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

// benchInput asks benchSteps for Seq steps one after another, then Par steps at once.
type benchInput struct {
	Queue, Callable string
	Seq, Par        int
}

// benchOutput holds each sequential step's latency and the parallel batch's elapsed time, as the
// workflow saw them (wall clock through SideEffect, so replays agree).
type benchOutput struct {
	Latencies []time.Duration
	Parallel  time.Duration
}

func benchSteps(ctx workflow.Context, in benchInput) (benchOutput, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: in.Queue, StartToCloseTimeout: time.Minute, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	now := func() time.Time {
		var t time.Time
		_ = workflow.SideEffect(ctx, func(workflow.Context) any { return time.Now() }).Get(&t)
		return t
	}
	req := tasker.StepRequest{Step: tasker.StepInfo{Name: "bench", Attempt: 1, MaxAttempts: 1}}
	var out benchOutput
	for range in.Seq {
		start := now()
		if err := workflow.ExecuteActivity(ctx, in.Callable, req).Get(ctx, nil); err != nil {
			return out, err
		}
		out.Latencies = append(out.Latencies, now().Sub(start))
	}
	start := now()
	futures := make([]workflow.Future, in.Par)
	for i := range futures {
		futures[i] = workflow.ExecuteActivity(ctx, in.Callable, req)
	}
	for _, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			return out, err
		}
	}
	out.Parallel = now().Sub(start)
	return out, nil
}

func nativeNoop(context.Context, tasker.StepRequest) (tasker.StepResult, error) {
	return tasker.StepResult{Results: json.RawMessage(`{"ok":true}`)}, nil
}

// BenchmarkBridge measures steps through each bridge against a native Go activity in the same
// run: ms-p50 is the P50 latency of one step (schedule to completion seen by the workflow),
// ms-p50-added the bridge's P50 minus the native one, steps/s the throughput of a batch of
// parallel steps.
func BenchmarkBridge(b *testing.B) {
	requireService(b, "Redis", "127.0.0.1:6379")
	requireService(b, "RabbitMQ", "127.0.0.1:5672")
	tc := dialTemporal(b)
	wfQueue := testsuite.UniqueName(b, "bench-wf")
	w := worker.New(tc, wfQueue, worker.Options{})
	w.RegisterWorkflow(benchSteps)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Stop)

	nativeQ := testsuite.UniqueName(b, "bench-native")
	nw := worker.New(tc, nativeQ, worker.Options{})
	nw.RegisterActivityWithOptions(nativeNoop, activity.RegisterOptions{Name: "Bench::Noop"})
	if err := nw.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nw.Stop)

	sidekiqTQ, celeryTQ, bullTQ := testsuite.UniqueName(b, "bench-sidekiq"), testsuite.UniqueName(b, "bench-celery"), testsuite.UniqueName(b, "bench-bullmq")
	jobQ := jobQueue(b)
	startBridge(b, tc, bridge.Config{
		Sidekiq: &bridge.RedisTarget{Redis: redisURL}, Celery: &bridge.AMQPTarget{AMQP: amqpURL}, BullMQ: &bridge.BullMQTarget{Redis: redisURL},
		Routes: []bridge.Route{
			{TaskQueue: sidekiqTQ, Framework: bridge.Sidekiq, Queue: jobQ, Job: "NoopJob"},
			{TaskQueue: celeryTQ, Framework: bridge.Celery, Queue: jobQ, Job: "Examples::Noop"},
			{TaskQueue: bullTQ, Framework: bridge.BullMQ, Queue: jobQ, Job: "Examples::Noop"},
		},
	})
	startSidekiq(b, jobQ)
	startCelery(b, jobQ)
	startBullMQ(b, jobQ)

	const seq, par = 40, 500
	var nativeP50 float64
	for _, bc := range []struct{ name, queue, callable string }{
		{"base_native", nativeQ, "Bench::Noop"},
		{"sidekiq", sidekiqTQ, "Examples::Noop"},
		{"celery", celeryTQ, "Examples::Noop"},
		{"bullmq", bullTQ, "Examples::Noop"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			runBench(b, tc, wfQueue, benchInput{Queue: bc.queue, Callable: bc.callable, Seq: 5, Par: 20}) // warm up
			b.ResetTimer()
			var lat []time.Duration
			var parSteps int
			var parTime time.Duration
			for range b.N {
				out := runBench(b, tc, wfQueue, benchInput{Queue: bc.queue, Callable: bc.callable, Seq: seq, Par: par})
				lat = append(lat, out.Latencies...)
				parSteps += par
				parTime += out.Parallel
			}
			p50 := median(lat)
			b.ReportMetric(p50, "ms-p50")
			b.ReportMetric(float64(parSteps)/parTime.Seconds(), "steps/s")
			if bc.name == "base_native" {
				nativeP50 = p50
			} else {
				b.ReportMetric(p50-nativeP50, "ms-p50-added")
			}
		})
	}
}

func runBench(b *testing.B, tc sdkclient.Client, wfQueue string, in benchInput) benchOutput {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := tc.ExecuteWorkflow(ctx, sdkclient.StartWorkflowOptions{ID: testsuite.UniqueName(b, "bench"), TaskQueue: wfQueue}, benchSteps, in)
	if err != nil {
		b.Fatal(err)
	}
	var out benchOutput
	if err := run.Get(ctx, &out); err != nil {
		b.Fatalf("bench workflow on %s: %v", in.Queue, err)
	}
	return out
}

// median returns the P50 of ds in milliseconds.
func median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)/2]) / float64(time.Millisecond)
}
