package api_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
	"github.com/xuri/excelize/v2"
)

// addCredit writes a fact credited to user in role with a share (basis
// points), by hand: the projection is tested on its own.
func addCredit(t *testing.T, db *store.DB, tenant cohort.ID, kind, date string, rec int64, user cohort.User, role string, shareBP int, amount int64) {
	t.Helper()
	d, _ := time.Parse("2006-01-02", date)
	day := d.Unix() / 86400
	err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ExecContext(context.Background(), `INSERT INTO facts (tenant_id, id, kind, occurred_at, day, source_type, source_id, record_type, record_id,
			user_id, role, share_bp, department_id, amount, attr) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			int64(tenant), db.NewID(), kind, day*86400000, day, "x", rec, "x", rec, int64(user.ID), role, shareBP, int64(user.DepartmentID), amount, "")
		if err != nil {
			return err
		}
		return facts.RebuildRollups(context.Background(), tx, tenant)
	})
	if err != nil {
		t.Fatal(err)
	}
}

type goalRule struct {
	ID      cohort.ID `json:"id"`
	Version int       `json:"version"`
	Role    string    `json:"role"`
}

type goalCell struct {
	Value       *float64 `json:"value"`
	Target      *float64 `json:"target"`
	PeriodsSum  *float64 `json:"periods_sum"`
	SubjectsSum *float64 `json:"subjects_sum"`
	Locked      bool     `json:"locked"`
}

type goalGrid struct {
	Periods []struct {
		Key, Kind, From, To, Parent string
		Locked                      bool
	} `json:"periods"`
	Subjects []struct {
		Key, Kind, Label, Parent string
	} `json:"subjects"`
	Cells    map[string]map[string]goalCell `json:"cells"`
	Warnings []struct {
		Subject, Period, Along string
		Value                  float64 `json:"value"`
		ChildrenSum            float64 `json:"children_sum"`
	} `json:"warnings"`
}

type goalRow struct {
	Subject        string   `json:"subject"`
	Actual         *float64 `json:"actual"`
	Target         *float64 `json:"target"`
	CompletionRate *float64 `json:"completion_rate"`
	Gap            *float64 `json:"gap"`
	Band           *string  `json:"band"`
	Forecast       *float64 `json:"forecast"`
	Rank           *int     `json:"rank"`
	Peers          int      `json:"peers"`
	FrozenActual   *float64 `json:"frozen_actual"`
	Difference     *float64 `json:"difference"`
	Trend          []struct {
		Period string   `json:"period"`
		Actual *float64 `json:"actual"`
		Target *float64 `json:"target"`
	} `json:"trend"`
}

type goalCompletion struct {
	Period struct {
		Key, From, To string
	} `json:"period"`
	TimeProgress float64   `json:"time_progress"`
	Rows         []goalRow `json:"rows"`
}

func (c goalCompletion) row(t *testing.T, subject string) goalRow {
	t.Helper()
	for _, r := range c.Rows {
		if r.Subject == subject {
			return r
		}
	}
	t.Fatalf("no completion row %s in %+v", subject, c.Rows)
	return goalRow{}
}

func num(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-6 {
		if got == nil {
			t.Fatalf("%s = null, want %v", what, want)
		}
		t.Fatalf("%s = %v, want %v", what, *got, want)
	}
}

func (g goalGrid) value(subject, period string) *float64 { return g.Cells[subject][period].Value }

func dept(id cohort.ID) string    { return "department:" + id.String() }
func person(u cohort.User) string { return "person:" + u.ID.String() }

// TestGoalsGolden sets goals on a hand-built dataset and checks every
// figure against numbers computed by hand, for the owner's credit and the
// presales credit.
func TestGoalsGolden(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		tid := o.tenant.ID
		// Contracts signed. C1: Alice owns, 售前小孙 supports as presales.
		// C2: Bob and Alice own half each, 小孙 supports. C3: Bob alone.
		addCredit(t, db, tid, "contract.signed", "2026-01-15", 1, o.aliceU, "owner", 10000, 100000)
		addCredit(t, db, tid, "contract.signed", "2026-01-15", 1, o.preU, "presales", 10000, 100000)
		addCredit(t, db, tid, "contract.signed", "2026-02-20", 2, o.bobU, "owner", 5000, 60000)
		addCredit(t, db, tid, "contract.signed", "2026-02-20", 2, o.aliceU, "owner", 5000, 60000)
		addCredit(t, db, tid, "contract.signed", "2026-02-20", 2, o.preU, "presales", 10000, 60000)
		addCredit(t, db, tid, "contract.signed", "2026-02-25", 3, o.bobU, "owner", 10000, 40000)
		// Last year: Alice 30000 in January and 10000 in February.
		addCredit(t, db, tid, "contract.signed", "2025-01-10", 4, o.aliceU, "owner", 10000, 30000)
		addCredit(t, db, tid, "contract.signed", "2025-02-10", 5, o.aliceU, "owner", 10000, 10000)

		var owner, pres goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约金额", "metric": "signed_amount", "subject_type": "department", "cycle": "month"}, &owner)
		if owner.Role != "owner" {
			t.Fatalf("default role %q", owner.Role)
		}
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "售前支持签约", "metric": "signed_amount", "role": "presales", "subject_type": "person", "cycle": "quarter"}, &pres)
		base := "/api/v1/goal-rules/" + owner.ID.String()
		sales := dept(o.aliceU.DepartmentID)

		o.admin.must(200, "PUT", base+"/values", map[string]any{"cells": []map[string]any{{"subject": sales, "period": "FY2026", "value": 1200000}}}, nil)
		// A dry run previews and writes nothing.
		var prev struct {
			Total   float64 `json:"total"`
			Applied bool    `json:"applied"`
			Cells   []struct {
				Subject, Period string
				New             float64 `json:"new"`
			} `json:"cells"`
		}
		split := map[string]any{"subject": sales, "period": "FY2026", "along": "periods", "to": "month", "method": "even", "dry_run": true}
		o.admin.must(200, "POST", base+"/split", split, &prev)
		if prev.Applied || len(prev.Cells) != 16 || prev.Cells[0].Period != "2026-01" || prev.Cells[0].New != 100000 || prev.Cells[12].Period != "FY2026-Q1" || prev.Cells[12].New != 300000 {
			t.Fatalf("preview %+v", prev)
		}
		var g goalGrid
		o.admin.must(200, "GET", base+"/grid?year=2026", nil, &g)
		if g.value(sales, "2026-01") != nil {
			t.Fatal("a dry run wrote values")
		}
		split["dry_run"] = false
		o.admin.must(200, "POST", base+"/split", split, &prev)
		if !prev.Applied {
			t.Fatal("not applied")
		}
		// Weights that do not add up: 422, nothing changed.
		bad := map[string]any{"subject": sales, "period": "FY2026", "along": "subjects", "method": "weights",
			"weights": map[string]any{person(o.mgrU): 20, person(o.aliceU): 50, person(o.bobU): 20}}
		if r := o.admin.do("POST", base+"/split", bad, nil); r.status != 422 {
			t.Fatalf("weights adding to 90: %d %s", r.status, r.body)
		}
		bad["weights"].(map[string]any)[person(o.bobU)] = 30
		o.admin.must(200, "POST", base+"/split", bad, &prev)
		got := map[string]float64{}
		for _, c := range prev.Cells {
			got[c.Subject] = c.New
		}
		if len(got) != 3 || got[person(o.aliceU)] != 600000 || got[person(o.bobU)] != 360000 || got[person(o.mgrU)] != 240000 {
			t.Fatalf("weights split %+v", prev)
		}
		// Alice's year in the shape of last year's actuals (¾ January, ¼
		// February); Bob's evenly.
		o.admin.must(200, "POST", base+"/split", map[string]any{"subject": person(o.aliceU), "period": "FY2026", "along": "periods", "to": "month", "method": "last_year"}, &prev)
		o.admin.must(200, "POST", base+"/split", map[string]any{"subject": person(o.bobU), "period": "FY2026", "along": "periods", "to": "month", "method": "even"}, &prev)
		o.admin.must(200, "GET", base+"/grid?year=2026", nil, &g)
		num(t, "alice 2026-01", g.value(person(o.aliceU), "2026-01"), 450000)
		num(t, "alice 2026-02", g.value(person(o.aliceU), "2026-02"), 150000)
		num(t, "alice 2026-03", g.value(person(o.aliceU), "2026-03"), 0)
		num(t, "alice Q1", g.value(person(o.aliceU), "FY2026-Q1"), 600000)
		num(t, "bob 2026-05", g.value(person(o.bobU), "2026-05"), 30000)
		// Roll-ups: the department's January is 100000; its people add up
		// to 450000 + 30000 (the manager has no monthly target): a warning
		// along subjects. Its year equals its people's years: no warning.
		cell := g.Cells[sales]["2026-01"]
		num(t, "sales 2026-01 subjects sum", cell.SubjectsSum, 480000)
		num(t, "sales FY periods sum", g.Cells[sales]["FY2026"].PeriodsSum, 1200000)
		num(t, "company (root) FY target", g.Cells[dept(o.rootID(t))]["FY2026"].Target, 1200000)
		warned := func(subject, period, along string) bool {
			for _, w := range g.Warnings {
				if w.Subject == subject && w.Period == period && w.Along == along {
					return true
				}
			}
			return false
		}
		if !warned(sales, "2026-01", "subjects") || warned(sales, "FY2026", "subjects") || warned(sales, "FY2026", "periods") {
			t.Fatalf("warnings %+v", g.Warnings)
		}
		// Bob's March typed over: his quarter no longer adds up.
		o.admin.must(200, "PUT", base+"/values", map[string]any{"cells": []map[string]any{{"subject": person(o.bobU), "period": "2026-03", "value": 50000}}}, nil)
		o.admin.must(200, "GET", base+"/grid?year=2026", nil, &g)
		if !warned(person(o.bobU), "FY2026-Q1", "periods") {
			t.Fatalf("no warning for bob's quarter: %+v", g.Warnings)
		}
		num(t, "bob Q1 periods sum", g.Cells[person(o.bobU)]["FY2026-Q1"].PeriodsSum, 110000)

		// Completion, owner credit, Q1 as of 14 February (45 of 90 days).
		var c goalCompletion
		o.admin.must(200, "GET", base+"/completion?period=FY2026-Q1&as_of=2026-02-14&trend=2", nil, &c)
		if c.TimeProgress != 0.5 || c.Period.From != "2026-01-01" || c.Period.To != "2026-04-01" {
			t.Fatalf("period %+v progress %v", c.Period, c.TimeProgress)
		}
		a := c.row(t, person(o.aliceU))
		num(t, "alice actual", a.Actual, 130000) // 100000 + half of 60000
		num(t, "alice target", a.Target, 600000)
		num(t, "alice rate", a.CompletionRate, 0.216667)
		num(t, "alice gap", a.Gap, 470000)
		b := c.row(t, person(o.bobU))
		num(t, "bob actual", b.Actual, 70000) // half of 60000 + 40000
		num(t, "bob rate", b.CompletionRate, 0.777778)
		if *a.Band != "below" || *b.Band != "below" || *b.Rank != 1 || *a.Rank != 2 || a.Peers != 3 || c.row(t, person(o.mgrU)).Rank != nil {
			t.Fatalf("bands/ranks alice %+v bob %+v", a, b)
		}
		// Forecast = (actual + weighted pipeline expected to close after the
		// as-of day and before the period's end) ÷ target. Alice has no open
		// opportunity yet: her forecast is her completion.
		num(t, "alice forecast, no pipeline", a.Forecast, 0.216667)
		// Alice's open opportunities: 200000 at 50 % on 10 March counts
		// (100000); 80000 on 1 February (before the as-of day) and 90000 on
		// 10 April (after the quarter) do not. (130000 + 100000) ÷ 600000.
		addOpen := func(date string, rec int64, amount int64, pct int) {
			t.Helper()
			d, _ := time.Parse("2006-01-02", date)
			day := d.Unix() / 86400
			if err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
				if _, err := tx.ExecContext(context.Background(), `INSERT INTO facts (tenant_id, id, kind, occurred_at, day, source_type, source_id, record_type, record_id,
					user_id, role, share_bp, department_id, amount, n, attr) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
					int64(tid), db.NewID(), "opportunity.open", day*86400000, day, "x", rec, "x", rec, int64(o.aliceU.ID), "owner", 10000, int64(o.aliceU.DepartmentID), amount, pct, "pipeline"); err != nil {
					return err
				}
				return facts.RebuildRollups(context.Background(), tx, tid)
			}); err != nil {
				t.Fatal(err)
			}
		}
		addOpen("2026-03-10", 91, 200000, 50)
		addOpen("2026-02-01", 92, 80000, 50)
		addOpen("2026-04-10", 93, 90000, 50)
		o.admin.must(200, "GET", base+"/completion?period=FY2026-Q1&as_of=2026-02-14&trend=2", nil, &c)
		a, b = c.row(t, person(o.aliceU)), c.row(t, person(o.bobU))
		num(t, "alice forecast", a.Forecast, 0.383333)
		num(t, "alice actual unchanged by the pipeline", a.Actual, 130000)
		num(t, "bob forecast", b.Forecast, 0.777778)
		if len(b.Trend) != 3 || b.Trend[0].Period != "FY2025-Q3" || b.Trend[2].Period != "FY2026-Q1" {
			t.Fatalf("trend %+v", b.Trend)
		}
		s := c.row(t, sales)
		num(t, "sales actual", s.Actual, 200000)
		num(t, "sales rate", s.CompletionRate, 0.666667)
		num(t, "presales dept actual", c.row(t, dept(o.preU.DepartmentID)).Actual, 0)
		// February: Bob is above (70000 of 30000), Alice on track? 30000
		// of 150000 is below.
		o.admin.must(200, "GET", base+"/completion?period=2026-02&subject="+url.QueryEscape(person(o.bobU))+"&subject="+url.QueryEscape(person(o.aliceU)), nil, &c)
		if len(c.Rows) != 2 || *c.row(t, person(o.bobU)).Band != "above" || *c.row(t, person(o.aliceU)).Band != "below" {
			t.Fatalf("february %+v", c.Rows)
		}

		// A month's trend (the months before it, read in one query) is
		// each of those months asked alone.
		o.admin.must(200, "GET", base+"/completion?period=2026-03&trend=2", nil, &c)
		alone := map[string]goalCompletion{}
		for _, m := range []string{"2026-01", "2026-02"} {
			var one goalCompletion
			o.admin.must(200, "GET", base+"/completion?period="+m, nil, &one)
			alone[m] = one
		}
		nonzero := 0
		for _, r := range c.Rows {
			if len(r.Trend) != 3 || r.Trend[0].Period != "2026-01" || r.Trend[1].Period != "2026-02" {
				t.Fatalf("%s trend %+v", r.Subject, r.Trend)
			}
			for _, pt := range r.Trend[:2] {
				want := alone[pt.Period].row(t, r.Subject).Actual
				if (pt.Actual == nil) != (want == nil) || pt.Actual != nil && *pt.Actual != *want {
					t.Fatalf("%s %s: trend %v, alone %v", r.Subject, pt.Period, pt.Actual, want)
				}
				if pt.Actual != nil && *pt.Actual != 0 {
					nonzero++
				}
			}
		}
		if nonzero == 0 {
			t.Fatal("no actual in January or February: the comparison checks nothing")
		}

		// Presales credit: what 小孙 supported, not what Alice owned.
		pbase := "/api/v1/goal-rules/" + pres.ID.String()
		o.admin.must(200, "PUT", pbase+"/values", map[string]any{"cells": []map[string]any{{"subject": person(o.preU), "period": "FY2026", "value": 800000}}}, nil)
		o.admin.must(200, "POST", pbase+"/split", map[string]any{"subject": person(o.preU), "period": "FY2026", "along": "periods", "method": "even"}, nil)
		o.admin.must(200, "GET", pbase+"/completion?period=FY2026-Q1", nil, &c)
		p := c.row(t, person(o.preU))
		num(t, "presales actual", p.Actual, 160000)
		num(t, "presales target", p.Target, 200000)
		num(t, "presales rate", p.CompletionRate, 0.8)
		if *p.Band != "on_track" {
			t.Fatalf("80 %% is on track: %v", *p.Band)
		}
		num(t, "alice as presales", c.row(t, person(o.aliceU)).Actual, 0)
		if c.row(t, person(o.aliceU)).CompletionRate != nil {
			t.Fatal("a rate without a target")
		}

		// Locks: a locked quarter refuses its months, and nothing changes.
		o.admin.must(204, "POST", base+"/locks", map[string]any{"period": "FY2026-Q1"}, nil)
		var changes cohort.Page[struct {
			Subject string   `json:"subject"`
			Old     *float64 `json:"old"`
			New     *float64 `json:"new"`
			Source  string   `json:"source"`
		}]
		o.admin.must(200, "GET", base+"/changes", nil, &changes)
		n := len(changes.Items)
		if n == 0 || changes.Items[0].Subject != person(o.bobU) || *changes.Items[0].Old != 30000 || *changes.Items[0].New != 50000 || changes.Items[0].Source != "edit" {
			t.Fatalf("change log %+v", changes.Items)
		}
		edit := map[string]any{"cells": []map[string]any{{"subject": person(o.bobU), "period": "2026-06", "value": 1}, {"subject": person(o.bobU), "period": "2026-02", "value": 1}}}
		if r := o.admin.do("PUT", base+"/values", edit, nil); r.status != 409 {
			t.Fatalf("locked edit: %d %s", r.status, r.body)
		}
		if r := o.admin.do("POST", base+"/split", map[string]any{"subject": sales, "period": "FY2026", "along": "periods", "to": "month", "method": "even"}, nil); r.status != 409 {
			t.Fatalf("split into a locked quarter: %d %s", r.status, r.body)
		}
		o.admin.must(200, "GET", base+"/changes", nil, &changes)
		o.admin.must(200, "GET", base+"/grid?year=2026", nil, &g)
		if len(changes.Items) != n || *g.value(person(o.bobU), "2026-06") != 30000 || !g.Cells[sales]["2026-02"].Locked {
			t.Fatalf("a refused edit changed something: %d changes", len(changes.Items))
		}
		o.admin.must(204, "DELETE", base+"/locks/FY2026-Q1", nil, nil)
		o.admin.must(200, "PUT", base+"/values", edit, nil)

		// Freezing a month keeps its actuals; a late contract shows as
		// the difference, and the time zone can no longer change.
		o.admin.must(204, "POST", base+"/locks", map[string]any{"period": "2026-01", "freeze": true}, nil)
		addCredit(t, db, tid, "contract.signed", "2026-01-30", 6, o.aliceU, "owner", 10000, 5000)
		o.admin.must(200, "GET", base+"/completion?period=2026-01&subject="+url.QueryEscape(person(o.aliceU)), nil, &c)
		a = c.row(t, person(o.aliceU))
		num(t, "frozen", a.FrozenActual, 100000)
		num(t, "actual after a late contract", a.Actual, 105000)
		num(t, "difference", a.Difference, 5000)
		if r := o.admin.do("PATCH", "/api/v1/tenant/settings", map[string]any{"time_zone": "Europe/Berlin"}, nil); r.status != 422 {
			t.Fatalf("time zone change under frozen goals: %d %s", r.status, r.body)
		}
		if r := o.admin.do("DELETE", base, nil, nil); r.status != 409 {
			t.Fatalf("delete a rule with a frozen period: %d", r.status)
		}

		// Salespeople read goals, do not set them.
		o.alice.must(200, "GET", base+"/completion?period=2026-02", nil, nil)
		if r := o.alice.do("PUT", base+"/values", edit, nil); r.status != 403 {
			t.Fatalf("salesperson sets goals: %d", r.status)
		}
	})
}

