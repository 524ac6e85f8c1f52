package facts

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Rollups are the additive measures of the facts summed per day
// (facts_daily) and per month (facts_monthly) by tenant, kind, role,
// person, historic department, attr, stage, sales process and product, and
// per month without the person (facts_monthly_dept, whose user_id is
// always 0: company and department figures read a twelfth of the rows)
// (docs/FACTS.md, "Rollups"). The metric engine reads them instead of the
// facts when a query's aggregates are additive and its dimensions and
// filters are all among those columns. facts_stage_monthly (StageRollup)
// counts stage entries for distinct counts of opportunities, kept by the
// same function.
var RollupTables = []string{"facts_daily", "facts_monthly", "facts_monthly_dept"}

// byMonth sums daily rollup rows per month, and per month without the
// person when noUser.
func byMonth(daily map[rollKey]*rollVal, noUser bool) map[rollKey]*rollVal {
	out := map[rollKey]*rollVal{}
	for k, v := range daily {
		k.day = MonthStart(k.day)
		if noUser {
			k.user = 0
		}
		m := out[k]
		if m == nil {
			m = &rollVal{}
			out[k] = m
		}
		m.add(*v, 1)
	}
	return out
}

// rollKey is a rollup row's key; a missing id is 0.
type rollKey struct {
	kind, role             string
	day                    int64
	user, dept, proc, prod int64
	attr, stage            string
}

// rollVal are a rollup row's measures.
type rollVal struct{ cnt, share, amountBP, dur, durBP, n, nBP, rec, recUser int64 }

func (v *rollVal) add(o rollVal, sign int64) {
	v.cnt += sign * o.cnt
	v.share += sign * o.share
	v.amountBP += sign * o.amountBP
	v.dur += sign * o.dur
	v.durBP += sign * o.durBP
	v.n += sign * o.n
	v.nBP += sign * o.nBP
	v.rec += sign * o.rec
	v.recUser += sign * o.recUser
}

func (v rollVal) zero() bool { return v == rollVal{} }

// rollCols are the columns of a rollup table, the key first.
var rollCols = []string{"tenant_id", "kind", "role", "day", "user_id", "department_id", "attr", "stage", "process_id", "product_id",
	"cnt", "share_bp", "amount_bp", "duration_s", "duration_bp", "n", "n_bp", "rec", "rec_user"}

const rollKeyCols = 10

