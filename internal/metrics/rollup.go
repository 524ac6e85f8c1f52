package metrics

import (
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
)

// Rollups (docs/FACTS.md, "Rollups"): facts_daily and facts_monthly hold
// the additive measures of the facts summed by tenant, kind, role, day (or
// month), person, historic department, attr, stage, sales process and
// product. A statement of the engine reads them instead of the facts when
// every aggregate it computes is additive (a count, a sum, a credited sum
// or a weight of amount, duration_s or n, without Ended or Later) and every
// dimension and filter of the query is one of those columns or joins on
// them; facts_monthly when the period and every time bucket and filter are
// whole months. The answer is the same either way.

// rollupReads counts the statements that read a rollup (the tests check
// that they do).
var rollupReads atomic.Int64

// rollupDims are the dimensions a rollup answers (besides time).
var rollupDims = map[string]bool{"person": true, "department": true, "department_current": true, "role": true, "product": true,
	"product_category": true, "followup_type": true, "attr": true, "stage": true, "process": true, "kind": true}

// rollupable reports whether a rollup answers aggregate a in a statement
// (grouped by the dimensions or not).
func (c *compiled) rollupable(env *Env, a *Agg, grouped bool) bool {
	// A stage entry's n is 1 once its stay has ended, and its duration 0
	// until then: the ended stays' weight, count and durations are sums.
	if a.Ended && slices.Equal(a.Kinds, []string{kStageEntered}) && a.Later == nil && a.AsOf == "" && a.Ref == "" && a.Quiet == 0 {
		switch {
		case a.Func == "weight", a.Func == "count":
			return true
		case a.Func == "sum" || a.Func == "credited":
			return a.Field == "duration_s"
		}
		return false
	}
	// Conditions on ref_at, the customer, other facts or an as-of day
	// read columns a rollup does not keep.
	if a.Ended || a.Later != nil || a.AsOf != "" || a.Ref != "" || a.Quiet != 0 || a.Repeat || a.Unrenewed || a.Accurate {
		return false
	}
	switch a.Func {
	case "count", "weight":
		return true
	case "records":
		return c.recordsCol(env, a, grouped) != ""
	case "sum", "credited":
		switch a.Field {
		case "", "amount", "duration_s", "n":
			return true
		}
	}
	return false
}

// rollupTable is the rollup the statement of leaves over [from, to) reads,
// or "" for the facts; it counts the statements that read one.
func (c *compiled) rollupTable(env *Env, from, to time.Time, grouped bool, leaves []int) string {
	t := c.rollupTableOf(env, from, to, grouped, leaves)
	if t != "" {
		rollupReads.Add(1)
	}
	return t
}

func (c *compiled) rollupTableOf(env *Env, from, to time.Time, grouped bool, leaves []int) string {
	if env.RawFacts || env.Records.SQL != "" || onePerson(env) {
		return ""
	}
	for _, i := range leaves {
		if !c.rollupable(env, c.plan.leaves[i], grouped) {
			return ""
		}
	}
	monthly := from.Day() == 1 && to.Day() == 1
	var dims []string
	if grouped {
		dims = c.dims
	}
	for _, f := range c.filters {
		dims = append(dims, f.Dimension)
	}
	for _, d := range dims {
		switch {
		case d == "day" || d == "week":
			monthly = false
		case slices.Contains(timeDims, d):
		case !rollupDims[d]:
			return ""
		}
	}
	if !monthly {
		return "facts_daily"
	}
	// Without a person in the statement (a dimension, a filter, a scope
	// by person, today's department through the person, a count of a
	// person's records), the monthly rollup without the person answers.
	person := strings.Contains(env.Scope.SQL, "user_id") || c.q.DepartmentRoot != 0 && slices.Contains(c.dims, "department_current")
	for _, d := range dims {
		person = person || d == "person" || d == "department_current"
	}
	for _, i := range leaves {
		if a := c.plan.leaves[i]; a.Func == "records" && c.recordsCol(env, a, grouped) == "rec_user" {
			person = true
		}
	}
	if person {
		return "facts_monthly"
	}
	return "facts_monthly_dept"
}