// rootID is the organisation's top department.
func (o *salesOrg) rootID(t *testing.T) cohort.ID {
	var depts cohort.Page[cohort.Department]
	o.admin.must(200, "GET", "/api/v1/departments", nil, &depts)
	for _, d := range depts.Items {
		if d.ParentID == 0 {
			return d.ID
		}
	}
	t.Fatal("no root department")
	return 0
}

// TestGoalsBadInput: every bad input is a 422 (or 404 for another
// tenant's rule) and changes nothing.
func TestGoalsBadInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "x", "metric": "no_such_metric", "subject_type": "person", "cycle": "month"}, "metric"},
			{map[string]any{"name": "x", "metric": "followups", "role": "presales", "subject_type": "person", "cycle": "week"}, "role"},
			{map[string]any{"name": "x", "metric": "signed_amount", "role": "astronaut", "subject_type": "person", "cycle": "month"}, "role"},
			{map[string]any{"name": "x", "metric": "signed_amount", "subject_type": "planet", "cycle": "month"}, "subject_type"},
			{map[string]any{"name": "x", "metric": "signed_amount", "subject_type": "person", "cycle": "decade"}, "cycle"},
			{map[string]any{"name": "x", "metric": "signed_amount", "subject_type": "person", "cycle": "month", "departments": []string{"42"}}, "departments[0]"},
			{map[string]any{"name": "x", "metric": "signed_amount", "subject_type": "person", "cycle": "month", "filters": []map[string]any{{"dimension": "planet", "values": []string{"x"}}}}, "filters[0].dimension"},
		} {
			r := o.admin.do("POST", "/api/v1/goal-rules", c.body, nil)
			if r.status != 422 {
				t.Fatalf("%v: %d %s", c.body, r.status, r.body)
			}
			if p := r.problem(t); len(p.Errors) == 0 || p.Errors[0].Field != c.field {
				t.Fatalf("%v: fields %+v, want %s", c.body, p.Errors, c.field)
			}
		}
		// Follow-ups are credited to their author: a goal of the owner
		// role (the person the metric credits) is fine.
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "拜访", "metric": "visits", "subject_type": "person", "cycle": "week"}, nil)
		var rules cohort.Page[goalRule]
		o.admin.must(200, "GET", "/api/v1/goal-rules", nil, &rules)
		if len(rules.Items) != 1 {
			t.Fatalf("%d rules after bad input", len(rules.Items))
		}

		var r goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约", "metric": "signed_amount", "subject_type": "department", "cycle": "month"}, &r)
		base := "/api/v1/goal-rules/" + r.ID.String()
		alice := person(o.aliceU)
		o.admin.must(200, "PUT", base+"/values", map[string]any{"cells": []map[string]any{{"subject": alice, "period": "FY2026", "value": 1000}}}, nil)
		for _, cells := range [][]map[string]any{
			{{"subject": alice, "period": "2026-01", "value": -5}},
			{{"subject": alice, "period": "2026-01", "value": "abc"}},
			{{"subject": alice, "period": "2026-01", "value": 12.5}}, // money in minor units
			{{"subject": alice, "period": "2026-13", "value": 5}},
			{{"subject": "person:1", "period": "2026-01", "value": 5}},
			{{"subject": alice, "period": "W2026-01-05", "value": 5}}, // weeks are not in a month rule
			{{"subject": alice, "period": "2026-02", "value": 5}, {"subject": alice, "period": "2026-01", "value": true}},
		} {
			if res := o.admin.do("PUT", base+"/values", map[string]any{"cells": cells}, nil); res.status != 422 {
				t.Fatalf("%v: %d %s", cells, res.status, res.body)
			}
		}
		// A bad split: weights on a stranger, a ratio metric.
		if res := o.admin.do("POST", base+"/split", map[string]any{"subject": alice, "period": "FY2026", "along": "periods", "method": "weights",
			"weights": map[string]any{"2026-01": 100}}, nil); res.status != 422 {
			t.Fatalf("weights missing months: %d %s", res.status, res.body)
		}
		if res := o.admin.do("POST", base+"/split", map[string]any{"subject": alice, "period": "FY2026", "along": "sideways", "method": "even"}, nil); res.status != 422 {
			t.Fatalf("bad along: %d", res.status)
		}
		var g goalGrid
		o.admin.must(200, "GET", base+"/grid?year=2026", nil, &g)
		for p := range g.Cells[alice] {
			if v := g.value(alice, p); p != "FY2026" && v != nil {
				t.Fatalf("bad input wrote %s = %v", p, *v)
			}
		}
		if res := o.admin.do("GET", base+"/grid?year=abc", nil, nil); res.status != 422 {
			t.Fatalf("year abc: %d", res.status)
		}
		if res := o.admin.do("GET", base+"/completion?period=2026-Q9", nil, nil); res.status != 422 {
			t.Fatalf("bad period: %d", res.status)
		}
		var rate goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "赢率", "metric": "win_rate", "subject_type": "person", "cycle": "quarter"}, &rate)
		o.admin.must(200, "PUT", "/api/v1/goal-rules/"+rate.ID.String()+"/values", map[string]any{"cells": []map[string]any{{"subject": alice, "period": "FY2026", "value": 0.35}}}, nil)
		if res := o.admin.do("POST", "/api/v1/goal-rules/"+rate.ID.String()+"/split", map[string]any{"subject": alice, "period": "FY2026", "along": "periods", "method": "even"}, nil); res.status != 422 {
			t.Fatalf("splitting a rate: %d %s", res.status, res.body)
		}

		// Another tenant's rule is not found, whatever is asked.
		other := o.env.login("admin@acme.test", adminPassword)
		_, _ = o.env.newTenant("globex", "boss@globex.test")
		boss := o.env.login("boss@globex.test", adminPassword)
		for _, path := range []string{base, base + "/grid?year=2026", base + "/completion?period=2026-01", base + "/changes", base + "/sheet?year=2026"} {
			if res := boss.do("GET", path, nil, nil); res.status != 404 {
				t.Fatalf("GET %s across tenants: %d", path, res.status)
			}
		}
		if res := boss.do("PUT", base+"/values", map[string]any{"cells": []map[string]any{{"subject": alice, "period": "FY2026", "value": 1}}}, nil); res.status != 404 {
			t.Fatalf("PUT across tenants: %d", res.status)
		}
		other.must(200, "GET", base+"/grid?year=2026", nil, &g)
		num(t, "alice FY after everything", g.value(alice, "FY2026"), 1000)
	})
}

