package dag

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func specs(pairs ...[]string) []StepSpec {
	out := make([]StepSpec, len(pairs))
	for i, p := range pairs {
		out[i] = StepSpec{Name: p[0], Dependencies: p[1:], Retryable: true}
	}
	return out
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name  string
		specs []StepSpec
		kind  string
		step  string
		path  []string
		msg   string
	}{
		{"empty", nil, KindEmpty, "", nil, "the template has no steps"},
		{"empty name", specs([]string{"a"}, []string{""}), KindEmptyName, "2", nil, "step #2 has no name"},
		{"duplicate", specs([]string{"a"}, []string{"b"}, []string{"a"}), KindDuplicateStep, "a", nil, `duplicate step "a"`},
		{"unknown dependency", specs([]string{"a"}, []string{"b", "a", "zz"}), KindUnknownDependency, "b", []string{"zz"}, `step "b" depends on unknown step "zz"`},
		{"self cycle", specs([]string{"a", "a"}), KindCycle, "a", []string{"a", "a"}, "dependency cycle a → a"},
		{"two cycle", specs([]string{"a", "b"}, []string{"b", "a"}), KindCycle, "a", []string{"a", "b", "a"}, "dependency cycle a → b → a"},
		{"three cycle behind a root", specs([]string{"root"}, []string{"x", "root", "z"}, []string{"y", "x"}, []string{"z", "y"}),
			KindCycle, "x", []string{"x", "y", "z", "x"}, "dependency cycle x → y → z → x"},
		{"invalid retry", []StepSpec{{Name: "a", MaxAttempts: -1}}, KindInvalidRetry, "a", nil, `step "a": max attempts must be ≥ 1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.specs)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "got %v", err)
			require.Equal(t, c.kind, ve.Kind)
			require.Equal(t, c.step, ve.Step)
			require.Equal(t, c.path, ve.Path)
			require.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestGraphDiamond(t *testing.T) {
	// d depends on b and c (listed twice: counted once), which depend on a; e is independent.
	g, err := New(specs([]string{"d", "c", "b", "c"}, []string{"b", "a"}, []string{"c", "a"}, []string{"a"}, []string{"e"}))
	require.NoError(t, err)
	require.Equal(t, 5, g.Len())
	idx := func(n string) int { i, ok := g.Index(n); require.True(t, ok, n); return i }
	a, b, c, d, e := idx("a"), idx("b"), idx("c"), idx("d"), idx("e")
	require.Equal(t, []int{b, c}, g.Parents(d))
	require.Equal(t, []int{b, c}, g.Children(a))
	require.Equal(t, []int{d}, g.Children(b))
	require.Empty(t, g.Parents(a))
	require.Empty(t, g.Children(e))
	require.Equal(t, []int{3, 4, 1, 2, 0}, g.TopoOrder()) // roots a(3), e(4) first, then b, c, d
	levels := g.Levels()
	require.Equal(t, []int{0, 1, 1, 2, 0}, []int{levels[a], levels[b], levels[c], levels[d], levels[e]})
	_, ok := g.Index("nope")
	require.False(t, ok)
	require.Equal(t, "d", g.Name(0))
	require.Equal(t, []string{"c", "b", "c"}, g.Spec(0).Dependencies)
}

func TestTopoOrderRespectsEdges(t *testing.T) {
	g, err := New(specs([]string{"z", "y"}, []string{"y", "x"}, []string{"x"}))
	require.NoError(t, err)
	pos := make([]int, g.Len())
	for k, i := range g.TopoOrder() {
		pos[i] = k
	}
	for i := range g.Len() {
		for _, p := range g.Parents(i) {
			require.Less(t, pos[p], pos[i])
		}
	}
	require.Equal(t, []int{2, 1, 0}, g.Levels())
}

func TestMaxAttempts(t *testing.T) {
	g, err := New([]StepSpec{
		{Name: "default", Retryable: true},
		{Name: "five", Retryable: true, MaxAttempts: 5},
		{Name: "once", Retryable: false, MaxAttempts: 5},
	})
	require.NoError(t, err)
	r := NewRun(g)
	require.Equal(t, 3, r.Step(0).MaxAttempts)
	require.Equal(t, 5, r.Step(1).MaxAttempts)
	require.Equal(t, 1, r.Step(2).MaxAttempts)
}

func TestFingerprint(t *testing.T) {
	g1, _ := New(specs([]string{"a"}, []string{"b", "a"}))
	g2, _ := New(specs([]string{"a"}, []string{"b", "a"}))
	g3, _ := New(specs([]string{"a"}, []string{"b"}))
	require.Equal(t, g1.Fingerprint(), g2.Fingerprint())
	require.NotEqual(t, g1.Fingerprint(), g3.Fingerprint())
}
