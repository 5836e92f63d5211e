package handlers_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/dag"
	"github.com/tasker-systems/tasker-temporal/examples/handlers"
	"github.com/tasker-systems/tasker-temporal/template"
)

// driver plays the workflow's part of docs/dynamic.md §3 without Temporal: it walks the run,
// calls each step's Go handler, applies decision and batch outcomes, hands batch workers their
// inputs and checkpoints, re-runs a step that yields and retries a failed one. It is the
// reference for the workflow side.
type driver struct {
	t        *testing.T
	tpl      *template.Template
	reg      *activities.Registry
	run      *dag.Run
	ctx      json.RawMessage
	results  map[int]json.RawMessage
	inputs   map[int]json.RawMessage
	cps      map[int]*tasker.Checkpoint
	attempts map[string]int // attempts made, by step
	yields   map[string]int
}

func newDriver(t *testing.T, file string, ctx string) *driver {
	tpl, err := template.LoadFile(file, "")
	require.NoError(t, err)
	g, err := tpl.Graph()
	require.NoError(t, err)
	reg := activities.NewRegistry()
	require.NoError(t, handlers.RegisterDynamic(reg))
	return &driver{t: t, tpl: tpl, reg: reg, run: dag.NewRun(g), ctx: json.RawMessage(ctx),
		results: map[int]json.RawMessage{}, inputs: map[int]json.RawMessage{}, cps: map[int]*tasker.Checkpoint{},
		attempts: map[string]int{}, yields: map[string]int{}}
}

// step is the template step that step i runs: itself, or the worker template of an instance.
func (d *driver) step(i int) *template.Step {
	g := d.run.Graph()
	name := g.Name(i)
	if g.IsInstance(i) {
		name = g.Spec(i).WorkerTemplate
	}
	s, ok := d.tpl.Step(name)
	require.True(d.t, ok, name)
	return s
}

func (d *driver) request(i int) tasker.StepRequest {
	g := d.run.Graph()
	deps := map[string]json.RawMessage{}
	for _, p := range g.Parents(i) {
		if d.run.Presence(p) == dag.Created {
			deps[g.Name(p)] = d.results[p]
		}
	}
	st := d.run.Step(i)
	return tasker.StepRequest{
		Task: tasker.TaskInfo{Namespace: d.tpl.Namespace, Name: d.tpl.Name, Version: d.tpl.Version, Context: d.ctx, WorkflowID: "wf", RunID: "run"},
		Step: tasker.StepInfo{Name: g.Name(i), Attempt: st.Attempts, MaxAttempts: st.MaxAttempts,
			Initialization: d.step(i).Initialization, Inputs: d.inputs[i], Checkpoint: d.cps[i]},
		DependencyResults: deps,
	}
}

func (d *driver) walk() {
	now := time.Unix(0, 0)
	for range 10000 {
		ready := d.run.AppendReady(nil, now)
		if len(ready) == 0 {
			break
		}
		for _, i := range ready {
			d.attempt(i, now)
		}
		now = now.Add(dag.MaxErrorBackoff)
	}
	require.True(d.t, d.run.AllDone(), "the task did not finish: %s", d.run.Markdown())
}

func (d *driver) attempt(i int, now time.Time) {
	require.NoError(d.t, d.run.Transition(i, dag.InProgress, now))
	name := d.run.Graph().Name(i)
	d.attempts[name]++
	h, ok := d.reg.Lookup(d.step(i).Callable)
	require.True(d.t, ok, d.step(i).Callable)
	for {
		res, err := activities.Run(context.Background(), h, d.request(i))
		if err != nil {
			require.NoError(d.t, d.run.Transition(i, dag.Error, now))
			require.NoError(d.t, d.run.Transition(i, dag.Pending, now))
			return
		}
		if res.CheckpointYield != nil { // persist, then run again at once: not an attempt
			cp := *res.CheckpointYield
			cp.Timestamp = now
			d.cps[i] = &cp
			d.yields[name]++
			continue
		}
		d.results[i] = res.Results
		require.NoError(d.t, d.run.Transition(i, dag.Complete, now))
		d.applyOutcome(i, res.Results)
		return
	}
}

func (d *driver) applyOutcome(i int, results json.RawMessage) {
	switch d.run.Graph().Kind(i) {
	case dag.StepDecision:
		o, err := tasker.ParseDecisionOutcome(results)
		require.NoError(d.t, err)
		require.NoError(d.t, d.run.Decide(i, o.StepNames))
	case dag.StepBatchable:
		o, err := tasker.ParseBatchOutcome(results)
		require.NoError(d.t, err)
		old := d.run.Graph().Len()
		cursors, ids, worker := o.CursorConfigs, o.BatchIDs(), o.WorkerTemplateName
		if o.Type == tasker.OutcomeNoBatches {
			worker = d.tpl.WorkerTemplateOf(d.step(i))
			ids = []string{dag.NoBatchesID}
			cursors = []tasker.CursorConfig{{BatchID: dag.NoBatchesID, StartCursor: json.RawMessage(`0`), EndCursor: json.RawMessage(`0`)}}
		}
		require.NoError(d.t, d.run.Expand(i, worker, ids))
		w, _ := d.tpl.Step(worker)
		cfg := d.tpl.BatchConfigOf(w)
		for k, c := range cursors {
			in, err := json.Marshal(tasker.BatchWorkerInputs{Cursor: c, IsNoOp: o.Type == tasker.OutcomeNoBatches,
				BatchMetadata: tasker.BatchMetadata{CheckpointInterval: cfg.CheckpointInterval, CursorField: cfg.CursorField, FailureStrategy: cfg.FailureStrategy}})
			require.NoError(d.t, err)
			d.inputs[old+k] = in
		}
	}
}