// TestGoalsFiscalAprilAndWeeks: a fiscal year starting in April, and a
// weekly rule whose last week crosses the calendar year.
func TestGoalsFiscalAprilAndWeeks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		o.admin.must(200, "PATCH", "/api/v1/tenant/settings", map[string]any{"fiscal_year_start_month": 4}, nil)
		tid := o.tenant.ID
		addCredit(t, db, tid, "contract.signed", "2026-03-15", 1, o.aliceU, "owner", 10000, 7000)
		addCredit(t, db, tid, "contract.signed", "2026-04-10", 2, o.aliceU, "owner", 10000, 11000)
		var r goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约", "metric": "signed_amount", "subject_type": "person", "cycle": "month"}, &r)
		base := "/api/v1/goal-rules/" + r.ID.String()
		var g goalGrid
		o.admin.must(200, "GET", base+"/grid?year=2026", nil, &g)
		if g.Periods[0].Key != "2026-04" || g.Periods[3].Key != "FY2026-Q1" || g.Periods[3].From != "2026-04-01" || g.Periods[len(g.Periods)-2].Key != "FY2026-Q4" ||
			g.Periods[len(g.Periods)-3].Key != "2027-03" || g.Periods[len(g.Periods)-1].To != "2027-04-01" {
			t.Fatalf("fiscal periods %+v", g.Periods)
		}
		var c goalCompletion
		o.admin.must(200, "GET", base+"/completion?period=FY2026-Q1&subject="+url.QueryEscape(person(o.aliceU)), nil, &c)
		num(t, "FY2026-Q1 (April-June)", c.row(t, person(o.aliceU)).Actual, 11000)
		o.admin.must(200, "GET", base+"/completion?period=FY2025&subject="+url.QueryEscape(person(o.aliceU)), nil, &c)
		num(t, "FY2025 (to March 2026)", c.row(t, person(o.aliceU)).Actual, 7000)
		// Split FY2026 into months evenly: the quarters follow the fiscal year.
		o.admin.must(200, "PUT", base+"/values", map[string]any{"cells": []map[string]any{{"subject": person(o.aliceU), "period": "FY2026", "value": 120}}}, nil)
		o.admin.must(200, "POST", base+"/split", map[string]any{"subject": person(o.aliceU), "period": "FY2026", "along": "periods", "to": "month", "method": "even"}, nil)
		o.admin.must(200, "GET", base+"/grid?year=2026", nil, &g)
		num(t, "2027-03", g.value(person(o.aliceU), "2027-03"), 10)
		num(t, "FY2026-Q4", g.value(person(o.aliceU), "FY2026-Q4"), 30)

		// Weeks: back to a calendar fiscal year, weeks from Monday.
		o.admin.must(200, "PATCH", "/api/v1/tenant/settings", map[string]any{"fiscal_year_start_month": 1}, nil)
		addCredit(t, db, tid, "followup.done", "2026-12-30", 3, o.bobU, "author", 10000, 0)
		addCredit(t, db, tid, "followup.done", "2027-01-02", 4, o.bobU, "author", 10000, 0)
		addCredit(t, db, tid, "followup.done", "2027-01-04", 5, o.bobU, "author", 10000, 0)
		var w goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "跟进", "metric": "followups", "subject_type": "person", "cycle": "week"}, &w)
		wbase := "/api/v1/goal-rules/" + w.ID.String()
		o.admin.must(200, "GET", wbase+"/grid?year=2026", nil, &g)
		last := g.Periods[len(g.Periods)-2]
		if g.Periods[0].Key != "W2026-01-05" || last.Key != "W2026-12-28" || last.To != "2027-01-04" || len(g.Periods) != 53 {
			t.Fatalf("weeks: first %s, last %+v, %d periods", g.Periods[0].Key, last, len(g.Periods))
		}
		o.admin.must(200, "GET", wbase+"/completion?period=W2026-12-28&subject="+url.QueryEscape(person(o.bobU)), nil, &c)
		num(t, "the week across new year", c.row(t, person(o.bobU)).Actual, 2)
		if res := o.admin.do("GET", wbase+"/completion?period=W2026-12-29", nil, nil); res.status != 422 {
			t.Fatalf("a week not starting on Monday: %d", res.status)
		}
		// A year of weeks split evenly: 52 weeks of 5200 visits.
		o.admin.must(200, "PUT", wbase+"/values", map[string]any{"cells": []map[string]any{{"subject": person(o.bobU), "period": "FY2026", "value": 5200}}}, nil)
		o.admin.must(200, "POST", wbase+"/split", map[string]any{"subject": person(o.bobU), "period": "FY2026", "along": "periods", "method": "even"}, nil)
		o.admin.must(200, "GET", wbase+"/grid?year=2026", nil, &g)
		num(t, "last week", g.value(person(o.bobU), "W2026-12-28"), 100)
		if len(g.Warnings) != 0 {
			t.Fatalf("warnings %+v", g.Warnings)
		}
	})
}

