package bridge

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Framework names a job framework the bridge enqueues into.
type Framework string

// The frameworks the bridge speaks.
const (
	Sidekiq Framework = "sidekiq"
	Celery  Framework = "celery"
	BullMQ  Framework = "bullmq"
)

// Defaults of Config.
const (
	DefaultListen         = "127.0.0.1:8787"
	DefaultSecretEnv      = "TASKER_BRIDGE_SECRET"
	DefaultMaxResultBytes = 1 << 20
	// TemporalPayloadLimit is Temporal's default limit on one payload (the server's
	// limit.blobSize.error, 2 MiB): a completion whose encoded result is larger is refused by
	// Temporal, so the bridge refuses it first and says so to the job.
	TemporalPayloadLimit  = 2 << 20
	DefaultTokenGrace     = 5 * time.Minute
	DefaultEnqueueTimeout = 5 * time.Second
	MinSecretBytes        = 32
)

// Config is the bridge's YAML configuration: where jobs report back, how to reach each framework,
// and which callables go to which framework, queue and job class.
//
//	callback:
//	  listen: 127.0.0.1:8787
//	  url: http://127.0.0.1:8787      # what jobs call; default http://<listen>
//	  secret_env: TASKER_BRIDGE_SECRET
//	  ledger_redis: redis://127.0.0.1:6379/0
//	sidekiq: {redis: redis://127.0.0.1:6379/0}
//	celery:  {amqp: amqp://guest:guest@127.0.0.1:5672/}
//	bullmq:  {redis: redis://127.0.0.1:6379/0, sidecar: [node, bridge/shims/node/bullmq_sidecar.js]}
//	routes:
//	  - task_queue: tasker-payments
//	    callable: Payments::Charge        # omit to route every other callable of the queue
//	    framework: sidekiq
//	    queue: payments                   # Sidekiq queue / Celery queue / BullMQ queue
//	    job: ChargeJob                    # Sidekiq class / Celery task name / BullMQ job name;
//	                                      # omit to use the callable
type Config struct {
	Callback CallbackConfig `yaml:"callback"`
	Sidekiq  *RedisTarget   `yaml:"sidekiq"`
	Celery   *AMQPTarget    `yaml:"celery"`
	BullMQ   *BullMQTarget  `yaml:"bullmq"`
	Routes   []Route        `yaml:"routes"`
	// EnqueueTimeout bounds one enqueue; a framework that does not answer in time fails the
	// attempt. Default DefaultEnqueueTimeout.
	EnqueueTimeout time.Duration `yaml:"enqueue_timeout"`
}

// CallbackConfig configures the callback API.
type CallbackConfig struct {
	// Listen is the HTTP listen address; default DefaultListen. Port 0 picks a free port.
	Listen string `yaml:"listen"`
	// URL is the base URL jobs call, as they reach the bridge; default http://<listen>.
	URL string `yaml:"url"`
	// SecretEnv names the environment variable that holds the signing secret (at least
	// MinSecretBytes bytes); default DefaultSecretEnv. Secret, when set, is used instead.
	SecretEnv string `yaml:"secret_env"`
	Secret    string `yaml:"-"`
	// LedgerRedis is the Redis where used tokens are recorded, so that single use holds across
	// bridge restarts and replicas; empty = the Sidekiq or BullMQ Redis, else in memory.
	LedgerRedis string `yaml:"ledger_redis"`
	// MaxResultBytes caps a completion's results (JSON bytes); default DefaultMaxResultBytes.
	MaxResultBytes int `yaml:"max_result_bytes"`
	// TokenGrace is how long past the attempt's deadline a token stays valid; default
	// DefaultTokenGrace.
	TokenGrace time.Duration `yaml:"token_grace"`
}

// RedisTarget is a Redis URL (redis://[user:pass@]host:port/db).
type RedisTarget struct {
	Redis string `yaml:"redis"`
}

// AMQPTarget is an AMQP 0-9-1 URL.
type AMQPTarget struct {
	AMQP string `yaml:"amqp"`
}

// BullMQTarget is a Redis URL and the command that runs the enqueue sidecar.
type BullMQTarget struct {
	Redis string `yaml:"redis"`
	// Sidecar is the command line of the BullMQ sidecar; default
	// [node, bridge/shims/node/bullmq_sidecar.js].
	Sidecar []string `yaml:"sidecar"`
}

// Route maps a callable (or every callable) of a task queue to a job.
type Route struct {
	TaskQueue string    `yaml:"task_queue"`
	Callable  string    `yaml:"callable"` // empty = any callable of the task queue not routed by name
	Framework Framework `yaml:"framework"`
	Queue     string    `yaml:"queue"`
	// Job is the Sidekiq class, Celery task name or BullMQ job name; empty = the callable.
	Job string `yaml:"job"`
}

// LoadConfig reads and validates a YAML config file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bridge config %s: %w", path, err)
	}
	cfg, err := ParseConfig(data, path)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// ParseConfig parses and validates YAML; source names it in errors.
