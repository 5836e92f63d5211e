package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
	"go.uber.org/zap"

	icluster "github.com/tasker-systems/tasker-temporal/internal/cluster"
)

// The server's embedded schema directories for PostgreSQL (go.temporal.io/server/schema).
const (
	schemaTemporal   = "postgresql/v12/temporal"
	schemaVisibility = "postgresql/v12/visibility"
)

func schemaCommand() *cobra.Command {
	var topoFile string
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Create the topology's two databases (if missing) and bring their schema to this server version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			topo, err := icluster.ReadTopology(topoFile)
			if err != nil {
				return err
			}
			return setupSchemas(topo)
		},
	}
	cmd.Flags().StringVar(&topoFile, "topology", "", "the topology file (JSON, written by internal/cluster)")
	_ = cmd.MarkFlagRequired("topology")
	return cmd
}

func setupSchemas(topo *icluster.Topology) error {
	logger := tlog.NewZapLogger(zap.NewNop())
	for _, db := range []struct{ name, schema string }{
		{topo.Postgres.Database, schemaTemporal},
		{topo.Postgres.Visibility, schemaVisibility},
	} {
		if err := setupSchema(topo.Postgres, db.name, db.schema, logger); err != nil {
			return err
		}
	}
	return nil
}

// setupSchema is what temporal-sql-tool's create-database, setup-schema -v 0.0 and update-schema
// do, through the same packages: version tables first, then every versioned step of the schema.
func setupSchema(pg icluster.Postgres, database, schemaName string, logger tlog.Logger) error {
	if err := sqltool.DoCreateDatabase(sqlConfig(pg, database), "postgres", logger); err != nil && !isDuplicateDatabase(err) {
		return fmt.Errorf("create database %s: %w", database, err)
	}
	conn, err := sqltool.NewConnection(sqlConfig(pg, database), logger)
	if err != nil {
		return fmt.Errorf("connect to database %s: %w", database, err)
	}
	defer conn.Close()
	setup := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger)
	if err := setup.Run(); err != nil {
		return fmt.Errorf("database %s: set up schema version tables: %w", database, err)
	}
	update := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: database, SchemaName: schemaName}, logger)
	if err := update.Run(); err != nil {
		return fmt.Errorf("database %s: update schema %s: %w", database, schemaName, err)
	}
	return nil
}

func isDuplicateDatabase(err error) bool {
	return strings.Contains(err.Error(), "already exists") || strings.Contains(err.Error(), "42P04")
}
