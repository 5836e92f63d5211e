package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.yaml.in/yaml/v3"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/client"
)

// Exit codes (documented in README.md, "The CLI").
const (
	exitOK        = 0   // done; for wait: the task is complete (or resolved)
	exitFailure   = 1   // the command failed (Temporal unreachable, no such task, refused request…)
	exitUsage     = 2   // bad arguments or flags
	exitTaskError = 3   // the task is in error (held for an operator, or closed as failed)
	exitCancelled = 4   // the task was cancelled
	exitInterrupt = 130 // Ctrl-C while waiting: the task keeps running
)

// exitError carries a process exit code with its message (empty: nothing more to print).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usage(err error) error { return &exitError{code: exitUsage, err: err} }

// exitCode maps a command's error to the process exit code.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if err != nil {
		return exitFailure
	}
	return exitOK
}

// markUsage makes every flag and argument error of cmd and its children a usage error.
func markUsage(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usage(err) })
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return usage(fmt.Errorf("%s: %w (see tasker %s --help)", c.CommandPath(), err, c.Name()))
			}
			return nil
		}
	}
	for _, c := range cmd.Commands() {
		markUsage(c)
	}
}

// version is the module version and VCS revision this binary was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v + " " + info.GoVersion
}

// Output formats of -o.
var outputs = []string{"table", "wide", "json", "yaml"}

// outFormat is the -o format in use (printJSON honours yaml).
var outFormat = "table"

// checkOutput validates -o and folds --json into it.
func (a *app) checkOutput() error {
	if a.jsonOut {
		if a.output != "" && a.output != "json" {
			return usage(fmt.Errorf("--json and -o %s disagree: use one", a.output))
		}
		a.output = "json"
	}
	if a.output == "" {
		a.output = "table"
	}
	if !slices.Contains(outputs, a.output) {
		return usage(fmt.Errorf("-o %q: want one of %s", a.output, strings.Join(outputs, ", ")))
	}
	outFormat = a.output
	a.jsonOut = a.output == "json" || a.output == "yaml" // machine output
	return nil
}

// printYAML prints v as YAML with its JSON field names.
func printYAML(v any, data []byte) error {
	var tree any
	if err := yaml.Unmarshal(data, &tree); err != nil { // JSON is YAML
		return fmt.Errorf("encode %T as YAML: %w", v, err)
	}
	enc := yaml.NewEncoder(os.Stdout)
	enc.SetIndent(2)
	if err := enc.Encode(tree); err != nil {
		return err
	}
	return enc.Close()
}

// checkEnum refuses a flag value outside want.
func checkEnum(flag, value string, want []string) error {
	if value == "" || slices.Contains(want, value) {
		return nil
	}
	return usage(fmt.Errorf("--%s %q: want one of %s", flag, value, strings.Join(want, ", ")))
}

// checkMin refuses a numeric flag below min.
func checkMin(flag string, value, min int) error {
	if value < min {
		return usage(fmt.Errorf("--%s %d: must be at least %d", flag, value, min))
	}
	return nil
}

var taskStates = []string{tasker.StatePending, tasker.StateInProgress, tasker.StateComplete, tasker.StateError, tasker.StateCancelled, tasker.StateResolvedManually}

// isTransient tells a start error worth retrying: the server was slow, busy or the stream was
// reset. The workflow ID is the identity, so a retried start never makes a second task.
func isTransient(err error) bool {
	var (
		unavailable *serviceerror.Unavailable
		deadline    *serviceerror.DeadlineExceeded
		canceled    *serviceerror.Canceled
		exhausted   *serviceerror.ResourceExhausted
		aborted     *serviceerror.Aborted
	)
	switch {
	case errors.As(err, &unavailable), errors.As(err, &deadline), errors.As(err, &canceled),
		errors.As(err, &exhausted), errors.As(err, &aborted):
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// startWithRetry starts the task, retrying transient errors (up to attempts, with backoff). A
// retry that finds the task already there reports it started: the earlier attempt made it.
func startWithRetry(ctx context.Context, c *client.Client, req tasker.TaskRequest, opts client.StartOptions, attempts int, backoff time.Duration) (client.Task, bool, error) {
	if req.RequestedAt.IsZero() {
		req.RequestedAt = time.Now().UTC() // fixed across retries, so the derived ID is too
	}
	for i := 1; ; i++ {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		task, err := c.StartTask(actx, req, opts)
		cancel()
		if err == nil {
			return task, task.Existing && i == 1, nil
		}
		if !isTransient(err) || ctx.Err() != nil || i >= attempts {
			if isTransient(err) && i > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, i)
			}
			return client.Task{}, false, err
		}
		select {
		case <-time.After(backoff << (i - 1)):
		case <-ctx.Done():
			return client.Task{}, false, ctx.Err()
		}
	}
}

