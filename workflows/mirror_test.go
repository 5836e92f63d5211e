package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/compat"
	"github.com/tasker-systems/tasker-temporal/dag"
	"github.com/tasker-systems/tasker-temporal/migrations"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
	"github.com/tasker-systems/tasker-temporal/worker"
)

// mirrorDB is a migrated throwaway database with the execution-context function installed; dbURL
// may route through a proxy.
func mirrorDB(t *testing.T, dbURL string) *compat.Store {
	t.Helper()
	ctx := context.Background()
	store, err := compat.Open(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(store.Close)
	_, err = migrations.Ensure(ctx, store.Pool(), migrations.Options{InstallFunctions: true})
	require.NoError(t, err)
	return store
}

// checkRails asserts TASKER-REFERENCE §4 on a finished task: one most_recent transition per entity,
// sort keys 0, 10, 20… and the step columns.
func checkRails(t *testing.T, pool *pgxpool.Pool, res tasker.TaskResult) {
	t.Helper()
	ctx := context.Background()
	var badTask, badSteps int
	require.NoError(t, pool.QueryRow(ctx, `
		SELECT count(*) FROM (SELECT task_id FROM tasker_task_transitions WHERE task_id = $1
		GROUP BY task_id HAVING count(*) FILTER (WHERE most_recent) <> 1
		   OR min(sort_key) <> 0 OR max(sort_key) <> (count(*) - 1) * 10 OR count(DISTINCT sort_key) <> count(*)
		   OR bool_or(sort_key % 10 <> 0)) x`,
		res.TaskID).Scan(&badTask))
	require.NoError(t, pool.QueryRow(ctx, `
		SELECT count(*) FROM (SELECT t.workflow_step_id FROM tasker_workflow_step_transitions t
		JOIN tasker_workflow_steps s USING (workflow_step_id) WHERE s.task_id = $1
		GROUP BY t.workflow_step_id HAVING count(*) FILTER (WHERE most_recent) <> 1
		   OR min(sort_key) <> 0 OR max(sort_key) <> (count(*) - 1) * 10 OR count(DISTINCT sort_key) <> count(*)
		   OR bool_or(sort_key % 10 <> 0)) x`,
		res.TaskID).Scan(&badSteps))
	assert.Zero(t, badTask, "task transitions: one most_recent, sort keys 0, 10, 20…")
	assert.Zero(t, badSteps, "step transitions: one most_recent, sort keys 0, 10, 20…")

	rows, err := pool.Query(ctx, `
		SELECT ns.name, ws.attempts, ws.processed, ws.results,
		       (SELECT to_state FROM tasker_workflow_step_transitions t WHERE t.workflow_step_id = ws.workflow_step_id AND most_recent)
		FROM tasker_workflow_steps ws JOIN tasker_named_steps ns USING (named_step_id) WHERE ws.task_id = $1`, res.TaskID)
	require.NoError(t, err)
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var name, state string
		var attempts *int
		var processed bool
		var results []byte
		require.NoError(t, rows.Scan(&name, &attempts, &processed, &results, &state))
		want, ok := res.Step(name)
		require.True(t, ok, name)
		seen++
		assert.Equal(t, want.Status, state, name)
		require.NotNil(t, attempts, name)
		assert.Equal(t, want.Attempts, *attempts, name)
		if want.Status == tasker.StateComplete {
			assert.True(t, processed, name)
			assert.JSONEq(t, string(want.Results), string(results), name)
		}
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, len(res.Steps), seen)
}

func TestMirrorLandsEveryTransitionInTheRailsSchema(t *testing.T) {
	store := mirrorDB(t, testsuite.NewDatabase(t))
	env := newExampleEnv(t, tasktest.EnvOptions{Mirror: compat.Mirror{Store: store}})
	ctx := context.Background()

	res := env.Run(t, tasker.TaskRequest{Namespace: "examples", Name: "flaky"})
	require.Equal(t, tasker.StateComplete, res.Status)
	require.NotZero(t, res.TaskID, "the workflow knows its Rails task_id")
	checkRails(t, store.Pool(), res)
	ec, err := store.ExecutionContext(ctx, res.TaskID)
	require.NoError(t, err)
	assert.Equal(t, dag.StatusAllComplete, ec.ExecutionStatus)
	assert.InDelta(t, 100, ec.CompletionPercentage, 0.001)
	var complete bool
	require.NoError(t, store.Pool().QueryRow(ctx, `SELECT complete FROM tasker_tasks WHERE task_id = $1`, res.TaskID).Scan(&complete))
	assert.True(t, complete)
}

