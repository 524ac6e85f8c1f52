package facts

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Counts of records (docs/FACTS.md, "Counts of records"). A count of
// records is a distinct count (a co-owned contract is one contract in a
// total and one for each owner in per-person rows), which no sum of
// rollup rows answers by itself. For the kinds below a record has one
// event of the kind — all its facts of the kind share the day and every
// dimension but the credit (person, department, role, share) — and the
// projection marks one of its facts per credit role (Fact.Rec) and one per
// role and person (Fact.RecUser), so that:
//
//   - the sum of rec over facts of one role (owner and uncredited together)
//     is the number of records, at every grain of time, kind, attr, stage,
//     process and product;
//   - the sum of rec_user over one person's facts in one role is the
//     person's number of records (a team history may hold a person twice
//     in one role at one time, which credits them twice).
//
// `cohort facts verify` checks that RecordKinds' records have one event
// and that one person's facts of it are in one department (theirs at its
// time: a filter by department keeps all or none of them), and compares
// rec and rec_user with a fresh projection as every column.

// RecordKinds are the kinds whose records have one event each. Not
// expense.incurred: the fact of an expense incurred for an opportunity
// names the opportunity, which may have several.
var RecordKinds = []string{"lead.created", "lead.converted", "customer.created", "customer.first_signed", "customer.lost",
	"opportunity.created", "opportunity.won", "opportunity.lost", "opportunity.invalid", "opportunity.open", "quote.sent", "quote.won",
	"contract.signed", "order.signed", "contract.started", "contract.ended", "ticket.opened", "ticket.first_response", "ticket.resolved"}

// RecordFamilies are sets of RecordKinds of which one record has at most
// one kind (a deal is a contract or an order; an opportunity closes once):
// a count of records over several kinds sums rec when they are in one
// family.
var RecordFamilies = [][]string{{"contract.signed", "order.signed"}, {"opportunity.won", "opportunity.lost", "opportunity.invalid"}}

func isRecordKind(kind string) bool { return slices.Contains(RecordKinds, kind) }

// roleClass is the credit role whose facts share one rec: the revenue
// credit (owner) and the uncredited fact of a record nobody holds count
// together, as the metric engine reads them.
func roleClass(role string) string {
	if role == "" {
		return cohort.RoleOwner
	}
	return role
}

type recGroup struct {
	kind, sourceType, recordType, role string
	source, record                     cohort.ID
}

type recUserGroup struct {
	recGroup
	user cohort.ID
}

// recOrder orders the facts of one record, kind and role class: the
// first one carries rec. The SQL of markRecordsSQL orders the same way.
func recOrder(a, b *Fact) int {
	ea, eb := 0, 0
	if a.Role == "" {
		ea = 1
	}
	if b.Role == "" {
		eb = 1
	}
	return cmp.Or(cmp.Compare(ea, eb), cmp.Compare(a.UserID, b.UserID), cmp.Compare(a.ShareBP, b.ShareBP),
		cmp.Compare(a.OccurredAt.UnixMilli(), b.OccurredAt.UnixMilli()), cmp.Compare(a.DepartmentID, b.DepartmentID))
}

// markRecords sets Rec and RecUser on facts holding every fact of their
// source records (a projection's, an import's).
func markRecords(fs []Fact) {
	first := map[recGroup]int{}
	firstUser := map[recUserGroup]int{}
	entries := map[entryGroup]int{}
	for i := range fs {
		f := &fs[i]
		f.Rec, f.RecUser = 0, 0
		if f.Kind == KindStageEntered {
			g := entryGroup{recGroup{f.Kind, f.SourceType, f.RecordType, roleClass(f.Role), f.SourceID, f.RecordID}, f.OccurredAt.UnixMilli(), f.Stage}
			if j, ok := entries[g]; !ok || recOrder(f, &fs[j]) < 0 {
				entries[g] = i
			}
			continue
		}
		if !isRecordKind(f.Kind) {
			continue
		}
		g := recGroup{f.Kind, f.SourceType, f.RecordType, roleClass(f.Role), f.SourceID, f.RecordID}
		if j, ok := first[g]; !ok || recOrder(f, &fs[j]) < 0 {
			first[g] = i
		}
		gu := recUserGroup{recGroup{f.Kind, f.SourceType, f.RecordType, f.Role, f.SourceID, f.RecordID}, f.UserID}
		if j, ok := firstUser[gu]; !ok || recOrder(f, &fs[j]) < 0 {
			firstUser[gu] = i
		}
	}
	for _, i := range first {
		fs[i].Rec = 1
	}
	for _, i := range firstUser {
		fs[i].RecUser = 1
	}
	for _, i := range entries {
		fs[i].Rec = 1
	}
	markSince(fs, nil)
	markLater(fs)
}

