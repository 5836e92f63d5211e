// Package devserver runs the real Temporal server (go.temporal.io/server) embedded in this process,
// on SQLite, with the Temporal Web UI (ui-server) beside it: the single-node default behind
// `make run` and the tests.
//
// It owns starting and stopping that server, its namespace and Tasker's search attributes. It must
// not know anything about Tasker tasks or workflows beyond those attribute names.
package devserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/worker"
)

// Defaults for the single-node development server.
const (
	DefaultIP     = "127.0.0.1"
	DefaultPort   = 7233
	DefaultUIPort = 8233
	clusterName   = "active"
)

// SearchAttributes are the custom search attributes every Tasker workflow upserts (DESIGN §4.2):
// the worker's own list, created here with the namespace.
var SearchAttributes = worker.SearchAttributes

// Options configure the embedded server. The zero value is usable: 127.0.0.1:7233, UI on 8233,
// namespace "default", in-memory SQLite.
type Options struct {
	IP        string
	Port      int // 0 = DefaultPort; -1 = any free port
	UIPort    int // 0 = DefaultUIPort; -1 = any free port
	NoUI      bool
	Namespace string
	// DBFile keeps history in a SQLite file so tasks survive a restart; empty = in memory.
	DBFile string
	Logger *zap.Logger
	// DynamicConfig overrides or adds server dynamic config values by key.
	DynamicConfig map[string]any
	// Stock leaves out LowLatency: Temporal's own defaults, the baseline of the benchmarks.
	Stock bool
}

// Server is a running embedded Temporal server.
type Server struct {
	server    temporal.Server
	ui        *uiserver.Server
	address   string
	uiURL     string
	namespace string
}

// Start starts the server and, unless NoUI, the UI. It returns once the frontend accepts calls.
func Start(opts Options) (*Server, error) {
	opts = withDefaults(opts)
	ports, err := allocatePorts(opts)
	if err != nil {
		return nil, err
	}
	sqlConf, err := sqlConfig(opts)
	if err != nil {
		return nil, err
	}
	conf := serverConfig(opts, ports, sqlConf)
	logger := tlog.NewZapLogger(opts.Logger.WithOptions(zap.IncreaseLevel(zap.WarnLevel)).Named("temporal"))
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(staticHosts(opts.IP, ports)),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return authorization.NewNoopClaimMapper() }),
		temporal.WithDynamicConfigClient(dynamicConfig(opts.Stock, opts.DynamicConfig)),
	)
	if err != nil {
		return nil, fmt.Errorf("create embedded Temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start embedded Temporal server on %s: %w", ports.frontendAddr(opts.IP), err)
	}
	s := &Server{server: srv, address: ports.frontendAddr(opts.IP), namespace: opts.Namespace}
	if !opts.NoUI {
		s.ui, s.uiURL = startUI(opts, ports, opts.Logger)
	}
	return s, nil
}

// Address is the frontend's host:port, for client.Dial.
func (s *Server) Address() string { return s.address }

// UIURL is the Web UI's base URL, or "" without a UI.
func (s *Server) UIURL() string { return s.uiURL }

// Namespace is the namespace the server was started with.
func (s *Server) Namespace() string { return s.namespace }

// Stop stops the UI and the server.
func (s *Server) Stop() {
	if s.ui != nil {
		s.ui.Stop()
	}
	if err := s.server.Stop(); err != nil {
		// Stop errors only report services that failed to shut down; nothing is left to do.
		_ = err
	}
}

