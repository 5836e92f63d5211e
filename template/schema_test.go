package template

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidateContext(t *testing.T) {
	tpl, err := LoadFile("testdata/templates/order_fulfillment.yaml", "")
	require.NoError(t, err)
	cases := []struct {
		name     string
		ctx      string
		problems []ContextProblem
	}{
		{"valid", `{"order_id": 7, "customer": {"email": "a@b.c"}, "items": [{"sku": "x", "quantity": 1}]}`, nil},
		{"every failing path", `{"order_id": 0, "customer": {}, "items": [{"sku": 1, "quantity": 0}, {"quantity": 2}]}`, []ContextProblem{
			{Path: "/customer", Message: "missing property 'email'"},
			{Path: "/items/0/quantity", Message: "minimum: got 0, want 1"},
			{Path: "/items/0/sku", Message: "got number, want string"},
			{Path: "/items/1", Message: "missing property 'sku'"},
			{Path: "/order_id", Message: "minimum: got 0, want 1"},
		}},
		{"empty context is {}", ``, []ContextProblem{{Path: "", Message: "missing properties 'order_id', 'customer'"}}},
		{"not an object", `[1]`, []ContextProblem{{Path: "", Message: "got array, want object"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := tpl.ValidateContext(json.RawMessage(c.ctx))
			if c.problems == nil {
				require.NoError(t, err)
				return
			}
			var ce *ContextError
			require.True(t, errors.As(err, &ce), "got %v", err)
			require.Equal(t, "ecommerce/order_fulfillment@1.2.0", ce.Template)
			require.Equal(t, c.problems, ce.Problems)
		})
	}
	err = tpl.ValidateContext(json.RawMessage(`{"order_id": 0, "customer": {}}`))
	require.EqualError(t, err, "context does not match the input schema of ecommerce/order_fulfillment@1.2.0: /customer: missing property 'email'; /order_id: minimum: got 0, want 1")
	require.ErrorContains(t, tpl.ValidateContext(json.RawMessage(`{nope`)), "task context for ecommerce/order_fulfillment@1.2.0 is not valid JSON")
}

func TestValidateContextWithoutSchema(t *testing.T) {
	tpl := &Template{Name: "n", Namespace: "ns", Version: "1.0.0"}
	require.NoError(t, tpl.ValidateContext(nil))
	require.NoError(t, tpl.ValidateContext(json.RawMessage(`{"anything": [1, 2]}`)))
	require.Error(t, tpl.ValidateContext(json.RawMessage(`{`)))
}
