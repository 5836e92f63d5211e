package main

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal/events"
	"github.com/tasker-systems/tasker-temporal/worker"
)

// newPublisher returns the lifecycle event publisher with the sinks of --events-nats and
// --subscriptions, or nil when neither is set (no events are published).
func newPublisher(lc fx.Lifecycle, opts Options, logger *zap.Logger) (worker.Publisher, error) {
	if opts.EventsNATS == "" && opts.Subscriptions == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var sinks []events.Sink
	if opts.EventsNATS != "" {
		sink, err := events.NewNATSSink(ctx, events.NATSConfig{URL: opts.EventsNATS})
		if err != nil {
			return nil, fmt.Errorf("--events-nats %s: %w", opts.EventsNATS, err)
		}
		sinks = append(sinks, sink)
	}
	if opts.Subscriptions != "" {
		subs, err := events.LoadSubscriptions(opts.Subscriptions)
		if err != nil {
			return nil, err
		}
		more, err := events.BuildSinks(ctx, logger, subs)
		if err != nil {
			return nil, fmt.Errorf("--subscriptions %s: %w", opts.Subscriptions, err)
		}
		sinks = append(sinks, more...)
	}
	pub := events.NewPublisher(logger.Named("events"), sinks...)
	lc.Append(fx.StopHook(func(ctx context.Context) error { return pub.Close(ctx) }))
	logger.Info("lifecycle events on", zap.Int("sinks", len(sinks)))
	return pub, nil
}