// MonthStart is the day number of the first day of the month of day (both
// local dates as days since 1970-01-01): facts_monthly's day.
func MonthStart(day int64) int64 {
	t := time.Unix(day*86400, 0).UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func (f *Fact) rollup() (rollKey, rollVal) {
	k := rollKey{kind: f.Kind, role: f.Role, day: int64(f.Day), user: int64(f.UserID), dept: int64(f.DepartmentID), proc: int64(f.ProcessID),
		prod: int64(f.ProductID), attr: f.Attr, stage: f.Stage}
	s := int64(f.ShareBP)
	return k, rollVal{cnt: 1, share: s, amountBP: f.Amount * s, dur: f.DurationS, durBP: f.DurationS * s, n: int64(f.N), nBP: int64(f.N) * s, rec: int64(f.Rec), recUser: int64(f.RecUser)}
}

// applyRollups applies to the rollup tables of tenantID the difference
// made by deleting the facts removed and inserting the facts added, in tx.
// It is the one place rollups change: every statement that deletes or
// inserts facts hands it the rows (only the rollup's columns are read). A
// fact removed and added again cancels out and writes nothing. A write's
// change is one statement (applyDeltas, applyDeltasPG); a larger change
// (an import's) goes table by table (applyDelta).
func applyRollups(ctx context.Context, tx *store.Tx, tenantID cohort.ID, removed, added []Fact) error {
	if len(removed) == 0 && len(added) == 0 {
		return nil
	}
	daily := map[rollKey]*rollVal{}
	acc := func(fs []Fact, sign int64) {
		for i := range fs {
			k, v := fs[i].rollup()
			d := daily[k]
			if d == nil {
				d = &rollVal{}
				daily[k] = d
			}
			d.add(v, sign)
		}
	}
	acc(removed, -1)
	acc(added, 1)
	// The count rollups first: a change of a fact's marks alone (since,
	// later) changes no key of the others.
	if err := stageRollup.apply(ctx, tx, tenantID, removed, added); err != nil {
		return err
	}
	if err := laterRollup.apply(ctx, tx, tenantID, removed, added); err != nil {
		return err
	}
	dailyKeys := changedKeys(daily)
	if len(dailyKeys) == 0 {
		return nil
	}
	if tx.Engine() == store.SQLite && len(dailyKeys) <= deltaRows {
		return applyDeltas(ctx, tx, tenantID, daily, dailyKeys)
	}
	monthly, dept := byMonth(daily, false), byMonth(daily, true)
	monthlyKeys, deptKeys := changedKeys(monthly), changedKeys(dept)
	if tx.Engine() == store.Postgres && max(len(dailyKeys), len(monthlyKeys), len(deptKeys)) <= rollupRows {
		return applyDeltasPG(ctx, tx, tenantID, []map[rollKey]*rollVal{daily, monthly, dept}, [][]rollKey{dailyKeys, monthlyKeys, deptKeys})
	}
	if err := applyDelta(ctx, tx, tenantID, "facts_daily", daily, dailyKeys); err != nil {
		return err
	}
	if err := applyDelta(ctx, tx, tenantID, "facts_monthly", monthly, monthlyKeys); err != nil {
		return err
	}
	return applyDelta(ctx, tx, tenantID, "facts_monthly_dept", dept, deptKeys)
}

// rollupRows is how many rows of a rollup table one statement changes at
// most.
const rollupRows = 500

// deltaRows is how many daily keys SQLite's one statement (applyDeltas)
// takes: a write's change. More (an import's) go table by table, where
// the month's rows are summed first: the trigger upserts the month's row
// once per daily key.
const deltaRows = 16

// changedKeys returns the keys of delta whose change is not zero, in a
// stable order: concurrent transactions take their row locks in one order.
func changedKeys(delta map[rollKey]*rollVal) []rollKey {
	keys := make([]rollKey, 0, len(delta))
	for k, v := range delta {
		if !v.zero() {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b rollKey) int {
		return cmp.Or(strings.Compare(a.kind, b.kind), strings.Compare(a.role, b.role), cmp.Compare(a.day, b.day), cmp.Compare(a.user, b.user),
			cmp.Compare(a.dept, b.dept), strings.Compare(a.attr, b.attr), strings.Compare(a.stage, b.stage), cmp.Compare(a.proc, b.proc),
			cmp.Compare(a.prod, b.prod))
	})
	return keys
}

// applyDeltas (SQLite) adds the daily delta (at most deltaRows keys) to
// the three rollup tables in one statement: an insert into the view
// facts_rollup_delta, whose trigger (migration 0043) adds each row to the
// day's, the month's and the month's row without the person, and deletes
// each row it emptied.
func applyDeltas(ctx context.Context, tx *store.Tx, tenantID cohort.ID, daily map[rollKey]*rollVal, keys []rollKey) error {
	for start := 0; start < len(keys); start += rollupRows {
		part := keys[start:min(len(keys), start+rollupRows)]
		args := make([]any, 0, len(part)*len(deltaCols))
		for _, k := range part {
			v := daily[k]
			args = append(args, int64(tenantID), k.kind, k.role, k.day, MonthStart(k.day), k.user, k.dept, k.attr, k.stage, k.proc, k.prod,
				v.cnt, v.share, v.amountBP, v.dur, v.durBP, v.n, v.nBP, v.rec, v.recUser)
		}
		if _, err := tx.ExecContext(ctx, insertDeltas(len(part)), args...); err != nil {
			return fmt.Errorf("facts: rollups: %w", err)
		}
	}
	return nil
}

// deltaCols are the columns of the view facts_rollup_delta (SQLite).
var deltaCols = []string{"tenant_id", "kind", "role", "day", "month", "user_id", "department_id", "attr", "stage", "process_id", "product_id",
	"cnt", "share_bp", "amount_bp", "duration_s", "duration_bp", "n", "n_bp", "rec", "rec_user"}

// applyDeltasPG (PostgreSQL) adds the deltas to the three rollup tables
// (facts_daily, facts_monthly, facts_monthly_dept, each at most rollupRows
// keys) in one statement, two upserts of WITH queries and a third, and
// deletes the rows they emptied in a second statement when a count fell.
// The WITH queries of one statement all see the rows as they were before
// it, hence the second.
func applyDeltasPG(ctx context.Context, tx *store.Tx, tenantID cohort.ID, deltas []map[rollKey]*rollVal, keys [][]rollKey) error {
	var parts, dels []string
	var args, delArgs []any
	for i, table := range RollupTables {
		if len(keys[i]) == 0 {
			continue
		}
		parts = append(parts, upsertRollup(table, len(keys[i])))
		var ors []string
		var more []any
		for _, k := range keys[i] {
			v := deltas[i][k]
			args = append(args, int64(tenantID), k.kind, k.role, k.day, k.user, k.dept, k.attr, k.stage, k.proc, k.prod,
				v.cnt, v.share, v.amountBP, v.dur, v.durBP, v.n, v.nBP, v.rec, v.recUser)
			if v.cnt < 0 {
				ors = append(ors, "(kind = ? AND role = ? AND day = ? AND user_id = ? AND department_id = ? AND attr = ? AND stage = ? AND process_id = ? AND product_id = ?)")
				more = append(more, k.kind, k.role, k.day, k.user, k.dept, k.attr, k.stage, k.proc, k.prod)
			}
		}
		if len(ors) > 0 {
			dels = append(dels, "DELETE FROM "+table+" WHERE tenant_id = ? AND cnt = 0 AND ("+strings.Join(ors, " OR ")+")")
			delArgs = append(append(delArgs, int64(tenantID)), more...)
		}
	}
	if _, err := tx.ExecContext(ctx, withAll(parts), args...); err != nil {
		return fmt.Errorf("facts: rollups: %w", err)
	}
	if len(dels) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, withAll(dels), delArgs...); err != nil {
		return fmt.Errorf("facts: rollups: %w", err)
	}
	return nil
}

