package workflows

import (
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/dag"
	"github.com/tasker-systems/tasker-temporal/template"
)

// Carry is the state a task takes across continue-as-new: the template, the DAG state, every
// step's results and last error, and the transitions the recorder has not applied yet.
type Carry struct {
	// PackedTemplate is the template, packed (template.Pack): a large template would not fit.
	PackedTemplate []byte `json:"packed_template,omitempty"`
	// Template is the unpacked template of carries made before PackedTemplate (kept for replay).
	Template  *template.Template         `json:"template,omitempty"`
	Settings  Settings                   `json:"settings"`
	Record    bool                       `json:"record"`
	Created   bool                       `json:"created"`
	TaskID    int64                      `json:"task_id,omitempty"`
	TaskState string                     `json:"task_state"`
	Seq       int64                      `json:"seq"`
	DAG       dag.Snapshot               `json:"dag"`
	Results   map[string]json.RawMessage `json:"results,omitempty"`
	Errors    map[string]string          `json:"errors,omitempty"`
	Unsent    []tasker.Transition        `json:"unsent,omitempty"`
}

// continueAsNewDue reports whether history has grown enough that the task should continue as
// new once its running steps finish.
func (w *walker) continueAsNewDue(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= w.settings.HistoryLimit
}

func (w *walker) continueAsNew(ctx workflow.Context) error {
	w.flush(ctx) // best effort; whatever is left travels in the carry
	packed, err := template.Pack(w.tmpl)
	if err != nil {
		return err
	}
	c := &Carry{
		PackedTemplate: packed, Settings: w.settings, Record: w.record, Created: w.mirror.created,
		TaskID: w.taskID, TaskState: w.task.String(), Seq: w.seq, DAG: w.run.Snapshot(),
		Results: map[string]json.RawMessage{}, Errors: map[string]string{}, Unsent: w.unsent,
	}
	for i := range w.graph.Len() {
		name := w.graph.Name(i)
		if len(w.results[i]) > 0 {
			c.Results[name] = w.results[i]
		}
		if w.lastErr[i] != "" {
			c.Errors[name] = w.lastErr[i]
		}
	}
	return workflow.NewContinueAsNewError(ctx, TaskWorkflow, TaskInput{TaskRequest: w.req, Carry: c})
}

// restore rebuilds the walker from a carry.
func (w *walker) restore(c *Carry) error {
	var err error
	switch {
	case len(c.PackedTemplate) > 0:
		if w.tmpl, err = template.Unpack(c.PackedTemplate); err != nil {
			return fmt.Errorf("carry: %w", err)
		}
	case c.Template != nil:
		w.tmpl = c.Template
	default:
		return temporal.NewNonRetryableApplicationError("continue-as-new carry without a template", ErrorTypeInvalidRequest, nil)
	}
	w.settings, w.record, w.taskID, w.seq = c.Settings.WithDefaults(), c.Record, c.TaskID, c.Seq
	w.mirror.created = c.Created
	if w.task, err = dag.ParseState(c.TaskState); err != nil {
		return fmt.Errorf("carry: task state: %w", err)
	}
	if w.graph, err = w.tmpl.Graph(); err != nil {
		return fmt.Errorf("carry: template %s: %w", w.tmpl.Key(), err)
	}
	if w.run, err = dag.Restore(w.graph, c.DAG); err != nil {
		return fmt.Errorf("carry: DAG of %s: %w", w.tmpl.Key(), err)
	}
	n := w.graph.Len()
	w.results, w.lastErr = make([]json.RawMessage, n), make([]string, n)
	for i := range n {
		name := w.graph.Name(i)
		w.results[i], w.lastErr[i] = c.Results[name], c.Errors[name]
	}
	w.unsent = c.Unsent
	return nil
}
