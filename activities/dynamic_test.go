package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
)

func TestCursorRanges(t *testing.T) {
	cases := []struct {
		name                    string
		total, size, maxWorkers int
		want                    []string // "id:start-end"
	}{
		{"1000 rows by 200", 1000, 200, 0, []string{"001:0-200", "002:200-400", "003:400-600", "004:600-800", "005:800-1000"}},
		{"capped at 2 workers", 1000, 200, 2, []string{"001:0-500", "002:500-1000"}},
		{"uneven tail", 7, 3, 0, []string{"001:0-3", "002:3-6", "003:6-7"}},
		{"fewer rows than a batch", 5, 200, 0, []string{"001:0-5"}},
		{"nothing", 0, 200, 5, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			sum := 0
			for _, c := range activities.CursorRanges(tc.total, tc.size, tc.maxWorkers) {
				got = append(got, fmt.Sprintf("%s:%s-%s", c.BatchID, c.StartCursor, c.EndCursor))
				sum += c.BatchSize
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.total, sum, "batch sizes add up to the total")
		})
	}
}

func TestOutcomeResultsParse(t *testing.T) {
	dec, err := json.Marshal(activities.DecisionResult(tasker.CreateSteps("auto_approve"), map[string]any{"amount": 500}))
	require.NoError(t, err)
	o, err := tasker.ParseDecisionOutcome(dec)
	require.NoError(t, err)
	assert.Equal(t, []string{"auto_approve"}, o.StepNames)
	assert.JSONEq(t, `{"amount":500,"decision_point_outcome":{"type":"create_steps","step_names":["auto_approve"]}}`, string(dec))

	bat, err := json.Marshal(activities.BatchResult(tasker.CreateBatches("w", 10, activities.CursorRanges(10, 5, 0)), nil))
	require.NoError(t, err)
	b, err := tasker.ParseBatchOutcome(bat)
	require.NoError(t, err)
	assert.Equal(t, []string{"001", "002"}, b.BatchIDs())
}

// sumWorker adds up the integers in its cursor range, yielding a checkpoint every 3 items and
// failing once, on its first attempt, at failAt.
type sumWorker struct{ failAt int64 }

func (w sumWorker) Process(_ context.Context, sc activities.StepContext) (any, error) {
	b, err := sc.BatchWorker()
	if err != nil {
		return nil, err
	}
	if b.IsNoOp() {
		return map[string]any{"no_op": true}, nil
	}
	from, end, err := b.Range()
	if err != nil {
		return nil, err
	}
	var sum int64
	if _, err := b.Accumulated(&sum); err != nil {
		return nil, err
	}
	done := b.ItemsProcessed()
	for i := from; i < end; i++ {
		if i == w.failAt && sc.Attempt() == 1 {
			return nil, errors.New("disk hiccup")
		}
		sum += i
		done++
		if done%3 == 0 && i+1 < end {
			return activities.CheckpointYield(i+1, done, sum)
		}
	}
	return map[string]any{"sum": sum, "processed": done}, nil
}

func (sumWorker) ProcessResults(_ context.Context, _ activities.StepContext, out any) (any, error) {
	return map[string]any{"wrapped": out}, nil
}

// TestCheckpointResume plays the workflow's part: run the worker, keep the last checkpoint it
// yielded, re-run at once after a yield and with a new attempt after a failure, until it finishes;
// the result must be exact, every item counted once after the last checkpoint.
func TestCheckpointResume(t *testing.T) {
	inputs, err := json.Marshal(tasker.BatchWorkerInputs{
		Cursor:        activities.CursorRanges(10, 10, 0)[0],
		BatchMetadata: tasker.BatchMetadata{CheckpointInterval: 3, CursorField: "n", FailureStrategy: "fail_fast"},
	})
	require.NoError(t, err)
	req := tasker.StepRequest{Step: tasker.StepInfo{Name: "sum_001", Attempt: 1, MaxAttempts: 2, Inputs: inputs}}
	var yields, failures int
	for range 20 {
		res, err := activities.Run(context.Background(), sumWorker{failAt: 7}, req)
		if err != nil {
			failures++
			req.Step.Attempt++
			continue
		}
		if res.CheckpointYield != nil {
			yields++
			req.Step.Checkpoint = res.CheckpointYield
			continue
		}
		assert.JSONEq(t, `{"wrapped":{"sum":45,"processed":10}}`, string(res.Results))
		assert.Equal(t, 3, yields, "checkpoints at items 3, 6, 9")
		assert.Equal(t, 1, failures)
		return
	}
	t.Fatal("the worker never finished")
}

func TestBatchWorkerContextErrors(t *testing.T) {
	cases := []struct {
		name   string
		inputs string
		want   string
	}{
		{"not a batch worker", ``, "step w: no step.inputs"},
		{"malformed inputs", `{"cursor":"001"}`, "decode batch worker inputs"},
		{"non-numeric cursor", `{"cursor":{"batch_id":"001","start_cursor":"a","end_cursor":5,"batch_size":5},"batch_metadata":{"checkpoint_interval":0,"cursor_field":"id","failure_strategy":"fail_fast"},"is_no_op":false}`, `batch 001: cursor "a" is not an integer`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := activities.StepContext{Request: tasker.StepRequest{Step: tasker.StepInfo{Name: "w", Inputs: json.RawMessage(tc.inputs)}}}
			b, err := sc.BatchWorker()
			if err == nil {
				_, _, err = b.Range()
			}
			var pe *activities.PermanentError
			require.ErrorAs(t, err, &pe)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func ExampleDecisionResult() {
	results := activities.DecisionResult(tasker.CreateSteps("manager_approval", "finance_review"), map[string]any{"route_type": "dual_approval"})
	b, _ := json.Marshal(results)
	fmt.Println(string(b))
	// Output: {"decision_point_outcome":{"type":"create_steps","step_names":["manager_approval","finance_review"]},"route_type":"dual_approval"}
}

func ExampleBatchResult() {
	cursors := activities.CursorRanges(1000, 200, 5)
	results := activities.BatchResult(tasker.CreateBatches("process_csv_batch", 1000, cursors), map[string]any{"total_rows": 1000})
	o := results[tasker.BatchOutcomeKey].(tasker.BatchOutcome)
	last, _ := json.Marshal(o.CursorConfigs[len(o.CursorConfigs)-1])
	fmt.Println(o.Type, o.WorkerCount, string(last))
	// Output: create_batches 5 {"batch_id":"005","start_cursor":800,"end_cursor":1000,"batch_size":200}
}

func ExampleCheckpointYield() {
	res, _ := activities.CheckpointYield(250, 50, map[string]float64{"total": 1234.5})
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	// Output: {"checkpoint_yield":{"cursor":250,"items_processed":50,"accumulated_results":{"total":1234.5}}}
}
