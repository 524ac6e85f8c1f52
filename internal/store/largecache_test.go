package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestLargeCache: the write connection's page cache grows for a long job
// and is set back after it; the size follows the file, within its bounds.
func TestLargeCache(t *testing.T) {
	for _, c := range []struct{ size, kib int64 }{{0, 32_000}, {1 << 30, 256 * 1024}, {20 << 30, 512 * 1024}} {
		if got := largeCacheKiB(c.size); got != c.kib {
			t.Errorf("largeCacheKiB(%d) = %d, want %d", c.size, got, c.kib)
		}
	}
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cache := func() (n int64) {
		t.Helper()
		if err := db.write.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	was := cache()
	// A small file keeps the usual size.
	restore, err := db.LargeCache(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := cache(); got != was {
		t.Fatalf("cache_size %d for an empty file, want %d", got, was)
	}
	restore()
	// Set smaller, it grows and comes back.
	if _, err := db.write.ExecContext(ctx, "PRAGMA cache_size = -2000"); err != nil {
		t.Fatal(err)
	}
	restore, err = db.LargeCache(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := cache(); got != -32_000 {
		t.Fatalf("cache_size %d during the job, want -32000", got)
	}
	restore()
	if got := cache(); got != -2000 {
		t.Fatalf("cache_size %d after the job, want -2000", got)
	}
	// A server keeps its size.
	db.KeepCacheSize = true
	restore, err = db.LargeCache(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := cache(); got != -2000 {
		t.Fatalf("cache_size %d in a server's job, want -2000", got)
	}
	restore()
}
