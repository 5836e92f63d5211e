package compat

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/template"
)

// TaskRecord is a task as the mirror knows it.
type TaskRecord struct {
	TaskID     int64
	StepIDs    map[string]int64  // workflow_step_id by step name
	StepStates map[string]string // current state by step name (no transition = pending)
	Adopted    bool              // true when a Rails app created the task
	// TaskState is the task's current state.
	TaskState string
	// Parents lists each step's parent step names (the `provides` edges), in edge order; roots have
	// no entry.
	Parents map[string][]string
	// WorkflowID and AppliedSeq say which workflow's transitions are mirrored and the highest Seq
	// applied; a workflow that starts again for this task continues numbering after AppliedSeq.
	WorkflowID string
	AppliedSeq int64
	// Steps holds each step's row by name: what adoption resumes from (attempts, retry limit,
	// backoff, results). Namespace, Name, Version, Context and BypassSteps come from the task's
	// rows (the named task, tasker_tasks.context and bypass_steps).
	Steps                    map[string]StepRecord
	Namespace, Name, Version string
	Context                  json.RawMessage
	BypassSteps              []string
}

// IdentityHash is the identity_hash of a task created for workflowID: the SHA-256, in hex, of
// "tasker-temporal:" and the workflow ID, so a retried CreateTask finds the row the first attempt
// wrote (the prefix keeps it apart from hashes Tasker computes over request fields).
func IdentityHash(workflowID string) string {
	sum := sha256.Sum256([]byte("tasker-temporal:" + workflowID))
	return hex.EncodeToString(sum[:])
}

// stepSpec is one template step resolved to the values written for it.
type stepSpec struct {
	name        string
	description string
	system      string
	retryable   bool
	retryLimit  int32
	skippable   bool
	parents     []string
}

// CreateTask creates (or, on a retry with the same workflowID, finds) the task and its steps: the
// catalog rows it needs, the task row, one step row per template step, the `provides` edges and an
// initial `pending` transition (sort_key 0) for the task and each step. With req.TaskID set it
// adopts that task instead (AdoptTask). Errors wrapping ErrInvalidRequest are permanent.
func (s *Store) CreateTask(ctx context.Context, tmpl *template.Template, req tasker.TaskRequest, workflowID string) (TaskRecord, error) {
	if req.TaskID != 0 {
		return s.AdoptTask(ctx, req.TaskID)
	}
	specs, err := validateCreate(tmpl, req, workflowID)
	if err != nil {
		return TaskRecord{}, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	hash := IdentityHash(workflowID)
	if rec, found, err := s.findByIdentity(ctx, hash); err != nil || found {
		return rec, err
	}
	hasMirror, err := s.mirrorTable(ctx)
	if err != nil {
		return TaskRecord{}, err
	}
	var rec TaskRecord
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		rec, err = insertTask(ctx, tx, tmpl, specs, req, workflowID, hash, hasMirror)
		return err
	})
	if errors.Is(err, errLostRace) {
		rec, _, err = s.findByIdentity(ctx, hash)
		return rec, err
	}
	if err != nil {
		return TaskRecord{}, fmt.Errorf("create task %s for workflow %s: %w", tmpl.Key(), workflowID, err)
	}
	return rec, nil
}

// errLostRace: another CreateTask for the same workflow inserted the task first.
var errLostRace = errors.New("task inserted concurrently")

func validateCreate(tmpl *template.Template, req tasker.TaskRequest, workflowID string) ([]stepSpec, error) {
	switch {
	case tmpl == nil:
		return nil, errors.New("create task: template is nil")
	case workflowID == "":
		return nil, fmt.Errorf("create task %s: workflow ID is empty", tmpl.Key())
	case req.RequestedAt.IsZero():
		return nil, fmt.Errorf("create task %s: requested_at is not set", tmpl.Key())
	case len(tmpl.Steps) == 0:
		return nil, fmt.Errorf("create task %s: template has no steps", tmpl.Key())
	case len(req.Context) > 0 && !json.Valid(req.Context):
		return nil, fmt.Errorf("create task %s: context is not valid JSON", tmpl.Key())
	}
	specs := make([]stepSpec, 0, len(tmpl.Steps))
	seen := make(map[string]bool, len(tmpl.Steps))
	for _, st := range tmpl.Steps {
		if st.Name == "" || seen[st.Name] {
			return nil, fmt.Errorf("create task %s: step name %q is empty or repeated", tmpl.Key(), st.Name)
		}
		seen[st.Name] = true
		specs = append(specs, specFor(tmpl, st))
	}
	for _, sp := range specs {
		for _, p := range sp.parents {
			if !seen[p] {
				return nil, fmt.Errorf("create task %s: step %q depends on unknown step %q", tmpl.Key(), sp.name, p)
			}
		}
	}
	return specs, nil
}

