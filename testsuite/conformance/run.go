package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Defaults of Options.
const (
	DefaultTimeout           = 30 * time.Second
	DefaultPollerWait        = 15 * time.Second
	DefaultRetryAfterSeconds = 7
	DefaultHeartbeatTimeout  = 2 * time.Second
)

// Options say what to probe.
type Options struct {
	// Queue is the step task queue the worker under test polls. Required.
	Queue string
	// Callable is the activity type (handler callable) to probe. Required.
	Callable string
	// Timeout bounds each probe activity (schedule-to-close and start-to-close); 0 = 30s.
	Timeout time.Duration
	// Probes to run; empty = AllProbes.
	Probes []Probe
	// PollerWait is how long to wait for a worker polling Queue before giving up; 0 = 15s.
	PollerWait time.Duration
	// RetryAfterSeconds is what the fail_retryable probe asks for; 0 = 7.
	RetryAfterSeconds float64
	// HeartbeatTimeout of the heartbeat probe, which runs for three times as long; 0 = 2s.
	HeartbeatTimeout time.Duration
	// ProbeQueue is the task queue of the kit's own probe workflow; empty = a unique one.
	ProbeQueue string
}

func (o Options) withDefaults() (Options, error) {
	if strings.TrimSpace(o.Queue) == "" {
		return o, fmt.Errorf("conformance: the task queue to probe is required (--queue)")
	}
	if strings.TrimSpace(o.Callable) == "" {
		return o, fmt.Errorf("conformance: the callable to probe is required (--callable)")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.PollerWait <= 0 {
		o.PollerWait = DefaultPollerWait
	}
	if o.RetryAfterSeconds <= 0 {
		o.RetryAfterSeconds = DefaultRetryAfterSeconds
	}
	if o.HeartbeatTimeout <= 0 {
		o.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	if o.Timeout < 4*o.HeartbeatTimeout {
		return o, fmt.Errorf("conformance: timeout %s is too short for the heartbeat probe (it runs %s): use at least %s", o.Timeout, 3*o.HeartbeatTimeout, 4*o.HeartbeatTimeout)
	}
	if len(o.Probes) == 0 {
		o.Probes = AllProbes()
	}
	for _, p := range o.Probes {
		if !p.valid() {
			return o, fmt.Errorf("conformance: unknown probe %q (have %s)", p, probeList())
		}
	}
	if o.ProbeQueue == "" {
		o.ProbeQueue = "tasker-conformance-" + randomHex()
	}
	return o, nil
}

func probeList() string {
	var names []string
	for _, p := range AllProbes() {
		names = append(names, string(p))
	}
	return strings.Join(names, ", ")
}

// Report is the outcome of a conformance run.
type Report struct {
	Queue    string        `json:"queue"`
	Callable string        `json:"callable"`
	Results  []ProbeResult `json:"results"`
}

// ProbeResult is one probe's verdict.
type ProbeResult struct {
	Probe      Probe         `json:"probe"`
	Violations []string      `json:"violations,omitempty"`
	Elapsed    time.Duration `json:"elapsed"`
}

// OK reports whether every probe passed.
func (r Report) OK() bool { return len(r.Violations()) == 0 }

// Violations lists every violation as "<probe>: <message>".
func (r Report) Violations() []string {
	var out []string
	for _, p := range r.Results {
		for _, v := range p.Violations {
			out = append(out, string(p.Probe)+": "+v)
		}
	}
	return out
}

// WriteText prints the report for a terminal: one line per probe, its violations indented.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "conformance of %s on task queue %s\n", r.Callable, r.Queue)
	for _, p := range r.Results {
		verdict := "ok  "
		if len(p.Violations) > 0 {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %-15s %s\n", verdict, p.Probe, p.Elapsed.Round(time.Millisecond))
		for _, v := range p.Violations {
			fmt.Fprintf(&b, "         - %s\n", v)
		}
	}
	if n := len(r.Violations()); n > 0 {
		fmt.Fprintf(&b, "%d violation(s) of the step-handler contract (docs/handlers.md)\n", n)
	} else {
		fmt.Fprintf(&b, "all %d probes passed\n", len(r.Results))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Run probes the worker serving opts.Callable on opts.Queue and reports each violation. It runs
// the kit's probe workflow on a worker of its own for the duration of the call. The error is for
// what stops the run itself (bad options, no worker polling the queue, Temporal unreachable);
// contract violations are in the report.
func Run(ctx context.Context, c sdkclient.Client, opts Options) (Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Report{}, err
	}
	if err := waitForPoller(ctx, c, opts.Queue, opts.PollerWait); err != nil {
		return Report{}, err
	}
	w := worker.New(c, opts.ProbeQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(probeWorkflow, workflow.RegisterOptions{Name: ProbeWorkflowType})
	if err := w.Start(); err != nil {
		return Report{}, fmt.Errorf("conformance: start the probe worker on %s: %w", opts.ProbeQueue, err)
	}
	defer w.Stop()

	report := Report{Queue: opts.Queue, Callable: opts.Callable, Results: make([]ProbeResult, len(opts.Probes))}
	errs := make([]error, len(opts.Probes))
	var wg sync.WaitGroup
	for i, p := range opts.Probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			report.Results[i], errs[i] = runProbe(ctx, c, opts, p)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return report, err
		}
	}
	return report, nil
}

func runProbe(ctx context.Context, c sdkclient.Client, opts Options, probe Probe) (ProbeResult, error) {
	p := params{retryAfterSeconds: opts.RetryAfterSeconds, heartbeatTimeout: opts.HeartbeatTimeout}
	in := probeInput{Queue: opts.Queue, Callable: opts.Callable, Request: probeRequest(probe, p), Timeout: opts.Timeout}
	if probe == Heartbeat {
		in.HeartbeatTimeout = opts.HeartbeatTimeout
	}
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, sdkclient.StartWorkflowOptions{
		ID:                       "tasker-conformance-" + string(probe) + "-" + randomHex(),
		TaskQueue:                opts.ProbeQueue,
		WorkflowExecutionTimeout: opts.Timeout + time.Minute,
	}, ProbeWorkflowType, in)
	if err != nil {
		return ProbeResult{}, fmt.Errorf("conformance: start probe %s: %w", probe, err)
	}
	var out Outcome
	if err := run.Get(ctx, &out); err != nil {
		return ProbeResult{}, fmt.Errorf("conformance: probe %s (workflow %s): %w", probe, run.GetID(), err)
	}
	res := ProbeResult{Probe: probe, Elapsed: time.Since(start)}
	if notServed(out.Error) {
		res.Violations = []string{fmt.Sprintf("the worker on task queue %s does not serve callable %s: %s", opts.Queue, opts.Callable, out.Error.Message)}
		return res, nil
	}
	sent := in.Request
	sent.Task.WorkflowID, sent.Task.RunID = run.GetID(), run.GetRunID()
	res.Violations = judge(probe, sent, out, p)
	return res, nil
}

// waitForPoller waits until some worker polls queue for activities.
func waitForPoller(ctx context.Context, c sdkclient.Client, queue string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		desc, err := c.DescribeTaskQueue(ctx, queue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		if err != nil {
			return fmt.Errorf("conformance: describe task queue %s: %w", queue, err)
		}
		if len(desc.GetPollers()) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("conformance: no worker polls activity task queue %q (waited %s): start the worker that serves it", queue, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
