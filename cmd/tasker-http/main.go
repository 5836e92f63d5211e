// Command tasker-http serves Tasker's REST API and operator console alone, against a Temporal
// cluster whose workers run the tasks (TEMPORAL_ADDRESS). cmd/worker serves the same server in
// its own process; this command is for running it apart from the workers.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/httpapi"
	"github.com/tasker-systems/tasker-temporal/internal/config"
	"github.com/tasker-systems/tasker-temporal/template"
)

type options struct {
	config.Common
	Addr       string
	Tokens     string
	Open       bool
	TemporalUI string
}

func main() {
	if err := command().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "tasker-http:", err)
		os.Exit(1)
	}
}

func command() *cobra.Command {
	var opts options
	cmd := &cobra.Command{
		Use:           "tasker-http",
		Short:         "Serve Tasker's REST API and operator console against a Temporal cluster",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), opts) },
	}
	fs := cmd.Flags()
	opts.Common.Bind(fs)
	fs.StringVar(&opts.Addr, "http", envOr("TASKER_HTTP_ADDR", httpapi.DefaultAddr), "host:port to serve on (env TASKER_HTTP_ADDR)")
	fs.StringVar(&opts.Tokens, "http-tokens", os.Getenv("TASKER_HTTP_TOKENS"), "bearer tokens as scope:token, comma-separated, scope read or write (env TASKER_HTTP_TOKENS); none = reads open, writes refused")
	fs.BoolVar(&opts.Open, "http-open", os.Getenv("TASKER_HTTP_OPEN") == "true", "let every request read and write without a token: local development only (env TASKER_HTTP_OPEN=true)")
	fs.StringVar(&opts.TemporalUI, "temporal-ui", os.Getenv("TEMPORAL_UI_URL"), "Temporal Web UI base URL for the console's links (env TEMPORAL_UI_URL)")
	return cmd
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, opts options) error {
	if opts.Temporal.Address == "" {
		return errors.New("--temporal-address (env TEMPORAL_ADDRESS) is required: tasker-http serves a cluster that workers already run; cmd/worker serves the same API with its embedded server")
	}
	addr, on := httpapi.ParseAddr(opts.Addr)
	if !on {
		return errors.New("--http: give a host:port to serve on")
	}
	tokens, err := httpapi.ParseTokens(opts.Tokens)
	if err != nil {
		return fmt.Errorf("--http-tokens: %w", err)
	}
	logger, err := config.Logger(opts.LogFormat, opts.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	templates, err := template.LoadRegistry(opts.Templates, opts.Env)
	if err != nil {
		return fmt.Errorf("load templates: %w", err)
	}
	tc, err := opts.Temporal.Dial(ctx, opts.Temporal.Address, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	srv, err := httpapi.New(httpapi.Config{
		Client: client.New(tc, client.Options{Templates: templates}), Templates: templates, Tokens: tokens, Open: opts.Open,
		TemporalUI: opts.TemporalUI, Namespace: opts.Temporal.Namespace, Logger: logger.Named("http"),
	})
	if err != nil {
		return err
	}
	bound, stop, err := srv.Serve(addr)
	if err != nil {
		return err
	}
	logger.Info("serving the REST API and console", zap.String("address", bound), zap.String("temporal", opts.Temporal.Address), zap.Bool("open", opts.Open), zap.Int("tokens", len(tokens)))
	fmt.Printf("console: http://%s/console/\n", bound)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return stop(stopCtx)
}
