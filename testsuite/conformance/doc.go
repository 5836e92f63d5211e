// Package conformance checks that a step worker in any language honours the Tasker step-handler
// contract (docs/handlers.md): it runs probe steps against the worker serving one callable on one
// task queue and reports every violation in plain words.
//
// The probe protocol: each probe is one activity execution of the callable with a StepRequest
// whose step.initialization carries {"conformance_probe": "echo" | "fail_retryable" |
// "fail_permanent" | "heartbeat", ...parameters}. A conforming handler answers as Wrap does in Go
// (and examples/typescript/src/contract.ts in TypeScript): echo returns the request it received
// as results; fail_retryable raises RetryableError with details [{retry_after_seconds}];
// fail_permanent raises a non-retryable PermanentError; heartbeat heartbeats every interval_ms for
// duration_ms and returns {"heartbeats": n}.
//
// The kit runs its own tiny workflow (ProbeWorkflowType) on a task queue of its own, so it needs
// no orchestration worker and sees the raw payloads and failures the handler produced. It is a
// testing tool: production workers import only Wrap, and nothing here writes to a database.
package conformance
