package events

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of the NATS JetStream sink.
const (
	DefaultStream        = "TASKER_EVENTS"
	DefaultSubjectPrefix = "tasker.events"
)

// NATSConfig configures the JetStream sink and the stream it ensures.
type NATSConfig struct {
	Name            string        `yaml:"name"`             // sink name in logs and Stats; "nats"
	URL             string        `yaml:"url"`              // nats://127.0.0.1:4222
	Stream          string        `yaml:"stream"`           // TASKER_EVENTS
	SubjectPrefix   string        `yaml:"subject_prefix"`   // tasker.events
	Storage         string        `yaml:"storage"`          // "file" (default) or "memory"
	MaxAge          time.Duration `yaml:"max_age"`          // how long the stream keeps events; 168h
	DuplicateWindow time.Duration `yaml:"duplicate_window"` // JetStream de-duplication window; 10m
	AckTimeout      time.Duration `yaml:"ack_timeout"`      // wait for a batch's acks; 10s
}

func (c NATSConfig) withDefaults() NATSConfig {
	if c.Name == "" {
		c.Name = "nats"
	}
	if c.URL == "" {
		c.URL = nats.DefaultURL
	}
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.Storage == "" {
		c.Storage = "file"
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 168 * time.Hour
	}
	if c.DuplicateWindow <= 0 {
		c.DuplicateWindow = 10 * time.Minute
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 10 * time.Second
	}
	return c
}

func (c NATSConfig) validate() error {
	if strings.ContainsAny(c.Stream, ". *>\t") {
		return fmt.Errorf("nats stream %q: a stream name may not contain '.', '*', '>' or spaces", c.Stream)
	}
	if _, err := ParsePattern(c.SubjectPrefix); err != nil || strings.ContainsAny(c.SubjectPrefix, "*>") {
		return fmt.Errorf("nats subject_prefix %q: want dot-separated tokens without wildcards", c.SubjectPrefix)
	}
	if c.Storage != "file" && c.Storage != "memory" {
		return fmt.Errorf("nats storage %q: want file or memory", c.Storage)
	}
	return nil
}

// NATSSink publishes events to a JetStream stream, one message per event: the event's JSON on the
// subject <prefix>.<workflow key>.<event name> (see Subject), with the header Nats-Msg-Id =
// Event.ID so the stream drops a duplicate published within its duplicate window.
//
// NATS is not a start-up dependency: when the server cannot be reached, NewNATSSink still
// returns a sink, which keeps reconnecting and ensures the stream once connected. It is Durable:
// the publisher keeps its events (within a bound) while NATS is away and sends them when it is
// back.
type NATSSink struct {
	cfg NATSConfig
	nc  *nats.Conn
	js  jetstream.JetStream

	mu    sync.Mutex
	ready bool // the stream is ensured
}

// NewNATSSink connects to cfg.URL and creates or updates the stream (subjects <prefix>.>). When
// the server is unreachable it returns the sink anyway (Reachable is false) and keeps trying in
// the background; it fails only for a bad configuration or URL, or a stream that the reachable
// server refuses.
func NewNATSSink(ctx context.Context, cfg NATSConfig, opts ...nats.Option) (*NATSSink, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("nats sink %s: %w", cfg.Name, err)
	}
	opts = append([]nats.Option{nats.Name("tasker-events"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(500 * time.Millisecond)}, opts...)
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("nats sink %s: connect %s: %w", cfg.Name, cfg.URL, err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(8192))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats sink %s: jetstream: %w", cfg.Name, err)
	}
	s := &NATSSink{cfg: cfg, nc: nc, js: js}
	if nc.IsConnected() {
		if err := s.ensureStream(ctx); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return s, nil
}

// Reachable reports whether the sink is connected to NATS now.
func (s *NATSSink) Reachable() bool { return s.nc.IsConnected() }

// ensureStream creates or updates the stream once per sink.
func (s *NATSSink) ensureStream(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AckTimeout)
	defer cancel()
	if _, err := s.js.CreateOrUpdateStream(ctx, streamConfig(s.cfg)); err != nil {
		return fmt.Errorf("nats sink %s: ensure stream %s on %s: %w", s.cfg.Name, s.cfg.Stream, s.cfg.URL, err)
	}
	s.ready = true
	return nil
}

func streamConfig(cfg NATSConfig) jetstream.StreamConfig {
	storage := jetstream.FileStorage
	if cfg.Storage == "memory" {
		storage = jetstream.MemoryStorage
	}
	return jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "Tasker lifecycle events",
		Subjects:    []string{cfg.SubjectPrefix + ".>"},
		Storage:     storage,
		MaxAge:      cfg.MaxAge,
		Duplicates:  cfg.DuplicateWindow,
	}
}

// Name returns the sink's name.
func (s *NATSSink) Name() string { return s.cfg.Name }

// Config returns the sink's configuration with defaults applied.
func (s *NATSSink) Config() NATSConfig { return s.cfg }

