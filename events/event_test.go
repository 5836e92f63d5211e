package events

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tasker "github.com/tasker-systems/tasker-temporal"
)

func TestFromTransitionMapping(t *testing.T) {
	const task, step = tasker.EntityTask, tasker.EntityStep
	bt := TaskBeforeTransition
	tests := []struct {
		name     string
		entity   string
		from, to string
		edit     func(*tasker.Transition)
		want     []string
	}{
		{"task created", task, "", "pending", nil, []string{bt, TaskInitializeRequested}},
		{"task started", task, "pending", "in_progress", nil, []string{bt, TaskStartRequested, WorkflowTaskStarted}},
		{"task completed", task, "in_progress", "complete", nil, []string{bt, TaskCompleted, WorkflowTaskCompleted}},
		{"task failed", task, "in_progress", "error", nil, []string{bt, TaskFailed, WorkflowTaskFailed}},
		{"task failed before start", task, "pending", "error", nil, []string{bt, TaskFailed, WorkflowTaskFailed}},
		{"task retried", task, "error", "pending", nil, []string{bt, TaskRetryRequested}},
		{"task re-enqueued", task, "in_progress", "pending", nil, []string{bt, TaskInitializeRequested, WorkflowTaskReenqueueRequested}},
		{"task cancelled", task, "pending", "cancelled", nil, []string{bt, TaskCancelled}},
		{"completed task cancelled", task, "complete", "cancelled", nil, []string{bt, TaskCancelled}},
		{"task resolved", task, "error", "resolved_manually", nil, []string{bt, TaskResolvedManually}},
		{"task same state", task, "pending", "pending", nil, nil},
		{"task unmapped", task, "complete", "pending", nil, nil},

		{"step created", step, "", "pending", nil, []string{StepInitializeRequested}},
		{"step started", step, "pending", "in_progress", nil, []string{StepExecutionRequested}},
		{"step completed", step, "in_progress", "complete", nil, []string{StepCompleted, WorkflowStepCompleted}},
		{"step failed", step, "in_progress", "error", nil, []string{StepFailed, WorkflowStepFailed}},
		{"step failed with backoff", step, "in_progress", "error",
			func(tr *tasker.Transition) { tr.BackoffSeconds = 4 },
			[]string{StepFailed, WorkflowStepFailed, ObservabilityStepBackoff}},
		{"step out of attempts", step, "in_progress", "error",
			func(tr *tasker.Transition) { tr.Attempt = 3; tr.Metadata = map[string]any{KeyMaxAttempts: 3} },
			[]string{StepFailed, WorkflowStepFailed, ObservabilityStepMaxRetriesReached}},
		{"step permanent error", step, "in_progress", "error",
			func(tr *tasker.Transition) { tr.BackoffSeconds = 2; tr.Metadata = map[string]any{"retryable": false} },
			[]string{StepFailed, WorkflowStepFailed, ObservabilityStepMaxRetriesReached}},
		{"step failed before start", step, "pending", "error", nil, []string{StepFailed, WorkflowStepFailed}},
		{"step retried", step, "error", "pending", nil, []string{StepRetryRequested}},
		{"step cancelled", step, "in_progress", "cancelled", nil, []string{StepCancelled}},
		{"step resolved from error", step, "error", "resolved_manually", nil, []string{StepResolvedManually}},
		{"step resolved from pending", step, "pending", "resolved_manually", nil, []string{StepResolvedManually}},
		{"step same state", step, "error", "error", nil, nil},
		{"step unmapped", step, "complete", "pending", nil, nil},
		{"unknown entity", "job", "pending", "in_progress", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := tasker.Transition{WorkflowID: "wf-1", Seq: 9, Entity: tc.entity, From: tc.from, To: tc.to, At: t0, Attempt: 1}
			if tc.entity == step {
				tr.Step = "charge"
			}
			if tc.edit != nil {
				tc.edit(&tr)
			}
			evs := FromTransition(tr, testTask)
			assert.Equal(t, tc.want, names(evs))
			for _, ev := range evs {
				d, ok := Lookup(ev.Name)
				require.True(t, ok, ev.Name)
				assert.NoError(t, d.Validate(ev.Payload))
				assert.Equal(t, EventID("wf-1", 9, ev.Name, -1), ev.ID)
				assert.Equal(t, int64(9), ev.Seq)
				assert.Equal(t, t0, ev.At)
			}
		})
	}
}

func TestFromTransitionPayloads(t *testing.T) {
	evs := diamondEvents("wf-diamond")
	byName := map[string][]Event{}
	for _, ev := range evs {
		byName[ev.Name] = append(byName[ev.Name], ev)
		assert.Equal(t, testTask.TaskID, ev.TaskID)
		assert.Equal(t, "payments", ev.Namespace)
		if _, builtin := Lookup(ev.Name); builtin {
			assert.Equal(t, "wf-diamond", ev.Payload[KeyWorkflowID])
		}
	}
	failed := byName[StepFailed]
	require.Len(t, failed, 1)
	assert.Equal(t, "card processor timeout", failed[0].Payload[KeyError])
	assert.Equal(t, "Timeout", failed[0].Payload[KeyErrorClass])
	assert.Equal(t, 2, failed[0].Payload[KeyBackoffSeconds])
	assert.Equal(t, "charge", failed[0].Step)

	before := byName[TaskBeforeTransition]
	require.Len(t, before, 3)
	assert.Equal(t, []any{TaskInitializeRequested, TaskStartRequested, TaskCompleted},
		[]any{before[0].Payload[KeyTransitionEvent], before[1].Payload[KeyTransitionEvent], before[2].Payload[KeyTransitionEvent]})

	completed := byName[StepCompleted]
	require.Len(t, completed, 4)
	assert.JSONEq(t, `{"valid":true}`, string(completed[0].Payload[KeyResults].(json.RawMessage)))
	assert.Equal(t, 0.012, completed[0].Payload[KeyExecutionDuration])

	retry := byName[StepRetryRequested]
	require.Len(t, retry, 1)
	assert.Equal(t, 2, retry[0].Payload[KeyRetryAttempt])

	custom := byName["notifications.email_sent"]
	require.Len(t, custom, 1)
	assert.Equal(t, map[string]any{"to": "buyer@example.com"}, custom[0].Payload)
	assert.Equal(t, "notify", custom[0].Step)
	_, hasEvents := completed[2].Payload[KeyMetadata]
	assert.False(t, hasEvents, "the custom events are not repeated in the step.completed metadata")
}

