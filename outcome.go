package tasker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Keys under which a decision or batchable handler embeds its outcome in its results object
// (tasker-core's names, so handlers written for tasker-core keep working).
const (
	DecisionOutcomeKey = "decision_point_outcome"
	BatchOutcomeKey    = "batch_processing_outcome"
)

// Outcome types (the "type" field of an outcome).
const (
	OutcomeCreateSteps   = "create_steps"
	OutcomeNoBranches    = "no_branches"
	OutcomeCreateBatches = "create_batches"
	OutcomeNoBatches     = "no_batches"
)

// DecisionOutcome is what a decision step's handler decided (tasker-core's DecisionPointOutcome):
// create_steps with the names of the steps to create, or no_branches.
type DecisionOutcome struct {
	Type      string   `json:"type"`
	StepNames []string `json:"step_names,omitempty"`
}

// CreateSteps is the outcome that creates the named steps (children of the decision step).
func CreateSteps(names ...string) DecisionOutcome {
	return DecisionOutcome{Type: OutcomeCreateSteps, StepNames: names}
}

// NoBranches is the outcome that creates no step.
func NoBranches() DecisionOutcome { return DecisionOutcome{Type: OutcomeNoBranches} }

// CursorConfig is one batch worker's slice of the work (tasker-core's CursorConfig): start_cursor
// inclusive, end_cursor exclusive, both any JSON (numbers, timestamps, keys).
type CursorConfig struct {
	BatchID     string          `json:"batch_id"`
	StartCursor json.RawMessage `json:"start_cursor"`
	EndCursor   json.RawMessage `json:"end_cursor"`
	BatchSize   int             `json:"batch_size"`
}

// BatchOutcome is what a batchable step's handler decided (tasker-core's BatchProcessingOutcome):
// create_batches with one cursor per worker, or no_batches.
type BatchOutcome struct {
	Type               string         `json:"type"`
	WorkerTemplateName string         `json:"worker_template_name,omitempty"`
	WorkerCount        int            `json:"worker_count,omitempty"`
	CursorConfigs      []CursorConfig `json:"cursor_configs,omitempty"`
	TotalItems         int64          `json:"total_items,omitempty"`
}

// CreateBatches is the outcome that creates one worker of template worker per cursor.
func CreateBatches(worker string, totalItems int64, cursors []CursorConfig) BatchOutcome {
	return BatchOutcome{Type: OutcomeCreateBatches, WorkerTemplateName: worker, WorkerCount: len(cursors), CursorConfigs: cursors, TotalItems: totalItems}
}

// NoBatches is the outcome that needs no worker (the workflow creates tasker-core's placeholder).
func NoBatches() BatchOutcome { return BatchOutcome{Type: OutcomeNoBatches} }

// BatchMetadata is a worker's copy of its template's batch settings (tasker-core's BatchMetadata).
type BatchMetadata struct {
	CheckpointInterval int    `json:"checkpoint_interval"`
	CursorField        string `json:"cursor_field"`
	FailureStrategy    string `json:"failure_strategy"`
}

// BatchWorkerInputs is what a batch worker instance receives as step.inputs (tasker-core's
// BatchWorkerInputs, its workflow_steps.inputs): its cursor, the batch settings, and is_no_op for
// the placeholder of a no_batches outcome.
type BatchWorkerInputs struct {
	Cursor        CursorConfig  `json:"cursor"`
	BatchMetadata BatchMetadata `json:"batch_metadata"`
	IsNoOp        bool          `json:"is_no_op"`
}

// Checkpoint is a batch worker's saved progress (tasker-core's checkpoint_yield data). A handler
// returns it as StepResult.checkpoint_yield; the workflow records it (with Timestamp) and runs
// the step again at once with it as step.checkpoint, and every later attempt of the step gets
// the last one, so a retry resumes from it.
type Checkpoint struct {
	Cursor             json.RawMessage `json:"cursor"`
	ItemsProcessed     int64           `json:"items_processed"`
	AccumulatedResults json.RawMessage `json:"accumulated_results,omitempty"`
	// Timestamp is when the workflow recorded the checkpoint (set by the workflow, not the handler).
	Timestamp time.Time `json:"timestamp,omitzero"`
}

// OutcomeError is a malformed outcome in a handler's results. The workflow fails the step
// permanently with it.
type OutcomeError struct {
	Key    string // DecisionOutcomeKey or BatchOutcomeKey
	Reason string
}

func (e *OutcomeError) Error() string { return fmt.Sprintf("malformed %s: %s", e.Key, e.Reason) }

// outcomeField finds key in a results object: false when results is not an object or lacks it.
func outcomeField(results json.RawMessage, key string) (json.RawMessage, bool) {
	if len(bytes.TrimSpace(results)) == 0 || bytes.TrimSpace(results)[0] != '{' {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(results, &obj); err != nil {
		return nil, false
	}
	raw, ok := obj[key]
	return raw, ok
}

func decodeStrict(raw json.RawMessage, key string, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &OutcomeError{Key: key, Reason: err.Error()}
	}
	return nil
}

