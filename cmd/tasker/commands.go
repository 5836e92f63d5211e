package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
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
		contextArg, id string
		wait           bool
		req            tasker.TaskRequest
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
				return err
			}
			req.Namespace, req.Name, req.Version = ns, name, version
			if req.Context, err = readContext(contextArg); err != nil {
				return err
			}
			c, closeFn, err := a.client(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer closeFn()
			task, err := c.StartTask(cmd.Context(), req, client.StartOptions{WorkflowID: id})
			if err != nil {
				return err
			}
			if !a.jsonOut {
				verb := "started"
				if task.Existing {
					verb = "already started (same request within the minute)"
				}
				fmt.Printf("task %s %s\n", task.WorkflowID, verb)
			}
			if wait {
				res, err := c.WaitTask(cmd.Context(), task.WorkflowID)
				if err != nil {
					return err
				}
				return a.printResult(res)
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
	f.BoolVar(&wait, "wait", false, "wait for the task to finish and print its steps")
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
	return &cobra.Command{
		Use:   "wait WORKFLOW_ID",
		Short: "Wait for a task to finish and print its final state",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.printTask(cmd.Context(), args[0], (*client.Client).WaitTask)
		},
	}
}

func (a *app) listCmd() *cobra.Command {
	var f client.ListFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tasks (newest first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd.Context(), func(c *client.Client) error { return a.list(cmd.Context(), c, f) })
		},
	}
	cmd.Flags().StringVar(&f.Namespace, "namespace", "", "only tasks of this template namespace")
	cmd.Flags().StringVar(&f.Name, "name", "", "only tasks of this template name")
	cmd.Flags().StringVar(&f.Status, "status", "", "only tasks in this state (pending, in_progress, complete, error, cancelled)")
	cmd.Flags().StringVar(&f.Query, "query", "", "a Temporal visibility query ANDed with the filters")
	cmd.Flags().IntVar(&f.Limit, "limit", 50, "at most this many tasks")
	return cmd
}

func (a *app) list(ctx context.Context, c *client.Client, f client.ListFilter) error {
	tasks, err := c.ListTasks(ctx, f)
	if err != nil {
		return err
	}
	if a.jsonOut {
		return printJSON(tasks)
	}
	for _, t := range tasks {
		fmt.Printf("%-60s %-12s %s/%s@%s  %s\n", t.WorkflowID, t.Status, t.Namespace, t.Name, t.Version, t.StartedAt.Format(time.RFC3339))
	}
	return nil
}

func (a *app) cancelCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel WORKFLOW_ID",
		Short: "Cancel a task: running steps are cancelled, open steps and the task move to cancelled",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.operate(cmd.Context(), args[0], "cancelled", func(c *client.Client) error {
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
			return a.operate(cmd.Context(), args[0], "step "+args[1]+" retried", func(c *client.Client) error {
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
					return fmt.Errorf("--results: not valid JSON: %s", results)
				}
				raw = json.RawMessage(results)
			}
			return a.operate(cmd.Context(), args[0], "step "+args[1]+" resolved", func(c *client.Client) error {
				return c.ResolveStep(cmd.Context(), args[0], args[1], raw, reason)
			})
		},
	}
	cmd.Flags().StringVar(&results, "results", "", "the step's results (JSON)")
	cmd.Flags().StringVar(&reason, "reason", "", "why it was resolved by hand")
	return cmd
}

// operate runs an operator action and prints the task's state after it.
func (a *app) operate(ctx context.Context, workflowID, done string, action func(*client.Client) error) error {
	return a.withClient(ctx, func(c *client.Client) error {
		if err := action(c); err != nil {
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
