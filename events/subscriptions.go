package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"
)

// Subscription is one entry of a subscription file: which events go to which sink.
type Subscription struct {
	Name    string       `yaml:"name"`
	Events  []string     `yaml:"events"` // patterns (see Pattern)
	Filter  Filter       `yaml:"filter"`
	Webhook *WebhookSpec `yaml:"webhook"`
	NATS    *NATSConfig  `yaml:"nats"`
	Log     *LogSpec     `yaml:"log"`
	File    string       `yaml:"-"` // the file it came from
	Line    int          `yaml:"-"` // its line there
	parsed  []Pattern
}

// WebhookSpec is the webhook part of a subscription. The secret comes from the environment
// variable secret_env (recommended) or, for local use, secret.
type WebhookSpec struct {
	URL       string        `yaml:"url"`
	SecretEnv string        `yaml:"secret_env"`
	Secret    string        `yaml:"secret"`
	Timeout   time.Duration `yaml:"timeout"`
}

// LogSpec is the log part of a subscription: events are written to the zap logger.
type LogSpec struct {
	Level string `yaml:"level"` // debug, info (default), warn
}

type subscriptionFile struct {
	Subscriptions []Subscription `yaml:"subscriptions"`
}

// LoadSubscriptions reads and validates a YAML subscription file (format in docs/events.md).
// Errors name the file, the subscription (name and line) and the field.
func LoadSubscriptions(path string) ([]Subscription, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load subscriptions %s: %w", path, err)
	}
	var f subscriptionFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("load subscriptions %s: %w", path, err)
	}
	lines := itemLines(data)
	if len(f.Subscriptions) == 0 {
		return nil, fmt.Errorf("load subscriptions %s: no subscriptions (want a top-level \"subscriptions:\" list)", path)
	}
	seen := map[string]int{}
	for i := range f.Subscriptions {
		s := &f.Subscriptions[i]
		s.File = path
		if i < len(lines) {
			s.Line = lines[i]
		}
		if err := s.validate(i); err != nil {
			return nil, fmt.Errorf("load subscriptions %s: %w", path, err)
		}
		if prev, dup := seen[s.Name]; dup {
			return nil, fmt.Errorf("load subscriptions %s: subscription %q (line %d): duplicate name, first at line %d", path, s.Name, s.Line, prev)
		}
		seen[s.Name] = s.Line
	}
	return f.Subscriptions, nil
}

// itemLines returns the line of each item of the top-level subscriptions list.
func itemLines(data []byte) []int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "subscriptions" {
			continue
		}
		var out []int
		for _, item := range root.Content[i+1].Content {
			out = append(out, item.Line)
		}
		return out
	}
	return nil
}

func (s *Subscription) where(i int) string {
	if s.Name == "" {
		return fmt.Sprintf("subscriptions[%d] (line %d)", i, s.Line)
	}
	return fmt.Sprintf("subscription %q (line %d)", s.Name, s.Line)
}

func (s *Subscription) validate(i int) error {
	if s.Name == "" {
		return fmt.Errorf("%s: field name is required", s.where(i))
	}
	if len(s.Events) == 0 {
		return fmt.Errorf("%s: field events is required (a list of patterns, e.g. [\"step.*\"] or [\">\"])", s.where(i))
	}
	s.parsed = s.parsed[:0]
	for j, e := range s.Events {
		p, err := ParsePattern(e)
		if err != nil {
			return fmt.Errorf("%s: events[%d]: %w", s.where(i), j, err)
		}
		s.parsed = append(s.parsed, p)
	}
	n := 0
	for _, set := range []bool{s.Webhook != nil, s.NATS != nil, s.Log != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%s: want exactly one of webhook, nats, log; got %d", s.where(i), n)
	}
	return s.validateSink(i)
}

