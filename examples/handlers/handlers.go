// Package handlers holds the Go step handlers of the example templates in examples/templates:
// small, readable handlers that show the Process hook, typed errors and heartbeats.
//
// It is example code: production workers register their own handlers the same way.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tasker-systems/tasker-temporal/activities"
)

// Register adds every example handler to reg.
func Register(reg *activities.Registry) error {
	for callable, h := range map[string]activities.Handler{
		"Examples::Square":         activities.HandlerFunc(square),
		"Examples::AddTen":         activities.HandlerFunc(addTen),
		"Examples::Triple":         activities.HandlerFunc(triple),
		"Examples::Sum":            activities.HandlerFunc(sum),
		"Examples::FlakyApi":       activities.HandlerFunc(flakyAPI),
		"Examples::DeclinedCharge": activities.HandlerFunc(declinedCharge),
		"Examples::Echo":           activities.HandlerFunc(echo),
		"Examples::Count":          activities.HandlerFunc(count),
	} {
		if err := reg.Register(callable, h); err != nil {
			return err
		}
	}
	return nil
}

// Value is the result shape of the diamond's steps.
type Value struct {
	Value int `json:"value"`
}

func square(_ context.Context, step activities.StepContext) (any, error) {
	in := struct {
		Number *int `json:"number"`
	}{}
	if err := step.TaskContext(&in); err != nil {
		return nil, err
	}
	n := 2
	if in.Number != nil {
		n = *in.Number
	}
	return Value{Value: n * n}, nil
}

// parentValue reads the value of the step named by initialization.from.
func parentValue(step activities.StepContext) (int, error) {
	from, _ := step.Initialization()["from"].(string)
	var v Value
	ok, err := step.DependencyResult(from, &v)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, activities.Permanent(fmt.Errorf("step %s: no results from dependency %q", step.Name(), from))
	}
	return v.Value, nil
}

func addTen(_ context.Context, step activities.StepContext) (any, error) {
	v, err := parentValue(step)
	return Value{Value: v + 10}, err
}

func triple(_ context.Context, step activities.StepContext) (any, error) {
	v, err := parentValue(step)
	return Value{Value: v * 3}, err
}

func sum(_ context.Context, step activities.StepContext) (any, error) {
	total := 0
	for name := range step.Request.DependencyResults {
		var v Value
		if _, err := step.DependencyResult(name, &v); err != nil {
			return nil, err
		}
		total += v.Value
	}
	return Value{Value: total}, nil
}

func flakyAPI(_ context.Context, step activities.StepContext) (any, error) {
	succeedOn := 3
	if v, ok := step.Initialization()["succeed_on_attempt"].(float64); ok {
		succeedOn = int(v)
	}
	if step.Attempt() < succeedOn {
		return nil, fmt.Errorf("upstream API unavailable (attempt %d of %d)", step.Attempt(), step.MaxAttempts())
	}
	return map[string]any{"status": "ok", "attempt": step.Attempt()}, nil
}

func declinedCharge(context.Context, activities.StepContext) (any, error) {
	return nil, activities.Permanent(errors.New("card declined"))
}

// echo returns the step's name and attempt; with a context sleep_ms it first sleeps that long,
// heartbeating, so a cancelled task cancels it.
func echo(ctx context.Context, step activities.StepContext) (any, error) {
	in := struct {
		SleepMS int `json:"sleep_ms"`
	}{}
	if err := step.TaskContext(&in); err != nil {
		return nil, err
	}
	if in.SleepMS > 0 {
		if err := sleep(ctx, time.Duration(in.SleepMS)*time.Millisecond); err != nil {
			return nil, err
		}
	}
	return map[string]any{"step": step.Name(), "attempt": step.Attempt()}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		activities.Heartbeat(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(time.Until(deadline), 500*time.Millisecond)):
		}
	}
	return nil
}

func count(_ context.Context, step activities.StepContext) (any, error) {
	return map[string]any{"dependencies": len(step.Request.DependencyResults)}, nil
}
