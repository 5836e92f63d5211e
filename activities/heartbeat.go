package activities

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// A Go handler run by Activity heartbeats on its own: every third of the step's heartbeat timeout
// (when the step has one) a ticker records a heartbeat, so a live handler is never timed out and a
// dead worker is noticed within the heartbeat timeout. Heartbeat and KeepAlive add progress
// details and send sooner.
//
// Heartbeats go through the worker's client, not the SDK's activity.RecordHeartbeat: the SDK
// cancels the attempt when a heartbeat RPC fails with a transient error (a slow server under load
// answers `context deadline exceeded`), which costs the user an attempt that no handler failed.
// Here only the server's answers end the attempt (cancel requested, activity gone, paused or
// reset); any other error is logged and retried a quarter interval later. If heartbeats really stop
// reaching the server, the server's heartbeat timeout fails the attempt, as it must.

const (
	// minBeat bounds how often heartbeats are sent, whatever the timeout.
	minBeat = 100 * time.Millisecond
	// idleBeat is the throttle of explicit heartbeats of a step without a heartbeat timeout
	// (they only serve to learn of a cancel).
	idleBeat = 10 * time.Second
)

type beaterKey struct{}

// beater sends one activity's heartbeats.
type beater struct {
	sdk      context.Context // the SDK's activity context
	tc       client.Client
	token    []byte
	interval time.Duration
	cancel   context.CancelCauseFunc
	logger   interface{ Warn(string, ...any) }

	mu      sync.Mutex
	details []any
	kick    chan struct{}
}

// withHeartbeats returns the context the handler runs in: ctx, also cancelled when the server
// asks to cancel the attempt, with a beater that heartbeats on a ticker until stop is called.
// Outside an activity, or where the SDK gives no client (a unit-test environment), it returns ctx
// and the SDK's own heartbeat is used.
func withHeartbeats(ctx context.Context) (context.Context, func()) {
	if !activity.IsActivity(ctx) {
		return ctx, func() {}
	}
	tc := activity.GetClient(ctx)
	if tc == nil {
		return ctx, func() {}
	}
	info := activity.GetInfo(ctx)
	hctx, cancel := context.WithCancelCause(ctx)
	b := &beater{sdk: ctx, tc: tc, token: info.TaskToken, cancel: cancel, logger: activity.GetLogger(ctx), kick: make(chan struct{}, 1)}
	b.interval = idleBeat
	if info.HeartbeatTimeout > 0 {
		b.interval = max(info.HeartbeatTimeout/3, minBeat)
	}
	hctx = context.WithValue(hctx, beaterKey{}, b)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.loop(hctx, done, info.HeartbeatTimeout > 0)
	}()
	return hctx, func() {
		close(done)
		wg.Wait()
		cancel(nil)
	}
}

// loop sends a heartbeat every interval (when ticking) and whenever Heartbeat kicks it, at most
// once per interval; after a transport error it tries again every quarter interval until one gets
// through.
func (b *beater) loop(ctx context.Context, done <-chan struct{}, ticking bool) {
	timer := time.NewTimer(b.interval)
	defer timer.Stop()
	if !ticking {
		timer.Stop()
	}
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-timer.C:
		case <-b.kick:
			if time.Since(last) < b.interval {
				continue
			}
			timer.Stop()
		}
		last = time.Now()
		next := b.interval
		if !b.send(ctx) {
			next = max(b.interval/4, minBeat)
		}
		if ticking || next < b.interval {
			timer.Reset(next)
		}
	}
}

// send records one heartbeat; it reports false after a transport error (to be retried soon).
func (b *beater) send(ctx context.Context) bool {
	b.mu.Lock()
	details := b.details
	b.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(b.interval/2, minBeat))
	defer cancel()
	err := b.tc.RecordActivityHeartbeat(rctx, b.token, details...)
	if err == nil {
		return true
	}
	if EndsAttempt(err) {
		b.cancel(err)
		// Let the SDK hear it too (its heartbeat gets the same answer), so that it reports the
		// attempt as cancelled rather than failed.
		activity.RecordHeartbeat(b.sdk, details...)
		return true
	}
	heartbeatFailed(err)
	b.logger.Warn("heartbeat not recorded; retrying soon (the attempt goes on)", "error", err)
	return false
}

// EndsAttempt reports whether a heartbeat error is the server's word that the attempt is over:
// a cancel was requested, the activity no longer exists (timed out, or its workflow closed), or it
// was paused or reset. Every other error (a timeout, an unavailable or overloaded server, a cut
// connection) is a fault of the transport: it is retried on the next beat and never cancels the
// handler.
func EndsAttempt(err error) bool {
	var canceled *temporal.CanceledError
	var notFound *serviceerror.NotFound
	var nsNotFound *serviceerror.NamespaceNotFound
	var nsInactive *serviceerror.NamespaceNotActive
	switch {
	case err == nil:
		return false
	case errors.As(err, &canceled), errors.As(err, &notFound), errors.As(err, &nsNotFound), errors.As(err, &nsInactive):
		return true
	case errors.Is(err, activity.ErrActivityPaused), errors.Is(err, activity.ErrActivityReset):
		return true
	}
	return false
}

// cancelCause is the server's cancel that ended ctx, or nil.
func cancelCause(ctx context.Context) error {
	var canceled *temporal.CanceledError
	if cause := context.Cause(ctx); errors.As(cause, &canceled) {
		return cause
	}
	return nil
}

// heartbeatFailed observes transport errors (tests hook it).
var heartbeatFailed = func(error) {}

// Heartbeat records progress for a long step, with details, so a dead worker is noticed within
// the step's heartbeat timeout and a cancelled task cancels ctx. In a handler run by Activity it
// hands the details to the handler's heartbeat loop (sent at once unless one went out less than a
// third of the heartbeat timeout ago) and never blocks; elsewhere in an activity it is the SDK's
// activity.RecordHeartbeat; outside an activity it does nothing.
func Heartbeat(ctx context.Context, details ...any) {
	if b, ok := ctx.Value(beaterKey{}).(*beater); ok {
		b.mu.Lock()
		b.details = details
		b.mu.Unlock()
		select {
		case b.kick <- struct{}{}:
		default:
		}
		return
	}
	if !activity.IsActivity(ctx) {
		return
	}
	activity.RecordHeartbeat(ctx, details...)
}

// KeepAlive heartbeats every interval until ctx ends or the returned stop function is called.
// Use it around a blocking call that cannot report progress itself. (A handler run by Activity
// needs it only to heartbeat more often than its automatic beat.)
func KeepAlive(ctx context.Context, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-t.C:
				Heartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
