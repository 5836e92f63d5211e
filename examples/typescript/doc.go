// Package typescript holds the Go tests of the TypeScript example worker (src/, run with Node):
// they build it with tsc, start it as a child process on a test's own task queue, run the
// order_fulfillment template's tasks on it, and run the conformance kit against it.
//
// The worker itself is TypeScript; this package has no Go API.
package typescript
