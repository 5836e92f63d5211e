package activities

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/tasker-systems/tasker-temporal"
)

// DecisionResult is a decision step's results: data with the outcome embedded as
// decision_point_outcome (tasker-core's decision_success / decision_no_branches). Return it from
// Process:
//
//	return activities.DecisionResult(tasker.CreateSteps("manager_approval"), map[string]any{"route": "manager"}), nil
func DecisionResult(o tasker.DecisionOutcome, data map[string]any) map[string]any {
	return withOutcome(data, tasker.DecisionOutcomeKey, o)
}

// BatchResult is a batchable step's results: data with the outcome embedded as
// batch_processing_outcome (tasker-core's create_batches_success / no_batches_success).
func BatchResult(o tasker.BatchOutcome, data map[string]any) map[string]any {
	return withOutcome(data, tasker.BatchOutcomeKey, o)
}

func withOutcome(data map[string]any, key string, o any) map[string]any {
	out := make(map[string]any, len(data)+1)
	maps.Copy(out, data)
	out[key] = o
	return out
}

// CursorRanges splits items 0..total-1 into numeric cursors, tasker-core's way: as many workers as
// batches of batchSize (at most maxWorkers when > 0), items shared out evenly, start inclusive,
// end exclusive, batch ids 001, 002, …. It returns nil for no items (return tasker.NoBatches()).
func CursorRanges(total, batchSize, maxWorkers int) []tasker.CursorConfig {
	if total <= 0 {
		return nil
	}
	batchSize = max(batchSize, 1)
	workers := (total + batchSize - 1) / batchSize
	if maxWorkers > 0 {
		workers = min(workers, maxWorkers)
	}
	per := (total + workers - 1) / workers
	var out []tasker.CursorConfig
	for start := 0; start < total; start += per {
		end := min(start+per, total)
		out = append(out, tasker.CursorConfig{
			BatchID:     fmt.Sprintf("%03d", len(out)+1),
			StartCursor: json.RawMessage(fmt.Sprint(start)),
			EndCursor:   json.RawMessage(fmt.Sprint(end)),
			BatchSize:   end - start,
		})
	}
	return out
}

// BatchWorkerContext is what a batch worker instance knows about its slice of the work: its
// inputs (cursor, batch settings, is_no_op) and the last checkpoint it yielded, if any.
type BatchWorkerContext struct {
	Inputs     tasker.BatchWorkerInputs
	Checkpoint *tasker.Checkpoint
}

// BatchWorker reads the batch worker inputs of the step. A step without inputs (not a batch
// worker instance) or with malformed ones is a permanent error naming the step.
func (s StepContext) BatchWorker() (BatchWorkerContext, error) {
	raw := s.Request.Step.Inputs
	if len(raw) == 0 {
		return BatchWorkerContext{}, Permanent(fmt.Errorf("step %s: no step.inputs: it is not a batch worker instance", s.Name()))
	}
	var in tasker.BatchWorkerInputs
	if err := json.Unmarshal(raw, &in); err != nil {
		return BatchWorkerContext{}, Permanent(fmt.Errorf("step %s: decode batch worker inputs: %w", s.Name(), err))
	}
	return BatchWorkerContext{Inputs: in, Checkpoint: s.Request.Step.Checkpoint}, nil
}

// IsNoOp reports whether this is the placeholder worker of a no_batches outcome.
func (b BatchWorkerContext) IsNoOp() bool { return b.Inputs.IsNoOp }

// BatchID is the worker's batch id (001…).
func (b BatchWorkerContext) BatchID() string { return b.Inputs.Cursor.BatchID }

// HasCheckpoint reports whether an earlier run of this step yielded a checkpoint.
func (b BatchWorkerContext) HasCheckpoint() bool { return b.Checkpoint != nil }

// Range decodes a numeric cursor: where to start (the checkpoint's cursor when there is one, else
// start_cursor) and end_cursor (exclusive).
func (b BatchWorkerContext) Range() (from, end int64, err error) {
	if err := json.Unmarshal(b.Inputs.Cursor.EndCursor, &end); err != nil {
		return 0, 0, Permanent(fmt.Errorf("batch %s: end_cursor %s is not an integer: %w", b.BatchID(), b.Inputs.Cursor.EndCursor, err))
	}
	start := b.Inputs.Cursor.StartCursor
	if b.Checkpoint != nil {
		start = b.Checkpoint.Cursor
	}
	if err := json.Unmarshal(start, &from); err != nil {
		return 0, 0, Permanent(fmt.Errorf("batch %s: cursor %s is not an integer: %w", b.BatchID(), start, err))
	}
	return from, end, nil
}

// ItemsProcessed is the checkpoint's count (0 without one).
func (b BatchWorkerContext) ItemsProcessed() int64 {
	if b.Checkpoint == nil {
		return 0
	}
	return b.Checkpoint.ItemsProcessed
}

// Accumulated decodes the checkpoint's accumulated_results into v; false without any.
func (b BatchWorkerContext) Accumulated(v any) (bool, error) {
	if b.Checkpoint == nil || len(b.Checkpoint.AccumulatedResults) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(b.Checkpoint.AccumulatedResults, v); err != nil {
		return true, Permanent(fmt.Errorf("batch %s: decode accumulated_results: %w", b.BatchID(), err))
	}
	return true, nil
}

// CheckpointYield ends this run of a batch worker without finishing it (tasker-core's
// checkpoint_yield): the workflow records the checkpoint and runs the step again at once with it,
// and a later attempt after a failure starts from it too. cursor is where to resume; accumulated
// (optional, keep it small) is carried to the re-run. Return it from Process:
//
//	return activities.CheckpointYield(row, processed, sums)
func CheckpointYield(cursor any, itemsProcessed int64, accumulated any) (tasker.StepResult, error) {
	c, err := json.Marshal(cursor)
	if err != nil {
		return tasker.StepResult{}, Permanent(fmt.Errorf("checkpoint cursor is not JSON: %w", err))
	}
	cp := &tasker.Checkpoint{Cursor: c, ItemsProcessed: itemsProcessed}
	if accumulated != nil {
		if cp.AccumulatedResults, err = json.Marshal(accumulated); err != nil {
			return tasker.StepResult{}, Permanent(fmt.Errorf("checkpoint accumulated_results are not JSON: %w", err))
		}
	}
	return tasker.StepResult{CheckpointYield: cp}, nil
}
