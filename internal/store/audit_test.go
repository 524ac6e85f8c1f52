package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestAuditChangesCompact writes entries in the compact form, reads them
// back as the list the API answers, and still reads an entry stored in the
// older list form; an entry naming a field twice keeps every change.
func TestAuditChangesCompact(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenant, user := cohort.ID(1), cohort.ID(2)
		seed(t, db, tenant, user)
		raw := func(s string) json.RawMessage { return json.RawMessage(s) }
		update := []cohort.FieldChange{
			{Field: "name", Before: raw(`"旧名"`), After: raw(`"新名"`)},
			{Field: "amount", Before: raw(`100`), After: raw(` 200 `)},
			{Field: "team", Before: nil, After: raw(`[{"role": "owner", "user_id": "7"}]`)},
		}
		twice := []cohort.FieldChange{
			{Field: "signed_at", After: raw(`"2026-01-02T00:00:00Z"`)},
			{Field: "recorded_at", After: raw(`"2026-03-01T00:00:00Z"`)},
			{Field: "paid_at", After: raw(`"2026-01-05T00:00:00Z"`)},
			{Field: "recorded_at", After: raw(`"2026-03-01T00:00:00Z"`)},
		}
		at := time.UnixMilli(5000)
		err := db.WriteTx(ctx, func(tx *store.Tx) error {
			for i, ch := range [][]cohort.FieldChange{update, twice} {
				if err := store.InsertAudit(ctx, tx, &cohort.AuditEntry{TenantID: tenant, At: at.Add(time.Duration(i) * time.Second), ActorID: user,
					Action: "update", ObjectType: cohort.ObjCustomer, ObjectID: 100, Changes: ch}); err != nil {
					return err
				}
			}
			// An entry of the older form.
			_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (tenant_id, id, at, actor_id, action, object_type, object_id, changes)
				VALUES (?, 1, 1000, ?, 'create', 'customer', 100, ?)`, int64(tenant), int64(user),
				`[{"field":"name","before":null,"after":"甲"},{"field":"city","before":null,"after":"苏州"}]`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := db.Read().QueryRowContext(ctx, `SELECT changes FROM audit_log WHERE tenant_id = ? AND at = 5000`, int64(tenant)).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		old, _ := json.Marshal(update)
		if len(stored) >= len(old)*3/4 {
			t.Errorf("compact form %d bytes (%s), the list form %d", len(stored), stored, len(old))
		}
		es, _, err := store.ListAudit(ctx, db.Read(), tenant, cohort.ListQuery{Limit: 10}, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 3 {
			t.Fatalf("%d entries", len(es))
		}
		got := func(e *cohort.AuditEntry) string { b, _ := json.Marshal(e.Changes); return string(b) }
		// Newest first: the entry naming recorded_at twice, the update, the old form.
		if want := `[{"field":"signed_at","before":null,"after":"2026-01-02T00:00:00Z"},{"field":"recorded_at","before":null,"after":"2026-03-01T00:00:00Z"},{"field":"paid_at","before":null,"after":"2026-01-05T00:00:00Z"},{"field":"recorded_at","before":null,"after":"2026-03-01T00:00:00Z"}]`; got(es[0]) != want {
			t.Errorf("twice:\n got %s\nwant %s", got(es[0]), want)
		}
		if want := `[{"field":"amount","before":100,"after":200},{"field":"name","before":"旧名","after":"新名"},{"field":"team","before":null,"after":[{"role":"owner","user_id":"7"}]}]`; got(es[1]) != want {
			t.Errorf("update:\n got %s\nwant %s", got(es[1]), want)
		}
		if want := `[{"field":"name","before":null,"after":"甲"},{"field":"city","before":null,"after":"苏州"}]`; got(es[2]) != want {
			t.Errorf("older form:\n got %s\nwant %s", got(es[2]), want)
		}
	})
}