// Stage entries (docs/FACTS.md, "Stage entries"): an opportunity enters
// stages many times, so no one fact counts it. Each entry — the facts of
// one opportunity at one time into one stage — has rec = 1 on one fact
// per credit role (the first by recOrder), and every fact of it carries
// the day of the latest earlier entry with a fact in the same credit role,
// into the same stage (SinceStage) and into any (SinceAny). Of an
// opportunity's entries in a period starting on day d, exactly the first
// has Since < d: the sum of rec over the entries of a period whose Since
// is before its start is the number of distinct opportunities that
// entered (a stage, or each stage), in every cell of stage, process and
// month.

type entryGroup struct {
	recGroup
	at    int64
	stage string
}

// stageEntry is what the marks of later entries need of an entry: its
// time, stage and day.
type stageEntry struct {
	at    int64
	stage string
	day   int
}

// entryBefore orders entries of one opportunity: by time, then stage.
func entryBefore(a, b *stageEntry) bool {
	return a.at < b.at || a.at == b.at && a.stage < b.stage
}

// markSince sets SinceStage and SinceAny on the stage entries' facts of
// fs, which hold every entry of their opportunities from some time on;
// earlier are the stored facts of their entries before that time (nil
// when fs holds them all).
func markSince(fs []Fact, earlier []StoredFact) {
	type key struct {
		source, record cohort.ID
		class          string
	}
	by := map[key][]stageEntry{}
	add := func(f *Fact) {
		if f.Kind == KindStageEntered {
			k := key{f.SourceID, f.RecordID, roleClass(f.Role)}
			by[k] = append(by[k], stageEntry{f.OccurredAt.UnixMilli(), f.Stage, f.Day})
		}
	}
	for i := range earlier {
		add(&earlier[i].Fact)
	}
	for i := range fs {
		add(&fs[i])
	}
	for i := range fs {
		f := &fs[i]
		f.SinceStage, f.SinceAny = 0, 0
		if f.Kind != KindStageEntered {
			continue
		}
		me := stageEntry{at: f.OccurredAt.UnixMilli(), stage: f.Stage}
		for _, e := range by[key{f.SourceID, f.RecordID, roleClass(f.Role)}] {
			if !entryBefore(&e, &me) {
				continue
			}
			f.SinceAny = max(f.SinceAny, e.day)
			if e.stage == f.Stage && e.at < me.at {
				f.SinceStage = max(f.SinceStage, e.day)
			}
		}
	}
}

func recordKindList() string { return "'" + strings.Join(RecordKinds, "', '") + "'" }

// markRecordsSQL sets rec on a tenant's facts in SQL as the projection
// does (for facts loaded by other means, and migration 0037): it changes
// only the rows whose rec differs.
func markRecordsSQL(ctx context.Context, tx *store.Tx, tenantID cohort.ID) error {
	if _, err := tx.ExecContext(ctx, `UPDATE facts SET rec = 0, rec_user = 0 WHERE tenant_id = ? AND (rec <> 0 OR rec_user <> 0)
		AND kind NOT IN (`+recordKindList()+`, '`+KindStageEntered+`')`, int64(tenantID)); err != nil {
		return fmt.Errorf("facts: rec: %w", err)
	}
	if err := markStagesSQL(ctx, tx, tenantID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, LaterMarkSQL(), int64(tenantID)); err != nil {
		return fmt.Errorf("facts: later_day: %w", err)
	}
	const order = `ORDER BY CASE WHEN role = '' THEN 1 ELSE 0 END, COALESCE(user_id, 0), share_bp, occurred_at, COALESCE(department_id, 0), id`
	for _, c := range []struct{ col, by string }{
		{"rec", "CASE WHEN role = '' THEN 'owner' ELSE role END"},
		{"rec_user", "role, COALESCE(user_id, 0)"},
	} {
		if _, err := tx.ExecContext(ctx, `UPDATE facts SET `+c.col+` = 1 - `+c.col+` WHERE tenant_id = ? AND id IN (SELECT id FROM (
			SELECT id, `+c.col+` AS v, row_number() OVER (PARTITION BY source_type, source_id, kind, record_type, record_id, `+c.by+` `+order+`) AS rn
			FROM facts WHERE tenant_id = ? AND kind IN (`+recordKindList()+`)) r WHERE (rn = 1 AND v <> 1) OR (rn > 1 AND v <> 0))`,
			int64(tenantID), int64(tenantID)); err != nil {
			return fmt.Errorf("facts: %s: %w", c.col, err)
		}
	}
	return nil
}

// markStagesSQL marks a tenant's stage entries in SQL as the projection
// does (markRecords, markSince, stageEntered): n is 1 on an ended stay,
// rec 1 on one fact per entry and credit role, and SinceStage, SinceAny
// the day of the latest earlier entry with a fact in the credit role.
// Migration 0041 runs the same statements.
func markStagesSQL(ctx context.Context, tx *store.Tx, tenantID cohort.ID) error {
	t := int64(tenantID)
	for _, st := range StageMarkSQL(tx.DB().Engine) {
		if _, err := tx.ExecContext(ctx, st, t, t); err != nil {
			return fmt.Errorf("facts: stage entries: %w", err)
		}
	}
	return nil
}

