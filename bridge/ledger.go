package bridge

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Ledger makes callback tokens single-use. Claim reserves a token's nonce while its report is
// applied; Done marks it used for good; Release gives it back when the report could not be
// applied (Temporal unreachable), so the job may report again.
type Ledger interface {
	// Claim reserves nonce until expires; it returns false when the nonce is claimed or used.
	Claim(ctx context.Context, nonce string, expires time.Time) (bool, error)
	Done(ctx context.Context, nonce string, expires time.Time) error
	Release(ctx context.Context, nonce string) error
}

// RedisLedger keeps nonces in Redis under tasker:bridge:token:<nonce>, expiring with the token:
// single use holds across bridge restarts and between bridge replicas.
type RedisLedger struct {
	rdb *redis.Client
}

// NewRedisLedger returns a ledger on the Redis at url.
func NewRedisLedger(url string) (*RedisLedger, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("ledger redis %q: %w", url, err)
	}
	return &RedisLedger{rdb: redis.NewClient(opts)}, nil
}

func ledgerKey(nonce string) string { return "tasker:bridge:token:" + nonce }

// ttlUntil is how long a ledger entry lives: until the token expires, plus a minute.
func ttlUntil(expires time.Time) time.Duration {
	return max(time.Until(expires)+time.Minute, time.Minute)
}

// Claim implements Ledger.
func (l *RedisLedger) Claim(ctx context.Context, nonce string, expires time.Time) (bool, error) {
	ok, err := l.rdb.SetNX(ctx, ledgerKey(nonce), "claimed", ttlUntil(expires)).Result()
	if err != nil {
		return false, fmt.Errorf("ledger: claim token: %w", err)
	}
	return ok, nil
}

// Done implements Ledger.
func (l *RedisLedger) Done(ctx context.Context, nonce string, expires time.Time) error {
	if err := l.rdb.Set(ctx, ledgerKey(nonce), "used", ttlUntil(expires)).Err(); err != nil {
		return fmt.Errorf("ledger: mark token used: %w", err)
	}
	return nil
}

// Release implements Ledger.
func (l *RedisLedger) Release(ctx context.Context, nonce string) error {
	if err := l.rdb.Del(ctx, ledgerKey(nonce)).Err(); err != nil {
		return fmt.Errorf("ledger: release token: %w", err)
	}
	return nil
}

// Close closes the Redis connections.
func (l *RedisLedger) Close() error { return l.rdb.Close() }

// MemoryLedger keeps nonces in process memory: single use holds until the bridge restarts (after
// which Temporal still refuses a second completion of the same attempt).
type MemoryLedger struct {
	mu     sync.Mutex
	used   map[string]time.Time
	claims int
}

// NewMemoryLedger returns an empty in-memory ledger.
func NewMemoryLedger() *MemoryLedger { return &MemoryLedger{used: map[string]time.Time{}} }

// Claim implements Ledger.
func (l *MemoryLedger) Claim(_ context.Context, nonce string, expires time.Time) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.claims++; l.claims%1024 == 0 { // now and then, drop expired entries
		now := time.Now()
		for n, exp := range l.used {
			if now.After(exp.Add(time.Minute)) {
				delete(l.used, n)
			}
		}
	}
	if _, ok := l.used[nonce]; ok {
		return false, nil
	}
	l.used[nonce] = expires
	return true, nil
}

// Done implements Ledger.
func (l *MemoryLedger) Done(context.Context, string, time.Time) error { return nil }

// Release implements Ledger.
func (l *MemoryLedger) Release(_ context.Context, nonce string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.used, nonce)
	return nil
}
