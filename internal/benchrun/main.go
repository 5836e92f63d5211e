// Command benchrun runs the project's Go benchmarks group by group and prints one line per
// result:
//
//	BENCH <group>/<name> <value> <unit>[ vs <baseline> <ratio>x]
//
// The value is ns/op, plus a line for every metric a benchmark reports with b.ReportMetric and
// for allocs/op. A sub-benchmark whose last name element starts with "base_" is the baseline of
// its siblings: the ratio reads "times better than the baseline" (baseline ns/op ÷ ours; for a
// unit ending in "/s", ours ÷ baseline). It also writes the results as a markdown table.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// groups maps a group name to its packages, in the order they run.
var groups = []struct {
	name string
	pkgs []string
}{
	{"dag", []string{"./dag"}},
	{"workflow", []string{"./workflows"}},
	{"compat", []string{"./compat"}},
	{"events", []string{"./events/..."}},
	{"bridge", []string{"./bridge/..."}},
}

func main() {
	only := flag.String("only", "", "run one group: "+groupNames())
	out := flag.String("out", "", "write the results as markdown to this file")
	benchtime := flag.String("benchtime", "", "passed to go test -benchtime")
	flag.Parse()
	if err := run(*only, *out, *benchtime); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func groupNames() string {
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.name
	}
	return strings.Join(names, ", ")
}

func run(only, out, benchtime string) error {
	var all []line
	ran := 0
	for _, g := range groups {
		if only != "" && g.name != only {
			continue
		}
		pkgs := existing(g.pkgs)
		if len(pkgs) == 0 {
			continue
		}
		ran++
		results, err := runGroup(g.name, pkgs, benchtime)
		if err != nil {
			return fmt.Errorf("group %s: %w", g.name, err)
		}
		for _, l := range lines(g.name, results) {
			fmt.Println(l.String())
			all = append(all, l)
		}
	}
	if ran == 0 {
		return fmt.Errorf("no benchmark group %q (groups: %s)", only, groupNames())
	}
	if out == "" {
		return nil
	}
	return writeMarkdown(out, only, all)
}

// existing keeps the packages whose directory exists.
func existing(pkgs []string) []string {
	var out []string
	for _, p := range pkgs {
		dir := strings.TrimSuffix(p, "/...")
		if _, err := os.Stat(dir); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// result is one parsed benchmark line.
type result struct {
	name    string // without "Benchmark" and the -GOMAXPROCS suffix
	metrics []metric
}

type metric struct {
	value float64
	unit  string
}

func runGroup(group string, pkgs []string, benchtime string) ([]result, error) {
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1", "-timeout", "20m"}
	if benchtime != "" {
		args = append(args, "-benchtime", benchtime)
	}
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	results, tail := parse(stdout)
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("go test -bench %s: %w\n%s", strings.Join(pkgs, " "), err, tail)
	}
	return results, nil
}

// parse reads go test -bench output; tail keeps the other lines for an error message.
func parse(r io.Reader) ([]result, string) {
	var results []result
	var tail []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		text := sc.Text()
		if res, ok := parseLine(text); ok {
			results = append(results, res)
			continue
		}
		tail = append(tail, text)
		if len(tail) > 40 {
			tail = tail[1:]
		}
	}
	return results, strings.Join(tail, "\n")
}

func parseLine(text string) (result, bool) {
	f := strings.Fields(text)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
		return result{}, false
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return result{}, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndex(name, "-"); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	res := result{name: name}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return result{}, false
		}
		res.metrics = append(res.metrics, metric{value: v, unit: f[i+1]})
	}
	return res, true
}

// line is one BENCH line.
type line struct {
	group, name, unit string
	value             float64
	base              string
	ratio             float64
}

func (l line) String() string {
	s := fmt.Sprintf("BENCH %s/%s %s %s", l.group, l.name, formatValue(l.value), l.unit)
	if l.base != "" {
		s += fmt.Sprintf(" vs %s %sx", l.base, formatValue(l.ratio))
	}
	return s
}

func formatValue(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// lines turns results into BENCH lines with ratios against sibling baselines.
func lines(group string, results []result) []line {
	byName := map[string]result{}
	for _, r := range results {
		byName[r.name] = r
	}
	var out []line
	for _, r := range results {
		baseName := baselineOf(r.name, results)
		for _, m := range r.metrics {
			if m.unit == "B/op" || m.unit == "MB/s" {
				continue
			}
			l := line{group: group, name: r.name, value: m.value, unit: m.unit}
			if baseName != "" && m.unit != "allocs/op" {
				if bm, ok := find(byName[baseName].metrics, m.unit); ok && bm.value > 0 && m.value > 0 {
					l.base = lastElem(baseName)
					if strings.HasSuffix(m.unit, "/s") {
						l.ratio = m.value / bm.value
					} else {
						l.ratio = bm.value / m.value
					}
				}
			}
			out = append(out, l)
		}
	}
	return out
}

// baselineOf finds the base_ sibling of a benchmark (not of a baseline itself).
func baselineOf(name string, results []result) string {
	if strings.HasPrefix(lastElem(name), "base_") {
		return ""
	}
	parent := parentOf(name)
	if parent == "" {
		return ""
	}
	for _, r := range results {
		if parentOf(r.name) == parent && strings.HasPrefix(lastElem(r.name), "base_") {
			return r.name
		}
	}
	return ""
}

func parentOf(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		return name[:i]
	}
	return ""
}

func lastElem(name string) string { return name[strings.LastIndex(name, "/")+1:] }

func find(ms []metric, unit string) (metric, bool) {
	for _, m := range ms {
		if m.unit == unit {
			return m, true
		}
	}
	return metric{}, false
}

// Markers around the generated part of the markdown file: what lies outside them (anchors,
// profiles, notes written by hand) is kept when the file is written again.
const (
	markStart = "<!-- bench:start (written by internal/benchrun; edit outside the markers) -->"
	markEnd   = "<!-- bench:end -->"
)

func writeMarkdown(path, only string, all []line) error {
	table := markdownTable(only, all)
	doc := "# Benchmarks\n\n" + markStart + "\n" + table + markEnd + "\n"
	if old, err := os.ReadFile(path); err == nil {
		if merged, ok := replaceBetween(string(old), table); ok {
			doc = merged
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}

// replaceBetween puts table between the markers of doc; false when doc has no markers.
func replaceBetween(doc, table string) (string, bool) {
	i := strings.Index(doc, markStart)
	j := strings.Index(doc, markEnd)
	if i < 0 || j < i {
		return "", false
	}
	return doc[:i+len(markStart)] + "\n" + table + doc[j:], true
}

func markdownTable(only string, all []line) string {
	var b strings.Builder
	cmd := "make bench"
	if only != "" {
		cmd += " ONLY=" + only
	}
	fmt.Fprintf(&b, "Written by `%s` on %s.\n\n", cmd, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s, %d cores (GOMAXPROCS %d), %s, %s/%s. Machines here are shared and noisy: read the ratios, each measured side by side in the same run, rather than the absolute times.\n\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	b.WriteString("| benchmark | value | unit | vs baseline | ratio (× better) |\n|---|---:|---|---|---:|\n")
	for _, l := range all {
		ratio := ""
		if l.base != "" {
			ratio = formatValue(l.ratio)
		}
		fmt.Fprintf(&b, "| %s/%s | %s | %s | %s | %s |\n", l.group, l.name, formatValue(l.value), l.unit, l.base, ratio)
	}
	return b.String()
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
