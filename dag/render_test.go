package dag

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMermaid(t *testing.T) {
	g := mustGraph(t, specs([]string{"fetch \"cart\""}, []string{"pay", "fetch \"cart\""}, []string{"ship", "pay"}))
	r := NewRun(g)
	step(t, r, `fetch "cart"`, InProgress, t0)
	step(t, r, `fetch "cart"`, Complete, t0)
	step(t, r, "pay", InProgress, t0)
	got := r.Mermaid()
	want := `flowchart TD
    s0["fetch #quot;cart#quot;<br/><small>complete</small>"]
    s1["pay<br/><small>in_progress</small>"]
    s2["ship<br/><small>pending</small>"]
    s0 --> s1
    s1 --> s2
`
	require.True(t, strings.HasPrefix(got, want), got)
	require.Contains(t, got, "    classDef error fill:#ffebee")
	require.Contains(t, got, "    class s2 pending\n")
	require.Contains(t, got, "    class s1 in_progress\n")
	require.Contains(t, got, "    class s0 complete\n")
	require.NotContains(t, got, "class s0,") // one class line per state present
	require.Equal(t, got, r.Mermaid(), "deterministic")
}

func TestMarkdown(t *testing.T) {
	g := mustGraph(t, []StepSpec{{Name: "a|b", Retryable: true}, {Name: "c", Dependencies: []string{"a|b"}, Retryable: true, MaxAttempts: 5}})
	r := NewRun(g)
	step(t, r, "a|b", InProgress, t0)
	step(t, r, "a|b", Error, t0)
	want := "| # | step | state | attempts | level | depends on |\n" +
		"|---:|---|---|---:|---:|---|\n" +
		"| 1 | a\\|b | error | 1/3 | 0 | — |\n" +
		"| 2 | c | pending | 0/5 | 1 | a\\|b |\n"
	require.Equal(t, want, r.Markdown())
}

// TestRendererRedrawsWhatChanged follows one run through its transitions with one Renderer: after
// every change its drawings equal a fresh drawing, so a cached row never goes stale.
func TestRendererRedrawsWhatChanged(t *testing.T) {
	g := mustGraph(t, specs([]string{"a"}, []string{"b", "a"}, []string{"c", "a"}, []string{"d", "b", "c"}))
	r := NewRun(g)
	var z Renderer
	check := func() {
		t.Helper()
		require.Equal(t, r.Markdown(), z.Markdown(r))
		require.Equal(t, r.Mermaid(), z.Mermaid(r))
	}
	check()
	for _, mv := range []struct {
		name string
		to   State
	}{{"a", InProgress}, {"a", Error}, {"a", Pending}, {"a", InProgress}, {"a", Complete},
		{"b", InProgress}, {"c", InProgress}, {"b", Complete}, {"c", Complete}, {"d", InProgress}, {"d", Complete}} {
		step(t, r, mv.name, mv.to, t0)
		check()
	}
	require.Contains(t, z.Markdown(r), "| 1 | a | complete | 2/3 |")
}
