// Command tasker is the operator CLI of Tasker on Temporal: list and validate templates, start a
// task, follow it, and fix it (retry or resolve a step, cancel the task).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/devserver"
	"github.com/tasker-systems/tasker-temporal/internal/config"
	"github.com/tasker-systems/tasker-temporal/template"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "tasker:", msg)
		}
		os.Exit(exitCode(err))
	}
}

// app holds what every command shares.
type app struct {
	common   config.Common
	jsonOut  bool   // machine output: -o json or yaml (or --json)
	output   string // -o
	explicit bool   // TASKER_TEMPLATES or --templates was given
}

func newRoot() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:           "tasker",
		Short:         "Operate Tasker tasks running on Temporal",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.explicit = os.Getenv("TASKER_TEMPLATES") != "" || cmd.Flags().Changed("templates")
			if err := a.checkOutput(); err != nil {
				return err
			}
			return a.common.Validate()
		},
	}
	a.common.Bind(root.PersistentFlags())
	root.PersistentFlags().BoolVar(&a.jsonOut, "json", false, "print JSON for scripts (same as -o json)")
	root.PersistentFlags().StringVarP(&a.output, "output", "o", "", "output format: table (default), wide, json or yaml")
	root.AddCommand(
		a.templatesCmd(),
		a.startCmd(),
		a.statusCmd(),
		a.waitCmd(),
		a.dagCmd(),
		a.listCmd(),
		a.cancelCmd(),
		a.retryCmd(),
		a.resolveCmd(),
		a.eventsCmd(),
		a.conformanceCmd(),
	)
	markUsage(root)
	return root
}

// address is TEMPORAL_ADDRESS, or the embedded server's default address of `make run`.
func (a *app) address() string {
	if a.common.Temporal.Address != "" {
		return a.common.Temporal.Address
	}
	return fmt.Sprintf("%s:%d", devserver.DefaultIP, devserver.DefaultPort)
}

// client dials Temporal; templates are loaded for early validation when available.
func (a *app) client(ctx context.Context, withTemplates bool) (*client.Client, func(), error) {
	opts := client.Options{}
	if withTemplates {
		reg, err := a.templates()
		if err != nil {
			return nil, nil, err
		}
		if reg != nil {
			opts.Templates = reg
		}
	}
	tc, err := a.common.Temporal.Dial(ctx, a.address(), zap.NewNop())
	if err != nil {
		return nil, nil, fmt.Errorf("%w (is the worker running? start it with `make run`, or set TEMPORAL_ADDRESS)", err)
	}
	return client.New(tc, opts), tc.Close, nil
}

// withClient dials Temporal (without templates), runs fn and closes the connection.
func (a *app) withClient(ctx context.Context, fn func(*client.Client) error) error {
	c, closeFn, err := a.client(ctx, false)
	if err != nil {
		return err
	}
	defer closeFn()
	return fn(c)
}

// templates loads the template registry. Without an explicit TASKER_TEMPLATES, a missing default
// directory is not an error: the workflow validates the request itself.
func (a *app) templates() (*template.Registry, error) {
	if !a.explicit {
		if _, err := os.Stat(config.DefaultTemplates); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	reg, err := template.LoadRegistry(a.common.Templates, a.common.Env)
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	return reg, nil
}