// TestGoalSheet exports a grid, imports it changed, and refuses a sheet of
// another layout without changing anything.
func TestGoalSheet(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var r goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约", "metric": "signed_amount", "subject_type": "department", "cycle": "quarter"}, &r)
		base := "/api/v1/goal-rules/" + r.ID.String()
		alice, bob := person(o.aliceU), person(o.bobU)
		o.admin.must(200, "PUT", base+"/values", map[string]any{"cells": []map[string]any{{"subject": alice, "period": "FY2026-Q1", "value": 500}}}, nil)
		res := o.admin.do("GET", base+"/sheet?year=2026", nil, nil)
		if res.status != 200 {
			t.Fatalf("export: %d %s", res.status, res.body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(res.body))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("Goals")
		if rows[0][0] != "subject" || rows[0][2] != "FY2026-Q1" || rows[0][6] != "FY2026" {
			t.Fatalf("header %v", rows[0])
		}
		line, bobLine := 0, 0
		for i, row := range rows {
			if row[0] == bob {
				bobLine = i + 1
			}
			if row[0] == alice {
				line = i + 1
				if row[2] != "500" {
					t.Fatalf("alice's row %v", row)
				}
			}
		}
		// Change Alice's Q2 and set Bob's year, in the exported file.
		f.SetCellValue("Goals", fmt.Sprintf("D%d", line), 700)
		f.SetCellValue("Goals", fmt.Sprintf("G%d", bobLine), 9000)
		var buf bytes.Buffer
		f.Write(&buf)
		var out struct{ Rows, Changed int }
		up := o.admin.uploadFile(base+"/sheet", "file", "goals.xlsx", buf.Bytes())
		if up.status != 200 {
			t.Fatalf("import: %d %s", up.status, up.body)
		}
		up.json(t, &out)
		if out.Changed != 2 {
			t.Fatalf("import %+v", out)
		}
		var g goalGrid
		o.admin.must(200, "GET", base+"/grid?year=2026", nil, &g)
		num(t, "alice Q2", g.value(alice, "FY2026-Q2"), 700)
		num(t, "bob FY", g.value(bob, "FY2026"), 9000)

		// Bad sheets: nothing changes.
		bad := func(edit func(f *excelize.File)) []byte {
			f, _ := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
			edit(f)
			var b bytes.Buffer
			f.Write(&b)
			return b.Bytes()
		}
		for name, file := range map[string][]byte{
			"month column in a quarter rule": bad(func(f *excelize.File) { f.SetCellValue("Goals", "C1", "2026-04") }),
			"header moved":                   bad(func(f *excelize.File) { f.SetCellValue("Goals", "A1", "who") }),
			"not a number": bad(func(f *excelize.File) {
				f.SetCellValue("Goals", fmt.Sprintf("C%d", line), "lots")
				f.SetCellValue("Goals", fmt.Sprintf("G%d", bobLine), 1)
			}),
			"negative": bad(func(f *excelize.File) { f.SetCellValue("Goals", fmt.Sprintf("C%d", line), -1) }),
			"unknown subject": bad(func(f *excelize.File) {
				f.SetCellValue("Goals", "A51", "person:12345")
				f.SetCellValue("Goals", "C51", 1)
			}),
		} {
			res := o.admin.uploadFile(base+"/sheet", "file", "goals.xlsx", file)
			if res.status != 422 {
				t.Fatalf("%s: %d %s", name, res.status, res.body)
			}
		}
		o.admin.must(200, "GET", base+"/grid?year=2026", nil, &g)
		num(t, "bob FY after bad sheets", g.value(bob, "FY2026"), 9000)
		num(t, "alice Q1 after bad sheets", g.value(alice, "FY2026-Q1"), 500)
	})
}

