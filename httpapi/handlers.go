package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/tasker-systems/tasker-temporal/template"
)

// The /handlers routes: Tasker's handler discovery, where a handler is a task template.

func (s *Server) listNamespaces(w http.ResponseWriter, _ *http.Request) error {
	counts := map[string]map[string]bool{}
	for _, t := range s.cfg.Templates.List() {
		if counts[t.Namespace] == nil {
			counts[t.Namespace] = map[string]bool{}
		}
		counts[t.Namespace][t.Name] = true
	}
	type ns struct {
		Name         string `json:"name"`
		HandlerCount int    `json:"handler_count"`
	}
	out := make([]ns, 0, len(counts))
	for name, handlers := range counts {
		out = append(out, ns{name, len(handlers)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return writeJSON(w, http.StatusOK, map[string]any{"namespaces": out, "total_namespaces": len(out)})
}

func (s *Server) listHandlers(w http.ResponseWriter, r *http.Request) error {
	namespace := r.PathValue("namespace")
	type handler struct {
		Name          string   `json:"name"`
		Namespace     string   `json:"namespace"`
		Versions      []string `json:"versions"`
		LatestVersion string   `json:"latest_version"`
		HandlerCount  int      `json:"handler_count"`
	}
	byName := map[string]*handler{}
	var order []string
	for _, t := range s.cfg.Templates.List() {
		if t.Namespace != namespace {
			continue
		}
		h := byName[t.Name]
		if h == nil {
			h = &handler{Name: t.Name, Namespace: namespace}
			byName[t.Name] = h
			order = append(order, t.Name)
		}
		h.Versions = append(h.Versions, t.Version)
		h.HandlerCount++
	}
	if len(order) == 0 {
		return apiErr(http.StatusNotFound, "namespace", fmt.Sprintf("namespace %q not found", namespace))
	}
	out := make([]handler, 0, len(order))
	for _, name := range order {
		h := byName[name]
		if latest, err := s.cfg.Templates.Get(namespace, name, ""); err == nil {
			h.LatestVersion = latest.Version
		}
		out = append(out, *h)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"namespace": namespace, "handlers": out, "total_handlers": len(out)})
}

// handlerJSON is one template as the Rails HandlerSerializer shows a handler, with the graph.
type handlerJSON struct {
	Name            string            `json:"name"`
	Namespace       string            `json:"namespace"`
	Version         string            `json:"version"`
	FullName        string            `json:"full_name"`
	Description     string            `json:"description,omitempty"`
	ClassName       string            `json:"class_name,omitempty"`
	Available       bool              `json:"available"`
	InputSchema     any               `json:"input_schema,omitempty"`
	StepTemplates   []stepTemplate    `json:"step_templates"`
	DependencyGraph dependencyGraphJS `json:"dependency_graph"`
}

type stepTemplate struct {
	Name              string         `json:"name"`
	Description       string         `json:"description,omitempty"`
	HandlerClass      string         `json:"handler_class"`
	DependsOnSteps    []string       `json:"depends_on_steps"`
	Configuration     map[string]any `json:"configuration,omitempty"`
	DefaultRetryable  bool           `json:"default_retryable"`
	DefaultRetryLimit int            `json:"default_retry_limit"`
	Skippable         bool           `json:"skippable"`
	DependentSystem   string         `json:"dependent_system,omitempty"`
}

type dependencyGraphJS struct {
	Nodes          []graphNode `json:"nodes"`
	Edges          []graphEdge `json:"edges"`
	ExecutionOrder []string    `json:"execution_order"`
	Levels         [][]string  `json:"levels"`
}

type graphNode struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	HandlerClass string `json:"handler_class"`
	Level        int    `json:"level"`
}

type graphEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Type string `json:"type"`
}

func (s *Server) showHandler(w http.ResponseWriter, r *http.Request) error {
	namespace, name, version := r.PathValue("namespace"), r.PathValue("name"), r.URL.Query().Get("version")
	if version == "latest" {
		version = ""
	}
	t, err := s.cfg.Templates.Get(namespace, name, version)
	if err != nil {
		return apiErr(http.StatusNotFound, "name", err.Error())
	}
	return writeJSON(w, http.StatusOK, map[string]handlerJSON{"handler": handlerView(t)})
}

