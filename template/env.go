package template

// The environment overrides: a template's `environments.<env>` section merged into its steps
// before normalisation, for both formats.

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// applyCoreEnv merges environment env's step overrides into raw: initialization deep-merged,
// retry, timeout and temporal fields replaced where set.
func applyCoreEnv(raw *rawCore, e rawCoreEnvironment, root *yaml.Node, loc Error, env string) error {
	raw.Temporal = mergeEnvTemporal(raw.Temporal, e.Temporal)
	for k, o := range e.Steps {
		i, err := overriddenStep(raw.Steps, func(s rawCoreStep) string { return s.Name }, o.Name, root, loc, env, "steps", k)
		if err != nil {
			return err
		}
		s := &raw.Steps[i]
		if o.Handler != nil {
			if s.Handler == nil {
				s.Handler = &rawHandler{}
			}
			if o.Handler.Callable != "" {
				s.Handler.Callable = o.Handler.Callable
			}
			s.Handler.Initialization = deepMerge(s.Handler.Initialization, o.Handler.Initialization)
		}
		if o.Retry != nil {
			s.Retry = mergeRetry(s.Retry, o.Retry)
		}
		if o.TimeoutSeconds != nil {
			s.TimeoutSeconds = o.TimeoutSeconds
		}
		if o.Temporal != nil {
			s.Temporal = mergeStepTemporal(s.Temporal, o.Temporal)
		}
	}
	return nil
}

func applyRailsEnv(raw *rawRails, e rawRailsEnvironment, root *yaml.Node, loc Error, env string) error {
	raw.Temporal = mergeEnvTemporal(raw.Temporal, e.Temporal)
	for k, o := range e.StepTemplates {
		i, err := overriddenStep(raw.StepTemplates, func(s rawRailsStep) string { return s.Name }, o.Name, root, loc, env, "step_templates", k)
		if err != nil {
			return err
		}
		s := &raw.StepTemplates[i]
		s.HandlerConfig = deepMerge(s.HandlerConfig, o.HandlerConfig)
		if o.DefaultRetryable != nil {
			s.DefaultRetryable = o.DefaultRetryable
		}
		if o.DefaultRetryLimit != nil {
			s.DefaultRetryLimit = o.DefaultRetryLimit
		}
		if o.Skippable != nil {
			s.Skippable = o.Skippable
		}
		if o.Temporal != nil {
			s.Temporal = mergeStepTemporal(s.Temporal, o.Temporal)
		}
	}
	return nil
}

func overrideNode(root *yaml.Node, env, list string, k int) *yaml.Node {
	e := field(field(root, "environments"), env)
	return firstNode(stepNode(e, list, k), root)
}

// overriddenStep finds the step (index k of environments.<env>.<list>) an override names, or
// returns the error naming the unknown step and the override's line.
func overriddenStep[S any](steps []S, nameOf func(S) string, name string, root *yaml.Node, loc Error, env, list string, k int) (int, error) {
	for i := range steps {
		if nameOf(steps[i]) == name {
			return i, nil
		}
	}
	return -1, located(Error{Source: loc.Source, Template: loc.Template, Step: name}, overrideNode(root, env, list, k),
		fmt.Sprintf("environments.%s overrides unknown step %q", env, name))
}

// mergeEnvTemporal applies an environment's task-level temporal overrides.
func mergeEnvTemporal(base, o *rawTaskTemporal) *rawTaskTemporal {
	if o == nil || o.TaskQueue == nil {
		return base
	}
	return mergeTaskTemporal(base, o)
}

func mergeRetry(base, o *rawRetry) *rawRetry {
	out := rawRetry{}
	if base != nil {
		out = *base
	}
	if o.Retryable != nil {
		out.Retryable = o.Retryable
	}
	if o.MaxAttempts != nil || o.Limit != nil {
		out.MaxAttempts, out.Limit = o.MaxAttempts, o.Limit
	}
	if o.Backoff != nil {
		out.Backoff = o.Backoff
	}
	if o.BackoffBaseMs != nil {
		out.BackoffBaseMs = o.BackoffBaseMs
	}
	if o.MaxBackoffMs != nil {
		out.MaxBackoffMs = o.MaxBackoffMs
	}
	return &out
}

func mergeTaskTemporal(base, o *rawTaskTemporal) *rawTaskTemporal {
	out := rawTaskTemporal{}
	if base != nil {
		out = *base
	}
	if o.TaskQueue != nil {
		out.TaskQueue = o.TaskQueue
	}
	return &out
}

func mergeStepTemporal(base, o *rawStepTemporal) *rawStepTemporal {
	out := rawStepTemporal{}
	if base != nil {
		out = *base
	}
	if o.TaskQueue != nil {
		out.TaskQueue = o.TaskQueue
	}
	if o.StartToClose != nil {
		out.StartToClose = o.StartToClose
	}
	if o.Heartbeat != nil {
		out.Heartbeat = o.Heartbeat
	}
	if o.Local != nil {
		out.Local = o.Local
	}
	return &out
}

// deepMerge returns base with o merged in: nested mappings merge, anything else in o wins.
func deepMerge(base, o map[string]any) map[string]any {
	if len(o) == 0 {
		return base
	}
	out := make(map[string]any, len(base)+len(o))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range o {
		bm, ok1 := out[k].(map[string]any)
		om, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = deepMerge(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}
