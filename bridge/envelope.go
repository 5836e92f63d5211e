package bridge

import (
	"context"

	"github.com/tasker-systems/tasker-temporal"
)

// EnvelopeVersion is the version of the Envelope format.
const EnvelopeVersion = 1

// Envelope is the one argument of every bridged job (Sidekiq args[0], Celery args[0], BullMQ job
// data): the step to run and how to report its outcome. The shims in bridge/shims read it.
type Envelope struct {
	Version  int                `json:"tasker_bridge"`
	Callable string             `json:"callable"`
	Request  tasker.StepRequest `json:"request"`
	Callback Callback           `json:"callback"`
}

// Callback tells a job where and with what token to report.
type Callback struct {
	URL   string `json:"url"` // base URL; the shims POST to URL + /v1/complete, /v1/fail, /v1/heartbeat
	Token string `json:"token"`
}

// Job is one enqueue request.
type Job struct {
	Route    Route
	ID       string // unique per attempt; used as the job id where the framework has one
	Envelope Envelope
}

// Enqueuer puts a job on a framework's queue. Enqueue returns only once the framework has the job
// (Redis acknowledged the write, RabbitMQ confirmed the publish, BullMQ's Queue.add resolved), so
// that a job is never dropped silently.
type Enqueuer interface {
	Enqueue(ctx context.Context, job Job) error
	Close() error
}
