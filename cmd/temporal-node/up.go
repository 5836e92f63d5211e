package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	icluster "github.com/tasker-systems/tasker-temporal/internal/cluster"
)

func upCommand() *cobra.Command {
	var opts icluster.Options
	var workers int
	var databaseURL, templates, bridgeConfig string
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the whole cluster topology in the foreground (Temporal services, workers, a bridge); Ctrl-C stops it and drops its databases",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if opts.BinDir == "" {
				self, err := os.Executable()
				if err != nil {
					return fmt.Errorf("--bin-dir: %w", err)
				}
				opts.BinDir = filepath.Dir(self)
			}
			opts.Log = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
			c, err := icluster.Start(ctx, opts)
			if err != nil {
				return err
			}
			defer c.Stop()
			var env []string
			if databaseURL != "" {
				env = append(env, "DATABASE_URL="+databaseURL)
			}
			if templates != "" {
				env = append(env, "TASKER_TEMPLATES="+templates)
			}
			for i := 1; i <= workers; i++ {
				if _, err := c.StartWorker(ctx, fmt.Sprintf("worker-%d", i), env); err != nil {
					return err
				}
			}
			if bridgeConfig != "" {
				if _, err := c.StartBridge(ctx, "bridge", nil, "--config", bridgeConfig); err != nil {
					return err
				}
			}
			// What scripts/with-cluster.sh reads.
			for _, kv := range c.ClientEnv() {
				fmt.Println(kv)
			}
			fmt.Println("CLUSTER_DIR=" + c.Dir())
			fmt.Fprintf(os.Stderr, "cluster up (logs in %s): %s\n", c.Dir(), strings.Join(c.ClientEnv(), " "))
			<-ctx.Done()
			fmt.Fprintln(os.Stderr, "cluster stopping")
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.BinDir, "bin-dir", "", "where temporal-node, worker and bridge are (default: this binary's directory)")
	fs.StringVar(&opts.Dir, "dir", "", "working directory for the topology file, certificates and logs (default: a temp dir, removed at the end)")
	fs.StringVar(&opts.AdminURL, "postgres", icluster.DefaultAdminURL, "PostgreSQL server for the cluster's two throwaway databases")
	fs.IntVar(&opts.Shards, "shards", icluster.DefaultShards, "history shards")
	fs.StringVar(&opts.Namespace, "namespace", "default", "namespace to register")
	fs.BoolVar(&opts.TLS, "tls", false, "the frontend serves TLS with certificates made for this run")
	fs.BoolVar(&opts.MutualTLS, "mtls", false, "the frontend requires client certificates (implies --tls)")
	fs.BoolVar(&opts.SyncCommit, "sync-commit", false, "keep PostgreSQL's synchronous_commit on the cluster's databases (default off: they are throwaway)")
	fs.IntVar(&workers, "workers", 0, "cmd/worker processes to start")
	fs.StringVar(&databaseURL, "database-url", "", "DATABASE_URL for the workers (the compat mirror)")
	fs.StringVar(&templates, "templates", "", "TASKER_TEMPLATES for the workers")
	fs.StringVar(&bridgeConfig, "bridge-config", "", "start a cmd/bridge with this config")
	return cmd
}
