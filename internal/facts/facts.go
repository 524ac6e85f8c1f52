// Package facts keeps the fact ledger (docs/FACTS.md): one row per
// measurable event per credited person and business role, projected from the
// records. A write rewrites the facts of the records it touched, in its own
// transaction (Rewrite); Rebuild recomputes every fact of a tenant and Verify
// compares the stored facts with a fresh projection.
package facts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Fact is one row of the ledger.
type Fact struct {
	Kind         string
	OccurredAt   time.Time
	Day          int
	SourceType   string
	SourceID     cohort.ID
	RecordType   string
	RecordID     cohort.ID
	CustomerID   cohort.ID
	UserID       cohort.ID
	Role         string
	ShareBP      int
	DepartmentID cohort.ID
	Amount       int64
	Currency     string
	DurationS    int64
	N            int
	ProductID    cohort.ID
	ProcessID    cohort.ID
	Stage        string
	Attr         string
	RefAt        *time.Time
	// Rec is 1 on the one fact of each record, kind and credit role
	// (owner and uncredited together) that counts the record, RecUser on
	// the one fact of each record, kind, role and person: their sums are
	// numbers of records, in all and per person, where each record has one
	// event of the kind (RecordKinds; docs/FACTS.md, "Counts of records").
	Rec, RecUser int
	// SinceStage and SinceAny are, on a stage entry's facts, the day of
	// the latest earlier entry of the same opportunity into the same stage
	// (SinceStage) or into any stage (SinceAny) that has a fact in the same
	// credit role (owner and uncredited together), 0 when there is none;
	// 0 on every other fact. An entry is the first of its opportunity in a
	// period starting on day d when its Since is before d, so the monthly
	// rollup of stage entries (facts_stage_monthly) counts distinct
	// opportunities (docs/FACTS.md, "Stage entries").
	SinceStage, SinceAny int
	// LaterDay is, on the facts of a kind in LaterKinds (a ticket's
	// opening), the day of the earliest fact of the later kind (its
	// resolution) of the same source at or after the fact's time, 0 when
	// there is none; 0 on every other fact. facts_later_monthly sums rec
	// by its month, so the engine counts the tickets opened in a period
	// and resolved by its end from a rollup (docs/FACTS.md, "Later
	// facts").
	LaterDay int
}

// Key is the fact's identity for comparisons: every column but the id.
func (f Fact) Key() string {
	ref := int64(0)
	if f.RefAt != nil {
		ref = f.RefAt.UnixMilli()
	}
	return fmt.Sprintf("%s|%d|%d|%s|%d|%s|%d|%d|%d|%s|%d|%d|%d|%s|%d|%d|%d|%d|%s|%s|%d|%d|%d|%d|%d|%d", f.Kind, f.OccurredAt.UnixMilli(), f.Day,
		f.SourceType, f.SourceID, f.RecordType, f.RecordID, f.CustomerID, f.UserID, f.Role, f.ShareBP, f.DepartmentID, f.Amount, f.Currency,
		f.DurationS, f.N, f.ProductID, f.ProcessID, f.Stage, f.Attr, ref, f.Rec, f.RecUser, f.SinceStage, f.SinceAny, f.LaterDay)
}

// ident is the fact's identity as a comparable value, for Changes (Key
// formats the same identity as text).
type ident struct {
	Fact
	at, ref int64
}

func (f *Fact) ident() ident {
	id := ident{Fact: *f, at: f.OccurredAt.UnixMilli()}
	if f.RefAt != nil {
		id.ref = f.RefAt.UnixMilli()
	}
	id.OccurredAt, id.RefAt = time.Time{}, nil
	return id
}

// Sources are the record types whose projection makes facts. A quote,
// contract or order is its own source type.
var Sources = []cohort.ObjectType{cohort.ObjLead, cohort.ObjCustomer, cohort.ObjOpportunity, cohort.ObjQuote, cohort.ObjContract,
	cohort.ObjOrder, cohort.ObjFollowUp, cohort.ObjTicket, cohort.ObjProject, SourceNextAction, cohort.ObjExpense, cohort.ObjUser}

