package compat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors a caller (the recorder activity) should treat as permanent: retrying the same write
// cannot succeed.
var (
	// ErrTaskNotFound: no tasker_tasks row has the task_id.
	ErrTaskNotFound = errors.New("task not found")
	// ErrInvalidTransition: a transition does not follow from the entity's current state, or is
	// not allowed by Tasker's state machine, or names a step the task does not have.
	ErrInvalidTransition = errors.New("invalid transition")
	// ErrOtherWorkflow: the task's transitions are mirrored by another workflow ID.
	ErrOtherWorkflow = errors.New("task is mirrored by another workflow")
	// ErrSeqGap: a batch starts after the next expected Seq, so transitions would be lost.
	ErrSeqGap = errors.New("transition sequence gap")
	// ErrInvalidBatch: a transition of the batch is malformed (no workflow ID, Seq <= 0, unknown
	// state, no time, invalid JSON, one Seq twice, two workflows in one batch).
	ErrInvalidBatch = errors.New("invalid transition batch")
	// ErrInvalidRequest: CreateTask got a request or template it cannot write (nil template, no
	// workflow ID, no requested_at, no steps, invalid context JSON, bad step names or dependencies).
	ErrInvalidRequest = errors.New("invalid task request")
)

// Store reads and writes the tasker_* schema through a pgx pool. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool

	mu          sync.Mutex
	mirrorKnown bool
	hasMirror   bool
}

// Open connects to the database at databaseURL and checks it answers. A malformed URL and an
// unreachable server give different errors; neither contains the password.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("malformed database URL: %w", err)
	}
	addr := net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port)))
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL pool for %s: %w", addr, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("PostgreSQL at %s (database %q, user %q) is unreachable: %w",
			addr, cfg.ConnConfig.Database, cfg.ConnConfig.User, err)
	}
	return NewStore(pool), nil
}

// NewStore wraps a pool the caller owns. Run migrations.Ensure before the first write: the store
// looks once for tasker_temporal_mirror and remembers the answer.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool returns the underlying pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// mirrorTable reports whether tasker_temporal_mirror exists, looking it up once.
func (s *Store) mirrorTable(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mirrorKnown {
		return s.hasMirror, nil
	}
	var ok bool
	err := s.pool.QueryRow(ctx, "SELECT to_regclass('public.tasker_temporal_mirror') IS NOT NULL").Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look for tasker_temporal_mirror: %w", err)
	}
	s.mirrorKnown, s.hasMirror = true, ok
	return ok, nil
}
