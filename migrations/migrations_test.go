package migrations_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal/migrations"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

var allMigrations = []string{"001_tasker_schema.sql", "002_temporal_mirror.sql", "003_tasker_sql_surface.sql"}

var railsTables = []string{
	"tasker_task_namespaces", "tasker_dependent_systems", "tasker_dependent_system_object_maps",
	"tasker_named_steps", "tasker_named_tasks", "tasker_named_tasks_named_steps", "tasker_tasks",
	"tasker_workflow_steps", "tasker_workflow_step_edges", "tasker_task_transitions",
	"tasker_workflow_step_transitions", "tasker_annotation_types", "tasker_task_annotations",
}

func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testsuite.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// loadRailsSchema creates the schema a Rails app would have created (testdata/rails_schema.sql)
// plus Tasker's SQL functions.
func loadRailsSchema(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	fixture, err := os.ReadFile("testdata/rails_schema.sql")
	require.NoError(t, err)
	ctx := context.Background()
	_, err = pool.Exec(ctx, string(fixture))
	require.NoError(t, err, "load testdata/rails_schema.sql")
	_, err = pool.Exec(ctx, migrations.SurfaceSQL)
	require.NoError(t, err)
}

// recordDDL installs an event trigger that logs every DDL command from now on; the returned
// function lists the command tags logged so far.
func recordDDL(t *testing.T, pool *pgxpool.Pool) func() []string {
	t.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
		CREATE TABLE test_ddl_log (id serial PRIMARY KEY, tag text NOT NULL);
		CREATE FUNCTION test_log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
		BEGIN INSERT INTO test_ddl_log (tag) VALUES (tg_tag); END $$;
		CREATE EVENT TRIGGER test_log_ddl ON ddl_command_start EXECUTE FUNCTION test_log_ddl();`)
	require.NoError(t, err)
	return func() []string {
		rows, err := pool.Query(ctx, "SELECT tag FROM test_ddl_log ORDER BY id")
		require.NoError(t, err)
		var tags []string
		for rows.Next() {
			var tag string
			require.NoError(t, rows.Scan(&tag))
			tags = append(tags, tag)
		}
		require.NoError(t, rows.Err())
		return tags
	}
}

// catalog summarises the public schema: relations, constraints and functions with their kinds.
func catalog(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT 'rel ' || c.relkind::text || ' ' || c.relname FROM pg_class c
		  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
		UNION ALL
		SELECT 'con ' || co.contype::text || ' ' || co.conname FROM pg_constraint co
		  JOIN pg_namespace n ON n.oid = co.connamespace WHERE n.nspname = 'public'
		UNION ALL
		SELECT 'fn ' || p.proname || ' ' || md5(p.prosrc) FROM pg_proc p
		  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
		ORDER BY 1`)
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestEnsureCreatesSchemaAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)

	first, err := migrations.Ensure(ctx, pool, migrations.Options{})
	require.NoError(t, err)
	assert.False(t, first.RailsSchemaFound)
	assert.Equal(t, allMigrations, first.Applied)
	before := catalog(t, pool)
	for _, table := range append(railsTables, migrations.MirrorTable) {
		assert.Contains(t, before, "rel r "+table)
	}

	ddl := recordDDL(t, pool)
	before = catalog(t, pool)
	second, err := migrations.Ensure(ctx, pool, migrations.Options{})
	require.NoError(t, err)
	assert.False(t, second.RailsSchemaFound)
	assert.Empty(t, second.Applied, "second run applies nothing")
	assert.Empty(t, ddl(), "second run issues no DDL")
	assert.Equal(t, before, catalog(t, pool))
}

