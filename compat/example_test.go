package compat_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/compat"
	"github.com/tasker-systems/tasker-temporal/migrations"
	"github.com/tasker-systems/tasker-temporal/template"
)

// The recorder's life with the store: create the task once, then flush the workflow's
// transitions; a flush that is retried lands once.
func ExampleStore_WriteTransitions() {
	ctx := context.Background()
	store, err := compat.Open(ctx, "postgres://postgres@127.0.0.1:5432/myapp")
	if err != nil {
		log.Fatal(err) // names host:port; says whether the URL is malformed or the server unreachable
	}
	defer store.Close()
	if _, err := migrations.Ensure(ctx, store.Pool(), migrations.Options{}); err != nil {
		log.Fatal(err)
	}

	tmpl := &template.Template{Name: "welcome", Namespace: "users", Version: "1.0.0",
		Steps: []template.Step{{Name: "send_email", Callable: "SendEmail", Retry: template.Retry{Retryable: true, MaxAttempts: 3}}}}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	rec, err := store.CreateTask(ctx, tmpl, tasker.TaskRequest{Namespace: "users", Name: "welcome", RequestedAt: now}, "welcome-42")
	if err != nil {
		log.Fatal(err)
	}

	ts := []tasker.Transition{
		{WorkflowID: "welcome-42", Seq: 1, Entity: tasker.EntityTask, From: "pending", To: "in_progress", At: now},
		{WorkflowID: "welcome-42", Seq: 2, Entity: tasker.EntityStep, Step: "send_email", From: "pending", To: "in_progress", At: now, Attempt: 1},
		{WorkflowID: "welcome-42", Seq: 3, Entity: tasker.EntityStep, Step: "send_email", From: "in_progress", To: "complete", At: now, Attempt: 1,
			Results: []byte(`{"sent":true}`)},
	}
	applied, err := store.WriteTransitions(ctx, rec.TaskID, ts)
	if errors.Is(err, compat.ErrInvalidTransition) {
		log.Fatal("permanent: ", err) // retrying cannot help
	}
	if err != nil {
		log.Fatal(err) // e.g. PostgreSQL down: keep the batch and flush it again later
	}
	fmt.Println("applied through seq", applied)
}

// Adopting a task a Rails app started: what each step's row says decides what the workflow does
// with it.
func ExampleStore_AdoptTask() {
	ctx := context.Background()
	store, err := compat.Open(ctx, "postgres://postgres@127.0.0.1:5432/myapp")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	rec, err := store.AdoptTask(ctx, 42)
	if err != nil {
		log.Fatal(err) // compat.ErrTaskNotFound, or rows that cannot be read (named in the error)
	}
	fmt.Printf("%s/%s %s is %s\n", rec.Namespace, rec.Name, rec.Version, rec.TaskState)
	for name, st := range rec.Steps {
		switch {
		case st.State == tasker.StateComplete || st.State == tasker.StateResolvedManually:
			fmt.Printf("%s: done, results %s\n", name, st.Results)
		case st.InProcess:
			fmt.Printf("%s: attempt %d was running\n", name, st.Attempts)
		default:
			fmt.Printf("%s: %s, %d of %d attempts used\n", name, st.State, st.Attempts, st.RetryLimit)
		}
	}
}
