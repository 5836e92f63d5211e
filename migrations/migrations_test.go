package migrations_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
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

// The engine's SQL surface, as pg_get_function_arguments / pg_get_function_result print it for the
// engine's own functions (names, arguments with their defaults, result columns and types).
var taskerSurface = []string{
	"calculate_dependency_levels | input_task_id bigint | TABLE(workflow_step_id bigint, dependency_level integer)",
	"get_analytics_metrics_v01 | since_timestamp timestamp with time zone DEFAULT NULL::timestamp with time zone | TABLE(active_tasks_count bigint, total_namespaces_count bigint, unique_task_types_count bigint, system_health_score numeric, task_throughput bigint, completion_count bigint, error_count bigint, completion_rate numeric, error_rate numeric, avg_task_duration numeric, avg_step_duration numeric, step_throughput bigint, analysis_period_start timestamp with time zone, calculated_at timestamp with time zone)",
	"get_slowest_steps_v01 | since_timestamp timestamp with time zone DEFAULT NULL::timestamp with time zone, limit_count integer DEFAULT 10, namespace_filter text DEFAULT NULL::text, task_name_filter text DEFAULT NULL::text, version_filter text DEFAULT NULL::text | TABLE(workflow_step_id bigint, task_id bigint, step_name character varying, task_name character varying, namespace_name character varying, version character varying, duration_seconds numeric, attempts integer, created_at timestamp with time zone, completed_at timestamp with time zone, retryable boolean, step_status character varying)",
	"get_slowest_tasks_v01 | since_timestamp timestamp with time zone DEFAULT NULL::timestamp with time zone, limit_count integer DEFAULT 10, namespace_filter text DEFAULT NULL::text, task_name_filter text DEFAULT NULL::text, version_filter text DEFAULT NULL::text | TABLE(task_id bigint, task_name character varying, namespace_name character varying, version character varying, duration_seconds numeric, step_count bigint, completed_steps bigint, error_steps bigint, created_at timestamp with time zone, completed_at timestamp with time zone, initiator character varying, source_system character varying)",
	"get_step_readiness_status | input_task_id bigint, step_ids bigint[] DEFAULT NULL::bigint[] | TABLE(workflow_step_id bigint, task_id bigint, named_step_id integer, name text, current_state text, dependencies_satisfied boolean, retry_eligible boolean, ready_for_execution boolean, last_failure_at timestamp without time zone, next_retry_at timestamp without time zone, total_parents integer, completed_parents integer, attempts integer, retry_limit integer, backoff_request_seconds integer, last_attempted_at timestamp without time zone)",
	"get_step_readiness_status_batch | input_task_ids bigint[] | TABLE(workflow_step_id bigint, task_id bigint, named_step_id integer, name text, current_state text, dependencies_satisfied boolean, retry_eligible boolean, ready_for_execution boolean, last_failure_at timestamp without time zone, next_retry_at timestamp without time zone, total_parents integer, completed_parents integer, attempts integer, retry_limit integer, backoff_request_seconds integer, last_attempted_at timestamp without time zone)",
	"get_system_health_counts_v01 |  | TABLE(total_tasks bigint, pending_tasks bigint, in_progress_tasks bigint, complete_tasks bigint, error_tasks bigint, cancelled_tasks bigint, total_steps bigint, pending_steps bigint, in_progress_steps bigint, complete_steps bigint, error_steps bigint, retryable_error_steps bigint, exhausted_retry_steps bigint, in_backoff_steps bigint, active_connections bigint, max_connections bigint)",
	"get_task_execution_context | input_task_id bigint | TABLE(task_id bigint, named_task_id integer, status text, total_steps bigint, pending_steps bigint, in_progress_steps bigint, completed_steps bigint, failed_steps bigint, ready_steps bigint, execution_status text, recommended_action text, completion_percentage numeric, health_status text)",
	"get_task_execution_contexts_batch | input_task_ids bigint[] | TABLE(task_id bigint, named_task_id integer, status text, total_steps bigint, pending_steps bigint, in_progress_steps bigint, completed_steps bigint, failed_steps bigint, ready_steps bigint, execution_status text, recommended_action text, completion_percentage numeric, health_status text)",
}

const taskerDAGViewColumns = "workflow_step_id bigint, task_id bigint, named_step_id integer, parent_step_ids jsonb, " +
	"child_step_ids jsonb, parent_count bigint, child_count bigint, is_root_step boolean, is_leaf_step boolean, " +
	"min_depth_from_root integer"

// surface lists the public functions with their signatures, and the DAG view's columns.
func surface(t *testing.T, pool *pgxpool.Pool) ([]string, string) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT p.proname || ' | ' || pg_get_function_arguments(p.oid) || ' | ' || pg_get_function_result(p.oid)
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1`)
	require.NoError(t, err)
	fns, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	var view *string
	require.NoError(t, pool.QueryRow(ctx, `SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = to_regclass('tasker_step_dag_relationships') AND attnum > 0`).Scan(&view))
	if view == nil {
		return fns, ""
	}
	return fns, *view
}

func TestEnsureCreatesTaskerSQLSurface(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	_, err := migrations.Ensure(ctx, pool, migrations.Options{})
	require.NoError(t, err)
	fns, view := surface(t, pool)
	assert.Equal(t, taskerSurface, fns, "the engine's functions, signatures and result columns")
	assert.Equal(t, taskerDAGViewColumns, view)

	before := catalog(t, pool)
	require.NoError(t, migrations.InstallFunctions(ctx, pool))
	assert.Equal(t, before, catalog(t, pool), "re-installing changes nothing")

	rails := newPool(t)
	fixture, err := os.ReadFile("testdata/rails_schema.sql")
	require.NoError(t, err)
	_, err = rails.Exec(ctx, string(fixture))
	require.NoError(t, err)
	out, err := migrations.Ensure(ctx, rails, migrations.Options{InstallFunctions: true})
	require.NoError(t, err)
	assert.True(t, out.RailsSchemaFound)
	fns, _ = surface(t, rails)
	assert.Empty(t, fns, "none of ours in a Rails database (it has the engine's own)")
}
