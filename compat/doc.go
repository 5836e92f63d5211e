// Package compat mirrors Tasker tasks run on Temporal into the Tasker Rails engine's tasker_*
// schema, with pgx/v5 and plain SQL: it creates a task with its catalog rows (namespace, dependent
// systems, named task and steps), step rows and `provides` edges, or adopts a task a Rails app
// created; it writes the workflow's transitions the way Statesman does (sort_key +10 per entity,
// one most_recent row per entity, flipped in the same transaction) and keeps the step and task
// columns as Tasker does; and it reads a task back through get_task_execution_context.
//
// It owns every read and write of task data in PostgreSQL. It must not create or alter schema
// (package migrations does), import Temporal, or read the clock: every timestamp it writes comes
// from the request or the transition (the workflow's time).
//
// Writes are idempotent and ordered: each WriteTransitions call is one transaction that takes a
// per-task advisory lock, skips transitions whose Seq is already applied, and records the highest
// applied Seq in tasker_temporal_mirror in the same transaction, or, in a Rails database without
// that table, derives it from the `workflow_id` and `seq` each transition row carries in its
// metadata. See docs/compat.md.
package compat
