// Package python holds the Go test of the Python example worker (worker.py, handlers.py): the
// temporalio package cannot be installed on the machine this project is built on (no PyPI), so
// the test checks what it can without it: the Python parses, and the callables the template
// names are exactly the activity names the handlers declare. `tasker conformance` checks a
// running worker (README.md).
//
// The worker itself is Python; this package has no Go API.
package python
