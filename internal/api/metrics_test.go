package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// addFact writes a fact by hand (the projection is tested on its own),
// with its rollups.
func addFact(t *testing.T, db *store.DB, tenant cohort.ID, kind, date string, rec int64, user cohort.User, amount int64, attr string) {
	t.Helper()
	d, _ := time.Parse("2006-01-02", date)
	day := d.Unix() / 86400
	role := "owner"
	if kind == "followup.done" {
		role = "author"
	}
	f := facts.Fact{Kind: kind, OccurredAt: time.UnixMilli(day * 86400000).UTC(), Day: int(day), SourceType: "x", SourceID: cohort.ID(rec),
		RecordType: "x", RecordID: cohort.ID(rec), UserID: user.ID, Role: role, ShareBP: 10000, DepartmentID: user.DepartmentID, Amount: amount, N: 1, Attr: attr}
	err := db.WriteTx(context.Background(), func(tx *store.Tx) error { return facts.Insert(context.Background(), tx, tenant, []facts.Fact{f}) })
	if err != nil {
		t.Fatal(err)
	}
}

type metricResult struct {
	Metrics []struct {
		Name, Label string
	} `json:"metrics"`
	Rows []struct {
		Keys   []string            `json:"keys"`
		Labels []string            `json:"labels"`
		Values map[string]*float64 `json:"values"`
	} `json:"rows"`
	Total struct {
		Values  map[string]*float64            `json:"values"`
		Compare map[string]map[string]*float64 `json:"compare"`
	} `json:"total"`
}

func TestMetricsAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		tid := o.tenant.ID
		addFact(t, db, tid, "customer.created", "2026-01-05", 1, o.aliceU, 0, "")
		addFact(t, db, tid, "customer.created", "2026-01-06", 2, o.bobU, 0, "")
		addFact(t, db, tid, "customer.first_signed", "2026-01-20", 1, o.aliceU, 50000, "")
		addFact(t, db, tid, "contract.signed", "2026-01-20", 3, o.aliceU, 50000, "")
		addFact(t, db, tid, "contract.signed", "2025-01-20", 4, o.aliceU, 20000, "")
		addFact(t, db, tid, "followup.done", "2026-01-07", 5, o.bobU, 0, "call")

		q := map[string]any{"metrics": []string{"new_customers", "conversion_rate", "signed_amount", "calls"}, "from": "2026-01-01", "to": "2026-02-01",
			"compare": []string{"year_ago"}}
		// Each person sees the facts credited in their scope.
		for _, tc := range []struct {
			c                       *client
			who                     string
			customers, amount, rate float64
		}{{o.admin, "admin", 2, 50000, 0.5}, {o.mgr, "manager", 2, 50000, 0.5}, {o.alice, "alice", 1, 50000, 1}, {o.bob, "bob", 1, 0, 0}} {
			var res metricResult
			tc.c.must(200, "POST", "/api/v1/metrics/query", q, &res)
			v := res.Total.Values
			if *v["new_customers"] != tc.customers || *v["signed_amount"] != tc.amount || *v["conversion_rate"] != tc.rate {
				t.Errorf("%s: %v %v %v", tc.who, *v["new_customers"], *v["signed_amount"], *v["conversion_rate"])
			}
		}
		var res metricResult
		o.admin.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": []string{"new_customers", "calls"}, "dimensions": []string{"person"},
			"from": "2026-01-01", "to": "2026-02-01", "filters": []map[string]any{{"dimension": "department", "values": []string{o.aliceU.DepartmentID.String()}}}}, &res)
		if len(res.Rows) != 2 || res.Rows[0].Labels[0] == res.Rows[0].Keys[0] || res.Metrics[0].Label != "新增客户" {
			t.Errorf("by person: %+v", res)
		}

		// Drill-down, in scope: Alice cannot see Bob's customer.
		var drill struct {
			Items []map[string]any `json:"items"`
		}
		d := map[string]any{"metric": "new_customers", "from": "2026-01-01", "to": "2026-02-01"}
		o.admin.must(200, "POST", "/api/v1/metrics/drill", d, &drill)
		if len(drill.Items) != 2 {
			t.Errorf("admin drill %+v", drill)
		}
		o.alice.must(200, "POST", "/api/v1/metrics/drill", d, &drill)
		if len(drill.Items) != 1 || drill.Items[0]["user_name"] != "Alice" {
			t.Errorf("alice drill %+v", drill)
		}

		// Bad input: a 4xx naming the field, never a 500.
		for _, tc := range []struct {
			path  string
			body  any
			code  int
			field string
		}{
			{"/api/v1/metrics/query", map[string]any{"metrics": []string{"nope"}, "from": "2026-01-01", "to": "2026-02-01"}, 422, "metrics[0]"},
			{"/api/v1/metrics/query", map[string]any{"metrics": []string{"calls"}, "dimensions": []string{"planet"}, "from": "2026-01-01", "to": "2026-02-01"}, 422, "dimensions[0]"},
			{"/api/v1/metrics/query", map[string]any{"metrics": []string{"calls"}, "from": "2026-02-01", "to": "2026-01-01"}, 422, "to"},
			{"/api/v1/metrics/query", map[string]any{"metrics": []string{"calls"}, "from": "2000-01-01", "to": "2026-01-01"}, 422, "to"},
			{"/api/v1/metrics/query", map[string]any{"metrics": []string{"calls"}, "from": "2026-01-01", "to": "2026-02-01", "compare": []string{"x"}}, 422, "compare[0]"},
			{"/api/v1/metrics/query", map[string]any{"metrics": "calls"}, 400, ""},
			{"/api/v1/metrics/query", map[string]any{"metrics": []string{"calls"}, "from": "2026-01-01", "to": "2026-02-01", "department_root": "x"}, 422, "department_root"},
			{"/api/v1/metrics/query", map[string]any{"metrics": []string{"calls"}, "from": "2026-01-01", "to": "2026-02-01", "department_root": "42"}, 422, "department_root"},
			{"/api/v1/metrics/drill", map[string]any{"metric": "nope", "from": "2026-01-01", "to": "2026-02-01"}, 422, "metric"},
			{"/api/v1/metrics/drill", map[string]any{"metric": "calls", "from": "2026-01-01", "to": "2026-02-01", "limit": 5000}, 422, "limit"},
			{"/api/v1/metrics/custom", map[string]any{"name": "x", "label_zh": "x", "label_en": "x", "unit": "ratio", "formula": "calls / (1 +"}, 422, "formula"},
			{"/api/v1/metrics/custom", map[string]any{"name": "calls", "label_zh": "x", "label_en": "x", "unit": "ratio", "formula": "1"}, 422, "name"},
		} {
			r := o.admin.do("POST", tc.path, tc.body, nil)
			var p struct {
				Errors []cohort.FieldError `json:"errors"`
			}
			_ = json.Unmarshal(r.body, &p)
			if r.status != tc.code || tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
				t.Errorf("%s %v: %d %s, want %d on %s", tc.path, tc.body, r.status, r.body, tc.code, tc.field)
			}
		}

		// Tenant metrics: administrators define them, everyone uses them.
		def := map[string]any{"name": "presales_orders", "label_zh": "售前参与签约", "label_en": "Signed with presales", "unit": "count",
			"aggregate": map[string]any{"kinds": []string{"contract.signed", "order.signed"}, "role": "presales", "func": "records"}}
		if r := o.alice.do("POST", "/api/v1/metrics/custom", def, nil); r.status != 403 {
			t.Errorf("salesperson defines a metric: %d", r.status)
		}
		var m struct {
			ID      cohort.ID `json:"id"`
			Version int       `json:"version"`
		}
		o.admin.must(201, "POST", "/api/v1/metrics/custom", def, &m)
		var rate struct {
			ID cohort.ID `json:"id"`
		}
		o.admin.must(201, "POST", "/api/v1/metrics/custom", map[string]any{"name": "presales_rate", "label_zh": "售前参与率", "label_en": "Presales participation",
			"unit": "ratio", "formula": "presales_orders / signed_count"}, &rate)
		o.alice.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": []string{"presales_rate"}, "from": "2026-01-01", "to": "2026-02-01"}, &res)
		if v := res.Total.Values["presales_rate"]; v == nil || *v != 0 {
			t.Errorf("presales rate %v", v)
		}
		var cat struct {
			Items []struct{ Name, Label string } `json:"items"`
		}
		o.alice.must(200, "GET", "/api/v1/metrics", nil, &cat)
		found := false
		for _, it := range cat.Items {
			found = found || it.Name == "presales_rate" && it.Label == "售前参与率"
		}
		if !found || len(cat.Items) < 50 {
			t.Errorf("catalogue of %d items without presales_rate", len(cat.Items))
		}
		if r := o.admin.do("DELETE", "/api/v1/metrics/custom/"+m.ID.String(), nil, nil); r.status != 409 {
			t.Errorf("deleting a metric a formula names: %d %s", r.status, r.body)
		}
		if r := o.admin.do("PATCH", "/api/v1/metrics/custom/"+m.ID.String(), map[string]any{"label_en": "x"}, map[string]string{"If-Match": `"v9"`}); r.status != 412 {
			t.Errorf("stale patch: %d", r.status)
		}
		o.admin.must(200, "PATCH", "/api/v1/metrics/custom/"+m.ID.String(), map[string]any{"label_en": "With presales"}, nil)
		if r := o.admin.do("PATCH", "/api/v1/metrics/custom/"+rate.ID.String(), map[string]any{"formula": "presales_rate + 1"}, nil); r.status != 422 {
			t.Errorf("self-referring formula: %d %s", r.status, r.body)
		}
		o.admin.must(204, "DELETE", "/api/v1/metrics/custom/"+rate.ID.String(), nil, nil)
		o.admin.must(204, "DELETE", "/api/v1/metrics/custom/"+m.ID.String(), nil, nil)
		var list struct {
			Items []any `json:"items"`
		}
		o.admin.must(200, "GET", "/api/v1/metrics/custom", nil, &list)
		if len(list.Items) != 0 {
			t.Errorf("left %v", list.Items)
		}
	})
}

