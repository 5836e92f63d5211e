package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	pgplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal/devserver"
	icluster "github.com/tasker-systems/tasker-temporal/internal/cluster"
	iconfig "github.com/tasker-systems/tasker-temporal/internal/config"
)

const clusterName = "active"

func serveCommand() *cobra.Command {
	var topoFile, service, logFormat, logLevel string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run one Temporal service (frontend, history, matching or worker) of the topology",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			topo, err := icluster.ReadTopology(topoFile)
			if err != nil {
				return err
			}
			if !knownService(service) {
				return fmt.Errorf("--service %q: want one of %v", service, icluster.Services)
			}
			logger, err := iconfig.Logger(logFormat, logLevel)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, topo, service, logger)
		},
	}
	cmd.Flags().StringVar(&topoFile, "topology", "", "the topology file (JSON, written by internal/cluster)")
	cmd.Flags().StringVar(&service, "service", "", "frontend, history, matching or worker")
	cmd.Flags().StringVar(&logFormat, "log-format", "json", "console or json")
	cmd.Flags().StringVar(&logLevel, "log-level", "warn", "debug, info, warn or error")
	_ = cmd.MarkFlagRequired("topology")
	_ = cmd.MarkFlagRequired("service")
	return cmd
}

func knownService(s string) bool {
	for _, k := range icluster.Services {
		if s == k {
			return true
		}
	}
	return false
}

func serve(ctx context.Context, topo *icluster.Topology, service string, logger *zap.Logger) error {
	srv, err := temporal.NewServer(
		temporal.WithConfig(serverConfig(topo)),
		temporal.ForServices([]string{service}),
		temporal.WithStaticHosts(staticHosts(topo)),
		temporal.WithLogger(tlog.NewZapLogger(logger.Named(service))),
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return authorization.NewNoopClaimMapper() }),
		temporal.WithDynamicConfigClient(dynamicConfig(topo.DynamicConfig)),
	)
	if err != nil {
		return fmt.Errorf("create Temporal %s: %w", service, err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start Temporal %s on %s: %w", service, topo.Address(service), err)
	}
	// The launcher waits for this line.
	fmt.Printf("SERVING %s %s\n", service, topo.Address(service))
	<-ctx.Done()
	done := make(chan error, 1)
	go func() { done <- srv.Stop() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		return fmt.Errorf("temporal %s did not stop within 20s", service)
	}
}

// dynamicConfig is the embedded server's low-latency set (devserver.LowLatency) with the
// topology's overrides on top: both topologies are tuned alike.
func dynamicConfig(overrides map[string]any) dynamicconfig.StaticClient {
	dc := dynamicconfig.StaticClient{}
	for k, v := range devserver.LowLatency() {
		dc[dynamicconfig.MakeKey(k)] = v
	}
	for k, v := range overrides {
		dc[dynamicconfig.MakeKey(k)] = v
	}
	return dc
}

// sqlConfig is one of the topology's two PostgreSQL databases.
func sqlConfig(pg icluster.Postgres, database string) *config.SQL {
	return &config.SQL{
		PluginName:      pgplugin.PluginName,
		DatabaseName:    database,
		ConnectAddr:     net.JoinHostPort(pg.Host, strconv.Itoa(pg.Port)),
		ConnectProtocol: "tcp",
		User:            pg.User,
		Password:        pg.Password,
		MaxConns:        20,
		MaxIdleConns:    20,
		MaxConnLifetime: time.Hour,
	}
}

func serverConfig(topo *icluster.Topology) *config.Config {
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = topo.IP
	if topo.TLS != nil {
		conf.Global.TLS = rootTLS(topo)
	}
	conf.Persistence.DefaultStore = "default"
	conf.Persistence.VisibilityStore = "visibility"
	conf.Persistence.NumHistoryShards = int32(topo.Shards)
	conf.Persistence.DataStores = map[string]config.DataStore{
		"default":    {SQL: sqlConfig(topo.Postgres, topo.Postgres.Database)},
		"visibility": {SQL: sqlConfig(topo.Postgres, topo.Postgres.Visibility)},
	}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             topo.FrontendAddress(),
				HTTPAddress:            topo.Address("frontend-http"),
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{}
	for _, s := range icluster.Services {
		var svc config.Service
		svc.RPC.GRPCPort = topo.Ports[s]
		svc.RPC.BindOnIP = topo.IP
		if s == "frontend" {
			svc.RPC.HTTPPort = topo.Ports["frontend-http"]
		}
		conf.Services[s] = svc
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = topo.FrontendAddress()
	return &conf
}

// rootTLS: the frontend serves TLS (mTLS when required); the system worker dials it with the
// client certificate. Internode traffic (history, matching) stays on the loopback in plaintext.
func rootTLS(topo *icluster.Topology) config.RootTLS {
	t := topo.TLS
	client := config.ClientTLS{RootCAFiles: []string{t.CA}, ServerName: topo.IP}
	var root config.RootTLS
	root.Frontend.Server = config.ServerTLS{
		CertFile: t.ServerCert, KeyFile: t.ServerKey,
		RequireClientAuth: t.RequireClientCert,
	}
	if t.RequireClientCert {
		root.Frontend.Server.ClientCAFiles = []string{t.CA}
	}
	root.Frontend.Client = client
	root.SystemWorker = config.WorkerTLS{CertFile: t.ClientCert, KeyFile: t.ClientKey, Client: client}
	return root
}

func staticHosts(topo *icluster.Topology) map[primitives.ServiceName]static.Hosts {
	hosts := map[primitives.ServiceName]static.Hosts{}
	for _, s := range icluster.Services {
		hosts[primitives.ServiceName(s)] = static.SingleLocalHost(topo.Address(s))
	}
	return hosts
}
