package compat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/compat"
	"github.com/tasker-systems/tasker-temporal/migrations"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

// Database kinds the store is tested against.
const (
	ourSchema   = "our_schema"   // created by migrations.Ensure: tasker_temporal_mirror present
	railsSchema = "rails_schema" // testdata fixture, no tasker_temporal_mirror: applied Seq derived
)

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

// newStore returns a store on a fresh database of the given kind.
func newStore(tb testing.TB, kind string) *compat.Store {
	tb.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testsuite.NewDatabase(tb))
	require.NoError(tb, err)
	tb.Cleanup(pool.Close)
	switch kind {
	case ourSchema:
		_, err = migrations.Ensure(ctx, pool, migrations.Options{InstallFunctions: true})
		require.NoError(tb, err)
	case railsSchema:
		loadRailsSchema(tb, pool)
	default:
		tb.Fatalf("unknown schema kind %q", kind)
	}
	return compat.NewStore(pool)
}

// loadRailsSchema loads the Rails fixture of package migrations and Tasker's functions.
func loadRailsSchema(tb testing.TB, pool *pgxpool.Pool) {
	tb.Helper()
	fixture, err := os.ReadFile("../migrations/testdata/rails_schema.sql")
	require.NoError(tb, err)
	_, err = pool.Exec(context.Background(), string(fixture))
	require.NoError(tb, err, "load rails_schema.sql")
	_, err = pool.Exec(context.Background(), migrations.SurfaceSQL)
	require.NoError(tb, err)
}

// diamond is a → {b, c} → d; c is skippable; every step has 3 attempts.
func diamond() *template.Template {
	retry := template.Retry{Retryable: true, MaxAttempts: 3, Backoff: template.BackoffExponential,
		BackoffBase: time.Second, MaxBackoff: 30 * time.Second}
	return &template.Template{
		Name: "order_fulfillment", Namespace: "ecommerce", Version: "1.2.0", Description: "fulfil an order",
		Steps: []template.Step{
			{Name: "a", Callable: "A", Retry: retry, DependentSystem: "payments"},
			{Name: "b", Callable: "B", Retry: retry, Dependencies: []string{"a"}},
			{Name: "c", Callable: "C", Retry: retry, Dependencies: []string{"a"}, Skippable: true},
			{Name: "d", Callable: "D", Retry: retry, Dependencies: []string{"b", "c"}},
		},
	}
}

// chain is a template of n steps s0 → s1 → … (for benchmarks and concurrency).
func chain(n int) *template.Template {
	tmpl := &template.Template{Name: fmt.Sprintf("chain_%d", n), Namespace: "bench", Version: "0.1.0"}
	for i := range n {
		st := template.Step{Name: fmt.Sprintf("s%d", i), Callable: "S", Retry: template.Retry{Retryable: true, MaxAttempts: 3}}
		if i > 0 {
			st.Dependencies = []string{fmt.Sprintf("s%d", i-1)}
		}
		tmpl.Steps = append(tmpl.Steps, st)
	}
	return tmpl
}

func request(name string) tasker.TaskRequest {
	return tasker.TaskRequest{
		Namespace: "ecommerce", Name: name, Context: json.RawMessage(`{"order_id":42}`),
		Initiator: "tests", SourceSystem: "go", Reason: "testing", Tags: []string{"t1", "t2"},
		RequestedAt: t0,
	}
}

// emitter builds transitions the way the workflow numbers them: Seq from 1, time advancing.
type emitter struct {
	wf    string
	seq   int64
	at    time.Time
	state map[string]string // current state by entity key ("" = task)
	list  []tasker.Transition
}

func newEmitter(wf string) *emitter {
	return &emitter{wf: wf, at: t0, state: map[string]string{}}
}

func (e *emitter) emit(entity, step, to string, mut func(*tasker.Transition)) *emitter {
	e.seq++
	e.at = e.at.Add(time.Second)
	from := e.state[step]
	if from == "" {
		from = tasker.StatePending
	}
	tr := tasker.Transition{WorkflowID: e.wf, Seq: e.seq, Entity: entity, Step: step, From: from, To: to, At: e.at}
	if mut != nil {
		mut(&tr)
	}
	e.state[step] = to
	e.list = append(e.list, tr)
	return e
}

func (e *emitter) task(to string) *emitter { return e.emit(tasker.EntityTask, "", to, nil) }

func (e *emitter) step(name, to string, attempt int) *emitter {
	return e.emit(tasker.EntityStep, name, to, func(t *tasker.Transition) {
		t.Attempt = attempt
		switch to {
		case tasker.StateComplete:
			t.Results = json.RawMessage(fmt.Sprintf(`{"step":%q,"attempt":%d}`, name, attempt))
			t.Metadata = map[string]any{"execution_duration": 0.25}
		case tasker.StateError:
			t.Results = json.RawMessage(`{"error":"boom","error_class":"RuntimeError","backtrace":["handler.go:1"]}`)
			t.BackoffSeconds = 2
		}
	})
}

// run emits one successful attempt of a step.
func (e *emitter) run(name string, attempt int) *emitter {
	return e.step(name, tasker.StateInProgress, attempt).step(name, tasker.StateComplete, attempt)
}

// fail emits one failed attempt of a step.
func (e *emitter) fail(name string, attempt int) *emitter {
	return e.step(name, tasker.StateInProgress, attempt).step(name, tasker.StateError, attempt)
}

// resolve emits a manual resolution (or a skip/bypass, by metadata) of a step.
func (e *emitter) resolve(name string, meta map[string]any, results string) *emitter {
	return e.emit(tasker.EntityStep, name, tasker.StateResolvedManually, func(t *tasker.Transition) {
		t.Metadata = meta
		if results != "" {
			t.Results = json.RawMessage(results)
		}
	})
}

// chunks splits transitions into flush batches of n.
func chunks(ts []tasker.Transition, n int) [][]tasker.Transition {
	var out [][]tasker.Transition
	for len(ts) > n {
		out = append(out, ts[:n])
		ts = ts[n:]
	}
	return append(out, ts)
}
