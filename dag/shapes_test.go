package dag

import (
	"fmt"
	"math/rand/v2"
)

// Benchmark and test DAG shapes, deterministic for a given size.
var shapes = []struct {
	name  string
	build func(n int) []StepSpec
}{
	{"chain", chainSpecs},
	{"diamond", latticeSpecs},
	{"fan", fanSpecs},
	{"random", randomSpecs},
}

func stepName(i int) string { return fmt.Sprintf("step_%05d", i) }

// chainSpecs: step i depends on step i-1.
func chainSpecs(n int) []StepSpec {
	out := make([]StepSpec, n)
	for i := range out {
		out[i] = StepSpec{Name: stepName(i), Retryable: true}
		if i > 0 {
			out[i].Dependencies = []string{stepName(i - 1)}
		}
	}
	return out
}

// latticeSpecs: a diamond lattice, rows of width ≈ √n; each step depends on the step above it
// and the one above-left, so every row fans in and out.
func latticeSpecs(n int) []StepSpec {
	w := 1
	for w*w < n {
		w++
	}
	out := make([]StepSpec, n)
	for i := range out {
		out[i] = StepSpec{Name: stepName(i), Retryable: true}
		row, col := i/w, i%w
		if row == 0 {
			continue
		}
		out[i].Dependencies = append(out[i].Dependencies, stepName(i-w))
		if col > 0 {
			out[i].Dependencies = append(out[i].Dependencies, stepName(i-w-1))
		}
	}
	return out
}

// fanSpecs: one root, n-2 steps that depend on it, one sink that depends on all of them.
func fanSpecs(n int) []StepSpec {
	out := make([]StepSpec, n)
	for i := range out {
		out[i] = StepSpec{Name: stepName(i), Retryable: true}
		switch {
		case i == 0:
		case i == n-1 && n > 2:
			deps := make([]string, 0, n-2)
			for j := 1; j < n-1; j++ {
				deps = append(deps, stepName(j))
			}
			out[i].Dependencies = deps
		default:
			out[i].Dependencies = []string{stepName(0)}
		}
	}
	return out
}

// randomSpecs: each step depends on up to three random earlier steps (fixed seed).
func randomSpecs(n int) []StepSpec {
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	out := make([]StepSpec, n)
	for i := range out {
		out[i] = StepSpec{Name: stepName(i), Retryable: true}
		if i == 0 {
			continue
		}
		for range rng.IntN(4) {
			out[i].Dependencies = append(out[i].Dependencies, stepName(rng.IntN(i)))
		}
	}
	return out
}
