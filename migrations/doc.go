// Package migrations makes a PostgreSQL database usable by the compat mirror: it creates the Tasker
// Rails engine's tasker_* schema (tables, sequences, indexes, foreign keys) plus our one bookkeeping
// table tasker_temporal_mirror in a database no Rails app created, and it recognises a database a
// Rails app created and then issues no DDL at all.
//
// It owns schema creation only. It must not read or write task data (package compat does), and it
// must never alter a Rails-created schema unless the caller opts in (Options.AllowExtras), and even
// then only by adding tasker_temporal_mirror.
//
// # Detection
//
// The schema counts as Rails-created when tasker_tasks exists but our version table
// tasker_temporal_schema_version does not. Detection and migration run under a session advisory
// lock, so workers starting together on an empty database do not race.
//
// # Why jackc/tern
//
// The migrations are embedded SQL files (go:embed) run by github.com/jackc/tern/v2/migrate, chosen
// over pressly/goose and golang-migrate because:
//   - it is built on pgx/v5 by pgx's author: it runs on a connection taken from our pgxpool, with
//     no database/sql layer and no second driver;
//   - its version table name is ours to choose (tasker_temporal_schema_version). golang-migrate's
//     default table is schema_migrations, the very table Rails keeps its own versions in;
//   - each migration runs in its own transaction and migrations are serialised by an advisory
//     lock, which is what several workers starting at once need;
//   - it is small: a version table with one row and forward-only SQL files suit a schema that
//     mirrors someone else's and changes rarely.
//
// tern evaluates migration files as text/template, so the SQL files must not contain "{{".
//
// # Tasker's SQL surface
//
// Migration 003 creates the functions and the view the Tasker Rails engine ships
// (get_step_readiness_status[_batch], get_task_execution_context[s_batch],
// calculate_dependency_levels, get_analytics_metrics_v01, get_slowest_steps_v01,
// get_slowest_tasks_v01, get_system_health_counts_v01, tasker_step_dag_relationships) with the
// engine's signatures and results, from sql/surface/tasker_sql_surface.sql (SurfaceSQL), which
// migration files include as a tern template; a migration that changes a definition edits that file
// and includes it again in a new numbered file. They are never installed into a Rails-created
// database, which has the engine's own (docs/compat.md §5).
package migrations