// Send publishes evs asynchronously, in order, and waits for every ack. Any failed ack fails the
// batch (the publisher resends it; already stored messages are de-duplicated by ID).
func (s *NATSSink) Send(ctx context.Context, evs []Event) error {
	if !s.nc.IsConnected() {
		return fmt.Errorf("nats sink %s: not connected to %s (reconnecting)", s.cfg.Name, s.cfg.URL)
	}
	if err := s.ensureStream(ctx); err != nil {
		return err
	}
	futures := make([]jetstream.PubAckFuture, 0, len(evs))
	for _, ev := range evs {
		msg, err := s.message(ev)
		if err != nil {
			return Permanent(err)
		}
		f, err := s.js.PublishMsgAsync(msg)
		if err != nil {
			return fmt.Errorf("nats sink %s: publish %s (%s): %w", s.cfg.Name, ev.Name, ev.ID, err)
		}
		futures = append(futures, f)
	}
	timer := time.NewTimer(s.cfg.AckTimeout)
	defer timer.Stop()
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("nats sink %s: ack of %s (%s): %w", s.cfg.Name, evs[i].Name, evs[i].ID, err)
		case <-timer.C:
			return fmt.Errorf("nats sink %s: no ack for %s (%s) within %s", s.cfg.Name, evs[i].Name, evs[i].ID, s.cfg.AckTimeout)
		case <-ctx.Done():
			return fmt.Errorf("nats sink %s: %w", s.cfg.Name, ctx.Err())
		}
	}
	return nil
}

func (s *NATSSink) message(ev Event) (*nats.Msg, error) {
	data, err := ev.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("nats sink %s: %w", s.cfg.Name, err)
	}
	// The only header is the de-duplication ID: the subject carries the workflow and event name,
	// the body everything else, and every extra header costs each consumer a parse.
	msg := &nats.Msg{Subject: Subject(s.cfg.SubjectPrefix, ev), Data: data, Header: nats.Header{jetstream.MsgIDHeader: []string{ev.ID}}}
	return msg, nil
}

// Close closes the connection after flushing.
func (s *NATSSink) Close() error {
	if err := s.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("nats sink %s: drain: %w", s.cfg.Name, err)
	}
	return nil
}

// WorkflowKey is the subject token standing for a workflow ID: 16 hex digits of its SHA-256
// (workflow IDs may hold characters a subject cannot).
func WorkflowKey(workflowID string) string {
	sum := sha256.Sum256([]byte(workflowID))
	return hex.EncodeToString(sum[:8])
}

// Subject is the subject an event is published on: <prefix>.<WorkflowKey>.<event name>.
func Subject(prefix string, ev Event) string {
	return prefix + "." + WorkflowKey(ev.WorkflowID) + "." + ev.Name
}

// SubjectFilter is the subject filter selecting events whose name matches pattern (default ">"),
// of one workflow when workflowID is set.
func SubjectFilter(prefix, pattern, workflowID string) (string, error) {
	if pattern == "" {
		pattern = ">"
	}
	if _, err := ParsePattern(pattern); err != nil {
		return "", err
	}
	wf := "*"
	if workflowID != "" {
		wf = WorkflowKey(workflowID)
	}
	return prefix + "." + wf + "." + pattern, nil
}

// FollowOptions selects the events Follow delivers.
type FollowOptions struct {
	Stream        string // DefaultStream
	SubjectPrefix string // DefaultSubjectPrefix
	Pattern       string // event name pattern (see Pattern); ">" = all
	WorkflowID    string // one task's events (filtered by the broker)
	TaskID        int64  // one Rails task_id's events (filtered here)
	// FromStart delivers the events the stream holds first, then new ones; otherwise only new ones.
	FromStart bool
}

// Follow streams events from the JetStream stream to fn, in stream order, until ctx ends (then it
// returns nil) or fn returns an error (returned, wrapped). It uses an ephemeral ordered consumer,
// so it needs no set-up and leaves nothing behind. This is what `tasker events --follow` calls.
func Follow(ctx context.Context, natsURL string, o FollowOptions, fn func(Event) error) error {
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	if o.SubjectPrefix == "" {
		o.SubjectPrefix = DefaultSubjectPrefix
	}
	subject, err := SubjectFilter(o.SubjectPrefix, o.Pattern, o.WorkflowID)
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	nc, err := nats.Connect(natsURL, nats.Name("tasker-events-follow"))
	if err != nil {
		return fmt.Errorf("follow: connect %s: %w", natsURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("follow: jetstream: %w", err)
	}
	policy := jetstream.DeliverNewPolicy
	if o.FromStart {
		policy = jetstream.DeliverAllPolicy
	}
	cons, err := js.OrderedConsumer(ctx, o.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject}, DeliverPolicy: policy,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("follow: stream %s on %s: %w", o.Stream, natsURL, err)
	}
	return followLoop(ctx, cons, o, fn)
}

func followLoop(ctx context.Context, cons jetstream.Consumer, o FollowOptions, fn func(Event) error) error {
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("follow: stream %s: %w", o.Stream, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return fmt.Errorf("follow: stream %s: %w", o.Stream, err)
		}
		var ev Event
		if err := json.Unmarshal(msg.Data(), &ev); err != nil {
			return fmt.Errorf("follow: decode message on %s: %w", msg.Subject(), err)
		}
		if o.TaskID != 0 && ev.TaskID != o.TaskID {
			continue
		}
		if err := fn(ev); err != nil {
			return fmt.Errorf("follow: event %s (%s): %w", ev.Name, ev.ID, err)
		}
	}
}
