package api_test

import (
	"context"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestChangedFactWrittenOverItsRow checks that a fact a write changes in
// place (a stage entry closed by the next move gains its duration) keeps
// its stored row: the row is updated, not deleted and inserted again, and
// the ledger still equals a rebuild.
func TestChangedFactWrittenOverItsRow(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		ctx := context.Background()
		var c cohort.Customer
		o.admin.must(201, "POST", "/api/v1/customers", map[string]any{"name": "原位改写有限公司", "owner_id": o.aliceU.ID}, &c)
		var x cohort.Opportunity
		o.admin.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "原位商机", "amount": 90000}, &x)
		type entry struct {
			id     int64
			closed bool // ref_at set: the entry was left
		}
		entries := func() map[int64]entry { // by occurred_at
			rows, err := db.Read().QueryContext(ctx, `SELECT id, occurred_at, ref_at IS NOT NULL FROM facts WHERE tenant_id = ? AND source_type = 'opportunity'
				AND source_id = ? AND kind = ?`, int64(o.tenant.ID), int64(x.ID), facts.KindStageEntered)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[int64]entry{}
			for rows.Next() {
				var e entry
				var at int64
				if err := rows.Scan(&e.id, &at, &e.closed); err != nil {
					t.Fatal(err)
				}
				out[at] = e
			}
			return out
		}
		before := entries()
		if len(before) != 1 {
			t.Fatalf("stage entries before the move: %v", before)
		}
		o.admin.must(200, "POST", "/api/v1/opportunities/"+id(x.ID)+"/stage", map[string]any{"stage": "quote"}, nil)
		after := entries()
		if len(after) != 2 {
			t.Fatalf("stage entries after the move: %v", after)
		}
		for at, e := range before {
			if after[at].id != e.id {
				t.Errorf("the closed entry's fact was written as a new row (id %d, was %d)", after[at].id, e.id)
			}
			if e.closed || !after[at].closed {
				t.Errorf("the closed entry's fact: %+v, was %+v", after[at], e)
			}
		}
		d, err := facts.Verify(ctx, db, o.tenant, 10, nil)
		if err != nil || len(d) > 0 {
			t.Fatalf("kept facts differ from a rebuild: %v %v", err, d)
		}
		if d, err := facts.VerifyRollups(ctx, db.Read(), o.tenant.ID, 10); err != nil || len(d) > 0 {
			t.Fatalf("rollups differ from the facts: %v %v", err, d)
		}
	})
}
