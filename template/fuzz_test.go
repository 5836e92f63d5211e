package template

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: the loader never panics, and whatever it accepts is a valid template whose graph
// builds and whose JSON round-trips. Seeded with the testdata templates. Run with
// go test ./template -run '^$' -fuzz FuzzParse -fuzztime 10s.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.y*ml")
	more, _ := filepath.Glob("testdata/*/*/*.y*ml")
	for _, p := range append(seeds, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "")
		f.Add(data, "test")
	}
	f.Add([]byte("name: x\nsteps:\n  - name: a\n    handler: {callable: A}\n    temporal: {heartbeat: 10}\n"), "")
	f.Add([]byte("a: &a [*a, *a]\n"), "")
	f.Add([]byte("name: x\nsteps:\n  - name: b\n    type: batchable\n    handler: {callable: B}\n    batch_config: {batch_size: 2, parallelism: 1, cursor_field: id, worker_template: w, failure_strategy: fail_fast, checkpoint_interval: 1}\n  - name: w\n    step_type: batch_worker\n    dependencies: [b]\n    lifecycle: {max_retries: 2}\n    handler: {callable: W}\n  - name: d\n    type: decision_point\n    dependencies: [b]\n    handler: {callable: D}\n  - name: f\n    type: deferred\n    dependencies: [w, d]\n    handler: {callable: F}\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, env string) {
		tpl, err := Parse(data, "fuzz.yaml", env)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if err := tpl.Validate(); err != nil {
			t.Fatalf("Parse accepted a template Validate rejects: %v", err)
		}
		if _, err := tpl.Graph(); err != nil {
			t.Fatalf("Parse accepted a template whose graph fails: %v", err)
		}
		b, err := json.Marshal(tpl)
		if err != nil {
			t.Fatalf("accepted template does not marshal: %v", err)
		}
		var back Template
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("accepted template does not unmarshal: %v", err)
		}
		_ = tpl.ValidateContext(json.RawMessage(`{"a": 1}`))
	})
}
