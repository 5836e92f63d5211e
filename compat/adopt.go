package compat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// querier is what reads need: a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// StepRecord is one tasker_workflow_steps row as adoption needs it: where the step stands and
// what it has used up, so a workflow resuming the task neither re-runs a finished step nor
// forgets attempts (TASKER-REFERENCE §2 columns).
type StepRecord struct {
	ID    int64
	State string // current state (no transition = pending)
	// StateAt is when the current transition was written (the zero time when it has none): for an
	// errored step, when the error happened.
	StateAt time.Time
	// Attempts made (NULL reads 0) and RetryLimit, the total attempts allowed (NULL reads 3, the
	// engine's default).
	Attempts, RetryLimit int
	Retryable            bool
	Skippable            bool
	// InProcess is true while an attempt runs; Processed once the step is complete or resolved.
	InProcess, Processed bool
	// BackoffRequestSeconds (nil when NULL) counts from LastAttemptedAt (nil when NULL).
	BackoffRequestSeconds *int
	LastAttemptedAt       *time.Time
	// Results is the handler output of a complete step, or {error, …} of an errored one (nil
	// when NULL).
	Results json.RawMessage
}

// AdoptTask reads a task a Rails app created: its catalog names, context and bypass_steps, its
// steps by name with their rows and current states, the `provides` edges and how far a workflow
// has mirrored it. It writes nothing.
func (s *Store) AdoptTask(ctx context.Context, taskID int64) (TaskRecord, error) {
	rec, err := s.readTask(ctx, taskID)
	if err != nil {
		return TaskRecord{}, fmt.Errorf("adopt task %d: %w", taskID, err)
	}
	rec.Adopted = true
	return rec, nil
}

func (s *Store) readTask(ctx context.Context, taskID int64) (TaskRecord, error) {
	hasMirror, err := s.mirrorTable(ctx)
	if err != nil {
		return TaskRecord{}, err
	}
	rec := TaskRecord{TaskID: taskID, StepIDs: map[string]int64{}, StepStates: map[string]string{}, Parents: map[string][]string{},
		Steps: map[string]StepRecord{}}
	if err := readTaskRow(ctx, s.pool, &rec); err != nil {
		return TaskRecord{}, err
	}
	if err := readSteps(ctx, s.pool, &rec); err != nil {
		return TaskRecord{}, err
	}
	if err := readEdges(ctx, s.pool, &rec); err != nil {
		return TaskRecord{}, err
	}
	rec.WorkflowID, rec.AppliedSeq, err = latestMirrored(ctx, s.pool, taskID, hasMirror)
	return rec, err
}

// readTaskRow reads the task's state, catalog names, context and bypass_steps.
func readTaskRow(ctx context.Context, q querier, rec *TaskRecord) error {
	var bypass []byte
	var version *string
	err := q.QueryRow(ctx, `SELECT COALESCE((SELECT to_state FROM tasker_task_transitions
		WHERE task_id = t.task_id AND most_recent), 'pending'), tn.name, nt.name, nt.version, t.context, t.bypass_steps
		FROM tasker_tasks t
		JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
		LEFT JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
		WHERE t.task_id = $1`, rec.TaskID).Scan(&rec.TaskState, &rec.Namespace, &rec.Name, &version, &rec.Context, &bypass)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("task %d: %w", rec.TaskID, ErrTaskNotFound)
	}
	if err != nil {
		return fmt.Errorf("read task %d: %w", rec.TaskID, err)
	}
	if version != nil {
		rec.Version = *version
	}
	if len(bypass) > 0 && string(bypass) != "null" {
		if err := json.Unmarshal(bypass, &rec.BypassSteps); err != nil {
			return fmt.Errorf("task %d: bypass_steps %s is not a JSON array of step names: %w", rec.TaskID, bypass, err)
		}
	}
	return nil
}

