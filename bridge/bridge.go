package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal"
)

// Application error types the bridge fails an attempt with.
const (
	// ErrorTypeEnqueue: the job could not be handed to its framework (broker down, sidecar dead).
	// Retryable: the workflow retries the attempt with the template's backoff.
	ErrorTypeEnqueue = "BridgeEnqueueError"
	// ErrorTypeNoRoute: no route for the callable on this task queue. Permanent.
	ErrorTypeNoRoute = "BridgeNoRoute"
	// ErrorTypeResultTooLarge: the job reported results over callback.max_result_bytes. Permanent.
	ErrorTypeResultTooLarge = "ResultTooLarge"
	// ErrorTypeBadRequest: the step's input could not be decoded. Permanent.
	ErrorTypeBadRequest = "BridgeBadRequest"
)

// Options are what a Bridge needs besides its Config.
type Options struct {
	// Temporal is the client the workers poll with and activities are completed through.
	Temporal sdkclient.Client
	// Logger; nil = no logs.
	Logger *zap.Logger
	// Enqueuers overrides the enqueuer of a framework (tests); nil entries use the defaults.
	Enqueuers map[Framework]Enqueuer
	// Ledger overrides the token ledger; nil = Redis at callback.ledger_redis, else memory.
	Ledger Ledger
	// Dir is the directory the BullMQ sidecar command runs in ("" = the current directory).
	Dir string
	// Now is the clock for token expiry; nil = time.Now.
	Now func() time.Time
	// WorkerOptions are passed to each task queue's worker.
	WorkerOptions worker.Options
}

// Bridge runs the workers and the callback API.
type Bridge struct {
	cfg       Config
	tc        sdkclient.Client
	log       *zap.Logger
	signer    *Signer
	ledger    Ledger
	enqueuers map[Framework]Enqueuer
	now       func() time.Time
	wopts     worker.Options

	mu       sync.Mutex
	workers  []worker.Worker
	server   *http.Server
	listener net.Listener
	url      string
}

// New builds a bridge from a validated config. Nothing is started: call Start.
func New(cfg Config, opts Options) (*Bridge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Temporal == nil {
		return nil, errors.New("bridge: no Temporal client")
	}
	secret, err := cfg.secret()
	if err != nil {
		return nil, err
	}
	signer, err := NewSigner(secret)
	if err != nil {
		return nil, err
	}
	b := &Bridge{cfg: cfg, tc: opts.Temporal, log: opts.Logger, signer: signer, ledger: opts.Ledger,
		now: opts.Now, wopts: opts.WorkerOptions, enqueuers: map[Framework]Enqueuer{}}
	if b.log == nil {
		b.log = zap.NewNop()
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.ledger == nil {
		if b.ledger, err = defaultLedger(cfg); err != nil {
			return nil, err
		}
	}
	if err := b.buildEnqueuers(opts); err != nil {
		return nil, err
	}
	return b, nil
}

func defaultLedger(cfg Config) (Ledger, error) {
	if cfg.Callback.LedgerRedis == "" {
		return NewMemoryLedger(), nil
	}
	return NewRedisLedger(cfg.Callback.LedgerRedis)
}

func (b *Bridge) buildEnqueuers(opts Options) error {
	for _, r := range b.cfg.Routes {
		if _, ok := b.enqueuers[r.Framework]; ok {
			continue
		}
		if e := opts.Enqueuers[r.Framework]; e != nil {
			b.enqueuers[r.Framework] = e
			continue
		}
		e, err := b.newEnqueuer(r.Framework, opts.Dir)
		if err != nil {
			return fmt.Errorf("bridge: %w", err)
		}
		b.enqueuers[r.Framework] = e
	}
	return nil
}

func (b *Bridge) newEnqueuer(f Framework, dir string) (Enqueuer, error) {
	switch f {
	case Sidekiq:
		return NewSidekiqEnqueuer(b.cfg.Sidekiq.Redis)
	case Celery:
		return NewCeleryEnqueuer(b.cfg.Celery.AMQP)
	case BullMQ:
		return NewBullMQEnqueuer(b.cfg.BullMQ.Redis, b.cfg.BullMQ.Sidecar, dir)
	}
	return nil, fmt.Errorf("unknown framework %q", f)
}

// Start listens for callbacks, then starts one worker per routed task queue.
func (b *Bridge) Start() error {
	ln, err := net.Listen("tcp", b.cfg.Callback.Listen)
	if err != nil {
		return fmt.Errorf("bridge: callback listen %s: %w", b.cfg.Callback.Listen, err)
	}
	b.mu.Lock()
	b.listener = ln
	b.url = b.cfg.Callback.URL
	if b.url == "" {
		b.url = "http://" + ln.Addr().String()
	}
	b.server = &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 10 * time.Second}
	b.mu.Unlock()
	go func() {
		if err := b.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			b.log.Error("callback server stopped", zap.Error(err))
		}
	}()
	for _, q := range b.cfg.TaskQueues() {
		w := worker.New(b.tc, q, b.wopts)
		w.RegisterDynamicActivity(b.runStep, activity.DynamicRegisterOptions{})
		if err := w.Start(); err != nil {
			b.Stop()
			return fmt.Errorf("bridge: start worker on task queue %s: %w", q, err)
		}
		b.mu.Lock()
		b.workers = append(b.workers, w)
		b.mu.Unlock()
		b.log.Info("serving task queue", zap.String("task_queue", q))
	}
	return nil
}

