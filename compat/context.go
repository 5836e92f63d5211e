package compat

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tasker-systems/tasker-temporal/dag"
)

// ExecutionContext is one row of get_task_execution_context(task_id) (TASKER-REFERENCE §3).
type ExecutionContext struct {
	TaskID               int64
	NamedTaskID          int64
	Status               string // the task's current state
	TotalSteps           int64
	PendingSteps         int64
	InProgressSteps      int64
	CompletedSteps       int64 // complete or resolved_manually
	FailedSteps          int64 // in error
	ReadySteps           int64
	ExecutionStatus      string // one of dag.Status*: has_ready_steps, processing, blocked_by_failures, all_complete, waiting_for_dependencies
	RecommendedAction    string
	CompletionPercentage float64
	HealthStatus         string // healthy, recovering, blocked
}

// Execution statuses get_task_execution_context reports: dag's (the one source), named here too
// so that callers reading compat need not import dag.
const (
	StatusHasReadySteps          = dag.StatusHasReadySteps
	StatusProcessing             = dag.StatusProcessing
	StatusBlockedByFailures      = dag.StatusBlockedByFailures
	StatusAllComplete            = dag.StatusAllComplete
	StatusWaitingForDependencies = dag.StatusWaitingForDependencies
)

// ExecutionContext reads the task through the get_task_execution_context SQL function: Tasker's
// own in a Rails database, or ours (created by migration 003, docs/compat.md §5) otherwise.
func (s *Store) ExecutionContext(ctx context.Context, taskID int64) (ExecutionContext, error) {
	var ec ExecutionContext
	err := s.pool.QueryRow(ctx, `SELECT task_id::bigint, named_task_id::bigint, status::text,
		total_steps::bigint, pending_steps::bigint, in_progress_steps::bigint, completed_steps::bigint,
		failed_steps::bigint, ready_steps::bigint, execution_status::text, recommended_action::text,
		completion_percentage::float8, health_status::text
		FROM get_task_execution_context($1)`, taskID).Scan(
		&ec.TaskID, &ec.NamedTaskID, &ec.Status, &ec.TotalSteps, &ec.PendingSteps, &ec.InProgressSteps,
		&ec.CompletedSteps, &ec.FailedSteps, &ec.ReadySteps, &ec.ExecutionStatus, &ec.RecommendedAction,
		&ec.CompletionPercentage, &ec.HealthStatus)
	if errors.Is(err, pgx.ErrNoRows) {
		return ExecutionContext{}, fmt.Errorf("execution context of task %d: %w", taskID, ErrTaskNotFound)
	}
	if err != nil {
		return ExecutionContext{}, fmt.Errorf("execution context of task %d (is get_task_execution_context installed?): %w", taskID, err)
	}
	return ec, nil
}
