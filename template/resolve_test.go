package template_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/template"
)

const resolveYAML = `
name: order
namespace_name: shop
version: 1.0.0
input_schema:
  type: object
  required: [order_id]
  properties:
    order_id: {type: integer}
steps:
  - name: charge
    handler: {callable: Shop::Charge}
`

func TestResolveRequest(t *testing.T) {
	tmpl, err := template.Parse([]byte(resolveYAML), "order.yaml", "")
	require.NoError(t, err)
	reg := template.NewRegistry()
	require.NoError(t, reg.Add(tmpl))

	ok := tasker.TaskRequest{Namespace: "shop", Name: "order", Context: json.RawMessage(`{"order_id": 7}`)}
	tests := []struct {
		name      string
		templates template.Templates
		req       func(r tasker.TaskRequest) tasker.TaskRequest
		notFound  bool
		invalid   bool   // an InvalidRequestError …
		field     string // … with this field
		msg       string
	}{
		{name: "valid", templates: reg},
		{name: "no registry", templates: nil, notFound: true, msg: "no template registry configured"},
		{name: "unknown template", templates: reg, req: func(r tasker.TaskRequest) tasker.TaskRequest { r.Name = "refund"; return r },
			notFound: true, msg: "template not found: shop/refund (no version of it is registered)"},
		{name: "unknown version", templates: reg, req: func(r tasker.TaskRequest) tasker.TaskRequest { r.Version = "2.0.0"; return r },
			notFound: true, msg: "template not found: shop/order@2.0.0 (registered versions: 1.0.0)"},
		{name: "no name", templates: reg, req: func(r tasker.TaskRequest) tasker.TaskRequest { r.Name = ""; return r },
			invalid: true, msg: `task request shop/: `},
		{name: "bad context", templates: reg, invalid: true, req: func(r tasker.TaskRequest) tasker.TaskRequest { r.Context = json.RawMessage(`{}`); return r },
			field: "context", msg: "task shop/order@1.0.0: context: "},
		{name: "unknown bypass step", templates: reg, invalid: true, req: func(r tasker.TaskRequest) tasker.TaskRequest { r.BypassSteps = []string{"ship"}; return r },
			field: "bypass_steps", msg: "task shop/order@1.0.0: bypass_steps: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := ok
			if tc.req != nil {
				req = tc.req(req)
			}
			got, err := template.ResolveRequest(tc.templates, req)
			var nf *template.NotFoundError
			var inv *template.InvalidRequestError
			switch {
			case tc.notFound:
				require.ErrorAs(t, err, &nf)
				assert.Equal(t, req.Name, nf.Name)
				assert.Equal(t, tc.msg, err.Error())
				assert.False(t, errors.As(err, &inv), "a missing template is not an invalid request")
			case tc.invalid:
				require.ErrorAs(t, err, &inv)
				assert.Equal(t, tc.field, inv.Field)
				assert.Contains(t, err.Error(), tc.msg)
			default:
				require.NoError(t, err)
				assert.Equal(t, "1.0.0", got.Version)
			}
		})
	}
	_, err = template.ResolveRequest(reg, tasker.TaskRequest{Namespace: "shop", Name: "gone"})
	assert.ErrorIs(t, err, template.ErrNotFound, "the registry's sentinel stays reachable")
}