// URL is the callback base URL jobs are given (known after Start).
func (b *Bridge) URL() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.url
}

// Stop stops the workers and the callback server and closes the enqueuers. Jobs already
// enqueued stay on their queues; another bridge with the same secret completes them.
func (b *Bridge) Stop() {
	b.mu.Lock()
	workers, server := b.workers, b.server
	b.workers, b.server = nil, nil
	b.mu.Unlock()
	for _, w := range workers {
		w.Stop()
	}
	if server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = server.Shutdown(ctx)
		cancel()
	}
	for _, e := range b.enqueuers {
		_ = e.Close()
	}
	if c, ok := b.ledger.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}

// runStep is the dynamic activity: it enqueues the attempt as a job and leaves it pending.
func (b *Bridge) runStep(ctx context.Context, args converter.EncodedValues) (tasker.StepResult, error) {
	info := activity.GetInfo(ctx)
	callable := info.ActivityType.Name
	route, ok := b.cfg.Lookup(info.TaskQueue, callable)
	if !ok {
		return tasker.StepResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("bridge: no route for callable %q on task queue %s", callable, info.TaskQueue), ErrorTypeNoRoute, nil)
	}
	if route.Job == "" {
		route.Job = callable
	}
	var req tasker.StepRequest
	if err := args.Get(&req); err != nil {
		return tasker.StepResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("bridge: decode step request of %s: %v", callable, err), ErrorTypeBadRequest, err)
	}
	job, err := b.job(info, route, req)
	if err != nil {
		return tasker.StepResult{}, err
	}
	ectx, cancel := context.WithTimeout(ctx, b.cfg.EnqueueTimeout)
	defer cancel()
	if err := b.enqueuers[route.Framework].Enqueue(ectx, job); err != nil {
		b.log.Warn("enqueue failed", zap.String("step", req.Step.Name), zap.String("workflow_id", req.Task.WorkflowID), zap.Error(err))
		return tasker.StepResult{}, temporal.NewApplicationError(fmt.Sprintf("step %s: %v", req.Step.Name, err), ErrorTypeEnqueue)
	}
	return tasker.StepResult{}, activity.ErrResultPending
}

// job builds the job of one attempt with its signed callback token. The token expires with the
// attempt (its start-to-close deadline) plus callback.token_grace.
func (b *Bridge) job(info activity.Info, route Route, req tasker.StepRequest) (Job, error) {
	id, err := randomID()
	if err != nil {
		return Job{}, err
	}
	expires := info.Deadline
	if expires.IsZero() {
		expires = b.now().Add(24 * time.Hour)
	}
	token, err := b.signer.Sign(Claims{
		TaskToken: info.TaskToken, WorkflowID: info.WorkflowExecution.ID, ActivityID: info.ActivityID,
		Step: req.Step.Name, Attempt: req.Step.Attempt, Callable: info.ActivityType.Name, Framework: route.Framework,
		Expires: expires.Add(b.cfg.Callback.TokenGrace),
	})
	if err != nil {
		return Job{}, err
	}
	return Job{Route: route, ID: id, Envelope: Envelope{
		Version: EnvelopeVersion, Callable: info.ActivityType.Name, Request: req,
		Callback: Callback{URL: b.URL(), Token: token},
	}}, nil
}

func randomID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("job id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
