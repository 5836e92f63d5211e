package dag

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestExecutionContext(t *testing.T) {
	chain := specs([]string{"a"}, []string{"b", "a"}, []string{"c", "b"})
	type move struct {
		step string
		to   State
	}
	start := func(s string) []move { return []move{{s, InProgress}} }
	done := func(s string) []move { return []move{{s, InProgress}, {s, Complete}} }
	fail := func(s string) []move { return []move{{s, InProgress}, {s, Error}} }
	cat := func(ms ...[]move) []move {
		var out []move
		for _, m := range ms {
			out = append(out, m...)
		}
		return out
	}
	cases := []struct {
		name   string
		specs  []StepSpec
		moves  []move
		at     time.Duration
		status string
		action string
		health string
		pct    float64
	}{
		{"fresh", chain, nil, 0, StatusHasReadySteps, ActionExecuteReadySteps, HealthHealthy, 0},
		{"running", chain, start("a"), 0, StatusProcessing, ActionWaitForCompletion, HealthHealthy, 0},
		{"one third", chain, done("a"), 0, StatusHasReadySteps, ActionExecuteReadySteps, HealthHealthy, 33.33},
		{"error in backoff", chain, cat(done("a"), fail("b")), time.Second, StatusWaitingForDependencies, ActionWaitForDependencies, HealthRecovering, 33.33},
		{"error ready again", chain, cat(done("a"), fail("b")), 2 * time.Second, StatusHasReadySteps, ActionExecuteReadySteps, HealthRecovering, 33.33},
		{"exhausted", []StepSpec{{Name: "a", Retryable: false}, {Name: "b", Retryable: true}}, fail("a"), time.Hour, StatusHasReadySteps, ActionExecuteReadySteps, HealthRecovering, 0},
		{"exhausted, nothing else", []StepSpec{{Name: "a", Retryable: false}, {Name: "b", Dependencies: []string{"a"}}}, fail("a"), time.Hour, StatusBlockedByFailures, ActionHandleFailures, HealthBlocked, 0},
		{"exhausted while another runs", []StepSpec{{Name: "a", Retryable: false}, {Name: "b", Retryable: true}}, cat(fail("a"), start("b")), time.Hour, StatusProcessing, ActionWaitForCompletion, HealthBlocked, 0},
		{"all complete", chain, cat(done("a"), done("b"), []move{{"c", ResolvedManually}}), 0, StatusAllComplete, ActionFinalizeTask, HealthHealthy, 100},
		{"cancelled step", chain, []move{{"a", Cancelled}}, 0, StatusWaitingForDependencies, ActionWaitForDependencies, HealthHealthy, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewRun(mustGraph(t, c.specs))
			for _, m := range c.moves {
				step(t, r, m.step, m.to, t0)
			}
			ec := r.ExecutionContext(t0.Add(c.at))
			require.Equal(t, c.status, ec.ExecutionStatus)
			require.Equal(t, c.action, ec.RecommendedAction)
			require.Equal(t, c.health, ec.HealthStatus)
			require.Equal(t, c.pct, ec.CompletionPercentage)
			require.Equal(t, naiveContext(r, t0.Add(c.at)), ec)
		})
	}
}

func TestExecutionContextJSON(t *testing.T) {
	r := NewRun(mustGraph(t, specs([]string{"a"})))
	b, err := json.Marshal(r.ExecutionContext(t0))
	require.NoError(t, err)
	require.JSONEq(t, `{"total_steps":1,"pending_steps":1,"in_progress_steps":0,"completed_steps":0,
		"failed_steps":0,"ready_steps":1,"permanently_blocked_steps":0,"execution_status":"has_ready_steps",
		"recommended_action":"execute_ready_steps","health_status":"healthy","completion_percentage":0}`, string(b))
}

func TestCompletionPercentage(t *testing.T) {
	require.Equal(t, 0.0, completionPercentage(0, 0))
	require.Equal(t, 66.67, completionPercentage(2, 3))
	require.Equal(t, 100.0, completionPercentage(7, 7))
	require.Equal(t, 0.01, completionPercentage(1, 10000))
}

// naiveReady recomputes readiness from the public step statuses, straight from the rules.
func naiveReady(r *Run, i int, now time.Time) bool {
	st := r.Step(i)
	if r.Presence(i) != Created || (st.State != Pending && st.State != Error) {
		return false
	}
	for _, p := range r.Graph().Parents(i) {
		if s := r.Step(p).State; s != Complete && s != ResolvedManually && r.Presence(p) != NotCreated {
			return false
		}
	}
	if st.Attempts >= st.MaxAttempts || (st.State == Error && !st.Retryable) {
		return false
	}
	if !st.NextAttemptAt.IsZero() {
		return !st.NextAttemptAt.After(now)
	}
	if st.State == Error {
		wait := time.Duration(1) << min(st.Attempts, 40) * time.Second
		wait = min(wait, 30*time.Second)
		return !st.LastErrorAt.Add(wait).After(now)
	}
	return true
}

// naiveContext recomputes the execution context by scanning every step.
func naiveContext(r *Run, now time.Time) ExecutionContext {
	var ec ExecutionContext
	for i := range r.Graph().Len() {
		if r.Presence(i) != Created {
			continue // not a step of the task (yet)
		}
		st := r.Step(i)
		ec.TotalSteps++
		switch st.State {
		case Pending:
			ec.PendingSteps++
		case InProgress:
			ec.InProgressSteps++
		case Complete, ResolvedManually:
			ec.CompletedSteps++
		case Error:
			ec.FailedSteps++
			if st.Attempts >= st.MaxAttempts || !st.Retryable {
				ec.PermanentlyBlockedSteps++
			}
		}
		if naiveReady(r, i, now) {
			ec.ReadySteps++
		}
	}
	switch {
	case ec.ReadySteps > 0:
		ec.ExecutionStatus, ec.RecommendedAction = "has_ready_steps", "execute_ready_steps"
	case ec.InProgressSteps > 0:
		ec.ExecutionStatus, ec.RecommendedAction = "processing", "wait_for_completion"
	case ec.PermanentlyBlockedSteps > 0:
		ec.ExecutionStatus, ec.RecommendedAction = "blocked_by_failures", "handle_failures"
	case ec.TotalSteps > 0 && ec.CompletedSteps == ec.TotalSteps:
		ec.ExecutionStatus, ec.RecommendedAction = "all_complete", "finalize_task"
	default:
		ec.ExecutionStatus, ec.RecommendedAction = "waiting_for_dependencies", "wait_for_dependencies"
	}
	switch {
	case ec.FailedSteps == 0:
		ec.HealthStatus = "healthy"
	case ec.PermanentlyBlockedSteps > 0 && ec.ReadySteps == 0:
		ec.HealthStatus = "blocked"
	default:
		ec.HealthStatus = "recovering"
	}
	if ec.TotalSteps > 0 {
		ec.CompletionPercentage = float64(int(float64(ec.CompletedSteps)*10000/float64(ec.TotalSteps)+0.5)) / 100
	}
	return ec
}
