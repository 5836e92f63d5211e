// Package httpapi serves Tasker's REST API and the operator console over HTTP: start, list and
// inspect tasks, retry, resolve and cancel, discover templates (Tasker's "handlers") with their
// dependency graph, health and Prometheus metrics, and the embedded browser console that draws a
// task's DAG live.
//
// Routes and JSON shapes follow the Rails engine's (resources :tasks { resources :workflow_steps },
// /handlers, /health/*, /metrics) so a client of the engine works with a base-URL change; the
// OpenAPI document is served at /openapi.json.
//
// It is built on package client only: it must not import go.temporal.io/* or pgx itself (a test
// checks its direct imports), and it holds no workflow or step logic.
package httpapi
