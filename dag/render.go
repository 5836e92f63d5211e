package dag

import (
	"fmt"
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
func (r *Run) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	for i := range r.state {
		fmt.Fprintf(&b, "    s%d[\"%s<br/><small>%s</small>\"]\n", i, mermaidLabel(r.g.Name(i)), r.stateLabel(i))
	}
	for i := range r.state {
		for _, c := range r.g.children[i] {
			fmt.Fprintf(&b, "    s%d --> s%d\n", i, c)
		}
	}
	for _, s := range States() {
		fmt.Fprintf(&b, "    classDef %s %s\n", s, mermaidClasses[s])
	}
	if r.dyn != nil {
		fmt.Fprintf(&b, "    classDef %s %s\n", NotCreated, notCreatedClass)
	}
	for _, s := range States() {
		var ids []string
		for i, st := range r.state {
			if st == s && r.Presence(i) == Created {
				ids = append(ids, fmt.Sprintf("s%d", i))
			}
		}
		if len(ids) > 0 {
			fmt.Fprintf(&b, "    class %s %s\n", strings.Join(ids, ","), s)
		}
	}
	if ids := r.notCreatedIDs(); len(ids) > 0 {
		fmt.Fprintf(&b, "    class %s %s\n", strings.Join(ids, ","), NotCreated)
	}
	return b.String()
}

// mermaidLabel escapes a step name for a quoted Mermaid label.
func mermaidLabel(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", " ")
	return r.Replace(s)
}

// Markdown renders the run as a markdown table: step, state, attempts (made / allowed), level and
// dependencies, one row per step in index order.
func (r *Run) Markdown() string {
	var b strings.Builder
	b.WriteString("| # | step | state | attempts | level | depends on |\n")
	b.WriteString("|---:|---|---|---:|---:|---|\n")
	levels := r.g.Levels()
	for i := range r.state {
		deps := "—"
		if ps := r.g.parents[i]; len(ps) > 0 {
			names := make([]string, len(ps))
			for k, p := range ps {
				names[k] = markdownCell(r.g.Name(p))
			}
			deps = strings.Join(names, ", ")
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %d/%d | %d | %s |\n",
			i+1, markdownCell(r.g.Name(i)), r.stateLabel(i), r.attempts[i], r.maxAtt[i], levels[i], deps)
	}
	return b.String()
}

// markdownCell escapes a value for a markdown table cell.
func markdownCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

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
