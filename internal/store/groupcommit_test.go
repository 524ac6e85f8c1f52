package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohortcrm/cohort/internal/store"
)

// openGC opens a SQLite database with synchronous=FULL (as in production,
// so that commits are slow enough for batches to form) and a test table.
func openGC(t *testing.T, gc store.GroupCommit) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gc.db")
	db, err := store.Open(context.Background(), path, store.Options{GroupCommit: gc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.WriteTx(context.Background(), func(tx *store.Tx) error {
		for _, q := range []string{
			"CREATE TABLE gc_rows (id INTEGER PRIMARY KEY, who TEXT NOT NULL UNIQUE)",
			"CREATE TABLE gc_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
			"INSERT INTO gc_counter (id, n) VALUES (1, 0)",
			"CREATE TABLE gc_parent (id INTEGER PRIMARY KEY)",
			"CREATE TABLE gc_child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES gc_parent (id) DEFERRABLE INITIALLY DEFERRED)",
		} {
			if _, err := tx.ExecContext(context.Background(), q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, path
}

func countRows(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Many goroutines write at once; every third request fails after writing
// (an error, or a panic): its rows and its counter increment vanish, its
// after-commit hook never runs, and its neighbours in the same batch commit.
func TestGroupCommitIsolatesFailingRequests(t *testing.T) {
	db, _ := openGC(t, store.GroupCommit{})
	ctx := context.Background()
	const workers, each = 32, 25
	var hooks sync.Map
	var kept, failed, panicked atomic.Int64
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				who := fmt.Sprintf("w%d-%d", w, i)
				mode := (w*each + i) % 6 // 0: error, 3: panic, else kept
				var err error
				var p any
				func() {
					defer func() { p = recover() }()
					err = db.WriteTx(ctx, func(tx *store.Tx) error {
						if _, err := tx.ExecContext(ctx, "INSERT INTO gc_rows (who) VALUES (?)", who); err != nil {
							return err
						}
						// Read what this request wrote, then a read-then-write counter.
						var n int
						if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM gc_rows WHERE who = ?", who).Scan(&n); err != nil || n != 1 {
							return fmt.Errorf("own row not visible: %d %v", n, err)
						}
						if err := tx.QueryRowContext(ctx, "SELECT n FROM gc_counter WHERE id = 1").Scan(&n); err != nil {
							return err
						}
						if _, err := tx.ExecContext(ctx, "UPDATE gc_counter SET n = ? WHERE id = 1", n+1); err != nil {
							return err
						}
						tx.AfterCommit(func() {
							if _, dup := hooks.LoadOrStore(who, true); dup {
								t.Errorf("hook of %s ran twice", who)
							}
						})
						switch mode {
						case 0:
							return errBoom
						case 3:
							panic("panic of " + who)
						}
						return nil
					})
				}()
				switch mode {
				case 0:
					if !errors.Is(err, errBoom) || p != nil {
						t.Errorf("%s: err %v panic %v, want boom", who, err, p)
					}
					failed.Add(1)
				case 3:
					var tp *store.TxPanic
					if e, ok := p.(error); !ok || !errors.As(e, &tp) || tp.Value != "panic of "+who {
						t.Errorf("%s: panic %v, want a TxPanic", who, p)
					}
					panicked.Add(1)
				default:
					if err != nil || p != nil {
						t.Errorf("%s: err %v panic %v", who, err, p)
					}
					kept.Add(1)
				}
				// Acknowledged means committed: visible to a new reader now.
				if mode != 0 && mode != 3 {
					if n := countRows(t, db, "SELECT count(*) FROM gc_rows WHERE who = ?", who); n != 1 {
						t.Errorf("%s acknowledged but not visible", who)
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := countRows(t, db, "SELECT count(*) FROM gc_rows"); got != int(kept.Load()) {
		t.Errorf("%d rows, want %d kept (%d failed, %d panicked)", got, kept.Load(), failed.Load(), panicked.Load())
	}
	if got := countRows(t, db, "SELECT n FROM gc_counter WHERE id = 1"); got != int(kept.Load()) {
		t.Errorf("counter %d, want %d", got, kept.Load())
	}
	n := 0
	hooks.Range(func(k, _ any) bool {
		n++
		var w, i int
		fmt.Sscanf(k.(string), "w%d-%d", &w, &i)
		if m := (w*each + i) % 6; m == 0 || m == 3 {
			t.Errorf("hook of failed request %v ran", k)
		}
		return true
	})
	if n != int(kept.Load()) {
		t.Errorf("%d hooks ran, want %d", n, kept.Load())
	}
	batches, requests := db.GroupCommitStats()
	t.Logf("%d requests in %d batches", requests, batches)
	if requests <= batches {
		t.Errorf("no batch held more than one request: %d requests in %d batches", requests, batches)
	}
}

// blockWriter occupies the writer until the returned func is called, so that
// the requests submitted meanwhile queue up and share the next batch.
func blockWriter(t *testing.T, db *store.DB) (release func(), done chan error) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	done = make(chan error, 1)
	go func() {
		done <- db.WriteTx(context.Background(), func(tx *store.Tx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() { close(gate) }, done
}

// waitQueued waits until n more requests than before are queued (the
// writer's counter cannot show queued requests, so wait a little).
func settle() { time.Sleep(50 * time.Millisecond) }

// A request whose context ends while it is still queued is answered with the
// context's error and never runs; one that the writer has taken is answered
// only after its batch commits, whatever its context does.
func TestGroupCommitCancelledWhileQueued(t *testing.T) {
	db, _ := openGC(t, store.GroupCommit{})
	release, first := blockWriter(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Bool
	got := make(chan error, 1)
	go func() {
		got <- db.WriteTx(ctx, func(tx *store.Tx) error {
			ran.Store(true)
			_, err := tx.ExecContext(ctx, "INSERT INTO gc_rows (who) VALUES ('cancelled')")
			return err
		})
	}()
	settle()
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v", err)
	}
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	// The next write goes through: the abandoned request left nothing behind.
	if err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ExecContext(context.Background(), "INSERT INTO gc_rows (who) VALUES ('after')")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if ran.Load() || countRows(t, db, "SELECT count(*) FROM gc_rows WHERE who = 'cancelled'") != 0 {
		t.Error("a request answered as cancelled ran")
	}

	// Taken, then cancelled mid-run: the request runs to its end (its
	// statements are not interrupted) and is answered after the commit.
	ctx2, cancel2 := context.WithCancel(context.Background())
	err := db.WriteTx(ctx2, func(tx *store.Tx) error {
		cancel2()
		_, err := tx.ExecContext(ctx2, "INSERT INTO gc_rows (who) VALUES ('taken')")
		return err
	})
	if err != nil {
		t.Fatalf("taken request: %v", err)
	}
	if countRows(t, db, "SELECT count(*) FROM gc_rows WHERE who = 'taken'") != 1 {
		t.Error("a taken request was acknowledged but not committed")
	}
}

// When the batch's COMMIT fails (here: a deferred foreign key checked at
// commit), every request of the batch fails and nothing of it is kept.
func TestGroupCommitFailedCommitFailsTheBatch(t *testing.T) {
	db, _ := openGC(t, store.GroupCommit{})
	release, first := blockWriter(t, db)
	const n = 6
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- db.WriteTx(context.Background(), func(tx *store.Tx) error {
				parent := 1 // exists only for the other requests
				if i == n-1 {
					parent = 999
				}
				_, err := tx.ExecContext(context.Background(), "INSERT INTO gc_child (id, parent) VALUES (?, ?)", 100+i, parent)
				if err == nil && i == 0 {
					_, err = tx.ExecContext(context.Background(), "INSERT INTO gc_parent (id) VALUES (1)")
				}
				return err
			})
		}()
	}
	settle()
	release()
	// The blocker and the n requests queued behind it share one batch
	// (MaxBatch 64): all fail.
	if err := <-first; err == nil {
		t.Error("the blocker's request succeeded in a failed batch")
	}
	failed := 0
	for range n {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if failed != n {
		t.Errorf("%d of %d requests failed, want all", failed, n)
	}
	if c := countRows(t, db, "SELECT count(*) FROM gc_child"); c != 0 {
		t.Errorf("%d rows of a failed batch kept", c)
	}
	// The writer goes on.
	if err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ExecContext(context.Background(), "INSERT INTO gc_parent (id) VALUES (2)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// Close answers every request queued before it (committed, durable after
// reopening) and refuses the ones after it.
func TestGroupCommitCloseDrains(t *testing.T) {
	db, path := openGC(t, store.GroupCommit{})
	release, first := blockWriter(t, db)
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- db.WriteTx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.ExecContext(context.Background(), "INSERT INTO gc_rows (who) VALUES (?)", fmt.Sprint("drain", i))
				return err
			})
		}()
	}
	settle()
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	settle()
	if err := db.WriteTx(context.Background(), func(tx *store.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("write after Close: %v", err)
	}
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("queued request: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if c := countRows(t, db2, "SELECT count(*) FROM gc_rows WHERE who LIKE 'drain%'"); c != n {
		t.Errorf("%d of %d drained rows on disk", c, n)
	}
}

// MaxBatch 1 turns batching off: one commit per request.
func TestGroupCommitOff(t *testing.T) {
	db, _ := openGC(t, store.GroupCommit{MaxBatch: 1})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.ExecContext(context.Background(), "INSERT INTO gc_rows (who) VALUES (?)", fmt.Sprint("off", i))
				return err
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if b, r := db.GroupCommitStats(); b != 0 || r != 0 {
		t.Errorf("stats %d/%d with batching off", b, r)
	}
	if c := countRows(t, db, "SELECT count(*) FROM gc_rows"); c != 8 {
		t.Errorf("%d rows", c)
	}
}

// A request's BeforeCommit work runs in its own savepoint: its failure rolls
// back that request alone, and its writes are kept with the request's.
func TestGroupCommitBeforeCommitPerRequest(t *testing.T) {
	db, _ := openGC(t, store.GroupCommit{})
	release, first := blockWriter(t, db)
	ctx := context.Background()
	errLate := errors.New("late")
	errs := make(chan error, 2)
	for _, who := range []string{"good", "bad"} {
		go func() {
			errs <- db.WriteTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO gc_rows (who) VALUES (?)", who); err != nil {
					return err
				}
				tx.BeforeCommit("k", func() error {
					if _, err := tx.ExecContext(ctx, "INSERT INTO gc_rows (who) VALUES (?)", who+"-before"); err != nil {
						return err
					}
					if who == "bad" {
						return errLate
					}
					return nil
				})
				return nil
			})
		}()
	}
	settle()
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	var gotLate, gotNil int
	for range 2 {
		switch err := <-errs; {
		case errors.Is(err, errLate):
			gotLate++
		case err == nil:
			gotNil++
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	if gotLate != 1 || gotNil != 1 {
		t.Errorf("%d failed late, %d succeeded", gotLate, gotNil)
	}
	if n := countRows(t, db, "SELECT count(*) FROM gc_rows WHERE who IN ('good', 'good-before')"); n != 2 {
		t.Errorf("the good request kept %d of 2 rows", n)
	}
	if n := countRows(t, db, "SELECT count(*) FROM gc_rows WHERE who LIKE 'bad%'"); n != 0 {
		t.Errorf("the bad request kept %d rows", n)
	}
	if b, r := db.GroupCommitStats(); r <= b {
		t.Errorf("no shared batch: %d requests in %d batches", r, b)
	}
}
