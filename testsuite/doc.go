// Package testsuite holds helpers for this project's tests and for users testing their own
// templates and handlers: a Temporal server per test binary (or the one TEMPORAL_ADDRESS names),
// unique task queues and IDs per test, and throwaway PostgreSQL databases.
//
// It is for tests only: production code must not import it.
package testsuite
