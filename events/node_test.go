package events

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tasker "github.com/tasker-systems/tasker-temporal"
)

var nodeSubscriberDir = filepath.Join("testdata", "node-subscriber")

var npmOnce struct {
	sync.Once
	err error
}

// ensureNodeSubscriber installs the Node subscriber's locked dependencies once (npm ci) and fails
// the test loudly when node or npm is missing.
func ensureNodeSubscriber(tb testing.TB) {
	tb.Helper()
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			tb.Fatalf("%s (v20+) must be installed for the cross-language event tests: %v", bin, err)
		}
	}
	npmOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(nodeSubscriberDir, "node_modules", "nats", "package.json")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = nodeSubscriberDir
		if out, err := cmd.CombinedOutput(); err != nil {
			npmOnce.err = fmt.Errorf("npm ci in %s: %v\n%s", nodeSubscriberDir, err, out)
		}
	})
	if npmOnce.err != nil {
		tb.Fatal(npmOnce.err)
	}
}

// nodeLine is one line of the subscriber's stdout protocol.
type nodeLine struct {
	Ready      bool   `json:"ready"`
	Done       bool   `json:"done"`
	Error      string `json:"error"`
	Count      int    `json:"count"`
	Duplicates int    `json:"duplicates"`
	ElapsedMS  int64  `json:"elapsed_ms"`
	Events     []struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Seq        int64  `json:"seq"`
		WorkflowID string `json:"workflow_id"`
	} `json:"events"`
}

type nodeSubscriber struct {
	cmd    *exec.Cmd
	lines  chan []byte // stdout lines; closed at EOF
	stderr *syncBuffer
}

// nodeLineTimeout bounds every wait for the subscriber, so a stuck Node process fails the test
// instead of hanging it.
const nodeLineTimeout = 90 * time.Second

// startNodeSubscriber spawns the subscriber and waits until its consumer is ready.
func startNodeSubscriber(tb testing.TB, cfg NATSConfig, subject string, expect int, extra ...string) *nodeSubscriber {
	tb.Helper()
	ensureNodeSubscriber(tb)
	args := append([]string{"subscriber.js", "--url", natsURL, "--stream", cfg.Stream, "--subject", subject,
		"--expect", strconv.Itoa(expect), "--timeout-ms", "60000"}, extra...)
	cmd := exec.Command("node", args...)
	cmd.Dir = nodeSubscriberDir
	stdout, err := cmd.StdoutPipe()
	require.NoError(tb, err)
	ns := &nodeSubscriber{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = ns.stderr
	require.NoError(tb, cmd.Start())
	tb.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	ns.lines = make(chan []byte, 16)
	go func() {
		defer close(ns.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		for sc.Scan() {
			ns.lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()
	if l := ns.next(tb); !l.Ready {
		tb.Fatalf("node subscriber did not start: %+v; stderr: %s", l, ns.stderr)
	}
	return ns
}

func (ns *nodeSubscriber) next(tb testing.TB) nodeLine {
	tb.Helper()
	var line []byte
	select {
	case l, ok := <-ns.lines:
		if !ok {
			_ = ns.cmd.Wait()
			tb.Fatalf("node subscriber exited (%v) without a result; stderr: %s", ns.cmd.ProcessState, ns.stderr)
		}
		line = l
	case <-time.After(nodeLineTimeout):
		tb.Fatalf("node subscriber said nothing for %s; stderr: %s", nodeLineTimeout, ns.stderr)
	}
	var l nodeLine
	if err := json.Unmarshal(line, &l); err != nil {
		tb.Fatalf("node subscriber printed %q: %v", line, err)
	}
	if l.Error != "" {
		tb.Fatalf("node subscriber failed: %s; stderr: %s", l.Error, ns.stderr)
	}
	return l
}

// result waits for the subscriber's final line and its exit.
func (ns *nodeSubscriber) result(tb testing.TB) nodeLine {
	tb.Helper()
	l := ns.next(tb)
	require.True(tb, l.Done, "last line is the result")
	for range ns.lines { // read stdout to its end before Wait
	}
	if err := ns.cmd.Wait(); err != nil {
		tb.Fatalf("node subscriber: %v; stderr: %s", err, ns.stderr)
	}
	return l
}

type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// interleavedTasks is the events of several diamond tasks whose transitions interleave, as
// concurrent tasks' do, each task's own events staying in order.
func interleavedTasks(workflows ...string) []Event {
	per := make([][]tasker.Transition, len(workflows))
	for i, wf := range workflows {
		per[i] = diamondTransitions(wf)
	}
	var out []Event
	for k := 0; k < len(per[0]); k++ {
		for i := range per {
			out = append(out, FromTransition(per[i][k], testTask)...)
		}
	}
	return out
}

func TestNodeSubscriberReceivesEveryEventInOrder(t *testing.T) {
	cfg := testStream(t)
	workflows := []string{"wf-node-1", "wf-node-2", "wf-node-3"}
	all := interleavedTasks(workflows...)
	var second []Event
	for _, ev := range all {
		if ev.WorkflowID == "wf-node-2" {
			second = append(second, ev)
		}
	}
	tests := []struct {
		name    string
		subject func() (string, error)
		want    []Event
	}{
		{"one task", func() (string, error) { return SubjectFilter(cfg.SubjectPrefix, ">", "wf-node-2") }, second},
		{"every task", func() (string, error) { return SubjectFilter(cfg.SubjectPrefix, ">", "") }, all},
	}
	p := newNATSPublisher(t, cfg) // creates the stream the subscribers read
	subs := make([]*nodeSubscriber, len(tests))
	for i, tc := range tests {
		subject, err := tc.subject()
		require.NoError(t, err)
		expected := filepath.Join(t.TempDir(), "expected.json")
		data, err := json.Marshal(ids(tc.want))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(expected, data, 0o600))
		subs[i] = startNodeSubscriber(t, cfg, subject, len(tc.want), "--expected", expected, "--list")
	}

	require.NoError(t, p.Publish(context.Background(), all...))
	// A replayed publish (a recorder retry) of the first task: same IDs, stored once.
	require.NoError(t, p.Publish(context.Background(), all[:10]...))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, p.Close(ctx))

	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := subs[i].result(t)
			assert.Equal(t, len(tc.want), res.Count)
			gotIDs := make([]string, len(res.Events))
			gotNames := make([]string, len(res.Events))
			for j, ev := range res.Events {
				gotIDs[j], gotNames[j] = ev.ID, ev.Name
			}
			assert.Equal(t, ids(tc.want), gotIDs, "exactly the task's events, in order")
			assert.Equal(t, names(tc.want), gotNames)
		})
	}
	assert.Equal(t, uint64(len(all)), streamMessages(t, cfg.Stream))
}
