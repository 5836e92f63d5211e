package bridge_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/bridge"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/testsuite"
	"github.com/tasker-systems/tasker-temporal/testsuite/tasktest"
)

// TestResultsAgainstTemporalsPayloadLimit: with max_result_bytes at Temporal's limit, a job's
// report whose encoded result (results and metadata) is over that limit is answered 413 and fails
// the step permanently, while one just under it is answered 200 and completes the step: the answer
// is what Temporal accepted.
func TestResultsAgainstTemporalsPayloadLimit(t *testing.T) {
	requireService(t, "Redis", "127.0.0.1:6379")
	cases := []struct {
		name     string
		results  int // bytes of the results string
		metadata int // bytes of one metadata value
		status   int
		state    string
	}{
		{"just under the limit", bridge.TemporalPayloadLimit - 64<<10, 1 << 10, http.StatusOK, tasker.StateComplete},
		{"results at the limit plus metadata", bridge.TemporalPayloadLimit - 16, 32 << 10, http.StatusRequestEntityTooLarge, tasker.StateError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tq, jobQ := testsuite.UniqueName(t, "sidekiq"), jobQueue(t)
			tmpl := oneStep(t, tq, "")
			env := tasktest.NewEnv(t, tasktest.EnvOptions{Templates: []*template.Template{tmpl}, KeepQueues: true})
			cfg := sidekiqConfig(tq, jobQ, "ManualJob")
			cfg.Callback.MaxResultBytes = bridge.TemporalPayloadLimit
			b := startBridge(t, env.Temporal, cfg)
			id := startTask(t, env, tmpl)
			envl := envelopeOf(t, popSidekiqJob(t, jobQ))
			body := map[string]any{
				"results":  strings.Repeat("r", tc.results-2), // the JSON string's quotes make up the rest
				"metadata": map[string]string{"note": strings.Repeat("m", tc.metadata)},
			}
			status, reply := post(t, b.URL(), bridge.PathComplete, envl.Callback.Token, body)
			require.Equal(t, tc.status, status, reply.Error)
			s := stepState(t, env, id, tc.state, 1, 60*time.Second)
			if tc.state == tasker.StateError {
				assert.Equal(t, "result_too_large", reply.Code)
				assert.Contains(t, reply.Error, "over Temporal's payload limit of 2097152 bytes")
				assert.Contains(t, s.LastError, "over Temporal's payload limit")
				assert.Nil(t, s.NextAttemptAt, "permanent: no retry")
			}
		})
	}
}
