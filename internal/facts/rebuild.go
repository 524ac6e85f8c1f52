package facts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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

// rebuildPause is the gap a rebuild leaves between its transactions on
// SQLite for other processes' writes.
const rebuildPause = 120 * time.Millisecond

// Step is a step of a rebuild, as its progress names it: what the
// progress bars of `cohort facts rebuild` and `cohort demo` print.
type Step string

// The steps of a rebuild, in order. StepIndexes and StepAnalyze come only
// in a rebuild from empty (see Rebuild).
const (
	StepProject Step = "projecting the records" // done of total source records
	StepOrphans Step = "removing orphans"       // source types
	StepIndexes Step = "building indexes"       // indexes of facts dropped at the start
	StepAnalyze Step = "analyzing"              // ANALYZE facts, one statement
	StepRollups Step = "summing rollups"        // rollup tables, facts_stage_monthly and facts_later_monthly the last
)

// The steps of a verify, in order.
const (
	StepCompare       Step = "comparing with the records" // done of total source records
	StepFindOrphans   Step = "looking for orphans"        // source types
	StepCheckRollups  Step = "checking rollups"           // one statement
	StepCheckCounting Step = "checking record counts"     // one statement
)

// Progress is told which step a rebuild is at and how much of it is done:
// with done 0 as the step begins (so that a step of one long statement
// shows while it runs), then after each part.
type Progress func(step Step, done, total int)

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
//
// A tenant of at least MinSourcesToDropIndexes records without facts whose
// records outnumber the facts of every tenant (a first rebuild, the demo, a
// rebuild after the facts were deleted) is
// written with the secondary indexes of facts dropped but facts_source,
// which the comparisons read, and the indexes are built again at the end
// (dropIndexes): sorting each index once costs a fraction of inserting
// every row into it. Meanwhile the metric engine reads facts without them
// (slower, the same answers) and writes keep their facts as usual.
//
// progress, when not nil, is told each step as it begins (done 0) and
// after each part of it (Step).
func Rebuild(ctx context.Context, db *store.DB, t *cohort.Tenant, progress Progress) (facts, changed int, err error) {
	if progress == nil {
		progress = func(Step, int, int) {}
	}
	if err := RestoreIndexes(ctx, db); err != nil {
		return 0, 0, err
	}
	restore, err := db.LargeCache(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer restore()
	total, err := count(ctx, db.Read(), t.ID)
	if err != nil {
		return 0, 0, err
	}
	fresh, err := fromEmpty(ctx, db.Read(), t.ID, total)
	if err != nil {
		return 0, 0, err
	}
	if fresh {
		if err := dropIndexes(ctx, db, t.ID); err != nil {
			return 0, 0, err
		}
		// A rebuild that fails or is cancelled (one run by the server
		// for a new time zone, say) builds them again before it returns,
		// whatever its context says; a process that dies leaves them to
		// the next start.
		defer func() {
			if err != nil {
				if rerr := RestoreIndexes(context.WithoutCancel(ctx), db); rerr != nil {
					err = errors.Join(err, rerr)
				}
			}
		}()
	}
	done := 0
	progress(StepProject, 0, total)
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
				stored, err := storedRange(ctx, tx, t.ID, src, ids)
				if err != nil {
					return err
				}
				removed, added := Changes(stored, fresh)
				if err := write(ctx, tx, t.ID, removed, added, false); err != nil {
					return err
				}
				facts, changed, done = facts+len(fresh), changed+len(removed)+len(added), done+len(ids)
				progress(StepProject, done, total)
			}
			return nil
		})
		if err != nil {
			return 0, 0, err
		}
		if !finished && db.Engine != store.Postgres {
			// Let the writes of other processes in: SQLite's lock is not
			// fair, and a server's request waiting in its busy handler
			// (which polls every 100 ms once it has waited a while) would
			// otherwise find the next transaction already begun, and time
			// out after 10 s behind a rebuild run by `cohort facts
			// rebuild` or `cohort demo` (seen at scale L: a login answered
			// 503). About 3 % of a rebuild's time.
			time.Sleep(rebuildPause)
		}
	}
	// Facts of records that no longer exist.
	progress(StepOrphans, 0, len(Sources))
	for i, src := range Sources {
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
		progress(StepOrphans, i+1, len(Sources))
	}
	if fresh {
		if err := restoreIndexes(ctx, db, func(done, total int) { progress(StepIndexes, done, total) }); err != nil {
			return 0, 0, err
		}
		// The planner's statistics of facts were of an empty ledger (and
		// of no index just built). On SQLite an approximate analysis
		// (analysis_limit) reads a sample of each index, not all of it.
		progress(StepAnalyze, 0, 1)
		if err := db.BulkTx(ctx, func(tx *store.Tx) error {
			if db.Engine != store.Postgres {
				if _, err := tx.ExecContext(ctx, "PRAGMA analysis_limit = 1000"); err != nil {
					return err
				}
				defer tx.ExecContext(ctx, "PRAGMA analysis_limit = 0")
			}
			_, err := tx.ExecContext(ctx, "ANALYZE facts")
			return err
		}); err != nil {
			return 0, 0, fmt.Errorf("facts: analyze: %w", err)
		}
		progress(StepAnalyze, 1, 1)
	}
	// The batches above left the rollups alone (adding each batch's rows
	// to them cost a third of a first rebuild); they are summed again from
	// the facts here, in one transaction. Until then a rollup may miss what
	// the rebuild changed — only facts that were wrong before it.
	progress(StepRollups, 0, len(RollupTables)+1)
	if err := db.BulkTx(ctx, func(tx *store.Tx) error {
		return sumRollups(ctx, tx, t.ID, func(done int) { progress(StepRollups, done, len(RollupTables)+1) })
	}); err != nil {
		return 0, 0, fmt.Errorf("facts: rollups: %w", err)
	}
	return facts, changed, nil
}

