package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// SidekiqEnqueuer pushes jobs the way Sidekiq's own client does: the job JSON (class, queue,
// args, jid, created_at, enqueued_at, retry) LPUSHed on queue:<name> and the queue name added to
// the `queues` set, in one transaction.
type SidekiqEnqueuer struct {
	rdb *redis.Client
	url string
}

// NewSidekiqEnqueuer connects lazily to the Redis at url.
func NewSidekiqEnqueuer(url string) (*SidekiqEnqueuer, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("sidekiq redis %q: %w", url, err)
	}
	opts.MaxRetries = -1 // fail fast: the workflow retries the attempt
	opts.DialerRetries = 1
	return &SidekiqEnqueuer{rdb: redis.NewClient(opts), url: opts.Addr}, nil
}

// sidekiqJob is Sidekiq's job hash.
type sidekiqJob struct {
	Class      string  `json:"class"`
	Queue      string  `json:"queue"`
	Args       []any   `json:"args"`
	JID        string  `json:"jid"`
	Retry      bool    `json:"retry"`
	CreatedAt  float64 `json:"created_at"`
	EnqueuedAt float64 `json:"enqueued_at"`
}

// Enqueue implements Enqueuer.
func (e *SidekiqEnqueuer) Enqueue(ctx context.Context, job Job) error {
	now := float64(time.Now().UnixNano()) / 1e9
	payload, err := json.Marshal(sidekiqJob{
		Class: job.Route.Job, Queue: job.Route.Queue, Args: []any{job.Envelope},
		JID: job.ID, Retry: false, CreatedAt: now, EnqueuedAt: now,
	})
	if err != nil {
		return fmt.Errorf("sidekiq: encode job %s: %w", job.Route.Job, err)
	}
	_, err = e.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, "queues", job.Route.Queue)
		p.LPush(ctx, "queue:"+job.Route.Queue, payload)
		return nil
	})
	if err != nil {
		return fmt.Errorf("sidekiq: enqueue %s on queue %q at redis %s: %w", job.Route.Job, job.Route.Queue, e.url, err)
	}
	return nil
}

// Close implements Enqueuer.
func (e *SidekiqEnqueuer) Close() error { return e.rdb.Close() }
