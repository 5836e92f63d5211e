package migrations_test

import (
	"context"
	"fmt"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tasker-systems/tasker-temporal/migrations"
)

// A worker prepares its database on start-up. In a database a Rails app created, Ensure changes
// nothing and says so; otherwise it creates the tasker_* schema with Tasker's SQL functions and
// view (InstallFunctions re-applies their current definitions).
func ExampleEnsure() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://postgres@127.0.0.1:5432/myapp")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	out, err := migrations.Ensure(ctx, pool, migrations.Options{InstallFunctions: true})
	if err != nil {
		log.Fatal(err)
	}
	if out.RailsSchemaFound {
		fmt.Println("Rails schema found; no DDL issued")
		return
	}
	fmt.Println("applied:", out.Applied)
}
