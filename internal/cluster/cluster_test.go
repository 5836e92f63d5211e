//go:build cluster

// The cluster topology test (make test-cluster): built only with -tags cluster because it starts
// its own multi-process Temporal cluster and needs `make build`'s binaries.
package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	sdkclient "go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/internal/cluster"
	iconfig "github.com/tasker-systems/tasker-temporal/internal/config"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

const (
	tasks   = 500
	workers = 3
)

// tenSteps is a 10-step DAG (fan-out, fan-in, a chain) of heartbeating Go steps: a worker killed
// mid-step surfaces as a heartbeat timeout within 10s, and the step's next attempt runs elsewhere.
const tenSteps = `name: ten
namespace_name: cluster
version: 1.0.0
description: Ten steps for the cluster topology test.
steps:
  - {name: s01, handler: {callable: Examples::Echo}, retry: {max_attempts: 4, backoff: exponential, backoff_base_ms: 50}, temporal: {heartbeat: 10s, start_to_close: 60s}}
  - {name: s02, handler: {callable: Examples::Echo}, dependencies: [s01], retry: {max_attempts: 4, backoff: exponential, backoff_base_ms: 50}, temporal: {heartbeat: 10s, start_to_close: 60s}}
  - {name: s03, handler: {callable: Examples::Echo}, dependencies: [s01], retry: {max_attempts: 4, backoff: exponential, backoff_base_ms: 50}, temporal: {heartbeat: 10s, start_to_close: 60s}}
  - {name: s04, handler: {callable: Examples::Echo}, dependencies: [s01], retry: {max_attempts: 4, backoff: exponential, backoff_base_ms: 50}, temporal: {heartbeat: 10s, start_to_close: 60s}}
  - {name: s05, handler: {callable: Examples::Echo}, dependencies: [s02, s03], retry: {max_attempts: 4, backoff: exponential, backoff_base_ms: 50}, temporal: {heartbeat: 10s, start_to_close: 60s}}
  - {name: s06, handler: {callable: Examples::Echo}, dependencies: [s04], retry: {max_attempts: 4, backoff: exponential, backoff_base_ms: 50}, temporal: {heartbeat: 10s, start_to_close: 60s}}
  - {name: s07, handler: {callable: Examples::Echo}, dependencies: [s05, s06], retry: {max_attempts: 4, backoff: exponential, backoff_base_ms: 50}, temporal: {heartbeat: 10s, start_to_close: 60s}}
  - {name: s08, handler: {callable: Examples::Echo}, dependencies: [s07], retry: {max_attempts: 4, backoff: exponential, backoff_base_ms: 50}, temporal: {heartbeat: 10s, start_to_close: 60s}}
  - {name: s09, handler: {callable: Examples::Echo}, dependencies: [s07], retry: {max_attempts: 4, backoff: exponential, backoff_base_ms: 50}, temporal: {heartbeat: 10s, start_to_close: 60s}}
  - {name: s10, handler: {callable: Examples::Echo}, dependencies: [s08, s09], retry: {max_attempts: 4, backoff: exponential, backoff_base_ms: 50}, temporal: {heartbeat: 10s, start_to_close: 60s}}
`

func binDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TASKER_BIN_DIR")
	if dir == "" {
		dir = "../../bin"
	}
	dir, err := filepath.Abs(dir)
	require.NoError(t, err)
	for _, bin := range []string{"temporal-node", "worker", "bridge", "tasker"} {
		_, err := os.Stat(filepath.Join(dir, bin))
		require.NoError(t, err, "the cluster test runs `make build`'s binaries (set TASKER_BIN_DIR to another directory)")
	}
	return dir
}

// startCluster starts the topology with mTLS on the frontend.
func startCluster(t *testing.T) *cluster.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Options{BinDir: binDir(t), MutualTLS: true, AdminURL: testsuite.AdminURL(), Log: t.Logf})
	require.NoError(t, err)
	t.Cleanup(c.Stop)
	return c
}

func temporalConfig(c *cluster.Cluster) iconfig.Temporal {
	return iconfig.Temporal{
		Namespace: c.Topology.Namespace,
		TLSCA:     c.Certs.CA, TLSCert: c.Certs.ClientCert, TLSKey: c.Certs.ClientKey,
	}
}

