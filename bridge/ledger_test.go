package bridge_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal/bridge"
	"github.com/tasker-systems/tasker-temporal/testsuite"
)

func TestLedgers(t *testing.T) {
	requireService(t, "Redis", "127.0.0.1:6379")
	rl, err := bridge.NewRedisLedger(redisURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rl.Close() })
	for name, l := range map[string]bridge.Ledger{"memory": bridge.NewMemoryLedger(), "redis": rl} {
		t.Run(name, func(t *testing.T) {
			ctx, nonce, exp := context.Background(), testsuite.UniqueName(t, "nonce"), time.Now().Add(time.Minute)
			steps := []struct {
				op   string
				want bool
			}{
				{"claim", true}, {"claim", false}, // a second claim while the first is applied fails
				{"release", true}, {"claim", true}, // released (Temporal was down): the job may report again
				{"done", true}, {"claim", false}, // used for good
			}
			for i, s := range steps {
				switch s.op {
				case "claim":
					ok, err := l.Claim(ctx, nonce, exp)
					require.NoError(t, err)
					assert.Equal(t, s.want, ok, "step %d", i)
				case "release":
					require.NoError(t, l.Release(ctx, nonce))
				case "done":
					require.NoError(t, l.Done(ctx, nonce, exp))
				}
			}
		})
	}
	_, err = bridge.NewRedisLedger("not a url")
	assert.ErrorContains(t, err, `ledger redis "not a url"`)
}
