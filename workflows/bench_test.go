package workflows_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/compat"
	"github.com/tasker-systems/tasker-temporal/migrations"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
	"github.com/tasker-systems/tasker-temporal/workflows"
)

// The workflow benchmarks run this workflow and a hand-written Temporal workflow (workflow.Go +
// futures, Temporal's own retry policy) over the same no-op activity in the same shapes, on the same
// embedded server, in the same run.

const noopCallable = "Bench::Noop"

func noop(context.Context, tasker.StepRequest) (tasker.StepResult, error) {
	return tasker.StepResult{}, nil
}

// shape is a DAG: deps[i] lists the parents of step i.
type shape struct {
	name  string
	deps  [][]int
	local bool // every step temporal.local
}

// localSteps is the same DAG with every step a temporal.local (fast) step.
func (s shape) localSteps() shape {
	s.name += "_local"
	s.local = true
	return s
}

func fanOut(n int) shape {
	deps := make([][]int, n+2)
	all := make([]int, n)
	for i := 1; i <= n; i++ {
		deps[i] = []int{0}
		all[i-1] = i
	}
	deps[n+1] = all
	return shape{name: fmt.Sprintf("fanout_%d", n), deps: deps}
}

func chain(n int) shape {
	deps := make([][]int, n)
	for i := 1; i < n; i++ {
		deps[i] = []int{i - 1}
	}
	return shape{name: fmt.Sprintf("chain_%d", n), deps: deps}
}

func diamondShape() shape { return shape{name: "diamond", deps: [][]int{nil, {0}, {0}, {1, 2}}} }

func (s shape) template() *template.Template {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nnamespace_name: bench\nversion: 1.0.0\nsteps:\n", s.name)
	for i, ps := range s.deps {
		fmt.Fprintf(&b, "  - name: s%d\n    handler: {callable: %s}\n", i, noopCallable)
		if s.local {
			b.WriteString("    temporal: {local: true}\n")
		}
		if len(ps) > 0 {
			names := make([]string, len(ps))
			for k, p := range ps {
				names[k] = fmt.Sprintf("s%d", p)
			}
			fmt.Fprintf(&b, "    dependencies: [%s]\n", strings.Join(names, ", "))
		}
	}
	t, err := template.Parse([]byte(b.String()), s.name+".yaml", "")
	if err != nil {
		panic(err)
	}
	return t
}

// HandWritten runs a DAG the way one writes it with the SDK: one coroutine per step, waiting on its
// parents' futures, then one activity.
func HandWritten(ctx workflow.Context, deps [][]int, queue string) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{TaskQueue: queue, StartToCloseTimeout: time.Minute})
	futures := make([]workflow.Future, len(deps))
	settles := make([]workflow.Settable, len(deps))
	for i := range deps {
		futures[i], settles[i] = workflow.NewFuture(ctx)
	}
	for i := range deps {
		workflow.Go(ctx, func(gctx workflow.Context) {
			for _, p := range deps[i] {
				if err := futures[p].Get(gctx, nil); err != nil {
					settles[i].SetError(err)
					return
				}
			}
			var res tasker.StepResult
			err := workflow.ExecuteActivity(gctx, noopCallable, tasker.StepRequest{}).Get(gctx, &res)
			settles[i].Set(res, err)
		})
	}
	for _, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

type benchEnv struct {
	tc       sdkclient.Client
	queue    string // the activities' queue
	sdkQueue string // the hand-written workflow's own queue, as the orchestration queue is ours
	env      *tasktest.Env
}

func newBenchEnv(b *testing.B, shapes ...shape) *benchEnv {
	return newBenchEnvWith(b, tasktest.EnvOptions{}, shapes...)
}

func newBenchEnvWith(b *testing.B, opts tasktest.EnvOptions, shapes ...shape) *benchEnv {
	b.Helper()
	for _, s := range shapes {
		opts.Templates = append(opts.Templates, s.template())
	}
	env := tasktest.NewEnv(b, opts)
	// Both workflows' activities are served by one worker on the step queue; the hand-written
	// workflow runs on a queue of its own, like TaskerTask on the orchestration queue (so neither
	// gets eager activity dispatch).
	steps := worker.New(env.Temporal, env.StepTaskQueue, worker.Options{})
	steps.RegisterActivityWithOptions(noop, activity.RegisterOptions{Name: noopCallable})
	require.NoError(b, steps.Start())
	b.Cleanup(steps.Stop)
	sdkQueue := testsuite.UniqueName(b, "sdk")
	orch := worker.New(env.Temporal, sdkQueue, worker.Options{})
	orch.RegisterWorkflow(HandWritten)
	require.NoError(b, orch.Start())
	b.Cleanup(orch.Stop)
	return &benchEnv{tc: env.Temporal, queue: env.StepTaskQueue, sdkQueue: sdkQueue, env: env}
}

