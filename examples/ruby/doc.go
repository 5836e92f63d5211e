// Package ruby holds the Go test of the Ruby example worker (worker.rb, lib/): the temporalio gem
// cannot be installed on the machine this project is built on (no RubyGems), so the test checks
// what it can without it: the Ruby parses, and the callables the template names are exactly the
// activity names the handlers declare. `tasker conformance` checks a running worker
// (README.md).
//
// The worker itself is Ruby; this package has no Go API.
package ruby
