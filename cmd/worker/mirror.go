package main

import (
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal/activities"
)

// newMirror returns the Rails compat mirror for DATABASE_URL, or nil (mirror off).
func newMirror(opts Options, logger *zap.Logger) (activities.Mirror, error) {
	if opts.DatabaseURL == "" {
		logger.Info("compat mirror off (DATABASE_URL unset)")
		return nil, nil
	}
	logger.Warn("compat mirror not available in this build yet; running with the mirror off")
	return nil, nil
}
