// Command temporal-node runs one service of a multi-process Temporal cluster on PostgreSQL (the
// cluster topology of internal/cluster), built on the same go.temporal.io/server as the embedded
// dev server:
//
//	temporal-node schema  --topology FILE                 # create both databases and their schema (the server's own schema tool)
//	temporal-node serve   --topology FILE --service NAME  # frontend, history, matching or worker
//	temporal-node init    --topology FILE                 # register the namespace and search attributes
//	temporal-node up      [--workers N] [--tls]           # the whole topology in the foreground; prints TEMPORAL_ADDRESS=
//
// `up` is what scripts/with-cluster.sh runs; tests and benchmarks start the same topology through
// internal/cluster.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := command().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "temporal-node:", err)
		os.Exit(1)
	}
}

func command() *cobra.Command {
	root := &cobra.Command{
		Use:           "temporal-node",
		Short:         "One service of the Temporal cluster topology (PostgreSQL persistence), its schema, or the whole topology",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(schemaCommand(), serveCommand(), initCommand(), upCommand())
	return root
}
