package api_test

import (
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestGoalsDepartmentManagers: the manager of a department sets, splits and
// imports the goals of their department, the department below it and
// their people; the parent's, another department's, the company's and
// products' goals, rules and locks are refused with a 403 naming the cells,
// and nothing changes.
func TestGoalsDepartmentManagers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		sales, presales := o.aliceU.DepartmentID, o.preU.DepartmentID
		var top, team cohort.Department
		o.admin.must(200, "PATCH", "/api/v1/departments/"+sales.String(), map[string]any{"manager_id": o.mgrU.ID}, &top)
		o.admin.must(201, "POST", "/api/v1/departments", map[string]any{"name": "华东一组", "parent_id": sales}, &team)
		o.admin.must(200, "PATCH", "/api/v1/users/"+o.bobU.ID.String(), map[string]any{"department_id": team.ID}, nil)
		root := top.ParentID

		var rule goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约", "metric": "signed_amount", "subject_type": "department", "cycle": "month"}, &rule)
		base := "/api/v1/goal-rules/" + rule.ID.String()
		o.admin.must(200, "PUT", base+"/values", map[string]any{"cells": []map[string]any{
			{"subject": dept(root), "period": "FY2026", "value": 2000000},
			{"subject": dept(sales), "period": "FY2026", "value": 1200000},
			{"subject": dept(presales), "period": "FY2026", "value": 500000},
		}}, nil)

		type grid struct {
			Subjects []struct {
				Key      string `json:"key"`
				Editable bool   `json:"editable"`
			} `json:"subjects"`
			Cells map[string]map[string]goalCell `json:"cells"`
		}
		load := func(c *client) grid {
			t.Helper()
			var g grid
			c.must(200, "GET", base+"/grid?year=2026", nil, &g)
			return g
		}
		value := func(g grid, subject, period string) float64 {
			if v := g.Cells[subject][period].Value; v != nil {
				return *v
			}
			return -1
		}
		// The grid says which rows each may edit.
		editable := func(c *client) string {
			var keys []string
			for _, s := range load(c).Subjects {
				if s.Editable {
					keys = append(keys, s.Key)
				}
			}
			return strings.Join(keys, " ")
		}
		if got, want := editable(o.mgr), strings.Join([]string{dept(sales), dept(team.ID), person(o.mgrU), person(o.aliceU), person(o.bobU)}, " "); !sameSet(got, want) {
			t.Fatalf("manager may edit %q, want %q", got, want)
		}
		if got := editable(o.alice); got != "" {
			t.Fatalf("a salesperson may edit %q", got)
		}
		if got := editable(o.admin); len(strings.Fields(got)) != 9 { // four departments, five people (the administrator too)
			t.Fatalf("the administrator may edit %q", got)
		}

		// Allowed: a cell of the sub-department and one of a person.
		var changed struct{ Changed int }
		o.mgr.must(200, "PUT", base+"/values", map[string]any{"cells": []map[string]any{
			{"subject": dept(team.ID), "period": "FY2026", "value": 400000},
			{"subject": person(o.aliceU), "period": "FY2026", "value": 500000},
		}}, &changed)
		if changed.Changed != 2 {
			t.Fatalf("manager's edit changed %d", changed.Changed)
		}
		// Allowed: his department's year into months, and into its children.
		var split struct {
			Applied bool `json:"applied"`
		}
		o.mgr.must(200, "POST", base+"/split", map[string]any{"subject": dept(sales), "period": "FY2026", "along": "periods", "to": "month", "method": "even"}, &split)
		o.mgr.must(200, "POST", base+"/split", map[string]any{"subject": dept(sales), "period": "FY2026", "along": "subjects", "method": "weights",
			"weights": map[string]any{dept(team.ID): 40, person(o.mgrU): 10, person(o.aliceU): 50}}, &split)
		g := load(o.admin)
		if !split.Applied || value(g, dept(sales), "2026-01") != 100000 || value(g, person(o.aliceU), "FY2026") != 600000 || value(g, dept(team.ID), "FY2026") != 480000 {
			t.Fatalf("manager's splits: applied %v, sales January %v, Alice %v, team %v", split.Applied,
				value(g, dept(sales), "2026-01"), value(g, person(o.aliceU), "FY2026"), value(g, dept(team.ID), "FY2026"))
		}
		// Allowed: a sheet of the whole grid in which only his rows changed.
		sheet := func(rows ...string) []byte {
			return []byte("subject,name,FY2026,2026-02\n" + strings.Join(rows, "\n") + "\n")
		}
		up := o.mgr.uploadFile(base+"/sheet", "file", "goals.csv", sheet(
			dept(root)+",公司,2000000,", dept(presales)+",售前部,500000,", person(o.bobU)+",Bob,300000,25000"))
		if up.status != 200 {
			t.Fatalf("manager's import: %d %s", up.status, up.body)
		}
		if g = load(o.admin); value(g, person(o.bobU), "2026-02") != 25000 {
			t.Fatalf("Bob's February %v", value(g, person(o.bobU), "2026-02"))
		}

		// Refused, naming the cells, and nothing changes.
		before := load(o.admin)
		unchanged := func(what string) {
			t.Helper()
			after := load(o.admin)
			for s, row := range before.Cells {
				for p := range row {
					if value(after, s, p) != value(before, s, p) {
						t.Fatalf("%s: %s %s went from %v to %v", what, s, p, value(before, s, p), value(after, s, p))
					}
				}
			}
		}
		forbidden := func(c *client, field, method, path string, body any) {
			t.Helper()
			refused(t, c, 403, field, method, path, body)
			unchanged(method + " " + path)
		}
		forbidden(o.mgr, "cells[1].subject", "PUT", base+"/values", map[string]any{"cells": []map[string]any{
			{"subject": person(o.aliceU), "period": "FY2026", "value": 1},
			{"subject": dept(presales), "period": "FY2026", "value": 1}}})
		forbidden(o.mgr, "cells[0].subject", "PUT", base+"/values", map[string]any{"cells": []map[string]any{
			{"subject": dept(root), "period": "FY2026", "value": 1}}})
		forbidden(o.mgr, "outside the departments you manage", "POST", base+"/split", map[string]any{"subject": dept(root), "period": "FY2026", "along": "subjects", "method": "even"})
		res := o.mgr.uploadFile(base+"/sheet", "file", "goals.csv", sheet(person(o.aliceU)+",Alice,1,", dept(presales)+",售前部,7,"))
		if res.status != 403 || !strings.Contains(string(res.body), `"C3"`) {
			t.Fatalf("import of another department's row: %d %s", res.status, res.body)
		}
		unchanged("the import")
		forbidden(o.mgr, "administer tenant", "POST", base+"/locks", map[string]any{"period": "FY2026"})
		forbidden(o.mgr, "administer tenant", "PATCH", base, map[string]any{"name": "改名"})
		forbidden(o.mgr, "administer tenant", "POST", "/api/v1/goal-rules", map[string]any{"name": "x", "metric": "signed_amount", "subject_type": "person", "cycle": "year"})
		// A salesperson manages nothing.
		forbidden(o.alice, "managing a department", "PUT", base+"/values", map[string]any{"cells": []map[string]any{
			{"subject": person(o.aliceU), "period": "FY2026", "value": 1}}})
		forbidden(o.alice, "managing a department", "POST", base+"/split", map[string]any{"subject": person(o.aliceU), "period": "FY2026", "along": "periods", "method": "even"})
		// A lock stops the manager too.
		o.admin.must(204, "POST", base+"/locks", map[string]any{"period": "FY2026-Q1"}, nil)
		refused(t, o.mgr, 409, "locked", "PUT", base+"/values", map[string]any{"cells": []map[string]any{{"subject": person(o.aliceU), "period": "2026-01", "value": 1}}})

		// A product rule's values are the administrators'.
		var prod goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "产品", "metric": "signed_amount", "subject_type": "product", "cycle": "year"}, &prod)
		refused(t, o.mgr, 403, "cells[0].subject", "PUT", "/api/v1/goal-rules/"+prod.ID.String()+"/values",
			map[string]any{"cells": []map[string]any{{"subject": "company", "period": "FY2026", "value": 1}}})
	})
}

// sameSet says whether two space-separated lists hold the same words.
func sameSet(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	if len(x) != len(y) {
		return false
	}
	seen := map[string]int{}
	for _, w := range x {
		seen[w]++
	}
	for _, w := range y {
		seen[w]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
