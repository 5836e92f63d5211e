package bridge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// BullMQEnqueuer adds jobs through BullMQ's own Queue.add, run by a Node sidecar
// (bridge/shims/node/bullmq_sidecar.js) that it starts as a child process and talks to over
// stdin/stdout, one JSON line per job, answers matched by id. BullMQ keeps its jobs in Redis in a
// layout (hashes, wait list, markers, events stream, meta key) that its Lua scripts own and that
// changes between versions; adding through Queue.add keeps every job exactly what the installed
// BullMQ Worker accepts. A sidecar that dies fails its pending jobs and is restarted on the next
// enqueue.
type BullMQEnqueuer struct {
	redisURL string
	command  []string
	dir      string

	mu      sync.Mutex
	side    *sidecar
	nextID  int64
	closing bool
}

type sidecar struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	mu      sync.Mutex
	pending map[int64]chan error
	dead    chan struct{}
	err     error
}

type sidecarRequest struct {
	ID    int64    `json:"id"`
	Queue string   `json:"queue"`
	Name  string   `json:"name"`
	JobID string   `json:"job_id"`
	Data  Envelope `json:"data"`
}

type sidecarReply struct {
	ID    int64  `json:"id"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// NewBullMQEnqueuer returns an enqueuer whose sidecar runs command (e.g. [node,
// bridge/shims/node/bullmq_sidecar.js]) in dir ("" = the current directory) against redisURL.
func NewBullMQEnqueuer(redisURL string, command []string, dir string) (*BullMQEnqueuer, error) {
	if len(command) == 0 {
		return nil, errors.New("bullmq: empty sidecar command")
	}
	return &BullMQEnqueuer{redisURL: redisURL, command: command, dir: dir}, nil
}

// Enqueue implements Enqueuer.
func (e *BullMQEnqueuer) Enqueue(ctx context.Context, job Job) error {
	side, id, err := e.sidecar()
	if err != nil {
		return fmt.Errorf("bullmq: add %s to queue %q: %w", job.Route.Job, job.Route.Queue, err)
	}
	line, err := json.Marshal(sidecarRequest{ID: id, Queue: job.Route.Queue, Name: job.Route.Job, JobID: job.ID, Data: job.Envelope})
	if err != nil {
		return fmt.Errorf("bullmq: encode job %s: %w", job.Route.Job, err)
	}
	done := make(chan error, 1)
	if err := side.send(id, append(line, '\n'), done); err != nil {
		return fmt.Errorf("bullmq: add %s to queue %q: %w", job.Route.Job, job.Route.Queue, err)
	}
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("bullmq: add %s to queue %q: %w", job.Route.Job, job.Route.Queue, err)
		}
		return nil
	case <-ctx.Done():
		side.forget(id)
		return fmt.Errorf("bullmq: add %s to queue %q: no answer from the sidecar: %w", job.Route.Job, job.Route.Queue, ctx.Err())
	}
}

// sidecar returns the running sidecar, starting one if needed, and a fresh request id.
func (e *BullMQEnqueuer) sidecar() (*sidecar, int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closing {
		return nil, 0, errors.New("enqueuer closed")
	}
	e.nextID++
	if e.side != nil {
		select {
		case <-e.side.dead:
		default:
			return e.side, e.nextID, nil
		}
	}
	side, err := e.start()
	if err != nil {
		return nil, 0, err
	}
	e.side = side
	return side, e.nextID, nil
}

func (e *BullMQEnqueuer) start() (*sidecar, error) {
	cmd := exec.Command(e.command[0], e.command[1:]...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), "TASKER_BULLMQ_REDIS="+e.redisURL)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("sidecar stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("sidecar stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sidecar %v: %w", e.command, err)
	}
	s := &sidecar{cmd: cmd, stdin: stdin, pending: map[int64]chan error{}, dead: make(chan struct{})}
	go s.read(stdout)
	return s, nil
}

func (s *sidecar) send(id int64, line []byte, done chan error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.pending[id] = done
	if _, err := s.stdin.Write(line); err != nil {
		delete(s.pending, id)
		return fmt.Errorf("write to sidecar: %w", err)
	}
	return nil
}

func (s *sidecar) forget(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, id)
}

// read dispatches answers until the sidecar's stdout closes, then fails whatever is pending.
func (s *sidecar) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var r sidecarReply
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		s.mu.Lock()
		done, ok := s.pending[r.ID]
		delete(s.pending, r.ID)
		s.mu.Unlock()
		if !ok {
			continue
		}
		if r.OK {
			done <- nil
		} else {
			done <- errors.New(r.Error)
		}
	}
	err := s.cmd.Wait()
	s.mu.Lock()
	s.err = fmt.Errorf("sidecar exited: %v", err)
	for id, done := range s.pending {
		done <- s.err
		delete(s.pending, id)
	}
	s.mu.Unlock()
	close(s.dead)
}

// Close implements Enqueuer: it closes the sidecar's stdin and waits for it to exit.
func (e *BullMQEnqueuer) Close() error {
	e.mu.Lock()
	e.closing = true
	side := e.side
	e.mu.Unlock()
	if side == nil {
		return nil
	}
	_ = side.stdin.Close()
	<-side.dead
	return nil
}
