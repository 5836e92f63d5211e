package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal/testsuite/conformance"
)

// conformanceCmd probes an external step worker with the conformance kit (docs/handlers.md).
func (a *app) conformanceCmd() *cobra.Command {
	var (
		opts   conformance.Options
		probes []string
	)
	cmd := &cobra.Command{
		Use:   "conformance --queue QUEUE --callable CALLABLE",
		Short: "Check that the worker serving a callable on a task queue honours the step-handler contract",
		Long: `Runs probe steps (echo, fail_retryable, fail_permanent, heartbeat) against the worker that
serves CALLABLE on QUEUE, in any language, and prints every violation of the step-handler contract
(docs/handlers.md). The worker's handler must answer the probe protocol: a StepRequest whose
step.initialization holds {"conformance_probe": ...}. Exits 1 when a probe fails.`,
		Example: `  tasker conformance --queue tasker-typescript-examples --callable TypeScript::ChargeCard
  tasker conformance --queue tasker-payments --callable Payments::Charge --probe echo --probe fail_retryable --timeout 1m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, p := range probes {
				opts.Probes = append(opts.Probes, conformance.Probe(p))
			}
			tc, err := a.common.Temporal.Dial(cmd.Context(), a.address(), zap.NewNop())
			if err != nil {
				return fmt.Errorf("%w (set TEMPORAL_ADDRESS to the server the worker uses)", err)
			}
			defer tc.Close()
			report, err := conformance.Run(cmd.Context(), tc, opts)
			if err != nil {
				return err
			}
			if a.jsonOut {
				err = printJSON(report)
			} else {
				err = report.WriteText(os.Stdout)
			}
			if err != nil {
				return err
			}
			if n := len(report.Violations()); n > 0 {
				return fmt.Errorf("%s on %s: %d violation(s) of the step-handler contract", opts.Callable, opts.Queue, n)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Queue, "queue", "", "the step task queue the worker polls (required)")
	f.StringVar(&opts.Callable, "callable", "", "the handler callable (activity type) to probe (required)")
	f.DurationVar(&opts.Timeout, "timeout", conformance.DefaultTimeout, "bound on each probe step")
	f.DurationVar(&opts.PollerWait, "poller-wait", conformance.DefaultPollerWait, "how long to wait for a worker polling the queue")
	f.StringSliceVar(&probes, "probe", nil, "probes to run (repeatable; default all: echo, fail_retryable, fail_permanent, heartbeat)")
	f.Float64Var(&opts.RetryAfterSeconds, "retry-after", conformance.DefaultRetryAfterSeconds, "retry_after_seconds the fail_retryable probe asks for")
	f.DurationVar(&opts.HeartbeatTimeout, "heartbeat-timeout", conformance.DefaultHeartbeatTimeout, "heartbeat timeout of the heartbeat probe (it runs three times as long)")
	_ = cmd.MarkFlagRequired("queue")
	_ = cmd.MarkFlagRequired("callable")
	return cmd
}
