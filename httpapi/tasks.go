package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/template"
)

// taskJSON is a task as the API shows it: the Rails TaskSerializer's fields that a Temporal task
// has, plus its workflow's identity and links.
type taskJSON struct {
	TaskID        int64      `json:"task_id,omitempty"`
	WorkflowID    string     `json:"workflow_id"`
	RunID         string     `json:"run_id,omitempty"`
	Name          string     `json:"name"`
	Namespace     string     `json:"namespace"`
	Version       string     `json:"version"`
	FullName      string     `json:"full_name"`
	Status        string     `json:"status"`
	Complete      bool       `json:"complete"`
	WorkflowSteps []stepJSON `json:"workflow_steps"`
	Links         links      `json:"links"`
}

// stepJSON is a step: the Rails WorkflowStepSerializer's fields that apply, plus the graph.
type stepJSON struct {
	Name          string          `json:"name"`
	Status        string          `json:"status"`
	Attempts      int             `json:"attempts"`
	RetryLimit    int             `json:"retry_limit"`
	Retryable     bool            `json:"retryable"`
	Skippable     bool            `json:"skippable"`
	Processed     bool            `json:"processed"`
	InProcess     bool            `json:"in_process"`
	Results       json.RawMessage `json:"results,omitempty"`
	ResultsSize   int             `json:"results_size,omitempty"`
	LastError     string          `json:"last_error,omitempty"`
	NextAttemptAt *time.Time      `json:"next_attempt_at,omitempty"`
	Handler       string          `json:"handler_class,omitempty"`
	Description   string          `json:"description,omitempty"`
	DependsOn     []string        `json:"depends_on_steps"`
	Level         int             `json:"level"`
}

type links struct {
	Console    string `json:"console"`
	TemporalUI string `json:"temporal_ui,omitempty"`
}

func (s *Server) links(workflowID string) links {
	l := links{Console: "/console/#/tasks/" + url.PathEscape(workflowID)}
	if s.cfg.TemporalUI != "" {
		l.TemporalUI = fmt.Sprintf("%s/namespaces/%s/workflows/%s", s.cfg.TemporalUI, url.PathEscape(s.cfg.Namespace), url.PathEscape(workflowID))
	}
	return l
}

// taskView joins the task's state with its template's graph (dependencies and levels).
func (s *Server) taskView(res tasker.TaskResult) taskJSON {
	t := taskJSON{
		TaskID: res.TaskID, WorkflowID: res.WorkflowID, RunID: res.RunID, Name: res.Name, Namespace: res.Namespace,
		Version: res.Version, FullName: fmt.Sprintf("%s.%s@%s", res.Namespace, res.Name, res.Version),
		Status: res.Status, Complete: res.Status == tasker.StateComplete, Links: s.links(res.WorkflowID),
		WorkflowSteps: make([]stepJSON, len(res.Steps)),
	}
	tmpl, _ := s.cfg.Templates.Get(res.Namespace, res.Name, res.Version)
	var levels map[string]int
	if tmpl != nil {
		levels = stepLevels(tmpl)
	}
	for i, st := range res.Steps {
		v := stepJSON{
			Name: st.Name, Status: st.Status, Attempts: st.Attempts, RetryLimit: st.MaxAttempts, Retryable: true,
			Processed: st.Status == tasker.StateComplete || st.Status == tasker.StateResolvedManually,
			InProcess: st.Status == tasker.StateInProgress, Results: st.Results, ResultsSize: st.ResultsSize,
			LastError: st.LastError, NextAttemptAt: st.NextAttemptAt, DependsOn: []string{}, Level: levels[st.Name],
		}
		if tmpl != nil {
			if ts := findStep(tmpl, st.Name); ts != nil {
				v.Handler, v.Description, v.Skippable = ts.Callable, ts.Description, ts.Skippable
				v.Retryable = ts.Retry.Retryable
				v.DependsOn = append(v.DependsOn, ts.Dependencies...)
			}
		}
		t.WorkflowSteps[i] = v
	}
	return t
}

func findStep(t *template.Template, name string) *template.Step {
	for i := range t.Steps {
		if t.Steps[i].Name == name {
			return &t.Steps[i]
		}
	}
	return nil
}