func TestMirrorShowsAFailedTaskBlockedThenResolved(t *testing.T) {
	tmpl, err := template.Parse([]byte(`
name: failing
namespace_name: examples
version: 1.0.0
steps:
  - name: charge
    handler: {callable: Examples::FlakyApi, initialization: {succeed_on_attempt: 99}}
    retry: {max_attempts: 2, backoff: none}
  - name: notify
    handler: {callable: Examples::Echo}
    dependencies: [charge]
`), "failing.yaml", "")
	require.NoError(t, err)
	store := mirrorDB(t, testsuite.NewDatabase(t))
	env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, Handlers: exampleHandlers(t), Mirror: compat.Mirror{Store: store}})
	ctx := context.Background()
	task, err := env.Client.StartTask(ctx, tasker.TaskRequest{Namespace: "examples", Name: "failing"}, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "failing")})
	require.NoError(t, err)
	res := waitFor(t, env, task.WorkflowID, func(r tasker.TaskResult) bool { return r.Status == tasker.StateError && r.TaskID != 0 })

	var ec compat.ExecutionContext
	require.Eventually(t, func() bool {
		ec, err = store.ExecutionContext(ctx, res.TaskID)
		return err == nil && ec.Status == tasker.StateError
	}, 10*time.Second, 50*time.Millisecond, "the mirror catches up with the error")
	assert.Equal(t, dag.StatusBlockedByFailures, ec.ExecutionStatus)
	var attempts, limit int
	require.NoError(t, store.Pool().QueryRow(ctx, `SELECT ws.attempts, ws.retry_limit FROM tasker_workflow_steps ws
		JOIN tasker_named_steps ns USING (named_step_id) WHERE ws.task_id = $1 AND ns.name = 'charge'`, res.TaskID).Scan(&attempts, &limit))
	assert.Equal(t, 2, attempts)
	assert.Equal(t, limit, attempts, "out of attempts: attempts = retry_limit")

	require.NoError(t, env.Client.ResolveStep(ctx, task.WorkflowID, "charge", json.RawMessage(`{"by":"operator"}`), ""))
	final, err := env.Client.WaitTask(ctx, task.WorkflowID)
	require.NoError(t, err)
	require.Equal(t, tasker.StateComplete, final.Status)
	checkRails(t, store.Pool(), final)
	ec, err = store.ExecutionContext(ctx, res.TaskID)
	require.NoError(t, err)
	assert.Equal(t, dag.StatusAllComplete, ec.ExecutionStatus)
}

// TestMirrorOutageLosesNothing cuts the workflow's connection to PostgreSQL mid-task: the DAG keeps
// running, transitions wait in workflow state, and once PostgreSQL is back every one lands, once.
func TestMirrorOutageLosesNothing(t *testing.T) {
	dbURL := testsuite.NewDatabase(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	proxy := testsuite.NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	store := mirrorDB(t, u.String())
	direct := mirrorDB(t, dbURL)

	pub := &tasktest.Recorder{}
	env := newExampleEnv(t, tasktest.EnvOptions{Mirror: compat.Mirror{Store: store}, Publisher: pub})
	ctx := context.Background()

	proxy.Cut()
	task, err := env.Client.StartTask(ctx, tasker.TaskRequest{Namespace: "examples", Name: "diamond"}, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "outage")})
	require.NoError(t, err)
	// The steps run although nothing reaches PostgreSQL.
	waitFor(t, env, task.WorkflowID, func(r tasker.TaskResult) bool {
		d, _ := r.Step("d")
		return d.Status == tasker.StateComplete
	})
	var tasks int
	require.NoError(t, direct.Pool().QueryRow(ctx, `SELECT count(*) FROM tasker_tasks`).Scan(&tasks))
	assert.Zero(t, tasks, "nothing landed during the outage")

	proxy.Restore()
	res, err := env.Client.WaitTask(ctx, task.WorkflowID)
	require.NoError(t, err)
	require.Equal(t, tasker.StateComplete, res.Status)
	require.NotZero(t, res.TaskID)
	checkRails(t, direct.Pool(), res)
	var stepRows, taskRows int
	require.NoError(t, direct.Pool().QueryRow(ctx, `SELECT count(*) FROM tasker_workflow_step_transitions`).Scan(&stepRows))
	require.NoError(t, direct.Pool().QueryRow(ctx, `SELECT count(*) FROM tasker_task_transitions`).Scan(&taskRows))
	assert.Equal(t, 4*3, stepRows, "per step: the initial pending, pending→in_progress, in_progress→complete; none twice")
	assert.Equal(t, 3, taskRows, "task: the initial pending, →in_progress, →complete")
}

