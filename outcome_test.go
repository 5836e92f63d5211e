package tasker_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	tasker "github.com/tasker-systems/tasker-temporal"
)

func TestParseDecisionOutcome(t *testing.T) {
	cases := []struct {
		name, results string
		want          []string
		err           string
	}{
		{"create steps (tasker-core's shape)", `{"route_type":"dual","decision_point_outcome":{"type":"create_steps","step_names":["manager_approval","finance_review"]}}`, []string{"manager_approval", "finance_review"}, ""},
		{"no branches", `{"decision_point_outcome":{"type":"no_branches"}}`, nil, ""},
		{"missing", `{"route_type":"auto"}`, nil, "the results have none"},
		{"results not an object", `["auto_approve"]`, nil, "the results have none"},
		{"unknown type", `{"decision_point_outcome":{"type":"create"}}`, nil, `unknown type "create"`},
		{"create without names", `{"decision_point_outcome":{"type":"create_steps","step_names":[]}}`, nil, "without step_names"},
		{"empty name", `{"decision_point_outcome":{"type":"create_steps","step_names":["a",""]}}`, nil, "step_names[1] is empty"},
		{"no branches with names", `{"decision_point_outcome":{"type":"no_branches","step_names":["a"]}}`, nil, "no_branches with step_names"},
		{"misspelt field", `{"decision_point_outcome":{"type":"create_steps","steps":["a"]}}`, nil, `unknown field "steps"`},
		{"names not strings", `{"decision_point_outcome":{"type":"create_steps","step_names":[1]}}`, nil, "cannot unmarshal number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tasker.ParseDecisionOutcome(json.RawMessage(tc.results))
			if tc.err != "" {
				var oe *tasker.OutcomeError
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.As(err, &oe) {
					t.Fatalf("error %v, want an *OutcomeError containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(o.StepNames, tc.want) {
				t.Fatalf("outcome %+v, %v; want steps %v", o, err, tc.want)
			}
		})
	}
}

func TestParseBatchOutcome(t *testing.T) {
	cursor := func(id string) tasker.CursorConfig {
		return tasker.CursorConfig{BatchID: id, StartCursor: json.RawMessage(`0`), EndCursor: json.RawMessage(`10`), BatchSize: 10}
	}
	good, _ := json.Marshal(map[string]any{"total_rows": 20, tasker.BatchOutcomeKey: tasker.CreateBatches("w", 20, []tasker.CursorConfig{cursor("001"), cursor("002")})})
	cases := []struct {
		name, results string
		ids           []string
		err           string
	}{
		{"create batches", string(good), []string{"001", "002"}, ""},
		{"no batches", `{"batch_processing_outcome":{"type":"no_batches"}}`, []string{}, ""},
		{"missing", `{}`, nil, "the results have none"},
		{"count mismatch", `{"batch_processing_outcome":{"type":"create_batches","worker_template_name":"w","worker_count":3,"cursor_configs":[{"batch_id":"001","start_cursor":0,"end_cursor":1,"batch_size":1}]}}`, nil, "worker_count 3 but 1 cursor_configs"},
		{"no cursors", `{"batch_processing_outcome":{"type":"create_batches","worker_template_name":"w","worker_count":0}}`, nil, "without cursor_configs"},
		{"no template", `{"batch_processing_outcome":{"type":"create_batches","worker_count":1,"cursor_configs":[{"batch_id":"001","start_cursor":0,"end_cursor":1,"batch_size":1}]}}`, nil, "without worker_template_name"},
		{"repeated batch id", `{"batch_processing_outcome":{"type":"create_batches","worker_template_name":"w","worker_count":2,"cursor_configs":[{"batch_id":"001","start_cursor":0,"end_cursor":1,"batch_size":1},{"batch_id":"001","start_cursor":1,"end_cursor":2,"batch_size":1}]}}`, nil, `batch_id "001" repeats`},
		{"missing end cursor", `{"batch_processing_outcome":{"type":"create_batches","worker_template_name":"w","worker_count":1,"cursor_configs":[{"batch_id":"001","start_cursor":0,"batch_size":1}]}}`, nil, "lacks start_cursor or end_cursor"},
		{"cursor list not a list", `{"batch_processing_outcome":{"type":"create_batches","worker_template_name":"w","worker_count":1,"cursor_configs":{"batch_id":"001"}}}`, nil, "cannot unmarshal object"},
		{"unknown type", `{"batch_processing_outcome":{"type":"split"}}`, nil, `unknown type "split"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tasker.ParseBatchOutcome(json.RawMessage(tc.results))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(o.BatchIDs(), tc.ids) {
				t.Fatalf("outcome %+v, %v; want ids %v", o, err, tc.ids)
			}
		})
	}
}