// MinSourcesToDropIndexes is the fewest source records for which a rebuild
// from empty drops the indexes of facts: at scale S (54 k sources) building
// them again cost as much CPU as keeping them and more wall time (three more
// commits), at scale M (864 k) a quarter less CPU (docs/BENCHMARKS.md, "A
// rebuild from empty builds the indexes at its end"). Tests lower it to
// take the path on small tenants.
var MinSourcesToDropIndexes = 100_000

// storedRange returns the stored facts of a batch of source records of one
// type, ids ascending: read as one range of facts_source (a short
// statement, read in order, rather than a list of 500 ids) and kept to the
// batch's own records — a record in the range but not in the batch (one
// gone, left to the removal of orphans, or one a concurrent write made
// after the batch's ids were read, on PostgreSQL) is not the batch's to
// compare.
func storedRange(ctx context.Context, q store.Queryer, tenantID cohort.ID, src cohort.ObjectType, ids []cohort.ID) ([]StoredFact, error) {
	rows, err := storedRows(ctx, q, "tenant_id = ? AND source_type = ? AND source_id BETWEEN ? AND ?",
		int64(tenantID), string(src), int64(ids[0]), int64(ids[len(ids)-1]))
	if err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, f := range rows {
		if _, ok := slices.BinarySearch(ids, f.SourceID); ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// fromEmpty says whether a rebuild of a tenant with sources source records
// should write with the indexes dropped: the tenant is large enough, has no
// facts, and the table holds fewer facts (of other tenants) than the
// rebuild will write — at least one per source record — so that building
// the indexes again costs less than inserting the rebuild's rows into them.
func fromEmpty(ctx context.Context, q store.Queryer, tenantID cohort.ID, sources int) (bool, error) {
	if sources < MinSourcesToDropIndexes {
		return false, nil
	}
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM facts WHERE tenant_id = ? LIMIT 1", int64(tenantID)).Scan(&one)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	var others int
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM facts LIMIT ?) f", sources).Scan(&others); err != nil {
		return false, fmt.Errorf("facts: %w", err)
	}
	return others < sources, nil
}

