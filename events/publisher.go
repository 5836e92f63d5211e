package events

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Handler receives one event. An error is logged and counted (Stats), never returned to the
// publisher: a failing subscriber cannot fail a task.
type Handler func(ctx context.Context, ev Event) error

// Sink sends events out of the process (a broker, a webhook). Send gets batches in publish order;
// an error makes the publisher retry the whole batch with backoff (so a sink must tolerate
// duplicates: events carry deterministic IDs), unless it is wrapped with Permanent.
type Sink interface {
	Name() string
	Send(ctx context.Context, evs []Event) error
}

// Matcher is implemented by a sink that takes only some events (see Filtered); the publisher
// enqueues to it only the events it matches.
type Matcher interface {
	Match(ev Event) bool
}

// Durable is implemented by a sink that stands for a broker which may be away for a while (NATS).
// The publisher never gives up on its batches while it runs: it retries them (backoff capped at
// RetryMax) until they are sent or the publisher is closed, whatever MaxAttempts says, and keeps
// new events in the sink's bounded queue (SinkBuffer) meanwhile; beyond that bound events are
// dropped, counted in Stats and logged. An outage is logged once as a warning (at start when
// Reachable is false then) and once more when the sink is back.
type Durable interface {
	Sink
	// Reachable reports whether the broker is connected now.
	Reachable() bool
}

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("events: publisher is closed")

// permanentError marks a sink error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps a sink error so the publisher drops the batch at once instead of retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent tells whether err (or an error it wraps) was made by Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Options tunes a Publisher; zero fields take the defaults shown.
type Options struct {
	SubscriberBuffer int           // events queued per in-process subscriber; 4096
	SinkBuffer       int           // events queued per sink; 65536
	BatchSize        int           // most events per Sink.Send; 512
	MaxAttempts      int           // Send attempts per batch before it is dropped; 8
	RetryBase        time.Duration // first retry delay, doubled per attempt; 100ms
	RetryMax         time.Duration // retry delay cap; 5s
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.SubscriberBuffer, 4096)
	def(&o.SinkBuffer, 65536)
	def(&o.BatchSize, 512)
	def(&o.MaxAttempts, 8)
	if o.RetryBase <= 0 {
		o.RetryBase = 100 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Second
	}
	return o
}

// Publisher fans events out to in-process subscribers and sinks. Each subscriber and each sink
// has its own bounded queue and goroutine, so order is kept per subscriber and per sink (hence per
// task, when a task's events are published in order), and Publish never waits: a full queue drops
// the event, logs it (at most once a second per target) and counts it in Stats.
type Publisher struct {
	logger *zap.Logger
	opts   Options

	mu     sync.RWMutex
	closed bool
	subs   []*subscriber
	sinks  []*sinkWorker
	nextID int

	wg        sync.WaitGroup
	ctx       context.Context
	cancel    context.CancelFunc
	published atomic.Uint64
}

// NewPublisher starts a publisher with default Options that sends to sinks (and closes those that
// have a Close method when it is closed).
func NewPublisher(logger *zap.Logger, sinks ...Sink) *Publisher {
	return NewPublisherWith(logger, Options{}, sinks...)
}