// specFor resolves a template step: a non-retryable step has exactly one attempt (retry_limit 1);
// otherwise retry_limit is max_attempts (default 3), the total number of attempts as in Rails.
// The step row's retryable column starts true even for a non-retryable step (insertSteps): the
// engine's readiness never offers a step with retryable = false, not even its first attempt, so
// retry_limit 1 alone says "one attempt"; default_retryable keeps the template's value.
func specFor(tmpl *template.Template, st template.Step) stepSpec {
	system := cmp.Or(st.DependentSystem, tmpl.DefaultDependentSystem, template.DefaultDependentSystem)
	limit := int32(cmp.Or(st.Retry.MaxAttempts, template.DefaultMaxAttempts))
	if !st.Retry.Retryable {
		limit = 1
	}
	return stepSpec{
		name: st.Name, description: st.Description, system: system,
		retryable: st.Retry.Retryable, retryLimit: limit, skippable: st.Skippable,
		parents: st.Dependencies,
	}
}

func (s *Store) findByIdentity(ctx context.Context, hash string) (TaskRecord, bool, error) {
	var id int64
	err := s.pool.QueryRow(ctx, "SELECT task_id FROM tasker_tasks WHERE identity_hash = $1", hash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return TaskRecord{}, false, nil
	}
	if err != nil {
		return TaskRecord{}, false, fmt.Errorf("look up task by identity_hash %s: %w", hash, err)
	}
	rec, err := s.readTask(ctx, id)
	return rec, true, err
}

func insertTask(ctx context.Context, tx pgx.Tx, tmpl *template.Template, specs []stepSpec, req tasker.TaskRequest,
	workflowID, hash string, hasMirror bool) (TaskRecord, error) {
	namedTaskID, err := ensureNamedTask(ctx, tx, tmpl)
	if err != nil {
		return TaskRecord{}, err
	}
	namedStepIDs, err := ensureNamedSteps(ctx, tx, namedTaskID, specs)
	if err != nil {
		return TaskRecord{}, err
	}
	taskID, err := insertTaskRow(ctx, tx, namedTaskID, req, hash)
	if err != nil {
		return TaskRecord{}, err
	}
	stepIDs, err := insertSteps(ctx, tx, taskID, specs, namedStepIDs, contextJSON(req.Context), req.RequestedAt.UTC())
	if err != nil {
		return TaskRecord{}, err
	}
	if err := insertEdgesAndInitialTransitions(ctx, tx, taskID, specs, stepIDs, workflowID, req.RequestedAt); err != nil {
		return TaskRecord{}, err
	}
	if hasMirror {
		if _, err := tx.Exec(ctx, `INSERT INTO tasker_temporal_mirror (task_id, workflow_id, applied_seq, created_at, updated_at)
			VALUES ($1, $2, 0, $3, $3)`, taskID, workflowID, req.RequestedAt.UTC()); err != nil {
			return TaskRecord{}, fmt.Errorf("insert tasker_temporal_mirror row of task %d: %w", taskID, err)
		}
	}
	return newRecord(taskID, specs, stepIDs, workflowID), nil
}

func newRecord(taskID int64, specs []stepSpec, stepIDs map[string]int64, workflowID string) TaskRecord {
	rec := TaskRecord{
		TaskID: taskID, StepIDs: stepIDs, StepStates: make(map[string]string, len(specs)),
		TaskState: tasker.StatePending, Parents: map[string][]string{}, WorkflowID: workflowID,
	}
	rec.Steps = make(map[string]StepRecord, len(specs))
	for _, sp := range specs {
		rec.StepStates[sp.name] = tasker.StatePending
		rec.Steps[sp.name] = StepRecord{ID: stepIDs[sp.name], State: tasker.StatePending, RetryLimit: int(sp.retryLimit),
			Retryable: true, Skippable: sp.skippable}
		if len(sp.parents) > 0 {
			rec.Parents[sp.name] = slices.Clone(sp.parents)
		}
	}
	return rec
}

func contextJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}

// nullableJSON encodes a list as a JSON array, or SQL NULL when empty.
func nullableJSON(list []string) (*string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// ensureID returns the id a SELECT (taking the first keyArgs of args) finds, or inserts the row
// (ON CONFLICT DO UPDATE, so a concurrent insert is waited for and its id returned). Existing rows
// are never modified.
func ensureID(ctx context.Context, tx pgx.Tx, what, selectSQL, upsertSQL string, keyArgs int, args ...any) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, selectSQL, args[:keyArgs]...).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("look up %s: %w", what, err)
	}
	if err := tx.QueryRow(ctx, upsertSQL, args...).Scan(&id); err != nil {
		return 0, fmt.Errorf("insert %s: %w", what, err)
	}
	return id, nil
}

