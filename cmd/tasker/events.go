package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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
				return usage(fmt.Errorf("events: only --follow is supported (events are a stream, see docs/events.md)"))
			}
			enc := json.NewEncoder(os.Stdout)
			return followHint(natsURL, o.Stream, events.Follow(cmd.Context(), natsURL, o, func(ev events.Event) error {
				if a.jsonOut {
					return enc.Encode(ev)
				}
				step := ""
				if ev.Step != "" {
					step = " step=" + ev.Step
				}
				_, err := fmt.Printf("%s %-40s %s%s\n", ev.At.Format(time.RFC3339Nano), ev.Name, ev.WorkflowID, step)
				return err
			}))
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

// followHint explains the two ways following fails for want of events: no NATS, or a worker that
// never published (no stream).
func followHint(natsURL, stream string, err error) error {
	const howTo = "the worker publishes lifecycle events only when started with --events-nats URL (env TASKER_EVENTS_NATS), e.g. `go run ./cmd/worker --events-nats nats://127.0.0.1:4222`"
	if stream == "" {
		stream = events.DefaultStream
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return fmt.Errorf("no event stream %s on %s: %s", stream, natsURL, howTo)
	case errors.Is(err, nats.ErrNoServers):
		return fmt.Errorf("cannot reach NATS at %s (--nats, env TASKER_EVENTS_NATS); %s", natsURL, howTo)
	}
	return err
}
