package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/tasker-systems/tasker-temporal/activities"
)

// Cart is the task context of shop/checkout.
type Cart struct {
	Items []struct {
		SKU   string `json:"sku"`
		Cents int    `json:"cents"`
	} `json:"items"`
}

// Price is the price step's result.
type Price struct {
	TotalCents int `json:"total_cents"`
}

// price adds the cart up; an empty cart fails for good (no retry can fix it).
func price(_ context.Context, step activities.StepContext) (any, error) {
	var cart Cart
	if err := step.TaskContext(&cart); err != nil {
		return nil, activities.Permanent(err)
	}
	if len(cart.Items) == 0 {
		return nil, &activities.PermanentError{Err: errors.New("the cart is empty"), Code: "empty_cart"}
	}
	total := 0
	for _, it := range cart.Items {
		total += it.Cents
	}
	return Price{TotalCents: total}, nil
}

// receipt formats the price step's total.
func receipt(_ context.Context, step activities.StepContext) (any, error) {
	var p Price
	if ok, err := step.DependencyResult("price", &p); err != nil || !ok {
		return nil, fmt.Errorf("receipt: no price result (ok=%v): %w", ok, err)
	}
	return map[string]string{"line": fmt.Sprintf("total: $%d.%02d", p.TotalCents/100, p.TotalCents%100)}, nil
}

// Handlers are the example's own step handlers.
func Handlers() *activities.Registry {
	reg := activities.NewRegistry()
	reg.MustRegister("Shop::Price", activities.HandlerFunc(price))
	reg.MustRegister("Shop::Receipt", activities.HandlerFunc(receipt))
	return reg
}
