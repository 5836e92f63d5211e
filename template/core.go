package template

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// The tasker-core TaskTemplate format (steps[]).
type (
	rawCoreStep struct {
		Name             string           `yaml:"name"`
		Description      string           `yaml:"description"`
		Handler          *rawHandler      `yaml:"handler"`
		SystemDependency string           `yaml:"system_dependency"`
		Dependencies     []string         `yaml:"dependencies"`
		Retry            *rawRetry        `yaml:"retry"`
		TimeoutSeconds   *int             `yaml:"timeout_seconds"`
		Skippable        bool             `yaml:"skippable"`
		Temporal         *rawStepTemporal `yaml:"temporal"`
		Dynamic          rawDynamic       `yaml:",inline"`
	}
	rawCore struct {
		rawHeader          `yaml:",inline"`
		SystemDependencies struct {
			Primary string `yaml:"primary"`
		} `yaml:"system_dependencies"`
		InputSchema  any                           `yaml:"input_schema"`
		Steps        []rawCoreStep                 `yaml:"steps"`
		Environments map[string]rawCoreEnvironment `yaml:"environments"`
	}
	rawCoreEnvironment struct {
		Steps    []rawCoreStep    `yaml:"steps"`
		Temporal *rawTaskTemporal `yaml:"temporal"`
	}
)

func decodeCore(root *yaml.Node, loc Error, env string) (*Template, error) {
	var raw rawCore
	err := decodeRaw(root, loc, env, &raw, func() map[string]rawCoreEnvironment { return raw.Environments },
		func(e rawCoreEnvironment) error { return applyCoreEnv(&raw, e, root, loc, env) })
	if err != nil {
		return nil, err
	}
	t := raw.template()
	t.DefaultDependentSystem = raw.SystemDependencies.Primary
	if t.InputSchema, err = inputSchema(raw.InputSchema, root, loc, "input_schema"); err != nil {
		return nil, err
	}
	for _, s := range raw.Steps {
		step := Step{
			Name:            s.Name,
			Description:     s.Description,
			Dependencies:    s.Dependencies,
			Skippable:       s.Skippable,
			DependentSystem: s.SystemDependency,
			Temporal:        stepTemporalOf(s.Temporal),
			Retry:           retryOf(s.Retry),
		}
		if s.Handler != nil {
			step.Callable = s.Handler.Callable
			step.Initialization = jsonSafeMap(s.Handler.Initialization)
		}
		if s.TimeoutSeconds != nil {
			step.Timeout = time.Duration(*s.TimeoutSeconds) * time.Second
		}
		s.Dynamic.applyTo(&step)
		t.Steps = append(t.Steps, step)
	}
	if err := checkRetryAliases(raw.Steps, root, loc); err != nil {
		return nil, err
	}
	t.Normalize()
	return t, nil
}

// checkRetryAliases refuses retry.limit and retry.max_attempts together with different values.
func checkRetryAliases(steps []rawCoreStep, root *yaml.Node, loc Error) error {
	for i, s := range steps {
		r := s.Retry
		if r != nil && r.Limit != nil && r.MaxAttempts != nil && *r.Limit != *r.MaxAttempts {
			e := loc
			e.Step = s.Name
			return located(e, stepNode(root, "steps", i), fmt.Sprintf("retry.limit (%d) and retry.max_attempts (%d) disagree: limit is an alias, use one", *r.Limit, *r.MaxAttempts))
		}
	}
	return nil
}
