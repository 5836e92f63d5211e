package conformance_test

import (
	"context"
	"fmt"
	"os"

	sdkclient "go.temporal.io/sdk/client"

	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/testsuite/conformance"
)

// A Go worker makes its handlers answer the probes by wrapping them when it registers them.
func ExampleWrap() {
	reg := activities.NewRegistry()
	charge := activities.HandlerFunc(func(ctx context.Context, step activities.StepContext) (any, error) {
		return map[string]string{"charge_id": "ch_1"}, nil
	})
	reg.MustRegister("Payments::Charge", conformance.Wrap(charge))
	fmt.Println(reg.Callables())
	// Output: [Payments::Charge]
}

// Probe the worker serving Payments::Charge on the tasker-payments queue (what `tasker conformance
// --queue tasker-payments --callable Payments::Charge` does).
func ExampleRun() {
	c, err := sdkclient.Dial(sdkclient.Options{HostPort: os.Getenv("TEMPORAL_ADDRESS")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	report, err := conformance.Run(context.Background(), c, conformance.Options{Queue: "tasker-payments", Callable: "Payments::Charge"})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = report.WriteText(os.Stdout)
	if !report.OK() {
		os.Exit(1)
	}
}
