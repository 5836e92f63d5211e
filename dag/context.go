package dag

import (
	"math"
	"time"
)

// Values of ExecutionContext.ExecutionStatus (Tasker's get_task_execution_context).
const (
	StatusHasReadySteps          = "has_ready_steps"
	StatusProcessing             = "processing"
	StatusBlockedByFailures      = "blocked_by_failures"
	StatusAllComplete            = "all_complete"
	StatusWaitingForDependencies = "waiting_for_dependencies"
)

// Values of ExecutionContext.RecommendedAction.
const (
	ActionExecuteReadySteps   = "execute_ready_steps"
	ActionWaitForCompletion   = "wait_for_completion"
	ActionHandleFailures      = "handle_failures"
	ActionFinalizeTask        = "finalize_task"
	ActionWaitForDependencies = "wait_for_dependencies"
)

// Values of ExecutionContext.HealthStatus.
const (
	HealthHealthy    = "healthy"
	HealthRecovering = "recovering"
	HealthBlocked    = "blocked"
)

// ExecutionContext is the task-level summary Tasker's get_task_execution_context computes, with
// the same field names in JSON.
type ExecutionContext struct {
	TotalSteps      int `json:"total_steps"`
	PendingSteps    int `json:"pending_steps"`
	InProgressSteps int `json:"in_progress_steps"`
	// CompletedSteps counts complete and resolved_manually steps.
	CompletedSteps int `json:"completed_steps"`
	// FailedSteps counts error steps, retryable or not.
	FailedSteps int `json:"failed_steps"`
	ReadySteps  int `json:"ready_steps"`
	// PermanentlyBlockedSteps counts exhausted error steps (see Run.Exhausted).
	PermanentlyBlockedSteps int     `json:"permanently_blocked_steps"`
	ExecutionStatus         string  `json:"execution_status"`
	RecommendedAction       string  `json:"recommended_action"`
	HealthStatus            string  `json:"health_status"`
	CompletionPercentage    float64 `json:"completion_percentage"` // 0-100, two decimals
}

// ExecutionContext summarises the run at now. The first matching rule wins:
//
//	execution_status          recommended_action     when
//	has_ready_steps           execute_ready_steps    a step is ready
//	processing                wait_for_completion    a step is in progress
//	blocked_by_failures       handle_failures        an error step is exhausted
//	all_complete              finalize_task          every step complete or resolved (and there is one)
//	waiting_for_dependencies  wait_for_dependencies  otherwise (e.g. an error step waits out its backoff)
//
// health_status is healthy with no error step, blocked when an error step is exhausted and nothing
// is ready, else recovering. It costs O(n/64) plus the ready candidates.
func (r *Run) ExecutionContext(now time.Time) ExecutionContext {
	c := r.Counts()
	ec := ExecutionContext{
		TotalSteps:              c.Total,
		PendingSteps:            c.Pending,
		InProgressSteps:         c.InProgress,
		CompletedSteps:          c.Complete + c.ResolvedManually,
		FailedSteps:             c.Error,
		ReadySteps:              r.CountReady(now),
		PermanentlyBlockedSteps: r.exhaustedCount(),
	}
	ec.ExecutionStatus, ec.RecommendedAction = executionStatus(ec)
	ec.HealthStatus = healthStatus(ec)
	ec.CompletionPercentage = completionPercentage(ec.CompletedSteps, ec.TotalSteps)
	return ec
}

func executionStatus(ec ExecutionContext) (status, action string) {
	switch {
	case ec.ReadySteps > 0:
		return StatusHasReadySteps, ActionExecuteReadySteps
	case ec.InProgressSteps > 0:
		return StatusProcessing, ActionWaitForCompletion
	case ec.PermanentlyBlockedSteps > 0:
		return StatusBlockedByFailures, ActionHandleFailures
	case ec.TotalSteps > 0 && ec.CompletedSteps == ec.TotalSteps:
		return StatusAllComplete, ActionFinalizeTask
	}
	return StatusWaitingForDependencies, ActionWaitForDependencies
}

func healthStatus(ec ExecutionContext) string {
	switch {
	case ec.FailedSteps == 0:
		return HealthHealthy
	case ec.PermanentlyBlockedSteps > 0 && ec.ReadySteps == 0:
		return HealthBlocked
	}
	return HealthRecovering
}

// completionPercentage is round(completed / total × 100, 2), 0 for no steps.
func completionPercentage(completed, total int) float64 {
	if total == 0 {
		return 0
	}
	return math.Round(float64(completed)*10000/float64(total)) / 100
}