// rollupFrom reads a rollup table as facts f: its missing ids (0) are
// NULL again, so every dimension, filter and scope reads it as it reads
// the facts.
func rollupFrom(table string) string {
	return "(SELECT tenant_id, kind, role, day, NULLIF(user_id, 0) AS user_id, NULLIF(department_id, 0) AS department_id, attr, stage," +
		" NULLIF(process_id, 0) AS process_id, NULLIF(product_id, 0) AS product_id, cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user FROM " +
		table + ") f"
}

// recordsCol is the rollup column whose sum is the count of records a
// (func records) in a statement, or "" when no rollup column is exact
// (docs/FACTS.md, "Counts of records"). Its kinds must have one event per
// record (several kinds: of one family, a record having one of them) and
// its credit one role (owner with the uncredited facts, or another). Then
// each row of a statement grouped by person is one person's, whose records
// rec_user counts. Without a person in the rows, rec counts each record
// once, unless the statement keeps some of a record's credited facts and
// not others — a department or scope, or several people; one person is
// again rec_user.
func (c *compiled) recordsCol(env *Env, a *Agg, grouped bool) string {
	if len(a.Kinds) == 0 || c.aggRoles(a) == nil {
		return ""
	}
	for _, k := range a.Kinds {
		if !slices.Contains(facts.RecordKinds, k) {
			return ""
		}
	}
	if len(a.Kinds) > 1 && !slices.ContainsFunc(facts.RecordFamilies, func(fam []string) bool {
		for _, k := range a.Kinds {
			if !slices.Contains(fam, k) {
				return false
			}
		}
		return true
	}) {
		return ""
	}
	if grouped && slices.Contains(c.dims, "person") {
		return "rec_user"
	}
	// A department root restricts every statement of a query grouped by a
	// department to the root's subtree, its total too.
	if env.Scope.SQL != "" || c.q.DepartmentRoot != 0 && slices.ContainsFunc(c.dims, func(d string) bool { return dimensions[d].dept }) {
		return ""
	}
	if grouped {
		for _, d := range c.dims {
			if dimensions[d].dept {
				return ""
			}
		}
	}
	col := "rec"
	for _, f := range c.filters {
		switch {
		case dimensions[f.Dimension].dept:
			return ""
		case f.Dimension == "person":
			if len(f.Values) > 1 || col == "rec_user" {
				return ""
			}
			col = "rec_user"
		}
	}
	return col
}

// rollupAggSQL is aggSQL over a rollup: each aggregate is the sum of the
// rollup column holding it.
func (c *compiled) rollupAggSQL(e store.Engine, env *Env, a *Agg, cond string, grouped bool) string {
	col := "f.cnt"
	if a.Ended && a.Func == "count" {
		col = "f.n"
	}
	switch a.Func {
	case "records":
		col = "f." + c.recordsCol(env, a, grouped)
	case "weight":
		col = "f.share_bp"
		if a.Ended {
			col = "f.n_bp" // the ended stays (rollupable)
		}
	case "sum":
		switch a.Field {
		case "amount":
			col = "f.amount_bp"
		case "duration_s":
			col = "f.duration_s"
		case "n":
			col = "f.n"
		}
	case "credited":
		switch a.Field {
		case "":
			col = "f.share_bp"
		case "amount":
			col = "f.amount_bp"
		case "duration_s":
			col = "f.duration_bp"
		case "n":
			col = "f.n_bp"
		}
	}
	if cond != "" {
		col = "CASE WHEN " + cond + " THEN " + col + " END"
	}
	if e == store.Postgres {
		return "CAST(SUM(" + col + ") AS DOUBLE PRECISION)"
	}
	return "TOTAL(" + col + ")"
}

// stageEntries reports whether a is a count of the opportunities that
// entered a stage (records of opportunity.stage_entered, no condition on
// other facts): such an aggregate is a statement of its own (groups), so
// that the days in stage beside it read the rollups and it reads
// facts_stage_monthly where that is exact.
func stageEntries(a *Agg) bool {
	return a.Func == "records" && len(a.Kinds) == 1 && a.Kinds[0] == kStageEntered && a.Later == nil && a.AsOf == "" && a.Ref == "" && !a.Ended &&
		len(a.Attr) == 0 && a.Quiet == 0 && !a.Repeat && !a.Unrenewed && !a.Accurate
}

