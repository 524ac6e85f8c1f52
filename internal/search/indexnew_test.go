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
		stored := func(id cohort.ID) []any { return storedDoc(t, db, tenant, id) }
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

// storedDoc is the index row of a record: title, body, whether owner and
// department are null, and (PostgreSQL) the tsvector.
func storedDoc(t *testing.T, db *store.DB, tenant, id cohort.ID) []any {
	t.Helper()
	var title, body, tsv string
	var owner, dept *int64
	col := "''"
	if db.Engine == store.Postgres {
		col = "CAST(tsv AS text)"
	}
	err := db.Read().QueryRowContext(context.Background(), "SELECT title, body, owner_id, department_id, "+col+" FROM search_docs WHERE tenant_id = ? AND object_id = ?",
		int64(tenant), int64(id)).Scan(&title, &body, &owner, &dept, &tsv)
	if err != nil {
		t.Fatal(err)
	}
	return []any{title, body, owner == nil, dept == nil, tsv}
}

// TestUpsertPrepared holds a document prepared before its transaction to
// what Upsert stores, and a preparation whose text went stale (or made for
// the other engine) to the record's current text, never the stale one.
func TestUpsertPrepared(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenant := newTenant(t, db, "prepared")
		upsert := func(p search.Prepared) {
			t.Helper()
			if err := db.WriteTx(ctx, func(tx *store.Tx) error { return search.UpsertPrepared(ctx, tx, p) }); err != nil {
				t.Fatal(err)
			}
		}
		doc := func(id cohort.ID, title string) search.Doc {
			return search.Doc{TenantID: tenant, ObjectType: "customer", ObjectID: id, OwnerID: 7, Title: title, Text: "上海 软件 13800138000", UpdatedAt: t0}
		}
		// Prepared before the id is known, as a create does.
		pre := search.Prepare(db.Engine, doc(0, "华东科技有限公司"))
		upsert(pre.For(doc(1, "华东科技有限公司")))
		index(t, db, doc(2, "华东科技有限公司"))
		if a, b := storedDoc(t, db, tenant, 1), storedDoc(t, db, tenant, 2); !slices.Equal(a, b) {
			t.Errorf("prepared stored %v, Upsert %v", a, b)
		}
		// The record's name changed between Prepare and the write.
		upsert(pre.For(doc(3, "西南物流集团")))
		other := store.Postgres
		if db.Engine == store.Postgres {
			other = store.SQLite
		}
		wrong := search.Prepare(other, doc(0, "北方重工"))
		upsert(wrong.For(doc(4, "北方重工")))
		var nilPre *search.Prepared
		upsert(nilPre.For(doc(5, "南方航运")))
		for q, want := range map[string][]cohort.ID{"华东科技": {1, 2}, "西南物流": {3}, "北方重工": {4}, "南方航运": {5}, "138001": {1, 2, 3, 4, 5}} {
			var got []cohort.ID
			for _, h := range find(t, db, tenant, q, nil, store.Where{}, 10) {
				got = append(got, h.ObjectID)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%q found %v, want %v", q, got, want)
			}
		}
		// An edit that keeps the text, then one that changes it.
		upsert(search.Prepared{Doc: doc(3, "西南物流集团")})
		upsert(search.Prepared{Doc: doc(3, "东北粮油")})
		if hits := find(t, db, tenant, "西南物流", nil, store.Where{}, 10); len(hits) != 0 {
			t.Errorf("old name still found: %+v", hits)
		}
		if hits := find(t, db, tenant, "东北粮油", nil, store.Where{}, 10); len(hits) != 1 || hits[0].ObjectID != 3 {
			t.Errorf("new name: %+v", hits)
		}
	})
}
