package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		name string
		n    int
	}{
		{"BenchmarkReadiness/1000/go-2   \t 1000\t  812.5 ns/op\t  0 B/op\t 0 allocs/op", true, "Readiness/1000/go", 3},
		{"BenchmarkPublish-2 100 5000 ns/op 200000 events/s", true, "Publish", 2},
		{"PASS", false, "", 0},
		{"BenchmarkBroken-2 notanumber 5 ns/op", false, "", 0},
	}
	for _, tt := range tests {
		res, ok := parseLine(tt.in)
		require.Equal(t, tt.ok, ok, tt.in)
		if ok {
			assert.Equal(t, tt.name, res.name)
			assert.Len(t, res.metrics, tt.n)
		}
	}
}

func TestRatiosAgainstSiblingBaseline(t *testing.T) {
	results, _ := parse(strings.NewReader(strings.Join([]string{
		"BenchmarkReadiness/1000/base_sql-2 100 2000000 ns/op 10 B/op 5 allocs/op",
		"BenchmarkReadiness/1000/go-2 1000000 1000 ns/op 0 B/op 0 allocs/op",
		"BenchmarkThroughput/base_sdk-2 10 100 ns/op 50 steps/s",
		"BenchmarkThroughput/tasker-2 10 200 ns/op 40 steps/s",
	}, "\n")))
	got := map[string]string{}
	for _, l := range lines("dag", results) {
		got[l.name+" "+l.unit] = l.String()
	}
	assert.Equal(t, "BENCH dag/Readiness/1000/go 1000 ns/op vs base_sql 2000x", got["Readiness/1000/go ns/op"])
	assert.Equal(t, "BENCH dag/Readiness/1000/go 0 allocs/op", got["Readiness/1000/go allocs/op"])
	assert.Equal(t, "BENCH dag/Readiness/1000/base_sql 2000000 ns/op", got["Readiness/1000/base_sql ns/op"], "a baseline has no ratio")
	assert.Equal(t, "BENCH dag/Throughput/tasker 40.00 steps/s vs base_sdk 0.8x", got["Throughput/tasker steps/s"], "throughput: ours ÷ baseline")
	assert.Equal(t, "BENCH dag/Throughput/tasker 200 ns/op vs base_sdk 0.5x", got["Throughput/tasker ns/op"])
}

func TestWriteMarkdownKeepsTheHandWrittenParts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	first := []line{{group: "g", name: "a/base_x", value: 2, unit: "ns/op"}}
	if err := writeMarkdown(path, "", first); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	notes := "\n## Anchors\n\ntasker-core: 255 ms\n"
	if err := os.WriteFile(path, append(b, notes...), 0o644); err != nil {
		t.Fatal(err)
	}
	second := []line{{group: "g", name: "b/base_y", value: 7, unit: "ns/op"}}
	if err := writeMarkdown(path, "", second); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	s := string(got)
	if !strings.Contains(s, "| g/b/base_y | 7.00 |") || strings.Contains(s, "g/a/base_x") {
		t.Errorf("the table was not replaced:\n%s", s)
	}
	if !strings.HasSuffix(s, notes) {
		t.Errorf("the hand-written notes were lost:\n%s", s)
	}
}