// TestGoalsCrossAlignment: two rules decomposing the same target (the
// company's signed amount by departments and by products) must agree on
// their totals (左右拉通).
func TestGoalsCrossAlignment(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		for _, code := range []string{"A", "B"} {
			o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "P" + code, "name": "产品" + code, "unit": "套", "price": 100}, nil)
		}
		var byDept, byProduct, calls goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约（部门）", "metric": "signed_amount", "subject_type": "department", "cycle": "quarter"}, &byDept)
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约（产品）", "metric": "signed_amount", "subject_type": "product", "cycle": "year"}, &byProduct)
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "电话", "metric": "calls", "subject_type": "company", "cycle": "year"}, &calls)
		root := dept(o.rootID(t))
		set := func(r goalRule, subject string, v float64) {
			o.admin.must(200, "PUT", "/api/v1/goal-rules/"+r.ID.String()+"/values", map[string]any{"cells": []map[string]any{{"subject": subject, "period": "FY2026", "value": v}}}, nil)
		}
		set(byDept, root, 1000000)
		set(byProduct, "company", 900000)
		set(calls, "company", 5)
		var g struct {
			CrossWarnings []struct {
				Period     string    `json:"period"`
				RuleID     cohort.ID `json:"rule_id"`
				Value      float64   `json:"value"`
				OtherValue float64   `json:"other_value"`
			} `json:"cross_warnings"`
		}
		o.admin.must(200, "GET", "/api/v1/goal-rules/"+byDept.ID.String()+"/grid?year=2026", nil, &g)
		if len(g.CrossWarnings) != 1 || g.CrossWarnings[0].Period != "FY2026" || g.CrossWarnings[0].RuleID != byProduct.ID ||
			g.CrossWarnings[0].Value != 1000000 || g.CrossWarnings[0].OtherValue != 900000 {
			t.Fatalf("cross warnings %+v", g.CrossWarnings)
		}
		// The product rule's products add up to the company: the total
		// is their sum when the company has no value of its own.
		set(byProduct, "company", 400000)
		var products goalGrid
		o.admin.must(200, "GET", "/api/v1/goal-rules/"+byProduct.ID.String()+"/grid?year=2026", nil, &products)
		cells := []map[string]any{{"subject": "company", "period": "FY2026", "value": nil}}
		for _, s := range products.Subjects {
			if s.Kind == "product" {
				cells = append(cells, map[string]any{"subject": s.Key, "period": "FY2026", "value": 500000})
			}
		}
		o.admin.must(200, "PUT", "/api/v1/goal-rules/"+byProduct.ID.String()+"/values", map[string]any{"cells": cells}, nil)
		o.admin.must(200, "GET", "/api/v1/goal-rules/"+byDept.ID.String()+"/grid?year=2026", nil, &g)
		if len(g.CrossWarnings) != 0 {
			t.Fatalf("aligned totals still warned: %+v", g.CrossWarnings)
		}
	})
}