// stageSince is the column of facts_stage_monthly (docs/FACTS.md, "Stage
// entries") whose entries before the period answer the stage entries a in
// a statement over [from, to), or "" when only the facts answer: the
// period is whole months, the credit is one role, no scope, person or
// department keeps some of an entry's facts and not others, and every
// dimension and filter is the stage, the process or the month. Each row
// counting one stage (a stage dimension, a one-stage filter or the
// aggregate's own stage) reads since_stage, else since_any.
func (c *compiled) stageSince(env *Env, from, to time.Time, a *Agg, grouped bool) string {
	if env.RawFacts || env.Records.SQL != "" || env.Scope.SQL != "" || c.q.Subtrees || !stageEntries(a) || c.aggRoles(a) == nil ||
		from.Day() != 1 || to.Day() != 1 {
		return ""
	}
	if c.q.DepartmentRoot != 0 && slices.ContainsFunc(c.dims, func(d string) bool { return dimensions[d].dept }) {
		return "" // the root restricts every statement to its subtree
	}
	stage := a.Stage != ""
	if grouped {
		for _, d := range c.dims {
			switch d {
			case "stage":
				stage = true
			case "process", "month":
			default:
				return ""
			}
		}
	}
	some := false // a filter keeps some stages, not one
	for _, f := range c.filters {
		switch f.Dimension {
		case "stage":
			stage = stage || len(f.Values) == 1
			some = some || len(f.Values) > 1
		case "process":
		default:
			return ""
		}
	}
	switch {
	case stage:
		return "since_stage"
	case some:
		// An opportunity's first entry of the period may be into a stage
		// the filter leaves out.
		return ""
	}
	return "since_any"
}

// stageSQL is the statement of the stage entries a over [from, to) from
// facts_stage_monthly: the entries of the period (of the row's month, by
// month) whose since column is before its start, one per opportunity.
func (c *compiled) stageSQL(e store.Engine, env *Env, from, to time.Time, grouped bool, a *Agg, since string) (string, []any) {
	rollupReads.Add(1)
	var sel []string
	var args []any
	joins := map[byte]bool{}
	start := strconv.FormatInt(dayNum(from), 10)
	if grouped {
		for _, d := range c.dims {
			if d == "month" {
				start = "f.day"
			}
			sel = append(sel, c.dimSQL(env, d, joins, from, to))
		}
	}
	nd := len(sel)
	if e == store.Postgres {
		sel = append(sel, "CAST(SUM(f.rec) AS DOUBLE PRECISION)")
	} else {
		sel = append(sel, "TOTAL(f.rec)")
	}
	var where []string
	rs := c.aggRoles(a)
	if e == store.SQLite {
		where = []string{"f.tenant_id = " + strconv.FormatInt(int64(env.TenantID), 10), "f.day >= " + strconv.FormatInt(dayNum(from), 10),
			"f.day < " + strconv.FormatInt(dayNum(to), 10)}
		quoted := make([]string, len(rs))
		for i, r := range rs {
			quoted[i] = sqlString(r)
		}
		slices.Sort(quoted)
		where = append(where, "f.role IN ("+strings.Join(quoted, ", ")+")")
	} else {
		where = []string{"f.tenant_id = ?", "f.day >= ?", "f.day < ?", "f.role IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(rs)), ", ") + ")"}
		args = append(args, int64(env.TenantID), dayNum(from), dayNum(to))
		for _, r := range rs {
			args = append(args, r)
		}
	}
	where = append(where, "f."+since+" < "+start)
	if a.Stage != "" {
		where, args = append(where, "f.stage = ?"), append(args, a.Stage)
	}
	fw, fargs := c.filterSQL(env, joins)
	where, args = append(where, fw...), append(args, fargs...)
	s := "SELECT " + strings.Join(sel, ", ") + " FROM (SELECT tenant_id, role, day, stage, NULLIF(process_id, 0) AS process_id, since_stage, since_any, rec FROM " +
		facts.StageRollup + ") f WHERE " + strings.Join(where, " AND ")
	if nd > 0 {
		pos := make([]string, nd)
		for i := range pos {
			pos[i] = strconv.Itoa(i + 1)
		}
		s += " GROUP BY " + strings.Join(pos, ", ")
	}
	return s, args
}