// closedTask explains an operation refused by a task that is no longer running: "task X is
// complete and closed". It returns nil when the task is running or cannot be described.
func closedTask(ctx context.Context, c *client.Client, workflowID, op string) error {
	desc, err := c.Temporal().DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return nil
	}
	st := desc.GetWorkflowExecutionInfo().GetStatus()
	if st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return nil
	}
	state := strings.ToLower(strings.TrimPrefix(st.String(), "WORKFLOW_EXECUTION_STATUS_"))
	if res, err := c.WaitTask(ctx, workflowID); err == nil && res.Status != "" {
		state = res.Status
	}
	return fmt.Errorf("task %s is %s and closed: it cannot be %s any more", workflowID, state, op)
}

// waitOptions tune waitFor.
type waitOptions struct {
	untilClosed bool
	poll        time.Duration
}

// waitFor follows a task until it closes, or until it is held in error (unless untilClosed). On a
// terminal and without --json it shows progress on stderr. Ctrl-C returns exitInterrupt with a
// note that the task keeps running.
func (a *app) waitFor(ctx context.Context, c *client.Client, workflowID string, o waitOptions) (tasker.TaskResult, error) {
	if o.poll <= 0 {
		o.poll = 500 * time.Millisecond
	}
	progress := !a.jsonOut && isTerminal(os.Stderr)
	defer func() {
		if progress {
			fmt.Fprint(os.Stderr, "\r\033[K")
		}
	}()
	for {
		res, err := c.GetTask(ctx, workflowID)
		if ctx.Err() != nil {
			return res, interrupted(workflowID)
		}
		if err != nil {
			return res, err
		}
		if closed(res.Status) || (res.Status == tasker.StateError && !o.untilClosed && held(res)) {
			return res, nil
		}
		if progress {
			fmt.Fprintf(os.Stderr, "\r\033[K%s", progressLine(res))
		}
		select {
		case <-ctx.Done():
			return res, interrupted(workflowID)
		case <-time.After(o.poll):
		}
	}
}

func interrupted(workflowID string) error {
	return &exitError{code: exitInterrupt, err: fmt.Errorf("interrupted: task %s keeps running; follow it with `tasker wait %s`", workflowID, workflowID)}
}

// closed is true for a state the task never leaves by itself.
func closed(status string) bool {
	return status == tasker.StateComplete || status == tasker.StateCancelled || status == tasker.StateResolvedManually
}

// held is true when a task in error has no step running or about to run: it waits for an operator.
func held(res tasker.TaskResult) bool {
	for _, s := range res.Steps {
		if s.Status == tasker.StateInProgress || (s.Status == tasker.StateError && s.NextAttemptAt != nil) {
			return false
		}
	}
	return true
}

func progressLine(res tasker.TaskResult) string {
	var done, running, failed int
	for _, s := range res.Steps {
		switch s.Status {
		case tasker.StateComplete, tasker.StateResolvedManually:
			done++
		case tasker.StateInProgress:
			running++
		case tasker.StateError:
			failed++
		}
	}
	return fmt.Sprintf("%s: %d/%d steps done, %d in progress, %d failed", res.Status, done, len(res.Steps), running, failed)
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// finish turns a task's final (or held) state into the exit code, and for a task in error prints
// the commands that fix it (on stderr, so --json stays clean).
func finish(res tasker.TaskResult) error {
	switch res.Status {
	case tasker.StateError:
		var fixes []string
		for _, s := range res.Steps {
			if s.Status == tasker.StateError {
				fixes = append(fixes, fmt.Sprintf("  tasker retry %s %s [--attempts N]\n  tasker resolve %s %s [--results JSON]", res.WorkflowID, s.Name, res.WorkflowID, s.Name))
			}
		}
		msg := fmt.Sprintf("task %s is in error", res.WorkflowID)
		if len(fixes) > 0 {
			msg += "; fix it with one of:\n" + strings.Join(fixes, "\n")
		}
		return &exitError{code: exitTaskError, err: errors.New(msg)}
	case tasker.StateCancelled:
		return &exitError{code: exitCancelled, err: fmt.Errorf("task %s was cancelled", res.WorkflowID)}
	}
	return nil
}

// flagNames rewrites a request's field errors with the CLI's flag names (reason → --reason).
func flagNames(err error) error {
	r := strings.NewReplacer("initiator:", "--initiator:", "source_system:", "--source-system:", "reason:", "--reason:",
		"context", "--context", "tags[", "--tag[", "bypass_steps[", "--bypass[")
	return errors.New(strings.ReplaceAll(r.Replace(err.Error()), "\n", "; "))
}