// NewPublisherWith is NewPublisher with Options.
func NewPublisherWith(logger *zap.Logger, opts Options, sinks ...Sink) *Publisher {
	if logger == nil {
		logger = zap.NewNop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Publisher{logger: logger, opts: opts.withDefaults(), ctx: ctx, cancel: cancel}
	for _, s := range sinks {
		w := &sinkWorker{target: target{name: s.Name(), kind: "sink"}, sink: s, ch: make(chan Event, p.opts.SinkBuffer)}
		if m, ok := s.(Matcher); ok {
			w.match = m.Match
		}
		if d, ok := s.(Durable); ok {
			w.durable = true
			if !d.Reachable() {
				p.outageBegins(w, errors.New("not reachable at start"))
			}
		}
		p.sinks = append(p.sinks, w)
		p.wg.Add(1)
		go p.runSink(w)
	}
	return p
}

// target is what subscribers and sinks share: a name and counters.
type target struct {
	name, kind  string
	delivered   atomic.Uint64
	dropped     atomic.Uint64
	failed      atomic.Uint64
	lastDropLog atomic.Int64
}

type subscriber struct {
	target
	pattern Pattern
	match   func(Event) bool
	ch      chan Event
	fn      Handler
	closed  bool // ch is closed; guarded by Publisher.mu
}

type sinkWorker struct {
	target
	sink    Sink
	match   func(Event) bool
	ch      chan Event
	durable bool
	outage  time.Time // when the current outage of a durable sink began; zero = none
}

// SubscribeOption configures one subscription.
type SubscribeOption func(*subscribeConfig)

type subscribeConfig struct {
	name   string
	buffer int
	preds  []func(Event) bool
}

// WithName names the subscription in logs and Stats (default "subscriber-N <pattern>").
func WithName(name string) SubscribeOption { return func(c *subscribeConfig) { c.name = name } }

// WithBuffer sets the subscription's queue length (default Options.SubscriberBuffer).
func WithBuffer(n int) SubscribeOption { return func(c *subscribeConfig) { c.buffer = n } }

// WithFilter delivers only events that match f.
func WithFilter(f Filter) SubscribeOption {
	return func(c *subscribeConfig) { c.preds = append(c.preds, f.Match) }
}

// WithPredicate delivers only events for which keep returns true. It runs on the publishing
// goroutine, so it must be fast and must not block.
func WithPredicate(keep func(Event) bool) SubscribeOption {
	return func(c *subscribeConfig) { c.preds = append(c.preds, keep) }
}

// Filter selects events by task; empty fields match anything.
type Filter struct {
	Namespace  string `yaml:"namespace" json:"namespace,omitempty"`
	TaskName   string `yaml:"task_name" json:"task_name,omitempty"`
	WorkflowID string `yaml:"workflow_id" json:"workflow_id,omitempty"`
	TaskID     int64  `yaml:"task_id" json:"task_id,omitempty"`
	Step       string `yaml:"step" json:"step,omitempty"`
}

// Match tells whether ev passes the filter.
func (f Filter) Match(ev Event) bool {
	return (f.Namespace == "" || f.Namespace == ev.Namespace) &&
		(f.TaskName == "" || f.TaskName == ev.TaskName) &&
		(f.WorkflowID == "" || f.WorkflowID == ev.WorkflowID) &&
		(f.TaskID == 0 || f.TaskID == ev.TaskID) &&
		(f.Step == "" || f.Step == ev.Step)
}

// Subscribe registers fn for events whose name matches pattern (see Pattern). fn runs on the
// subscription's own goroutine, one event at a time, in publish order. unsubscribe stops it after
// the events already queued.
func (p *Publisher) Subscribe(pattern string, fn Handler, opts ...SubscribeOption) (unsubscribe func(), err error) {
	pat, err := ParsePattern(pattern)
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	if fn == nil {
		return nil, fmt.Errorf("subscribe %q: handler is nil", pattern)
	}
	cfg := subscribeConfig{buffer: p.opts.SubscriberBuffer}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.buffer <= 0 {
		return nil, fmt.Errorf("subscribe %q: buffer must be positive, got %d", pattern, cfg.buffer)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	p.nextID++
	if cfg.name == "" {
		cfg.name = fmt.Sprintf("subscriber-%d %s", p.nextID, pattern)
	}
	s := &subscriber{target: target{name: cfg.name, kind: "subscriber"}, pattern: pat, ch: make(chan Event, cfg.buffer), fn: fn}
	s.match = matcher(pat, cfg.preds)
	p.subs = append(p.subs, s)
	p.wg.Add(1)
	go p.runSubscriber(s)
	return func() { p.unsubscribe(s) }, nil
}

func matcher(pat Pattern, preds []func(Event) bool) func(Event) bool {
	return func(ev Event) bool {
		if !pat.Match(ev.Name) {
			return false
		}
		for _, keep := range preds {
			if !keep(ev) {
				return false
			}
		}
		return true
	}
}

func (p *Publisher) unsubscribe(s *subscriber) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.ch)
	for i, x := range p.subs {
		if x == s {
			p.subs = append(p.subs[:i:i], p.subs[i+1:]...)
			return
		}
	}
}