// onePerson reports whether the data scope is one person's facts (the own
// scope): facts_user_day (tenant, person, kind, day) reads only theirs,
// fewer rows than any rollup, which holds every person's rows of the
// period (BENCHMARKS.md, "The funnel from rollups").
func onePerson(env *Env) bool {
	return env.Scope.SQL == ownScopeSQL
}

var ownScopeSQL = Scope(cohort.Access{Scope: cohort.ScopeOwn}).SQL

// laterRecords reports whether a is a count of the records of a kind of
// facts.LaterKinds with a later fact of its later kind (a ticket opened
// and resolved: Later of that one kind, no stage, by the period's end or
// not) and no other condition: such an aggregate is a statement of its
// own (groups), which reads facts_later_monthly where that is exact.
func laterRecords(a *Agg) bool {
	if a.Func != "records" || len(a.Kinds) != 1 || a.Later == nil || len(a.Later.Kinds) != 1 || a.Later.Stage != "" {
		return false
	}
	return facts.LaterKinds[a.Kinds[0]] == a.Later.Kinds[0] && a.AsOf == "" && a.Ref == "" && !a.Ended && len(a.Attr) == 0 && a.Stage == "" &&
		a.Quiet == 0 && !a.Repeat && !a.Unrenewed && !a.Accurate
}

// laterRollup reports whether facts_later_monthly (docs/FACTS.md, "Later
// facts") answers the records a in a statement over [from, to): the
// period is whole months, the credit is one role, no scope, person or
// department keeps some of a record's facts and not others, and every
// dimension is a time bucket of whole months; no filter. A record's rec is
// on one fact per credit role, which carries the day of its later fact.
func (c *compiled) laterRollup(env *Env, from, to time.Time, a *Agg, grouped bool) bool {
	if env.RawFacts || env.Records.SQL != "" || env.Scope.SQL != "" || c.q.Subtrees || !laterRecords(a) || c.aggRoles(a) == nil ||
		from.Day() != 1 || to.Day() != 1 || len(c.filters) > 0 {
		return false
	}
	if grouped {
		for _, d := range c.dims {
			if !slices.Contains(timeDims, d) || d == "day" || d == "week" {
				return false
			}
		}
	}
	return true
}

// laterSQL is the statement of the records a over [from, to) from
// facts_later_monthly: the rows of the period's months whose later month
// is set (and before to, by the period's end).
func (c *compiled) laterSQL(e store.Engine, env *Env, from, to time.Time, grouped bool, a *Agg) (string, []any) {
	rollupReads.Add(1)
	var sel []string
	joins := map[byte]bool{}
	if grouped {
		for _, d := range c.dims {
			sel = append(sel, c.dimSQL(env, d, joins, from, to))
		}
	}
	nd := len(sel)
	// A row of records none of which has its later fact is 0, as from
	// the facts: the condition is in the sum.
	var args []any
	cond := "f.later > 0"
	if a.Later.ByEnd {
		cond, args = cond+" AND f.later < ?", append(args, dayNum(to))
	}
	if e == store.Postgres {
		sel = append(sel, "CAST(SUM(CASE WHEN "+cond+" THEN f.rec ELSE 0 END) AS DOUBLE PRECISION)")
	} else {
		sel = append(sel, "TOTAL(CASE WHEN "+cond+" THEN f.rec ELSE 0 END)")
	}
	rs := c.aggRoles(a)
	where := []string{"f.tenant_id = ?", "f.kind = ?", "f.day >= ?", "f.day < ?", "f.role IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(rs)), ", ") + ")"}
	args = append(args, int64(env.TenantID), a.Kinds[0], dayNum(from), dayNum(to))
	for _, r := range rs {
		args = append(args, r)
	}
	s := "SELECT " + strings.Join(sel, ", ") + " FROM " + facts.LaterRollup + " f WHERE " + strings.Join(where, " AND ")
	if nd > 0 {
		pos := make([]string, nd)
		for i := range pos {
			pos[i] = strconv.Itoa(i + 1)
		}
		s += " GROUP BY " + strings.Join(pos, ", ")
	}
	return s, args
}
