package events

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceNames is TASKER-REFERENCE §7, copied by hand so the catalog cannot drift from it.
var referenceNames = []string{
	"task.initialize_requested", "task.start_requested", "task.completed", "task.failed",
	"task.retry_requested", "task.cancelled", "task.resolved_manually", "task.before_transition",
	"step.initialize_requested", "step.execution_requested", "step.before_handle", "step.handle",
	"step.completed", "step.failed", "step.retry_requested", "step.cancelled", "step.resolved_manually",
	"step.before_transition",
	"workflow.task_started", "workflow.task_completed", "workflow.task_failed",
	"workflow.step_completed", "workflow.step_failed", "workflow.viable_steps_discovered",
	"workflow.no_viable_steps", "workflow.orchestration_requested", "workflow.task_finalization_started",
	"workflow.task_finalization_completed", "workflow.task_reenqueue_started",
	"workflow.task_reenqueue_requested", "workflow.task_reenqueue_failed", "workflow.task_reenqueue_delayed",
	"workflow.task_state_unclear", "workflow.step_execution_failed", "workflow.viable_steps_batch_ready",
	"workflow.steps_execution_started", "workflow.steps_execution_completed",
	"observability.task.handle", "observability.task.enqueue", "observability.task.finalize",
	"observability.step.handle", "observability.step.find_viable", "observability.step.backoff",
	"observability.step.skip", "observability.step.max_retries_reached",
}

func TestCatalogMatchesReference(t *testing.T) {
	cat := Catalog()
	require.Len(t, cat, len(referenceNames))
	for _, name := range referenceNames {
		d, ok := Lookup(name)
		require.True(t, ok, "catalog lacks %s", name)
		assert.True(t, strings.HasPrefix(name, d.Category+"."), "%s has category %s", name, d.Category)
		assert.NotEmpty(t, d.Description, name)
		assert.NotEmpty(t, d.Fields, name)
	}
	for i := 1; i < len(cat); i++ {
		assert.Less(t, cat[i-1].Name, cat[i].Name, "Catalog is sorted by name")
	}
	_, ok := Lookup("task.nope")
	assert.False(t, ok)
}

func TestDefinitionValidate(t *testing.T) {
	d, _ := Lookup(StepFailed)
	good := map[string]any{
		KeyTaskID: int64(7), KeyWorkflowID: "wf", KeyNamespace: "ns", KeyTaskName: "t", KeyVersion: "1.0.0",
		KeyFromState: "in_progress", KeyToState: "error", KeyTransitionedAt: "2026-01-01T00:00:00Z",
		KeyStepName: "charge", KeyError: "boom", KeyAttemptNumber: float64(2),
	}
	require.NoError(t, d.Validate(good))

	tests := []struct {
		name    string
		edit    func(map[string]any)
		wantErr string
	}{
		{"missing required", func(p map[string]any) { delete(p, KeyStepName) }, `payload field "step_name" is required`},
		{"nil required", func(p map[string]any) { p[KeyError] = nil }, `payload field "error" is required`},
		{"wrong type", func(p map[string]any) { p[KeyTaskID] = "7" }, `payload field "task_id" is string, want integer`},
		{"fractional integer", func(p map[string]any) { p[KeyAttemptNumber] = 1.5 }, `payload field "attempt_number" is float64, want integer`},
		{"extra keys allowed", func(p map[string]any) { p["anything"] = 1 }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := clonePayload(good)
			tc.edit(p)
			err := d.Validate(p)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "event step.failed: "+tc.wantErr)
		})
	}
}

func TestValidateCustomName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string
	}{
		{"payments.card_declined", ""},
		{"billing.invoice.sent-v2", ""},
		{"", "custom event name is empty"},
		{"nodot", `must contain a dot`},
		{"task.custom", `reserved prefix "task"`},
		{"step.thing", `reserved prefix "step"`},
		{"workflow.x", `reserved prefix "workflow"`},
		{"observability.x", `reserved prefix "observability"`},
		{"test.x", `reserved prefix "test"`},
		{"Task.x", `reserved prefix "task"`},
		{"payments..x", "segment 2: empty segment"},
		{"payments.x.", "segment 3: empty segment"},
		{"payments.Card", `segment 2: character 'C' not allowed`},
		{"payments.*", `character '*' not allowed`},
		{"payments.a b", `character ' ' not allowed`},
		{"a." + strings.Repeat("x", 260), "longer than 255"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateCustomName(tc.name)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestPattern(t *testing.T) {
	tests := []struct {
		pattern string
		name    string
		want    bool
	}{
		{"step.*", "step.completed", true},
		{"step.*", "task.completed", false},
		{"step.*", "step", false},
		{"step.*", "observability.step.backoff", false},
		{"observability.>", "observability.step.backoff", true},
		{"observability.>", "observability", false},
		{"observability.*.backoff", "observability.step.backoff", true},
		{"observability.*.backoff", "observability.step.skip", false},
		{">", "anything.at.all", true},
		{"*.completed", "task.completed", true},
		{"*.completed", "workflow.task_completed", false},
		{"task.completed", "task.completed", true},
		{"task.completed", "task.completed.more", false},
		{"task", "task.completed", false},
		{"payments.>", "payments.card.declined", true},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+" "+tc.name, func(t *testing.T) {
			p, err := ParsePattern(tc.pattern)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.Match(tc.name))
			assert.Equal(t, tc.pattern, p.String())
		})
	}
}

func TestParsePatternErrors(t *testing.T) {
	tests := []struct{ pattern, wantErr string }{
		{"", "event pattern is empty"},
		{"step.", `event pattern "step.": segment 2 is empty`},
		{".step", "segment 1 is empty"},
		{">.step", `">" must be the last segment`},
		{"step.comp*", `segment "comp*" mixes a wildcard with text`},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			_, err := ParsePattern(tc.pattern)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
	assert.Panics(t, func() { MustPattern("a..b") })
}