// newLocalEnv serves s with every step temporal.local: the no-op handler goes through the Go
// handler registry, which the orchestration worker registers for its local activities.
func newLocalEnv(b *testing.B, s shape) *benchEnv {
	reg := activities.NewRegistry()
	reg.MustRegister(noopCallable, activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) { return nil, nil }))
	return newBenchEnvWith(b, tasktest.EnvOptions{Handlers: reg}, s.localSteps())
}

func (e *benchEnv) runHandWritten(b *testing.B, s shape) string {
	run, err := e.tc.ExecuteWorkflow(context.Background(), sdkclient.StartWorkflowOptions{
		ID: testsuite.UniqueName(b, "sdk"), TaskQueue: e.sdkQueue,
	}, HandWritten, s.deps, e.queue)
	require.NoError(b, err)
	require.NoError(b, run.Get(context.Background(), nil))
	return run.GetID()
}

func (e *benchEnv) runTasker(b *testing.B, s shape) string {
	ctx := context.Background()
	task, err := e.env.Client.StartTask(ctx, tasker.TaskRequest{Namespace: "bench", Name: s.name}, client.StartOptions{WorkflowID: testsuite.UniqueName(b, "tasker")})
	require.NoError(b, err)
	res, err := e.env.Client.WaitTask(ctx, task.WorkflowID)
	require.NoError(b, err)
	require.Equal(b, tasker.StateComplete, res.Status)
	return task.WorkflowID
}

// BenchmarkWallTime runs a 200-step fan-out (steps/s) and a 50-step chain (ms per step), as
// TaskerTask, as TaskerTask with temporal.local steps, and as the hand-written SDK workflow (the
// baseline).
func BenchmarkWallTime(b *testing.B) {
	for _, s := range []shape{fanOut(200), chain(50)} {
		e := newBenchEnv(b, s)
		le := newLocalEnv(b, s)
		perStep := func(b *testing.B) {
			if strings.HasPrefix(s.name, "chain") {
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*len(s.deps)), "ms/step")
			} else {
				b.ReportMetric(float64(b.N*len(s.deps))/b.Elapsed().Seconds(), "steps/s")
			}
		}
		b.Run(s.name+"/base_sdk", func(b *testing.B) {
			for range b.N {
				e.runHandWritten(b, s)
			}
			perStep(b)
		})
		b.Run(s.name+"/tasker", func(b *testing.B) {
			for range b.N {
				e.runTasker(b, s)
			}
			perStep(b)
		})
		b.Run(s.name+"/tasker_local", func(b *testing.B) {
			for range b.N {
				le.runTasker(b, s.localSteps())
			}
			perStep(b)
		})
	}
}

// BenchmarkLatency reports the P50 and P95 end-to-end latency of small tasks (start to result),
// against the hand-written workflow; tasker_local runs every step as a temporal.local step.
func BenchmarkLatency(b *testing.B) {
	for _, s := range []shape{chain(4), diamondShape()} {
		e := newBenchEnv(b, s)
		le := newLocalEnv(b, s)
		name := s.name
		if name == "chain_4" {
			name = "linear_4"
		}
		b.Run(name+"/base_sdk", func(b *testing.B) {
			latencies(b, func() { e.runHandWritten(b, s) })
		})
		b.Run(name+"/tasker", func(b *testing.B) {
			latencies(b, func() { e.runTasker(b, s) })
		})
		b.Run(name+"/tasker_local", func(b *testing.B) {
			latencies(b, func() { le.runTasker(b, s.localSteps()) })
		})
	}
}

// BenchmarkServerTuning runs the same tasks on a second embedded server with Temporal's default
// dynamic config (the baseline) and on the tuned one every other benchmark uses: the gain of
// devserver.LowLatency.
func BenchmarkServerTuning(b *testing.B) {
	stockAddr, stop, err := testsuite.StartDevServer(context.Background(), "--stock")
	require.NoError(b, err)
	b.Cleanup(stop)
	shapes := []shape{chain(4), chain(20)}
	stock := newBenchEnvWith(b, tasktest.EnvOptions{Address: stockAddr}, shapes...)
	tuned := newBenchEnv(b, shapes...)
	for _, s := range shapes {
		for _, v := range []struct {
			name string
			e    *benchEnv
		}{{"base_stock", stock}, {"tuned", tuned}} {
			b.Run(s.name+"/"+v.name, func(b *testing.B) {
				latencies(b, func() { v.e.runTasker(b, s) })
			})
		}
	}
}

// BenchmarkStart is the latency of StartTask (Update-With-Start: it returns once the worker has
// resolved the template and validated the request) against a bare ExecuteWorkflow of the same
// task, which returns before any worker has looked at it.
func BenchmarkStart(b *testing.B) {
	s := chain(4)
	e := newBenchEnv(b, s)
	b.Run("base_execute_workflow", func(b *testing.B) {
		latencies(b, func() {
			_, err := e.tc.ExecuteWorkflow(context.Background(), sdkclient.StartWorkflowOptions{
				ID: testsuite.UniqueName(b, "bare"), TaskQueue: e.env.TaskQueue,
			}, tasker.WorkflowType, workflows.TaskInput{TaskRequest: tasker.TaskRequest{Namespace: "bench", Name: s.name}})
			require.NoError(b, err)
		})
	})
	b.Run("start_task", func(b *testing.B) {
		latencies(b, func() {
			_, err := e.env.Client.StartTask(context.Background(), tasker.TaskRequest{Namespace: "bench", Name: s.name},
				client.StartOptions{WorkflowID: testsuite.UniqueName(b, "uws")})
			require.NoError(b, err)
		})
	})
}

