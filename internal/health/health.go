// Package health holds the readiness and liveness checks of Tasker's long-running processes (the
// worker, the bridge): Temporal reachable, this process's pollers seen by the server, the mirror's
// database (or a bridge's job backend) reachable; and an HTTP handler that serves them as
// /health/live and /health/ready in JSON.
//
// It owns the checks and their report only; it must not start or stop anything, and it reads
// Temporal through the client it is given.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	sdkclient "go.temporal.io/sdk/client"
)

// Check is one named check; it returns nil when healthy.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Checker runs a process's checks: Live ones (is the process itself working) and Ready ones (can
// it do its job now: dependencies reachable).
type Checker struct {
	// Timeout bounds each check; default 3s.
	Timeout time.Duration
	Live    []Check
	Ready   []Check
}

// Result is one check's outcome.
type Result struct {
	Name     string  `json:"name"`
	OK       bool    `json:"ok"`
	Error    string  `json:"error,omitempty"`
	Duration float64 `json:"duration_ms"`
}

// Report is what the endpoints return: OK when every check passed.
type Report struct {
	OK     bool     `json:"ok"`
	Checks []Result `json:"checks"`
}

// Failed names the failed checks and why, one per line segment: "temporal: …; mirror: …".
func (r Report) Failed() string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name+": "+c.Error)
		}
	}
	return strings.Join(out, "; ")
}

// RunLive runs the liveness checks.
func (c *Checker) RunLive(ctx context.Context) Report { return c.run(ctx, c.Live) }

// RunReady runs the liveness and the readiness checks: a process that is not live is not ready.
func (c *Checker) RunReady(ctx context.Context) Report {
	return c.run(ctx, append(append([]Check{}, c.Live...), c.Ready...))
}

func (c *Checker) run(ctx context.Context, checks []Check) Report {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	results := make([]Result, len(checks))
	var wg sync.WaitGroup
	for i, chk := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			start := time.Now()
			err := chk.Run(cctx)
			results[i] = Result{Name: chk.Name, OK: err == nil, Duration: float64(time.Since(start).Microseconds()) / 1000}
			if err != nil {
				results[i].Error = err.Error()
			}
		}()
	}
	wg.Wait()
	rep := Report{OK: true, Checks: results}
	for _, r := range results {
		rep.OK = rep.OK && r.OK
	}
	return rep
}

// Handler serves GET /health/live and /health/ready: 200 and the report when OK, else 503.
func (c *Checker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/live", func(w http.ResponseWriter, r *http.Request) { write(w, c.RunLive(r.Context())) })
	mux.HandleFunc("GET /health/ready", func(w http.ResponseWriter, r *http.Request) { write(w, c.RunReady(r.Context())) })
	return mux
}

func write(w http.ResponseWriter, rep Report) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !rep.OK {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(rep)
}

// Temporal checks the frontend answers (the SDK's health check).
func Temporal(c sdkclient.Client) Check {
	return Check{Name: "temporal", Run: func(ctx context.Context) error {
		if _, err := c.CheckHealth(ctx, &sdkclient.CheckHealthRequest{}); err != nil {
			return fmt.Errorf("frontend unreachable: %w", err)
		}
		return nil
	}}
}

// PollFreshness is how recently the server must have seen a poll from this process for Pollers
// to pass: longer than one long poll (about a minute), so an idle but healthy poller passes.
const PollFreshness = 90 * time.Second

// Pollers checks that the server has seen a workflow or activity poll from identity on every one
// of queues within PollFreshness: the worker's pollers are running and reach Temporal.
func Pollers(c sdkclient.Client, namespace, identity string, queues []string) Check {
	return Check{Name: "pollers", Run: func(ctx context.Context) error {
		var missing []string
		for _, q := range queues {
			ok, err := polledBy(ctx, c, namespace, q, identity)
			if err != nil {
				return fmt.Errorf("describe task queue %s: %w", q, err)
			}
			if !ok {
				missing = append(missing, q)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return fmt.Errorf("no recent poll from %s on task queue(s) %s", identity, strings.Join(missing, ", "))
		}
		return nil
	}}
}

func polledBy(ctx context.Context, c sdkclient.Client, namespace, queue, identity string) (bool, error) {
	for _, typ := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_ACTIVITY, enumspb.TASK_QUEUE_TYPE_WORKFLOW} {
		resp, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace: namespace, TaskQueue: &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}, TaskQueueType: typ,
		})
		if err != nil {
			return false, err
		}
		for _, p := range resp.GetPollers() {
			if p.GetIdentity() == identity && time.Since(p.GetLastAccessTime().AsTime()) < PollFreshness {
				return true, nil
			}
		}
	}
	return false, nil
}

// Pinger is what Database needs: pgxpool.Pool and redis clients have it (redis via a wrapper).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Database checks a database answers; name is e.g. "mirror".
func Database(name string, db Pinger) Check {
	return Check{Name: name, Run: func(ctx context.Context) error {
		if db == nil {
			return errors.New("not configured")
		}
		if err := db.Ping(ctx); err != nil {
			return fmt.Errorf("unreachable: %w", err)
		}
		return nil
	}}
}

// Func adapts a plain function into a Check.
func Func(name string, f func(ctx context.Context) error) Check { return Check{Name: name, Run: f} }

// Worker is cmd/worker's checker (for its HTTP server's /health routes): live while the process
// answers; ready when Temporal is reachable, the server has seen this worker's pollers (identity,
// as set in the client options) on the orchestration queue and every step queue it serves, and
// the mirror's database answers. mirror nil (the mirror is off) leaves that check out.
func Worker(tc sdkclient.Client, namespace, identity string, queues []string, mirror Pinger) *Checker {
	c := &Checker{Ready: []Check{Temporal(tc), Pollers(tc, namespace, identity, queues)}}
	if mirror != nil {
		c.Ready = append(c.Ready, Database("mirror", mirror))
	}
	return c
}