// withAll joins data-modifying statements into one: all but the last as
// WITH queries (PostgreSQL).
func withAll(qs []string) string {
	if len(qs) == 1 {
		return qs[0]
	}
	var b strings.Builder
	b.WriteString("WITH ")
	for i, q := range qs[:len(qs)-1] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "w%d AS (%s)", i, q)
	}
	b.WriteString(" ")
	b.WriteString(qs[len(qs)-1])
	return b.String()
}

// applyDelta adds delta to table's rows (an upsert of the changed keys,
// in statements of up to rollupRows rows) and deletes the rows it emptied.
func applyDelta(ctx context.Context, tx *store.Tx, tenantID cohort.ID, table string, delta map[rollKey]*rollVal, keys []rollKey) error {
	var emptied []rollKey
	for start := 0; start < len(keys); start += rollupRows {
		part := keys[start:min(len(keys), start+rollupRows)]
		args := make([]any, 0, len(part)*len(rollCols))
		for _, k := range part {
			v := delta[k]
			args = append(args, int64(tenantID), k.kind, k.role, k.day, k.user, k.dept, k.attr, k.stage, k.proc, k.prod,
				v.cnt, v.share, v.amountBP, v.dur, v.durBP, v.n, v.nBP, v.rec, v.recUser)
			if v.cnt < 0 {
				emptied = append(emptied, k)
			}
		}
		if _, err := tx.ExecContext(ctx, upsertRollup(table, len(part)), args...); err != nil {
			return fmt.Errorf("facts: %s: %w", table, err)
		}
	}
	for start := 0; start < len(emptied); start += 100 {
		part := emptied[start:min(len(emptied), start+100)]
		var ors []string
		args := []any{int64(tenantID)}
		for _, k := range part {
			ors = append(ors, "(kind = ? AND role = ? AND day = ? AND user_id = ? AND department_id = ? AND attr = ? AND stage = ? AND process_id = ? AND product_id = ?)")
			args = append(args, k.kind, k.role, k.day, k.user, k.dept, k.attr, k.stage, k.proc, k.prod)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE tenant_id = ? AND cnt = 0 AND ("+strings.Join(ors, " OR ")+")", args...); err != nil {
			return fmt.Errorf("facts: %s: %w", table, err)
		}
	}
	return nil
}

var deltaInserts struct {
	sync.Mutex
	text map[int]string
}

// insertDeltas is applyDeltas' statement of n rows, made once for short
// ones.
func insertDeltas(n int) string {
	deltaInserts.Lock()
	defer deltaInserts.Unlock()
	if q, ok := deltaInserts.text[n]; ok {
		return q
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(deltaCols)), ",") + ")"
	q := "INSERT INTO facts_rollup_delta (" + strings.Join(deltaCols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	if n <= 16 {
		if deltaInserts.text == nil {
			deltaInserts.text = map[int]string{}
		}
		deltaInserts.text[n] = q
	}
	return q
}

var rollupUpserts struct {
	sync.Mutex
	text map[rollupUpsert]string
}

type rollupUpsert struct {
	table string
	rows  int
}