func TestEnsureCreatesRailsShape(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	_, err := migrations.Ensure(ctx, pool, migrations.Options{})
	require.NoError(t, err)

	tests := []struct {
		name  string
		query string
		want  any
	}{
		{"foreign keys", `SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text LIKE 'tasker_%'`, int64(16)}, // 15 Rails + tasker_temporal_mirror → tasker_tasks
		{"task id sequence", `SELECT to_regclass('tasker_tasks_task_id_seq') IS NOT NULL`, true},
		{"step id sequence", `SELECT to_regclass('tasker_workflow_steps_workflow_step_id_seq') IS NOT NULL`, true},
		{"identity_hash unique", `SELECT indisunique FROM pg_index WHERE indexrelid = 'index_tasks_on_identity_hash'::regclass`, true},
		{"most_recent partial unique", `SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'index_step_transitions_parent_most_recent'::regclass`, "most_recent"},
		{"named task version default", `SELECT column_default FROM information_schema.columns WHERE table_name = 'tasker_named_tasks' AND column_name = 'version'`, "'0.1.0'::character varying"},
		{"retry_limit default", `SELECT column_default FROM information_schema.columns WHERE table_name = 'tasker_workflow_steps' AND column_name = 'retry_limit'`, "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got any
			require.NoError(t, pool.QueryRow(ctx, tt.query).Scan(&got))
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEnsureOnRailsSchemaIssuesNoDDL(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	loadRailsSchema(t, pool)
	ddl := recordDDL(t, pool)
	before := catalog(t, pool)

	for _, opts := range []migrations.Options{{}, {InstallFunctions: true}} {
		out, err := migrations.Ensure(ctx, pool, opts)
		require.NoError(t, err)
		assert.True(t, out.RailsSchemaFound)
		assert.Empty(t, out.Applied)
	}
	rails, err := migrations.RailsSchema(ctx, pool)
	require.NoError(t, err)
	assert.True(t, rails)
	assert.Empty(t, ddl(), "no DDL on a Rails-created schema")
	assert.Equal(t, before, catalog(t, pool), "catalog unchanged")

	// Opting in adds exactly the mirror table, once.
	out, err := migrations.Ensure(ctx, pool, migrations.Options{AllowExtras: true})
	require.NoError(t, err)
	assert.Equal(t, migrations.Outcome{RailsSchemaFound: true, Applied: []string{migrations.MirrorTable}}, out)
	assert.Equal(t, []string{"CREATE TABLE"}, ddl())
	out, err = migrations.Ensure(ctx, pool, migrations.Options{AllowExtras: true})
	require.NoError(t, err)
	assert.Empty(t, out.Applied)
	assert.Equal(t, []string{"CREATE TABLE"}, ddl(), "second opt-in issues no DDL")
	assert.Contains(t, catalog(t, pool), "rel r "+migrations.MirrorTable)
}

func TestInstallFunctions(t *testing.T) {
	ctx := context.Background()

	t.Run("refused on a Rails schema", func(t *testing.T) {
		pool := newPool(t)
		loadRailsSchema(t, pool)
		err := migrations.InstallFunctions(ctx, pool)
		assert.True(t, errors.Is(err, migrations.ErrRailsSchema), "got %v", err)
	})
	t.Run("refused before the tables exist", func(t *testing.T) {
		err := migrations.InstallFunctions(ctx, newPool(t))
		assert.ErrorContains(t, err, "run Ensure first")
	})
	t.Run("installed by Ensure and again by InstallFunctions", func(t *testing.T) {
		pool := newPool(t)
		out, err := migrations.Ensure(ctx, pool, migrations.Options{InstallFunctions: true})
		require.NoError(t, err)
		assert.Equal(t, append(allMigrations, migrations.FunctionsName), out.Applied)
		require.NoError(t, migrations.InstallFunctions(ctx, pool))
		var status string
		require.NoError(t, pool.QueryRow(ctx,
			"SELECT count(*)::text FROM get_task_execution_context(42)").Scan(&status))
		assert.Equal(t, "0", status, "no such task: no row")
	})
}

func TestEnsureConcurrentWorkers(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	const workers = 4
	outs := make([]migrations.Outcome, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { outs[i], errs[i] = migrations.Ensure(ctx, pool, migrations.Options{}) })
	}
	wg.Wait()
	var applied []string
	for i := range workers {
		require.NoError(t, errs[i])
		assert.False(t, outs[i].RailsSchemaFound)
		applied = append(applied, outs[i].Applied...)
	}
	assert.Equal(t, allMigrations, applied, "exactly one worker applied each migration once")
}
