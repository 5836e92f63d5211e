package workflows

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
)

// Register registers the TaskerTask workflow and its local activities on an orchestration worker.
func Register(w worker.Registry, orch *activities.Orchestration) {
	w.RegisterWorkflowWithOptions(TaskWorkflow, workflow.RegisterOptions{Name: tasker.WorkflowType})
	w.RegisterActivityWithOptions(orch.ResolveTemplate, activity.RegisterOptions{Name: activities.ResolveTemplateName})
	w.RegisterActivityWithOptions(orch.Record, activity.RegisterOptions{Name: activities.RecordName})
}
