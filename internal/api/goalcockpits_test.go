package api_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// goalWidgetRow is a completion row with its rule, period and self mark.
type goalWidgetRow struct {
	goalRow
	RuleID cohort.ID `json:"rule_id"`
	Period string    `json:"period"`
	Self   bool      `json:"self"`
}

type goalWidgetResult struct {
	Rule *struct {
		ID cohort.ID `json:"id"`
	} `json:"rule"`
	Subject string          `json:"subject"`
	Rows    []goalWidgetRow `json:"rows"`
}

type cockpitWidget struct {
	ID   string         `json:"id"`
	Type string         `json:"type"`
	Goal map[string]any `json:"goal"`
}

func sameNum(a, b *float64) bool {
	return a == nil && b == nil || a != nil && b != nil && math.Abs(*a-*b) < 1e-9
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func sameStr(a, b *string) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// TestGoalCockpits copies each goal preset and checks that every figure of
// every widget is the completion API's for the same rule, subject and
// period, as the same viewer.
func TestGoalCockpits(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		sales := o.aliceU.DepartmentID
		o.admin.must(200, "PATCH", "/api/v1/departments/"+sales.String(), map[string]any{"manager_id": o.mgrU.ID}, nil)
		var crm, svcP cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "G-CRM", "name": "CRM", "price": 600000}, &crm)
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "G-SVC", "name": "实施", "price": 100000}, &svcP)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "温州目标驾驶舱有限公司"}, &c)
		var k cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "驾驶舱合同",
			"lines": []map[string]any{{"product_id": crm.ID, "quantity": 1}, {"product_id": svcP.ID, "quantity": 2}}}, &k)
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "signed"}, &k)

		month, _, quarter, year := currentPeriods(o.tenant)
		m, _ := time.Parse("2006-01", month)
		lastMonth := m.AddDate(0, -1, 0).Format("2006-01")
		rule := func(body map[string]any, cells ...map[string]any) cohort.ID {
			var r goalRule
			o.admin.must(201, "POST", "/api/v1/goal-rules", body, &r)
			o.admin.must(200, "PUT", "/api/v1/goal-rules/"+r.ID.String()+"/values", map[string]any{"cells": cells}, nil)
			return r.ID
		}
		cell := func(subject, period string, v float64) map[string]any {
			return map[string]any{"subject": subject, "period": period, "value": v}
		}
		rule(map[string]any{"name": "个人签约", "metric": "signed_amount", "subject_type": "person", "cycle": "month"},
			cell(person(o.aliceU), month, 1000000), cell(person(o.bobU), month, 500000), cell(person(o.mgrU), month, 200000),
			cell(person(o.aliceU), lastMonth, 900000))
		rule(map[string]any{"name": "部门签约", "metric": "signed_amount", "subject_type": "department", "cycle": "quarter"},
			cell(dept(sales), quarter, 3000000), cell(dept(sales), year, 9000000), cell(person(o.aliceU), quarter, 1200000))
		rule(map[string]any{"name": "产品签约", "metric": "signed_amount", "subject_type": "product", "cycle": "month"},
			cell("product:"+crm.ID.String(), month, 500000), cell("product:"+svcP.ID.String(), month, 400000))
		rule(map[string]any{"name": "客户分类签约", "metric": "signed_amount", "subject_type": "segment", "cycle": "year"},
			cell("segment:KA", year, 100000), cell("segment:SMB", year, 50000))

		checked := 0
		for _, tc := range []struct {
			preset string
			viewer *client
		}{{"my_goals", o.alice}, {"department_goals", o.mgr}, {"product_goals", o.admin}, {"customer_goals", o.admin}} {
			var ck struct {
				ID     cohort.ID       `json:"id"`
				Layout []cockpitWidget `json:"layout"`
			}
			tc.viewer.must(201, "POST", "/api/v1/cockpits/presets/"+tc.preset+"/copy", map[string]any{}, &ck)
			if len(ck.Layout) < 3 {
				t.Fatalf("%s: %d widgets", tc.preset, len(ck.Layout))
			}
			for _, w := range ck.Layout {
				var res goalWidgetResult
				tc.viewer.must(200, "POST", "/api/v1/cockpits/goal-widget", map[string]any{"type": w.Type, "goal": w.Goal}, &res)
				if res.Rule == nil || len(res.Rows) == 0 {
					t.Fatalf("%s/%s: no figures: %+v", tc.preset, w.ID, res)
				}
				trend := ""
				if w.Type == "goal_trend" {
					trend = "&trend=6"
					if len(res.Rows) != 7 {
						t.Fatalf("%s/%s: %d trend points", tc.preset, w.ID, len(res.Rows))
					}
				}
				for _, row := range res.Rows {
					period := row.Period
					if w.Type == "goal_trend" {
						period = res.Rows[len(res.Rows)-1].Period
					}
					// Ranks are among all the peers: ask for every subject (a
					// trend, for its subject's past periods).
					only := ""
					if w.Type == "goal_trend" {
						only = "&subject=" + url.QueryEscape(row.Subject)
					}
					var comp goalCompletion
					tc.viewer.must(200, "GET", fmt.Sprintf("/api/v1/goal-rules/%s/completion?period=%s%s%s", row.RuleID, period, only, trend), nil, &comp)
					want := comp.row(t, row.Subject)
					actual, target, rate := want.Actual, want.Target, want.CompletionRate
					if w.Type == "goal_trend" {
						var pt *struct {
							Period string   `json:"period"`
							Actual *float64 `json:"actual"`
							Target *float64 `json:"target"`
						}
						for i := range want.Trend {
							if want.Trend[i].Period == row.Period {
								pt = &want.Trend[i]
							}
						}
						if pt == nil {
							t.Fatalf("%s/%s: the completion API has no trend point %s", tc.preset, w.ID, row.Period)
						}
						actual, target = pt.Actual, pt.Target
						rate = nil
						if target != nil && *target != 0 {
							a := 0.0
							if actual != nil {
								a = *actual
							}
							r := math.Round(a / *target * 1e6) / 1e6
							rate = &r
						}
					} else if !sameStr(row.Band, want.Band) || (row.Rank == nil) != (want.Rank == nil) || row.Rank != nil && *row.Rank != *want.Rank || !sameNum(row.Gap, want.Gap) {
						t.Fatalf("%s/%s %s %s: band %s rank %s gap %s, the completion API %s %s %s", tc.preset, w.ID, row.Subject, row.Period,
							jsonOf(row.Band), jsonOf(row.Rank), jsonOf(row.Gap), jsonOf(want.Band), jsonOf(want.Rank), jsonOf(want.Gap))
					}
					if !sameNum(row.Actual, actual) || !sameNum(row.Target, target) || !sameNum(row.CompletionRate, rate) {
						t.Fatalf("%s/%s %s %s: actual %v target %v rate %v, the completion API %v %v %v", tc.preset, w.ID, row.Subject, row.Period,
							row.Actual, row.Target, row.CompletionRate, actual, target, rate)
					}
					checked++
				}
			}
			// The workbook holds the goal widgets too.
			if res := tc.viewer.do("GET", "/api/v1/cockpits/"+ck.ID.String()+"/export.xlsx", nil, nil); res.status != 200 || len(res.body) < 100 {
				t.Fatalf("%s export: %d", tc.preset, res.status)
			}
		}
		if checked < 20 {
			t.Fatalf("only %d figures compared", checked)
		}

		// My goals as Alice: her month's figures, with the signed contract.
		var mine goalWidgetResult
		o.alice.must(200, "POST", "/api/v1/cockpits/goal-widget", map[string]any{"type": "goal_gauge", "goal": map[string]any{"subject": "me"}}, &mine)
		// Ranked among the people of her department: first of three.
		if mine.Subject != person(o.aliceU) || len(mine.Rows) != 1 || mine.Rows[0].Period != month || !mine.Rows[0].Self ||
			mine.Rows[0].Rank == nil || *mine.Rows[0].Rank != 1 || mine.Rows[0].Peers != 3 {
			t.Fatalf("Alice's gauge %+v", mine)
		}
		num(t, "Alice's month actual", mine.Rows[0].Actual, 800000)
		num(t, "Alice's month rate", mine.Rows[0].CompletionRate, 0.8)
		var list goalWidgetResult
		o.alice.must(200, "POST", "/api/v1/cockpits/goal-widget", map[string]any{"type": "goal_list", "goal": map[string]any{"subject": "me"}}, &list)
		if len(list.Rows) != 2 || list.Rows[1].Period != quarter {
			t.Fatalf("Alice's goals %+v", list.Rows)
		}

		// No rule holds the subject: no figures, not an error.
		var none goalWidgetResult
		o.pre.must(200, "POST", "/api/v1/cockpits/goal-widget", map[string]any{"type": "goal_gauge", "goal": map[string]any{"subject": "me", "subject_type": "product"}}, &none)
		if none.Rule != nil || len(none.Rows) != 0 {
			t.Fatalf("a product goal of a person: %+v", none)
		}
		// Bad bindings: 422 naming the field, and a cockpit keeps none.
		refused(t, o.alice, 422, "goal.subject", "POST", "/api/v1/cockpits/goal-widget", map[string]any{"type": "goal_gauge", "goal": map[string]any{"subject": "nobody"}})
		refused(t, o.alice, 422, "goal.period", "POST", "/api/v1/cockpits/goal-widget", map[string]any{"type": "goal_gauge", "goal": map[string]any{"subject": "me", "period": "2026-13"}})
		refused(t, o.alice, 422, "goal.trend", "POST", "/api/v1/cockpits/goal-widget", map[string]any{"type": "goal_trend", "goal": map[string]any{"trend": 40}})
		refused(t, o.alice, 422, "type", "POST", "/api/v1/cockpits/goal-widget", map[string]any{"type": "kpi", "goal": map[string]any{}})
		refused(t, o.alice, 422, "layout[0].goal", "POST", "/api/v1/cockpits", map[string]any{"name": "x", "layout": []map[string]any{
			{"id": "g", "type": "goal_gauge", "x": 0, "y": 0, "w": 4, "h": 4}}})
		refused(t, o.alice, 422, "layout[0].goal.rule", "POST", "/api/v1/cockpits", map[string]any{"name": "x", "layout": []map[string]any{
			{"id": "g", "type": "goal_gauge", "x": 0, "y": 0, "w": 4, "h": 4, "goal": map[string]any{"rule": "42", "subject": "me"}}}})
	})
}
