package bridge_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	sdkclient "go.temporal.io/sdk/client"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/bridge"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

// completions stands in for Temporal in BenchmarkRoundTrip only: it records which attempts were
// completed, so the benchmark measures the bridge and the framework without the Temporal server.
type completions struct {
	sdkclient.Client
	mu      sync.Mutex
	waiters map[string]chan struct{}
}

func (c *completions) expect(id string) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	c.waiters[id] = ch
	return ch
}

func (c *completions) CompleteActivity(_ context.Context, taskToken []byte, _ any, _ error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.waiters[string(taskToken)]; ok {
		close(ch)
		delete(c.waiters, string(taskToken))
	}
	return nil
}

// BenchmarkRoundTrip measures the bridge's own path without Temporal: sign a token, enqueue the
// job, the real framework worker runs it and reports through the callback API (token check,
// Redis ledger), for each framework. ms-p50 is one job's round trip; steps/s the throughput of a
// batch in flight at once.
func BenchmarkRoundTrip(b *testing.B) {
	requireService(b, "Redis", "127.0.0.1:6379")
	requireService(b, "RabbitMQ", "127.0.0.1:5672")
	comp := &completions{waiters: map[string]chan struct{}{}}
	jobQ := jobQueue(b)
	cfg := bridge.Config{
		Sidekiq: &bridge.RedisTarget{Redis: redisURL}, Celery: &bridge.AMQPTarget{AMQP: amqpURL}, BullMQ: &bridge.BullMQTarget{Redis: redisURL},
		Routes: []bridge.Route{
			{TaskQueue: "sidekiq", Framework: bridge.Sidekiq, Queue: jobQ, Job: "NoopJob"},
			{TaskQueue: "celery", Framework: bridge.Celery, Queue: jobQ, Job: "Examples::Noop"},
			{TaskQueue: "bullmq", Framework: bridge.BullMQ, Queue: jobQ, Job: "Examples::Noop"},
		},
	}
	cfg.Callback.Secret = secret
	br, err := bridge.New(cfg, bridge.Options{Temporal: comp})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(br.Handler())
	b.Cleanup(srv.Close)
	signer, err := bridge.NewSigner([]byte(secret))
	if err != nil {
		b.Fatal(err)
	}
	startSidekiq(b, jobQ)
	startCelery(b, jobQ)
	startBullMQ(b, jobQ)
	enqueuers := map[bridge.Framework]bridge.Enqueuer{}
	mk := map[bridge.Framework]func() (bridge.Enqueuer, error){
		bridge.Sidekiq: func() (bridge.Enqueuer, error) { return bridge.NewSidekiqEnqueuer(redisURL) },
		bridge.Celery:  func() (bridge.Enqueuer, error) { return bridge.NewCeleryEnqueuer(amqpURL) },
		bridge.BullMQ: func() (bridge.Enqueuer, error) {
			return bridge.NewBullMQEnqueuer(redisURL, []string{"node", repoRoot(b) + "/bridge/shims/node/bullmq_sidecar.js"}, "")
		},
	}
	for f, fn := range mk {
		e, err := fn()
		if err != nil {
			b.Fatal(err)
		}
		enqueuers[f] = e
		b.Cleanup(func() { _ = e.Close() })
	}

	const seq, par = 50, 1000
	for _, r := range cfg.Routes {
		b.Run(string(r.Framework), func(b *testing.B) {
			one := func() chan struct{} {
				id := testsuite.UniqueName(b, "job")
				done := comp.expect(id)
				tok, err := signer.Sign(bridge.Claims{TaskToken: []byte(id), Step: "bench", Expires: time.Now().Add(time.Hour)})
				if err != nil {
					b.Error(err) // one may run on another goroutine: no Fatal
					close(done)
					return done
				}
				job := bridge.Job{Route: r, ID: id, Envelope: bridge.Envelope{
					Version: bridge.EnvelopeVersion, Callable: "Examples::Noop",
					Request:  tasker.StepRequest{Step: tasker.StepInfo{Name: "bench", Attempt: 1}},
					Callback: bridge.Callback{URL: srv.URL, Token: tok},
				}}
				if err := enqueuers[r.Framework].Enqueue(context.Background(), job); err != nil {
					b.Error(err)
					_ = comp.CompleteActivity(context.Background(), []byte(id), nil, nil) // releases the waiter
				}
				return done
			}
			await := func(done chan struct{}) {
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					b.Fatal("job did not report within 30s")
				}
			}
			for range 10 { // warm up
				await(one())
			}
			b.ResetTimer()
			var lat []time.Duration
			var parTime time.Duration
			for range b.N {
				for range seq {
					start := time.Now()
					await(one())
					lat = append(lat, time.Since(start))
				}
				// The bridge's worker enqueues concurrently (one goroutine per activity task); 16
				// enqueuers stand for that here.
				start := time.Now()
				dones := make(chan chan struct{}, par)
				var wg sync.WaitGroup
				for w := range 16 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := w; i < par; i += 16 {
							dones <- one()
						}
					}()
				}
				wg.Wait()
				b.Logf("%s: enqueued %d in %s", r.Framework, par, time.Since(start))
				close(dones)
				for d := range dones {
					await(d)
				}
				parTime += time.Since(start)
			}
			b.ReportMetric(median(lat), "ms-p50")
			b.ReportMetric(float64(par*b.N)/parTime.Seconds(), "steps/s")
		})
	}
}
