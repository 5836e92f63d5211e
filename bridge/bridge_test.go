package bridge_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/bridge"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/examples/typescript/tsworker"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
)

func TestMain(m *testing.M) { testsuite.Main(m) }

// queues are one test's task queues and framework queues, unique to it.
type queues struct {
	goQ, sidekiqTQ, celeryTQ, bullTQ, tsTQ string
	jobQ                                   string // the framework queue name (Sidekiq, Celery and BullMQ alike)
}

func newQueues(t testing.TB) queues {
	return queues{
		goQ: testsuite.UniqueName(t, "go"), sidekiqTQ: testsuite.UniqueName(t, "sidekiq"),
		celeryTQ: testsuite.UniqueName(t, "celery"), bullTQ: testsuite.UniqueName(t, "bullmq"),
		tsTQ: testsuite.UniqueName(t, "typescript"),
		jobQ: jobQueue(t),
	}
}

// mixedTemplate loads examples/bridge/mixed.yaml with its step queues renamed to q's.
func mixedTemplate(t testing.TB, q queues) *template.Template {
	t.Helper()
	tmpl, err := template.LoadFile(filepath.Join(repoRoot(t), "examples/bridge/mixed.yaml"), "")
	require.NoError(t, err)
	rename := map[string]string{"bridge-go": q.goQ, "bridge-sidekiq": q.sidekiqTQ, "bridge-celery": q.celeryTQ, "bridge-bullmq": q.bullTQ, "bridge-typescript": q.tsTQ}
	for i := range tmpl.Steps {
		s := &tmpl.Steps[i]
		renamed, ok := rename[s.Temporal.TaskQueue]
		require.True(t, ok, "step %s: unexpected task queue %q", s.Name, s.Temporal.TaskQueue)
		s.Temporal.TaskQueue = renamed
	}
	return tmpl
}

// mixedConfig routes q's bridge task queues to the three frameworks on q.jobQ.
func mixedConfig(q queues) bridge.Config {
	return bridge.Config{
		Sidekiq: &bridge.RedisTarget{Redis: redisURL},
		Celery:  &bridge.AMQPTarget{AMQP: amqpURL},
		BullMQ:  &bridge.BullMQTarget{Redis: redisURL},
		Routes: []bridge.Route{
			{TaskQueue: q.sidekiqTQ, Callable: "Bridge::AddTen", Framework: bridge.Sidekiq, Queue: q.jobQ, Job: "AddTenJob"},
			{TaskQueue: q.celeryTQ, Callable: "Bridge::Triple", Framework: bridge.Celery, Queue: q.jobQ, Job: "Bridge::Triple"},
			{TaskQueue: q.bullTQ, Framework: bridge.BullMQ, Queue: q.jobQ},
		},
	}
}

// runTask starts a task and waits up to d for it to finish; on timeout it fails with the task's
// state.
func runTask(t testing.TB, env *tasktest.Env, req tasker.TaskRequest, d time.Duration) tasker.TaskResult {
	t.Helper()
	task, err := env.Client.StartTask(context.Background(), req, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "task")})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	res, err := env.Client.WaitTask(ctx, task.WorkflowID)
	if err != nil {
		state, qerr := env.Client.GetTask(context.Background(), task.WorkflowID)
		t.Fatalf("task %s did not finish within %s: %v\nstate: %+v (%v)", task.WorkflowID, d, err, state, qerr)
	}
	return res
}

func value(t testing.TB, res tasker.TaskResult, step string) int {
	t.Helper()
	s, ok := res.Step(step)
	require.True(t, ok, "step %s missing", step)
	require.Equal(t, tasker.StateComplete, s.Status, "step %s: %s", step, s.LastError)
	var v struct {
		Value int `json:"value"`
	}
	require.NoError(t, json.Unmarshal(s.Results, &v), "step %s results %s", step, s.Results)
	return v.Value
}

// TestMixedRuntimes runs one task whose steps are served by a Go handler, a Sidekiq job, a Celery
// task and a BullMQ job, each a real framework worker.
func TestMixedRuntimes(t *testing.T) {
	requireService(t, "Redis", "127.0.0.1:6379")
	requireService(t, "RabbitMQ", "127.0.0.1:5672")
	q := newQueues(t)
	tmpl := mixedTemplate(t, q)
	env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, KeepQueues: true})
	startGoWorker(t, env.Temporal, q.goQ)
	startBridge(t, env.Temporal, mixedConfig(q))
	startSidekiq(t, q.jobQ)
	startCelery(t, q.jobQ)
	startBullMQ(t, q.jobQ)
	tsworker.Start(t, "worker.js", q.tsTQ)

	res := runTask(t, env, tasker.TaskRequest{Namespace: "examples", Name: "bridge_mixed", Context: json.RawMessage(`{"number": 3}`), RequestedAt: time.Now()}, 90*time.Second)
	require.Equal(t, tasker.StateComplete, res.Status, "%+v", res)
	assert.Equal(t, 9, value(t, res, "a"), "Go: 3²")
	assert.Equal(t, 19, value(t, res, "b"), "Sidekiq: 9+10")
	assert.Equal(t, 27, value(t, res, "c"), "Celery: 9×3")
	assert.Equal(t, 46, value(t, res, "d"), "BullMQ: 19+27")
	assert.Equal(t, 92, value(t, res, "e"), "TypeScript: 46×2")
}
