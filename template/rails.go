package template

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// The Rails engine format (step_templates[]).
type (
	rawRailsStep struct {
		Name              string           `yaml:"name"`
		Description       string           `yaml:"description"`
		DependentSystem   string           `yaml:"dependent_system"`
		DefaultRetryable  *bool            `yaml:"default_retryable"`
		DefaultRetryLimit *int             `yaml:"default_retry_limit"`
		Skippable         *bool            `yaml:"skippable"`
		HandlerClass      string           `yaml:"handler_class"`
		HandlerConfig     map[string]any   `yaml:"handler_config"`
		DependsOnStep     string           `yaml:"depends_on_step"`
		DependsOnSteps    []string         `yaml:"depends_on_steps"`
		Temporal          *rawStepTemporal `yaml:"temporal"`
	}
	rawRails struct {
		rawHeader              `yaml:",inline"`
		TaskHandlerClass       string                         `yaml:"task_handler_class"`
		ModuleNamespace        string                         `yaml:"module_namespace"`
		DefaultDependentSystem string                         `yaml:"default_dependent_system"`
		Schema                 any                            `yaml:"schema"`
		StepTemplates          []rawRailsStep                 `yaml:"step_templates"`
		Environments           map[string]rawRailsEnvironment `yaml:"environments"`
	}
	rawRailsEnvironment struct {
		StepTemplates []rawRailsStep   `yaml:"step_templates"`
		Temporal      *rawTaskTemporal `yaml:"temporal"`
	}
)

func decodeRails(root *yaml.Node, loc Error, env string) (*Template, error) {
	var raw rawRails
	err := decodeRaw(root, loc, env, &raw, func() map[string]rawRailsEnvironment { return raw.Environments },
		func(e rawRailsEnvironment) error { return applyRailsEnv(&raw, e, root, loc, env) })
	if err != nil {
		return nil, err
	}
	t := raw.template()
	t.TaskHandlerClass = railsClass(raw.ModuleNamespace, raw.TaskHandlerClass)
	t.DefaultDependentSystem = raw.DefaultDependentSystem
	if t.InputSchema, err = inputSchema(raw.Schema, root, loc, "schema"); err != nil {
		return nil, err
	}
	for _, s := range raw.StepTemplates {
		step := Step{
			Name:            s.Name,
			Description:     s.Description,
			Callable:        s.HandlerClass,
			Initialization:  jsonSafeMap(s.HandlerConfig),
			Dependencies:    railsDependencies(s),
			DependentSystem: s.DependentSystem,
			Temporal:        stepTemporalOf(s.Temporal),
			Retry:           Retry{Retryable: true},
		}
		if s.DefaultRetryable != nil {
			step.Retry.Retryable = *s.DefaultRetryable
		}
		if s.DefaultRetryLimit != nil {
			step.Retry.MaxAttempts = *s.DefaultRetryLimit
		}
		if s.Skippable != nil {
			step.Skippable = *s.Skippable
		}
		t.Steps = append(t.Steps, step)
	}
	t.Normalize()
	return t, nil
}

// railsClass prefixes a Rails task handler class with its module_namespace, as Rails resolves it.
func railsClass(module, class string) string {
	if module == "" || class == "" || strings.Contains(class, "::") {
		return class
	}
	return module + "::" + class
}

func railsDependencies(s rawRailsStep) []string {
	var deps []string
	seen := map[string]bool{}
	for _, d := range append([]string{s.DependsOnStep}, s.DependsOnSteps...) {
		if d != "" && !seen[d] {
			seen[d] = true
			deps = append(deps, d)
		}
	}
	return deps
}
