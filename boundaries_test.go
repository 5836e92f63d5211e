package tasker_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPackageBoundaries holds the packages to what their doc comments promise about their
// dependencies: the Rails mirror, the events and the pure packages link no Temporal code, the
// libraries no fx. It reads the real import graph with `go list -deps`.
func TestPackageBoundaries(t *testing.T) {
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{pkg: ".", forbidden: []string{"go.temporal.io/", "github.com/jackc/pgx"}},
		{pkg: "./dag", forbidden: []string{"go.temporal.io/", "github.com/jackc/pgx"}},
		{pkg: "./template", forbidden: []string{"go.temporal.io/", "github.com/jackc/pgx"}},
		{pkg: "./compat", forbidden: []string{"go.temporal.io/", "go.uber.org/fx"}},
		{pkg: "./events", forbidden: []string{"go.temporal.io/", "go.uber.org/fx", "github.com/jackc/pgx"}},
		{pkg: "./worker", forbidden: []string{"go.uber.org/fx", "github.com/jackc/pgx", "go.temporal.io/server"}},
		{pkg: "./activities", forbidden: []string{"go.uber.org/fx", "github.com/jackc/pgx"}},
	}
	for _, tc := range tests {
		t.Run(strings.TrimPrefix(tc.pkg, "./"), func(t *testing.T) {
			out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", tc.pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", tc.pkg, err, out)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 2 {
				t.Fatalf("go list -deps %s listed %d packages; the check would pass vacuously", tc.pkg, len(deps))
			}
			for _, d := range deps {
				for _, f := range tc.forbidden {
					if strings.HasPrefix(d, f) {
						t.Errorf("%s depends on %s (nothing under %s may be linked)", tc.pkg, d, f)
					}
				}
			}
		})
	}
}
