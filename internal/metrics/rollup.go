package metrics

import (
	"slices"
	"strings"
	"sync/atomic"
	"time"

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
	if env.RawFacts || env.Records.SQL != "" {
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
	switch a.Func {
	case "records":
		col = "f." + c.recordsCol(env, a, grouped)
	case "weight":
		col = "f.share_bp"
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
