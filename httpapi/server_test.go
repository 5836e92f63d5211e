package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tasker-systems/tasker-temporal/activities"
	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/examples/handlers"
	"github.com/tasker-systems/tasker-temporal/httpapi"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
)

func TestMain(m *testing.M) { testsuite.Main(m) }

const (
	writeToken = "write-token-0123"
	readToken  = "read-token-0123"
)

type fixture struct {
	env  *tasktest.Env
	url  string
	logs *observer.ObservedLogs
}

func newEnv(t testing.TB) *tasktest.Env {
	t.Helper()
	ts, err := template.LoadDir("../examples/templates", "")
	require.NoError(t, err)
	reg := activities.NewRegistry()
	require.NoError(t, handlers.Register(reg))
	return tasktest.NewEnv(t, tasktest.EnvOptions{Templates: ts, Handlers: reg})
}

// serve starts the API on a test server; cfg's Client and Templates are filled in from env.
func serve(t testing.TB, env *tasktest.Env, cfg httpapi.Config) fixture {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	cfg.Client, cfg.Templates, cfg.Logger = env.Client, env.Templates, zap.New(core)
	srv, err := httpapi.New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return fixture{env: env, url: ts.URL, logs: logs}
}

func withTokens() httpapi.Config {
	return httpapi.Config{Tokens: []httpapi.Token{{Value: writeToken, Scope: httpapi.ScopeWrite}, {Value: readToken, Scope: httpapi.ScopeRead}}}
}

type reply struct {
	Code int
	Body map[string]any
	Raw  string
}

func (f fixture) do(t testing.TB, method, path, token, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.url+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := reply{Code: resp.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

func taskPath(id string) string { return "/tasks/" + url.PathEscape(id) }

func TestImportsNoTemporalNorPostgres(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	require.NoError(t, err)
	imports := strings.Fields(string(out))
	require.Contains(t, imports, "github.com/tasker-systems/tasker-temporal/client", "the server is built on client")
	for _, imp := range imports {
		assert.False(t, strings.HasPrefix(imp, "go.temporal.io/"), "httpapi imports %s: talk to Temporal through client", imp)
		assert.False(t, strings.HasPrefix(imp, "github.com/jackc/"), "httpapi imports %s: it must not touch PostgreSQL", imp)
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	f := serve(t, newEnv(t), httpapi.Config{})
	r := f.do(t, "GET", "/openapi.json", "", "")
	require.Equal(t, 200, r.Code)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.Raw), &doc))
	assert.Equal(t, "3.1.0", doc.OpenAPI)
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(documented)
	assert.Equal(t, httpapi.Routes(), documented, "openapi.json documents exactly the registered routes")

	// and each documented route is served: no 404 or 405 from the mux for any of them.
	for _, rt := range documented {
		method, path, _ := strings.Cut(rt, " ")
		path = strings.NewReplacer("{id}", "x", "{step}", "s", "{namespace}", "examples", "{name}", "diamond").Replace(path)
		resp := f.do(t, method, path, "", "")
		assert.NotEqual(t, http.StatusMethodNotAllowed, resp.Code, rt)
		if resp.Code == http.StatusNotFound {
			assert.NotEmpty(t, resp.Body["error"], "%s: a 404 from a handler (JSON), not from the mux", rt)
		}
	}
}

// writeRoutes are every route that changes something, with a body that would pass validation.
var writeRoutes = []struct{ method, path, body string }{
	{"POST", "/tasks", `{"namespace": "examples", "name": "diamond", "context": {"number": 1}}`},
	{"DELETE", "/tasks/x", ``},
	{"POST", "/tasks/x/workflow_steps/a/retry", `{}`},
	{"POST", "/tasks/x/workflow_steps/a/resolve", `{"results": {}}`},
}