// stepLevels is each step's dependency level: 0 for a root, else one more than its deepest
// dependency.
func stepLevels(t *template.Template) map[string]int {
	deps := make(map[string][]string, len(t.Steps))
	for _, st := range t.Steps {
		deps[st.Name] = st.Dependencies
	}
	levels := make(map[string]int, len(t.Steps))
	var level func(name string, depth int) int
	level = func(name string, depth int) int {
		if l, ok := levels[name]; ok || depth > len(t.Steps) {
			return l
		}
		l := 0
		for _, d := range deps[name] {
			l = max(l, level(d, depth+1)+1)
		}
		levels[name] = l
		return l
	}
	for _, st := range t.Steps {
		level(st.Name, 0)
	}
	return levels
}

// listTasks is GET /tasks: filters namespace, name, version, status; limit and cursor.
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := client.ListFilter{Namespace: q.Get("namespace"), Name: q.Get("name"), Version: q.Get("version"), Status: q.Get("status"), Cursor: q.Get("cursor"), Limit: 50}
	if f.Status != "" && !validState(f.Status) {
		return apiErr(http.StatusBadRequest, "status", fmt.Sprintf("status %q is not a task state (pending, in_progress, complete, error, cancelled, resolved_manually)", f.Status))
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return apiErr(http.StatusBadRequest, "limit", fmt.Sprintf("limit %q: want a whole number from 1 to 1000", v))
		}
		f.Limit = n
	}
	page, err := s.cfg.Client.ListPage(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func validState(st string) bool {
	switch st {
	case tasker.StatePending, tasker.StateInProgress, tasker.StateComplete, tasker.StateError, tasker.StateCancelled, tasker.StateResolvedManually:
		return true
	}
	return false
}

// createRequest is POST /tasks: the Rails engine's {"task": {...}} or the same fields bare.
type createRequest struct {
	Name         string          `json:"name"`
	Namespace    string          `json:"namespace"`
	Version      string          `json:"version"`
	Context      json.RawMessage `json:"context"`
	Initiator    string          `json:"initiator"`
	SourceSystem string          `json:"source_system"`
	Reason       string          `json:"reason"`
	Tags         []string        `json:"tags"`
	BypassSteps  []string        `json:"bypass_steps"`
	RequestedAt  *time.Time      `json:"requested_at"`
	WorkflowID   string          `json:"workflow_id"`
}

// createdJSON answers POST /tasks.
type createdJSON struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Version    string `json:"version,omitempty"`
	// Existing is true when an identical request had already started this task.
	Existing bool  `json:"existing"`
	Links    links `json:"links"`
}

func (s *Server) createTask(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	var wrapped struct {
		Task json.RawMessage `json:"task"`
	}
	if json.Unmarshal(body, &wrapped) == nil && len(wrapped.Task) > 0 {
		body = wrapped.Task
	}
	var req createRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	if len(req.Context) > 0 && !bytes.HasPrefix(bytes.TrimSpace(req.Context), []byte("{")) {
		return apiErr(http.StatusUnprocessableEntity, "context", "context must be a JSON object")
	}
	treq := tasker.TaskRequest{Namespace: req.Namespace, Name: req.Name, Version: req.Version, Context: req.Context,
		Initiator: req.Initiator, SourceSystem: req.SourceSystem, Reason: req.Reason, Tags: req.Tags, BypassSteps: req.BypassSteps}
	if req.RequestedAt != nil {
		treq.RequestedAt = *req.RequestedAt
	}
	task, err := s.cfg.Client.StartTask(r.Context(), treq, client.StartOptions{WorkflowID: req.WorkflowID})
	if err != nil {
		return err
	}
	s.metrics.started(task.Existing)
	code := http.StatusCreated
	if task.Existing {
		code = http.StatusOK
	}
	w.Header().Set("Location", "/tasks/"+url.PathEscape(task.WorkflowID))
	return writeJSON(w, code, map[string]createdJSON{"task": {
		WorkflowID: task.WorkflowID, RunID: task.RunID, Namespace: req.Namespace, Name: req.Name, Version: req.Version,
		Existing: task.Existing, Links: s.links(task.WorkflowID),
	}})
}