func withDefaults(opts Options) Options {
	if opts.IP == "" {
		opts.IP = DefaultIP
	}
	if opts.Port == 0 {
		opts.Port = DefaultPort
	}
	if opts.UIPort == 0 {
		opts.UIPort = DefaultUIPort
	}
	if opts.Namespace == "" {
		opts.Namespace = tasker.DefaultNamespace
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	return opts
}

type portSet struct {
	frontend, frontendHTTP, history, matching, worker, ui int
}

func (p portSet) frontendAddr(ip string) string {
	return net.JoinHostPort(ip, strconv.Itoa(p.frontend))
}

func allocatePorts(opts Options) (portSet, error) {
	var p portSet
	var err error
	if p.frontend, err = pickPort(opts.IP, opts.Port, "frontend"); err != nil {
		return p, err
	}
	if !opts.NoUI {
		if p.ui, err = pickPort(opts.IP, opts.UIPort, "UI"); err != nil {
			return p, err
		}
	}
	for _, dst := range []*int{&p.frontendHTTP, &p.history, &p.matching, &p.worker} {
		if *dst, err = pickPort(opts.IP, -1, "internal service"); err != nil {
			return p, err
		}
	}
	return p, nil
}

// pickPort returns want after checking it is free, or any free port when want is -1.
func pickPort(ip string, want int, what string) (int, error) {
	if want < 0 {
		want = 0
	}
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(want)))
	if err != nil {
		return 0, fmt.Errorf("%s port %s:%d is not free: %w", what, ip, want, err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func sqlConfig(opts Options) (*config.SQL, error) {
	conf := &config.SQL{PluginName: sqliteplugin.PluginName}
	if opts.DBFile == "" {
		// The sqlite plugin creates the schema itself for an in-memory database.
		conf.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		conf.DatabaseName = "tasker-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	} else {
		// The plugin passes every attribute it does not know as a pragma, under its own name:
		// "journal_mode", not the "_journal_mode" of other drivers (which it would forward as an
		// unknown pragma, leaving the file in rollback-journal mode at ~150 ms a step).
		conf.ConnectAttributes = FileAttributes()
		conf.DatabaseName = opts.DBFile
		if err := ensureSchemaFile(conf, opts.DBFile); err != nil {
			return nil, err
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", opts.Namespace, err)
	}
	if err := sqliteschema.CreateNamespaces(conf, ns); err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", opts.Namespace, err)
	}
	return conf, nil
}

func ensureSchemaFile(conf *config.SQL, file string) error {
	_, err := os.Stat(file)
	if err == nil {
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--db-file %s: %w", file, err)
	}
	if _, err := os.Stat(filepath.Dir(file)); err != nil {
		return fmt.Errorf("--db-file %s: directory: %w", file, err)
	}
	if err := sqliteschema.SetupSchema(conf); err != nil {
		return fmt.Errorf("--db-file %s: create schema: %w", file, err)
	}
	return nil
}

func serverConfig(opts Options, p portSet, sqlConf *config.SQL) *config.Config {
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = opts.IP
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConf}}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             p.frontendAddr(opts.IP),
				HTTPAddress:            net.JoinHostPort(opts.IP, strconv.Itoa(p.frontendHTTP)),
				ClusterID:              "3a7c2f0e-7a55-4b8e-9c1d-7461736b6572", // fixed: a --db-file keeps its cluster
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{
		"frontend": serviceConfig(opts.IP, p.frontend, p.frontendHTTP),
		"history":  serviceConfig(opts.IP, p.history, 0),
		"matching": serviceConfig(opts.IP, p.matching, 0),
		"worker":   serviceConfig(opts.IP, p.worker, 0),
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = p.frontendAddr(opts.IP)
	return &conf
}

func serviceConfig(ip string, grpcPort, httpPort int) config.Service {
	var s config.Service
	s.RPC.GRPCPort = grpcPort
	s.RPC.HTTPPort = httpPort
	s.RPC.BindOnIP = ip
	return s
}

func staticHosts(ip string, p portSet) map[primitives.ServiceName]static.Hosts {
	host := func(port int) static.Hosts { return static.SingleLocalHost(net.JoinHostPort(ip, strconv.Itoa(port))) }
	return map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: host(p.frontend),
		primitives.HistoryService:  host(p.history),
		primitives.MatchingService: host(p.matching),
		primitives.WorkerService:   host(p.worker),
	}
}

// FileAttributes are the SQLite connection attributes of a --db-file: write-ahead logging, and
// fsync at checkpoints rather than at every commit (a crash of the machine, not of the process,
// can lose the last commits; the file stays consistent).
func FileAttributes() map[string]string {
	return map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "normal"}
}

// LowLatency is the dynamic config that takes the server's own waits out of a step's path. Each
// key says why. A cluster of ours uses the same (see docs/deploy.md for which matter there).
func LowLatency() map[string]any {
	return map[string]any{
		// History's queue readers are rate-limited per shard (default 20 reads/s, burst 20). Every
		// sequential step needs two transfer-queue reads (dispatch the activity task, then the next
		// workflow task), so past the first burst each hop waited 39-50 ms: ~100 ms a step. The
		// timer reader serves retry backoff and timeouts, the visibility reader `tasker list` and
		// the UI's list, the outbound reader callbacks; all use the same rate-limited reader code.
		dynamicconfig.TransferProcessorMaxPollRPS.Key().String():   10000,
		dynamicconfig.TimerProcessorMaxPollRPS.Key().String():      10000,
		dynamicconfig.VisibilityProcessorMaxPollRPS.Key().String(): 10000,
		dynamicconfig.OutboundProcessorMaxPollRPS.Key().String():   10000,
		// One partition per task queue: on one node there is nothing to balance across, and a
		// poller then always meets its task (about 50% more activity throughput here than with
		// the default four).
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key().String():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key().String(): 1,
		// The CLI and the UI list tasks while a benchmark runs; the default visibility rate would
		// refuse them.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key().String(): 1000,
		// Keep every open task's mutable state in memory: a cache miss reloads it from SQLite.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key().String(): 8192,
	}
}

// dynamicConfig is LowLatency (unless stock) with the caller's overrides on top.
func dynamicConfig(stock bool, overrides map[string]any) dynamicconfig.StaticClient {
	dc := dynamicconfig.StaticClient{}
	if !stock {
		for k, v := range LowLatency() {
			dc[dynamicconfig.MakeKey(k)] = v
		}
	}
	for k, v := range overrides {
		dc[dynamicconfig.MakeKey(k)] = v
	}
	return dc
}

func startUI(opts Options, p portSet, logger *zap.Logger) (*uiserver.Server, string) {
	ui := uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                opts.IP,
		Port:                p.ui,
		TemporalGRPCAddress: p.frontendAddr(opts.IP),
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
		DisableNewsFetch:    true,
	}))
	go func() {
		if err := ui.Start(); err != nil {
			logger.Error("temporal UI stopped", zap.Error(err))
		}
	}()
	return ui, "http://" + net.JoinHostPort(opts.IP, strconv.Itoa(p.ui))
}
