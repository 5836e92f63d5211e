// Package activities is the Go step-handler SDK: what a step handler is written against.
//
// A step handler implements Handler (Tasker's `process` hook) and optionally ResultsProcessor
// (`process_results`); a Registry maps each handler callable, such as "Payments::ValidateCard", to
// its handler and registers one Temporal activity per callable. Handlers fail with PermanentError
// (stop at once, with an optional Code) or RetryableError (retry, optionally after a
// server-requested delay); any other error is retryable. Failure is the contract's one mapping
// between those errors and Temporal application errors. HTTPHandler gives an HTTP API step
// Tasker's status-code semantics; Heartbeat reports progress of a long step.
//
// This package must not hold orchestration or workflow logic: retries, backoff and the DAG walk
// belong to the workflow (workflows/), the orchestration activities to worker/.
package activities
