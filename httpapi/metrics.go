package httpapi

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// metrics are the server's own counters, exposed in Prometheus' text format.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]uint64 // route, code
	actions  map[string]uint64
	starts   map[bool]uint64
	refusals uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]uint64{}, actions: map[string]uint64{}, starts: map[bool]uint64{}}
}

func (m *metrics) request(route string, code int) {
	m.mu.Lock()
	m.requests[[2]string{route, fmt.Sprint(code)}]++
	m.mu.Unlock()
}

func (m *metrics) action(name string) {
	m.mu.Lock()
	m.actions[name]++
	m.mu.Unlock()
}

func (m *metrics) started(existing bool) {
	m.mu.Lock()
	m.starts[existing]++
	m.mu.Unlock()
}

func (m *metrics) refused() {
	m.mu.Lock()
	m.refusals++
	m.mu.Unlock()
}

func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, err := w.Write([]byte(s.metrics.exposition()))
	return err
}

func (m *metrics) exposition() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	b.WriteString("# HELP tasker_http_requests_total HTTP API requests by route and status code.\n# TYPE tasker_http_requests_total counter\n")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		fmt.Fprintf(&b, "tasker_http_requests_total{route=%q,code=%q} %d\n", k[0], k[1], m.requests[k])
	}
	b.WriteString("# HELP tasker_http_tasks_started_total Tasks started through the API (existing=\"true\": an identical request's task was returned).\n# TYPE tasker_http_tasks_started_total counter\n")
	fmt.Fprintf(&b, "tasker_http_tasks_started_total{existing=\"false\"} %d\n", m.starts[false])
	fmt.Fprintf(&b, "tasker_http_tasks_started_total{existing=\"true\"} %d\n", m.starts[true])
	b.WriteString("# HELP tasker_http_operator_actions_total Retries, resolves and cancels done through the API.\n# TYPE tasker_http_operator_actions_total counter\n")
	for _, a := range []string{"cancel", "resolve", "retry"} {
		fmt.Fprintf(&b, "tasker_http_operator_actions_total{action=%q} %d\n", a, m.actions[a])
	}
	b.WriteString("# HELP tasker_http_auth_refused_total Requests refused for a missing, wrong or under-scoped token.\n# TYPE tasker_http_auth_refused_total counter\n")
	fmt.Fprintf(&b, "tasker_http_auth_refused_total %d\n", m.refusals)
	return b.String()
}
