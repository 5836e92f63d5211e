package dag

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoffDelay(t *testing.T) {
	s := time.Second
	cases := []struct {
		policy BackoffPolicy
		want   []time.Duration // attempts 1, 2, 3, …
	}{
		{BackoffPolicy{Strategy: BackoffNone, Base: s, Max: 30 * s}, []time.Duration{0, 0, 0}},
		{BackoffPolicy{Strategy: BackoffLinear, Base: s, Max: 30 * s}, []time.Duration{s, 2 * s, 3 * s, 4 * s}},
		{BackoffPolicy{Strategy: BackoffExponential, Base: s, Max: 30 * s}, []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s}},
		{BackoffPolicy{Strategy: "", Base: 500 * time.Millisecond, Max: 0}, []time.Duration{500 * time.Millisecond, s, 2 * s}},
		{BackoffPolicy{Strategy: BackoffFibonacci, Base: s, Max: 10 * s}, []time.Duration{s, s, 2 * s, 3 * s, 5 * s, 8 * s, 10 * s}},
		{BackoffPolicy{Strategy: BackoffExponential, Base: 0, Max: 30 * s}, []time.Duration{0, 0}},
	}
	for _, c := range cases {
		for k, w := range c.want {
			require.Equal(t, w, c.policy.Delay(k+1), "%+v attempt %d", c.policy, k+1)
		}
	}
	exp := BackoffPolicy{Strategy: BackoffExponential, Base: s, Max: 30 * s}
	require.Equal(t, s, exp.Delay(0), "attempt < 1 counts as 1")
	require.Equal(t, 30*s, exp.Delay(1000), "no overflow")
	fibo := BackoffPolicy{Strategy: BackoffFibonacci, Base: s}
	require.Positive(t, fibo.Delay(500), "no overflow without a cap")
	lin := BackoffPolicy{Strategy: BackoffLinear, Base: time.Hour}
	require.Positive(t, lin.Delay(1<<40), "no overflow without a cap")
}
