package testsuite_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal/testsuite"
)

func TestNewDatabaseIsEmptyAndDroppedAfter(t *testing.T) {
	var dbURL string
	t.Run("create", func(t *testing.T) {
		dbURL = testsuite.NewDatabase(t)
		conn, err := pgx.Connect(context.Background(), dbURL)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		var tables int
		require.NoError(t, conn.QueryRow(context.Background(),
			"SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&tables))
		require.Zero(t, tables)
	})
	_, err := pgx.Connect(context.Background(), dbURL)
	require.Error(t, err, "the database must be dropped when its test ends")
}