// TestMirrorMarksAPermanentErrorNotRetryable: Tasker's readiness must not see a step that failed
// permanently as retryable, and an operator's retry_step re-opens it with a higher retry_limit.
func TestMirrorMarksAPermanentErrorNotRetryable(t *testing.T) {
	store := mirrorDB(t, testsuite.NewDatabase(t))
	env := newExampleEnv(t, tasktest.EnvOptions{Mirror: compat.Mirror{Store: store}})
	ctx := context.Background()
	task, err := env.Client.StartTask(ctx, tasker.TaskRequest{Namespace: "examples", Name: "doomed"}, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "doomed")})
	require.NoError(t, err)
	res := waitFor(t, env, task.WorkflowID, func(r tasker.TaskResult) bool { return r.Status == tasker.StateError && r.TaskID != 0 })

	row := func() (attempts, limit int, retryable bool) {
		require.NoError(t, store.Pool().QueryRow(ctx, `SELECT ws.attempts, ws.retry_limit, ws.retryable FROM tasker_workflow_steps ws
			JOIN tasker_named_steps ns USING (named_step_id) WHERE ws.task_id = $1 AND ns.name = 'charge'`, res.TaskID).Scan(&attempts, &limit, &retryable))
		return
	}
	require.Eventually(t, func() bool { a, _, r := row(); return a == 1 && !r }, 10*time.Second, 50*time.Millisecond,
		"the permanent error lands as retryable = false")
	ec, err := store.ExecutionContext(ctx, res.TaskID)
	require.NoError(t, err)
	assert.Equal(t, dag.StatusBlockedByFailures, ec.ExecutionStatus)

	require.NoError(t, env.Client.RetryStep(ctx, task.WorkflowID, "charge", 1))
	require.Eventually(t, func() bool { a, l, r := row(); return a == 2 && l == 2 && !r }, 10*time.Second, 50*time.Millisecond,
		"the operator's retry ran one more attempt (retry_limit 2), which failed permanently again")
	require.NoError(t, env.Client.ResolveStep(ctx, task.WorkflowID, "charge", nil, "given up"))
	final, err := env.Client.WaitTask(ctx, task.WorkflowID)
	require.NoError(t, err)
	assert.Equal(t, tasker.StateComplete, final.Status)
	checkRails(t, store.Pool(), final)
}

// slowMirror is the real mirror behind a slow link: every write takes at least delay.
type slowMirror struct {
	worker.Mirror
	delay time.Duration
}

func (m slowMirror) WriteTransitions(ctx context.Context, taskID int64, ts []tasker.Transition) (int64, error) {
	time.Sleep(m.delay)
	return m.Mirror.WriteTransitions(ctx, taskID, ts)
}

// TestARetryThatBecomesReadyDuringASlowFlushRuns: the recorder is a local activity, which moves
// workflow time on by its duration. A retry whose backoff ends while the mirror writes must still
// be started; it used to be neither started nor waited for, and the task stalled for ever.
func TestARetryThatBecomesReadyDuringASlowFlushRuns(t *testing.T) {
	const tmpl = `name: slow_flush
namespace_name: test
version: 1.0.0
steps:
  - name: once
    handler: {callable: Test::FailOnce}
    retry: {max_attempts: 3, backoff: exponential, backoff_base_ms: 20, max_backoff_ms: 20}
  - name: after
    handler: {callable: Test::FailOnce}
    dependencies: [once]
    retry: {max_attempts: 3, backoff: exponential, backoff_base_ms: 20, max_backoff_ms: 20}
`
	parsed, err := template.Parse([]byte(tmpl), "slow_flush.yaml", "")
	require.NoError(t, err)
	reg := activities.NewRegistry()
	reg.MustRegister("Test::FailOnce", activities.HandlerFunc(func(_ context.Context, s activities.StepContext) (any, error) {
		if s.Attempt() == 1 {
			return nil, fmt.Errorf("%s: first attempt fails", s.Name())
		}
		return map[string]int{"attempt": s.Attempt()}, nil
	}))
	store := mirrorDB(t, testsuite.NewDatabase(t))
	env := tasktest.NewEnv(t, tasktest.EnvOptions{
		Templates: []*template.Template{parsed}, Handlers: reg, Mirror: slowMirror{Mirror: compat.Mirror{Store: store}, delay: 300 * time.Millisecond},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	task, err := env.Client.StartTask(ctx, tasker.TaskRequest{Namespace: "test", Name: "slow_flush"}, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "slow")})
	require.NoError(t, err)
	res, err := env.Client.WaitTask(ctx, task.WorkflowID)
	require.NoError(t, err, "the task must finish, not stall waiting for a retry nobody starts")
	require.Equal(t, tasker.StateComplete, res.Status)
	for _, s := range res.Steps {
		assert.Equal(t, 2, s.Attempts, s.Name)
	}
}
