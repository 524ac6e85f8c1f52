package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func TestMigrationsMatchAcrossEngines(t *testing.T) {
	a, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []store.Migration) (out []string) {
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	if !slices.Equal(names(a), names(b)) {
		t.Fatalf("sqlite migrations %v differ from postgres %v", names(a), names(b))
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		n, err := db.Migrate(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("second migrate applied %d migrations, want 0", n)
		}
		if p, err := db.Pending(context.Background()); err != nil || p != 0 {
			t.Fatalf("pending = %d, %v", p, err)
		}
	})
}

func TestRebind(t *testing.T) {
	got := store.Rebind("SELECT '?' FROM t WHERE a = ? AND b = ?")
	if want := "SELECT '?' FROM t WHERE a = $1 AND b = $2"; got != want {
		t.Fatalf("Rebind = %q, want %q", got, want)
	}
}

// TestConcurrentMigrate starts two "servers" on one fresh database at once;
// both must succeed and the schema must be applied exactly once.
func TestConcurrentMigrate(t *testing.T) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			var dsn string
			if engine == store.Postgres {
				if storetest.PostgresDSN(t) == "" {
					t.Skip("COHORT_TEST_POSTGRES not set: PostgreSQL suite skipped")
				}
				dsn = storetest.FreshSchema(t)
			} else {
				dsn = t.TempDir() + "/c.db"
			}
			ctx := context.Background()
			var dbs [2]*store.DB
			for i := range dbs {
				db, err := store.Open(ctx, dsn, store.Options{Synchronous: "NORMAL"})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			errs := make(chan error, 2)
			counts := make(chan int, 2)
			for _, db := range dbs {
				go func() {
					n, err := db.Migrate(ctx, nil)
					errs <- err
					counts <- n
				}()
			}
			total := 0
			for range dbs {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
				total += <-counts
			}
			ms, _ := store.Migrations(engine)
			if total != len(ms) {
				t.Fatalf("two concurrent migrations applied %d steps in all, want %d", total, len(ms))
			}
		})
	}
}
