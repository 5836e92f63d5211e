package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// CeleryEnqueuer publishes Celery task messages (message protocol v2, JSON body) to RabbitMQ.
// Each queue is declared durable before its first publish (a message published to a missing queue
// would be dropped), messages are persistent, and every publish waits for RabbitMQ's confirm.
type CeleryEnqueuer struct {
	url    string
	origin string

	mu       sync.Mutex
	conn     *amqp.Connection
	ch       *amqp.Channel
	declared map[string]bool
}

// NewCeleryEnqueuer connects lazily to the broker at url.
func NewCeleryEnqueuer(url string) (*CeleryEnqueuer, error) {
	uri, err := amqp.ParseURI(url)
	if err != nil {
		return nil, fmt.Errorf("celery amqp %q: %w", url, err)
	}
	host, _ := os.Hostname()
	return &CeleryEnqueuer{url: url, origin: fmt.Sprintf("tasker-bridge@%s (%s:%d)", host, uri.Host, uri.Port)}, nil
}

// celeryMessage builds a protocol v2 message: headers carry the task's identity, the body is
// [args, kwargs, embed].
func (e *CeleryEnqueuer) celeryMessage(job Job) (amqp.Publishing, error) {
	body, err := json.Marshal([]any{
		[]any{job.Envelope}, map[string]any{},
		map[string]any{"callbacks": nil, "errbacks": nil, "chain": nil, "chord": nil},
	})
	if err != nil {
		return amqp.Publishing{}, fmt.Errorf("celery: encode task %s: %w", job.Route.Job, err)
	}
	headers := amqp.Table{
		"lang": "py", "task": job.Route.Job, "id": job.ID, "root_id": job.ID, "parent_id": nil,
		"group": nil, "group_index": nil, "shadow": nil, "eta": nil, "expires": nil,
		"retries": int32(0), "timelimit": []any{nil, nil},
		"argsrepr": "(<tasker step " + job.Envelope.Request.Step.Name + ">,)", "kwargsrepr": "{}",
		"origin": e.origin, "ignore_result": true,
	}
	return amqp.Publishing{
		Headers: headers, ContentType: "application/json", ContentEncoding: "utf-8",
		DeliveryMode: amqp.Persistent, CorrelationId: job.ID, MessageId: job.ID, Body: body,
		Timestamp: time.Now(),
	}, nil
}

// Enqueue implements Enqueuer.
func (e *CeleryEnqueuer) Enqueue(ctx context.Context, job Job) error {
	msg, err := e.celeryMessage(job)
	if err != nil {
		return err
	}
	dc, err := e.publish(ctx, job.Route.Queue, msg)
	if err != nil {
		return fmt.Errorf("celery: publish %s to queue %q: %w", job.Route.Job, job.Route.Queue, err)
	}
	ok, err := dc.WaitContext(ctx)
	if err != nil {
		return fmt.Errorf("celery: publish %s to queue %q: no confirm from RabbitMQ: %w", job.Route.Job, job.Route.Queue, err)
	}
	if !ok {
		return fmt.Errorf("celery: publish %s to queue %q: RabbitMQ refused (nack)", job.Route.Job, job.Route.Queue)
	}
	return nil
}

func (e *CeleryEnqueuer) publish(ctx context.Context, queue string, msg amqp.Publishing) (*amqp.DeferredConfirmation, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.connect(ctx); err != nil {
		return nil, err
	}
	if !e.declared[queue] {
		if _, err := e.ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
			e.reset()
			return nil, fmt.Errorf("declare queue: %w", err)
		}
		e.declared[queue] = true
	}
	dc, err := e.ch.PublishWithDeferredConfirmWithContext(ctx, "", queue, false, false, msg)
	if err != nil {
		e.reset()
		return nil, err
	}
	return dc, nil
}

// connect (re)opens the connection and a confirm-mode channel; the caller holds mu.
func (e *CeleryEnqueuer) connect(ctx context.Context) error {
	if e.conn != nil && !e.conn.IsClosed() && e.ch != nil && !e.ch.IsClosed() {
		return nil
	}
	e.reset()
	deadline, ok := ctx.Deadline()
	timeout := DefaultEnqueueTimeout
	if ok {
		timeout = time.Until(deadline)
	}
	conn, err := amqp.DialConfig(e.url, amqp.Config{
		Heartbeat: 10 * time.Second,
		Dial: func(network, addr string) (net.Conn, error) {
			return net.DialTimeout(network, addr, timeout)
		},
		Properties: amqp.Table{"connection_name": "tasker-bridge"},
	})
	if err != nil {
		return fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	ch, err := conn.Channel()
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		_ = conn.Close()
		return fmt.Errorf("confirm mode: %w", err)
	}
	e.conn, e.ch, e.declared = conn, ch, map[string]bool{}
	return nil
}

func (e *CeleryEnqueuer) reset() {
	if e.conn != nil {
		_ = e.conn.Close()
	}
	e.conn, e.ch = nil, nil
}

// Close implements Enqueuer.
func (e *CeleryEnqueuer) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reset()
	return nil
}
