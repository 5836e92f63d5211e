package conformance

import (
	"context"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
)

// Probe names one behaviour the kit checks.
type Probe string

// The probes, in the order the kit reports them.
const (
	Echo          Probe = "echo"
	FailRetryable Probe = "fail_retryable"
	FailPermanent Probe = "fail_permanent"
	Heartbeat     Probe = "heartbeat"
)

// ProbeKey is the step.initialization key that turns a step request into a probe.
const ProbeKey = "conformance_probe"

// ProbeWorkflowType is the type of the kit's own workflow that runs one probe activity.
const ProbeWorkflowType = "TaskerConformanceProbe"

// AllProbes lists every probe in report order.
func AllProbes() []Probe { return []Probe{Echo, FailRetryable, FailPermanent, Heartbeat} }

func (p Probe) valid() bool {
	for _, q := range AllProbes() {
		if p == q {
			return true
		}
	}
	return false
}

// probeInput is what the probe workflow runs: one attempt of callable on queue with request.
type probeInput struct {
	Queue            string             `json:"queue"`
	Callable         string             `json:"callable"`
	Request          tasker.StepRequest `json:"request"`
	Timeout          time.Duration      `json:"timeout"`
	HeartbeatTimeout time.Duration      `json:"heartbeat_timeout,omitempty"`
}

// Payload is a raw Temporal payload: its encoding (json/plain, binary/null, …) and bytes.
type Payload struct {
	Encoding string `json:"encoding"`
	Data     []byte `json:"data,omitempty"`
}

// Outcome is what one probe activity produced: a result payload or a failure.
type Outcome struct {
	Result *Payload     `json:"result,omitempty"`
	Error  *FailureInfo `json:"error,omitempty"`
}

// Kinds of FailureInfo.
const (
	KindApplication = "application"
	KindTimeout     = "timeout"
	KindOther       = "other"
)

// FailureInfo describes how a probe activity failed.
type FailureInfo struct {
	Kind           string        `json:"kind"`
	Type           string        `json:"type,omitempty"` // application error type
	Message        string        `json:"message"`
	NonRetryable   bool          `json:"non_retryable,omitempty"`
	NextRetryDelay time.Duration `json:"next_retry_delay,omitempty"`
	Details        []Payload     `json:"details,omitempty"`
	TimeoutType    string        `json:"timeout_type,omitempty"` // e.g. Heartbeat, StartToClose
}

// probeWorkflow runs one attempt of the probed callable and returns its raw outcome. It does no
// checking itself: the kit judges the outcome outside the workflow.
func probeWorkflow(ctx workflow.Context, in probeInput) (Outcome, error) {
	info := workflow.GetInfo(ctx)
	in.Request.Task.WorkflowID = info.WorkflowExecution.ID
	in.Request.Task.RunID = info.WorkflowExecution.RunID
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              in.Queue,
		ScheduleToCloseTimeout: in.Timeout,
		StartToCloseTimeout:    in.Timeout,
		HeartbeatTimeout:       in.HeartbeatTimeout,
		RetryPolicy:            &temporal.RetryPolicy{MaximumAttempts: 1},
		Summary:                "conformance probe " + in.Request.Step.Name,
	})
	var raw converter.RawValue
	if err := workflow.ExecuteActivity(actx, in.Callable, in.Request).Get(ctx, &raw); err != nil {
		return Outcome{Error: failureInfo(err)}, nil
	}
	p := toPayload(raw.Payload())
	return Outcome{Result: &p}, nil
}

func toPayload(p *commonpb.Payload) Payload {
	if p == nil {
		return Payload{}
	}
	return Payload{Encoding: string(p.GetMetadata()[converter.MetadataEncoding]), Data: p.GetData()}
}

func failureInfo(err error) *FailureInfo {
	var appErr *temporal.ApplicationError
	var timeoutErr *temporal.TimeoutError
	switch {
	case errors.As(err, &appErr):
		f := &FailureInfo{Kind: KindApplication, Type: appErr.Type(), Message: appErr.Message(),
			NonRetryable: appErr.NonRetryable(), NextRetryDelay: appErr.NextRetryDelay()}
		if appErr.HasDetails() {
			var d [4]converter.RawValue
			if appErr.Details(&d[0], &d[1], &d[2], &d[3]) == nil {
				for _, rv := range d {
					if rv.Payload() != nil {
						f.Details = append(f.Details, toPayload(rv.Payload()))
					}
				}
			}
		}
		return f
	case errors.As(err, &timeoutErr):
		return &FailureInfo{Kind: KindTimeout, Message: timeoutErr.Error(), TimeoutType: timeoutErr.TimeoutType().String()}
	default:
		return &FailureInfo{Kind: KindOther, Message: err.Error()}
	}
}

// Wrap makes a Go handler answer the conformance probes: a request whose step.initialization
// holds ProbeKey gets the probe's behaviour, any other request goes to h. A nil h serves probes
// only. Use it when registering a handler so `tasker conformance` can check the worker in place:
//
//	registry.MustRegister("Payments::Charge", conformance.Wrap(chargeHandler))
func Wrap(h activities.Handler) activities.Handler {
	return activities.HandlerFunc(func(ctx context.Context, step activities.StepContext) (any, error) {
		probe, ok := step.Initialization()[ProbeKey].(string)
		if !ok {
			if h == nil {
				return nil, activities.Permanent(fmt.Errorf("step %s: this handler serves conformance probes only", step.Name()))
			}
			return h.Process(ctx, step)
		}
		return answer(ctx, Probe(probe), step)
	})
}

// answer is the reference behaviour of the probe protocol.
func answer(ctx context.Context, probe Probe, step activities.StepContext) (any, error) {
	init := step.Initialization()
	switch probe {
	case Echo:
		return step.Request, nil
	case FailRetryable:
		secs := number(init["retry_after_seconds"], 0)
		return nil, activities.RetryAfter(errors.New("conformance probe: retryable failure"), time.Duration(secs*float64(time.Second)))
	case FailPermanent:
		return nil, activities.Permanent(errors.New("conformance probe: permanent failure"))
	case Heartbeat:
		return heartbeatFor(ctx, msDuration(init["duration_ms"], 3000), msDuration(init["interval_ms"], 250))
	default:
		return nil, activities.Permanent(fmt.Errorf("unknown conformance probe %q", probe))
	}
}

func heartbeatFor(ctx context.Context, duration, interval time.Duration) (any, error) {
	beats := 0
	for elapsed := time.Duration(0); elapsed < duration; elapsed += interval {
		beats++
		activities.Heartbeat(ctx, map[string]int{"beat": beats})
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(interval):
		}
	}
	return map[string]int{"heartbeats": beats}, nil
}

func number(v any, def float64) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case int64:
		return float64(n)
	}
	return def
}

func msDuration(v any, def float64) time.Duration {
	return time.Duration(number(v, def) * float64(time.Millisecond))
}