func TestWriteRoutesNeedAWriteToken(t *testing.T) {
	env := newEnv(t)
	tokens := serve(t, env, withTokens())
	none := serve(t, env, httpapi.Config{})
	open := serve(t, env, httpapi.Config{Open: true})
	for _, rt := range writeRoutes {
		tests := []struct {
			name  string
			f     fixture
			token string
			want  int
		}{
			{"missing token", tokens, "", http.StatusUnauthorized},
			{"wrong token", tokens, "not-a-token-at-all", http.StatusUnauthorized},
			{"read-only token", tokens, readToken, http.StatusForbidden},
			{"no token configured", none, "", http.StatusForbidden},
			{"no token configured, one sent", none, writeToken, http.StatusForbidden},
		}
		for _, tt := range tests {
			t.Run(rt.method+" "+rt.path+"/"+tt.name, func(t *testing.T) {
				r := tt.f.do(t, rt.method, rt.path, tt.token, rt.body)
				assert.Equal(t, tt.want, r.Code, r.Raw)
				assert.NotEmpty(t, r.Body["error"], "a JSON error says why")
			})
		}
		t.Run(rt.method+" "+rt.path+"/write token passes", func(t *testing.T) {
			r := tokens.do(t, rt.method, rt.path, writeToken, rt.body)
			assert.NotContains(t, []int{401, 403}, r.Code, r.Raw)
		})
		t.Run(rt.method+" "+rt.path+"/open server passes", func(t *testing.T) {
			r := open.do(t, rt.method, rt.path, "", rt.body)
			assert.NotContains(t, []int{401, 403}, r.Code, r.Raw)
		})
	}
	assert.GreaterOrEqual(t, tokens.logs.FilterMessage("refused request").Len(), 3*len(writeRoutes), "refused attempts are logged")
	for _, e := range tokens.logs.FilterMessage("refused request").All() {
		assert.NotContains(t, e.ContextMap()["error"], readToken, "a log never holds a token")
	}
	metrics := tokens.do(t, "GET", "/metrics", "", "")
	assert.Contains(t, metrics.Raw, "tasker_http_auth_refused_total 12")
}

func TestReadRoutesWithTokensConfigured(t *testing.T) {
	f := serve(t, newEnv(t), withTokens())
	tests := []struct {
		name, token string
		want        int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "zzzzzzzzzzzz", http.StatusUnauthorized},
		{"read token", readToken, http.StatusOK},
		{"write token reads too", writeToken, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, f.do(t, "GET", "/handlers", tt.token, "").Code)
		})
	}
	assert.Equal(t, http.StatusOK, f.do(t, "GET", "/health/live", "", "").Code, "probes need no token")
	assert.Equal(t, http.StatusOK, f.do(t, "GET", "/metrics", "", "").Code, "metrics need no token")
}

