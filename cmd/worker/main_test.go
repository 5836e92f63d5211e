package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
)

// These tests run the real binaries, as a user does: `worker` with its embedded server and
// `tasker` against it.

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tasker-bin-")
	if err != nil {
		panic(err)
	}
	out, err := exec.Command("go", "build", "-o", dir+"/", "github.com/tasker-systems/tasker-temporal/cmd/worker",
		"github.com/tasker-systems/tasker-temporal/cmd/tasker").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build binaries: %v\n%s", err, out)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// worker is a running worker process.
type worker struct {
	cmd     *exec.Cmd
	address string
	done    chan error
	log     *os.File
}

func startWorker(t *testing.T, args ...string) *worker {
	t.Helper()
	logFile, err := os.CreateTemp(t.TempDir(), "worker-*.log")
	require.NoError(t, err)
	cmd := exec.Command(filepath.Join(binDir, "worker"), append([]string{"--port", "-1", "--no-ui", "--log-format", "json", "--http", "127.0.0.1:0"}, args...)...)
	cmd.Dir = "../.." // the example templates
	cmd.Env = withoutEnv("TEMPORAL_ADDRESS", "DATABASE_URL")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	w := &worker{cmd: cmd, done: make(chan error, 1), log: logFile}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			_, _ = fmt.Fprintln(logFile, sc.Text())
			var line struct {
				Msg     string `json:"msg"`
				Address string `json:"address"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "embedded Temporal server started" {
				addr <- line.Address
			}
		}
	}()
	go func() { w.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-w.done })
	select {
	case w.address = <-addr:
	case err := <-w.done:
		w.done <- err
		t.Fatalf("worker exited at start: %v\n%s", err, readFile(logFile.Name()))
	case <-time.After(60 * time.Second):
		t.Fatalf("worker did not start in 60s\n%s", readFile(logFile.Name()))
	}
	return w
}

func withoutEnv(keys ...string) []string {
	var env []string
outer:
	for _, kv := range os.Environ() {
		for _, k := range keys {
			if strings.HasPrefix(kv, k+"=") {
				continue outer
			}
		}
		env = append(env, kv)
	}
	return env
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// tasker runs the CLI against the worker and returns stdout; it fails the test on an error.
func (w *worker) tasker(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := runTasker(w.address, args...)
	require.NoError(t, err, "tasker %v: %s", args, errOut)
	return out
}

func runTasker(address string, args ...string) (string, string, error) {
	cmd := exec.Command(filepath.Join(binDir, "tasker"), append([]string{"--temporal-address", address}, args...)...)
	cmd.Dir = "../.."
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func decodeResult(t *testing.T, out string) tasker.TaskResult {
	t.Helper()
	var res tasker.TaskResult
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	return res
}

func TestQuickStart(t *testing.T) {
	w := startWorker(t)
	res := decodeResult(t, w.tasker(t, "start", "examples/diamond", "--wait", "--json"))
	assert.Equal(t, tasker.StateComplete, res.Status)
	require.Len(t, res.Steps, 4)
	d, _ := res.Step("d")
	assert.JSONEq(t, `{"value":26}`, string(d.Results))

	human := w.tasker(t, "status", res.WorkflowID)
	assert.Contains(t, human, "complete")
	assert.Contains(t, human, `{"value":26}`)

	started := decodeResult(t, w.tasker(t, "start", "examples/flaky", "--json"))
	assert.NotEmpty(t, started.WorkflowID)
	final := decodeResult(t, w.tasker(t, "wait", started.WorkflowID, "--json"))
	s, _ := final.Step("call_api")
	assert.Equal(t, 3, s.Attempts)
	assert.Equal(t, tasker.StateComplete, s.Status)
}

func TestSIGTERMDrainsAndARestartedWorkerFinishesTheTask(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	first := startWorker(t, "--db-file", db)
	started := decodeResult(t, first.tasker(t, "start", "examples/wide", "--context", `{"sleep_ms": 1500}`, "--json"))

	time.Sleep(500 * time.Millisecond) // the task is mid-way
	begin := time.Now()
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-first.done:
		first.done <- err
		require.NoError(t, err, "SIGTERM exits 0\n%s", readFile(first.log.Name()))
		assert.Less(t, time.Since(begin), 10*time.Second)
	case <-time.After(15 * time.Second):
		t.Fatal("worker did not exit within 15s of SIGTERM")
	}

	second := startWorker(t, "--db-file", db)
	res := decodeResult(t, second.tasker(t, "wait", started.WorkflowID, "--json"))
	assert.Equal(t, tasker.StateComplete, res.Status)
	assert.Len(t, res.Steps, 202)
}

func TestAKilledWorkersStepsAreRetriedByTheNextOne(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	first := startWorker(t, "--db-file", db)
	started := decodeResult(t, first.tasker(t, "start", "examples/wide", "--context", `{"sleep_ms": 4000}`, "--json"))
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, first.cmd.Process.Kill())
	<-first.done
	first.done <- nil

	second := startWorker(t, "--db-file", db)
	res := decodeResult(t, second.tasker(t, "wait", started.WorkflowID, "--json"))
	assert.Equal(t, tasker.StateComplete, res.Status)
	st, _ := res.Step("start")
	assert.GreaterOrEqual(t, st.Attempts, 2, "the attempt the killed worker was running timed out (heartbeat) and ran again")
}

func TestBadInputIsOneClearLine(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"unreachable Temporal", []string{"TEMPORAL_ADDRESS=127.0.0.1:1"}, nil, "cannot reach Temporal at 127.0.0.1:1"},
		{"Temporal address without a port", []string{"TEMPORAL_ADDRESS=localhost"}, nil, `TEMPORAL_ADDRESS "localhost"`},
		{"malformed DATABASE_URL", []string{"DATABASE_URL=postgres://%zz"}, []string{"--no-ui", "--port", "-1"}, "DATABASE_URL is malformed"},
		{"missing template directory", []string{"TASKER_TEMPLATES=/nonexistent/templates"}, []string{"--no-ui", "--port", "-1"}, "/nonexistent/templates"},
		{"HTTP port taken", nil, []string{"--no-ui", "--port", "-1", "--http", takenPort(t)}, "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(binDir, "worker"), tt.args...)
			cmd.Dir = "../.."
			cmd.Env = append(withoutEnv("TEMPORAL_ADDRESS", "DATABASE_URL", "TASKER_TEMPLATES"), tt.env...)
			out, err := cmd.CombinedOutput()
			require.Error(t, err)
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit)
			assert.Equal(t, 1, exit.ExitCode())
			text := strings.TrimSpace(string(out))
			last := text[strings.LastIndex(text, "\n")+1:]
			assert.Contains(t, last, tt.want)
			assert.True(t, strings.HasPrefix(last, "worker: "), last)
			assert.NotContains(t, text, "goroutine ", "no stack trace")
			assert.NotContains(t, text, "worker ready", "a worker that failed to start never says it is ready")
		})
	}
}

// takenPort listens on a free port for the rest of the test and returns its address.
func takenPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l.Addr().String()
}

func TestCLIBadInput(t *testing.T) {
	w := startWorker(t)
	// A task that stays open (its charge step fails for good and the task holds for an
	// operator), so that the update reaches the workflow and the workflow refuses the step.
	open := decodeResult(t, w.tasker(t, "start", "examples/doomed", "--json"))
	require.NotEmpty(t, open.WorkflowID)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown template", []string{"start", "examples/nope"}, "examples/nope"},
		{"bad template reference", []string{"start", "diamond"}, "want NAMESPACE/NAME[@VERSION]"},
		{"context not JSON", []string{"start", "examples/diamond", "--context", "{number: 3"}, "--context: the task context must be a JSON object"},
		{"context file missing", []string{"start", "examples/diamond", "--context", "@/nonexistent.json"}, "/nonexistent.json"},
		{"context against the schema", []string{"start", "examples/diamond", "--context", `{"number": "x"}`}, "number"},
		{"unknown task", []string{"status", "no-such-task"}, `no task with workflow ID "no-such-task"`},
		{"unknown step", []string{"retry", open.WorkflowID, "no-such-step"}, `unknown step "no-such-step" in task examples/doomed@1.0.0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, err := runTasker(w.address, tt.args...)
			require.Error(t, err)
			assert.Contains(t, errOut, tt.want)
			assert.True(t, strings.HasPrefix(errOut, "tasker: "), errOut)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line: %q", errOut)
		})
	}
	_, errOut, err := runTasker("127.0.0.1:1", "status", "x")
	require.Error(t, err)
	assert.Contains(t, errOut, "cannot reach Temporal at 127.0.0.1:1")
}