func (d *driver) resultOf(name string, v any) {
	i, ok := d.run.Graph().Index(name)
	require.True(d.t, ok, name)
	require.NoError(d.t, json.Unmarshal(d.results[i], v))
}

func (d *driver) created() []string {
	var out []string
	for i := range d.run.Graph().Len() {
		if d.run.Presence(i) == dag.Created {
			out = append(out, d.run.Graph().Name(i))
		}
	}
	return out
}

func TestApprovalRouting(t *testing.T) {
	cases := []struct {
		amount    float64
		created   []string
		approvers []string
	}{
		{500, []string{"validate_request", "routing_decision", "auto_approve", "finalize_approval"}, []string{"system"}},
		{2500, []string{"validate_request", "routing_decision", "manager_approval", "finalize_approval"}, []string{"manager"}},
		{10000, []string{"validate_request", "routing_decision", "manager_approval", "finance_review", "finalize_approval"}, []string{"manager", "finance"}},
	}
	for _, tc := range cases {
		t.Run(strconv.FormatFloat(tc.amount, 'f', -1, 64), func(t *testing.T) {
			d := newDriver(t, "../dynamic/approval_routing.yaml", `{"amount": `+strconv.FormatFloat(tc.amount, 'f', -1, 64)+`}`)
			d.walk()
			assert.ElementsMatch(t, tc.created, d.created())
			var fin struct {
				Approved  bool     `json:"approved"`
				Approvers []string `json:"approvers"`
			}
			d.resultOf("finalize_approval", &fin)
			assert.True(t, fin.Approved)
			assert.Equal(t, tc.approvers, fin.Approvers)
		})
	}
}

// expectedTotals reads products.csv independently of the handlers.
func expectedTotals(t *testing.T, path string) handlers.BatchTotals {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	want := handlers.BatchTotals{Categories: map[string]int{}}
	for _, r := range recs[1:] {
		price, _ := strconv.ParseInt(r[3], 10, 64)
		stock, _ := strconv.ParseInt(r[4], 10, 64)
		want.Rows++
		want.InventoryValueCents += price * stock
		want.Categories[r[2]]++
	}
	return want
}

func TestCSVBatch(t *testing.T) {
	path, err := filepath.Abs("../dynamic/products.csv")
	require.NoError(t, err)
	d := newDriver(t, "../dynamic/csv_batch.yaml", `{"csv_file_path": "`+path+`", "fail_batch": "003"}`)
	d.walk()
	var workers []string
	for _, n := range d.created() {
		if n != "analyze_csv" && n != "aggregate_csv_results" {
			workers = append(workers, n)
		}
	}
	want := []string{"process_csv_batch_001", "process_csv_batch_002", "process_csv_batch_003", "process_csv_batch_004", "process_csv_batch_005",
		"process_csv_batch_006", "process_csv_batch_007", "process_csv_batch_008", "process_csv_batch_009", "process_csv_batch_010"}
	assert.Equal(t, want, workers, "1000 rows / 100 per batch, tasker-core's names")
	for _, w := range want {
		wantAttempts := 1
		if w == "process_csv_batch_003" {
			wantAttempts = 2
		}
		assert.Equal(t, wantAttempts, d.attempts[w], w)
		assert.Equal(t, 2, d.yields[w], "%s yields at rows 40 and 80", w)
	}
	var got struct {
		handlers.BatchTotals
		Workers int `json:"workers"`
	}
	d.resultOf("aggregate_csv_results", &got)
	exp := expectedTotals(t, path)
	assert.Equal(t, exp.Rows, got.Rows)
	assert.Equal(t, 1000, got.Rows)
	assert.Equal(t, exp.InventoryValueCents, got.InventoryValueCents)
	assert.Equal(t, exp.Categories, got.Categories)
	assert.Equal(t, 10, got.Workers)
	assert.True(t, slices.Contains(d.run.Growth()[0].Batches, "010"))
}

func TestCSVBatchEmpty(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.csv")
	require.NoError(t, os.WriteFile(empty, []byte("id,sku,category,price_cents,stock\n"), 0o644))
	d := newDriver(t, "../dynamic/csv_batch.yaml", `{"csv_file_path": "`+empty+`"}`)
	d.walk()
	assert.Equal(t, []string{"analyze_csv", "aggregate_csv_results", "process_csv_batch_000"}, d.created())
	var got struct {
		Rows    int `json:"rows"`
		Workers int `json:"workers"`
	}
	d.resultOf("aggregate_csv_results", &got)
	assert.Equal(t, 0, got.Rows)
	assert.Equal(t, 1, got.Workers, "the no-op placeholder")
}