// Publish enqueues evs, in order, for every matching subscriber and sink. It never blocks on a
// subscriber or sink: a full queue drops the event for that target (logged and counted). It fails
// only on an event without ID or name, or after Close.
func (p *Publisher) Publish(ctx context.Context, evs ...Event) error {
	for i := range evs {
		if evs[i].ID == "" || evs[i].Name == "" {
			return fmt.Errorf("publish: event %d (%q) has no ID or no name", i, evs[i].Name)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	for _, s := range p.subs {
		for _, ev := range evs {
			if s.match(ev) {
				p.enqueue(&s.target, s.ch, ev)
			}
		}
	}
	for _, w := range p.sinks {
		for _, ev := range evs {
			if w.match == nil || w.match(ev) {
				p.enqueue(&w.target, w.ch, ev)
			}
		}
	}
	p.published.Add(uint64(len(evs)))
	return nil
}

func (p *Publisher) enqueue(t *target, ch chan Event, ev Event) {
	select {
	case ch <- ev:
	default:
		p.drop(t, "queue full", ev, 1)
	}
}

// drop counts n dropped events and logs at most once a second per target.
func (p *Publisher) drop(t *target, why string, ev Event, n int) {
	total := t.dropped.Add(uint64(n))
	now := time.Now().UnixNano()
	last := t.lastDropLog.Load()
	if now-last < int64(time.Second) || !t.lastDropLog.CompareAndSwap(last, now) {
		return
	}
	p.logger.Warn("events dropped", zap.String(t.kind, t.name), zap.String("reason", why),
		zap.String("event_id", ev.ID), zap.String("event", ev.Name), zap.String("workflow_id", ev.WorkflowID),
		zap.Int64("seq", ev.Seq), zap.Uint64("dropped_total", total))
}

func (p *Publisher) runSubscriber(s *subscriber) {
	defer p.wg.Done()
	for ev := range s.ch {
		if err := p.deliver(s, ev); err != nil {
			s.failed.Add(1)
			p.logger.Warn("event subscriber failed", zap.String("subscriber", s.name),
				zap.String("event_id", ev.ID), zap.String("event", ev.Name), zap.Error(err))
			continue
		}
		s.delivered.Add(1)
	}
}

func (p *Publisher) deliver(s *subscriber, ev Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("subscriber panicked: %v", r)
		}
	}()
	return s.fn(p.ctx, ev)
}

func (p *Publisher) runSink(w *sinkWorker) {
	defer p.wg.Done()
	batch := make([]Event, 0, p.opts.BatchSize)
	for ev := range w.ch {
		batch = append(batch[:0], ev)
		batch = fill(batch, w.ch, p.opts.BatchSize)
		p.sendBatch(w, batch)
	}
}

// fill adds queued events to batch without waiting, up to max.
func fill(batch []Event, ch chan Event, max int) []Event {
	for len(batch) < max {
		select {
		case ev, ok := <-ch:
			if !ok {
				return batch
			}
			batch = append(batch, ev)
		default:
			return batch
		}
	}
	return batch
}

// sendBatch sends with retries and exponential backoff; a batch that cannot be sent is dropped
// (logged, counted).
func (p *Publisher) sendBatch(w *sinkWorker, batch []Event) {
	delay := p.opts.RetryBase
	var err error
	for attempt := 1; w.durable || attempt <= p.opts.MaxAttempts; attempt++ {
		if err = w.sink.Send(p.ctx, batch); err == nil {
			w.delivered.Add(uint64(len(batch)))
			p.outageEnds(w)
			return
		}
		if IsPermanent(err) || (!w.durable && attempt == p.opts.MaxAttempts) {
			break
		}
		if w.durable && w.outage.IsZero() {
			p.outageBegins(w, err)
		}
		if !p.sleep(delay) {
			break
		}
		p.logger.Debug("event sink send failed, retrying", zap.String("sink", w.name), zap.Int("attempt", attempt), zap.Error(err))
		delay = min(delay*2, p.opts.RetryMax)
	}
	w.failed.Add(1)
	p.logger.Error("event sink gave up on a batch", zap.String("sink", w.name), zap.Int("events", len(batch)),
		zap.String("first_event_id", batch[0].ID), zap.String("last_event_id", batch[len(batch)-1].ID), zap.Error(err))
	p.drop(&w.target, "send failed", batch[0], len(batch))
}

