package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// sumOf runs a statement through QueryPrepared and returns its one value.
func sumOf(t testing.TB, ctx context.Context, q store.Queryer, sql string, args ...any) int64 {
	t.Helper()
	rows, err := store.QueryPrepared(ctx, q, sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReadStmts: the read pool keeps a statement prepared from its second
// run, answers each run with its own arguments (two tenants share a
// text), drops the least recently used past the bound (closing it while
// a reader still reads its rows is safe), survives a schema change, and
// runs nothing prepared after Close. A transaction and PostgreSQL run the
// statement as it is.
func TestReadStmts(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "r.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.WriteTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "CREATE TABLE t (tenant_id INTEGER NOT NULL, v INTEGER NOT NULL)"); err != nil {
			return err
		}
		for i := 1; i <= 100; i++ {
			if _, err := tx.ExecContext(ctx, "INSERT INTO t (tenant_id, v) VALUES (?, ?)", 1+i%2, i); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	const q = "SELECT sum(v) FROM t WHERE tenant_id = ?"
	if got := sumOf(t, ctx, db.Read(), q, 1); got != 2550 || store.ReadStmts(db) != 0 {
		t.Fatalf("first run: %d, %d kept", got, store.ReadStmts(db))
	}
	for _, w := range []struct{ tenant, sum int64 }{{2, 2500}, {1, 2550}, {2, 2500}} {
		if got := sumOf(t, ctx, db.Read(), q, w.tenant); got != w.sum {
			t.Fatalf("tenant %d: %d, want %d", w.tenant, got, w.sum)
		}
	}
	if n := store.ReadStmts(db); n != 1 {
		t.Fatalf("%d statements kept, want 1", n)
	}
	// A reader holds rows of a statement while others push it out.
	held, err := store.QueryPrepared(ctx, db.Read(), q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2*store.ReadStmtsMax; i++ {
				lim := (i*11 + g) % (store.ReadStmtsMax + 40)
				sql := fmt.Sprintf("SELECT count(*) FROM t WHERE tenant_id = ? AND v <= %d", lim)
				want := int64(0)
				for v := 1; v <= min(lim, 100); v++ {
					if 1+v%2 == 1 {
						want++
					}
				}
				for range 2 {
					if got := sumOf(t, ctx, db.Read(), sql, 1); got != want {
						t.Errorf("%s: %d, want %d", sql, got, want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := store.ReadStmts(db); n != store.ReadStmtsMax {
		t.Fatalf("%d statements kept, want the bound %d", n, store.ReadStmtsMax)
	}
	var n int64
	for held.Next() {
		if err := held.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if err := held.Close(); err != nil || n != 2550 {
		t.Fatalf("rows of an evicted statement: %d, %v", n, err)
	}
	// A new column and index: the kept statements prepare themselves again.
	for range 2 {
		sumOf(t, ctx, db.Read(), "SELECT count(*) FROM t WHERE tenant_id = ? AND v <= 7", 1)
	}
	if err := db.WriteTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, "ALTER TABLE t ADD COLUMN w INTEGER NOT NULL DEFAULT 1")
		if err == nil {
			_, err = tx.ExecContext(ctx, "CREATE INDEX t_tenant ON t (tenant_id, v)")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, ctx, db.Read(), "SELECT count(*) FROM t WHERE tenant_id = ? AND v <= 7", 1); got != 3 {
		t.Fatalf("after a schema change: %d, want 3", got)
	}
	// Inside a transaction the statement runs on the transaction.
	if err := db.WriteTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO t (tenant_id, v) VALUES (3, 5)"); err != nil {
			return err
		}
		if got := sumOf(t, ctx, tx, q, 3); got != 5 {
			return fmt.Errorf("in the transaction: %d, want 5", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if store.ReadStmts(db) != 0 {
		t.Fatalf("%d statements kept after Close", store.ReadStmts(db))
	}
	if rows, err := store.QueryPrepared(ctx, db.Read(), q, 1); err == nil {
		rows.Close()
		t.Fatal("a query after Close ran")
	}
}

// TestReadStmtsPostgres: on PostgreSQL (whose driver keeps each
// connection's statements prepared) QueryPrepared runs the statement as
// it is and keeps none.
func TestReadStmtsPostgres(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for range 3 {
			if got := sumOf(t, ctx, db.Read(), "SELECT count(*) FROM tenants WHERE id = ?", -1); got != 0 {
				t.Fatalf("count %d", got)
			}
		}
		want := 1
		if db.Engine == store.Postgres {
			want = 0
		}
		if n := store.ReadStmts(db); n != want {
			t.Fatalf("%s: %d statements kept, want %d", db.Engine, n, want)
		}
	})
}
