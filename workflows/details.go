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
// first line that says how the task stands (and, when it waits for an operator, which step and
// why), then a markdown table of the steps (or, for a large DAG, the counts per state). The
// Temporal UI does not draw Mermaid; the graph is the query QueryMermaid (`tasker dag --mermaid`).
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
	fmt.Fprintf(&b, "**%s** — task %s, %s (%.0f%% complete, %s)", w.tmpl.Key(), w.task, ec.ExecutionStatus, ec.CompletionPercentage, ec.HealthStatus)
	if blocked := w.blockedSteps(); len(blocked) > 0 {
		i, _ := w.graph.Index(blocked[0])
		st := w.run.Step(i)
		fmt.Fprintf(&b, " — needs an operator: step %s out of attempts (%d/%d): %s", blocked[0], st.Attempts, st.MaxAttempts, shorten(w.lastErr[i], 80))
		if len(blocked) > 1 {
			fmt.Fprintf(&b, " (and %d more)", len(blocked)-1)
		}
	}
	b.WriteString("\n\n")
	if w.graph.Len() <= w.settings.DetailsRowLimit {
		b.WriteString(w.drawing.Markdown(w.run))
		b.WriteString("\n")
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

// shorten cuts s to at most n runes on one line, with an ellipsis when it cut.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
