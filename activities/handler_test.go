package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
)

type shaped struct{}

func (shaped) Process(context.Context, activities.StepContext) (any, error) {
	return map[string]int{"raw": 2}, nil
}

func (shaped) ProcessResults(_ context.Context, _ activities.StepContext, out any) (any, error) {
	return map[string]any{"shaped": out}, nil
}

func TestActivityRunsBothHooksAndMapsErrors(t *testing.T) {
	res, err := activities.Activity(shaped{})(context.Background(), tasker.StepRequest{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"shaped":{"raw":2}}`, string(res.Results))

	tests := []struct {
		name      string
		err       error
		typ       string
		permanent bool
		delay     time.Duration
	}{
		{"permanent", activities.Permanent(errors.New("declined")), tasker.ErrorTypePermanent, true, 0},
		{"retry after", activities.RetryAfter(errors.New("busy"), 42*time.Second), tasker.ErrorTypeRetryable, false, 42 * time.Second},
		{"plain error", errors.New("boom"), "*errors.errorString", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) { return nil, tt.err })
			_, err := activities.Activity(h)(context.Background(), tasker.StepRequest{})
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			assert.Equal(t, tt.typ, appErr.Type())
			assert.Equal(t, tt.permanent, appErr.NonRetryable())
			assert.Equal(t, tt.delay, appErr.NextRetryDelay())
			if tt.delay > 0 {
				var d activities.RetryDetails
				require.NoError(t, appErr.Details(&d))
				assert.Equal(t, tt.delay.Seconds(), d.RetryAfterSeconds)
			}
		})
	}

	bad := activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) { return func() {}, nil })
	_, err = activities.Activity(bad)(context.Background(), tasker.StepRequest{Step: tasker.StepInfo{Name: "s"}})
	assert.ErrorContains(t, err, "step s: results are not JSON")
}

func TestStepContextDecodesContextAndDependencies(t *testing.T) {
	sc := activities.StepContext{Request: tasker.StepRequest{
		Task:              tasker.TaskInfo{Context: json.RawMessage(`{"n": 3}`)},
		Step:              tasker.StepInfo{Name: "b", Attempt: 2, MaxAttempts: 3},
		DependencyResults: map[string]json.RawMessage{"a": json.RawMessage(`{"v": 9}`), "bad": json.RawMessage(`{`)},
	}}
	var in struct{ N int }
	require.NoError(t, sc.TaskContext(&in))
	assert.Equal(t, 3, in.N)
	var v struct{ V int }
	ok, err := sc.DependencyResult("a", &v)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 9, v.V)
	ok, err = sc.DependencyResult("missing", &v)
	assert.False(t, ok)
	assert.NoError(t, err)
	_, err = sc.DependencyResult("bad", &v)
	assert.ErrorContains(t, err, "step b: decode results of dependency bad")
	assert.True(t, activities.IsPermanent(err))
}

func TestRegistryRefusesDuplicatesAndBlanks(t *testing.T) {
	reg := activities.NewRegistry()
	h := activities.HandlerFunc(func(context.Context, activities.StepContext) (any, error) { return nil, nil })
	require.NoError(t, reg.Register("A", h))
	assert.ErrorContains(t, reg.Register("A", h), "register handler A: already registered")
	assert.ErrorContains(t, reg.Register("", h), "empty callable")
	assert.ErrorContains(t, reg.Register("B", nil), "register handler B: nil handler")
	assert.Equal(t, []string{"A"}, reg.Callables())
}
