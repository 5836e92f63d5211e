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
// # Opt-in SQL functions
//
// functions/execution_context.sql (ExecutionContextSQL) defines get_step_readiness_status and
// get_task_execution_context with the meaning of Tasker's functions (TASKER-REFERENCE §3). They are
// installed only on request (Options.InstallFunctions or InstallFunctions) and never into a
// Rails-created database, which has Tasker's own.
package migrations