func readSteps(ctx context.Context, q querier, rec *TaskRecord) error {
	rows, err := q.Query(ctx, `SELECT ws.workflow_step_id, ns.name, COALESCE(cur.to_state, 'pending'), cur.created_at,
		COALESCE(ws.attempts, 0), COALESCE(ws.retry_limit, 3), ws.retryable, ws.skippable, ws.in_process, ws.processed,
		ws.backoff_request_seconds, ws.last_attempted_at, ws.results
		FROM tasker_workflow_steps ws
		LEFT JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
		LEFT JOIN LATERAL (SELECT x.to_state, x.created_at FROM tasker_workflow_step_transitions x
		                   WHERE x.workflow_step_id = ws.workflow_step_id AND x.most_recent LIMIT 1) cur ON true
		WHERE ws.task_id = $1 ORDER BY ws.workflow_step_id`, rec.TaskID)
	if err != nil {
		return fmt.Errorf("read steps of task %d: %w", rec.TaskID, err)
	}
	var (
		name    *string
		stateAt *time.Time
		backoff *int32
		sr      StepRecord
	)
	scans := []any{&sr.ID, &name, &sr.State, &stateAt, &sr.Attempts, &sr.RetryLimit, &sr.Retryable, &sr.Skippable,
		&sr.InProcess, &sr.Processed, &backoff, &sr.LastAttemptedAt, &sr.Results}
	_, err = pgx.ForEachRow(rows, scans, func() error {
		if name == nil {
			return fmt.Errorf("step %d has no named step (named_step_id matches no tasker_named_steps row)", sr.ID)
		}
		if _, dup := rec.StepIDs[*name]; dup {
			return fmt.Errorf("two steps are named %q (steps are looked up by name)", *name)
		}
		sr.StateAt, sr.BackoffRequestSeconds = time.Time{}, nil
		if stateAt != nil {
			sr.StateAt = *stateAt
		}
		if backoff != nil {
			b := int(*backoff)
			sr.BackoffRequestSeconds = &b
		}
		rec.StepIDs[*name], rec.StepStates[*name], rec.Steps[*name] = sr.ID, sr.State, sr
		sr.LastAttemptedAt, sr.Results = nil, nil // the next row scans into fresh values
		return nil
	})
	if err != nil {
		return fmt.Errorf("read steps of task %d: %w", rec.TaskID, err)
	}
	return nil
}

func readEdges(ctx context.Context, q querier, rec *TaskRecord) error {
	names := make(map[int64]string, len(rec.StepIDs))
	for name, id := range rec.StepIDs {
		names[id] = name
	}
	rows, err := q.Query(ctx, `SELECT e.from_step_id, e.to_step_id FROM tasker_workflow_step_edges e
		JOIN tasker_workflow_steps ws ON ws.workflow_step_id = e.to_step_id
		WHERE ws.task_id = $1 ORDER BY e.id`, rec.TaskID)
	if err != nil {
		return fmt.Errorf("read edges of task %d: %w", rec.TaskID, err)
	}
	var from, to int64
	_, err = pgx.ForEachRow(rows, []any{&from, &to}, func() error {
		parent, ok := names[from]
		if !ok {
			return fmt.Errorf("edge from step %d, which belongs to another task", from)
		}
		rec.Parents[names[to]] = append(rec.Parents[names[to]], parent)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read edges of task %d: %w", rec.TaskID, err)
	}
	return nil
}

// latestMirrored returns the workflow mirroring the task and its highest applied Seq: from
// tasker_temporal_mirror when it has a row, else from the newest transition metadata.
func latestMirrored(ctx context.Context, q querier, taskID int64, hasMirror bool) (string, int64, error) {
	var wf string
	var seq int64
	if hasMirror {
		err := q.QueryRow(ctx, `SELECT workflow_id, applied_seq FROM tasker_temporal_mirror WHERE task_id = $1`, taskID).Scan(&wf, &seq)
		if err == nil {
			return wf, seq, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return "", 0, fmt.Errorf("read tasker_temporal_mirror row of task %d: %w", taskID, err)
		}
	}
	err := q.QueryRow(ctx, `SELECT m.metadata->>'workflow_id', (m.metadata->>'seq')::numeric::bigint
		FROM (`+transitionMetadataSQL+`) m
		WHERE jsonb_typeof(m.metadata->'seq') = 'number' AND m.metadata ? 'workflow_id'
		ORDER BY m.created_at DESC, 2 DESC LIMIT 1`, taskID).Scan(&wf, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("derive mirrored seq of task %d: %w", taskID, err)
	}
	return wf, seq, nil
}

// transitionMetadataSQL selects metadata and created_at of every transition of task $1.
const transitionMetadataSQL = `SELECT tt.metadata, tt.created_at FROM tasker_task_transitions tt WHERE tt.task_id = $1
	UNION ALL
	SELECT st.metadata, st.created_at FROM tasker_workflow_step_transitions st
	JOIN tasker_workflow_steps ws ON ws.workflow_step_id = st.workflow_step_id WHERE ws.task_id = $1`

// derivedApplied returns the highest Seq workflowID applied to the task according to transition
// metadata, and whether transitions of another workflow exist.
func derivedApplied(ctx context.Context, q querier, taskID int64, workflowID string) (int64, bool, error) {
	var seq *int64
	var other *bool
	err := q.QueryRow(ctx, `SELECT
		max((m.metadata->>'seq')::numeric::bigint) FILTER (WHERE m.metadata->>'workflow_id' = $2 AND jsonb_typeof(m.metadata->'seq') = 'number'),
		bool_or(m.metadata->>'workflow_id' <> $2)
		FROM (`+transitionMetadataSQL+`) m`, taskID, workflowID).Scan(&seq, &other)
	if err != nil {
		return 0, false, fmt.Errorf("derive applied seq of task %d: %w", taskID, err)
	}
	var applied int64
	if seq != nil {
		applied = *seq
	}
	return applied, other != nil && *other, nil
}