// ParseDecisionOutcome reads the decision_point_outcome of a decision step's results. A missing
// outcome is an error (a decision must decide: return NoBranches for no steps), as is an
// unknown type, create_steps without step names, no_branches with some, or an empty name.
func ParseDecisionOutcome(results json.RawMessage) (DecisionOutcome, error) {
	raw, ok := outcomeField(results, DecisionOutcomeKey)
	if !ok {
		return DecisionOutcome{}, &OutcomeError{Key: DecisionOutcomeKey, Reason: "the results have none (a decision step's results must be an object with " + DecisionOutcomeKey + ")"}
	}
	var o DecisionOutcome
	if err := decodeStrict(raw, DecisionOutcomeKey, &o); err != nil {
		return DecisionOutcome{}, err
	}
	return o, o.Validate()
}

// Validate checks the outcome's shape (not whether the steps exist: the workflow checks that
// against the template).
func (o DecisionOutcome) Validate() error {
	bad := func(r string) error { return &OutcomeError{Key: DecisionOutcomeKey, Reason: r} }
	switch o.Type {
	case OutcomeNoBranches:
		if len(o.StepNames) > 0 {
			return bad("no_branches with step_names")
		}
	case OutcomeCreateSteps:
		if len(o.StepNames) == 0 {
			return bad("create_steps without step_names (use no_branches)")
		}
		for k, n := range o.StepNames {
			if n == "" {
				return bad(fmt.Sprintf("step_names[%d] is empty", k))
			}
		}
	default:
		return bad(fmt.Sprintf("unknown type %q (want create_steps or no_branches)", o.Type))
	}
	return nil
}

// ParseBatchOutcome reads the batch_processing_outcome of a batchable step's results, with the
// same rules as ParseDecisionOutcome, and BatchOutcome.Validate's.
func ParseBatchOutcome(results json.RawMessage) (BatchOutcome, error) {
	raw, ok := outcomeField(results, BatchOutcomeKey)
	if !ok {
		return BatchOutcome{}, &OutcomeError{Key: BatchOutcomeKey, Reason: "the results have none (a batchable step's results must be an object with " + BatchOutcomeKey + ")"}
	}
	var o BatchOutcome
	if err := decodeStrict(raw, BatchOutcomeKey, &o); err != nil {
		return BatchOutcome{}, err
	}
	return o, o.Validate()
}

// Validate checks the outcome's shape: create_batches has a worker template, at least one cursor,
// worker_count equal to the number of cursors, and each cursor a non-empty, unique batch_id, a
// start and an end cursor and a batch_size ≥ 0; no_batches has no cursor.
func (o BatchOutcome) Validate() error {
	bad := func(r string) error { return &OutcomeError{Key: BatchOutcomeKey, Reason: r} }
	switch o.Type {
	case OutcomeNoBatches:
		if len(o.CursorConfigs) > 0 {
			return bad("no_batches with cursor_configs")
		}
		return nil
	case OutcomeCreateBatches:
	default:
		return bad(fmt.Sprintf("unknown type %q (want create_batches or no_batches)", o.Type))
	}
	if o.WorkerTemplateName == "" {
		return bad("create_batches without worker_template_name")
	}
	if len(o.CursorConfigs) == 0 {
		return bad("create_batches without cursor_configs (use no_batches)")
	}
	if o.WorkerCount != len(o.CursorConfigs) {
		return bad(fmt.Sprintf("worker_count %d but %d cursor_configs", o.WorkerCount, len(o.CursorConfigs)))
	}
	if o.TotalItems < 0 {
		return bad(fmt.Sprintf("total_items %d is negative", o.TotalItems))
	}
	seen := make(map[string]bool, len(o.CursorConfigs))
	for k, c := range o.CursorConfigs {
		switch {
		case c.BatchID == "":
			return bad(fmt.Sprintf("cursor_configs[%d] has no batch_id", k))
		case seen[c.BatchID]:
			return bad(fmt.Sprintf("cursor_configs[%d]: batch_id %q repeats", k, c.BatchID))
		case len(c.StartCursor) == 0 || len(c.EndCursor) == 0:
			return bad(fmt.Sprintf("cursor_configs[%d] (batch_id %q) lacks start_cursor or end_cursor", k, c.BatchID))
		case c.BatchSize < 0:
			return bad(fmt.Sprintf("cursor_configs[%d] (batch_id %q): batch_size %d is negative", k, c.BatchID, c.BatchSize))
		}
		seen[c.BatchID] = true
	}
	return nil
}

// BatchIDs lists the outcome's batch ids in order.
func (o BatchOutcome) BatchIDs() []string {
	ids := make([]string, len(o.CursorConfigs))
	for k, c := range o.CursorConfigs {
		ids[k] = c.BatchID
	}
	return ids
}
