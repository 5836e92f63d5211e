package dag

import "time"

// Backoff strategies (the template's retry.backoff).
const (
	BackoffNone        = "none"
	BackoffLinear      = "linear"
	BackoffExponential = "exponential"
	BackoffFibonacci   = "fibonacci"
)

// BackoffPolicy is a step's wait between attempts (tasker-core's retry.backoff,
// backoff_base_ms, max_backoff_ms).
type BackoffPolicy struct {
	Strategy string // none | linear | exponential | fibonacci; "" = exponential
	Base     time.Duration
	Max      time.Duration // cap; 0 = no cap
}

// Delay is the wait after failed attempt n (1-based; n < 1 counts as 1), capped at Max:
//
//	none         0
//	linear       Base × n
//	exponential  Base × 2^(n-1)      (1, 2, 4, 8 … × Base)
//	fibonacci    Base × fib(n)       (1, 1, 2, 3, 5 … × Base)
//
// No jitter: the workflow adds its own deterministic jitter. An unknown strategy counts as
// exponential (templates reject unknown strategies when they load).
func (p BackoffPolicy) Delay(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	var mult int64
	switch p.Strategy {
	case BackoffNone:
		return 0
	case BackoffLinear:
		mult = int64(attempt)
	case BackoffFibonacci:
		mult = fib(attempt)
	default:
		mult = pow2(attempt - 1)
	}
	return p.capped(mult)
}

// capped is Base × mult, capped at Max, without overflowing.
func (p BackoffPolicy) capped(mult int64) time.Duration {
	if p.Base <= 0 {
		return 0
	}
	limit := time.Duration(1<<63 - 1)
	if p.Max > 0 {
		limit = p.Max
	}
	if mult > int64(limit/p.Base) {
		return limit
	}
	return min(p.Base*time.Duration(mult), limit)
}

// pow2 is 2^k, saturating at 2^62.
func pow2(k int) int64 {
	if k >= 62 {
		return 1 << 62
	}
	return 1 << uint(k)
}

// fib is the n-th Fibonacci number (fib(1) = fib(2) = 1), saturating at 2^62.
func fib(n int) int64 {
	a, b := int64(1), int64(1)
	for k := 2; k < n; k++ {
		a, b = b, a+b
		if b > 1<<62 {
			return 1 << 62
		}
	}
	if n <= 2 {
		return 1
	}
	return b
}
