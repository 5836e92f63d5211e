package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tasker-systems/tasker-temporal/events"
)

func (a *app) eventsCmd() *cobra.Command {
	var (
		o       events.FollowOptions
		natsURL string
		follow  bool
	)
	cmd := &cobra.Command{
		Use:   "events --follow [--task WORKFLOW_ID] [--pattern P]",
		Short: "Tail lifecycle events from the NATS JetStream stream the worker publishes to",
		Example: `  tasker events --follow
  tasker events --follow --task tasker/examples/diamond/… --from-start
  tasker events --follow --pattern 'step.*'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !follow {
				return fmt.Errorf("events: only --follow is supported (events are a stream, see docs/events.md)")
			}
			enc := json.NewEncoder(os.Stdout)
			return events.Follow(cmd.Context(), natsURL, o, func(ev events.Event) error {
				if a.jsonOut {
					return enc.Encode(ev)
				}
				step := ""
				if ev.Step != "" {
					step = " step=" + ev.Step
				}
				_, err := fmt.Printf("%s %-40s %s%s\n", ev.At.Format(time.RFC3339Nano), ev.Name, ev.WorkflowID, step)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&follow, "follow", false, "stream events until interrupted")
	f.StringVar(&natsURL, "nats", envOr("TASKER_EVENTS_NATS", "nats://127.0.0.1:4222"), "NATS server (env TASKER_EVENTS_NATS)")
	f.StringVar(&o.WorkflowID, "task", "", "only this task's events (workflow ID)")
	f.Int64Var(&o.TaskID, "task-id", 0, "only this Rails task_id's events")
	f.StringVar(&o.Pattern, "pattern", ">", "event name pattern, e.g. step.* or task.completed")
	f.BoolVar(&o.FromStart, "from-start", false, "first the events the stream holds, then new ones")
	return cmd
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
