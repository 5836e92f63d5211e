package compat_test

import (
	"cmp"
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// The oracle: the Tasker engine's SQL surface recomputed in Go from plain reads of the tables,
// written from the engine's rules (TASKER-REFERENCE §3-4, docs/compat.md §5). The comparison test
// checks every function of every database against it.

// snapStep is one tasker_workflow_steps row with its current transition.
type snapStep struct {
	id, task        int64
	named           int32
	name            string
	attempts, limit *int32
	retryable       bool
	inProcess       bool
	processed       bool
	backoff         *int32
	lastAttempted   *time.Time
	created         time.Time
	state           *string // most_recent transition's to_state; nil when the step has none
	stateAt         *time.Time
}

// snapTask is one tasker_tasks row with its catalog names and current transition.
type snapTask struct {
	id                       int64
	named                    int32
	created                  time.Time
	initiator, source        *string
	state                    *string
	name, version, namespace string
}

type snapshot struct {
	steps  []snapStep // by workflow_step_id
	tasks  []snapTask // by task_id
	edges  [][2]int64 // from, to
	byStep map[int64]*snapStep
}

func readSnapshot(t *testing.T, pool *pgxpool.Pool) *snapshot {
	t.Helper()
	ctx := context.Background()
	s := &snapshot{byStep: map[int64]*snapStep{}}
	rows, err := pool.Query(ctx, `SELECT ws.workflow_step_id, ws.task_id, ws.named_step_id, ns.name, ws.attempts, ws.retry_limit,
		ws.retryable, ws.in_process, ws.processed, ws.backoff_request_seconds, ws.last_attempted_at, ws.created_at,
		cur.to_state, cur.created_at
		FROM tasker_workflow_steps ws JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
		LEFT JOIN tasker_workflow_step_transitions cur ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
		ORDER BY ws.workflow_step_id`)
	require.NoError(t, err)
	for rows.Next() {
		var st snapStep
		require.NoError(t, rows.Scan(&st.id, &st.task, &st.named, &st.name, &st.attempts, &st.limit, &st.retryable,
			&st.inProcess, &st.processed, &st.backoff, &st.lastAttempted, &st.created, &st.state, &st.stateAt))
		s.steps = append(s.steps, st)
	}
	require.NoError(t, rows.Err())
	for i := range s.steps {
		s.byStep[s.steps[i].id] = &s.steps[i]
	}
	rows, err = pool.Query(ctx, `SELECT t.task_id, t.named_task_id, t.created_at, t.initiator, t.source_system, cur.to_state,
		nt.name, nt.version, tn.name
		FROM tasker_tasks t JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
		JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
		LEFT JOIN tasker_task_transitions cur ON cur.task_id = t.task_id AND cur.most_recent
		ORDER BY t.task_id`)
	require.NoError(t, err)
	for rows.Next() {
		var tk snapTask
		require.NoError(t, rows.Scan(&tk.id, &tk.named, &tk.created, &tk.initiator, &tk.source, &tk.state, &tk.name, &tk.version, &tk.namespace))
		s.tasks = append(s.tasks, tk)
	}
	require.NoError(t, rows.Err())
	rows, err = pool.Query(ctx, `SELECT from_step_id, to_step_id FROM tasker_workflow_step_edges ORDER BY id`)
	require.NoError(t, err)
	for rows.Next() {
		var e [2]int64
		require.NoError(t, rows.Scan(&e[0], &e[1]))
		s.edges = append(s.edges, e)
	}
	require.NoError(t, rows.Err())
	return s
}

func stateOf(st *snapStep) string {
	if st == nil || st.state == nil {
		return "pending"
	}
	return *st.state
}

func orDefault(p *int32, d int32) int32 {
	if p == nil {
		return d
	}
	return *p
}

// readinessRow is one row of get_step_readiness_status[_batch].
type readinessRow struct {
	WorkflowStepID, TaskID int64
	NamedStepID            int32
	Name, CurrentState     string
	DependenciesSatisfied  bool
	RetryEligible          bool
	ReadyForExecution      bool
	LastFailureAt          *time.Time
	NextRetryAt            *time.Time
	TotalParents           int32
	CompletedParents       int32
	Attempts, RetryLimit   int32
	BackoffRequestSeconds  *int32
	LastAttemptedAt        *time.Time
}

func (s *snapshot) readiness(st *snapStep, now time.Time) readinessRow {
	r := readinessRow{WorkflowStepID: st.id, TaskID: st.task, NamedStepID: st.named, Name: st.name, CurrentState: stateOf(st),
		Attempts: orDefault(st.attempts, 0), RetryLimit: orDefault(st.limit, 3), BackoffRequestSeconds: st.backoff,
		LastAttemptedAt: st.lastAttempted}
	for _, e := range s.edges {
		if e[1] != st.id {
			continue
		}
		r.TotalParents++
		if p := stateOf(s.byStep[e[0]]); p == "complete" || p == "resolved_manually" {
			r.CompletedParents++
		}
	}
	r.DependenciesSatisfied = r.TotalParents == r.CompletedParents
	r.RetryEligible = r.Attempts < r.RetryLimit
	if r.CurrentState == "error" && st.state != nil {
		r.LastFailureAt = st.stateAt
	}
	var requested, failure *time.Time
	if st.backoff != nil && st.lastAttempted != nil {
		at := st.lastAttempted.Add(time.Duration(*st.backoff) * time.Second)
		requested = &at
	}
	if r.LastFailureAt != nil {
		wait := min(math.Pow(2, float64(orDefault(st.attempts, 1))), 30)
		at := r.LastFailureAt.Add(time.Duration(wait * float64(time.Second)))
		failure = &at
	}
	r.NextRetryAt = cmp.Or(requested, failure)
	passed := func(at *time.Time) bool { return at == nil || !at.After(now) }
	r.ReadyForExecution = (r.CurrentState == "pending" || r.CurrentState == "error") && !st.processed &&
		r.DependenciesSatisfied && r.RetryEligible && st.retryable && !st.inProcess && passed(requested) && passed(failure)
	return r
}

func (s *snapshot) readinessBatch(taskIDs []int64, now time.Time) []readinessRow {
	var out []readinessRow
	for i := range s.steps {
		if slices.Contains(taskIDs, s.steps[i].task) {
			out = append(out, s.readiness(&s.steps[i], now))
		}
	}
	slices.SortFunc(out, func(a, b readinessRow) int {
		return cmp.Or(cmp.Compare(a.TaskID, b.TaskID), cmp.Compare(a.WorkflowStepID, b.WorkflowStepID))
	})
	return out
}

// contextRow is one row of get_task_execution_context[s_batch].
type contextRow struct {
	TaskID                                                    int64
	NamedTaskID                                               int32
	Status                                                    string
	Total, Pending, InProgress, Completed, Failed, ReadySteps int64
	ExecutionStatus, RecommendedAction                        string
	CompletionPercentage                                      float64
	HealthStatus                                              string
}

func (s *snapshot) contexts(taskIDs []int64, now time.Time) []contextRow {
	var out []contextRow
	for _, id := range taskIDs {
		i, ok := slices.BinarySearchFunc(s.tasks, id, func(t snapTask, id int64) int { return cmp.Compare(t.id, id) })
		if !ok {
			continue
		}
		tk := s.tasks[i]
		c := contextRow{TaskID: tk.id, NamedTaskID: tk.named, Status: "pending"}
		if tk.state != nil {
			c.Status = *tk.state
		}
		var blocked int64
		for _, r := range s.readinessBatch([]int64{id}, now) {
			c.Total++
			switch r.CurrentState {
			case "pending":
				c.Pending++
			case "in_progress":
				c.InProgress++
			case "complete", "resolved_manually":
				c.Completed++
			case "error":
				c.Failed++
				if r.Attempts >= r.RetryLimit {
					blocked++
				}
			}
			if r.ReadyForExecution {
				c.ReadySteps++
			}
		}
		c.ExecutionStatus, c.RecommendedAction = verdict(c, blocked)
		c.HealthStatus = health(c, blocked)
		if c.Total > 0 {
			c.CompletionPercentage = math.Round(float64(c.Completed)*10000/float64(c.Total)) / 100
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b contextRow) int { return cmp.Compare(a.TaskID, b.TaskID) })
	return out
}

func verdict(c contextRow, blocked int64) (string, string) {
	switch {
	case c.ReadySteps > 0:
		return "has_ready_steps", "execute_ready_steps"
	case c.InProgress > 0:
		return "processing", "wait_for_completion"
	case blocked > 0:
		return "blocked_by_failures", "handle_failures"
	case c.Total > 0 && c.Completed == c.Total:
		return "all_complete", "finalize_task"
	}
	return "waiting_for_dependencies", "wait_for_dependencies"
}

func health(c contextRow, blocked int64) string {
	switch {
	case c.Failed == 0:
		return "healthy"
	case c.ReadySteps == 0 && blocked > 0:
		return "blocked"
	}
	return "recovering"
}

// levelRow is one row of calculate_dependency_levels.
type levelRow struct {
	WorkflowStepID int64
	Level          int32
}

// levels: the longest path from a root (no incoming edge) within the task, roots 0.
func (s *snapshot) levels(taskID int64) []levelRow {
	level := map[int64]int32{}
	var order []int64
	for _, st := range s.steps {
		if st.task == taskID && !s.hasParent(st.id) {
			level[st.id] = 0
			order = append(order, st.id)
		}
	}
	for changed := true; changed; { // relax until stable (the DAGs here are small)
		changed = false
		for _, e := range s.edges {
			l, ok := level[e[0]]
			child := s.byStep[e[1]]
			if !ok || child == nil || child.task != taskID {
				continue
			}
			if cur, seen := level[e[1]]; !seen || cur < l+1 {
				if !seen {
					order = append(order, e[1])
				}
				level[e[1]], changed = l+1, true
			}
		}
	}
	out := make([]levelRow, 0, len(order))
	for _, id := range order {
		out = append(out, levelRow{id, level[id]})
	}
	slices.SortFunc(out, func(a, b levelRow) int {
		return cmp.Or(cmp.Compare(a.Level, b.Level), cmp.Compare(a.WorkflowStepID, b.WorkflowStepID))
	})
	return out
}

func (s *snapshot) hasParent(id int64) bool {
	return slices.ContainsFunc(s.edges, func(e [2]int64) bool { return e[1] == id })
}

// dagRow is one row of tasker_step_dag_relationships.
type dagRow struct {
	WorkflowStepID, TaskID  int64
	NamedStepID             int32
	ParentStepIDs           []int64
	ChildStepIDs            []int64
	ParentCount, ChildCount int64
	IsRootStep, IsLeafStep  bool
	MinDepthFromRoot        *int32
}

func (s *snapshot) dagRows() []dagRow {
	depth := map[int64]int32{}
	var frontier []int64
	for _, st := range s.steps {
		if !s.hasParent(st.id) {
			depth[st.id] = 0
			frontier = append(frontier, st.id)
		}
	}
	for d := int32(1); d <= 50 && len(frontier) > 0; d++ { // breadth first, 50 edges at most
		var next []int64
		for _, e := range s.edges {
			if _, seen := depth[e[1]]; !seen && slices.Contains(frontier, e[0]) {
				depth[e[1]] = d
				next = append(next, e[1])
			}
		}
		frontier = next
	}
	out := make([]dagRow, 0, len(s.steps))
	for _, st := range s.steps {
		r := dagRow{WorkflowStepID: st.id, TaskID: st.task, NamedStepID: st.named, ParentStepIDs: []int64{}, ChildStepIDs: []int64{}}
		for _, e := range s.edges {
			if e[1] == st.id {
				r.ParentStepIDs = append(r.ParentStepIDs, e[0])
			}
			if e[0] == st.id {
				r.ChildStepIDs = append(r.ChildStepIDs, e[1])
			}
		}
		slices.Sort(r.ParentStepIDs)
		slices.Sort(r.ChildStepIDs)
		r.ParentCount, r.ChildCount = int64(len(r.ParentStepIDs)), int64(len(r.ChildStepIDs))
		r.IsRootStep, r.IsLeafStep = r.ParentCount == 0, r.ChildCount == 0
		if d, ok := depth[st.id]; ok {
			r.MinDepthFromRoot = &d
		}
		out = append(out, r)
	}
	return out
}

// healthRow is get_system_health_counts_v01 without its two connection columns.
type healthRow struct {
	TotalTasks, PendingTasks, InProgressTasks, CompleteTasks, ErrorTasks, CancelledTasks int64
	TotalSteps, PendingSteps, InProgressSteps, CompleteSteps, ErrorSteps                 int64
	RetryableErrorSteps, ExhaustedRetrySteps, InBackoffSteps                             int64
}

func (s *snapshot) health() healthRow {
	var h healthRow
	for _, tk := range s.tasks {
		h.TotalTasks++
		if tk.state == nil {
			continue
		}
		switch *tk.state {
		case "pending":
			h.PendingTasks++
		case "in_progress":
			h.InProgressTasks++
		case "complete":
			h.CompleteTasks++
		case "error":
			h.ErrorTasks++
		case "cancelled":
			h.CancelledTasks++
		}
	}
	for _, st := range s.steps {
		h.TotalSteps++
		if st.state == nil {
			continue
		}
		switch *st.state {
		case "pending":
			h.PendingSteps++
		case "in_progress":
			h.InProgressSteps++
		case "complete":
			h.CompleteSteps++
		case "error":
			h.ErrorSteps++
			if st.attempts == nil || st.limit == nil {
				continue // NULL compares as neither
			}
			if *st.attempts < *st.limit && st.retryable {
				h.RetryableErrorSteps++
				if st.lastAttempted != nil {
					h.InBackoffSteps++
				}
			}
			if *st.attempts >= *st.limit {
				h.ExhaustedRetrySteps++
			}
		}
	}
	return h
}

// analyticsRow is get_analytics_metrics_v01 without calculated_at.
type analyticsRow struct {
	ActiveTasks, Namespaces, TaskTypes int64
	HealthScore                        float64
	Throughput, Completions, Errors    int64
	CompletionRate, ErrorRate          float64
	AvgTaskDuration, AvgStepDuration   float64
	StepThroughput                     int64
	PeriodStart                        time.Time
}

func (s *snapshot) analytics(since, now time.Time) analyticsRow {
	a := analyticsRow{PeriodStart: since}
	tasksBy := map[int64]snapTask{}
	namespaces, types := map[string]bool{}, map[string]bool{}
	for _, tk := range s.tasks {
		tasksBy[tk.id] = tk
		namespaces[tk.namespace], types[tk.name] = true, true
	}
	a.Namespaces, a.TaskTypes = int64(len(namespaces)), int64(len(types))
	active, hourDone, hourErr := map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	periodTasks, periodDone, periodErr := map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	var taskSecs, stepSecs []float64
	for _, st := range s.steps {
		tk := tasksBy[st.task]
		state := ""
		if st.state != nil {
			state = *st.state
		}
		if state != "" && !slices.Contains([]string{"complete", "error", "skipped", "resolved_manually"}, state) {
			active[tk.id] = true
		}
		if tk.created.After(now.Add(-time.Hour)) {
			hourDone[tk.id] = hourDone[tk.id] || state == "complete"
			hourErr[tk.id] = hourErr[tk.id] || state == "error"
		}
		if !tk.created.After(since) {
			continue
		}
		a.StepThroughput++
		periodDone[tk.id] = periodDone[tk.id] || state == "complete"
		periodErr[tk.id] = periodErr[tk.id] || state == "error"
		if state == "complete" {
			taskSecs = append(taskSecs, st.stateAt.Sub(tk.created).Seconds())
			stepSecs = append(stepSecs, st.stateAt.Sub(st.created).Seconds())
		}
	}
	for _, tk := range s.tasks {
		if tk.created.After(since) {
			periodTasks[tk.id] = true
		}
	}
	count := func(m map[int64]bool) (n int64) {
		for _, v := range m {
			if v {
				n++
			}
		}
		return n
	}
	a.ActiveTasks = count(active)
	done, errs := count(hourDone), count(hourErr)
	a.HealthScore = 1
	if done+errs > 0 {
		a.HealthScore = round(float64(done)/float64(done+errs), 3)
	}
	a.Throughput, a.Completions, a.Errors = count(periodTasks), count(periodDone), count(periodErr)
	if a.Throughput > 0 {
		a.CompletionRate = round(float64(a.Completions)/float64(a.Throughput)*100, 2)
		a.ErrorRate = round(float64(a.Errors)/float64(a.Throughput)*100, 2)
	}
	a.AvgTaskDuration, a.AvgStepDuration = round(mean(taskSecs), 3), round(mean(stepSecs), 3)
	return a
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// slowStepRow is one row of get_slowest_steps_v01.
type slowStepRow struct {
	WorkflowStepID, TaskID                 int64
	StepName, TaskName, Namespace, Version string
	DurationSeconds                        float64
	Attempts                               *int32
	CreatedAt, CompletedAt                 time.Time
	Retryable                              bool
	StepStatus                             string
}

func (s *snapshot) slowestSteps(since time.Time, limit int) []slowStepRow {
	tasksBy := map[int64]snapTask{}
	for _, tk := range s.tasks {
		tasksBy[tk.id] = tk
	}
	var out []slowStepRow
	for _, st := range s.steps {
		if st.state == nil || *st.state != "complete" || !st.created.After(since) {
			continue
		}
		secs := st.stateAt.Sub(st.created).Seconds()
		if secs <= 0 {
			continue
		}
		tk := tasksBy[st.task]
		out = append(out, slowStepRow{st.id, st.task, st.name, tk.name, tk.namespace, tk.version, round(secs, 3),
			st.attempts, st.created, *st.stateAt, st.retryable, "complete"})
	}
	slices.SortStableFunc(out, func(a, b slowStepRow) int {
		return cmp.Or(cmp.Compare(b.CompletedAt.Sub(b.CreatedAt), a.CompletedAt.Sub(a.CreatedAt)), cmp.Compare(a.WorkflowStepID, b.WorkflowStepID))
	})
	return out[:min(limit, len(out))]
}

// slowTaskRow is one row of get_slowest_tasks_v01.
type slowTaskRow struct {
	TaskID                           int64
	TaskName, Namespace, Version     string
	DurationSeconds                  float64
	StepCount, Completed, ErrorSteps int64
	CreatedAt, CompletedAt           time.Time
	Initiator, SourceSystem          *string
}

func (s *snapshot) slowestTasks(since time.Time, limit int) []slowTaskRow {
	var out []slowTaskRow
	for _, tk := range s.tasks {
		if !tk.created.After(since) {
			continue
		}
		r := slowTaskRow{TaskID: tk.id, TaskName: tk.name, Namespace: tk.namespace, Version: tk.version, CreatedAt: tk.created,
			Initiator: tk.initiator, SourceSystem: tk.source}
		var finished *time.Time
		for _, st := range s.steps {
			if st.task != tk.id {
				continue
			}
			r.StepCount++
			state := stateOf(&st)
			if st.state == nil {
				continue
			}
			if state == "complete" {
				r.Completed++
			}
			if state == "error" {
				r.ErrorSteps++
			}
			if (state == "complete" || state == "error") && (finished == nil || st.stateAt.After(*finished)) {
				finished = st.stateAt
			}
		}
		if finished == nil {
			continue
		}
		r.CompletedAt = *finished
		r.DurationSeconds = round(finished.Sub(tk.created).Seconds(), 3)
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b slowTaskRow) int {
		return cmp.Or(cmp.Compare(b.CompletedAt.Sub(b.CreatedAt), a.CompletedAt.Sub(a.CreatedAt)), cmp.Compare(a.TaskID, b.TaskID))
	})
	return out[:min(limit, len(out))]
}
