// Package bridge serves Tasker step task queues with jobs of existing job frameworks: Sidekiq
// (job JSON in Redis), Celery (message protocol v2 over RabbitMQ) and BullMQ (jobs in Redis, added
// through BullMQ's own Queue.add in a small Node sidecar).
//
// For every task queue its Config routes, the bridge runs a Temporal worker with one dynamic
// activity. Each activity task (one step attempt) is turned into an Envelope — the step's
// StepRequest plus a callback URL and a signed callback token — enqueued as a job of the routed
// framework, and left pending (activity.ErrResultPending). The job reports back through the
// callback API (Handler: complete, fail, heartbeat), and the bridge completes the activity with
// the Temporal client by task token. The token carries the task token, signed with HMAC-SHA256
// and an expiry, so any bridge process with the same secret can complete it (a restart loses
// nothing); a Ledger makes each token single-use.
//
// The package owns routing, the job formats, tokens and the callback API. It must not hold
// workflow logic: retries and backoff of a failed attempt belong to the TaskerTask workflow, so
// jobs are enqueued with the frameworks' own retries off.
package bridge