func handlerView(t *template.Template) handlerJSON {
	levels := stepLevels(t)
	h := handlerJSON{
		Name: t.Name, Namespace: t.Namespace, Version: t.Version, FullName: fmt.Sprintf("%s.%s@%s", t.Namespace, t.Name, t.Version),
		Description: t.Description, ClassName: t.TaskHandlerClass, Available: true,
		StepTemplates:   make([]stepTemplate, len(t.Steps)),
		DependencyGraph: dependencyGraphJS{Nodes: make([]graphNode, len(t.Steps)), Edges: []graphEdge{}},
	}
	if len(t.InputSchema) > 0 {
		h.InputSchema = t.InputSchema
	}
	depth := 0
	for _, l := range levels {
		depth = max(depth, l+1)
	}
	h.DependencyGraph.Levels = make([][]string, depth)
	for i, st := range t.Steps {
		h.StepTemplates[i] = stepTemplate{
			Name: st.Name, Description: st.Description, HandlerClass: st.Callable, DependsOnSteps: append([]string{}, st.Dependencies...),
			Configuration: st.Initialization, DefaultRetryable: st.Retry.Retryable, DefaultRetryLimit: st.Retry.MaxAttempts,
			Skippable: st.Skippable, DependentSystem: st.DependentSystem,
		}
		h.DependencyGraph.Nodes[i] = graphNode{ID: st.Name, Name: st.Name, Type: "step", HandlerClass: st.Callable, Level: levels[st.Name]}
		for _, d := range st.Dependencies {
			h.DependencyGraph.Edges = append(h.DependencyGraph.Edges, graphEdge{From: d, To: st.Name, Type: "dependency"})
		}
		h.DependencyGraph.Levels[levels[st.Name]] = append(h.DependencyGraph.Levels[levels[st.Name]], st.Name)
	}
	for _, l := range h.DependencyGraph.Levels {
		h.DependencyGraph.ExecutionOrder = append(h.DependencyGraph.ExecutionOrder, l...)
	}
	return h
}

// Health routes: live answers while the process runs; ready needs Temporal reachable and a worker
// polling the orchestration queue; status says both and what is served.

func (s *Server) live(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{"alive": true, "timestamp": time.Now().UTC().Format(time.RFC3339), "service": "tasker"})
}

type readiness struct {
	Ready     bool   `json:"ready"`
	Temporal  bool   `json:"temporal"`
	TaskQueue string `json:"task_queue"`
	Pollers   int    `json:"pollers"`
	Error     string `json:"error,omitempty"`
	Timestamp string `json:"timestamp"`
}

func (s *Server) readiness(ctx context.Context) readiness {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	h, err := s.cfg.Client.CheckHealth(ctx)
	rd := readiness{TaskQueue: h.TaskQueue, Pollers: h.Pollers, Timestamp: time.Now().UTC().Format(time.RFC3339)}
	switch {
	case err != nil:
		rd.Error = err.Error()
	case h.Pollers == 0:
		rd.Temporal = true
		rd.Error = "no worker polls task queue " + h.TaskQueue
	default:
		rd.Temporal, rd.Ready = true, true
	}
	return rd
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	rd := s.readiness(r.Context())
	code := http.StatusOK
	if !rd.Ready {
		code = http.StatusServiceUnavailable
	}
	return writeJSON(w, code, rd)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	rd := s.readiness(r.Context())
	code := http.StatusOK
	if !rd.Ready {
		code = http.StatusServiceUnavailable
	}
	return writeJSON(w, code, map[string]any{
		"healthy": rd.Ready, "readiness": rd, "templates": len(s.cfg.Templates.List()),
		"writes": s.writeMode(), "generated_at": time.Now().UTC().Format(time.RFC3339),
	})
}

// writeMode says how writes are allowed: "open", "token" or "disabled".
func (s *Server) writeMode() string {
	switch {
	case s.cfg.Open:
		return "open"
	case len(s.cfg.Tokens) > 0:
		return "token"
	}
	return "disabled"
}

// consoleConfig tells the console how writes work and what the token it holds (if any) may do,
// so it can disable the buttons a read-only token could not use.
func (s *Server) consoleConfig(w http.ResponseWriter, r *http.Request) error {
	scope := ScopeNone
	switch {
	case s.cfg.Open:
		scope = ScopeWrite
	case len(s.cfg.Tokens) == 0:
		scope = ScopeRead
	default:
		if tok, ok := bearer(r); ok {
			scope = s.scopeOf(tok)
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"writes": s.writeMode(), "reads_need_token": !s.cfg.Open && len(s.cfg.Tokens) > 0, "scope": scope.String(),
		"temporal_ui": s.cfg.TemporalUI, "namespace": s.cfg.Namespace,
	})
}

func contextWithTimeout(r *http.Request, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), d)
}
