package activities_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

func TestMain(m *testing.M) { testsuite.Main(m) }

func TestEndsAttempt(t *testing.T) {
	cases := []struct {
		name string
		err  error
		ends bool
	}{
		{"no error", nil, false},
		{"cancel requested", temporal.NewCanceledError(), true},
		{"activity gone", serviceerror.NewNotFound("activity not found"), true},
		{"namespace gone", serviceerror.NewNamespaceNotFound("ns"), true},
		{"paused", activity.ErrActivityPaused, true},
		{"reset", fmt.Errorf("heartbeat: %w", activity.ErrActivityReset), true},
		{"RPC deadline", context.DeadlineExceeded, false},
		{"server deadline", serviceerror.NewDeadlineExceeded("context deadline exceeded"), false},
		{"server unavailable", serviceerror.NewUnavailable("connection refused"), false},
		{"RST_STREAM cancel", serviceerror.NewCanceled("RST_STREAM CANCEL"), false},
		{"overloaded", serviceerror.NewResourceExhausted(0, "busy"), false},
		{"anything else", errors.New("boom"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.ends, activities.EndsAttempt(c.err))
		})
	}
}

// stepOpts are what the test workflow runs its one step with.
type stepOpts struct {
	Queue     string // the activity worker's task queue
	Heartbeat time.Duration
	CancelIn  time.Duration // > 0: cancel the step after this long
}

// oneStep runs the step activity "step" once (no Temporal retry, as the real workflow does) and
// returns its result.
func oneStep(ctx workflow.Context, o stepOpts) (tasker.StepResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: o.Queue, StartToCloseTimeout: 2 * time.Minute, HeartbeatTimeout: o.Heartbeat,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}, WaitForCancellation: true,
	})
	actx, cancel := workflow.WithCancel(ctx)
	f := workflow.ExecuteActivity(actx, "step", tasker.StepRequest{Step: tasker.StepInfo{Name: "s", Attempt: 1, MaxAttempts: 1}})
	if o.CancelIn > 0 {
		_ = workflow.Sleep(ctx, o.CancelIn)
		cancel()
	}
	var res tasker.StepResult
	err := f.Get(ctx, &res)
	return res, err
}

type rig struct {
	tc    sdkclient.Client
	queue string // the workflow's
	steps string // the step worker's
	proxy *testsuite.Proxy
}

