package cluster

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Defaults of Options.
const (
	DefaultShards   = 4
	DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

// Options configure Start.
type Options struct {
	// BinDir holds temporal-node, worker and bridge (as `make build` puts them in bin/).
	BinDir string
	// Dir is where the topology file, certificates and process logs go; default a temp dir,
	// removed by Stop.
	Dir string
	// AdminURL is the PostgreSQL server (and a database to connect to for CREATE/DROP DATABASE);
	// default DefaultAdminURL.
	AdminURL string
	IP       string // default 127.0.0.1
	// Namespace is registered at start-up with Tasker's search attributes; default "default".
	Namespace string
	Shards    int // default DefaultShards
	// TLS makes the frontend serve TLS with certificates made for this topology (see Certs);
	// MutualTLS also requires a client certificate signed by the same CA.
	TLS, MutualTLS bool
	DynamicConfig  map[string]any
	// SyncCommit keeps PostgreSQL's synchronous_commit on the cluster's databases. Off by default:
	// the databases are throwaway, and on a shared machine a commit's fsync dominates every
	// history write (a machine crash, not a process crash, could lose the last commits).
	SyncCommit bool
	// Log receives one line per life event (started, stopped); nil = silent.
	Log func(format string, args ...any)
}

// Cluster is a running topology.
type Cluster struct {
	Topology *Topology
	// Certs are the TLS files when Options.TLS is set.
	Certs *Certs

	opts    Options
	dir     string
	ownsDir bool
	mu      sync.Mutex
	nodes   []*Process
	others  []*Process
}

// Start creates the databases and their schema, starts the four Temporal services, registers the
// namespace and Tasker's search attributes, and returns once a workflow can be started.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, dir: opts.Dir}
	if c.dir == "" {
		if c.dir, err = os.MkdirTemp("", "tasker-cluster-"); err != nil {
			return nil, fmt.Errorf("cluster dir: %w", err)
		}
		c.ownsDir = true
	}
	if err := c.start(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func withDefaults(opts Options) (Options, error) {
	if opts.BinDir == "" {
		return opts, errors.New("cluster: Options.BinDir is required (where `make build` put temporal-node, worker, bridge)")
	}
	for _, bin := range []string{"temporal-node"} {
		if _, err := os.Stat(filepath.Join(opts.BinDir, bin)); err != nil {
			return opts, fmt.Errorf("cluster: %s: %w (run make build)", bin, err)
		}
	}
	if opts.AdminURL == "" {
		opts.AdminURL = DefaultAdminURL
	}
	if opts.IP == "" {
		opts.IP = "127.0.0.1"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Shards == 0 {
		opts.Shards = DefaultShards
	}
	if opts.MutualTLS {
		opts.TLS = true
	}
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
	return opts, nil
}

func (c *Cluster) start(ctx context.Context) error {
	topo, err := c.topology()
	if err != nil {
		return err
	}
	c.Topology = topo
	if c.opts.TLS {
		if c.Certs, err = MakeCerts(filepath.Join(c.dir, "certs"), c.opts.IP); err != nil {
			return err
		}
		topo.TLS = c.Certs.topologyTLS(c.opts.MutualTLS)
	}
	topoFile := filepath.Join(c.dir, "topology.json")
	if err := topo.Write(topoFile); err != nil {
		return err
	}
	node := filepath.Join(c.opts.BinDir, "temporal-node")
	if out, err := exec.CommandContext(ctx, node, "schema", "--topology", topoFile).CombinedOutput(); err != nil {
		return fmt.Errorf("cluster schema: %w: %s", err, strings.TrimSpace(string(out)))
	}
	if !c.opts.SyncCommit {
		for _, db := range []string{topo.Postgres.Database, topo.Postgres.Visibility} {
			if err := AsyncCommit(ctx, c.opts.AdminURL, db); err != nil {
				return err
			}
		}
	}
	c.opts.Log("cluster: databases %s and %s ready (%d history shards)", topo.Postgres.Database, topo.Postgres.Visibility, topo.Shards)
	for _, svc := range Services {
		p, err := c.spawn(ctx, svc, nil, node, "serve", "--topology", topoFile, "--service", svc)
		if err != nil {
			return err
		}
		c.nodes = append(c.nodes, p)
		if err := p.waitLine(ctx, "SERVING "+svc, 90*time.Second); err != nil {
			return err
		}
		c.opts.Log("cluster: %s serving on %s (pid %d)", svc, topo.Address(svc), p.Pid())
	}
	return c.registerNamespace(ctx)
}

func (c *Cluster) topology() (*Topology, error) {
	u, err := url.Parse(c.opts.AdminURL)
	if err != nil {
		return nil, fmt.Errorf("cluster: admin URL: %w", err)
	}
	port := 5432
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("cluster: admin URL port %q: %w", p, err)
		}
	}
	pw, _ := u.User.Password()
	name := "temporal_" + randomSuffix()
	t := &Topology{
		IP: c.opts.IP, Namespace: c.opts.Namespace, Shards: c.opts.Shards,
		Ports:         map[string]int{},
		Postgres:      Postgres{Host: u.Hostname(), Port: port, User: u.User.Username(), Password: pw, Database: name, Visibility: name + "_visibility"},
		DynamicConfig: c.opts.DynamicConfig,
	}
	for _, s := range append([]string{"frontend-http"}, Services...) {
		if t.Ports[s], err = freePort(c.opts.IP); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Address is the frontend's host:port (TEMPORAL_ADDRESS).
func (c *Cluster) Address() string { return c.Topology.FrontendAddress() }

// Dir is the cluster's working directory (logs, certificates, topology file).
func (c *Cluster) Dir() string { return c.dir }

// ClientEnv is the environment our processes need to reach the frontend: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE and, with TLS, TEMPORAL_TLS_CA (and the client certificate with mTLS).
func (c *Cluster) ClientEnv() []string {
	env := []string{"TEMPORAL_ADDRESS=" + c.Address(), "TEMPORAL_NAMESPACE=" + c.Topology.Namespace}
	if c.Certs != nil {
		env = append(env, "TEMPORAL_TLS_CA="+c.Certs.CA)
		if c.opts.MutualTLS {
			env = append(env, "TEMPORAL_TLS_CERT="+c.Certs.ClientCert, "TEMPORAL_TLS_KEY="+c.Certs.ClientKey)
		}
	}
	return env
}

// StartWorker starts one cmd/worker against the cluster with ClientEnv plus env (e.g.
// DATABASE_URL, TASKER_TEMPLATES) and args, and returns once it logs that it is ready.
func (c *Cluster) StartWorker(ctx context.Context, name string, env []string, args ...string) (*Process, error) {
	p, err := c.spawn(ctx, name, append(c.ClientEnv(), env...), filepath.Join(c.opts.BinDir, "worker"), args...)
	if err != nil {
		return nil, err
	}
	if err := p.waitLine(ctx, "worker ready", 60*time.Second); err != nil {
		return nil, err
	}
	c.opts.Log("cluster: %s ready (pid %d)", name, p.Pid())
	return p, nil
}

// StartBridge starts one cmd/bridge with ClientEnv plus env and args, and returns once it logs
// that it started.
func (c *Cluster) StartBridge(ctx context.Context, name string, env []string, args ...string) (*Process, error) {
	p, err := c.spawn(ctx, name, append(c.ClientEnv(), env...), filepath.Join(c.opts.BinDir, "bridge"), args...)
	if err != nil {
		return nil, err
	}
	if err := p.waitLine(ctx, "bridge started", 60*time.Second); err != nil {
		return nil, err
	}
	c.opts.Log("cluster: %s ready (pid %d)", name, p.Pid())
	return p, nil
}

// Stop stops workers and bridges (SIGTERM, then SIGKILL after 15s), then the Temporal services,
// drops the two databases and removes the working directory it made.
func (c *Cluster) Stop() {
	c.mu.Lock()
	others, nodes := c.others, c.nodes
	c.others, c.nodes = nil, nil
	c.mu.Unlock()
	stopAll(others)
	for i := len(nodes) - 1; i >= 0; i-- {
		nodes[i].Stop(15 * time.Second)
	}
	if c.Topology != nil {
		for _, db := range []string{c.Topology.Postgres.Database, c.Topology.Postgres.Visibility} {
			if err := dropDatabase(c.opts.AdminURL, db); err != nil {
				c.opts.Log("cluster: %v", err)
			}
		}
	}
	if c.ownsDir {
		_ = os.RemoveAll(c.dir)
	}
}

func stopAll(ps []*Process) {
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() { defer wg.Done(); p.Stop(15 * time.Second) }()
	}
	wg.Wait()
}

func (c *Cluster) spawn(ctx context.Context, name string, env []string, bin string, args ...string) (*Process, error) {
	logFile := filepath.Join(c.dir, name+".log")
	p, err := startProcess(name, logFile, env, bin, args...)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if !strings.HasPrefix(filepath.Base(bin), "temporal-node") {
		c.others = append(c.others, p)
	}
	c.mu.Unlock()
	return p, nil
}

func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("cluster: no free port on %s: %w", ip, err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomSuffix() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AsyncCommit turns synchronous_commit off for new connections to database name.
func AsyncCommit(ctx context.Context, admin, name string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("database %s: %w", name, err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" SET synchronous_commit = off"); err != nil {
		return fmt.Errorf("database %s: synchronous_commit off: %w", name, err)
	}
	return nil
}

func dropDatabase(admin, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// Process is one child process of the topology; its output goes to a log file in the cluster dir.
type Process struct {
	Name    string
	LogFile string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

func startProcess(name, logFile string, env []string, bin string, args ...string) (*Process, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, fmt.Errorf("%s: log file: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	p := &Process{Name: name, LogFile: logFile, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Kill sends SIGKILL (a crash: nothing drains) and waits for the process to exit.
func (p *Process) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Wait waits for the process to exit, up to timeout, and returns its exit error.
func (p *Process) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(timeout):
		return fmt.Errorf("%s (pid %d) still running after %s", p.Name, p.Pid(), timeout)
	}
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM and waits up to grace, then kills.
func (p *Process) Stop(grace time.Duration) {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.Kill()
	}
}

// Log returns the process's output so far.
func (p *Process) Log() string {
	raw, _ := os.ReadFile(p.LogFile)
	return string(raw)
}

// waitLine waits until the process's log holds want; it fails with the log's tail when the
// process exits first or the timeout passes.
func (p *Process) waitLine(ctx context.Context, want string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if strings.Contains(p.Log(), want) {
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("%s exited before %q: %v\n%s", p.Name, want, p.waitErr, tail(p.Log(), 20))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no %q within %s\n%s", p.Name, want, timeout, tail(p.Log(), 20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func tail(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// registerNamespace runs `temporal-node init`: the namespace, Tasker's search attributes, and a
// probe workflow that proves history accepts starts.
func (c *Cluster) registerNamespace(ctx context.Context) error {
	node := filepath.Join(c.opts.BinDir, "temporal-node")
	out, err := exec.CommandContext(ctx, node, "init", "--topology", filepath.Join(c.dir, "topology.json")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cluster init: %w: %s", err, strings.TrimSpace(string(out)))
	}
	c.opts.Log("cluster: namespace %s registered; frontend %s", c.Topology.Namespace, c.Address())
	return nil
}
