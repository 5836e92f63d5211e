// Package tsworker builds and runs the TypeScript example worker (examples/typescript) for tests:
// this project's own, and any that want a real TypeScript Temporal worker serving steps. It is for
// tests only.
package tsworker

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tasker-systems/tasker-temporal/testsuite"
)

// Dir is the examples/typescript directory of this source tree.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

var (
	buildOnce sync.Once
	buildErr  error
)

// buildWorker compiles src/ into dist/ with the pinned tsc, once per test binary.
func buildWorker(t testing.TB, dir string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not installed: Node 20+ is needed for the TypeScript worker (see scripts/deps/20-node-native.sh)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@temporalio", "worker")); err != nil {
		t.Fatal("examples/typescript/node_modules is missing: run `make deps` (scripts/deps/20-node-native.sh runs npm ci)")
	}
	buildOnce.Do(func() {
		out, err := exec.Command("node", filepath.Join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", dir).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("tsc: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// Start runs dist/<script> (worker.js: the example handlers) against the test's Temporal server, serving queue, until the
// test ends. Its output is shown when the test fails.
func Start(t testing.TB, script, queue string) {
	t.Helper()
	dir := Dir()
	buildWorker(t, dir)
	cmd := exec.Command("node", filepath.Join(dir, "dist", script))
	cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS="+testsuite.Address(t), "TASKER_TASK_QUEUE="+queue)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var logs syncBuffer
	cmd.Stderr = &logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node %s: %v", script, err)
	}
	exited := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			_, _ = fmt.Fprintln(&logs, sc.Text())
			if !signalled && strings.HasPrefix(sc.Text(), "ready task_queue=") {
				signalled = true
				close(ready)
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("TypeScript worker %s exited with %v after SIGTERM", script, err)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("TypeScript worker %s did not stop within 20s of SIGTERM", script)
		}
		if t.Failed() {
			t.Logf("TypeScript worker %s output:\n%s", script, logs.String())
		}
	})
	select {
	case <-ready:
	case err := <-exited:
		t.Fatalf("TypeScript worker %s exited before it was ready (%v):\n%s", script, err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("TypeScript worker %s not ready within 60s:\n%s", script, logs.String())
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
