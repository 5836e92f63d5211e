// Package worker is the embeddable Tasker orchestrator: a Go service passes its Temporal client,
// its templates and its step handlers to New, then calls Start and Stop, and runs Tasker tasks in
// its own process (river-style: every Config field says what it does when left unset).
//
// It owns the orchestration activities the TaskerTask workflow calls (template resolution and the
// recorder that feeds the Rails mirror and the lifecycle events), the workflow settings and their
// defaults, the step-queue policy (which task queues a Go handler worker polls), the registration
// of Tasker's search attributes, and registering all of that on Temporal workers.
//
// It must not hold workflow logic (that is workflows/, which it imports and which never imports
// it), nor talk to PostgreSQL or a message broker itself: the mirror and the publisher are
// handed in (compat.Mirror, events.Publisher), and it does not import fx.
package worker
