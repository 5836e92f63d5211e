package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkclient "go.temporal.io/sdk/client"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
	"github.com/tasker-systems/tasker-temporal/worker"
	"github.com/tasker-systems/tasker-temporal/workflows"
)

func TestMain(m *testing.M) { testsuite.Main(m) }

const twoStepYAML = `
name: greet
namespace_name: shop
version: 1.0.0
steps:
  - name: hello
    handler: {callable: Shop::Hello}
  - name: shout
    handler: {callable: Shop::Shout}
    dependencies: [hello]
    temporal: {task_queue: shop-loud}
`

func registry(t *testing.T, yaml string) *template.Registry {
	t.Helper()
	tmpl, err := template.Parse([]byte(yaml), t.Name()+".yaml", "")
	require.NoError(t, err)
	reg := template.NewRegistry()
	require.NoError(t, reg.Add(tmpl))
	return reg
}

func TestStepQueues(t *testing.T) {
	reg := registry(t, twoStepYAML)
	both := activities.NewRegistry()
	both.MustRegister("Shop::Hello", activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) { return nil, nil }))
	both.MustRegister("Shop::Shout", activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) { return nil, nil }))
	hello := activities.NewRegistry()
	hello.MustRegister("Shop::Hello", activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) { return nil, nil }))
	tests := []struct {
		name     string
		handlers *activities.Registry
		want     []string
	}{
		{name: "no handlers", handlers: nil, want: nil},
		{name: "every step handled", handlers: both, want: []string{"shop-loud", "tasker-shop"}},
		{name: "one step handled", handlers: hello, want: []string{"tasker-shop"}},
		{name: "no step handled", handlers: activities.NewRegistry(), want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, worker.StepQueues(reg, tc.handlers))
		})
	}
}

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	tc, err := sdkclient.NewLazyClient(sdkclient.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	defer tc.Close()
	tests := []struct {
		name string
		c    sdkclient.Client
		cfg  worker.Config
		want string
	}{
		{name: "no client", c: nil, cfg: worker.Config{Templates: template.NewRegistry()}, want: "the Temporal client is nil"},
		{name: "no templates", c: tc, cfg: worker.Config{}, want: "Config.Templates is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := worker.New(tt.c, tt.cfg)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestNewFillsDefaults(t *testing.T) {
	tc, err := sdkclient.NewLazyClient(sdkclient.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	defer tc.Close()
	w, err := worker.New(tc, worker.Config{Templates: template.NewRegistry(), Settings: worker.Settings{Hold: time.Hour}})
	require.NoError(t, err)
	assert.Equal(t, tasker.OrchestrationTaskQueue, w.TaskQueue())
	want := worker.DefaultSettings()
	want.Hold = time.Hour
	assert.Equal(t, want, w.Settings(), "unset settings take their defaults, set ones stay")
	assert.Empty(t, w.StepTaskQueues(), "no handlers, no step queues")
}

// TestWorkerRunsATaskWithItsOwnHandlers is the embedding path end to end: worker.New with the
// service's own templates and handlers, Start, a client starting a task, Stop.
func TestWorkerRunsATaskWithItsOwnHandlers(t *testing.T) {
	tc, err := sdkclient.Dial(sdkclient.Options{HostPort: testsuite.Address(t), Logger: tasktest.QuietLogger{}})
	require.NoError(t, err)
	defer tc.Close()

	queue := testsuite.UniqueName(t, "orch")
	// Steps on queues of this test's own, so no other test's worker takes them.
	tmpl, err := template.Parse([]byte(twoStepYAML), "greet.yaml", "")
	require.NoError(t, err)
	tmpl.Temporal.TaskQueue = testsuite.UniqueName(t, "steps")
	tmpl.Steps[1].Temporal.TaskQueue = testsuite.UniqueName(t, "loud")
	reg := template.NewRegistry()
	require.NoError(t, reg.Add(tmpl))
	assert.Len(t, worker.StepQueues(reg, nil), 0)
	handlers := activities.NewRegistry()
	handlers.MustRegister("Shop::Hello", activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) {
		return map[string]string{"greeting": "hello"}, nil
	}))
	handlers.MustRegister("Shop::Shout", activities.HandlerFunc(func(_ context.Context, step activities.StepContext) (any, error) {
		var prev struct{ Greeting string }
		if _, err := step.DependencyResult("hello", &prev); err != nil {
			return nil, err
		}
		return map[string]string{"greeting": prev.Greeting + "!"}, nil
	}))
	rec := &tasktest.Recorder{}
	w, err := worker.New(tc, worker.Config{Templates: reg, Handlers: handlers, Publisher: rec, TaskQueue: queue})
	require.NoError(t, err)
	require.NoError(t, w.Start(t.Context()))
	assert.Error(t, w.Start(t.Context()), "a second Start is refused")

	ctx, cancel := tasktest.Context(t, time.Minute)
	defer cancel()
	c := client.New(tc, client.Options{TaskQueue: queue, Templates: reg})
	task, err := c.StartTask(ctx, tasker.TaskRequest{Namespace: "shop", Name: "greet"}, client.StartOptions{WorkflowID: testsuite.UniqueName(t, "task")})
	require.NoError(t, err)
	res, err := c.WaitTask(ctx, task.WorkflowID)
	require.NoError(t, err)

	tasktest.RequireStatus(t, res, tasker.StateComplete)
	tasktest.RequireStep(t, res, "hello", tasker.StateComplete)
	shout := tasktest.RequireStep(t, res, "shout", tasker.StateComplete)
	assert.JSONEq(t, `{"greeting":"hello!"}`, string(shout.Results))
	assert.Equal(t, []string{"pending>in_progress", "in_progress>complete"}, rec.Path(task.WorkflowID, "shout"), "the publisher saw the step's transitions")

	require.NoError(t, w.Stop(ctx))
	require.NoError(t, w.Stop(ctx), "a second Stop does nothing")
}

// TestGoHandledStepsGetAHeartbeatTimeout: the steps this worker's Go handlers serve (and that set
// no heartbeat and are not local) get DefaultGoHeartbeat, so a dead worker's attempt fails within
// it; steps served elsewhere do not, since nothing would heartbeat for them.
func TestGoHandledStepsGetAHeartbeatTimeout(t *testing.T) {
	tmpl, err := template.Parse([]byte(`name: hb
namespace_name: test
version: 1.0.0
steps:
  - {name: go, handler: {callable: Go::Step}}
  - {name: own, handler: {callable: Go::Own}, temporal: {heartbeat: 5s}}
  - {name: local, handler: {callable: Go::Local}, temporal: {local: true}}
  - {name: ruby, handler: {callable: Ruby::Step}}
`), "hb.yaml", "")
	require.NoError(t, err)
	reg := template.NewRegistry()
	require.NoError(t, reg.Add(tmpl))
	handlers := activities.NewRegistry()
	for _, c := range []string{"Go::Step", "Go::Own", "Go::Local"} {
		handlers.MustRegister(c, activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) { return nil, nil }))
	}
	orch := &worker.Orchestration{Templates: reg, Handlers: handlers}
	res, err := orch.ResolveTemplate(context.Background(), tasker.TaskRequest{Namespace: "test", Name: "hb"})
	require.NoError(t, err)
	require.Equal(t, map[string]time.Duration{"Go::Step": workflows.DefaultGoHeartbeat}, res.Settings.Heartbeats)

	res, err = (&worker.Orchestration{Templates: reg}).ResolveTemplate(context.Background(), tasker.TaskRequest{Namespace: "test", Name: "hb"})
	require.NoError(t, err)
	require.Empty(t, res.Settings.Heartbeats, "no Go handlers, no heartbeat timeouts")
}
