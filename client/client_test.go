package client

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
)

func TestWorkflowIDFollowsTheRequestIdentity(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 30, 10, 0, time.UTC)
	base := tasker.TaskRequest{Namespace: "payments", Name: "refund", Version: "1.0.0",
		Context: json.RawMessage(`{"a": 1, "b": [1, 2]}`), Initiator: "me", RequestedAt: at}
	id, err := WorkflowID(base)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(id, "tasker/payments/refund/"), id)

	same := base
	same.Context = json.RawMessage(`{ "b": [1,2], "a": 1 }`) // same JSON, other spelling
	same.RequestedAt = at.Add(40 * time.Second)              // same minute
	same.Tags = []string{"ignored"}                          // tags are not identity
	idSame, err := WorkflowID(same)
	require.NoError(t, err)
	assert.Equal(t, id, idSame)

	for name, change := range map[string]func(*tasker.TaskRequest){
		"context":      func(r *tasker.TaskRequest) { r.Context = json.RawMessage(`{"a": 2}`) },
		"next minute":  func(r *tasker.TaskRequest) { r.RequestedAt = at.Add(time.Minute) },
		"initiator":    func(r *tasker.TaskRequest) { r.Initiator = "you" },
		"reason":       func(r *tasker.TaskRequest) { r.Reason = "again" },
		"bypass steps": func(r *tasker.TaskRequest) { r.BypassSteps = []string{"x"} },
		"version":      func(r *tasker.TaskRequest) { r.Version = "2.0.0" },
	} {
		other := base
		change(&other)
		idOther, err := WorkflowID(other)
		require.NoError(t, err)
		assert.NotEqual(t, id, idOther, name)
	}

	bad := base
	bad.Context = json.RawMessage(`{nope`)
	_, err = WorkflowID(bad)
	assert.ErrorContains(t, err, "task payments/refund: context is not JSON")
}

func TestListQuery(t *testing.T) {
	assert.Equal(t, "WorkflowType = 'TaskerTask'", listQuery(ListFilter{}))
	assert.Equal(t, "WorkflowType = 'TaskerTask' AND TaskerNamespace = 'pay' AND TaskerStatus = 'error' AND (StartTime > '2026-01-01')",
		listQuery(ListFilter{Namespace: "pay", Status: "error", Query: "StartTime > '2026-01-01'"}))
	assert.Equal(t, `WorkflowType = 'TaskerTask' AND TaskerTaskName = 'it\'s'`, listQuery(ListFilter{Name: "it's"}))
}
