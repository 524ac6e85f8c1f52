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
