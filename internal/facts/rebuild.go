package facts

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	cohort.ObjExpense:     {"expenses", ""},
	cohort.ObjUser:        {"users", ""},
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

// batches walks the ids of every source record of a tenant, batch by batch,
// source type by source type, in id order.
type batches struct {
	tenantID cohort.ID
	src      int   // index in Sources
	after    int64 // the last id returned of Sources[src]
}

// next returns the next batch read through q; ok is false after the last.
func (b *batches) next(ctx context.Context, q store.Queryer) (src cohort.ObjectType, ids []cohort.ID, ok bool, err error) {
	for b.src < len(Sources) {
		src = Sources[b.src]
		st := sourceTables[src]
		ids, err = store.QueryIDs(ctx, q, "SELECT id FROM "+st.table+" WHERE tenant_id = ? AND id > ?"+st.where+" ORDER BY id LIMIT ?",
			int64(b.tenantID), b.after, batch)
		if err != nil {
			return "", nil, false, fmt.Errorf("facts: %s: %w", src, err)
		}
		if len(ids) > 0 {
			b.after = int64(ids[len(ids)-1])
			return src, ids, true, nil
		}
		b.src, b.after = b.src+1, 0
	}
	return "", nil, false, nil
}

// eachBatch calls f with the ids of every source record of a tenant, batch
// by batch, in id order.
func eachBatch(ctx context.Context, q store.Queryer, tenantID cohort.ID, f func(src cohort.ObjectType, ids []cohort.ID) error) error {
	b := &batches{tenantID: tenantID}
	for {
		src, ids, ok, err := b.next(ctx, q)
		if err != nil || !ok {
			return err
		}
		if err := f(src, ids); err != nil {
			return err
		}
	}
}

// in is "(?,?,...)" for n values and the values.
func in(ids []cohort.ID) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")", args
}

// rebuildTxTime is how long one transaction of a rebuild goes on taking
// batches: long enough that commits cost little (at scale M, 4 s took a
// quarter less CPU than 1 s), short enough that the writes waiting for it
// (SQLite's busy timeout is 10 s) do not time out.
const rebuildTxTime = 4 * time.Second

// Rebuild recomputes every fact of tenant t from its records, batch by
// batch, telling progress how many source records are done. Each batch's
// projection is compared with its stored facts and only the difference is
// written (as Write does, without the rollups, which are summed again at
// the end), so a rebuild of a ledger in step writes nothing;
// the facts of records that no longer exist are removed at the end. It
// returns how many facts the ledger holds and how many rows it changed
// (removed plus added). Writes running meanwhile keep their own records'
// facts as usual; a batch compares and writes in one transaction, so the
// result is the same.
func Rebuild(ctx context.Context, db *store.DB, t *cohort.Tenant, progress func(done, total int)) (facts, changed int, err error) {
	total, err := count(ctx, db.Read(), t.ID)
	if err != nil {
		return 0, 0, err
	}
	done := 0
	p := NewProjector(ctx, db.Read(), t)
	b := &batches{tenantID: t.ID}
	for finished := false; !finished; {
		err := db.BulkTx(ctx, func(tx *store.Tx) error {
			p.Use(tx)
			for start := time.Now(); time.Since(start) < rebuildTxTime; {
				src, ids, ok, err := b.next(ctx, tx)
				if err != nil {
					return err
				}
				if !ok {
					finished = true
					break
				}
				fresh, err := p.ProjectBatch(src, ids)
				if err != nil {
					return err
				}
				stored, err := storedOf(ctx, tx, t.ID, src, ids)
				if err != nil {
					return err
				}
				removed, added := Changes(stored, fresh)
				if err := write(ctx, tx, t.ID, removed, added, false); err != nil {
					return err
				}
				facts, changed, done = facts+len(fresh), changed+len(removed)+len(added), done+len(ids)
				if progress != nil {
					progress(done, total)
				}
			}
			return nil
		})
		if err != nil {
			return 0, 0, err
		}
	}
	// Facts of records that no longer exist.
	for _, src := range Sources {
		err := db.BulkTx(ctx, func(tx *store.Tx) error {
			orphans, err := storedRows(ctx, tx, orphansOf(src), int64(t.ID), string(src))
			if err != nil {
				return err
			}
			changed += len(orphans)
			return write(ctx, tx, t.ID, orphans, nil, false)
		})
		if err != nil {
			return 0, 0, fmt.Errorf("facts: orphans of %s: %w", src, err)
		}
	}
	// The batches above left the rollups alone (adding each batch's rows
	// to them cost a third of a first rebuild); they are summed again from
	// the facts here, in one transaction. Until then a rollup may miss what
	// the rebuild changed — only facts that were wrong before it.
	if err := db.BulkTx(ctx, func(tx *store.Tx) error { return sumRollups(ctx, tx, t.ID) }); err != nil {
		return 0, 0, fmt.Errorf("facts: rollups: %w", err)
	}
	return facts, changed, nil
}

// orphansOf is the condition on facts of source type src (tenant and type
// the arguments) whose record no longer exists.
func orphansOf(src cohort.ObjectType) string {
	st := sourceTables[src]
	return `tenant_id = ? AND source_type = ? AND NOT EXISTS (SELECT 1 FROM ` + st.table + ` r WHERE r.tenant_id = facts.tenant_id
		AND r.id = facts.source_id` + strings.ReplaceAll(st.where, "kind", "r.kind") + `)`
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
		var orphans int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM facts WHERE `+orphansOf(src), int64(t.ID), string(src)).Scan(&orphans); err != nil {
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
	diffs = append(diffs, more...)
	more, err = VerifyRecords(ctx, q, t.ID, max)
	if err != nil {
		return nil, err
	}
	return append(diffs, more...), nil
}
