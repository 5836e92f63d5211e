// Package dag is the Tasker task graph and its resolver: an immutable Graph of steps (int indexes,
// adjacency in slices, topological order and dependency levels), Tasker's step and task state
// machines, and Run, the mutable state of one task's DAG with incremental readiness, Tasker's
// retry eligibility and backoff, the task execution context (the meaning of Tasker's
// get_task_execution_context), Mermaid and markdown renderings, and a compact snapshot for
// continue-as-new. For tasker-core's dynamic steps (decision, deferred convergence, batchable,
// batch worker) a Run also marks which steps exist and grows by Decide and Expand, deterministically
// (docs/dynamic.md).
//
// It owns the rules only. It must not import Temporal, do I/O, read the clock, draw random numbers
// or depend on map iteration order: the Temporal workflow calls it and must replay identically.
// Time comes in as a `now time.Time` argument (workflow.Now in the workflow).
package dag