// newRig starts a step worker for one handler whose connection to Temporal runs through a proxy
// the test can cut; the workflow's worker and the test's client connect directly.
func newRig(t *testing.T, h activities.Handler) *rig {
	addr := testsuite.Address(t)
	proxy := testsuite.NewProxy(t, addr)
	quiet := log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	wc, err := sdkclient.Dial(sdkclient.Options{HostPort: proxy.Addr(), Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(wc.Close)
	tc, err := sdkclient.Dial(sdkclient.Options{HostPort: addr, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	r := &rig{tc: tc, queue: testsuite.UniqueName(t, "hb-wf"), steps: testsuite.UniqueName(t, "hb-step"), proxy: proxy}
	ww := worker.New(tc, r.queue, worker.Options{})
	ww.RegisterWorkflowWithOptions(oneStep, workflow.RegisterOptions{Name: "oneStep"})
	require.NoError(t, ww.Start())
	t.Cleanup(ww.Stop)
	aw := worker.New(wc, r.steps, worker.Options{})
	aw.RegisterActivityWithOptions(activities.Activity(h), activity.RegisterOptions{Name: "step"})
	require.NoError(t, aw.Start())
	t.Cleanup(aw.Stop)
	return r
}

func (r *rig) run(t *testing.T, o stepOpts) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o.Queue = r.steps
	begin := time.Now()
	run, err := r.tc.ExecuteWorkflow(ctx, sdkclient.StartWorkflowOptions{ID: testsuite.UniqueName(t, "wf"), TaskQueue: r.queue}, "oneStep", o)
	require.NoError(t, err)
	var res tasker.StepResult
	err = run.Get(ctx, &res)
	return time.Since(begin), err
}

// sleeper runs for d unless its context ends first, and never heartbeats itself.
func sleeper(d time.Duration, cancelled *atomic.Value) activities.HandlerFunc {
	return func(ctx context.Context, _ activities.StepContext) (any, error) {
		select {
		case <-time.After(d):
			return map[string]bool{"slept": true}, nil
		case <-ctx.Done():
			cancelled.Store(context.Cause(ctx))
			return nil, ctx.Err()
		}
	}
}

// TestGoHandlersHeartbeatOnTheirOwn: a handler that runs three times its heartbeat timeout and
// never heartbeats itself is kept alive by the foundation's automatic heartbeat.
func TestGoHandlersHeartbeatOnTheirOwn(t *testing.T) {
	var cancelled atomic.Value
	r := newRig(t, sleeper(3*time.Second, &cancelled))
	_, err := r.run(t, stepOpts{Heartbeat: time.Second})
	require.NoError(t, err)
	assert.Nil(t, cancelled.Load())
}

// TestAHeartbeatOutageCostsNoAttempt cuts the worker's connection to Temporal for three seconds
// while its handler runs: heartbeats fail for real (the transport errors are observed), yet the
// attempt is not cancelled and completes once the connection is back.
func TestAHeartbeatOutageCostsNoAttempt(t *testing.T) {
	var failures atomic.Int32
	defer activities.OnHeartbeatFailed(func(error) { failures.Add(1) })()
	var cancelled atomic.Value
	r := newRig(t, sleeper(9*time.Second, &cancelled))
	go func() {
		time.Sleep(2500 * time.Millisecond) // after the first beat (at 2s)
		r.proxy.Cut()
		time.Sleep(3 * time.Second)
		r.proxy.Restore()
	}()
	_, err := r.run(t, stepOpts{Heartbeat: 6 * time.Second})
	require.NoError(t, err, "the step survives the outage")
	assert.Nil(t, cancelled.Load(), "the handler was never cancelled")
	assert.GreaterOrEqual(t, failures.Load(), int32(1), "heartbeats really failed during the cut")
}

// TestADeadWorkerIsNoticedWithinTheHeartbeatTimeout: once the worker running a step is gone (its
// connection cut for good), the attempt fails by heartbeat timeout in seconds, not after the
// two-minute start-to-close.
func TestADeadWorkerIsNoticedWithinTheHeartbeatTimeout(t *testing.T) {
	started := make(chan struct{}, 1)
	r := newRig(t, activities.HandlerFunc(func(ctx context.Context, _ activities.StepContext) (any, error) {
		started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	go func() {
		<-started
		r.proxy.Cut()
	}()
	took, err := r.run(t, stepOpts{Heartbeat: 2 * time.Second})
	var timeout *temporal.TimeoutError
	require.ErrorAs(t, err, &timeout)
	assert.Equal(t, enumspb.TIMEOUT_TYPE_HEARTBEAT, timeout.TimeoutType())
	assert.Less(t, took, 15*time.Second)
}

// TestACancelStillReachesTheHandler: the server's cancel, delivered on a heartbeat, still cancels
// the handler's context (with the cancel as its cause).
func TestACancelStillReachesTheHandler(t *testing.T) {
	var cancelled atomic.Value
	r := newRig(t, sleeper(30*time.Second, &cancelled))
	took, err := r.run(t, stepOpts{Heartbeat: time.Second, CancelIn: time.Second})
	var ce *temporal.CanceledError
	require.ErrorAs(t, err, &ce)
	assert.Less(t, took, 10*time.Second)
	cause, _ := cancelled.Load().(error)
	require.Error(t, cause)
	assert.True(t, activities.EndsAttempt(cause), "cause %v", cause)
}