// StageMarkSQL are markStagesSQL's statements for engine e, each with two
// parameters, the tenant twice; migration 0041 marks the facts kept before
// it the same way for every tenant.
func StageMarkSQL(e store.Engine) []string {
	class := func(t string) string { return "CASE WHEN " + t + ".role = '' THEN 'owner' ELSE " + t + ".role END" }
	collate := ""
	if e == store.Postgres {
		collate = ` COLLATE "C"` // Go's order of strings
	}
	earlier := `SELECT max(g.day) FROM facts g WHERE g.tenant_id = facts.tenant_id AND g.source_type = facts.source_type
		AND g.source_id = facts.source_id AND g.kind = facts.kind AND g.record_type = facts.record_type AND g.record_id = facts.record_id
		AND ` + class("g") + ` = ` + class("facts")
	since := `COALESCE((` + earlier + ` AND g.stage = facts.stage AND g.occurred_at < facts.occurred_at), 0)`
	sinceAny := `COALESCE((` + earlier + ` AND (g.occurred_at < facts.occurred_at OR g.occurred_at = facts.occurred_at AND g.stage` + collate +
		` < facts.stage` + collate + `)), 0)`
	return []string{
		`UPDATE facts SET n = CASE WHEN ref_at IS NULL THEN 0 ELSE 1 END, rec_user = 0 WHERE tenant_id = ? AND kind = '` + KindStageEntered + `'
			AND (n <> CASE WHEN ref_at IS NULL THEN 0 ELSE 1 END OR rec_user <> 0) AND tenant_id = ?`,
		`UPDATE facts SET rec = 1 - rec WHERE tenant_id = ? AND id IN (SELECT id FROM (
			SELECT id, rec AS v, row_number() OVER (PARTITION BY source_type, source_id, kind, record_type, record_id, ` + class("facts") + `, occurred_at, stage
				ORDER BY CASE WHEN role = '' THEN 1 ELSE 0 END, COALESCE(user_id, 0), share_bp, occurred_at, COALESCE(department_id, 0), id) AS rn
			FROM facts WHERE tenant_id = ? AND kind = '` + KindStageEntered + `') r WHERE (rn = 1 AND v <> 1) OR (rn > 1 AND v <> 0))`,
		`UPDATE facts SET since_stage = ` + since + `, since_any = ` + sinceAny + ` WHERE tenant_id = ? AND kind = '` + KindStageEntered + `'
			AND (since_stage <> ` + since + ` OR since_any <> ` + sinceAny + `) AND tenant_id = ?`,
	}
}

// VerifyRecords checks that the conditions the counts of records rely on
// hold for a tenant's facts, and returns the breaches (at most max lines).
func VerifyRecords(ctx context.Context, q store.Queryer, tenantID cohort.ID, max int) ([]string, error) {
	var out []string
	check := func(what, sql string, args ...any) error {
		rows, err := q.QueryContext(ctx, sql, args...)
		if err != nil {
			return fmt.Errorf("facts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var kind, rt string
			var id int64
			if err := rows.Scan(&kind, &rt, &id); err != nil {
				return fmt.Errorf("facts: %w", err)
			}
			if len(out) < max {
				out = append(out, fmt.Sprintf("%s %d: %s %s", rt, id, kind, what))
			}
		}
		return rows.Err()
	}
	t := int64(tenantID)
	if err := check("has more than one event (counts of records read it as one)", `SELECT kind, record_type, record_id FROM facts
		WHERE tenant_id = ? AND kind IN (`+recordKindList()+`) GROUP BY kind, record_type, record_id
		HAVING count(DISTINCT day) > 1 OR count(DISTINCT attr) > 1 OR count(DISTINCT stage) > 1 OR count(DISTINCT COALESCE(process_id, 0)) > 1
			OR count(DISTINCT COALESCE(product_id, 0)) > 1 OR count(DISTINCT source_type) > 1 OR count(DISTINCT source_id) > 1`, t); err != nil {
		return nil, err
	}
	// One person's facts of one event have their department at its time.
	if err := check("credits one person in two departments", `SELECT kind, record_type, record_id FROM facts
		WHERE tenant_id = ? AND kind IN (`+recordKindList()+`) AND user_id IS NOT NULL GROUP BY kind, record_type, record_id, user_id
		HAVING count(DISTINCT COALESCE(department_id, 0)) > 1`, t); err != nil {
		return nil, err
	}
	for _, fam := range RecordFamilies {
		if err := check("has more than one kind of "+strings.Join(fam, ", "), `SELECT min(kind), min(record_type), record_id FROM facts
			WHERE tenant_id = ? AND kind IN ('`+strings.Join(fam, "', '")+`') GROUP BY record_id HAVING count(DISTINCT kind) > 1`, t); err != nil {
			return nil, err
		}
	}
	return out, nil
}