// upsertRollup is applyDelta's statement adding n rows to table, made once
// (a write's statements are short; building their text each time showed
// in its profile).
func upsertRollup(table string, n int) string {
	rollupUpserts.Lock()
	defer rollupUpserts.Unlock()
	key := rollupUpsert{table, n}
	if q, ok := rollupUpserts.text[key]; ok {
		return q
	}
	var sets []string
	for _, c := range rollCols[rollKeyCols:] {
		sets = append(sets, c+" = "+table+"."+c+" + excluded."+c)
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(rollCols)), ",") + ")"
	q := "INSERT INTO " + table + " (" + strings.Join(rollCols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") +
		" ON CONFLICT (" + strings.Join(rollCols[:rollKeyCols], ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
	if n <= 8 {
		// Larger statements (a rebuild's, an import's) are one-offs.
		if rollupUpserts.text == nil {
			rollupUpserts.text = map[rollupUpsert]string{}
		}
		rollupUpserts.text[key] = q
	}
	return q
}

// rollupFactCols are the columns of facts a rollup reads.
const rollupFactCols = "kind, role, day, user_id, department_id, attr, stage, process_id, product_id, share_bp, amount, duration_s, n, rec, rec_user"

type rowsScanner interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}

// eachRollupFact calls f with each row of rows (rollupFactCols) and closes
// rows.
func eachRollupFact(rows rowsScanner, f func(Fact)) error {
	defer rows.Close()
	for rows.Next() {
		var x Fact
		var user, dept, proc, prod *int64
		if err := rows.Scan(&x.Kind, &x.Role, &x.Day, &user, &dept, &x.Attr, &x.Stage, &proc, &prod, &x.ShareBP, &x.Amount, &x.DurationS, &x.N, &x.Rec, &x.RecUser); err != nil {
			return fmt.Errorf("facts: %w", err)
		}
		id := func(p *int64) cohort.ID {
			if p == nil {
				return 0
			}
			return cohort.ID(*p)
		}
		x.UserID, x.DepartmentID, x.ProcessID, x.ProductID = id(user), id(dept), id(proc), id(prod)
		f(x)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("facts: %w", err)
	}
	return nil
}

// DeleteSources deletes the facts of source records of one type, with
// their rollups, in tx.
func DeleteSources(ctx context.Context, tx *store.Tx, tenantID cohort.ID, typ cohort.ObjectType, ids []cohort.ID) error {
	stored, err := storedOf(ctx, tx, tenantID, typ, ids)
	if err != nil {
		return err
	}
	return Write(ctx, tx, tenantID, stored, nil)
}

// deleteRollups empties a tenant's rollups (a rebuild's start).
func deleteRollups(ctx context.Context, tx *store.Tx, tenantID cohort.ID) error {
	for _, t := range append(RollupTables, StageRollup, LaterRollup) {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE tenant_id = ?", int64(tenantID)); err != nil {
			return fmt.Errorf("facts: %w", err)
		}
	}
	return nil
}

