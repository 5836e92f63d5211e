package workflows

import (
	"hash/fnv"
	"strconv"
	"time"

	"github.com/tasker-systems/tasker-temporal/activities"
)

// failure is a failed attempt in Tasker's terms.
type failure struct {
	message    string
	class      string
	code       string
	backtrace  string
	permanent  bool
	retryAfter time.Duration
}

// classify reads an activity error through activities.ReadFailure, the contract's one mapping
// between errors and failures.
func classify(err error) failure {
	f := activities.ReadFailure(err)
	return failure{message: f.Message, class: f.Class, code: f.Code, backtrace: f.Backtrace, permanent: f.Permanent, retryAfter: f.RetryAfter}
}

// jitter spreads d by ±10%, derived from the task, step and attempt so that replays agree.
func jitter(d time.Duration, workflowID, step string, attempt int) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(workflowID))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(step))
	_, _ = h.Write([]byte(strconv.Itoa(attempt)))
	frac := float64(h.Sum64()%2001)/10000 - 0.1 // [-0.1, +0.1]
	return d + time.Duration(float64(d)*frac)
}
