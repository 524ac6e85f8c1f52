package api_test

import (
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestGoalGridTreeOrder checks that a person/department grid and its
// completion list their rows top down: each department followed by its
// sub-departments (with their own subtrees) and then its people, so a row
// always sits under the department it rolls up into.
func TestGoalGridTreeOrder(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		// A sub-department of 华东销售部 with a person of its own.
		var team cohort.Department
		o.admin.must(201, "POST", "/api/v1/departments", map[string]any{"name": "华东一组", "parent_id": o.aliceU.DepartmentID}, &team)
		var roles cohort.Page[cohort.PermRole]
		o.admin.must(200, "GET", "/api/v1/perm-roles", nil, &roles)
		var roleID cohort.ID
		for _, r := range roles.Items {
			if r.Name == "销售 Salesperson" {
				roleID = r.ID
			}
		}
		var carol cohort.User
		o.admin.must(201, "POST", "/api/v1/users", map[string]any{"name": "Carol", "email": "carol@acme.test", "password": "sales-pass-2026",
			"department_id": team.ID, "perm_role_ids": []cohort.ID{roleID}}, &carol)

		var r goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约金额", "metric": "signed_amount", "subject_type": "person", "cycle": "month"}, &r)
		var g struct {
			Subjects []struct {
				Key, Parent string
				Depth       int `json:"depth"`
			} `json:"subjects"`
		}
		o.admin.must(200, "GET", "/api/v1/goal-rules/"+r.ID.String()+"/grid?year=2026", nil, &g)
		var keys []string
		pos := map[string]int{}
		for i, s := range g.Subjects {
			keys = append(keys, s.Key)
			pos[s.Key] = i
		}
		sales, pre := dept(o.aliceU.DepartmentID), dept(o.preU.DepartmentID)
		// 华东销售部, its sub-department with Carol, then its own people by name.
		want := []string{sales, dept(team.ID), person(carol), person(o.aliceU), person(o.bobU), person(o.mgrU)}
		i := pos[sales]
		if i+len(want) > len(keys) || strings.Join(keys[i:i+len(want)], ",") != strings.Join(want, ",") {
			t.Fatalf("rows from 华东销售部: %v, want %v first", keys[i:], want)
		}
		if pos[person(o.preU)] != pos[pre]+1 {
			t.Fatalf("售前小孙 is not right under 售前部: %v", keys)
		}
		// Every row comes after its parent, one level deeper, and inside
		// the parent's block: no row of another department in between.
		for i, s := range g.Subjects {
			if s.Parent == "" {
				continue
			}
			p, ok := pos[s.Parent]
			if !ok || p >= i || s.Depth != g.Subjects[p].Depth+1 {
				t.Fatalf("row %d %s: parent %s at %d (ok %v), depth %d", i, s.Key, s.Parent, p, ok, s.Depth)
			}
			for j := p + 1; j < i; j++ {
				if g.Subjects[j].Depth <= g.Subjects[p].Depth {
					t.Fatalf("row %s is separated from its parent %s by %s", s.Key, s.Parent, g.Subjects[j].Key)
				}
			}
		}
		// Completion lists its rows in the same order.
		var c goalCompletion
		o.admin.must(200, "GET", "/api/v1/goal-rules/"+r.ID.String()+"/completion?period=2026-01", nil, &c)
		var ck []string
		for _, row := range c.Rows {
			ck = append(ck, row.Subject)
		}
		if strings.Join(ck, ",") != strings.Join(keys, ",") {
			t.Fatalf("completion order %v, grid order %v", ck, keys)
		}
	})
}
