package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/dag"
)

var (
	saNamespace = temporal.NewSearchAttributeKeyKeyword(tasker.SearchAttrNamespace)
	saTaskName  = temporal.NewSearchAttributeKeyKeyword(tasker.SearchAttrTaskName)
	saVersion   = temporal.NewSearchAttributeKeyKeyword(tasker.SearchAttrVersion)
	saStatus    = temporal.NewSearchAttributeKeyKeyword(tasker.SearchAttrStatus)
	saTaskID    = temporal.NewSearchAttributeKeyInt64(tasker.SearchAttrTaskID)
)

// upsertSearchAttributes makes the task findable by namespace, name, version and status.
func (w *walker) upsertSearchAttributes(ctx workflow.Context) {
	updates := []temporal.SearchAttributeUpdate{
		saNamespace.ValueSet(w.tmpl.Namespace), saTaskName.ValueSet(w.tmpl.Name),
		saVersion.ValueSet(w.tmpl.Version), saStatus.ValueSet(w.task.String()),
	}
	if w.taskID != 0 {
		updates = append(updates, saTaskID.ValueSet(w.taskID))
	}
	w.upsert(ctx, updates...)
}

func (w *walker) upsertStatus(ctx workflow.Context) {
	w.upsert(ctx, saStatus.ValueSet(w.task.String()))
}

func (w *walker) upsertTaskID(ctx workflow.Context) { w.upsert(ctx, saTaskID.ValueSet(w.taskID)) }

func (w *walker) upsert(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes", "error", err)
	}
}

// showDetails publishes the live DAG as the workflow's current details in the Temporal UI: a
// markdown table of the steps (or, for a large DAG, the counts and the steps that need attention)
// and the Mermaid text of the graph.
//
// It renders only when a transition happened since the last time: every change of a step or the
// task is one, so an unchanged DAG is not drawn again on every workflow task.
func (w *walker) showDetails(ctx workflow.Context) {
	if w.shownSeq == w.seq && w.seq > 0 {
		return
	}
	w.shownSeq = w.seq
	workflow.SetCurrentDetails(ctx, w.details(ctx))
}

func (w *walker) details(ctx workflow.Context) string {
	var b strings.Builder
	ec := w.run.ExecutionContext(workflow.Now(ctx))
	fmt.Fprintf(&b, "**%s** — task %s, %s (%.0f%% complete, %s)\n\n", w.tmpl.Key(), w.task, ec.ExecutionStatus, ec.CompletionPercentage, ec.HealthStatus)
	if w.graph.Len() <= w.settings.DetailsRowLimit {
		b.WriteString(w.drawing.Markdown(w.run))
		b.WriteString("\n```mermaid\n")
		b.WriteString(w.drawing.Mermaid(w.run))
		b.WriteString("```\n")
		return b.String()
	}
	c := w.run.Counts()
	fmt.Fprintf(&b, "| state | steps |\n|---|---:|\n")
	for _, s := range dag.States() {
		fmt.Fprintf(&b, "| %s | %d |\n", s, c.Of(s))
	}
	if blocked := w.blockedSteps(); len(blocked) > 0 {
		fmt.Fprintf(&b, "\nOut of attempts: %s\n", strings.Join(blocked, ", "))
	}
	return b.String()
}
