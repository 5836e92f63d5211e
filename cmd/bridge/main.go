// Command bridge serves Tasker step task queues with Sidekiq, Celery and BullMQ jobs: it polls the
// task queues its YAML config routes, enqueues each step attempt as a job of the routed framework,
// and completes the attempt when the job reports back through its callback API (DESIGN §4.6). See
// docs/bridge.md.
//
//	TASKER_BRIDGE_SECRET=$(openssl rand -hex 32) bridge --config examples/bridge/bridge.yaml
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/bridge"
	"github.com/tasker-systems/tasker-temporal/internal/config"
)

// options are the command's flags.
type options struct {
	Config    string
	Address   string
	Temporal  config.Temporal
	LogFormat string
	LogLevel  string
	// HealthListen serves /health/live and /health/ready ("" = off).
	HealthListen string
	// StopTimeout is how long SIGTERM waits for running step activities (enqueues) to finish.
	StopTimeout time.Duration
}

func main() {
	if err := command().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "bridge:", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func command() *cobra.Command {
	var opts options
	cmd := &cobra.Command{
		Use:           "bridge",
		Short:         "Serve Tasker step task queues with Sidekiq, Celery and BullMQ jobs",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return run(ctx, opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Config, "config", envOr("TASKER_BRIDGE_CONFIG", "bridge.yaml"), "the bridge's YAML config (env TASKER_BRIDGE_CONFIG)")
	fs.StringVar(&opts.Address, "temporal-address", envOr("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend host:port (env TEMPORAL_ADDRESS)")
	fs.StringVar(&opts.Temporal.Namespace, "temporal-namespace", envOr("TEMPORAL_NAMESPACE", tasker.DefaultNamespace), "Temporal namespace (env TEMPORAL_NAMESPACE)")
	fs.StringVar(&opts.Temporal.TLSCert, "tls-cert", os.Getenv("TEMPORAL_TLS_CERT"), "client certificate for mTLS (env TEMPORAL_TLS_CERT)")
	fs.StringVar(&opts.Temporal.TLSKey, "tls-key", os.Getenv("TEMPORAL_TLS_KEY"), "client key for mTLS (env TEMPORAL_TLS_KEY)")
	fs.StringVar(&opts.Temporal.TLSCA, "tls-ca", os.Getenv("TEMPORAL_TLS_CA"), "CA certificate to verify the server (env TEMPORAL_TLS_CA)")
	fs.StringVar(&opts.Temporal.APIKey, "api-key", os.Getenv("TEMPORAL_API_KEY"), "API key, e.g. for Temporal Cloud (env TEMPORAL_API_KEY)")
	fs.StringVar(&opts.LogFormat, "log-format", os.Getenv("LOG_FORMAT"), "console or json (env LOG_FORMAT)")
	fs.StringVar(&opts.LogLevel, "log-level", envOr("LOG_LEVEL", "info"), "debug, info, warn or error (env LOG_LEVEL)")
	fs.StringVar(&opts.HealthListen, "health-listen", os.Getenv("TASKER_BRIDGE_HEALTH_LISTEN"), "serve /health/live and /health/ready on this address, e.g. 127.0.0.1:8788 (env TASKER_BRIDGE_HEALTH_LISTEN; default off)")
	fs.DurationVar(&opts.StopTimeout, "stop-timeout", 8*time.Second, "on SIGINT/SIGTERM, how long running enqueues may take to finish")
	return cmd
}

func run(ctx context.Context, opts options) error {
	cfg, err := bridge.LoadConfig(opts.Config)
	if err != nil {
		return err
	}
	logger, err := config.Logger(opts.LogFormat, opts.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	tc, err := opts.Temporal.Dial(ctx, opts.Address, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	host, _ := os.Hostname()
	identity := fmt.Sprintf("tasker-bridge-%d@%s", os.Getpid(), host)
	b, err := bridge.New(*cfg, bridge.Options{Temporal: tc, Logger: logger,
		WorkerOptions: worker.Options{Identity: identity, WorkerStopTimeout: opts.StopTimeout}})
	if err != nil {
		return err
	}
	if err := b.Start(); err != nil {
		return err
	}
	healthAddr := ""
	if opts.HealthListen != "" {
		hctx, stopHealth := context.WithCancel(context.Background())
		defer stopHealth()
		if healthAddr, err = serveHealth(hctx, opts.HealthListen, checker(cfg, b, tc, opts.Temporal.Namespace, identity), logger); err != nil {
			b.Stop()
			return err
		}
	}
	logger.Info("bridge started", zap.String("callback_url", b.URL()), zap.Strings("task_queues", cfg.TaskQueues()),
		zap.String("config", opts.Config), zap.String("identity", identity), zap.String("health", healthAddr))
	<-ctx.Done()
	logger.Info("bridge stopping: running enqueues finish (up to --stop-timeout); enqueued jobs stay on their queues and complete through the next bridge")
	b.Stop()
	return nil
}
