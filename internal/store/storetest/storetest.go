// Package storetest opens fresh databases for tests: a SQLite file in a temp
// folder always, and a PostgreSQL schema of its own when COHORT_TEST_POSTGRES
// holds a DSN. Each database is removed when its test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/cohortcrm/cohort/internal/store"
)

// PostgresDSN returns the PostgreSQL DSN for tests, or "" when none is set. In
// CI (CI set) a missing DSN fails the test instead of skipping.
func PostgresDSN(t testing.TB) string {
	dsn := os.Getenv("COHORT_TEST_POSTGRES")
	if dsn == "" && os.Getenv("CI") != "" {
		t.Fatal("COHORT_TEST_POSTGRES is not set; CI must run the PostgreSQL suite")
	}
	return dsn
}

// Engines runs f once per configured engine as a subtest named after it, each
// with a fresh, migrated database.
func Engines(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { f(t, Open(t, store.SQLite)) })
	t.Run("postgres", func(t *testing.T) {
		if PostgresDSN(t) == "" {
			t.Skip("COHORT_TEST_POSTGRES not set: PostgreSQL suite skipped")
		}
		f(t, Open(t, store.Postgres))
	})
}

// Open returns a fresh, migrated database of engine e.
func Open(t testing.TB, e store.Engine) *store.DB {
	t.Helper()
	ctx := context.Background()
	var dsn string
	switch e {
	case store.SQLite:
		dsn = filepath.Join(t.TempDir(), "cohort.db")
	case store.Postgres:
		dsn = FreshSchema(t)
	}
	db, err := store.Open(ctx, dsn, store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return db
}

// FreshSchema creates an empty PostgreSQL schema, returns a DSN whose
// search_path points at it, and drops it when the test ends.
func FreshSchema(t testing.TB) string {
	t.Helper()
	base := PostgresDSN(t)
	if base == "" {
		t.Skip("COHORT_TEST_POSTGRES not set")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "cohort_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
