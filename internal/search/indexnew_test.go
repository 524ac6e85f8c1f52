package search_test

import (
	"context"
	"slices"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestIndexNew holds the batched path to what Upsert stores: the same index
// row, found by the same searches, and replaceable by a later Upsert.
func TestIndexNew(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenant := newTenant(t, db, "bulk")
		docs := func(base cohort.ID) []search.Doc {
			return []search.Doc{
				{TenantID: tenant, ObjectType: "customer", ObjectID: base + 1, OwnerID: 7, DepartmentID: 3, Title: "华东科技有限公司", Text: "上海 软件\t'quote' \\ back", UpdatedAt: t0},
				{TenantID: tenant, ObjectType: "contact", ObjectID: base + 2, Title: "Zhang Wei", Text: "13800138000 zw@acme.test", UpdatedAt: t0},
			}
		}
		one, many := docs(100), docs(200)
		index(t, db, one...)
		if err := db.BulkTx(ctx, func(tx *store.Tx) error { return search.IndexNew(ctx, tx, many) }); err != nil {
			t.Fatal(err)
		}
		stored := func(id cohort.ID) []any {
			var title, body, tsv string
			var owner, dept *int64
			col := "''"
			if db.Engine == store.Postgres {
				col = "CAST(tsv AS text)"
			}
			err := db.Read().QueryRowContext(ctx, "SELECT title, body, owner_id, department_id, "+col+" FROM search_docs WHERE tenant_id = ? AND object_id = ?",
				int64(tenant), int64(id)).Scan(&title, &body, &owner, &dept, &tsv)
			if err != nil {
				t.Fatal(err)
			}
			return []any{title, body, owner == nil, dept == nil, tsv}
		}
		for i := range one {
			a, b := stored(one[i].ObjectID), stored(many[i].ObjectID)
			if !slices.Equal(a, b) {
				t.Errorf("IndexNew stored %v, Upsert %v", b, a)
			}
		}
		for _, q := range []string{"华东科技", "软件", "zw@acme", "138001"} {
			hits := find(t, db, tenant, q, nil, store.Where{}, 10)
			if len(hits) != 2 {
				t.Errorf("%q: %d hits, want one of each path", q, len(hits))
			}
		}
		// A batched document is replaced like any other.
		d := many[0]
		d.Title = "西南物流"
		index(t, db, d)
		if hits := find(t, db, tenant, "华东科技", nil, store.Where{}, 10); len(hits) != 1 || hits[0].ObjectID != one[0].ObjectID {
			t.Errorf("after replacing: %+v", hits)
		}
		if hits := find(t, db, tenant, "西南物流", nil, store.Where{}, 10); len(hits) != 1 {
			t.Errorf("replaced document not found: %+v", hits)
		}
	})
}