func TestCluster(t *testing.T) {
	c := startCluster(t)
	// Subtests share the topology: it takes a while to start.
	t.Run("TLS", func(t *testing.T) { testTLS(t, c) })
	t.Run("many tasks across workers one killed", func(t *testing.T) { testManyTasks(t, c) })
}

// testTLS: the frontend serves mTLS; the client, the CLI, the worker (testManyTasks) and the
// bridge connect with TEMPORAL_TLS_*; a wrong CA or a missing client certificate is one line.
func testTLS(t *testing.T, c *cluster.Cluster) {
	ctx := context.Background()
	good := temporalConfig(c)
	tc, err := good.Dial(ctx, c.Address(), zap.NewNop())
	require.NoError(t, err, "the client dials with the CA and client certificate")
	tc.Close()

	cases := []struct {
		name string
		conf iconfig.Temporal
		want string
	}{
		{"wrong CA", iconfig.Temporal{Namespace: good.Namespace, TLSCA: c.Certs.OtherCA, TLSCert: good.TLSCert, TLSKey: good.TLSKey},
			"is not signed by the CA in TEMPORAL_TLS_CA"},
		{"no client certificate", iconfig.Temporal{Namespace: good.Namespace, TLSCA: good.TLSCA},
			"requires a client certificate"},
		{"client certificate of another CA", iconfig.Temporal{Namespace: good.Namespace, TLSCA: good.TLSCA, TLSCert: c.Certs.OtherClientCert, TLSKey: c.Certs.OtherClient},
			"refused the client certificate"},
		{"plaintext to a TLS server", iconfig.Temporal{Namespace: good.Namespace},
			"cannot reach Temporal at " + c.Address()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := tc.conf.Dial(ctx, c.Address(), zap.NewNop())
			if cl != nil {
				cl.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n", "one line")
		})
	}

	t.Run("CLI", func(t *testing.T) {
		cli := filepath.Join(binDir(t), "tasker")
		out, err := runWith(cli, c.ClientEnv(), "list")
		require.NoError(t, err, out)
		bad := append(c.ClientEnv(), "TEMPORAL_TLS_CA="+c.Certs.OtherCA)
		out, err = runWith(cli, bad, "list")
		require.Error(t, err)
		assert.Contains(t, out, "is not signed by the CA in TEMPORAL_TLS_CA")
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(out), "\n")+1, "one line: %s", out)
	})
	t.Run("bridge", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "bridge.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte(`callback: {listen: "127.0.0.1:0"}
sidekiq: {redis: "redis://127.0.0.1:6379/0"}
routes:
  - {task_queue: cluster-bridge, framework: sidekiq, queue: cluster}
`), 0o600))
		env := []string{"TASKER_BRIDGE_SECRET=" + strings.Repeat("s", 32)}
		p, err := c.StartBridge(ctx, "bridge", env, "--config", cfg)
		require.NoError(t, err, "the bridge dials the mTLS frontend")
		p.Stop(10 * time.Second)
	})
}

func runWith(bin string, env []string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func testManyTasks(t *testing.T, c *cluster.Cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), 14*time.Minute)
	defer cancel()
	mirrorURL := testsuite.NewDatabase(t)
	u, err := url.Parse(mirrorURL)
	require.NoError(t, err)
	require.NoError(t, cluster.AsyncCommit(ctx, testsuite.AdminURL(), strings.TrimPrefix(u.Path, "/")))
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ten.yaml"), []byte(tenSteps), 0o600))

	env := []string{"DATABASE_URL=" + mirrorURL, "TASKER_TEMPLATES=" + dir, "LOG_FORMAT=json"}
	procs := make([]*cluster.Process, workers)
	identities := map[string]string{} // pid@ (the SDK's default identity is pid@host@) -> worker name
	for i := range procs {
		name := fmt.Sprintf("worker-%d", i+1)
		p, err := c.StartWorker(ctx, name, env, "--require-mirror", "--http", "off") // three on one host: no shared port
		require.NoError(t, err)
		procs[i] = p
		identities[fmt.Sprintf("%d@", p.Pid())] = name
	}

	tconf := temporalConfig(c)
	tc, err := tconf.Dial(ctx, c.Address(), zap.NewNop())
	require.NoError(t, err)
	defer tc.Close()
	cl := client.New(tc, client.Options{})
	pool, err := pgxpool.New(ctx, mirrorURL)
	require.NoError(t, err)
	defer pool.Close()

	started := time.Now()
	stopProgress := progress(ctx, t, pool, started)
	defer stopProgress()
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range procs {
				t.Logf("%s log tail:\n%s", p.Name, lastLines(p.Log(), 15))
			}
		}
	})
	ids := startTasks(ctx, t, cl)
	t.Logf("%d tasks started in %s", tasks, time.Since(started).Round(time.Millisecond))
	killMidRun(ctx, t, pool, procs[workers-1])
	results := waitTasks(ctx, t, cl, ids)
	t.Logf("%d tasks of 10 steps on %d workers (one killed mid-run) in %s", tasks, workers, time.Since(started).Round(time.Millisecond))

	retried := 0
	for _, res := range results {
		require.Equal(t, tasker.StateComplete, res.Status, res.WorkflowID)
		require.Len(t, res.Steps, 10, res.WorkflowID)
		for _, s := range res.Steps {
			require.Equal(t, tasker.StateComplete, s.Status, "%s %s", res.WorkflowID, s.Name)
			if s.Attempts > 1 {
				retried++
			}
		}
	}
	assert.Positive(t, retried, "the killed worker's in-flight steps ran again elsewhere")
	checkRails(ctx, t, pool, results)
	served := named(servedBy(ctx, t, tc, ids), identities)
	t.Logf("step attempts by worker: %v", served)
	for _, name := range identities {
		assert.Positive(t, served[name], "%s served steps", name)
	}
}

func startTasks(ctx context.Context, t *testing.T, cl *client.Client) []string {
	ids := make([]string, tasks)
	var wg sync.WaitGroup
	var failed atomic.Value
	sem := make(chan struct{}, 16)
	for i := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			task, err := cl.StartTask(ctx, tasker.TaskRequest{
				Namespace: "cluster", Name: "ten", Version: "1.0.0",
				Context: json.RawMessage(fmt.Sprintf(`{"n": %d, "sleep_ms": 100}`, i)),
			}, client.StartOptions{})
			if err != nil {
				failed.Store(err)
				return
			}
			ids[i] = task.WorkflowID
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("start tasks: %v", err)
	}
	return ids
}

// killMidRun SIGKILLs p once a fifth of all steps have landed complete in the Rails tables.
func killMidRun(ctx context.Context, t *testing.T, pool *pgxpool.Pool, p *cluster.Process) {
	for {
		var done int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM tasker_workflow_steps WHERE processed`).Scan(&done)
		if err == nil && done >= tasks*10/5 {
			t.Logf("killing %s (pid %d) with SIGKILL after %d of %d steps", p.Name, p.Pid(), done, tasks*10)
			p.Kill()
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for steps to complete before the kill: %v (last error %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func waitTasks(ctx context.Context, t *testing.T, cl *client.Client, ids []string) []tasker.TaskResult {
	out := make([]tasker.TaskResult, len(ids))
	var wg sync.WaitGroup
	var failed atomic.Value
	sem := make(chan struct{}, 32)
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := cl.WaitTask(ctx, id)
			if err != nil {
				failed.Store(fmt.Errorf("%s: %w", id, err))
				return
			}
			out[i] = res
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("wait tasks: %v", err)
	}
	return out
}

// checkRails asserts TASKER-REFERENCE §4 over every mirrored task at once: one most_recent
// transition per task and step, sort keys 0, 10, 20… without gaps, and each step's row (state,
// attempts, results) equal to what the workflow reports.
func checkRails(ctx context.Context, t *testing.T, pool *pgxpool.Pool, results []tasker.TaskResult) {
	var taskRows, stepRows, badTasks, badSteps int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM tasker_tasks`).Scan(&taskRows))
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM tasker_workflow_steps`).Scan(&stepRows))
	assert.Equal(t, tasks, taskRows)
	assert.Equal(t, tasks*10, stepRows)
	require.NoError(t, pool.QueryRow(ctx, `
		SELECT count(*) FROM (SELECT task_id FROM tasker_task_transitions GROUP BY task_id
		HAVING count(*) FILTER (WHERE most_recent) <> 1 OR min(sort_key) <> 0
		    OR max(sort_key) <> (count(*) - 1) * 10 OR count(DISTINCT sort_key) <> count(*)) x`).Scan(&badTasks))
	require.NoError(t, pool.QueryRow(ctx, `
		SELECT count(*) FROM (SELECT workflow_step_id FROM tasker_workflow_step_transitions GROUP BY workflow_step_id
		HAVING count(*) FILTER (WHERE most_recent) <> 1 OR min(sort_key) <> 0
		    OR max(sort_key) <> (count(*) - 1) * 10 OR count(DISTINCT sort_key) <> count(*)) x`).Scan(&badSteps))
	assert.Zero(t, badTasks, "task transitions: one most_recent, sort keys 0, 10, 20…")
	assert.Zero(t, badSteps, "step transitions: one most_recent, sort keys 0, 10, 20…")

	type row struct {
		state    string
		attempts int
		results  string
	}
	rows, err := pool.Query(ctx, `
		SELECT ws.task_id, ns.name, coalesce(ws.attempts, 0), coalesce(ws.results::text, ''),
		       (SELECT to_state FROM tasker_workflow_step_transitions t WHERE t.workflow_step_id = ws.workflow_step_id AND most_recent)
		FROM tasker_workflow_steps ws JOIN tasker_named_steps ns USING (named_step_id)`)
	require.NoError(t, err)
	got := map[string]row{}
	for rows.Next() {
		var taskID int64
		var name string
		var r row
		require.NoError(t, rows.Scan(&taskID, &name, &r.attempts, &r.results, &r.state))
		got[fmt.Sprintf("%d/%s", taskID, name)] = r
	}
	require.NoError(t, rows.Err())
	mismatches := 0
	for _, res := range results {
		require.NotZero(t, res.TaskID, "%s knows its Rails task_id", res.WorkflowID)
		var state string
		require.NoError(t, pool.QueryRow(ctx, `SELECT to_state FROM tasker_task_transitions WHERE task_id = $1 AND most_recent`, res.TaskID).Scan(&state))
		assert.Equal(t, tasker.StateComplete, state, res.WorkflowID)
		for _, s := range res.Steps {
			r, ok := got[fmt.Sprintf("%d/%s", res.TaskID, s.Name)]
			if !assert.True(t, ok, "%s %s has a Rails row", res.WorkflowID, s.Name) {
				mismatches++
				continue
			}
			ok = assert.Equal(t, s.Status, r.state, "%s %s state", res.WorkflowID, s.Name) &&
				assert.Equal(t, s.Attempts, r.attempts, "%s %s attempts", res.WorkflowID, s.Name) &&
				assert.JSONEq(t, string(s.Results), r.results, "%s %s results", res.WorkflowID, s.Name) &&
				assert.JSONEq(t, fmt.Sprintf(`{"step": %q, "attempt": %d}`, s.Name, s.Attempts), r.results, "the result is the last attempt's")
			if !ok {
				mismatches++
			}
			if mismatches > 10 {
				t.Fatal("more than 10 mismatched steps")
			}
		}
	}
}

// servedBy counts step attempts by the identity of the worker that started them (history's
// ActivityTaskStarted events).
func servedBy(ctx context.Context, t *testing.T, tc sdkclient.Client, ids []string) map[string]int {
	var mu sync.Mutex
	out := map[string]int{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	var failed atomic.Value
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			it := tc.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					failed.Store(err)
					return
				}
				if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
					mu.Lock()
					out[a.GetIdentity()]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("read history: %v", err)
	}
	return out
}

func named(served map[string]int, identities map[string]string) map[string]int {
	out := map[string]int{}
	for id, n := range served {
		name := id
		for prefix, worker := range identities {
			if strings.HasPrefix(id, prefix) {
				name = worker
			}
		}
		out[name] += n
	}
	return out
}

// progress logs how many steps have landed in the Rails tables every 10s.
func progress(ctx context.Context, t *testing.T, pool *pgxpool.Pool, since time.Time) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Second):
			}
			var done int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM tasker_workflow_steps WHERE processed`).Scan(&done); err == nil {
				t.Logf("%s: %d of %d steps complete", time.Since(since).Round(time.Second), done, tasks*10)
			}
		}
	}()
	return func() { cancel(); <-done }
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
