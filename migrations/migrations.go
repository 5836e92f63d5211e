package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

//go:embed sql/*.sql sql/surface/*.sql
var migrationFiles embed.FS

// SurfaceSQL defines Tasker's SQL surface: get_step_readiness_status and its _batch form,
// get_task_execution_context and get_task_execution_contexts_batch, calculate_dependency_levels,
// get_analytics_metrics_v01, get_slowest_steps_v01, get_slowest_tasks_v01,
// get_system_health_counts_v01 and the tasker_step_dag_relationships view
// (sql/surface/tasker_sql_surface.sql). Migration 003 creates it; it is exported for users who
// apply SQL with their own tooling. Every statement is CREATE OR REPLACE.
//
//go:embed sql/surface/tasker_sql_surface.sql
var SurfaceSQL string

// ExecutionContextSQL is SurfaceSQL, under the name it had when it defined only the two
// execution-context functions; existing callers keep working.
var ExecutionContextSQL = SurfaceSQL

//go:embed sql/002_temporal_mirror.sql
var mirrorTableSQL string

// Names of the objects this package owns in the database.
const (
	// VersionTable is tern's version table; its presence marks a schema we created.
	VersionTable = "public.tasker_temporal_schema_version"
	// MirrorTable records the highest transition Seq applied per task (docs/compat.md).
	MirrorTable = "tasker_temporal_mirror"
	// FunctionsName is how Outcome.Applied names a re-installation of SurfaceSQL
	// (Options.InstallFunctions).
	FunctionsName = "surface/tasker_sql_surface.sql"
)

// lockKey is the session advisory lock that serialises detection and migration across workers
// (tern takes its own, different lock around each migration).
const lockKey int64 = 0x7461736b65725f6d // "tasker_m"

// ErrRailsSchema is returned by InstallFunctions on a database a Rails app created.
var ErrRailsSchema = errors.New("the tasker_* schema was created by a Rails app, which ships Tasker's own SQL functions")

// Options tunes Ensure.
type Options struct {
	// AllowExtras lets Ensure create tasker_temporal_mirror in a Rails-created database. Without it
	// Ensure issues no DDL there and the compat store derives applied transitions from the Rails
	// tables instead (docs/compat.md).
	AllowExtras bool
	// InstallFunctions re-installs SurfaceSQL after the migrations in a database we created
	// (migration 003 already creates it; this is for callers that want the current definitions
	// whatever the database's history). It is ignored for a Rails-created database, which has
	// Tasker's own functions.
	InstallFunctions bool
}

// Outcome says what Ensure found and did.
type Outcome struct {
	// RailsSchemaFound is true when a Rails app created the tasker_* schema.
	RailsSchemaFound bool
	// Applied names what this call created, in order: migration files, "tasker_temporal_mirror"
	// (Rails database with AllowExtras), FunctionsName. Empty when there was nothing to do.
	Applied []string
}

// schemaState is what detect reads from the catalog.
type schemaState struct {
	taskerTables bool // public.tasker_tasks exists
	ours         bool // our version table exists
	mirror       bool // public.tasker_temporal_mirror exists
}

func (s schemaState) railsCreated() bool { return s.taskerTables && !s.ours }

