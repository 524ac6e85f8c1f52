package facts

import (
	"context"
	"fmt"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// sourceTables says where the ids of each source type are.
var sourceTables = map[cohort.ObjectType]struct{ table, where string }{
	cohort.ObjLead:        {"leads", ""},
	cohort.ObjCustomer:    {"customers", ""},
	cohort.ObjOpportunity: {"opportunities", ""},
	cohort.ObjQuote:       {"deals", " AND kind = 'quote'"},
	cohort.ObjContract:    {"deals", " AND kind = 'contract'"},
	cohort.ObjOrder:       {"deals", " AND kind = 'order'"},
	cohort.ObjFollowUp:    {"followups", ""},
	cohort.ObjTicket:      {"tickets", ""},
	cohort.ObjProject:     {"projects", ""},
	SourceNextAction:      {"next_actions", ""},
}

// batch is how many source records one transaction of a rebuild rewrites.
const batch = 500

// count returns how many source records a tenant has.
func count(ctx context.Context, q store.Queryer, tenantID cohort.ID) (int, error) {
	total := 0
	for _, src := range Sources {
		st := sourceTables[src]
		var n int
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+st.table+" WHERE tenant_id = ?"+st.where, int64(tenantID)).Scan(&n); err != nil {
			return 0, fmt.Errorf("facts: count %s: %w", src, err)
		}
		total += n
	}
	return total, nil
}

// eachBatch calls f with the ids of every source record of a tenant, batch
// by batch, in id order.
func eachBatch(ctx context.Context, q store.Queryer, tenantID cohort.ID, f func(src cohort.ObjectType, ids []cohort.ID) error) error {
	for _, src := range Sources {
		st := sourceTables[src]
		var after int64
		for {
			ids, err := store.QueryIDs(ctx, q, "SELECT id FROM "+st.table+" WHERE tenant_id = ? AND id > ?"+st.where+" ORDER BY id LIMIT ?",
				int64(tenantID), after, batch)
			if err != nil {
				return fmt.Errorf("facts: %s: %w", src, err)
			}
			if len(ids) == 0 {
				break
			}
			after = int64(ids[len(ids)-1])
			if err := f(src, ids); err != nil {
				return err
			}
		}
	}
	return nil
}

// in is "(?,?,...)" for n values and the values.
func in(ids []cohort.ID) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")", args
}

// Rebuild recomputes every fact of tenant t from its records, batch by
// batch, telling progress how many source records are done. It returns how
// many facts it wrote. Writes running meanwhile rewrite their own records'
// facts as usual; a batch deletes and re-projects its records, so the result
// is the same.
func Rebuild(ctx context.Context, db *store.DB, t *cohort.Tenant, progress func(done, total int)) (int, error) {
	total, err := count(ctx, db.Read(), t.ID)
	if err != nil {
		return 0, err
	}
	if err := db.WriteTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM facts WHERE tenant_id = ?", int64(t.ID)); err != nil {
			return err
		}
		return deleteRollups(ctx, tx, t.ID)
	}); err != nil {
		return 0, fmt.Errorf("facts: %w", err)
	}
	done, written := 0, 0
	p := NewProjector(ctx, db.Read(), t)
	err = eachBatch(ctx, db.Read(), t.ID, func(src cohort.ObjectType, ids []cohort.ID) error {
		err := db.BulkTx(ctx, func(tx *store.Tx) error {
			p.Use(tx)
			fs, err := p.ProjectBatch(src, ids)
			if err != nil {
				return err
			}
			removed, err := deleteSources(ctx, tx, t.ID, src, ids)
			if err != nil {
				return err
			}
			written += len(fs)
			return write(ctx, tx, t.ID, removed, fs)
		})
		if err != nil {
			return err
		}
		done += len(ids)
		if progress != nil {
			progress(done, total)
		}
		return nil
	})
	return written, err
}

// Verify compares a tenant's stored facts with a fresh projection of its
// records, and its rollups with the sums of its facts, and returns the
// differences (at most max lines; none when they
// agree), telling progress how many source records are done.
func Verify(ctx context.Context, db *store.DB, t *cohort.Tenant, max int, progress func(done, total int)) ([]string, error) {
	q := db.Read()
	total, err := count(ctx, q, t.ID)
	if err != nil {
		return nil, err
	}
	var diffs []string
	done := 0
	p := NewProjector(ctx, q, t)
	err = eachBatch(ctx, q, t.ID, func(src cohort.ObjectType, ids []cohort.ID) error {
		fresh, err := p.ProjectBatch(src, ids)
		if err != nil {
			return err
		}
		list, args := in(ids)
		stored, err := storedWhere(ctx, q, "tenant_id = ? AND source_type = ? AND source_id IN "+list, append([]any{int64(t.ID), string(src)}, args...)...)
		if err != nil {
			return err
		}
		if len(diffs) < max {
			diffs = append(diffs, Diff(stored, keys(fresh), max-len(diffs))...)
		}
		done += len(ids)
		if progress != nil {
			progress(done, total)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Facts of records that no longer exist.
	for _, src := range Sources {
		st := sourceTables[src]
		var orphans int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM facts f WHERE f.tenant_id = ? AND f.source_type = ? AND NOT EXISTS
			(SELECT 1 FROM `+st.table+` r WHERE r.tenant_id = f.tenant_id AND r.id = f.source_id`+strings.ReplaceAll(st.where, "kind", "r.kind")+`)`,
			int64(t.ID), string(src)).Scan(&orphans); err != nil {
			return nil, fmt.Errorf("facts: orphans of %s: %w", src, err)
		}
		if orphans > 0 {
			diffs = append(diffs, fmt.Sprintf("extra %d facts of %s records that no longer exist", orphans, src))
		}
	}
	more, err := VerifyRollups(ctx, q, t.ID, max)
	if err != nil {
		return nil, err
	}
	return append(diffs, more...), nil
}
