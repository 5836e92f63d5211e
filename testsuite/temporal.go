package testsuite

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// devServerPackage is the command testsuite runs when no TEMPORAL_ADDRESS is given.
const devServerPackage = "github.com/tasker-systems/tasker-temporal/cmd/devserver"

// Main runs a test binary's tests against one Temporal server: the one TEMPORAL_ADDRESS names
// (`make test` starts one for the whole run), else an embedded server started for this binary in
// a child process and stopped after. Call it from TestMain:
//
//	func TestMain(m *testing.M) { testsuite.Main(m) }
func Main(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Getenv("TEMPORAL_ADDRESS") != "" {
		return m.Run()
	}
	addr, stop, err := StartDevServer(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsuite:", err)
		return 1
	}
	defer stop()
	if err := os.Setenv("TEMPORAL_ADDRESS", addr); err != nil {
		fmt.Fprintln(os.Stderr, "testsuite:", err)
		return 1
	}
	return m.Run()
}

// StartDevServer builds and starts the embedded Temporal server (cmd/devserver) in a child
// process on free ports, without the UI, and returns its address and a stop function. The child
// dies with this process.
//
// extraArgs go to cmd/devserver, e.g. "--stock" for Temporal's default dynamic config.
func StartDevServer(ctx context.Context, extraArgs ...string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "tasker-devserver-")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "devserver")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, devServerPackage)
	if out, err := build.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build %s: %v\n%s", devServerPackage, err, out)
	}
	logFile, err := os.Create(filepath.Join(dir, "devserver.log"))
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, append([]string{"--port", "-1", "--no-ui", "--log-format", "json"}, extraArgs...)...)
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start dev server: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		_ = os.RemoveAll(dir)
	}
	addr, err := readAddress(stdout, 60*time.Second)
	if err != nil {
		logs, _ := os.ReadFile(logFile.Name())
		stop()
		return "", nil, fmt.Errorf("%w; its log:\n%s", err, logs)
	}
	return addr, stop, nil
}

func readAddress(r io.Reader, timeout time.Duration) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "TEMPORAL_ADDRESS="); ok {
				found <- v
				break
			}
		}
		for sc.Scan() { // keep draining so the child never blocks on stdout
		}
	}()
	select {
	case addr := <-found:
		return addr, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("dev server did not report its address within %s", timeout)
	}
}

// Address is the Temporal server tests use. It fails the test when there is none: call Main
// from TestMain, or set TEMPORAL_ADDRESS.
func Address(tb testing.TB) string {
	tb.Helper()
	addr := os.Getenv("TEMPORAL_ADDRESS")
	if addr == "" {
		tb.Fatal("testsuite: no Temporal server: call testsuite.Main from TestMain or set TEMPORAL_ADDRESS")
	}
	return addr
}

// UniqueName returns prefix-<test name>-<random>, usable as a task queue or workflow ID that no
// other test shares.
func UniqueName(tb testing.TB, prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := strings.NewReplacer("/", "-", " ", "_").Replace(tb.Name())
	if len(name) > 60 {
		name = name[:60]
	}
	return prefix + "-" + name + "-" + hex.EncodeToString(b)
}