// IsSource reports whether records of obj make facts.
func IsSource(obj cohort.ObjectType) bool { return slices.Contains(Sources, obj) }

var columns = []string{"tenant_id", "id", "kind", "occurred_at", "day", "source_type", "source_id", "record_type", "record_id", "customer_id",
	"user_id", "role", "share_bp", "department_id", "amount", "currency", "duration_s", "n", "product_id", "process_id", "stage", "attr", "ref_at", "rec", "rec_user",
	"since_stage", "since_any", "later_day"}

func nullID(id cohort.ID) any {
	if id == 0 {
		return nil
	}
	return int64(id)
}

func (f *Fact) row(tenantID cohort.ID, id int64) []any {
	var ref any
	if f.RefAt != nil {
		ref = f.RefAt.UnixMilli()
	}
	return []any{int64(tenantID), id, f.Kind, f.OccurredAt.UnixMilli(), f.Day, f.SourceType, int64(f.SourceID), f.RecordType, int64(f.RecordID),
		nullID(f.CustomerID), nullID(f.UserID), f.Role, f.ShareBP, nullID(f.DepartmentID), f.Amount, f.Currency, f.DurationS, f.N,
		nullID(f.ProductID), nullID(f.ProcessID), f.Stage, f.Attr, ref, f.Rec, f.RecUser, f.SinceStage, f.SinceAny, f.LaterDay}
}

// Source names one source record.
type Source struct {
	Type cohort.ObjectType
	ID   cohort.ID
	// New says the record was made in this transaction: it has no facts to
	// delete yet.
	New bool
	// Made, when set, projects the record from what the writer holds in
	// memory instead of reading it back (a record just made, whose every
	// part the writer knows).
	Made func(p *Projector) ([]Fact, error)
	// Moved, when set, is the only change the transaction made to an open
	// opportunity: a move to another stage. Only the facts the move can
	// change are read and projected (see MovedStage).
	Moved *StageMove
}

// Rewrite replaces the facts of one source record with its projection, in
// tx. A record that no longer exists leaves no facts.
func Rewrite(ctx context.Context, tx *store.Tx, t *cohort.Tenant, source cohort.ObjectType, id cohort.ID) error {
	return RewriteMany(ctx, tx, t, []Source{{Type: source, ID: id}}, nil)
}

// RewriteMany brings the facts of the source records in line with their
// projection, in tx: one projector (people's organisation histories read
// once), one read of the stored facts per source type, and a Write of only
// the rows that differ. A source marked New has no stored facts to read.
func RewriteMany(ctx context.Context, tx *store.Tx, t *cohort.Tenant, sources []Source, orgs *OrgCache) error {
	p := NewProjector(ctx, tx, t).WithOrgCache(orgs)
	var fresh []Fact
	var stored []StoredFact
	byType := map[cohort.ObjectType][]cohort.ID{}
	var types []cohort.ObjectType
	for _, s := range sources {
		var more []Fact
		var err error
		if s.Moved != nil && !s.New && s.Made == nil && s.Type == cohort.ObjOpportunity {
			var old []StoredFact
			if more, old, err = p.movedStage(s.ID, s.Moved); err != nil {
				return err
			}
			fresh, stored = append(fresh, more...), append(stored, old...)
			continue
		}
		if s.Made != nil {
			more, err = s.Made(p)
		} else {
			more, err = p.Project(s.Type, s.ID)
		}
		if err != nil {
			return err
		}
		fresh = append(fresh, more...)
		if s.New {
			continue
		}
		if _, ok := byType[s.Type]; !ok {
			types = append(types, s.Type)
		}
		byType[s.Type] = append(byType[s.Type], s.ID)
	}
	for _, typ := range types {
		more, err := storedOf(ctx, tx, t.ID, typ, byType[typ])
		if err != nil {
			return err
		}
		stored = append(stored, more...)
	}
	removed, added := Changes(stored, fresh)
	return Write(ctx, tx, t.ID, removed, added)
}

// StoredFact is a fact as stored, with its row id.
type StoredFact struct {
	ID int64
	Fact
}

