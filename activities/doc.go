// Package activities is the Go step-handler foundation and the orchestration worker's own
// activities.
//
// A step handler implements Handler (Tasker's `process` hook) and optionally ResultsProcessor
// (`process_results`); a Registry maps each handler callable, such as "Payments::ValidateCard", to
// its handler and registers one Temporal activity per callable. Handlers fail with PermanentError
// (stop at once) or RetryableError (retry, optionally after a server-requested delay); any other
// error is retryable. HTTPHandler gives an HTTP API step Tasker's status-code semantics.
//
// The orchestration activities (ResolveTemplate, Record) run as local activities of the TaskerTask
// workflow: they look templates up and mirror transitions through the Mirror and Publisher
// interfaces. This package must not hold workflow logic: retries, backoff and the DAG walk belong
// to the workflow.
package activities