// TestMetricsFromRecords asks the figures of records written through the
// API: the projection's facts and the engine's catalogue agree on kinds,
// roles and credit.
func TestMetricsFromRecords(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "杭州指标科技有限公司"}, &c)
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "call", "duration_s": 120, "content": "首次沟通",
			"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "keep_in_touch"}}, nil)
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "M-1", "name": "指标产品", "price": 10000}, &prod)
		var k cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "指标合同",
			"lines": []map[string]any{{"product_id": prod.ID, "quantity": 2}}}, &k)
		o.alice.must(200, "POST", "/api/v1/contracts/"+k.ID.String()+"/status", map[string]any{"status": "signed"}, &k)

		zone, _ := time.LoadLocation("Asia/Shanghai")
		today := time.Now().In(zone)
		q := map[string]any{"metrics": []string{"new_customers", "calls", "call_minutes", "contracts_signed", "contract_amount", "first_signed_customers",
			"conversion_rate", "first_order_avg_value", "followups_per_signed_customer"},
			"from": today.AddDate(0, 0, -7).Format("2006-01-02"), "to": today.AddDate(0, 0, 2).Format("2006-01-02")}
		var res metricResult
		o.alice.must(200, "POST", "/api/v1/metrics/query", q, &res)
		total := float64(k.Total)
		for m, want := range map[string]float64{"new_customers": 1, "calls": 1, "call_minutes": 2, "contracts_signed": 1, "contract_amount": total,
			"first_signed_customers": 1, "conversion_rate": 1, "first_order_avg_value": total, "followups_per_signed_customer": 1} {
			if v := res.Total.Values[m]; v == nil || *v != want {
				t.Errorf("%s = %v, want %v", m, v, want)
			}
		}
		o.bob.must(200, "POST", "/api/v1/metrics/query", q, &res)
		if v := res.Total.Values["contract_amount"]; v == nil || *v != 0 {
			t.Errorf("bob sees alice's contract amount %v", v)
		}
	})
}
