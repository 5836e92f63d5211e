package testsuite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultAdminURL is the PostgreSQL this project's tests use when TASKER_TEST_DATABASE_URL is unset:
// the server this machine kind starts (127.0.0.1:5432, trust auth).
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL is the URL of the PostgreSQL server tests create their throwaway databases on.
func AdminURL() string {
	if u := os.Getenv("TASKER_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// NewDatabase creates an empty database for one test (or one package, when called from TestMain
// through NewDatabaseURL) and drops it when the test ends. It fails the test loudly when PostgreSQL
// is not reachable: a test that needs a database never silently skips.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	dbURL, drop, err := NewDatabaseURL(context.Background())
	if err != nil {
		tb.Fatalf("testsuite: %v", err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Logf("testsuite: %v", err)
		}
	})
	return dbURL
}

// NewDatabaseURL creates an empty database with a unique name and returns its URL and a function
// that drops it.
func NewDatabaseURL(ctx context.Context) (string, func() error, error) {
	admin := AdminURL()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connect to PostgreSQL at %s (set TASKER_TEST_DATABASE_URL to another server): %w", redact(admin), err)
	}
	defer func() { _ = conn.Close(context.Background()) }()

	name := "tasker_test_" + randomSuffix()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, fmt.Errorf("parse TASKER_TEST_DATABASE_URL: %w", err)
	}
	u.Path = "/" + name
	drop := func() error { return dropDatabase(admin, name) }
	return u.String(), drop, nil
}

func dropDatabase(admin, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
