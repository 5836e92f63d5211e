// Command worker is the main process of Tasker on Temporal: the orchestration worker (the
// TaskerTask workflow and its local activities) and the Go step handlers, wired with fx. With
// TEMPORAL_ADDRESS unset it starts the embedded Temporal server and its Web UI first.
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
	"go.uber.org/dig"
	"go.uber.org/fx"

	"github.com/tasker-systems/tasker-temporal/internal/config"
)

// Options are the worker's own settings beside the shared ones.
type Options struct {
	config.Common
	DBFile        string
	Port          int
	UIPort        int
	NoUI          bool
	RequireMirror bool
	MaxInFlight   int
	Hold          time.Duration
	StopTimeout   time.Duration
	EventsNATS    string
	Subscriptions string
	HTTP          HTTPOptions
}

func main() {
	if err := command().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func command() *cobra.Command {
	var opts Options
	cmd := &cobra.Command{
		Use:           "worker",
		Short:         "Run Tasker tasks on Temporal: orchestration worker, Go step handlers, and (by default) an embedded Temporal server with its UI",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	opts.Common.Bind(fs)
	opts.HTTP.bind(fs)
	fs.StringVar(&opts.DBFile, "db-file", "", "embedded server: keep Temporal's state in this SQLite file so tasks survive a restart (default: in memory)")
	fs.IntVar(&opts.Port, "port", 7233, "embedded server: frontend port")
	fs.IntVar(&opts.UIPort, "ui-port", 8233, "embedded server: Web UI port")
	fs.BoolVar(&opts.NoUI, "no-ui", false, "embedded server: do not start the Web UI")
	fs.BoolVar(&opts.RequireMirror, "require-mirror", false, "fail at start-up when DATABASE_URL is unreachable instead of running with the mirror off")
	fs.IntVar(&opts.MaxInFlight, "max-in-flight", 500, "steps of one task running at once")
	fs.DurationVar(&opts.Hold, "hold", 7*24*time.Hour, "how long a task in error waits for an operator before it closes as failed")
	fs.StringVar(&opts.EventsNATS, "events-nats", os.Getenv("TASKER_EVENTS_NATS"), "publish lifecycle events to this NATS JetStream server, e.g. nats://127.0.0.1:4222 (env TASKER_EVENTS_NATS)")
	fs.StringVar(&opts.Subscriptions, "subscriptions", os.Getenv("TASKER_SUBSCRIPTIONS"), "a YAML file of event subscriptions: webhooks, NATS, logs (env TASKER_SUBSCRIPTIONS)")
	fs.DurationVar(&opts.StopTimeout, "stop-timeout", 8*time.Second, "on SIGINT/SIGTERM, how long running steps may take to finish")
	return cmd
}

func run(ctx context.Context, opts Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	logger, err := config.Logger(opts.LogFormat, opts.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()

	app := fx.New(
		fx.Supply(opts, logger),
		fx.NopLogger,
		fx.StopTimeout(opts.StopTimeout+2*time.Second),
		Module,
		httpModule,
		announceReady, // last
	)
	if err := app.Err(); err != nil {
		return dig.RootCause(err)
	}
	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		return dig.RootCause(err)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	got := <-sig
	logger.Sugar().Infof("received %s: draining running steps (up to %s), then stopping", got, opts.StopTimeout)

	stopCtx, cancelStop := context.WithTimeout(context.Background(), opts.StopTimeout+2*time.Second)
	defer cancelStop()
	if err := app.Stop(stopCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
