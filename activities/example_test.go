package activities_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
)

// A step handler reads the task context and returns the step's results; a PermanentError stops
// the step at once, a RetryableError asks for another attempt.
func ExampleHandlerFunc() {
	charge := activities.HandlerFunc(func(ctx context.Context, step activities.StepContext) (any, error) {
		var order struct {
			Amount int `json:"amount"`
		}
		if err := step.TaskContext(&order); err != nil {
			return nil, err
		}
		if order.Amount <= 0 {
			return nil, activities.Permanent(errors.New("nothing to charge"))
		}
		return map[string]any{"charged": order.Amount}, nil
	})
	reg := activities.NewRegistry()
	reg.MustRegister("Payments::Charge", charge)

	h, _ := reg.Lookup("Payments::Charge")
	res, err := activities.Run(context.Background(), h, tasker.StepRequest{
		Task: tasker.TaskInfo{Context: []byte(`{"amount": 42}`)},
		Step: tasker.StepInfo{Name: "charge", Attempt: 1, MaxAttempts: 3},
	})
	fmt.Println(string(res.Results), err)
	// Output: {"charged":42} <nil>
}
