package facts

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestDroppedIndexesComeBack: a rebuild from empty drops the secondary
// indexes of facts but facts_source and facts_customer, keeping their definitions; whatever
// stops it, RestoreIndexes builds exactly those indexes again. Which
// rebuilds drop them: a tenant without facts whose records outnumber the
// facts of the whole table.
func TestDroppedIndexesComeBack(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		indexes := func() (names, defs []string) {
			t.Helper()
			if err := db.WriteTx(ctx, func(tx *store.Tx) error {
				var err error
				names, defs, err = droppable(ctx, tx)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return names, defs
		}
		names, defs := indexes()
		if !slices.Equal(names, []string{"facts_kind_day", "facts_user_day"}) {
			t.Fatalf("droppable indexes %v", names)
		}

		// Tenant 1 has no facts, tenant 2 has two.
		at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		two := []Fact{{Kind: "customer.created", OccurredAt: at, SourceType: "customer", SourceID: 5, RecordType: "customer", RecordID: 5, N: 1},
			{Kind: "customer.created", OccurredAt: at, SourceType: "customer", SourceID: 6, RecordType: "customer", RecordID: 6, N: 1}}
		if err := db.WriteTx(ctx, func(tx *store.Tx) error { return Insert(ctx, tx, 2, two) }); err != nil {
			t.Fatal(err)
		}
		defer func(n int) { MinSourcesToDropIndexes = n }(MinSourcesToDropIndexes)
		MinSourcesToDropIndexes = 3
		for _, c := range []struct {
			tenant  cohort.ID
			sources int
			want    bool
		}{{1, 3, true}, {1, 2, false}, {2, 100, false}} {
			if got, err := fromEmpty(ctx, db.Read(), c.tenant, c.sources); err != nil || got != c.want {
				t.Errorf("fromEmpty(tenant %d, %d sources) = %v, %v; want %v", c.tenant, c.sources, got, err, c.want)
			}
		}

		// Dropped, as a rebuild from empty begins; then stopped.
		if err := dropIndexes(ctx, db, 1); err != nil {
			t.Fatal(err)
		}
		if gone, _ := indexes(); len(gone) != 0 {
			t.Fatalf("indexes %v left after dropping", gone)
		}
		// Writes and reads by source go on meanwhile.
		if err := db.WriteTx(ctx, func(tx *store.Tx) error { return Insert(ctx, tx, 1, two[:1]) }); err != nil {
			t.Fatal(err)
		}
		if got, err := Stored(ctx, db.Read(), 1, "customer"); err != nil || len(got) != 1 {
			t.Fatalf("stored facts with the indexes dropped: %v, %v", got, err)
		}
		// The metric engine's statements by customer name facts_customer
		// on SQLite: it stays.
		if db.Engine == store.SQLite {
			var n int
			if err := db.Read().QueryRowContext(ctx, "SELECT count(*) FROM facts f INDEXED BY facts_customer WHERE f.tenant_id = 1 AND f.customer_id = 5").Scan(&n); err != nil {
				t.Fatalf("facts_customer with the indexes dropped: %v", err)
			}
		}
		// The next start (or rebuild) builds them again, once.
		for range 2 {
			if err := RestoreIndexes(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		back, backDefs := indexes()
		if !slices.Equal(back, names) || !slices.Equal(backDefs, defs) {
			t.Fatalf("indexes built again:\n%v\nwant\n%v", backDefs, defs)
		}
		var left int
		if err := db.Read().QueryRowContext(ctx, "SELECT count(*) FROM facts_dropped_indexes").Scan(&left); err != nil || left != 0 {
			t.Fatalf("%d definitions left: %v", left, err)
		}
	})
}
