package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/client"
)

// printJSON prints v as indented JSON, or as YAML under -o yaml.
func printJSON(v any) error {
	if outFormat == "yaml" {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return printYAML(v, data)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printResult prints a task's state: a table of steps, or with --json the TaskResult object.
func (a *app) printResult(res tasker.TaskResult) error {
	if a.jsonOut {
		return printJSON(res)
	}
	fmt.Printf("task %s  %s/%s@%s  %s", res.WorkflowID, res.Namespace, res.Name, res.Version, res.Status)
	if res.TaskID != 0 {
		fmt.Printf("  (Rails task_id %d)", res.TaskID)
	}
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tSTATUS\tATTEMPTS\tRESULTS")
	for _, s := range res.Steps {
		detail := compact(s.Results)
		if s.LastError != "" && s.Status != tasker.StateComplete {
			detail = "error: " + s.LastError
		}
		if outFormat != "wide" {
			detail = truncate(detail, 100)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\n", s.Name, s.Status, s.Attempts, s.MaxAttempts, detail)
	}
	return tw.Flush()
}

func compact(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (a *app) dagCmd() *cobra.Command {
	var mermaid bool
	cmd := &cobra.Command{
		Use:   "dag WORKFLOW_ID",
		Short: "Show a task's DAG: steps, states, dependencies (--mermaid for a diagram)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.jsonOut {
				return a.printTask(cmd.Context(), args[0], (*client.Client).GetTask)
			}
			return a.withClient(cmd.Context(), func(c *client.Client) error { return printDetails(cmd.Context(), c, args[0], mermaid) })
		},
	}
	cmd.Flags().BoolVar(&mermaid, "mermaid", false, "print only the Mermaid flowchart")
	return cmd
}

// printDetails prints the task's live DAG as the workflow publishes it.
func printDetails(ctx context.Context, c *client.Client, workflowID string, mermaid bool) error {
	if mermaid {
		m, err := c.Mermaid(ctx, workflowID)
		if err != nil {
			return err
		}
		fmt.Print(m)
		return nil
	}
	details, err := c.Details(ctx, workflowID)
	if err != nil {
		return err
	}
	fmt.Print(details)
	return nil
}
