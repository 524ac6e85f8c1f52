package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestDecayingLoginFailures: an address's count goes down by max every
// window, so that a steady trickle below the rate never locks it, and a
// burst does.
func TestDecayingLoginFailures(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		record := func(at time.Time) bool {
			var locked bool
			err := db.WriteTx(ctx, func(tx *store.Tx) error {
				var err error
				locked, err = store.RecordDecayingLoginFailure(ctx, tx, "ip:203.0.113.7", at, 10*time.Minute, 10, time.Minute)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return locked
		}
		// One failure a minute for an hour: the count never builds up.
		for i := 0; i < 60; i++ {
			if record(t0.Add(time.Duration(i) * time.Minute)) {
				t.Fatalf("a failure a minute locked the address after %d", i+1)
			}
		}
		// Ten at once lock it, until the lockout ends.
		t1 := t0.Add(2 * time.Hour)
		var locked bool
		for i := 0; i < 10; i++ {
			locked = record(t1)
		}
		if !locked {
			t.Fatal("ten failures at once did not lock the address")
		}
		if until, _ := store.LoginLocked(ctx, db.Read(), "ip:203.0.113.7", t1.Add(30*time.Second)); until.IsZero() {
			t.Fatal("not locked within the lockout")
		}
		if until, _ := store.LoginLocked(ctx, db.Read(), "ip:203.0.113.7", t1.Add(61*time.Second)); !until.IsZero() {
			t.Fatal("still locked after the lockout")
		}
	})
}
