package ruby_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/tasker-systems/tasker-temporal/template"
)

var sources = []string{"worker.rb", filepath.Join("lib", "tasker_contract.rb"), filepath.Join("lib", "handlers.rb")}

func TestRubyParses(t *testing.T) {
	if _, err := exec.LookPath("ruby"); err != nil {
		t.Fatal("ruby is not installed: it is needed to check the Ruby example (apt-get install ruby)")
	}
	for _, f := range sources {
		if out, err := exec.Command("ruby", "-c", f).CombinedOutput(); err != nil {
			t.Errorf("ruby -c %s: %v\n%s", f, err, out)
		}
	}
}

// TestTemplateCallablesAreServed compares the template's callables with the handlers' activity_name.
func TestTemplateCallablesAreServed(t *testing.T) {
	tmpl, err := template.LoadFile(filepath.Join("templates", "order_fulfillment.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("lib", "handlers.rb"))
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, m := range regexp.MustCompile(`activity_name '([^']+)'`).FindAllSubmatch(src, -1) {
		served = append(served, string(m[1]))
	}
	var named []string
	for _, s := range tmpl.Steps {
		named = append(named, s.Callable)
	}
	slices.Sort(served)
	slices.Sort(named)
	if !slices.Equal(served, named) {
		t.Fatalf("template %s names callables %v, lib/handlers.rb serves %v", tmpl.Key(), named, served)
	}
	if tmpl.Temporal.TaskQueue != "tasker-ruby-examples" {
		t.Errorf("task queue %q, want tasker-ruby-examples (worker.rb's default)", tmpl.Temporal.TaskQueue)
	}
}
