package events_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"time"

	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/events"
	"go.uber.org/zap"
)

func ExampleFromTransition() {
	tr := tasker.Transition{
		WorkflowID: "payments-42", Seq: 18, Entity: tasker.EntityTask,
		From: tasker.StateInProgress, To: tasker.StateComplete,
		At: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
	}
	task := events.TaskMeta{TaskID: 42, Namespace: "payments", Name: "process_payment", Version: "1.0.0"}
	for _, ev := range events.FromTransition(tr, task) {
		fmt.Println(ev.Name, ev.ID == events.EventID("payments-42", 18, ev.Name, -1))
	}
	// Output:
	// task.before_transition true
	// task.completed true
	// workflow.task_completed true
}

func ExamplePublisher_Subscribe() {
	p := events.NewPublisher(zap.NewNop())
	var got []string
	unsubscribe, err := p.Subscribe("step.*", func(_ context.Context, ev events.Event) error {
		got = append(got, ev.Step+" "+ev.Name)
		return nil
	}, events.WithFilter(events.Filter{Namespace: "payments"}), events.WithName("step-metrics"))
	if err != nil {
		panic(err)
	}
	defer unsubscribe()

	task := events.TaskMeta{TaskID: 42, Namespace: "payments", Name: "process_payment", Version: "1.0.0"}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for i, tr := range []tasker.Transition{
		{Entity: tasker.EntityStep, Step: "charge", From: "pending", To: "in_progress", Attempt: 1},
		{Entity: tasker.EntityStep, Step: "charge", From: "in_progress", To: "complete", Attempt: 1},
	} {
		tr.WorkflowID, tr.Seq, tr.At = "payments-42", int64(i+1), at
		if err := p.Publish(context.Background(), events.FromTransition(tr, task)...); err != nil {
			panic(err)
		}
	}
	if err := p.Close(context.Background()); err != nil { // drains: the handler has run
		panic(err)
	}
	for _, line := range got {
		fmt.Println(line)
	}
	// Output:
	// charge step.execution_requested
	// charge step.completed
}

func ExampleValidateCustomName() {
	for _, name := range []string{"payments.card_declined", "declined", "task.mine"} {
		fmt.Println(name, "->", events.ValidateCustomName(name))
	}
	// Output:
	// payments.card_declined -> <nil>
	// declined -> custom event name "declined" must contain a dot (e.g. "payments.card_declined")
	// task.mine -> custom event name "task.mine" uses the reserved prefix "task" (reserved: task, step, workflow, observability, test)
}

// A step handler returns custom events in its result's metadata; the workflow copies the metadata
// onto the step's → complete transition, and the recorder publishes them after step.completed.
func ExampleCustomEventsFromMetadata() {
	result := tasker.StepResult{Metadata: map[string]any{
		events.CustomEventsKey: []any{
			map[string]any{"name": "payments.card_charged", "payload": map[string]any{"amount_cents": 4200}},
		},
	}}
	evs, err := events.CustomEventsFromMetadata(result.Metadata)
	fmt.Println(evs[0].Name, evs[0].Payload["amount_cents"], err)
	// Output: payments.card_charged 4200 <nil>
}

func ExampleVerifyWebhookSignature() {
	secret := []byte("shared-secret-of-at-least-16-bytes")
	body := []byte(`{"events":[]}`)
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := events.SignWebhook(secret, ts, body) // what the sink sends as Tasker-Signature

	fmt.Println(events.VerifyWebhookSignature(secret, ts, sig, body, now, events.DefaultWebhookTolerance))
	fmt.Println(events.VerifyWebhookSignature(secret, ts, sig, []byte(`{"events":[{}]}`), now, events.DefaultWebhookTolerance))
	// Output:
	// <nil>
	// webhook: Tasker-Signature does not match the body
}

func ExampleLoadSubscriptions() {
	subs, err := events.LoadSubscriptions("testdata/subscriptions/valid.yaml")
	if err != nil {
		panic(err)
	}
	for _, s := range subs {
		fmt.Println(s.Name, s.Events)
	}
	// Output:
	// payment-failures [task.failed step.failed observability.step.max_retries_reached]
	// broker [>]
	// audit-log [task.* payments.>]
}

func ExamplePattern() {
	p := events.MustPattern("observability.>")
	fmt.Println(p.Match("observability.step.backoff"), p.Match("step.failed"))
	// Output: true false
}

// What `tasker events --follow --task <workflow ID>` does.
func ExampleFollow() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := events.Follow(ctx, "nats://127.0.0.1:4222", events.FollowOptions{WorkflowID: "payments-42", FromStart: true},
		func(ev events.Event) error {
			fmt.Println(ev.At.Format(time.RFC3339), ev.Seq, ev.Name, ev.Step)
			return nil
		})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
