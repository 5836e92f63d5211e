package events

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocsListTheCatalog keeps docs/events.md in step with the catalog.
func TestDocsListTheCatalog(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "events.md"))
	require.NoError(t, err)
	doc := string(data)
	for _, d := range Catalog() {
		assert.True(t, strings.Contains(doc, "| `"+d.Name+"` |"), "docs/events.md lacks a catalog row for %s", d.Name)
	}
}