func TestParseTokens(t *testing.T) {
	tests := []struct {
		spec    string
		want    []httpapi.Token
		wantErr string
	}{
		{"", nil, ""},
		{"write:abcdefgh, read:12345678", []httpapi.Token{{Value: "abcdefgh", Scope: httpapi.ScopeWrite}, {Value: "12345678", Scope: httpapi.ScopeRead}}, ""},
		{"admin:abcdefgh", nil, `scope "admin"`},
		{"abcdefgh", nil, "want scope:token"},
		{"read:short", nil, "shorter than 8"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := httpapi.ParseTokens(tt.spec)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestStartReadAndWait(t *testing.T) {
	f := serve(t, newEnv(t), httpapi.Config{Open: true})
	body := `{"task": {"namespace": "examples", "name": "diamond", "context": {"number": 3}, "initiator": "` + t.Name() + `"}}`
	created := f.do(t, "POST", "/tasks", "", body)
	require.Equal(t, http.StatusCreated, created.Code, created.Raw)
	task := created.Body["task"].(map[string]any)
	id := task["workflow_id"].(string)
	assert.Equal(t, false, task["existing"])

	again := f.do(t, "POST", "/tasks", "", body)
	require.Equal(t, http.StatusOK, again.Code, "an identical request returns the same task")
	assert.Equal(t, id, again.Body["task"].(map[string]any)["workflow_id"])
	assert.Equal(t, true, again.Body["task"].(map[string]any)["existing"])

	done := f.do(t, "GET", taskPath(id)+"?wait=20s", "", "")
	require.Equal(t, http.StatusOK, done.Code, done.Raw)
	got := done.Body["task"].(map[string]any)
	assert.Equal(t, "complete", got["status"])
	assert.Equal(t, true, got["complete"])
	assert.Equal(t, "examples.diamond@1.0.0", got["full_name"])
	steps := got["workflow_steps"].([]any)
	require.Len(t, steps, 4)
	levels := map[string]float64{}
	for _, s := range steps {
		s := s.(map[string]any)
		levels[s["name"].(string)] = s["level"].(float64)
		assert.Equal(t, "complete", s["status"])
		assert.Equal(t, true, s["processed"])
	}
	assert.Equal(t, map[string]float64{"a": 0, "b": 1, "c": 1, "d": 2}, levels)

	step := f.do(t, "GET", taskPath(id)+"/workflow_steps/d", "", "")
	require.Equal(t, http.StatusOK, step.Code)
	d := step.Body["workflow_step"].(map[string]any)
	assert.JSONEq(t, `{"value":46}`, mustJSON(t, d["results"]))
	assert.ElementsMatch(t, []any{"b", "c"}, d["depends_on_steps"])

	list := f.do(t, "GET", taskPath(id)+"/workflow_steps", "", "")
	require.Equal(t, http.StatusOK, list.Code)
	assert.Len(t, list.Body["workflow_steps"], 4)

	require.Eventually(t, func() bool {
		page := f.do(t, "GET", "/tasks?namespace=examples&name=diamond&status=complete&limit=1000", "", "")
		for _, row := range page.Body["tasks"].([]any) {
			if row.(map[string]any)["workflow_id"] == id {
				return true
			}
		}
		return false
	}, 10*1e9, 50*1e6, "the list shows the task")
}

func TestPagesFollowTheCursor(t *testing.T) {
	f := serve(t, newEnv(t), httpapi.Config{Open: true})
	for i := range 3 {
		r := f.do(t, "POST", "/tasks", "", `{"namespace": "examples", "name": "diamond", "context": {"number": `+string(rune('1'+i))+`}, "initiator": "`+t.Name()+`"}`)
		require.Equal(t, http.StatusCreated, r.Code, r.Raw)
	}
	var first reply
	require.Eventually(t, func() bool {
		first = f.do(t, "GET", "/tasks?name=diamond&limit=2", "", "")
		return first.Code == 200 && len(first.Body["tasks"].([]any)) == 2 && first.Body["next_cursor"] != nil
	}, 10*1e9, 50*1e6)
	next := f.do(t, "GET", "/tasks?name=diamond&limit=2&cursor="+url.QueryEscape(first.Body["next_cursor"].(string)), "", "")
	require.Equal(t, http.StatusOK, next.Code, next.Raw)
	require.NotEmpty(t, next.Body["tasks"])
	assert.NotEqual(t, first.Body["tasks"].([]any)[0].(map[string]any)["workflow_id"], next.Body["tasks"].([]any)[0].(map[string]any)["workflow_id"])
}

func TestBadInputNamesTheField(t *testing.T) {
	f := serve(t, newEnv(t), httpapi.Config{Open: true, MaxBody: 4096})
	tests := []struct {
		name, method, path, body string
		code                     int
		field                    string
	}{
		{"not JSON", "POST", "/tasks", `{nope`, 400, ""},
		{"empty body", "POST", "/tasks", ``, 400, ""},
		{"unknown field", "POST", "/tasks", `{"namespace": "examples", "name": "diamond", "colour": "red"}`, 400, "colour"},
		{"wrong type", "POST", "/tasks", `{"namespace": "examples", "name": 7}`, 400, "name"},
		{"context not an object", "POST", "/tasks", `{"namespace": "examples", "name": "diamond", "context": [1]}`, 422, "context"},
		{"no name", "POST", "/tasks", `{"namespace": "examples"}`, 422, "name"},
		{"unknown template", "POST", "/tasks", `{"namespace": "examples", "name": "nope"}`, 404, ""},
		{"context fails the schema", "POST", "/tasks", `{"namespace": "examples", "name": "diamond", "context": {"number": "three"}}`, 422, "context"},
		{"unknown bypass step", "POST", "/tasks", `{"namespace": "examples", "name": "diamond", "context": {"number": 1}, "bypass_steps": ["zz"]}`, 422, "bypass_steps"},
		{"oversized body", "POST", "/tasks", `{"namespace": "examples", "name": "diamond", "context": {"pad": "` + strings.Repeat("x", 5000) + `"}}`, 413, ""},
		{"bad limit", "GET", "/tasks?limit=0", ``, 400, "limit"},
		{"bad status", "GET", "/tasks?status=done", ``, 400, "status"},
		{"bad cursor", "GET", "/tasks?cursor=%21%21", ``, 400, "cursor"},
		{"bad wait", "GET", "/tasks/x?wait=forever", ``, 400, "wait"},
		{"unknown task", "GET", "/tasks/no-such-task", ``, 404, ""},
		{"unknown task on cancel", "DELETE", "/tasks/no-such-task", ``, 404, ""},
		{"unknown namespace", "GET", "/handlers/nope", ``, 404, "namespace"},
		{"unknown handler", "GET", "/handlers/examples/nope", ``, 404, "name"},
		{"bad extra_attempts", "POST", "/tasks/x/workflow_steps/a/retry", `{"extra_attempts": 0}`, 422, "extra_attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.method, tt.path, "", tt.body)
			assert.Equal(t, tt.code, r.Code, r.Raw)
			assert.Equal(t, float64(tt.code), r.Body["status"], r.Raw)
			assert.NotEmpty(t, r.Body["error"])
			if tt.field != "" {
				assert.Equal(t, tt.field, r.Body["field"], r.Raw)
			}
		})
	}
}

func TestOperateADoomedTask(t *testing.T) {
	f := serve(t, newEnv(t), withTokens())
	created := f.do(t, "POST", "/tasks", writeToken, `{"namespace": "examples", "name": "doomed", "initiator": "`+t.Name()+`"}`)
	require.Equal(t, http.StatusCreated, created.Code, created.Raw)
	id := created.Body["task"].(map[string]any)["workflow_id"].(string)
	require.Eventually(t, func() bool {
		r := f.do(t, "GET", taskPath(id), readToken, "")
		return r.Code == 200 && r.Body["task"].(map[string]any)["status"] == "error"
	}, 60*1e9, 50*1e6, "doomed goes to error")

	charge := f.do(t, "GET", taskPath(id)+"/workflow_steps/charge", readToken, "")
	require.Equal(t, 200, charge.Code)
	assert.NotEmpty(t, charge.Body["workflow_step"].(map[string]any)["last_error"])

	tests := []struct {
		name, path, body string
		code             int
	}{
		{"retry a pending step", "/workflow_steps/notify/retry", ``, http.StatusConflict},
		{"retry an unknown step", "/workflow_steps/nope/retry", ``, http.StatusNotFound},
		{"resolve with results that are not JSON", "/workflow_steps/charge/resolve", `{"results": nope}`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "POST", taskPath(id)+tt.path, writeToken, tt.body)
			assert.Equal(t, tt.code, r.Code, r.Raw)
		})
	}

	resolved := f.do(t, "POST", taskPath(id)+"/workflow_steps/charge/resolve", writeToken, `{"results": {"charged_by": "operator"}, "reason": "paid by phone"}`)
	require.Equal(t, http.StatusOK, resolved.Code, resolved.Raw)
	assert.Equal(t, "resolved_manually", resolved.Body["workflow_step"].(map[string]any)["status"])

	done := f.do(t, "GET", taskPath(id)+"?wait=20s", readToken, "")
	require.Equal(t, "complete", done.Body["task"].(map[string]any)["status"], done.Raw)

	closed := f.do(t, "DELETE", taskPath(id), writeToken, `{"reason": "too late"}`)
	assert.Equal(t, http.StatusConflict, closed.Code, closed.Raw)
	assert.Contains(t, closed.Body["error"], "complete")
}