func ParseConfig(data []byte, source string) (*Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("bridge config %s: %w", source, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bridge config %s: %w", source, err)
	}
	return &cfg, nil
}

// Validate checks the routes and fills defaults. Errors name the offending field.
func (c *Config) Validate() error {
	c.defaults()
	if len(c.Routes) == 0 {
		return errors.New("routes: at least one route is required")
	}
	seen := map[[2]string]int{}
	for i := range c.Routes {
		r := &c.Routes[i]
		if err := c.validateRoute(r); err != nil {
			return fmt.Errorf("routes[%d]: %w", i, err)
		}
		key := [2]string{r.TaskQueue, r.Callable}
		if j, dup := seen[key]; dup {
			return fmt.Errorf("routes[%d]: task_queue %q callable %q is already routed by routes[%d]", i, r.TaskQueue, r.Callable, j)
		}
		seen[key] = i
	}
	if c.Callback.MaxResultBytes < 0 {
		return errors.New("callback.max_result_bytes: must not be negative")
	}
	if c.Callback.MaxResultBytes > TemporalPayloadLimit {
		return fmt.Errorf("callback.max_result_bytes: %d is over Temporal's payload limit of %d bytes (2 MiB): Temporal would refuse such results; use at most %d", c.Callback.MaxResultBytes, TemporalPayloadLimit, TemporalPayloadLimit)
	}
	return nil
}

func (c *Config) defaults() {
	if c.Callback.Listen == "" {
		c.Callback.Listen = DefaultListen
	}
	if c.Callback.SecretEnv == "" {
		c.Callback.SecretEnv = DefaultSecretEnv
	}
	if c.Callback.MaxResultBytes == 0 {
		c.Callback.MaxResultBytes = DefaultMaxResultBytes
	}
	if c.Callback.TokenGrace <= 0 {
		c.Callback.TokenGrace = DefaultTokenGrace
	}
	if c.EnqueueTimeout <= 0 {
		c.EnqueueTimeout = DefaultEnqueueTimeout
	}
	if c.BullMQ != nil && len(c.BullMQ.Sidecar) == 0 {
		c.BullMQ.Sidecar = []string{"node", "bridge/shims/node/bullmq_sidecar.js"}
	}
	if c.Callback.LedgerRedis == "" {
		switch {
		case c.Sidekiq != nil:
			c.Callback.LedgerRedis = c.Sidekiq.Redis
		case c.BullMQ != nil:
			c.Callback.LedgerRedis = c.BullMQ.Redis
		}
	}
}

func (c *Config) validateRoute(r *Route) error {
	if r.TaskQueue == "" {
		return errors.New("task_queue: required")
	}
	if r.Queue == "" {
		return errors.New("queue: required")
	}
	switch r.Framework {
	case Sidekiq:
		if c.Sidekiq == nil || c.Sidekiq.Redis == "" {
			return errors.New("framework sidekiq: the config has no sidekiq.redis")
		}
	case Celery:
		if c.Celery == nil || c.Celery.AMQP == "" {
			return errors.New("framework celery: the config has no celery.amqp")
		}
	case BullMQ:
		if c.BullMQ == nil || c.BullMQ.Redis == "" {
			return errors.New("framework bullmq: the config has no bullmq.redis")
		}
	case "":
		return errors.New("framework: required (sidekiq, celery or bullmq)")
	default:
		return fmt.Errorf("framework: unknown %q (want sidekiq, celery or bullmq)", r.Framework)
	}
	if strings.ContainsAny(r.Queue, " \t\n") {
		return fmt.Errorf("queue: %q contains whitespace", r.Queue)
	}
	return nil
}

// TaskQueues lists the task queues the routes name, sorted.
func (c *Config) TaskQueues() []string {
	set := map[string]bool{}
	for _, r := range c.Routes {
		set[r.TaskQueue] = true
	}
	out := make([]string, 0, len(set))
	for q := range set {
		out = append(out, q)
	}
	sort.Strings(out)
	return out
}

// Lookup finds the route of callable on taskQueue: the route naming it, else the queue's
// catch-all route.
func (c *Config) Lookup(taskQueue, callable string) (Route, bool) {
	var fallback *Route
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.TaskQueue != taskQueue {
			continue
		}
		if r.Callable == callable {
			return *r, true
		}
		if r.Callable == "" {
			fallback = r
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return Route{}, false
}

// secret returns the signing secret: Callback.Secret, else the SecretEnv variable.
func (c *Config) secret() ([]byte, error) {
	s := c.Callback.Secret
	if s == "" {
		s = os.Getenv(c.Callback.SecretEnv)
	}
	if len(s) < MinSecretBytes {
		return nil, fmt.Errorf("callback secret: $%s must hold at least %d bytes (got %d)", c.Callback.SecretEnv, MinSecretBytes, len(s))
	}
	return []byte(s), nil
}