// decodeStrict decodes one JSON object, refusing unknown fields and trailing data, with errors
// that name the field.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apiErr(http.StatusBadRequest, "", "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
	case errors.As(err, &typeErr):
		return apiErr(http.StatusBadRequest, typeErr.Field, fmt.Sprintf("field %q: want %s, got JSON %s", typeErr.Field, typeErr.Type, typeErr.Value))
	case errors.As(err, &syntaxErr):
		return apiErr(http.StatusBadRequest, "", fmt.Sprintf("the request body is not JSON: %v (at byte %d)", err, syntaxErr.Offset))
	default:
		if field, ok := unknownField(err); ok {
			return apiErr(http.StatusBadRequest, field, fmt.Sprintf("unknown field %q", field))
		}
		return apiErr(http.StatusBadRequest, "", "the request body is not a JSON object: "+err.Error())
	}
	if dec.More() {
		return apiErr(http.StatusBadRequest, "", "the request body holds more than one JSON value")
	}
	return nil
}

func unknownField(err error) (string, bool) {
	var field string
	if _, scanErr := fmt.Sscanf(err.Error(), "json: unknown field %q", &field); scanErr == nil {
		return field, true
	}
	return "", false
}

// showTask is GET /tasks/{id}; ?wait=30s waits (up to that long) for the task to close.
func (s *Server) showTask(w http.ResponseWriter, r *http.Request) error {
	res, err := s.getTask(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]taskJSON{"task": s.taskView(res)})
}

func (s *Server) getTask(r *http.Request) (tasker.TaskResult, error) {
	id := r.PathValue("id")
	wait := r.URL.Query().Get("wait")
	if wait == "" {
		return s.cfg.Client.GetTask(r.Context(), id)
	}
	d, err := time.ParseDuration(wait)
	if err != nil || d <= 0 || d > 5*time.Minute {
		return tasker.TaskResult{}, apiErr(http.StatusBadRequest, "wait", fmt.Sprintf("wait %q: want a duration such as 30s, at most 5m", wait))
	}
	ctx, cancel := contextWithTimeout(r, d)
	defer cancel()
	res, err := s.cfg.Client.WaitTask(ctx, id)
	if err != nil && ctx.Err() != nil && r.Context().Err() == nil {
		return s.cfg.Client.GetTask(r.Context(), id) // still open: its current state
	}
	return res, err
}

func (s *Server) cancelTask(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := optionalBody(r, &req); err != nil {
		return err
	}
	if err := s.cfg.Client.CancelTask(r.Context(), r.PathValue("id"), req.Reason); err != nil {
		return err
	}
	s.metrics.action("cancel")
	return writeJSON(w, http.StatusOK, map[string]bool{"cancelled": true})
}

func optionalBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeStrict(body, v)
}

func (s *Server) listSteps(w http.ResponseWriter, r *http.Request) error {
	res, err := s.getTask(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string][]stepJSON{"workflow_steps": s.taskView(res).WorkflowSteps})
}

func (s *Server) showStep(w http.ResponseWriter, r *http.Request) error {
	return s.writeStep(w, r, http.StatusOK)
}

func (s *Server) writeStep(w http.ResponseWriter, r *http.Request, code int) error {
	res, err := s.cfg.Client.GetTask(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	name := r.PathValue("step")
	for _, st := range s.taskView(res).WorkflowSteps {
		if st.Name == name {
			return writeJSON(w, code, map[string]stepJSON{"workflow_step": st})
		}
	}
	return apiErr(http.StatusNotFound, "step", fmt.Sprintf("task %s has no step %q", res.WorkflowID, name))
}

func (s *Server) retryStep(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ExtraAttempts *int `json:"extra_attempts"`
	}
	if err := optionalBody(r, &req); err != nil {
		return err
	}
	extra := 1
	if req.ExtraAttempts != nil {
		if *req.ExtraAttempts < 1 || *req.ExtraAttempts > 100 {
			return apiErr(http.StatusUnprocessableEntity, "extra_attempts", fmt.Sprintf("extra_attempts %d: want 1 to 100", *req.ExtraAttempts))
		}
		extra = *req.ExtraAttempts
	}
	if err := s.cfg.Client.RetryStep(r.Context(), r.PathValue("id"), r.PathValue("step"), extra); err != nil {
		return err
	}
	s.metrics.action("retry")
	return s.writeStep(w, r, http.StatusOK)
}

func (s *Server) resolveStep(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Results json.RawMessage `json:"results"`
		Reason  string          `json:"reason"`
	}
	if err := optionalBody(r, &req); err != nil {
		return err
	}
	if err := s.cfg.Client.ResolveStep(r.Context(), r.PathValue("id"), r.PathValue("step"), req.Results, req.Reason); err != nil {
		return err
	}
	s.metrics.action("resolve")
	return s.writeStep(w, r, http.StatusOK)
}
