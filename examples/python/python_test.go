package python_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/tasker-systems/tasker-temporal/template"
)

var sources = []string{"worker.py", "tasker_contract.py", "handlers.py"}

func TestPythonParses(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("python3 is not installed: it is needed to check the Python example")
	}
	for _, f := range sources {
		// ast.parse checks the syntax without importing temporalio or writing __pycache__.
		cmd := exec.Command("python3", "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])", f)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("parse %s: %v\n%s", f, err, out)
		}
	}
}

// TestTemplateCallablesAreServed compares the template's callables with the handlers' activity names.
func TestTemplateCallablesAreServed(t *testing.T) {
	tmpl, err := template.LoadFile(filepath.Join("templates", "order_fulfillment.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("handlers.py")
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, m := range regexp.MustCompile(`@step_activity\("([^"]+)"\)`).FindAllSubmatch(src, -1) {
		served = append(served, string(m[1]))
	}
	var named []string
	for _, s := range tmpl.Steps {
		named = append(named, s.Callable)
	}
	slices.Sort(served)
	slices.Sort(named)
	if !slices.Equal(served, named) {
		t.Fatalf("template %s names callables %v, handlers.py serves %v", tmpl.Key(), named, served)
	}
	if tmpl.Temporal.TaskQueue != "tasker-python-examples" {
		t.Errorf("task queue %q, want tasker-python-examples (worker.py's default)", tmpl.Temporal.TaskQueue)
	}
}
