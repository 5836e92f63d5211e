package schemas_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/schemas"
)

func cursor(id string, start, end, size int) tasker.CursorConfig {
	s, _ := json.Marshal(start)
	e, _ := json.Marshal(end)
	return tasker.CursorConfig{BatchID: id, StartCursor: s, EndCursor: e, BatchSize: size}
}

func workerInputs() tasker.BatchWorkerInputs {
	return tasker.BatchWorkerInputs{
		Cursor:        cursor("002", 200, 400, 200),
		BatchMetadata: tasker.BatchMetadata{CheckpointInterval: 100, CursorField: "row_number", FailureStrategy: "continue_on_failure"},
	}
}

// TestDynamicValuesMatchSchemas marshals the Go values of the dynamic-step contract, as handlers
// and the workflow produce them, and validates them; and outcomes extracted from results.
func TestDynamicValuesMatchSchemas(t *testing.T) {
	cp := &tasker.Checkpoint{Cursor: json.RawMessage(`250`), ItemsProcessed: 50, AccumulatedResults: json.RawMessage(`{"sum":12.5}`), Timestamp: time.Date(2026, 1, 6, 12, 0, 0, 0, time.UTC)}
	req := fullRequest()
	req.Step.Inputs = marshal(t, workerInputs())
	req.Step.Checkpoint = cp
	tests := []struct {
		name, schema string
		value        any
	}{
		{"create steps", schemas.DecisionOutcome, tasker.CreateSteps("manager_approval", "finance_review")},
		{"no branches", schemas.DecisionOutcome, tasker.NoBranches()},
		{"create batches", schemas.BatchOutcome, tasker.CreateBatches("process_csv_batch", 400, []tasker.CursorConfig{cursor("001", 0, 200, 200), cursor("002", 200, 400, 200)})},
		{"no batches", schemas.BatchOutcome, tasker.NoBatches()},
		{"worker inputs", schemas.BatchWorkerInputs, workerInputs()},
		{"placeholder inputs", schemas.BatchWorkerInputs, tasker.BatchWorkerInputs{Cursor: cursor("000", 0, 0, 0), BatchMetadata: tasker.BatchMetadata{CursorField: "id", FailureStrategy: "fail_fast"}, IsNoOp: true}},
		{"checkpoint", schemas.Checkpoint, cp},
		{"checkpoint from a handler (no timestamp)", schemas.Checkpoint, tasker.Checkpoint{Cursor: json.RawMessage(`{"id":"k9"}`)}},
		{"request of a resumed batch worker", schemas.StepRequest, req},
		{"checkpoint yield result", schemas.StepResult, tasker.StepResult{CheckpointYield: cp}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := schemas.Validate(tt.schema, marshal(t, tt.value)); err != nil {
				t.Fatalf("Go value refused by %s: %v\n%s", tt.schema, err, marshal(t, tt.value))
			}
		})
	}
}

func TestDynamicSchemasRefuseViolations(t *testing.T) {
	tests := []struct {
		name, schema, doc, want string
	}{
		{"create steps without names", schemas.DecisionOutcome, `{"type":"create_steps"}`, "missing property 'step_names'"},
		{"create steps empty", schemas.DecisionOutcome, `{"type":"create_steps","step_names":[]}`, "minItems"},
		{"no branches with names", schemas.DecisionOutcome, `{"type":"no_branches","step_names":["a"]}`, "'not' failed"},
		{"unknown decision type", schemas.DecisionOutcome, `{"type":"maybe"}`, "/type: value must be one of"},
		{"duplicate step name", schemas.DecisionOutcome, `{"type":"create_steps","step_names":["a","a"]}`, "items at 0 and 1 are equal"},
		{"batches without cursors", schemas.BatchOutcome, `{"type":"create_batches","worker_template_name":"w","worker_count":1}`, "missing property 'cursor_configs'"},
		{"cursor without end", schemas.BatchOutcome, `{"type":"create_batches","worker_template_name":"w","worker_count":1,"cursor_configs":[{"batch_id":"001","start_cursor":0,"batch_size":1}]}`, "/cursor_configs/0: missing property 'end_cursor'"},
		{"camelCase cursor", schemas.BatchOutcome, `{"type":"create_batches","worker_template_name":"w","worker_count":1,"cursor_configs":[{"batchId":"001","start_cursor":0,"end_cursor":1,"batch_size":1}]}`, "additional properties 'batchId' not allowed"},
		{"inputs with a bad strategy", schemas.BatchWorkerInputs, `{"cursor":{"batch_id":"001","start_cursor":0,"end_cursor":1,"batch_size":1},"batch_metadata":{"checkpoint_interval":0,"cursor_field":"id","failure_strategy":"retry"},"is_no_op":false}`, "/batch_metadata/failure_strategy: value must be one of"},
		{"checkpoint without cursor", schemas.Checkpoint, `{"items_processed":5}`, "missing property 'cursor'"},
		{"checkpoint yield misspelt", schemas.StepResult, `{"checkpoint":{"cursor":1}}`, "additional properties 'checkpoint' not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := schemas.Validate(tt.schema, []byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%s: error %v, want one containing %q", tt.schema, err, tt.want)
			}
		})
	}
}

// TestDynamicPropertiesMatchGoFields: every schema of the dynamic contract has exactly the JSON
// fields of the Go type it mirrors.
func TestDynamicPropertiesMatchGoFields(t *testing.T) {
	pairs := []struct {
		schema string
		path   []string
		goType reflect.Type
	}{
		{schemas.DecisionOutcome, nil, reflect.TypeFor[tasker.DecisionOutcome]()},
		{schemas.BatchOutcome, nil, reflect.TypeFor[tasker.BatchOutcome]()},
		{schemas.BatchWorkerInputs, nil, reflect.TypeFor[tasker.BatchWorkerInputs]()},
		{schemas.BatchWorkerInputs, []string{"batch_metadata"}, reflect.TypeFor[tasker.BatchMetadata]()},
		{schemas.Checkpoint, nil, reflect.TypeFor[tasker.Checkpoint]()},
	}
	for _, p := range pairs {
		t.Run(p.schema+"/"+p.goType.Name(), func(t *testing.T) {
			if got, want := schemaProperties(t, p.schema, p.path), jsonFields(p.goType); !slices.Equal(got, want) {
				t.Fatalf("%s properties %v, Go type %s has %v", p.schema, got, p.goType, want)
			}
		})
	}
	raw, _ := schemas.Raw(schemas.BatchOutcome)
	var doc struct {
		Defs map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range doc.Defs["cursor"].Properties {
		got = append(got, k)
	}
	slices.Sort(got)
	if want := jsonFields(reflect.TypeFor[tasker.CursorConfig]()); !slices.Equal(got, want) {
		t.Fatalf("cursor properties %v, tasker.CursorConfig %v", got, want)
	}
}