func (s *Subscription) validateSink(i int) error {
	switch {
	case s.Webhook != nil:
		w := s.Webhook
		if w.URL == "" {
			return fmt.Errorf("%s: webhook.url is required", s.where(i))
		}
		if (w.SecretEnv == "") == (w.Secret == "") {
			return fmt.Errorf("%s: webhook: set exactly one of secret_env, secret", s.where(i))
		}
	case s.NATS != nil:
		if err := s.NATS.withDefaults().validate(); err != nil {
			return fmt.Errorf("%s: %w", s.where(i), err)
		}
	case s.Log != nil:
		if _, err := zapcore.ParseLevel(s.Log.levelOrDefault()); err != nil {
			return fmt.Errorf("%s: log.level %q: want debug, info, warn or error", s.where(i), s.Log.Level)
		}
	}
	return nil
}

func (l *LogSpec) levelOrDefault() string {
	if l.Level == "" {
		return "info"
	}
	return l.Level
}

// Patterns returns the subscription's parsed event patterns.
func (s Subscription) Patterns() []Pattern { return s.parsed }

// NewSink builds the subscription's sink, restricted to its events and filter. Secrets are read
// from the environment now.
func (s Subscription) NewSink(ctx context.Context, logger *zap.Logger) (Sink, error) {
	var (
		sink Sink
		err  error
	)
	switch {
	case s.Webhook != nil:
		sink, err = s.webhookSink()
	case s.NATS != nil:
		cfg := *s.NATS
		if cfg.Name == "" {
			cfg.Name = s.Name
		}
		sink, err = NewNATSSink(ctx, cfg)
	case s.Log != nil:
		sink, err = s.logSink(logger)
	default:
		err = errors.New("no sink configured")
	}
	if err != nil {
		return nil, fmt.Errorf("subscriptions %s: subscription %q (line %d): %w", s.File, s.Name, s.Line, err)
	}
	return Filtered(sink, s.parsed, s.Filter), nil
}

func (s Subscription) webhookSink() (Sink, error) {
	secret := s.Webhook.Secret
	if s.Webhook.SecretEnv != "" {
		secret = os.Getenv(s.Webhook.SecretEnv)
		if secret == "" {
			return nil, fmt.Errorf("webhook.secret_env: environment variable %s is not set", s.Webhook.SecretEnv)
		}
	}
	return NewWebhookSink(WebhookConfig{Name: s.Name, URL: s.Webhook.URL, Secret: []byte(secret), Timeout: s.Webhook.Timeout})
}

func (s Subscription) logSink(logger *zap.Logger) (Sink, error) {
	lvl, err := zapcore.ParseLevel(s.Log.levelOrDefault())
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	return &LogSink{name: s.Name, logger: logger, level: lvl}, nil
}

// BuildSinks builds every subscription's sink; on an error it closes the ones already built.
func BuildSinks(ctx context.Context, logger *zap.Logger, subs []Subscription) ([]Sink, error) {
	var out []Sink
	for _, s := range subs {
		sink, err := s.NewSink(ctx, logger)
		if err != nil {
			for _, built := range out {
				if c, ok := built.(interface{ Close() error }); ok {
					_ = c.Close()
				}
			}
			return nil, err
		}
		out = append(out, sink)
	}
	return out, nil
}

// LogSink writes each event to a zap logger; for development and audits.
type LogSink struct {
	name   string
	logger *zap.Logger
	level  zapcore.Level
}

// NewLogSink returns a sink that logs each event at level.
func NewLogSink(name string, logger *zap.Logger, level zapcore.Level) *LogSink {
	return &LogSink{name: name, logger: logger, level: level}
}

// Name returns the sink's name.
func (l *LogSink) Name() string { return l.name }

// Send logs evs.
func (l *LogSink) Send(_ context.Context, evs []Event) error {
	for _, ev := range evs {
		l.logger.Log(l.level, "tasker event", zap.String("event", ev.Name), zap.String("event_id", ev.ID),
			zap.String("workflow_id", ev.WorkflowID), zap.Int64("seq", ev.Seq), zap.String("step", ev.Step),
			zap.Any("payload", ev.Payload))
	}
	return nil
}
