package main

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal/compat"
	"github.com/tasker-systems/tasker-temporal/migrations"
	"github.com/tasker-systems/tasker-temporal/worker"
)

// newMirror returns the Rails compat mirror for DATABASE_URL, or nil (mirror off). An
// unreachable database is one warning line and the mirror off, unless --require-mirror.
func newMirror(lc fx.Lifecycle, opts Options, logger *zap.Logger) (worker.Mirror, error) {
	if opts.DatabaseURL == "" {
		logger.Info("compat mirror off (DATABASE_URL unset)")
		return nil, nil
	}
	store, err := openMirror(opts.DatabaseURL, logger)
	if err != nil {
		if opts.RequireMirror {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		logger.Warn("compat mirror off: " + err.Error() + " (use --require-mirror to make this fatal)")
		return nil, nil
	}
	lc.Append(fx.StopHook(store.Close))
	return compat.Mirror{Store: store}, nil
}

func openMirror(databaseURL string, logger *zap.Logger) (*compat.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	store, err := compat.Open(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	out, err := migrations.Ensure(ctx, store.Pool(), migrations.Options{})
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("prepare the Rails schema: %w", err)
	}
	logger.Info("compat mirror on", zap.Bool("rails_schema_found", out.RailsSchemaFound), zap.Strings("applied", out.Applied))
	return store, nil
}