func TestFromTransitionDeterministic(t *testing.T) {
	a, b := diamondEvents("wf-x"), diamondEvents("wf-x")
	require.Equal(t, a, b, "the same transitions give the same events")
	seen := map[string]string{}
	for _, ev := range a {
		prev, dup := seen[ev.ID]
		require.False(t, dup, "event %s and %s share ID %s", prev, ev.Name, ev.ID)
		seen[ev.ID] = ev.Name
	}
	other := diamondEvents("wf-y")
	assert.NotEqual(t, a[0].ID, other[0].ID, "IDs differ across workflows")
}

func TestEventIDFormat(t *testing.T) {
	id := EventID("wf", 1, TaskCompleted, -1)
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), id)
	assert.Equal(t, id, EventID("wf", 1, TaskCompleted, -1))
	assert.NotEqual(t, id, EventID("wf", 2, TaskCompleted, -1))
	assert.NotEqual(t, id, EventID("wf", 1, TaskFailed, -1))
	assert.NotEqual(t, EventID("wf", 1, "a.b", 0), EventID("wf", 1, "a.b", 1))
}

func TestCustomEventsFromMetadata(t *testing.T) {
	tests := []struct {
		name      string
		md        map[string]any
		wantNames []string
		wantErr   string
	}{
		{"none", nil, nil, ""},
		{"list of maps", map[string]any{"events": []any{map[string]any{"name": "a.b", "payload": map[string]any{"x": 1}}}}, []string{"a.b"}, ""},
		{"typed list", map[string]any{"events": []CustomEvent{{Name: "a.b"}, {Name: "a.c"}}}, []string{"a.b", "a.c"}, ""},
		{"raw JSON", map[string]any{"events": json.RawMessage(`[{"name":"orders.shipped"}]`)}, []string{"orders.shipped"}, ""},
		{"not a list", map[string]any{"events": "a.b"}, nil, "metadata.events: want a list of {name, payload}, got string"},
		{"reserved name kept out", map[string]any{"events": []any{
			map[string]any{"name": "task.completed"}, map[string]any{"name": "ok.one"},
		}}, []string{"ok.one"}, `metadata.events[0]: custom event name "task.completed" uses the reserved prefix "task"`},
		{"missing name", map[string]any{"events": []any{map[string]any{"payload": map[string]any{}}}}, nil, "metadata.events[0]: field name: want a string"},
		{"payload not object", map[string]any{"events": []any{map[string]any{"name": "a.b", "payload": 3}}}, nil, `metadata.events[0]: event "a.b": field payload: want an object, got int`},
		{"unknown field", map[string]any{"events": []any{map[string]any{"name": "a.b", "when": 1}}}, nil, `metadata.events[0]: event "a.b": unknown field "when"`},
		{"item not object", map[string]any{"events": []any{"a.b"}}, nil, "metadata.events[0]: want an object {name, payload}, got string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CustomEventsFromMetadata(tc.md)
			var gotNames []string
			for _, c := range got {
				gotNames = append(gotNames, c.Name)
			}
			assert.Equal(t, tc.wantNames, gotNames)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestFromTransitionCheckedReportsBadCustomEvents(t *testing.T) {
	tr := tasker.Transition{WorkflowID: "wf", Seq: 3, Entity: tasker.EntityStep, Step: "notify",
		From: "in_progress", To: "complete", At: t0, Attempt: 1,
		Metadata: map[string]any{"events": []any{map[string]any{"name": "nodot"}, map[string]any{"name": "good.one"}}}}
	evs, err := FromTransitionChecked(tr, testTask)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `workflow wf seq 3 step "notify": metadata.events[0]: custom event name "nodot" must contain a dot`)
	assert.Equal(t, []string{StepCompleted, WorkflowStepCompleted, "good.one"}, names(evs))
	assert.Equal(t, EventID("wf", 3, "good.one", 1), evs[2].ID, "a custom event's ID uses its index in the handler's list")
	assert.Equal(t, evs, FromTransition(tr, testTask))
}

func TestNewCustomEvent(t *testing.T) {
	ev, err := NewCustomEvent("orders.shipped", t0, "wf", 5, testTask, map[string]any{"carrier": "ups"})
	require.NoError(t, err)
	assert.Equal(t, EventID("wf", 5, "orders.shipped", -1), ev.ID)
	assert.Equal(t, "process_payment", ev.TaskName)
	_, err = NewCustomEvent("workflow.mine", t0, "wf", 5, testTask, nil)
	assert.ErrorContains(t, err, `reserved prefix "workflow"`)
}
