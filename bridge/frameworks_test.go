package bridge_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/bridge"
	"github.com/tasker-systems/tasker-temporal/examples/handlers"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

// Services this machine runs (scripts/deps/00-services.sh starts them).
const (
	redisURL = "redis://127.0.0.1:6379/0"
	amqpURL  = "amqp://guest:guest@127.0.0.1:5672/"
	secret   = "test-secret-0123456789abcdef0123456789abcdef"
)

// repoRoot is the module root: the bridge package's parent.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// requireService fails the test when nothing listens on addr.
func requireService(tb testing.TB, name, addr string) {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		tb.Fatalf("%s is not reachable at %s (run scripts/deps/00-services.sh): %v", name, addr, err)
	}
	_ = c.Close()
}

// proc is a framework worker process run by a test.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startProc starts a child process in its own process group and stops it when the test ends,
// logging its output if the test failed.
func startProc(tb testing.TB, name, dir string, env []string, args ...string) *proc {
	tb.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s (%s): %v", name, strings.Join(args, " "), err)
	}
	p := &proc{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() {
		p.stop()
		if tb.Failed() {
			tb.Logf("%s output:\n%s", name, out.String())
		}
	})
	return p
}

// stop sends SIGTERM to the group, then SIGKILL after 5 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// exited waits up to d for the process to end by itself.
func (p *proc) exited(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

func startSidekiq(tb testing.TB, queue string) *proc {
	tb.Helper()
	root := repoRoot(tb)
	return startProc(tb, "sidekiq", root, []string{"REDIS_URL=" + redisURL},
		"sidekiq", "-r", filepath.Join(root, "examples/bridge/ruby/jobs.rb"), "-q", queue, "-c", "25")
}

func startCelery(tb testing.TB, queue string) *proc {
	tb.Helper()
	root := repoRoot(tb)
	return startProc(tb, "celery", filepath.Join(root, "examples/bridge/python"),
		[]string{"PYTHONPATH=" + filepath.Join(root, "bridge/shims/python"), "CELERY_BROKER_URL=" + amqpURL},
		"/usr/bin/python3", "-m", "celery", "-A", "jobs", "worker", "-Q", queue, "--pool", "prefork", "-c", "4",
		"--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning")
}

func startBullMQ(tb testing.TB, queue string) *proc {
	tb.Helper()
	root := repoRoot(tb)
	return startProc(tb, "bullmq", root,
		[]string{"NODE_PATH=" + filepath.Join(root, "bridge/shims/node/node_modules"), "REDIS_URL=" + redisURL},
		"node", filepath.Join(root, "examples/bridge/node/worker.js"), queue)
}

// dialTemporal returns a client of the test server.
func dialTemporal(tb testing.TB) sdkclient.Client {
	tb.Helper()
	tc, err := sdkclient.Dial(sdkclient.Options{HostPort: testsuite.Address(tb), Logger: quiet{}})
	if err != nil {
		tb.Fatalf("dial Temporal: %v", err)
	}
	tb.Cleanup(tc.Close)
	return tc
}

// startGoWorker serves the example Go handlers on queue.
func startGoWorker(tb testing.TB, tc sdkclient.Client, queue string) {
	tb.Helper()
	reg := activities.NewRegistry()
	if err := handlers.Register(reg); err != nil {
		tb.Fatal(err)
	}
	w := worker.New(tc, queue, worker.Options{})
	reg.RegisterActivities(w)
	if err := w.Start(); err != nil {
		tb.Fatalf("start Go worker on %s: %v", queue, err)
	}
	tb.Cleanup(w.Stop)
}

// startBridge builds and starts a bridge on cfg and stops it when the test ends.
func startBridge(tb testing.TB, tc sdkclient.Client, cfg bridge.Config) *bridge.Bridge {
	tb.Helper()
	cfg.Callback.Secret = secret
	if cfg.Callback.Listen == "" {
		cfg.Callback.Listen = "127.0.0.1:0"
	}
	if cfg.BullMQ != nil && len(cfg.BullMQ.Sidecar) == 0 {
		cfg.BullMQ.Sidecar = []string{"node", filepath.Join(repoRoot(tb), "bridge/shims/node/bullmq_sidecar.js")}
	}
	b, err := bridge.New(cfg, bridge.Options{Temporal: tc, WorkerOptions: worker.Options{MaxConcurrentActivityExecutionSize: 1000}})
	if err != nil {
		tb.Fatalf("new bridge: %v", err)
	}
	if err := b.Start(); err != nil {
		tb.Fatalf("start bridge: %v", err)
	}
	tb.Cleanup(b.Stop)
	return b
}

// waitFor polls cond every 100 ms until it holds or d passes.
func waitFor(tb testing.TB, d time.Duration, what string, cond func() (bool, error)) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		select {
		case <-ctx.Done():
			tb.Fatalf("timed out after %s waiting for %s (last error: %v)", d, what, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

// jobQueue returns a framework queue name unique to the test and removes what the frameworks
// left of it in Redis and RabbitMQ when the test ends.
func jobQueue(tb testing.TB) string {
	tb.Helper()
	q := testsuite.UniqueName(tb, "jobs")
	tb.Cleanup(func() {
		ctx := context.Background()
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
		defer func() { _ = rdb.Close() }()
		keys := []string{"queue:" + q}
		iter := rdb.Scan(ctx, 0, "bull:"+q+":*", 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		_ = rdb.Del(ctx, keys...).Err()
		_ = rdb.SRem(ctx, "queues", q).Err()
		if conn, err := amqp.Dial(amqpURL); err == nil {
			if ch, err := conn.Channel(); err == nil {
				_, _ = ch.QueueDelete(q, false, false, false)
				_ = ch.ExchangeDelete(q, false, false)
			}
			_ = conn.Close()
		}
	})
	return q
}
