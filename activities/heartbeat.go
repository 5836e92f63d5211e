package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// Heartbeat records progress for a long step so a dead worker is noticed within the step's
// heartbeat timeout, and so a cancelled task cancels ctx. Outside an activity it does nothing.
func Heartbeat(ctx context.Context, details ...any) {
	if !activity.IsActivity(ctx) {
		return
	}
	activity.RecordHeartbeat(ctx, details...)
}

// KeepAlive heartbeats every interval until ctx ends or the returned stop function is called.
// Use it around a blocking call that cannot report progress itself.
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
