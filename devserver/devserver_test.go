package devserver_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // the driver the server's sqlite plugin uses

	"github.com/tasker-systems/tasker-temporal/devserver"
)

// TestDBFileIsInWALMode starts the server on a file and reads the journal mode back from it: the
// attributes must reach SQLite as pragmas, or the file stays in rollback-journal mode.
func TestDBFileIsInWALMode(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tasker.db")
	srv, err := devserver.Start(devserver.Options{Port: -1, NoUI: true, DBFile: file})
	require.NoError(t, err)
	srv.Stop()

	db, err := sql.Open("sqlite", "file:"+file)
	require.NoError(t, err)
	defer func() { require.NoError(t, db.Close()) }()
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "wal", mode)
}

// TestLowLatencyLiftsTheQueueReaderLimits guards the keys that matter most: a renamed key would
// silently fall back to the server's 20 reads/s.
func TestLowLatencyLiftsTheQueueReaderLimits(t *testing.T) {
	ll := devserver.LowLatency()
	for _, key := range []string{
		"history.transferProcessorMaxPollRPS", "history.timerProcessorMaxPollRPS",
		"history.visibilityProcessorMaxPollRPS", "history.outboundProcessorMaxPollRPS",
	} {
		require.GreaterOrEqual(t, ll[strings.ToLower(key)], 1000, key) // dynamic config keys are lower case
	}
}