// TestGoalsHistoricDepartment: a department's actual counts what its people
// did while they belonged to it (the fact's historic department), not what
// today's members did elsewhere.
func TestGoalsHistoricDepartment(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		// Alice signed 30000 while she was in presales, 50000 since in sales.
		was := o.aliceU
		was.DepartmentID = o.preU.DepartmentID
		addCredit(t, db, o.tenant.ID, "contract.signed", "2026-01-10", 1, was, "owner", 10000, 30000)
		addCredit(t, db, o.tenant.ID, "contract.signed", "2026-02-10", 2, o.aliceU, "owner", 10000, 50000)
		var r goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约", "metric": "signed_amount", "subject_type": "department", "cycle": "quarter"}, &r)
		var c goalCompletion
		o.admin.must(200, "GET", "/api/v1/goal-rules/"+r.ID.String()+"/completion?period=FY2026-Q1", nil, &c)
		num(t, "sales", c.row(t, dept(o.aliceU.DepartmentID)).Actual, 50000)
		num(t, "presales", c.row(t, dept(o.preU.DepartmentID)).Actual, 30000)
		num(t, "the company", c.row(t, dept(o.rootID(t))).Actual, 80000)
		num(t, "alice", c.row(t, person(o.aliceU)).Actual, 80000)
	})
}
