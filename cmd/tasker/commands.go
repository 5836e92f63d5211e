package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/template"
)

func (a *app) templatesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "templates", Short: "List or validate task templates"}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the templates in TASKER_TEMPLATES",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.explicit = true
			reg, err := a.templates()
			if err != nil {
				return err
			}
			return a.printTemplates(reg.List())
		},
	}, &cobra.Command{
		Use:   "validate [FILE|DIR ...]",
		Short: "Validate template files (default: TASKER_TEMPLATES); prints every error with file:line",
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := args
			if len(paths) == 0 {
				paths = a.common.Templates
			}
			reg, err := template.LoadRegistry(paths, a.common.Env)
			if err != nil {
				return err
			}
			fmt.Printf("%d templates valid\n", len(reg.List()))
			return nil
		},
	})
	return cmd
}

func (a *app) printTemplates(ts []*template.Template) error {
	if a.jsonOut {
		return printJSON(ts)
	}
	for _, t := range ts {
		fmt.Printf("%-40s %3d steps  %s\n", t.Key(), len(t.Steps), t.Description)
	}
	return nil
}

func (a *app) startCmd() *cobra.Command {
	var (
		contextArg, id    string
		wait, untilClosed bool
		req               tasker.TaskRequest
	)
	cmd := &cobra.Command{
		Use:   "start NAMESPACE/NAME[@VERSION]",
		Short: "Start a task from a template",
		Example: `  tasker start examples/diamond --wait
  tasker start examples/diamond --context '{"number": 7}' --wait --json
  tasker start payments/refund@1.2.0 --context @refund.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ns, name, version, err := parseTemplateRef(args[0])
			if err != nil {
				return usage(err)
			}
			req.Namespace, req.Name, req.Version = ns, name, version
			if req.Context, err = readContext(contextArg); err != nil {
				return usage(err)
			}
			if err := req.Validate(); err != nil {
				return usage(fmt.Errorf("task request %s/%s: %w", req.Namespace, req.Name, flagNames(err)))
			}
			c, closeFn, err := a.client(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer closeFn()
			task, existed, err := startWithRetry(cmd.Context(), c, req, client.StartOptions{WorkflowID: id}, 5, 500*time.Millisecond)
			if err != nil {
				return err
			}
			if !a.jsonOut {
				verb := "started"
				if existed {
					verb = "already started (same request within the minute)"
				}
				fmt.Printf("task %s %s\n", task.WorkflowID, verb)
			}
			if wait {
				res, err := a.waitFor(cmd.Context(), c, task.WorkflowID, waitOptions{untilClosed: untilClosed})
				if err != nil {
					return err
				}
				if err := a.printResult(res); err != nil {
					return err
				}
				return finish(res)
			}
			if a.jsonOut {
				return a.printResult(a.firstState(cmd.Context(), c, task.WorkflowID))
			}
			fmt.Printf("follow it with: tasker wait %s\n", task.WorkflowID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&contextArg, "context", "", "task context: JSON, or @FILE to read it from a file")
	f.BoolVar(&wait, "wait", false, "wait for the task to finish (or to be held in error) and print its steps")
	f.BoolVar(&untilClosed, "until-closed", false, "with --wait: wait past an error until the task closes")
	f.StringVar(&id, "id", "", "workflow ID (default: derived from the request, so a repeated request returns the same task)")
	f.StringVar(&req.Initiator, "initiator", "tasker-cli", "who asked for the task")
	f.StringVar(&req.SourceSystem, "source-system", "cli", "the system that asked")
	f.StringVar(&req.Reason, "reason", "", "why the task runs")
	f.StringSliceVar(&req.Tags, "tag", nil, "a tag (repeatable)")
	f.StringSliceVar(&req.BypassSteps, "bypass", nil, "a step that must not run (repeatable)")
	return cmd
}

// firstState is the task just after start: its dag query once the first workflow task ran, else
// a pending task with no steps yet.
func (a *app) firstState(ctx context.Context, c *client.Client, workflowID string) tasker.TaskResult {
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := c.GetTask(ctx, workflowID)
		if err == nil && len(res.Steps) > 0 {
			return res
		}
		if time.Now().After(deadline) {
			return tasker.TaskResult{WorkflowID: workflowID, Status: tasker.StatePending, Steps: []tasker.StepStatus{}}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func parseTemplateRef(ref string) (ns, name, version string, err error) {
	rest := ref
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest, version = rest[:at], rest[at+1:]
		if version == "" {
			return "", "", "", fmt.Errorf("template %q: empty version after @", ref)
		}
	}
	ns, name, ok := strings.Cut(rest, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return "", "", "", fmt.Errorf("template %q: want NAMESPACE/NAME[@VERSION], e.g. examples/diamond", ref)
	}
	return ns, name, version, nil
}

// readContext reads --context: inline JSON, or @FILE. It must be a JSON object.
func readContext(arg string) (json.RawMessage, error) {
	if arg == "" {
		return json.RawMessage("{}"), nil
	}
	data, source := []byte(arg), "--context"
	if strings.HasPrefix(arg, "@") {
		source = arg[1:]
		var err error
		if data, err = os.ReadFile(source); err != nil {
			return nil, fmt.Errorf("--context: %w", err)
		}
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("%s: the task context must be a JSON object: %v", source, err)
	}
	return json.RawMessage(data), nil
}

func (a *app) statusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status WORKFLOW_ID",
		Short: "Show a task's state and each step's state, attempts and results",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.printTask(cmd.Context(), args[0], (*client.Client).GetTask)
		},
	}
}

func (a *app) waitCmd() *cobra.Command {
	var untilClosed bool
	cmd := &cobra.Command{
		Use:   "wait WORKFLOW_ID",
		Short: "Wait for a task to finish, or to be held in error, and print its state (exit 0 complete, 3 error, 4 cancelled)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd.Context(), func(c *client.Client) error {
				res, err := a.waitFor(cmd.Context(), c, args[0], waitOptions{untilClosed: untilClosed})
				if err != nil {
					return err
				}
				if err := a.printResult(res); err != nil {
					return err
				}
				return finish(res)
			})
		},
	}
	cmd.Flags().BoolVar(&untilClosed, "until-closed", false, "wait past an error until the task closes (an operator fixed it, or the hold ended)")
	return cmd
}

func (a *app) listCmd() *cobra.Command {
	var f client.ListFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tasks (newest first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkEnum("status", f.Status, taskStates); err != nil {
				return err
			}
			if err := checkMin("limit", f.Limit, 1); err != nil {
				return err
			}
			return a.withClient(cmd.Context(), func(c *client.Client) error { return a.list(cmd.Context(), c, f) })
		},
	}
	cmd.Flags().StringVar(&f.Namespace, "namespace", "", "only tasks of this template namespace")
	cmd.Flags().StringVar(&f.Name, "name", "", "only tasks of this template name")
	cmd.Flags().StringVar(&f.Status, "status", "", "only tasks in this state ("+strings.Join(taskStates, ", ")+")")
	cmd.Flags().StringVar(&f.Query, "query", "", "a Temporal visibility query ANDed with the filters")
	cmd.Flags().IntVar(&f.Limit, "limit", 50, "at most this many tasks")
	return cmd
}

func (a *app) list(ctx context.Context, c *client.Client, f client.ListFilter) error {
	tasks, err := c.ListTasks(ctx, f)
	if err != nil {
		return err
	}
	sort.SliceStable(tasks, func(i, j int) bool { return tasks[i].StartedAt.After(tasks[j].StartedAt) }) // newest first
	if a.jsonOut {
		return printJSON(tasks)
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	wide := outFormat == "wide"
	if wide {
		fmt.Fprintln(tw, "WORKFLOW ID\tSTATUS\tTEMPLATE\tSTARTED\tRUN ID\tTASK ID\tWORKFLOW")
	} else {
		fmt.Fprintln(tw, "WORKFLOW ID\tSTATUS\tTEMPLATE\tSTARTED")
	}
	for _, t := range tasks {
		fmt.Fprintf(tw, "%s\t%s\t%s/%s@%s\t%s", t.WorkflowID, t.Status, t.Namespace, t.Name, t.Version, t.StartedAt.Local().Format(time.RFC3339))
		if wide {
			fmt.Fprintf(tw, "\t%s\t%d\t%s", t.RunID, t.TaskID, t.Workflow)
		}
		fmt.Fprintln(tw)
	}
	if len(tasks) == 0 {
		fmt.Fprintln(tw, "(no tasks match)")
	}
	return tw.Flush()
}

func (a *app) cancelCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel WORKFLOW_ID",
		Short: "Cancel a task: running steps are cancelled, open steps and the task move to cancelled",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.operate(cmd.Context(), args[0], "cancelled", "cancelled", func(c *client.Client) error {
				return c.CancelTask(cmd.Context(), args[0], reason)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the task is cancelled")
	return cmd
}

func (a *app) retryCmd() *cobra.Command {
	var attempts int
	cmd := &cobra.Command{
		Use:   "retry WORKFLOW_ID STEP",
		Short: "Retry a step in error (with more attempts if it ran out)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkMin("attempts", attempts, 1); err != nil {
				return err
			}
			return a.operate(cmd.Context(), args[0], "step "+args[1]+" retried", "retried", func(c *client.Client) error {
				return c.RetryStep(cmd.Context(), args[0], args[1], attempts)
			})
		},
	}
	cmd.Flags().IntVar(&attempts, "attempts", 1, "attempts to allow beyond those made")
	return cmd
}

func (a *app) resolveCmd() *cobra.Command {
	var results, reason string
	cmd := &cobra.Command{
		Use:   "resolve WORKFLOW_ID STEP",
		Short: "Resolve a pending or errored step manually, so its dependents run",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var raw json.RawMessage
			if results != "" {
				if !json.Valid([]byte(results)) {
					return usage(fmt.Errorf("--results: not valid JSON: %s", results))
				}
				raw = json.RawMessage(results)
			}
			return a.operate(cmd.Context(), args[0], "step "+args[1]+" resolved", "resolved", func(c *client.Client) error {
				return c.ResolveStep(cmd.Context(), args[0], args[1], raw, reason)
			})
		},
	}
	cmd.Flags().StringVar(&results, "results", "", "the step's results (JSON)")
	cmd.Flags().StringVar(&reason, "reason", "", "why it was resolved by hand")
	return cmd
}

// operate runs an operator action and prints the task's state after it. On a closed task it says
// how the task ended (complete, error, cancelled) and that it is closed.
func (a *app) operate(ctx context.Context, workflowID, done, op string, action func(*client.Client) error) error {
	return a.withClient(ctx, func(c *client.Client) error {
		if err := action(c); err != nil {
			if closedErr := closedTask(ctx, c, workflowID, op); closedErr != nil {
				return closedErr
			}
			return err
		}
		if !a.jsonOut {
			fmt.Printf("task %s: %s\n", workflowID, done)
			return nil
		}
		res, err := c.GetTask(ctx, workflowID)
		if err != nil {
			return err
		}
		return printJSON(res)
	})
}

// printTask fetches a task with get and prints it.
func (a *app) printTask(ctx context.Context, workflowID string, get func(*client.Client, context.Context, string) (tasker.TaskResult, error)) error {
	return a.withClient(ctx, func(c *client.Client) error {
		res, err := get(c, ctx, workflowID)
		if err != nil {
			return err
		}
		return a.printResult(res)
	})
}