// Changes returns the smallest change that turns the stored facts into the
// fresh ones: the stored rows no fresh fact matches (removed) and the fresh
// facts no stored row matches (added). Facts match on every column but the
// id; equal facts match one for one.
func Changes(stored []StoredFact, fresh []Fact) (removed []StoredFact, added []Fact) {
	if len(stored) == 0 {
		return nil, fresh
	}
	left := make(map[ident][]int, len(stored))
	for i := range stored {
		k := stored[i].ident()
		left[k] = append(left[k], i)
	}
	for _, f := range fresh {
		k := f.ident()
		if l := left[k]; len(l) > 0 {
			left[k] = l[1:]
			continue
		}
		added = append(added, f)
	}
	for i := range stored {
		k := stored[i].ident()
		if l := left[k]; len(l) > 0 && l[0] == i {
			removed = append(removed, stored[i])
			left[k] = l[1:]
		}
	}
	return removed, added
}

// Write applies one change to a tenant's facts in tx: it deletes the removed
// rows (by id) and inserts the added facts. Every fact the server keeps is
// written here — writes, imports, rebuilds — so that anything maintained
// from the facts (per-day rollups) can follow the same removed and added
// rows in the same transaction.
func Write(ctx context.Context, tx *store.Tx, tenantID cohort.ID, removed []StoredFact, added []Fact) error {
	return write(ctx, tx, tenantID, removed, added, true)
}

// write is Write; without rollups it leaves the rollup tables alone, for a
// rebuild that sums them again from the facts at its end.
func write(ctx context.Context, tx *store.Tx, tenantID cohort.ID, removed []StoredFact, added []Fact, rollups bool) error {
	// An added fact in the place of a removed row (a closed stage entry
	// gaining its duration, a next action done) is written over that row:
	// an update of the row and of facts_kind_day instead of a delete and an
	// insert in the table and its five indexes.
	over := make([]int64, len(added))
	deleted := removed
	if len(removed) > 0 && len(added) > 0 {
		free := make(map[place][]int64, len(removed))
		for i := range removed {
			k := removed[i].place()
			free[k] = append(free[k], removed[i].ID)
		}
		reused := map[int64]bool{}
		for i := range added {
			k := added[i].place()
			if l := free[k]; len(l) > 0 {
				over[i], free[k] = l[0], l[1:]
				reused[l[0]] = true
			}
		}
		if len(reused) > 0 {
			deleted = make([]StoredFact, 0, len(removed)-len(reused))
			for i := range removed {
				if !reused[removed[i].ID] {
					deleted = append(deleted, removed[i])
				}
			}
		}
	}
	for start := 0; start < len(deleted); start += batch {
		chunk := deleted[start:min(start+batch, len(deleted))]
		ids := make([]cohort.ID, len(chunk))
		for i := range chunk {
			ids[i] = cohort.ID(chunk[i].ID)
		}
		list, args := in(ids)
		if _, err := tx.ExecContext(ctx, "DELETE FROM facts WHERE tenant_id = ? AND id IN "+list, append([]any{int64(tenantID)}, args...)...); err != nil {
			return fmt.Errorf("facts: %w", err)
		}
	}
	if err := put(ctx, tx, tenantID, added, over); err != nil {
		return err
	}
	if !rollups {
		return nil
	}
	gone := make([]Fact, len(removed))
	for i := range removed {
		gone[i] = removed[i].Fact
	}
	return applyRollups(ctx, tx, tenantID, gone, added)
}

// Update changes stored facts in place of a projection: the tenant's
// facts matching where (a condition on facts' columns, with args after the
// tenant) are read, changed by change, and written back through Write as
// removed and added rows. A department move dated in the past re-credits
// its person's later facts, a merge moves facts to the surviving customer.
func Update(ctx context.Context, tx *store.Tx, tenantID cohort.ID, where string, args []any, change func(*Fact)) error {
	old, err := storedRows(ctx, tx, "tenant_id = ? AND "+where, append([]any{int64(tenantID)}, args...)...)
	if err != nil || len(old) == 0 {
		return err
	}
	fresh := make([]Fact, len(old))
	for i := range old {
		fresh[i] = old[i].Fact
		change(&fresh[i])
	}
	removed, added := Changes(old, fresh)
	return Write(ctx, tx, tenantID, removed, added)
}

