package config

import (
	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
)

// sdkLogger lets the Temporal SDK log through zap.
type sdkLogger struct{ s *zap.SugaredLogger }

// NewSDKLogger adapts a zap logger to the Temporal SDK's logger interface.
func NewSDKLogger(l *zap.Logger) log.Logger {
	if l == nil {
		l = zap.NewNop()
	}
	return sdkLogger{s: l.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

func (l sdkLogger) Debug(msg string, kv ...any) { l.s.Debugw(msg, kv...) }
func (l sdkLogger) Info(msg string, kv ...any)  { l.s.Infow(msg, kv...) }
func (l sdkLogger) Warn(msg string, kv ...any)  { l.s.Warnw(msg, kv...) }
func (l sdkLogger) Error(msg string, kv ...any) { l.s.Errorw(msg, kv...) }

// With returns a logger with the key-value pairs added to every line.
func (l sdkLogger) With(kv ...any) log.Logger { return sdkLogger{s: l.s.With(kv...)} }
