// Package events owns Tasker's lifecycle events: the catalog (typed names and payload schemas of
// the task, step, workflow and observability events, plus the rules for custom events), the
// mapping from a transition to its events (FromTransition, with deterministic IDs), the Publisher
// that fans events out to in-process subscribers and to sinks, the sinks themselves (NATS
// JetStream, signed HTTP webhooks, a zap log), YAML subscription files, and Follow, which streams
// events back from the broker for `tasker events --follow`.
//
// It must not slow or fail a task: Publish only enqueues into bounded per-target queues and drops
// (logged, counted in Stats) what does not fit; subscriber errors and panics are contained. It
// must not import Temporal or the Rails schema: the recorder (worker/) calls FromTransition and
// Publish; the workflow never does. FromTransition is pure and deterministic (no clock, no map
// order), so a replayed transition yields the same events with the same IDs.
//
// # Why NATS JetStream
//
// Of the brokers running beside Tasker (NATS JetStream, Redis Streams, RabbitMQ), JetStream fits
// lifecycle events best: subjects are hierarchical like event names, so a subscriber's pattern
// ("step.*", "observability.>") is a server-side filter with no extra routing set-up; the stream
// de-duplicates by the Nats-Msg-Id header within a window, which turns our deterministic event IDs
// into exactly-once storage for replayed or retried publishes; it keeps events for replay
// (`--follow` from the start, late subscribers) with per-subject ordering; and clients exist for
// every language Tasker serves (the `nats` npm package, nats-py, the Ruby client). Redis Streams
// has no broker-side de-duplication or subject filtering; RabbitMQ's streams need a plugin and
// its queues lose replay.
//
// # Delivery
//
// At least once from the moment an event is queued for a sink: a failed batch is resent whole
// (the broker or the receiver de-duplicates by Event.ID); a recorder retry republishes the same
// IDs. Order is kept per subscriber and per sink in publish order, so per task when the recorder
// publishes a task's transitions in order; Event.Seq lets a consumer check or restore it. What
// can lose events, on purpose, is a full queue (a subscriber or sink too slow for too long) or a
// sink down longer than its retry budget: both are logged and counted, never pushed back on the
// task.
package events