// Ensure makes the Rails schema usable: it creates it (with our mirror bookkeeping) when absent and
// brings a schema we created up to date; when a Rails app created it, it issues no DDL (unless
// opts.AllowExtras) and reports so. Running it again is harmless.
func Ensure(ctx context.Context, pool *pgxpool.Pool, opts Options) (Outcome, error) {
	var out Outcome
	err := withLock(ctx, pool, func(conn *pgx.Conn) error {
		state, err := detect(ctx, conn)
		if err != nil {
			return err
		}
		if state.railsCreated() {
			out.RailsSchemaFound = true
			out.Applied, err = ensureRails(ctx, conn, state, opts)
			return err
		}
		out.Applied, err = migrateUp(ctx, conn)
		if err != nil {
			return err
		}
		if !opts.InstallFunctions {
			return nil
		}
		if _, err := conn.Exec(ctx, SurfaceSQL); err != nil {
			return fmt.Errorf("install %s: %w", FunctionsName, err)
		}
		out.Applied = append(out.Applied, FunctionsName)
		return nil
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("ensure tasker schema: %w", err)
	}
	return out, nil
}

// InstallFunctions (re)installs SurfaceSQL into a database whose tasker_* schema we created. It
// refuses (ErrRailsSchema) on a Rails-created database.
func InstallFunctions(ctx context.Context, pool *pgxpool.Pool) error {
	return withLock(ctx, pool, func(conn *pgx.Conn) error {
		state, err := detect(ctx, conn)
		if err != nil {
			return err
		}
		if state.railsCreated() {
			return fmt.Errorf("install %s: %w", FunctionsName, ErrRailsSchema)
		}
		if !state.taskerTables {
			return fmt.Errorf("install %s: the tasker_* tables do not exist yet (run Ensure first)", FunctionsName)
		}
		if _, err := conn.Exec(ctx, SurfaceSQL); err != nil {
			return fmt.Errorf("install %s: %w", FunctionsName, err)
		}
		return nil
	})
}

// RailsSchema reports whether a Rails app created the tasker_* schema of the database.
func RailsSchema(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("detect tasker schema: %w", err)
	}
	defer conn.Release()
	state, err := detect(ctx, conn.Conn())
	return state.railsCreated(), err
}

func detect(ctx context.Context, conn *pgx.Conn) (schemaState, error) {
	var s schemaState
	err := conn.QueryRow(ctx, `SELECT to_regclass('public.tasker_tasks') IS NOT NULL,
		to_regclass($1) IS NOT NULL, to_regclass('public.tasker_temporal_mirror') IS NOT NULL`,
		VersionTable).Scan(&s.taskerTables, &s.ours, &s.mirror)
	if err != nil {
		return s, fmt.Errorf("detect tasker schema: %w", err)
	}
	return s, nil
}

// ensureRails issues no DDL unless opts.AllowExtras asks for tasker_temporal_mirror.
func ensureRails(ctx context.Context, conn *pgx.Conn, state schemaState, opts Options) ([]string, error) {
	if !opts.AllowExtras || state.mirror {
		return nil, nil
	}
	if _, err := conn.Exec(ctx, mirrorTableSQL); err != nil {
		return nil, fmt.Errorf("create %s in the Rails-created schema: %w", MirrorTable, err)
	}
	return []string{MirrorTable}, nil
}

// migrateUp runs the embedded migrations not yet applied and returns their file names.
func migrateUp(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	m, err := migrate.NewMigrator(ctx, conn, VersionTable)
	if err != nil {
		return nil, fmt.Errorf("create version table %s: %w", VersionTable, err)
	}
	files, err := fs.Sub(migrationFiles, "sql")
	if err != nil {
		return nil, fmt.Errorf("open embedded migrations: %w", err)
	}
	if err := m.LoadMigrations(files); err != nil {
		return nil, fmt.Errorf("load embedded migrations: %w", err)
	}
	var applied []string
	m.OnStart = func(_ int32, name, _, _ string) { applied = append(applied, name) }
	if err := m.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate (after %v): %w", applied, err)
	}
	return applied, nil
}

// withLock runs fn on one pooled connection holding our session advisory lock. A connection whose
// unlock fails is closed rather than returned to the pool still holding the lock.
func withLock(ctx context.Context, pool *pgxpool.Pool, fn func(*pgx.Conn) error) error {
	pc, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	conn := pc.Conn()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		pc.Release()
		return fmt.Errorf("take migration lock: %w", err)
	}
	fnErr := fn(conn)
	if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey); err != nil {
		_ = pc.Hijack().Close(context.WithoutCancel(ctx))
		return errors.Join(fnErr, fmt.Errorf("release migration lock: %w", err))
	}
	pc.Release()
	return fnErr
}
