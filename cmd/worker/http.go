package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/pflag"
	sdkclient "go.temporal.io/sdk/client"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/httpapi"
	"github.com/tasker-systems/tasker-temporal/template"
)

// HTTPOptions configure the REST API and console the worker serves.
type HTTPOptions struct {
	Addr       string // host:port, or "off"
	Tokens     string // scope:token,...
	Open       bool   // reads and writes without a token (local development)
	TemporalUI string // Temporal Web UI base URL for links; "" = the embedded server's UI
}

func (h *HTTPOptions) bind(fs *pflag.FlagSet) {
	fs.StringVar(&h.Addr, "http", envOr("TASKER_HTTP_ADDR", httpapi.DefaultAddr), "serve the REST API and the console on this host:port; off disables it (env TASKER_HTTP_ADDR)")
	fs.StringVar(&h.Tokens, "http-tokens", os.Getenv("TASKER_HTTP_TOKENS"), "bearer tokens of the REST API as scope:token, comma-separated, scope read or write (env TASKER_HTTP_TOKENS); none = reads open, writes refused")
	fs.BoolVar(&h.Open, "http-open", os.Getenv("TASKER_HTTP_OPEN") == "true", "let every HTTP request read and write without a token: local development only (env TASKER_HTTP_OPEN=true)")
	fs.StringVar(&h.TemporalUI, "temporal-ui", os.Getenv("TEMPORAL_UI_URL"), "Temporal Web UI base URL for the console's links (env TEMPORAL_UI_URL; default: the embedded server's UI)")
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// httpModule starts the HTTP server when --http is not off.
var httpModule = fx.Invoke(startHTTP)

func startHTTP(lc fx.Lifecycle, opts Options, tc sdkclient.Client, templates *template.Registry, logger *zap.Logger) error {
	addr, on := httpapi.ParseAddr(opts.HTTP.Addr)
	if !on {
		logger.Info("HTTP API and console off (--http=off)")
		return nil
	}
	tokens, err := httpapi.ParseTokens(opts.HTTP.Tokens)
	if err != nil {
		return fmt.Errorf("--http-tokens: %w", err)
	}
	ui := opts.HTTP.TemporalUI
	if ui == "" && opts.Temporal.Address == "" && !opts.NoUI {
		ui = fmt.Sprintf("http://127.0.0.1:%d", opts.UIPort)
	}
	srv, err := httpapi.New(httpapi.Config{
		Client: client.New(tc, client.Options{Templates: templates}), Templates: templates, Tokens: tokens, Open: opts.HTTP.Open,
		TemporalUI: ui, Namespace: opts.Temporal.Namespace, Logger: logger.Named("http"),
	})
	if err != nil {
		return err
	}
	var stop func(context.Context) error
	lc.Append(fx.Hook{
		OnStop: func(ctx context.Context) error {
			if stop == nil {
				return nil
			}
			return stop(ctx)
		},
		OnStart: func(context.Context) error {
			bound, shutdown, err := srv.Serve(addr)
			if err != nil {
				return fmt.Errorf("--http %s: %w", addr, err)
			}
			stop = shutdown
			logger.Info("HTTP API and console", zap.String("address", bound), zap.Bool("open", opts.HTTP.Open), zap.Int("tokens", len(tokens)))
			logger.Sugar().Infof("console: http://%s/console/  (API: http://%s/tasks, OpenAPI: http://%s/openapi.json)", bound, bound, bound)
			return nil
		},
	})
	return nil
}