func latencies(b *testing.B, run func()) {
	var ds []time.Duration
	for range b.N {
		start := time.Now()
		run()
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	pct := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.50), "ms-p50")
	b.ReportMetric(pct(0.95), "ms-p95")
}

// BenchmarkWorkflowCPU replays recorded histories of a 200-step fan-out and a 50-step chain
// (testdata/bench, recorded with -update-histories): the time and CPU the workflow code spends
// per step, with no server, worker or activity in the process, against the hand-written SDK
// workflow's histories of the same shapes (the SDK's own cost per step: the floor). The
// replayer's own set-up is part of each.
func BenchmarkWorkflowCPU(b *testing.B) {
	for _, s := range []shape{fanOut(200), chain(50)} {
		sdkPath := filepath.Join("testdata", "bench", s.name+"-sdk.json")
		path := filepath.Join("testdata", "bench", s.name+".json")
		if *updateHistories {
			e := newBenchEnv(b, s)
			writeHistory(b, e.tc, e.runTasker(b, s), path)
			writeHistory(b, e.tc, e.runHandWritten(b, s), sdkPath)
		}
		b.Run(s.name+"/base_sdk", func(b *testing.B) { replayPerStep(b, sdkPath, len(s.deps), "HandWritten", HandWritten) })
		b.Run(s.name+"/tasker", func(b *testing.B) {
			replayPerStep(b, path, len(s.deps), tasker.WorkflowType, workflows.TaskWorkflow)
		})
	}
}

// replayPerStep replays one recorded history b.N times and reports wall and CPU time per step.
func replayPerStep(b *testing.B, path string, steps int, name string, wf any) {
	f, err := os.Open(path)
	require.NoError(b, err)
	hist, err := sdkclient.HistoryFromJSON(f, sdkclient.HistoryJSONOptions{})
	require.NoError(b, f.Close())
	require.NoError(b, err, path)
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		r := worker.NewWorkflowReplayer()
		r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: name})
		require.NoError(b, r.ReplayWorkflowHistory(nil, hist))
	}
	n := float64(b.N * steps)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/step")
	// CPU time of the process (every thread, GC included): what other load on the machine does
	// not inflate, unlike wall time.
	b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/n, "cpu-ns/step")
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMirrorThroughput runs 100 tasks of 10 steps at once, with the Rails mirror off (the
// baseline) and on, and reports steps/s: the mirror's cost to a busy worker.
func BenchmarkMirrorThroughput(b *testing.B) {
	s := fanOut(8) // 10 steps
	run := func(b *testing.B, opts tasktest.EnvOptions) {
		e := newBenchEnvWith(b, opts, s)
		const tasks = 100
		b.ResetTimer()
		for range b.N {
			ids := make([]string, tasks)
			for k := range ids {
				task, err := e.env.Client.StartTask(context.Background(), tasker.TaskRequest{Namespace: "bench", Name: s.name},
					client.StartOptions{WorkflowID: testsuite.UniqueName(b, "mirror")})
				require.NoError(b, err)
				ids[k] = task.WorkflowID
			}
			for _, id := range ids {
				res, err := e.env.Client.WaitTask(context.Background(), id)
				require.NoError(b, err)
				require.Equal(b, tasker.StateComplete, res.Status)
			}
		}
		b.ReportMetric(float64(b.N*tasks*len(s.deps))/b.Elapsed().Seconds(), "steps/s")
	}
	b.Run("base_off", func(b *testing.B) { run(b, tasktest.EnvOptions{}) })
	b.Run("on", func(b *testing.B) {
		store, err := compat.Open(context.Background(), testsuite.NewDatabase(b))
		require.NoError(b, err)
		b.Cleanup(store.Close)
		_, err = migrations.Ensure(context.Background(), store.Pool(), migrations.Options{})
		require.NoError(b, err)
		run(b, tasktest.EnvOptions{Mirror: compat.Mirror{Store: store}})
	})
}

// BenchmarkTenThousandSteps runs one task of 10,000 steps (1 → 9,998 → 1) to the end: it
// continues-as-new several times and keeps at most 500 steps in flight.
func BenchmarkTenThousandSteps(b *testing.B) {
	s := fanOut(9_998)
	e := newBenchEnv(b, s)
	b.ResetTimer()
	for range b.N {
		e.runTasker(b, s)
	}
	b.ReportMetric(float64(b.N*len(s.deps))/b.Elapsed().Seconds(), "steps/s")
}
