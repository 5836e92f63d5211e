package template

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDocsExamples parses the YAML examples of docs/templates.md, so the documentation cannot
// drift from the loader.
func TestDocsExamples(t *testing.T) {
	md, err := os.ReadFile("../docs/templates.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(md, -1)
	require.Len(t, blocks, 2)
	for _, env := range []string{"", "test", "development"} {
		for i, b := range blocks {
			_, err := Parse(b[1], "docs/templates.md", env)
			require.NoError(t, err, "example %d, env %q", i+1, env)
		}
	}
}