// Insert writes facts of records that had none (an import's new records):
// fs holds every fact of its source records, and Insert marks in it the
// facts that count their records (Rec), as the projection does.
func Insert(ctx context.Context, tx *store.Tx, tenantID cohort.ID, fs []Fact) error {
	markRecords(fs)
	return Write(ctx, tx, tenantID, nil, fs)
}

// place is what an added fact shares with the stored row it is written
// over: every column of the primary key and of the indexes of facts but
// facts_kind_day (facts_source, facts_user_day, facts_customer), so that
// the update changes no entry of those.
type place struct {
	kind                   string
	at                     int64
	day                    int
	sourceType             string
	source, user, customer cohort.ID
}

func (f *Fact) place() place {
	return place{f.Kind, f.OccurredAt.UnixMilli(), f.Day, f.SourceType, f.SourceID, f.UserID, f.CustomerID}
}

// overCols are the columns an added fact writes over a stored row: all but
// those of place, the tenant and the id.
var overCols = []string{"record_type", "record_id", "role", "share_bp", "department_id", "amount", "currency", "duration_s", "n",
	"product_id", "process_id", "stage", "attr", "ref_at", "rec", "rec_user", "since_stage", "since_any", "later_day"}

// putRows is how many rows one statement of put carries (BulkInsert's
// number for SQLite).
const putRows = 100

// put writes the added facts fs: fs[i] over the stored row over[i] when
// that is not 0 (an upsert on the row's id that sets overCols), as a new
// row otherwise. Up to putRows rows go in one statement; more go through
// BulkInsert (COPY in a PostgreSQL rebuild), the rows written over in
// statements of their own.
func put(ctx context.Context, tx *store.Tx, tenantID cohort.ID, fs []Fact, over []int64) error {
	n := 0
	for _, id := range over {
		if id != 0 {
			n++
		}
	}
	if n == 0 {
		return insert(ctx, tx, tenantID, fs)
	}
	var fresh []Fact
	rows := make([][]any, 0, len(fs))
	for i := range fs {
		switch {
		case over[i] != 0:
			rows = append(rows, fs[i].row(tenantID, over[i]))
		case len(fs) <= putRows:
			rows = append(rows, fs[i].row(tenantID, tx.DB().NewID()))
		default:
			fresh = append(fresh, fs[i])
		}
	}
	for start := 0; start < len(rows); start += putRows {
		part := rows[start:min(len(rows), start+putRows)]
		args := make([]any, 0, len(part)*len(columns))
		for _, r := range part {
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, upsertFacts(len(part)), args...); err != nil {
			return fmt.Errorf("facts: %w", err)
		}
	}
	return insert(ctx, tx, tenantID, fresh)
}

var upserts struct {
	sync.Mutex
	text map[int]string
}

// upsertFacts is put's statement of n rows.
func upsertFacts(n int) string {
	upserts.Lock()
	defer upserts.Unlock()
	if q, ok := upserts.text[n]; ok {
		return q
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",") + ")"
	sets := make([]string, len(overCols))
	for i, c := range overCols {
		sets[i] = c + " = excluded." + c
	}
	q := "INSERT INTO facts (" + strings.Join(columns, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+",", n), ",") +
		" ON CONFLICT (tenant_id, id) DO UPDATE SET " + strings.Join(sets, ", ")
	if upserts.text == nil {
		upserts.text = map[int]string{}
	}
	upserts.text[n] = q
	return q
}

func insert(ctx context.Context, tx *store.Tx, tenantID cohort.ID, fs []Fact) error {
	if len(fs) == 0 {
		return nil
	}
	rows := make([][]any, len(fs))
	for i := range fs {
		rows[i] = fs[i].row(tenantID, tx.DB().NewID())
	}
	if err := store.BulkInsert(ctx, tx, "facts", columns, rows); err != nil {
		return fmt.Errorf("facts: %w", err)
	}
	return nil
}

