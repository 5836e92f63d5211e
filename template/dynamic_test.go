package template

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tasker-systems/tasker-temporal/dag"
)

func TestDynamicTemplatesLoad(t *testing.T) {
	cases := []struct {
		file  string
		kinds map[string]dag.StepKind
		check func(t *testing.T, tpl *Template)
	}{
		{"testdata/dynamic/approval_routing.yaml", map[string]dag.StepKind{
			"validate_request": dag.StepStandard, "routing_decision": dag.StepDecision, "finalize_approval": dag.StepDeferred, "auto_approve": dag.StepStandard,
		}, func(t *testing.T, tpl *Template) {
			g, err := tpl.Graph()
			if err != nil {
				t.Fatal(err)
			}
			if c := dag.NewRun(g).Counts(); c.Total != 2 {
				t.Errorf("%d steps created at start, want 2 (tasker-core: validate_request and routing_decision)", c.Total)
			}
		}},
		{"testdata/dynamic/csv_batch.yaml", map[string]dag.StepKind{
			"analyze_csv": dag.StepBatchable, "process_csv_batch": dag.StepBatchWorker, "aggregate_csv_results": dag.StepDeferred,
		}, func(t *testing.T, tpl *Template) {
			a, _ := tpl.Step("analyze_csv")
			w, _ := tpl.Step("process_csv_batch")
			if got := tpl.WorkerTemplateOf(a); got != "process_csv_batch" {
				t.Errorf("worker template %q", got)
			}
			want := BatchConfig{BatchSize: 200, Parallelism: 5, CursorField: "row_number", WorkerTemplate: "process_csv_batch", FailureStrategy: FailContinueOnFailure, CheckpointInterval: 100}
			if got := tpl.BatchConfigOf(w); got != want {
				t.Errorf("batch config %+v, want %+v", got, want)
			}
			if w.Lifecycle["max_retries"] != 3 {
				t.Errorf("lifecycle %v", w.Lifecycle)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			tpl, err := LoadFile(tc.file, "")
			if err != nil {
				t.Fatalf("LoadFile: %v", err)
			}
			for name, kind := range tc.kinds {
				s, ok := tpl.Step(name)
				if !ok || s.Kind() != kind {
					t.Errorf("step %s: kind %v, want %v", name, s.Kind(), kind)
				}
			}
			tc.check(t, tpl)
		})
	}
}

func TestDynamicTemplateErrors(t *testing.T) {
	const head = "name: t\nnamespace_name: n\nversion: 1.0.0\nsteps:\n"
	cases := []struct {
		name, steps, want string
	}{
		{"unknown type", `  - name: a
    type: decisoin
    handler: {callable: A}
`, `f.yaml:5: template "t", step "a": unknown step type "decisoin"`},
		{"decision without parent", `  - name: d
    type: decision
    handler: {callable: D}
`, `f.yaml:5: template "t", step "d": decision step "d" must have at least one dependency`},
		{"deferred with unknown dependency", `  - name: a
    handler: {callable: A}
  - name: f
    type: deferred
    dependencies: [a, nope]
    handler: {callable: F}
`, `f.yaml:9: template "t", step "f": depends on unknown step "nope"`},
		{"batch worker with two parents", `  - name: b
    type: batchable
    handler: {callable: B}
  - name: x
    handler: {callable: X}
  - name: w
    type: batch_worker
    dependencies: [b, x]
    handler: {callable: W}
`, `f.yaml:10: template "t", step "w": batch_worker step "w" must depend on exactly one step, a batchable one (it depends on "b", "x")`},
		{"batch worker under a standard step", `  - name: x
    handler: {callable: X}
  - name: w
    type: batch_worker
    dependencies: [x]
    handler: {callable: W}
`, `step "w": batch_worker step "w" must depend on exactly one step, a batchable one (it depends on "x")`},
		{"standard step waits for workers", `  - name: b
    type: batchable
    handler: {callable: B}
  - name: w
    type: batch_worker
    dependencies: [b]
    handler: {callable: W}
  - name: agg
    dependencies: [w]
    handler: {callable: G}
`, `f.yaml:12: template "t", step "agg": step "agg" depends on batch_worker template "w" but is not deferred_convergence`},
		{"cycle through dynamic steps", `  - name: a
    dependencies: [f]
    handler: {callable: A}
  - name: d
    type: decision
    dependencies: [a]
    handler: {callable: D}
  - name: f
    type: deferred
    dependencies: [d]
    handler: {callable: F}
`, "dependency cycle a → d → f → a"},
		{"bad failure strategy", `  - name: b
    type: batchable
    handler: {callable: B}
    batch_config: {worker_template: w, failure_strategy: retry_forever}
  - name: w
    type: batch_worker
    dependencies: [b]
    handler: {callable: W}
`, `f.yaml:5: template "t", step "b": batch_config.failure_strategy "retry_forever"`},
		{"worker template not a child", `  - name: b
    type: batchable
    handler: {callable: B, initialization: {worker_template_name: other}}
  - name: w
    type: batch_worker
    dependencies: [b]
    handler: {callable: W}
`, `step "b": worker template "other" is not a batch_worker step depending on "b" (candidates: w)`},
		{"batch_config on a standard step", `  - name: a
    handler: {callable: A}
    batch_config: {batch_size: 5}
`, `step "a": batch_config on a standard step`},
		{"batch_config typo", `  - name: b
    type: batchable
    handler: {callable: B}
    batch_config: {batch_sise: 5}
`, `f.yaml:8: template "t", step "b": unknown key "batch_sise"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(head+tc.steps), "f.yaml", "")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error:\n%v\nwant one containing:\n%s", err, tc.want)
			}
		})
	}
}

// TestDynamicDocsExamples loads the YAML examples of docs/dynamic.md and builds their graphs, so
// the page cannot drift from the loader.
func TestDynamicDocsExamples(t *testing.T) {
	md, err := os.ReadFile("../docs/dynamic.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(md, -1)
	if len(blocks) != 2 {
		t.Fatalf("%d yaml examples in docs/dynamic.md, want 2", len(blocks))
	}
	for i, b := range blocks {
		tpl, err := Parse(b[1], "docs/dynamic.md", "")
		if err != nil {
			t.Fatalf("example %d: %v", i+1, err)
		}
		g, err := tpl.Graph()
		if err != nil || !g.Dynamic() {
			t.Fatalf("example %d: graph %v, dynamic %v", i+1, err, g != nil && g.Dynamic())
		}
	}
}
