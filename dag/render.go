package dag

import (
	"fmt"
	"strconv"
	"strings"
)

// mermaidClasses styles each state in Mermaid renderings.
var mermaidClasses = [numStates]string{
	Pending:          "fill:#f5f5f5,stroke:#9e9e9e,color:#212121",
	InProgress:       "fill:#e3f2fd,stroke:#1e88e5,color:#0d47a1",
	Complete:         "fill:#e8f5e9,stroke:#43a047,color:#1b5e20",
	Error:            "fill:#ffebee,stroke:#e53935,color:#b71c1c",
	Cancelled:        "fill:#eceff1,stroke:#546e7a,color:#263238,stroke-dasharray:4 2",
	ResolvedManually: "fill:#fff8e1,stroke:#fb8c00,color:#e65100",
}

// Mermaid renders the run as a Mermaid flowchart: one node per step (named sN by index, labelled
// with the step name and its state), an edge parent --> child per dependency, and one class per
// state. The output is deterministic.
func (r *Run) Mermaid() string { return new(Renderer).Mermaid(r) }

// Escapers, built once: building a Replacer costs far more than using it, and the workflow renders
// the DAG on every change.
var (
	mermaidEscaper  = strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", " ")
	markdownEscaper = strings.NewReplacer("|", `\|`, "\n", " ")
)

// mermaidLabel escapes a step name for a quoted Mermaid label.
func mermaidLabel(s string) string { return mermaidEscaper.Replace(s) }

// Markdown renders the run as a markdown table: step, state, attempts (made / allowed), level and
// dependencies, one row per step in index order.
func (r *Run) Markdown() string { return new(Renderer).Markdown(r) }

// Renderer draws a run's Markdown table and Mermaid flowchart again and again, formatting only
// the rows of steps whose state, attempts or dependencies changed since its last drawing (the
// workflow draws its live details on every change; formatting every row each time made drawing
// most of the workflow's CPU on a chain). The zero value is ready; one Renderer follows one run.
type Renderer struct {
	keys    []rowKey
	md      []string // markdown rows
	nodes   []string // mermaid node lines
	mdLen   int      // bytes of the rows, to size the output at once
	nodeLen int
	edges   string // mermaid edge lines, drawn once per graph
	edgesOf *Graph
}

// rowKey is what a step's rows are drawn from, besides its name and level (fixed per index).
type rowKey struct {
	state    State
	presence Presence
	attempts int32
	maxAtt   int32
	parents  int32
}

// refresh redraws the rows of the steps that changed.
func (z *Renderer) refresh(r *Run) {
	levels := r.g.Levels()
	for i := range r.state {
		k := rowKey{state: r.state[i], presence: r.Presence(i), attempts: int32(r.attempts[i]), maxAtt: int32(r.maxAtt[i]), parents: int32(len(r.g.parents[i]))}
		if i < len(z.keys) && z.keys[i] == k && z.md[i] != "" {
			continue
		}
		if i >= len(z.keys) {
			z.keys, z.md, z.nodes = append(z.keys, k), append(z.md, ""), append(z.nodes, "")
		}
		z.keys[i] = k
		z.mdLen -= len(z.md[i])
		z.nodeLen -= len(z.nodes[i])
		deps := "—"
		if ps := r.g.parents[i]; len(ps) > 0 {
			names := make([]string, len(ps))
			for n, p := range ps {
				names[n] = markdownCell(r.g.Name(p))
			}
			deps = strings.Join(names, ", ")
		}
		z.md[i] = fmt.Sprintf("| %d | %s | %s | %d/%d | %d | %s |\n",
			i+1, markdownCell(r.g.Name(i)), r.stateLabel(i), r.attempts[i], r.maxAtt[i], levels[i], deps)
		z.nodes[i] = fmt.Sprintf("    s%d[\"%s<br/><small>%s</small>\"]\n", i, mermaidLabel(r.g.Name(i)), r.stateLabel(i))
		z.mdLen += len(z.md[i])
		z.nodeLen += len(z.nodes[i])
	}
	if z.edgesOf != r.g {
		z.edgesOf, z.edges = r.g, mermaidEdges(r.g)
	}
}

func mermaidEdges(g *Graph) string {
	var b strings.Builder
	for i := range g.children {
		for _, c := range g.children[i] {
			b.WriteString("    s")
			b.WriteString(strconv.Itoa(i))
			b.WriteString(" --> s")
			b.WriteString(strconv.Itoa(c))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Markdown is Run.Markdown, drawn incrementally.
func (z *Renderer) Markdown(r *Run) string {
	z.refresh(r)
	var b strings.Builder
	b.Grow(z.mdLen + 80)
	b.WriteString("| # | step | state | attempts | level | depends on |\n")
	b.WriteString("|---:|---|---|---:|---:|---|\n")
	for i := range r.state {
		b.WriteString(z.md[i])
	}
	return b.String()
}

// Mermaid is Run.Mermaid, drawn incrementally.
func (z *Renderer) Mermaid(r *Run) string {
	z.refresh(r)
	var b strings.Builder
	b.Grow(z.nodeLen + len(z.edges) + 8*len(r.state) + 600)
	b.WriteString("flowchart TD\n")
	for i := range r.state {
		b.WriteString(z.nodes[i])
	}
	b.WriteString(z.edges)
	for _, s := range States() {
		fmt.Fprintf(&b, "    classDef %s %s\n", s, mermaidClasses[s])
	}
	if r.dyn != nil {
		fmt.Fprintf(&b, "    classDef %s %s\n", NotCreated, notCreatedClass)
	}
	for _, s := range States() {
		first := true
		for i, st := range r.state {
			if st != s || r.Presence(i) != Created {
				continue
			}
			if first {
				b.WriteString("    class ")
				first = false
			} else {
				b.WriteByte(',')
			}
			b.WriteByte('s')
			b.WriteString(strconv.Itoa(i))
		}
		if !first {
			fmt.Fprintf(&b, " %s\n", s)
		}
	}
	if ids := r.notCreatedIDs(); len(ids) > 0 {
		fmt.Fprintf(&b, "    class %s %s\n", strings.Join(ids, ","), NotCreated)
	}
	return b.String()
}

// markdownCell escapes a value for a markdown table cell.
func markdownCell(s string) string { return markdownEscaper.Replace(s) }

// notCreatedClass styles the steps of a dynamic run that do not exist (undecided or not created).
const notCreatedClass = "fill:#ffffff,stroke:#bdbdbd,color:#9e9e9e,stroke-dasharray:2 2"

// stateLabel is step i's state, or its presence when the step does not exist.
func (r *Run) stateLabel(i int) string {
	if p := r.Presence(i); p != Created {
		return p.String()
	}
	return r.state[i].String()
}

func (r *Run) notCreatedIDs() []string {
	var ids []string
	for i := range r.state {
		if r.Presence(i) != Created {
			ids = append(ids, fmt.Sprintf("s%d", i))
		}
	}
	return ids
}