func TestHandlersShowTheGraph(t *testing.T) {
	f := serve(t, newEnv(t), httpapi.Config{})
	ns := f.do(t, "GET", "/handlers", "", "")
	require.Equal(t, 200, ns.Code)
	assert.Contains(t, ns.Raw, `"name":"examples"`)

	list := f.do(t, "GET", "/handlers/examples", "", "")
	require.Equal(t, 200, list.Code)
	assert.Contains(t, list.Raw, `"name":"diamond"`)

	h := f.do(t, "GET", "/handlers/examples/diamond?version=latest", "", "")
	require.Equal(t, 200, h.Code, h.Raw)
	graph := h.Body["handler"].(map[string]any)["dependency_graph"].(map[string]any)
	assert.Equal(t, []any{[]any{"a"}, []any{"b", "c"}, []any{"d"}}, graph["levels"])
	assert.Len(t, graph["edges"], 4)
	assert.Equal(t, []any{"a", "b", "c", "d"}, graph["execution_order"])
}

func TestHealth(t *testing.T) {
	f := serve(t, newEnv(t), httpapi.Config{})
	var ready reply
	require.Eventually(t, func() bool {
		ready = f.do(t, "GET", "/health/ready", "", "")
		return ready.Code == http.StatusOK
	}, 20*1e9, 100*1e6, "ready once the worker's first poll reaches Temporal")
	assert.Equal(t, true, ready.Body["ready"])
	assert.GreaterOrEqual(t, ready.Body["pollers"], float64(1))
	assert.Equal(t, true, f.do(t, "GET", "/health/live", "", "").Body["alive"])
	st := f.do(t, "GET", "/health/status", "", "")
	assert.Equal(t, "disabled", st.Body["writes"])
	assert.Equal(t, float64(4), st.Body["templates"])
}

func TestReadyFailsWithoutAWorker(t *testing.T) {
	env := newEnv(t)
	srv, err := httpapi.New(httpapi.Config{Client: clientOnQueue(t, env, testsuite.UniqueName(t, "idle")), Templates: env.Templates})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/health/ready", nil))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), "no worker polls")
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(bytes.TrimSpace(b))
}

func clientOnQueue(t testing.TB, env *tasktest.Env, queue string) *client.Client {
	t.Helper()
	return client.New(env.Temporal, client.Options{TaskQueue: queue, Templates: env.Templates})
}