// ensureNamedTask upserts the namespace and the named task. configuration (the template as JSON) is
// written when the named task is created; an existing row (perhaps a Rails app's) is left alone.
func ensureNamedTask(ctx context.Context, tx pgx.Tx, tmpl *template.Template) (int64, error) {
	nsID, err := ensureID(ctx, tx, "namespace "+tmpl.Namespace,
		`SELECT task_namespace_id FROM tasker_task_namespaces WHERE name = $1`,
		`INSERT INTO tasker_task_namespaces (name, created_at, updated_at)
		 VALUES ($1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
		 ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING task_namespace_id`, 1, tmpl.Namespace)
	if err != nil {
		return 0, err
	}
	config, err := json.Marshal(tmpl)
	if err != nil {
		return 0, fmt.Errorf("encode template %s as configuration: %w", tmpl.Key(), err)
	}
	version := cmp.Or(tmpl.Version, template.DefaultVersion)
	var description *string
	if tmpl.Description != "" {
		description = &tmpl.Description
	}
	var id int64
	err = tx.QueryRow(ctx, `SELECT named_task_id FROM tasker_named_tasks
		WHERE task_namespace_id = $1 AND name = $2 AND version = $3`, nsID, tmpl.Name, version).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("look up named task %s: %w", tmpl.Key(), err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO tasker_named_tasks
		(name, description, task_namespace_id, version, configuration, created_at, updated_at)
		VALUES ($2, $4, $1, $3, $5, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
		ON CONFLICT (task_namespace_id, name, version) DO UPDATE SET name = EXCLUDED.name
		RETURNING named_task_id`, nsID, tmpl.Name, version, description, string(config)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert named task %s: %w", tmpl.Key(), err)
	}
	return id, nil
}

// ensureNamedSteps upserts dependent systems, named steps and named_tasks_named_steps, in sorted
// order so concurrent creators lock rows in the same order. It returns named_step_id by step name.
func ensureNamedSteps(ctx context.Context, tx pgx.Tx, namedTaskID int64, specs []stepSpec) (map[string]int64, error) {
	sorted := slices.Clone(specs)
	slices.SortFunc(sorted, func(a, b stepSpec) int { return cmp.Or(cmp.Compare(a.system, b.system), cmp.Compare(a.name, b.name)) })
	systems := map[string]int64{}
	for _, sp := range sorted {
		if _, ok := systems[sp.system]; ok {
			continue
		}
		id, err := ensureID(ctx, tx, "dependent system "+sp.system,
			`SELECT dependent_system_id FROM tasker_dependent_systems WHERE name = $1`,
			`INSERT INTO tasker_dependent_systems (name, created_at, updated_at)
			 VALUES ($1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
			 ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING dependent_system_id`, 1, sp.system)
		if err != nil {
			return nil, err
		}
		systems[sp.system] = id
	}
	ids := make(map[string]int64, len(specs))
	for _, sp := range sorted {
		var description *string
		if sp.description != "" {
			description = &sp.description
		}
		id, err := ensureID(ctx, tx, "named step "+sp.name,
			`SELECT named_step_id FROM tasker_named_steps WHERE dependent_system_id = $1 AND name = $2`,
			`INSERT INTO tasker_named_steps (dependent_system_id, name, description, created_at, updated_at)
			 VALUES ($1, $2, $3, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
			 ON CONFLICT (dependent_system_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING named_step_id`,
			2, systems[sp.system], sp.name, description)
		if err != nil {
			return nil, err
		}
		ids[sp.name] = id
		if err := ensureNamedTaskStep(ctx, tx, namedTaskID, id, sp); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func ensureNamedTaskStep(ctx context.Context, tx pgx.Tx, namedTaskID, namedStepID int64, sp stepSpec) error {
	_, err := ensureID(ctx, tx, "named_tasks_named_steps row of step "+sp.name,
		`SELECT id FROM tasker_named_tasks_named_steps WHERE named_task_id = $1 AND named_step_id = $2`,
		`INSERT INTO tasker_named_tasks_named_steps
		 (named_task_id, named_step_id, skippable, default_retryable, default_retry_limit, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
		 ON CONFLICT (named_task_id, named_step_id) DO UPDATE SET named_task_id = EXCLUDED.named_task_id RETURNING id`,
		2, namedTaskID, namedStepID, sp.skippable, sp.retryable, sp.retryLimit)
	return err
}

func insertTaskRow(ctx context.Context, tx pgx.Tx, namedTaskID int64, req tasker.TaskRequest, hash string) (int64, error) {
	tags, err := nullableJSON(req.Tags)
	if err != nil {
		return 0, fmt.Errorf("encode tags: %w", err)
	}
	bypass, err := nullableJSON(req.BypassSteps)
	if err != nil {
		return 0, fmt.Errorf("encode bypass_steps: %w", err)
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO tasker_tasks
		(named_task_id, complete, requested_at, initiator, source_system, reason, bypass_steps, tags, context,
		 identity_hash, created_at, updated_at)
		VALUES ($1, false, $2, $3, $4, $5, $6::json, $7::jsonb, $8::jsonb, $9, $2, $2)
		ON CONFLICT (identity_hash) DO NOTHING RETURNING task_id`,
		namedTaskID, req.RequestedAt.UTC(), nullable(req.Initiator), nullable(req.SourceSystem), nullable(req.Reason),
		bypass, tags, contextJSON(req.Context), hash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, errLostRace
	}
	if err != nil {
		return 0, fmt.Errorf("insert tasker_tasks row: %w", err)
	}
	return id, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// insertSteps writes the step rows, created at the task's requested_at like its edges and initial
// transitions, so durations Tasker's analytics measure from row creation to a transition are in the
// workflow's clock throughout.
func insertSteps(ctx context.Context, tx pgx.Tx, taskID int64, specs []stepSpec, namedStepIDs map[string]int64, inputs string,
	at time.Time) (map[string]int64, error) {
	n := len(specs)
	named, retryable, limits, skippable := make([]int64, n), make([]bool, n), make([]int32, n), make([]bool, n)
	byNamed := make(map[int64]string, n)
	for i, sp := range specs {
		named[i], retryable[i], limits[i], skippable[i] = namedStepIDs[sp.name], true, sp.retryLimit, sp.skippable
		byNamed[named[i]] = sp.name
	}
	rows, err := tx.Query(ctx, `INSERT INTO tasker_workflow_steps
		(task_id, named_step_id, retryable, retry_limit, in_process, processed, attempts, inputs, skippable, created_at, updated_at)
		SELECT $1, s.named_step_id, s.retryable, s.retry_limit, false, false, 0, $2::jsonb, s.skippable, $7, $7
		FROM unnest($3::bigint[], $4::bool[], $5::int[], $6::bool[]) WITH ORDINALITY
		     AS s(named_step_id, retryable, retry_limit, skippable, ord)
		ORDER BY s.ord
		RETURNING workflow_step_id, named_step_id`, taskID, inputs, named, retryable, limits, skippable, at)
	if err != nil {
		return nil, fmt.Errorf("insert workflow steps of task %d: %w", taskID, err)
	}
	ids := make(map[string]int64, n)
	var stepID, namedID int64
	_, err = pgx.ForEachRow(rows, []any{&stepID, &namedID}, func() error {
		ids[byNamed[namedID]] = stepID
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert workflow steps of task %d: %w", taskID, err)
	}
	return ids, nil
}

func insertEdgesAndInitialTransitions(ctx context.Context, tx pgx.Tx, taskID int64, specs []stepSpec,
	stepIDs map[string]int64, workflowID string, at time.Time) error {
	var from, to []int64
	all := make([]int64, 0, len(specs))
	for _, sp := range specs {
		all = append(all, stepIDs[sp.name])
		for _, p := range sp.parents {
			from, to = append(from, stepIDs[p]), append(to, stepIDs[sp.name])
		}
	}
	meta, err := json.Marshal(map[string]any{"workflow_id": workflowID})
	if err != nil {
		return err
	}
	at = at.UTC()
	batch := &pgx.Batch{}
	batch.Queue(`INSERT INTO tasker_workflow_step_edges (from_step_id, to_step_id, name, created_at, updated_at)
		SELECT e.f, e.t, 'provides', $3, $3 FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS e(f, t, ord)
		ORDER BY e.ord`, from, to, at)
	batch.Queue(`INSERT INTO tasker_workflow_step_transitions
		(to_state, from_state, metadata, sort_key, most_recent, workflow_step_id, created_at, updated_at)
		SELECT 'pending', NULL, $1::jsonb, 0, true, s.id, $2, $2 FROM unnest($3::bigint[]) WITH ORDINALITY AS s(id, ord)
		ORDER BY s.ord`, string(meta), at, all)
	batch.Queue(`INSERT INTO tasker_task_transitions
		(to_state, from_state, metadata, sort_key, most_recent, task_id, created_at, updated_at)
		VALUES ('pending', NULL, $1::jsonb, 0, true, $2, $3, $3)`, string(meta), taskID, at)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("insert edges and initial transitions of task %d: %w", taskID, err)
	}
	return nil
}
