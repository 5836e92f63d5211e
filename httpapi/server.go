package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal/client"
	"github.com/tasker-systems/tasker-temporal/template"
)

// DefaultAddr is where cmd/worker serves the API and console unless told otherwise.
const DefaultAddr = "127.0.0.1:8234"

// DefaultMaxBody is the largest request body accepted, in bytes.
const DefaultMaxBody = 1 << 20

// Templates lists and finds task templates; *template.Registry implements it.
type Templates interface {
	Get(namespace, name, version string) (*template.Template, error)
	List() []*template.Template
}

// Config configures a Server.
type Config struct {
	// Client starts and operates tasks. Required.
	Client *client.Client
	// Templates serves the /handlers routes and the console's graph. Required.
	Templates Templates
	// Tokens are the accepted bearer tokens. With none, reads are open and writes refused, unless
	// Open is set.
	Tokens []Token
	// Open lets every request read and write without a token: for local development only.
	Open bool
	// TemporalUI is the base URL of the Temporal Web UI (e.g. http://127.0.0.1:8233), for links
	// from the console; "" = no links.
	TemporalUI string
	// Namespace is the Temporal namespace, for Temporal UI links; default "default".
	Namespace string
	// MaxBody caps request bodies; default DefaultMaxBody.
	MaxBody int64
	// Logger logs refused requests and server errors; nil = no logs.
	Logger *zap.Logger
}

// Server is the HTTP API and console.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	metrics *metrics
	log     *zap.Logger
}

// New builds a server; Handler serves it.
func New(cfg Config) (*Server, error) {
	if cfg.Client == nil || cfg.Templates == nil {
		return nil, errors.New("httpapi: Config.Client and Config.Templates are required")
	}
	if err := validateTokens(cfg.Tokens); err != nil {
		return nil, err
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: newMetrics(), log: cfg.Logger}
	for _, r := range s.routes() {
		s.mux.Handle(r.Method+" "+r.Pattern, s.wrap(r))
	}
	s.mux.Handle("GET /console/", consoleHandler())
	s.mux.Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusFound))
	return s, nil
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Routes lists the API's routes as "METHOD /pattern", sorted: what openapi.json documents.
func Routes() []string {
	var out []string
	for _, r := range (&Server{}).routes() {
		out = append(out, r.Method+" "+r.Pattern)
	}
	sort.Strings(out)
	return out
}

// route is one API route: the table the mux, the auth checks and the OpenAPI test share.
type route struct {
	Method  string
	Pattern string
	Scope   Scope // ScopeNone = no token needed
	Handle  func(w http.ResponseWriter, r *http.Request) error
}

func (s *Server) routes() []route {
	return []route{
		{"GET", "/tasks", ScopeRead, s.listTasks},
		{"POST", "/tasks", ScopeWrite, s.createTask},
		{"GET", "/tasks/{id}", ScopeRead, s.showTask},
		{"DELETE", "/tasks/{id}", ScopeWrite, s.cancelTask},
		{"GET", "/tasks/{id}/workflow_steps", ScopeRead, s.listSteps},
		{"GET", "/tasks/{id}/workflow_steps/{step}", ScopeRead, s.showStep},
		{"POST", "/tasks/{id}/workflow_steps/{step}/retry", ScopeWrite, s.retryStep},
		{"POST", "/tasks/{id}/workflow_steps/{step}/resolve", ScopeWrite, s.resolveStep},
		{"GET", "/handlers", ScopeRead, s.listNamespaces},
		{"GET", "/handlers/{namespace}", ScopeRead, s.listHandlers},
		{"GET", "/handlers/{namespace}/{name}", ScopeRead, s.showHandler},
		{"GET", "/health/ready", ScopeNone, s.ready},
		{"GET", "/health/live", ScopeNone, s.live},
		{"GET", "/health/status", ScopeRead, s.status},
		{"GET", "/metrics", ScopeNone, s.serveMetrics},
		{"GET", "/openapi.json", ScopeNone, serveOpenAPI},
		{"GET", "/console/config.json", ScopeNone, s.consoleConfig},
	}
}

// wrap adds the auth check, the body cap, metrics and the error rendering around a route.
func (s *Server) wrap(rt route) http.Handler {
	name := rt.Method + " " + rt.Pattern
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		defer func() { s.metrics.request(name, rec.code) }()
		if err := s.authorize(r, rt.Scope); err != nil {
			s.metrics.refused()
			s.log.Warn("refused request", zap.String("route", name), zap.String("remote", r.RemoteAddr), zap.Error(err))
			writeError(rec, err)
			return
		}
		r.Body = http.MaxBytesReader(rec, r.Body, s.cfg.MaxBody)
		if err := rt.Handle(rec, r); err != nil {
			if status(err) >= 500 {
				s.log.Error("request failed", zap.String("route", name), zap.Error(err))
			}
			writeError(rec, err)
		}
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, code int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	return json.NewEncoder(w).Encode(v)
}

// Serve listens on addr and serves until ctx ends; it returns once the listener is open, with the
// address it listens on, and a function that shuts it down.
func (s *Server) Serve(addr string) (string, func(context.Context) error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("http: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", zap.Error(err))
		}
	}()
	return ln.Addr().String(), srv.Shutdown, nil
}

// ParseAddr reads the --http flag: "off" (or "") disables the server.
func ParseAddr(v string) (addr string, on bool) {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "off") || strings.EqualFold(v, "false") {
		return "", false
	}
	return v, true
}
