package schemas_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/schemas"
)

// fullRequest sets every field of tasker.StepRequest, as the workflow sends it for a mirrored task.
func fullRequest() tasker.StepRequest {
	return tasker.StepRequest{
		Task: tasker.TaskInfo{
			ID: 42, Namespace: "payments", Name: "checkout", Version: "1.2.0",
			Context:    json.RawMessage(`{"order_id":7,"line_items":[{"sku":"A1","quantity":2}]}`),
			WorkflowID: "checkout-7", RunID: "0196f0c5-0000-7000-8000-000000000000",
		},
		Step: tasker.StepInfo{
			Name: "charge_card", Attempt: 2, MaxAttempts: 3,
			Initialization: map[string]any{"gateway": "stripe", "timeout_ms": 500},
		},
		DependencyResults: map[string]json.RawMessage{"validate_order": json.RawMessage(`{"total":10.5}`), "resolved_step": json.RawMessage(`null`)},
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return b
}

// TestGoValuesMatchSchemas marshals real values of the Go wire types and validates them.
func TestGoValuesMatchSchemas(t *testing.T) {
	minimal := tasker.StepRequest{
		Task:              tasker.TaskInfo{Namespace: "ns", Name: "t", Version: "0.1.0", WorkflowID: "wf", RunID: "run"},
		Step:              tasker.StepInfo{Name: "root", Attempt: 1, MaxAttempts: 1},
		DependencyResults: map[string]json.RawMessage{},
	}
	tests := []struct {
		name   string
		schema string
		value  any
	}{
		{"full request", schemas.StepRequest, fullRequest()},
		{"minimal request (no id, context, initialization; root step)", schemas.StepRequest, minimal},
		{"result with results and metadata", schemas.StepResult, tasker.StepResult{Results: json.RawMessage(`{"charge_id":"ch_1"}`), Metadata: map[string]any{"gateway_ms": 120}}},
		{"result with scalar results", schemas.StepResult, tasker.StepResult{Results: json.RawMessage(`"done"`)}},
		{"empty result", schemas.StepResult, tasker.StepResult{}},
		{"retry details", schemas.StepErrorDetails, activities.RetryDetails{RetryAfterSeconds: 7.5}},
		{"retry details zero", schemas.StepErrorDetails, activities.RetryDetails{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := schemas.Validate(tt.schema, marshal(t, tt.value)); err != nil {
				t.Fatalf("Go value refused by %s: %v\n%s", tt.schema, err, marshal(t, tt.value))
			}
		})
	}
}

// TestSchemasRefuseViolations checks that documents breaking the contract are refused, naming
// where.
func TestSchemasRefuseViolations(t *testing.T) {
	camel := strings.Replace(string(marshal(t, fullRequest())), `"dependency_results"`, `"dependencyResults"`, 1)
	noName := strings.Replace(string(marshal(t, fullRequest())), `"name":"charge_card",`, ``, 1)
	tests := []struct {
		name, schema, doc, want string
	}{
		{"camelCase dependencyResults", schemas.StepRequest, camel, "(root): missing property 'dependency_results'"},
		{"camelCase is also an unknown field", schemas.StepRequest, camel, "additional properties 'dependencyResults' not allowed"},
		{"step without name", schemas.StepRequest, noName, "/step: missing property 'name'"},
		{"attempt 0", schemas.StepRequest, strings.Replace(string(marshal(t, fullRequest())), `"attempt":2`, `"attempt":0`, 1), "/step/attempt: minimum"},
		{"dependency_results null", schemas.StepRequest, strings.Replace(string(marshal(t, fullRequest())), `"dependency_results":{"resolved_step":null,"validate_order":{"total":10.5}}`, `"dependency_results":null`, 1), "/dependency_results: got null, want object"},
		{"result field misspelt", schemas.StepResult, `{"result":{"ok":true}}`, "additional properties 'result' not allowed"},
		{"metadata not an object", schemas.StepResult, `{"results":1,"metadata":[1]}`, "/metadata: got array, want object"},
		{"result not an object", schemas.StepResult, `"done"`, "got string, want object"},
		{"retry details camelCase", schemas.StepErrorDetails, `{"retryAfterSeconds":5}`, "missing property 'retry_after_seconds'"},
		{"retry details negative", schemas.StepErrorDetails, `{"retry_after_seconds":-1}`, "/retry_after_seconds: minimum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := schemas.Validate(tt.schema, []byte(tt.doc))
			if err == nil {
				t.Fatalf("%s accepted %s", tt.schema, tt.doc)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	if err := schemas.Validate("nope.json", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), `unknown schema "nope.json"`) {
		t.Fatalf("unknown schema: got %v", err)
	}
	if err := schemas.Validate(schemas.StepResult, []byte(`{`)); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("bad JSON: got %v", err)
	}
}

// TestPropertiesMatchGoFields compares each schema's property names with the JSON names of the Go
// type it mirrors, both ways, so that a field added to either side fails here.
func TestPropertiesMatchGoFields(t *testing.T) {
	type pair struct {
		schema  string
		pointer []string // path of "properties" keys to the object schema
		goType  reflect.Type
	}
	pairs := []pair{
		{schemas.StepRequest, nil, reflect.TypeFor[tasker.StepRequest]()},
		{schemas.StepRequest, []string{"task"}, reflect.TypeFor[tasker.TaskInfo]()},
		{schemas.StepRequest, []string{"step"}, reflect.TypeFor[tasker.StepInfo]()},
		{schemas.StepResult, nil, reflect.TypeFor[tasker.StepResult]()},
		{schemas.StepErrorDetails, nil, reflect.TypeFor[activities.RetryDetails]()},
	}
	for _, p := range pairs {
		t.Run(p.schema+"/"+p.goType.Name(), func(t *testing.T) {
			got := schemaProperties(t, p.schema, p.pointer)
			want := jsonFields(p.goType)
			if !slices.Equal(got, want) {
				t.Fatalf("%s properties %v, Go type %s has JSON fields %v", p.schema, got, p.goType, want)
			}
		})
	}
}

func schemaProperties(t *testing.T, name string, path []string) []string {
	t.Helper()
	raw, err := schemas.Raw(name)
	if err != nil {
		t.Fatal(err)
	}
	var node map[string]any
	if err := json.Unmarshal(raw, &node); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, key := range path {
		props, _ := node["properties"].(map[string]any)
		node, _ = props[key].(map[string]any)
		if node == nil {
			t.Fatalf("%s: no property %s", name, key)
		}
	}
	props, _ := node["properties"].(map[string]any)
	var out []string
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func jsonFields(typ reflect.Type) []string {
	var out []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func TestNamesAreEmbedded(t *testing.T) {
	for _, n := range schemas.Names() {
		raw, err := schemas.Raw(n)
		if err != nil || len(raw) == 0 {
			t.Fatalf("schema %s not embedded: %v", n, err)
		}
	}
	if _, err := schemas.Raw("missing.json"); err == nil {
		t.Fatal("Raw of a missing file: no error")
	}
}
