package dag_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tasker-systems/tasker-temporal/dag"
)

func ExampleNew() {
	_, err := dag.New([]dag.StepSpec{
		{Name: "a", Dependencies: []string{"c"}},
		{Name: "b", Dependencies: []string{"a"}},
		{Name: "c", Dependencies: []string{"b"}},
	})
	fmt.Println(err)
	// Output: dependency cycle a → b → c → a
}

func ExampleRun_AppendReady() {
	g, _ := dag.New([]dag.StepSpec{
		{Name: "fetch_cart", Retryable: true},
		{Name: "validate_payment", Dependencies: []string{"fetch_cart"}, Retryable: true},
		{Name: "update_inventory", Dependencies: []string{"fetch_cart"}, Retryable: true},
		{Name: "create_order", Dependencies: []string{"validate_payment", "update_inventory"}, Retryable: true},
	})
	r := dag.NewRun(g)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ready []int
	for {
		ready = r.AppendReady(ready[:0], now)
		if len(ready) == 0 {
			break
		}
		for _, i := range ready {
			_ = r.Transition(i, dag.InProgress, now)
			_ = r.Transition(i, dag.Complete, now)
			fmt.Println("ran", g.Name(i))
		}
	}
	fmt.Println(r.ExecutionContext(now).ExecutionStatus)
	// Output:
	// ran fetch_cart
	// ran validate_payment
	// ran update_inventory
	// ran create_order
	// all_complete
}

func ExampleRun_Transition() {
	g, _ := dag.New([]dag.StepSpec{{Name: "charge", Retryable: true, MaxAttempts: 3}})
	r := dag.NewRun(g)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	_ = r.Transition(0, dag.InProgress, t0)
	_ = r.Transition(0, dag.Error, t0)
	fmt.Println(r.AppendReady(nil, t0.Add(time.Second)))   // still backing off: 2^1 s
	fmt.Println(r.AppendReady(nil, t0.Add(2*time.Second))) // ready to retry
	fmt.Println(r.Transition(0, dag.Complete, t0))
	// Output:
	// []
	// [0]
	// step "charge": illegal transition error → complete
}

func ExampleRun_Snapshot() {
	g, _ := dag.New([]dag.StepSpec{{Name: "a", Retryable: true}, {Name: "b", Dependencies: []string{"a"}, Retryable: true}})
	r := dag.NewRun(g)
	_ = r.Transition(0, dag.InProgress, time.Unix(0, 0))
	data, _ := json.Marshal(r.Snapshot())
	var s dag.Snapshot
	_ = json.Unmarshal(data, &s)
	r2, err := dag.Restore(g, s)
	fmt.Println(err, r2.Step(0).State, r2.Step(0).Attempts, r2.Step(1).State)
	// Output: <nil> in_progress 1 pending
}

func ExampleRun_Markdown() {
	g, _ := dag.New([]dag.StepSpec{{Name: "a", Retryable: true}, {Name: "b", Dependencies: []string{"a"}, Retryable: true}})
	r := dag.NewRun(g)
	fmt.Print(r.Markdown())
	// Output:
	// | # | step | state | attempts | level | depends on |
	// |---:|---|---|---:|---:|---|
	// | 1 | a | pending | 0/3 | 0 | — |
	// | 2 | b | pending | 0/3 | 1 | a |
}

func ExampleBackoffPolicy_Delay() {
	p := dag.BackoffPolicy{Strategy: dag.BackoffExponential, Base: time.Second, Max: 30 * time.Second}
	for attempt := 1; attempt <= 6; attempt++ {
		fmt.Print(p.Delay(attempt), " ")
	}
	// Output: 1s 2s 4s 8s 16s 30s
}
