package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/tasker-systems/tasker-temporal"
)

// Handler runs one step: Tasker's `process` hook. The returned value is marshalled to JSON and
// becomes the step's results.
type Handler interface {
	Process(ctx context.Context, step StepContext) (any, error)
}

// ResultsProcessor is the optional `process_results` hook: it shapes what Process returned into
// what is stored as the step's results.
type ResultsProcessor interface {
	ProcessResults(ctx context.Context, step StepContext, output any) (any, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, step StepContext) (any, error)

// Process calls f.
func (f HandlerFunc) Process(ctx context.Context, step StepContext) (any, error) { return f(ctx, step) }

// StepContext is what a handler knows about the step it runs.
type StepContext struct {
	Request tasker.StepRequest
}

// Name is the step's name.
func (s StepContext) Name() string { return s.Request.Step.Name }

// Attempt is this attempt's number, from 1.
func (s StepContext) Attempt() int { return s.Request.Step.Attempt }

// MaxAttempts is the number of attempts the step may make in all.
func (s StepContext) MaxAttempts() int { return s.Request.Step.MaxAttempts }

// Initialization is the step template's handler initialization (handler_config in Rails).
func (s StepContext) Initialization() map[string]any { return s.Request.Step.Initialization }

// TaskContext decodes the task's context into v.
func (s StepContext) TaskContext(v any) error {
	if len(s.Request.Task.Context) == 0 {
		return nil
	}
	if err := json.Unmarshal(s.Request.Task.Context, v); err != nil {
		return Permanent(fmt.Errorf("step %s: decode task context: %w", s.Name(), err))
	}
	return nil
}

// DependencyResult decodes the results of the named parent step into v; it reports whether the
// parent has results.
func (s StepContext) DependencyResult(step string, v any) (bool, error) {
	raw, ok := s.Request.DependencyResults[step]
	if !ok || len(raw) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, Permanent(fmt.Errorf("step %s: decode results of dependency %s: %w", s.Name(), step, err))
	}
	return true, nil
}

// Registry maps handler callables to Go handlers: Tasker's StepHandlerFactory. It is safe for
// concurrent use.
type Registry struct {
	mu       sync.RWMutex
	handlers map[string]Handler
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{handlers: map[string]Handler{}} }

// Register maps callable to h. Registering a callable twice is an error.
func (r *Registry) Register(callable string, h Handler) error {
	if callable == "" {
		return fmt.Errorf("register handler: empty callable")
	}
	if h == nil {
		return fmt.Errorf("register handler %s: nil handler", callable)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.handlers[callable]; dup {
		return fmt.Errorf("register handler %s: already registered", callable)
	}
	r.handlers[callable] = h
	return nil
}

// MustRegister is Register that panics on error, for package-level registration.
func (r *Registry) MustRegister(callable string, h Handler) {
	if err := r.Register(callable, h); err != nil {
		panic(err)
	}
}

// Lookup returns the handler for callable.
func (r *Registry) Lookup(callable string) (Handler, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.handlers[callable]
	return h, ok
}

// Callables lists the registered callables, sorted.
func (r *Registry) Callables() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.handlers))
	for c := range r.handlers {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// RegisterActivities registers one activity per callable on w, named by the callable.
func (r *Registry) RegisterActivities(w worker.ActivityRegistry) {
	for _, c := range r.Callables() {
		h, _ := r.Lookup(c)
		w.RegisterActivityWithOptions(Activity(h), activity.RegisterOptions{Name: c})
	}
}

// Activity wraps a handler as a Temporal activity function with the step contract: StepRequest in,
// StepResult out, handler errors mapped to PermanentError / RetryableError application errors.
// The handler heartbeats automatically while it runs (see Heartbeat).
func Activity(h Handler) func(context.Context, tasker.StepRequest) (tasker.StepResult, error) {
	return func(ctx context.Context, req tasker.StepRequest) (tasker.StepResult, error) {
		ctx, stop := withHeartbeats(ctx)
		defer stop()
		res, err := Run(ctx, h, req)
		if cause := cancelCause(ctx); err != nil && cause != nil {
			return tasker.StepResult{}, cause // the server cancelled the attempt
		}
		if err != nil {
			return tasker.StepResult{}, toApplicationError(err)
		}
		return res, nil
	}
}

// Run calls the handler's hooks for one attempt and encodes the results. It is what Activity
// does without the Temporal error mapping, for tests and other runners.
func Run(ctx context.Context, h Handler, req tasker.StepRequest) (tasker.StepResult, error) {
	sc := StepContext{Request: req}
	out, err := h.Process(ctx, sc)
	if err != nil {
		return tasker.StepResult{}, err
	}
	if y, ok := out.(tasker.StepResult); ok && y.CheckpointYield != nil {
		return y, nil // a checkpoint yield is not results: process_results does not see it
	}
	if p, ok := h.(ResultsProcessor); ok {
		if out, err = p.ProcessResults(ctx, sc, out); err != nil {
			return tasker.StepResult{}, fmt.Errorf("step %s: process_results: %w", sc.Name(), err)
		}
	}
	if raw, ok := out.(tasker.StepResult); ok {
		return raw, nil
	}
	results, err := json.Marshal(out)
	if err != nil {
		return tasker.StepResult{}, Permanent(fmt.Errorf("step %s: results are not JSON: %w", sc.Name(), err))
	}
	return tasker.StepResult{Results: results}, nil
}