// outageBegins logs the one warning of a durable sink's outage.
func (p *Publisher) outageBegins(w *sinkWorker, err error) {
	w.outage = time.Now()
	p.logger.Warn("event sink unreachable: events are kept and sent when it is back (beyond the queue's bound they are dropped and counted)",
		zap.String("sink", w.name), zap.Int("queue_bound", cap(w.ch)), zap.Error(err))
}

// outageEnds logs that a durable sink is back.
func (p *Publisher) outageEnds(w *sinkWorker) {
	if w.outage.IsZero() {
		return
	}
	p.logger.Info("event sink is back; kept events are being sent", zap.String("sink", w.name),
		zap.Duration("outage", time.Since(w.outage).Round(time.Millisecond)), zap.Uint64("dropped_total", w.dropped.Load()))
	w.outage = time.Time{}
}

func (p *Publisher) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.ctx.Done():
		return false
	}
}

// Close stops accepting events and waits until every queued event was handled or sent, or ctx
// ends; then it aborts retries, closes sinks that have a Close method and returns ctx's error.
func (p *Publisher) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for _, s := range p.subs {
		if !s.closed {
			s.closed = true
			close(s.ch)
		}
	}
	for _, w := range p.sinks {
		close(w.ch)
	}
	p.mu.Unlock()

	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		// Abort retries and tell handlers to stop; a handler that ignores its context is left
		// behind rather than holding Close.
		err = fmt.Errorf("close publisher: not drained: %w", ctx.Err())
	}
	p.cancel()
	return errors.Join(err, p.closeSinks())
}

func (p *Publisher) closeSinks() error {
	var errs []error
	for _, w := range p.sinks {
		if c, ok := w.sink.(interface{ Close() error }); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close sink %s: %w", w.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// TargetStats counts what happened to the events of one subscriber or sink.
type TargetStats struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"` // "subscriber" or "sink"
	Delivered uint64 `json:"delivered"`
	Dropped   uint64 `json:"dropped"` // queue full, or a sink gave up on the batch
	Failed    uint64 `json:"failed"`  // handler errors/panics; batches a sink gave up on
	Queued    int    `json:"queued"`
}

// Stats is a snapshot of the publisher's counters, the metric to export and alert on.
type Stats struct {
	Published uint64        `json:"published"`
	Targets   []TargetStats `json:"targets"` // sorted by kind, then name
}

// Stats returns a snapshot of the counters.
func (p *Publisher) Stats() Stats {
	p.mu.RLock()
	defer p.mu.RUnlock()
	st := Stats{Published: p.published.Load()}
	for _, s := range p.subs {
		st.Targets = append(st.Targets, s.stats(len(s.ch)))
	}
	for _, w := range p.sinks {
		st.Targets = append(st.Targets, w.stats(len(w.ch)))
	}
	sort.Slice(st.Targets, func(i, j int) bool {
		a, b := st.Targets[i], st.Targets[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	return st
}

func (t *target) stats(queued int) TargetStats {
	return TargetStats{Name: t.name, Kind: t.kind, Delivered: t.delivered.Load(), Dropped: t.dropped.Load(),
		Failed: t.failed.Load(), Queued: queued}
}

// Filtered restricts a sink to events whose name matches one of patterns and that pass f.
func Filtered(s Sink, patterns []Pattern, f Filter) Sink {
	return &filteredSink{Sink: s, patterns: patterns, filter: f}
}

type filteredSink struct {
	Sink
	patterns []Pattern
	filter   Filter
}

func (f *filteredSink) Match(ev Event) bool {
	if !f.filter.Match(ev) {
		return false
	}
	for _, p := range f.patterns {
		if p.Match(ev.Name) {
			return true
		}
	}
	return false
}

func (f *filteredSink) Close() error {
	if c, ok := f.Sink.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}