// storedOf returns the stored facts of source records of one type.
func storedOf(ctx context.Context, q store.Queryer, tenantID cohort.ID, source cohort.ObjectType, ids []cohort.ID) ([]StoredFact, error) {
	var out []StoredFact
	for start := 0; start < len(ids); start += batch {
		list, args := in(ids[start:min(start+batch, len(ids))])
		more, err := storedRows(ctx, q, "tenant_id = ? AND source_type = ? AND source_id IN "+list,
			append([]any{int64(tenantID), string(source)}, args...)...)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

// Stored returns the stored facts of a tenant's source records of type
// source (all types when empty), keyed.
func Stored(ctx context.Context, q store.Queryer, tenantID cohort.ID, source cohort.ObjectType) (map[string]int, error) {
	where, args := "tenant_id = ?", []any{int64(tenantID)}
	if source != "" {
		where, args = where+" AND source_type = ?", append(args, string(source))
	}
	return storedWhere(ctx, q, where, args...)
}

func storedWhere(ctx context.Context, q store.Queryer, where string, args ...any) (map[string]int, error) {
	fs, err := storedRows(ctx, q, where, args...)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(fs))
	for i := range fs {
		out[fs[i].Key()]++
	}
	return out, nil
}

// storedCols are the columns storedRows reads, in its order.
const storedCols = `id, kind, occurred_at, day, source_type, source_id, record_type, record_id, customer_id, user_id, role,
		share_bp, department_id, amount, currency, duration_s, n, product_id, process_id, stage, attr, ref_at, rec, rec_user, since_stage, since_any, later_day`

// storedRows reads stored facts.
func storedRows(ctx context.Context, q store.Queryer, where string, args ...any) ([]StoredFact, error) {
	return storedQuery(ctx, q, `SELECT `+storedCols+` FROM facts WHERE `+where, args...)
}

// storedQuery reads stored facts with a whole statement whose columns are
// storedCols.
func storedQuery(ctx context.Context, q store.Queryer, query string, args ...any) ([]StoredFact, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	defer rows.Close()
	var out []StoredFact
	for rows.Next() {
		var f StoredFact
		var at int64
		var cust, user, dept, prod, proc, ref *int64
		if err := rows.Scan(&f.ID, &f.Kind, &at, &f.Day, &f.SourceType, &f.SourceID, &f.RecordType, &f.RecordID, &cust, &user, &f.Role, &f.ShareBP,
			&dept, &f.Amount, &f.Currency, &f.DurationS, &f.N, &prod, &proc, &f.Stage, &f.Attr, &ref, &f.Rec, &f.RecUser,
			&f.SinceStage, &f.SinceAny, &f.LaterDay); err != nil {
			return nil, err
		}
		f.OccurredAt = time.UnixMilli(at).UTC()
		id := func(p *int64) cohort.ID {
			if p == nil {
				return 0
			}
			return cohort.ID(*p)
		}
		f.CustomerID, f.UserID, f.DepartmentID, f.ProductID, f.ProcessID = id(cust), id(user), id(dept), id(prod), id(proc)
		if ref != nil {
			r := time.UnixMilli(*ref).UTC()
			f.RefAt = &r
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Diff describes how two multisets of facts differ, for Verify.
func Diff(stored, fresh map[string]int, max int) []string {
	var out []string
	for k, n := range fresh {
		if stored[k] != n {
			out = append(out, fmt.Sprintf("missing %d× %s", n-stored[k], k))
		}
	}
	for k, n := range stored {
		if fresh[k] < n {
			out = append(out, fmt.Sprintf("extra %d× %s", n-fresh[k], k))
		}
	}
	slices.Sort(out)
	if len(out) > max {
		out = append(out[:max], fmt.Sprintf("... and %d more", len(out)-max))
	}
	return out
}

// keys counts facts by key.
func keys(fs []Fact) map[string]int {
	out := make(map[string]int, len(fs))
	for _, f := range fs {
		out[f.Key()]++
	}
	return out
}

// Summary is one line per kind with its count, for progress and reports.
func Summary(fs map[string]int) string {
	byKind := map[string]int{}
	for k, n := range fs {
		byKind[k[:strings.IndexByte(k, '|')]] += n
	}
	var parts []string
	for k, n := range byKind {
		parts = append(parts, fmt.Sprintf("%s=%d", k, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