// droppable lists the name and definition of every index of facts a
// rebuild from empty drops: all but the primary key, unique indexes,
// facts_source (by which writes and the rebuild read a record's stored
// facts) and facts_customer (which the metric engine's statements filtered
// by customers name on SQLite, INDEXED BY: without it they would fail).
func droppable(ctx context.Context, tx *store.Tx) (names, defs []string, err error) {
	q := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'facts' AND sql LIKE 'CREATE INDEX %' AND name NOT IN ('facts_source', 'facts_customer') ORDER BY name`
	if tx.DB().Engine == store.Postgres {
		q = `SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			WHERE i.indrelid = 'facts'::regclass AND NOT i.indisprimary AND NOT i.indisunique AND c.relname NOT IN ('facts_source', 'facts_customer') ORDER BY c.relname`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("facts: indexes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	return names, defs, rows.Err()
}

// dropIndexes drops the droppable indexes of facts for a rebuild of a
// tenant from empty, keeping their definitions in facts_dropped_indexes in
// the same transaction: whatever stops the rebuild, the next rebuild or
// start of the server builds them again (RestoreIndexes).
func dropIndexes(ctx context.Context, db *store.DB, tenantID cohort.ID) error {
	return db.BulkTx(ctx, func(tx *store.Tx) error {
		if err := lockIndexes(ctx, tx); err != nil {
			return err
		}
		names, defs, err := droppable(ctx, tx)
		if err != nil {
			return err
		}
		for i, name := range names {
			if _, err := tx.ExecContext(ctx, "INSERT INTO facts_dropped_indexes (tenant_id, name, definition) VALUES (?, ?, ?)",
				int64(tenantID), name, defs[i]); err != nil {
				return fmt.Errorf("facts: %w", err)
			}
			if _, err := tx.ExecContext(ctx, "DROP INDEX IF EXISTS "+name); err != nil {
				return fmt.Errorf("facts: drop index %s: %w", name, err)
			}
		}
		return nil
	})
}

// RestoreIndexes builds the indexes of facts that a rebuild from empty
// dropped (see Rebuild), one transaction each: at the end of that rebuild,
// or at the next rebuild or start when it stopped half way. While one is
// built, writes of facts wait for it.
func RestoreIndexes(ctx context.Context, db *store.DB) error {
	return restoreIndexes(ctx, db, nil)
}

// restoreIndexes is RestoreIndexes telling progress, when not nil, how many
// of the indexes it found dropped are built (0 of them first).
func restoreIndexes(ctx context.Context, db *store.DB, progress func(done, total int)) error {
	total := 0
	if progress != nil {
		if err := db.Read().QueryRowContext(ctx, "SELECT count(*) FROM facts_dropped_indexes").Scan(&total); err != nil {
			return fmt.Errorf("facts: dropped indexes: %w", err)
		}
		progress(0, total)
	}
	for done := 1; ; done++ {
		var name, def string
		err := db.Read().QueryRowContext(ctx, "SELECT name, definition FROM facts_dropped_indexes ORDER BY name LIMIT 1").Scan(&name, &def)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("facts: dropped indexes: %w", err)
		}
		err = db.BulkTx(ctx, func(tx *store.Tx) error {
			// Another process may have built it meanwhile.
			if err := lockIndexes(ctx, tx); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM facts_dropped_indexes WHERE name = ?", name).Scan(&n); err != nil || n == 0 {
				return err
			}
			if tx.DB().Engine == store.Postgres {
				// Sort in memory rather than in temporary files.
				if _, err := tx.ExecContext(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, strings.Replace(def, "CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "DELETE FROM facts_dropped_indexes WHERE name = ?", name)
			return err
		})
		if err != nil {
			return fmt.Errorf("facts: build index %s: %w", name, err)
		}
		if progress != nil {
			// Another process may have built some meanwhile.
			progress(min(done, total), total)
		}
	}
}

// lockIndexes serialises dropping and building the indexes of facts
// between processes for the rest of tx: on PostgreSQL two servers or
// commands may do either at once (two CREATE INDEX of one name collide),
// on SQLite the single writer already does.
func lockIndexes(ctx context.Context, tx *store.Tx) error {
	if tx.DB().Engine != store.Postgres {
		return nil
	}
	// The key is the ledger's own: 'facts' as a number.
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(8020501049)"); err != nil {
		return fmt.Errorf("facts: lock indexes: %w", err)
	}
	return nil
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
// agree), telling progress each step (StepCompare … StepCheckCounting).
func Verify(ctx context.Context, db *store.DB, t *cohort.Tenant, max int, progress Progress) ([]string, error) {
	if progress == nil {
		progress = func(Step, int, int) {}
	}
	q := db.Read()
	total, err := count(ctx, q, t.ID)
	if err != nil {
		return nil, err
	}
	var diffs []string
	done := 0
	progress(StepCompare, 0, total)
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
		progress(StepCompare, done, total)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Facts of records that no longer exist.
	progress(StepFindOrphans, 0, len(Sources))
	for i, src := range Sources {
		var orphans int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM facts WHERE `+orphansOf(src), int64(t.ID), string(src)).Scan(&orphans); err != nil {
			return nil, fmt.Errorf("facts: orphans of %s: %w", src, err)
		}
		if orphans > 0 {
			diffs = append(diffs, fmt.Sprintf("extra %d facts of %s records that no longer exist", orphans, src))
		}
		progress(StepFindOrphans, i+1, len(Sources))
	}
	progress(StepCheckRollups, 0, 1)
	more, err := VerifyRollups(ctx, q, t.ID, max)
	if err != nil {
		return nil, err
	}
	progress(StepCheckRollups, 1, 1)
	diffs = append(diffs, more...)
	progress(StepCheckCounting, 0, 1)
	more, err = VerifyRecords(ctx, q, t.ID, max)
	if err != nil {
		return nil, err
	}
	progress(StepCheckCounting, 1, 1)
	return append(diffs, more...), nil
}
