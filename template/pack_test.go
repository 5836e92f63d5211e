package template

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPackRoundTripsAndShrinksLargeTemplates(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: big\nnamespace_name: test\nversion: 1.0.0\nsteps:\n  - name: root\n    handler: {callable: A}\n")
	for i := range 10_000 {
		fmt.Fprintf(&b, "  - name: s%05d\n    handler: {callable: A}\n    dependencies: [root]\n", i)
	}
	tmpl, err := Parse([]byte(b.String()), "big.yaml", "")
	require.NoError(t, err)
	packed, err := Pack(tmpl)
	require.NoError(t, err)
	assert.Less(t, len(packed), 512*1024, "well under Temporal's payload limits")
	back, err := Unpack(packed)
	require.NoError(t, err)
	assert.Equal(t, tmpl, back)

	_, err = Unpack([]byte("not gzip"))
	assert.ErrorContains(t, err, "unpack template")
}
