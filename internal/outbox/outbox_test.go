package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/jobs"
	"github.com/cohortcrm/cohort/internal/outbox"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// recorder is a handler that counts deliveries per message.
type recorder struct {
	mu   sync.Mutex
	got  map[cohort.ID]int
	msgs []outbox.Message
	fail int // fail this many deliveries first
}

func (r *recorder) handle(ctx context.Context, m outbox.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return errors.New("receiver down")
	}
	if r.got == nil {
		r.got = map[cohort.ID]int{}
	}
	r.got[m.ID]++
	r.msgs = append(r.msgs, m)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

func add(t *testing.T, o *outbox.Outbox, db *store.DB, payload any) cohort.ID {
	t.Helper()
	var id cohort.ID
	err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = o.Add(context.Background(), tx, 1, "test", payload)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func pending(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(),
		"SELECT count(*) FROM outbox WHERE delivered_at IS NULL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCommittedIsDeliveredRolledBackIsNot(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := outbox.New(db, outbox.Config{Log: quiet()})
		var rec recorder
		o.Handle("test", rec.handle)

		boom := errors.New("validation failed after the outbox write")
		err := db.WriteTx(ctx, func(tx *store.Tx) error {
			if _, err := o.Add(ctx, tx, 1, "test", map[string]string{"n": "rolled back"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		id := add(t, o, db, map[string]string{"n": "committed"})

		if n, err := o.DeliverOnce(ctx); err != nil || n != 1 {
			t.Fatalf("DeliverOnce = %d, %v; want 1", n, err)
		}
		if n, err := o.DeliverOnce(ctx); err != nil || n != 0 {
			t.Fatalf("second DeliverOnce = %d, %v; want 0", n, err)
		}
		if rec.count() != 1 || rec.got[id] != 1 {
			t.Fatalf("delivered %v, want message %d once", rec.got, id)
		}
		m := rec.msgs[0]
		var p map[string]string
		if err := json.Unmarshal(m.Payload, &p); err != nil || p["n"] != "committed" || m.TenantID != 1 || m.Topic != "test" || m.Attempt != 1 {
			t.Fatalf("message %+v payload %v", m, p)
		}
		var rows int
		db.Read().QueryRowContext(ctx, "SELECT count(*) FROM outbox").Scan(&rows)
		if rows != 1 {
			t.Fatalf("outbox holds %d rows, want 1 (the rolled-back one must not exist)", rows)
		}
	})
}

// TestSurvivesDeath: messages committed by a process that dies before or
// during delivery are delivered by another deliverer.
func TestSurvivesDeath(t *testing.T) {
	storetest.EnginesShared(t, 2, func(t *testing.T, dbs []*store.DB) {
		ctx := context.Background()
		clk := newClock()
		cfg := outbox.Config{Clock: clk, Log: quiet(), Lease: time.Minute}
		// The first process commits two messages and dies: one before any
		// delivery, one in the middle of it (claimed, never recorded).
		dead := outbox.New(dbs[0], cfg)
		never := add(t, dead, dbs[0], "never claimed")
		stuck := add(t, dead, dbs[0], "claimed then died")
		// Simulate the crash mid-delivery by leasing the second message by
		// hand: claimed by a process that is gone.
		if err := dbs[0].ExecForTest(ctx, fmt.Sprintf(
			"UPDATE outbox SET lease_owner = 'gone', lease_until = %[1]d, next_attempt_at = %[1]d, attempts = 1 WHERE id = %[2]d",
			clk.Now().Add(time.Minute).UnixMilli(), stuck)); err != nil {
			t.Fatal(err)
		}

		live := outbox.New(dbs[1], cfg)
		var rec recorder
		live.Handle("test", rec.handle)
		if n, err := live.DeliverOnce(ctx); err != nil || n != 1 {
			t.Fatalf("DeliverOnce = %d, %v; want only the unclaimed message", n, err)
		}
		if rec.got[never] != 1 {
			t.Fatalf("unclaimed message not delivered: %v", rec.got)
		}
		if pending(t, dbs[1]) != 1 {
			t.Fatal("the leased message should still be pending")
		}
		clk.Add(time.Minute)
		if n, err := live.DeliverOnce(ctx); err != nil || n != 1 {
			t.Fatalf("DeliverOnce after lease expiry = %d, %v; want 1", n, err)
		}
		if rec.got[stuck] != 1 || rec.msgs[1].Attempt != 2 {
			t.Fatalf("taken-over message: %v, %+v", rec.got, rec.msgs)
		}
		if pending(t, dbs[1]) != 0 {
			t.Fatal("messages still pending")
		}
	})
}

func TestRetryBackoffAndGiveUp(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		o := outbox.New(db, outbox.Config{Clock: clk, Log: quiet(), BackoffBase: time.Second, MaxAttempts: 3})
		rec := recorder{fail: 2}
		o.Handle("test", rec.handle)
		add(t, o, db, 1)
		for i, wait := range []time.Duration{time.Second, 2 * time.Second} {
			if n, _ := o.DeliverOnce(ctx); n != 1 {
				t.Fatalf("try %d: claimed %d", i+1, n)
			}
			var next int64
			var lastErr string
			db.Read().QueryRowContext(ctx, "SELECT next_attempt_at, last_error FROM outbox").Scan(&next, &lastErr)
			if want := clk.Now().Add(wait).UnixMilli(); next != want || lastErr != "receiver down" {
				t.Fatalf("after try %d: next %d (want %d), error %q", i+1, next, want, lastErr)
			}
			if n, _ := o.DeliverOnce(ctx); n != 0 {
				t.Fatal("retried before the backoff")
			}
			clk.Add(wait)
		}
		if n, _ := o.DeliverOnce(ctx); n != 1 || rec.count() != 1 {
			t.Fatalf("third try: claimed %d, delivered %d", n, rec.count())
		}

		// A message for a topic nobody handles fails after MaxAttempts.
		err := db.WriteTx(ctx, func(tx *store.Tx) error {
			_, err := o.Add(ctx, tx, 1, "nobody", nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			o.DeliverOnce(ctx)
			clk.Add(time.Hour)
		}
		var failed int
		db.Read().QueryRowContext(ctx, "SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL AND attempts = 3").Scan(&failed)
		if failed != 1 {
			t.Fatal("undeliverable message not marked failed after 3 attempts")
		}

		// Permanent errors give up at once.
		o.Handle("bad", func(ctx context.Context, m outbox.Message) error { return jobs.Permanent(errors.New("bad payload")) })
		db.WriteTx(ctx, func(tx *store.Tx) error { _, err := o.Add(ctx, tx, 1, "bad", nil); return err })
		o.DeliverOnce(ctx)
		db.Read().QueryRowContext(ctx, "SELECT count(*) FROM outbox WHERE topic = 'bad' AND failed_at IS NOT NULL AND attempts = 1").Scan(&failed)
		if failed != 1 {
			t.Fatal("permanent error did not fail the message at once")
		}
	})
}

// TestTwoDeliverers runs two deliverers on one database: every message is
// delivered exactly once.
func TestTwoDeliverers(t *testing.T) {
	storetest.EnginesShared(t, 2, func(t *testing.T, dbs []*store.DB) {
		const total = 300
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var rec recorder
		var boxes []*outbox.Outbox
		for _, db := range dbs {
			o := outbox.New(db, outbox.Config{Log: quiet(), PollInterval: 10 * time.Millisecond, Batch: 8})
			o.Handle("test", rec.handle)
			boxes = append(boxes, o)
		}
		var wg sync.WaitGroup
		for _, o := range boxes {
			wg.Add(1)
			go func() { defer wg.Done(); o.Run(ctx) }()
		}
		for b := 0; b < 10; b++ {
			err := dbs[b%2].WriteTx(ctx, func(tx *store.Tx) error {
				for i := 0; i < total/10; i++ {
					if _, err := boxes[b%2].Add(ctx, tx, cohort.ID(1+i%3), "test", i); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(15 * time.Second)
		for rec.count() < total && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		if rec.count() != total || len(rec.got) != total {
			t.Fatalf("%d deliveries of %d messages, want %d of %d", rec.count(), len(rec.got), total, total)
		}
		if pending(t, dbs[0]) != 0 {
			t.Fatal("messages still pending")
		}
	})
}