// VerifyRollups compares a tenant's rollups with the sums of its facts and
// returns the differences (at most max lines).
func VerifyRollups(ctx context.Context, q store.Queryer, tenantID cohort.ID, max int) ([]string, error) {
	want := map[rollKey]rollVal{}
	rows, err := q.QueryContext(ctx, "SELECT "+rollupFactCols+" FROM facts WHERE tenant_id = ?", int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	// Facts are read in one pass and summed in memory per day (a tenant at
	// scale L has a few million daily rows).
	err = eachRollupFact(rows, func(f Fact) {
		k, v := f.rollup()
		w := want[k]
		w.add(v, 1)
		want[k] = w
	})
	if err != nil {
		return nil, err
	}
	var diffs []string
	for _, table := range RollupTables {
		exp := want
		if table != "facts_daily" {
			exp = map[rollKey]rollVal{}
			for k, v := range want {
				k.day = MonthStart(k.day)
				if table == "facts_monthly_dept" {
					k.user = 0
				}
				m := exp[k]
				m.add(v, 1)
				exp[k] = m
			}
		}
		got := map[rollKey]rollVal{}
		rows, err := q.QueryContext(ctx, "SELECT "+strings.Join(rollCols[1:], ", ")+" FROM "+table+" WHERE tenant_id = ?", int64(tenantID))
		if err != nil {
			return nil, fmt.Errorf("facts: %w", err)
		}
		for rows.Next() {
			var k rollKey
			var v rollVal
			if err := rows.Scan(&k.kind, &k.role, &k.day, &k.user, &k.dept, &k.attr, &k.stage, &k.proc, &k.prod,
				&v.cnt, &v.share, &v.amountBP, &v.dur, &v.durBP, &v.n, &v.nBP, &v.rec, &v.recUser); err != nil {
				rows.Close()
				return nil, fmt.Errorf("facts: %w", err)
			}
			got[k] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("facts: %w", err)
		}
		for k, v := range exp {
			if got[k] != v {
				diffs = append(diffs, fmt.Sprintf("%s: %+v is %+v, the facts sum to %+v", table, k, got[k], v))
			}
		}
		for k, v := range got {
			if _, ok := exp[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s: %+v is %+v, no facts", table, k, v))
			}
		}
	}
	stage, err := verifyStageRollup(ctx, q, tenantID)
	if err != nil {
		return nil, err
	}
	diffs = append(diffs, stage...)
	later, err := verifyLaterRollup(ctx, q, tenantID)
	if err != nil {
		return nil, err
	}
	diffs = append(diffs, later...)
	slices.Sort(diffs)
	if len(diffs) > max {
		diffs = append(diffs[:max], fmt.Sprintf("... and %d more", len(diffs)-max))
	}
	return diffs, nil
}

// RebuildRollups recomputes a tenant's rollups from its facts in SQL, in
// tx: for facts loaded by other means than this package (a bulk load, a
// benchmark's generator, a test's hand-made facts). It first marks the
// facts that count their records (rec, rec_user) as the projection does.
func RebuildRollups(ctx context.Context, tx *store.Tx, tenantID cohort.ID) error {
	if err := markRecordsSQL(ctx, tx, tenantID); err != nil {
		return err
	}
	return sumRollups(ctx, tx, tenantID, nil)
}

// sumRollups is RebuildRollups for facts the projection wrote (a
// rebuild's end), whose rec and rec_user are in step already; it tells
// summed, when not nil, how many of the RollupTables and then
// facts_stage_monthly (with facts_later_monthly) are summed.
func sumRollups(ctx context.Context, tx *store.Tx, tenantID cohort.ID, summed func(done int)) error {
	if summed == nil {
		summed = func(int) {}
	}
	if err := deleteRollups(ctx, tx, tenantID); err != nil {
		return err
	}
	month := "CAST(julianday(date(day * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER)"
	if tx.DB().Engine == store.Postgres {
		month = "(CAST(date_trunc('month', DATE '1970-01-01' + day) AS DATE) - DATE '1970-01-01')"
	}
	cols := strings.Join(rollCols, ", ")
	if _, err := tx.ExecContext(ctx, `INSERT INTO facts_daily (`+cols+`)
		SELECT tenant_id, kind, role, day, COALESCE(user_id, 0), COALESCE(department_id, 0), attr, stage, COALESCE(process_id, 0), COALESCE(product_id, 0),
		count(*), sum(share_bp), sum(amount * share_bp), sum(duration_s), sum(duration_s * share_bp), sum(n), sum(n * share_bp), sum(rec), sum(rec_user)
		FROM facts WHERE tenant_id = ?
		GROUP BY tenant_id, kind, role, day, COALESCE(user_id, 0), COALESCE(department_id, 0), attr, stage, COALESCE(process_id, 0), COALESCE(product_id, 0)`,
		int64(tenantID)); err != nil {
		return fmt.Errorf("facts: %w", err)
	}
	summed(1)
	if _, err := tx.ExecContext(ctx, `INSERT INTO facts_monthly (`+cols+`)
		SELECT tenant_id, kind, role, `+month+`, user_id, department_id, attr, stage, process_id, product_id,
		sum(cnt), sum(share_bp), sum(amount_bp), sum(duration_s), sum(duration_bp), sum(n), sum(n_bp), sum(rec), sum(rec_user)
		FROM facts_daily WHERE tenant_id = ?
		GROUP BY tenant_id, kind, role, `+month+`, user_id, department_id, attr, stage, process_id, product_id`, int64(tenantID)); err != nil {
		return fmt.Errorf("facts: %w", err)
	}
	summed(2)
	if _, err := tx.ExecContext(ctx, `INSERT INTO facts_monthly_dept (`+cols+`)
		SELECT tenant_id, kind, role, day, 0, department_id, attr, stage, process_id, product_id,
		sum(cnt), sum(share_bp), sum(amount_bp), sum(duration_s), sum(duration_bp), sum(n), sum(n_bp), sum(rec), sum(rec_user)
		FROM facts_monthly WHERE tenant_id = ?
		GROUP BY tenant_id, kind, role, day, department_id, attr, stage, process_id, product_id`, int64(tenantID)); err != nil {
		return fmt.Errorf("facts: %w", err)
	}
	summed(3)
	if err := sumStageRollup(ctx, tx, tenantID); err != nil {
		return err
	}
	if err := sumLaterRollup(ctx, tx, tenantID); err != nil {
		return err
	}
	summed(4)
	return nil
}
