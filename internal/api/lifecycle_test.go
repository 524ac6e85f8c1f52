package api_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestLeadCustomFieldEdit: a lead's custom values change through PATCH like a
// customer's (merged, null clears, validated); a bad value or a stale version
// writes nothing.
func TestLeadCustomFieldEdit(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		o.admin.must(201, "POST", "/api/v1/custom-fields", map[string]any{"object_type": "lead", "key": "budget_level", "label_zh": "预算级别",
			"label_en": "Budget level", "type": "single", "options": []string{"高", "中", "低"}}, nil)
		o.admin.must(201, "POST", "/api/v1/custom-fields", map[string]any{"object_type": "lead", "key": "seats", "label_zh": "座席数",
			"label_en": "Seats", "type": "number"}, nil)
		var l cohort.Lead
		o.alice.must(201, "POST", "/api/v1/leads", map[string]any{"name": "周经理", "company": "无锡数据公司", "custom": map[string]any{"seats": 20}}, &l)
		custom := func(l cohort.Lead) map[string]any {
			var m map[string]any
			_ = json.Unmarshal(l.Custom, &m)
			return m
		}
		ifv := func(v int) map[string]string { return map[string]string{"If-Match": fmt.Sprintf(`"v%d"`, v)} }

		res := o.alice.do("PATCH", "/api/v1/leads/"+l.ID.String(), map[string]any{"custom": map[string]any{"budget_level": "高"}}, ifv(l.Version))
		if res.status != 200 {
			t.Fatalf("set a custom value: %d %s", res.status, res.body)
		}
		var got cohort.Lead
		res.json(t, &got)
		if m := custom(got); m["budget_level"] != "高" || m["seats"] != float64(20) || got.Version != l.Version+1 {
			t.Fatalf("merged custom %s v%d", got.Custom, got.Version)
		}
		for name, body := range map[string]map[string]any{
			"bad option":  {"custom": map[string]any{"budget_level": "极高"}},
			"wrong type":  {"custom": map[string]any{"seats": "很多"}},
			"unknown key": {"custom": map[string]any{"salary": 1}},
		} {
			if res := o.alice.do("PATCH", "/api/v1/leads/"+l.ID.String(), body, ifv(got.Version)); res.status != 422 {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		if res := o.alice.do("PATCH", "/api/v1/leads/"+l.ID.String(), map[string]any{"custom": map[string]any{"seats": 5}}, ifv(l.Version)); res.status != 412 {
			t.Fatalf("stale version: %d %s", res.status, res.body)
		}
		var again cohort.Lead
		o.alice.must(200, "GET", "/api/v1/leads/"+l.ID.String(), nil, &again)
		if again.Version != got.Version || !reflect.DeepEqual(custom(again), custom(got)) {
			t.Fatalf("a refused edit wrote: v%d %s", again.Version, again.Custom)
		}
		// null clears one key and leaves the other.
		o.alice.must(200, "GET", "/api/v1/leads/"+l.ID.String(), nil, &again)
		res = o.alice.do("PATCH", "/api/v1/leads/"+l.ID.String(), map[string]any{"custom": map[string]any{"seats": nil}}, ifv(again.Version))
		if res.status != 200 {
			t.Fatalf("clear: %d %s", res.status, res.body)
		}
		res.json(t, &got)
		if m := custom(got); len(m) != 1 || m["budget_level"] != "高" {
			t.Fatalf("after clearing seats: %s", got.Custom)
		}
	})
}

// TestContractLineEdit: a draft contract's product lines change through PATCH
// with If-Match; totals are computed by the server whatever the client sends,
// the change is audited, and bad lines, a stale version or a signed contract
// change nothing.
func TestContractLineEdit(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var lic, days cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "LIC", "name": "授权", "price": 1000000}, &lic)
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "DAY", "name": "人天", "price": 150000}, &days)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "常州制造公司"}, &c)
		var k cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "MES 合同",
			"lines": []map[string]any{{"product_id": lic.ID, "quantity": 1}}}, &k)
		path := "/api/v1/contracts/" + k.ID.String()
		ifv := func(v int) map[string]string { return map[string]string{"If-Match": fmt.Sprintf(`"v%d"`, v)} }

		// Two lines; the client's amount is ignored: 2 × 10000.00 + 5 × 1500.00 less 10 % = 26750.00.
		res := o.alice.do("PATCH", path, map[string]any{"lines": []map[string]any{
			{"product_id": lic.ID, "quantity": 2, "amount": 1},
			{"product_id": days.ID, "quantity": 5, "discount_bp": 1000},
		}}, ifv(k.Version))
		if res.status != 200 {
			t.Fatalf("edit lines: %d %s", res.status, res.body)
		}
		var edited cohort.Deal
		res.json(t, &edited)
		if len(edited.Lines) != 2 || edited.Lines[0].Amount != 2000000 || edited.Lines[1].Amount != 675000 || edited.Subtotal != 2675000 ||
			edited.Total != 2675000 || edited.Version != k.Version+1 {
			t.Fatalf("edited %+v", edited)
		}
		var audit cohort.Page[cohort.AuditEntry]
		o.admin.must(200, "GET", "/api/v1/audit?object_id="+k.ID.String()+"&action=update", nil, &audit)
		if len(audit.Items) != 1 || audit.Items[0].ObjectType != cohort.ObjContract {
			t.Fatalf("audit %+v", audit.Items)
		}

		unchanged := func(why string) {
			t.Helper()
			var now cohort.Deal
			o.alice.must(200, "GET", path, nil, &now)
			if now.Version != edited.Version || now.Total != edited.Total || len(now.Lines) != 2 {
				t.Fatalf("%s wrote: %+v", why, now)
			}
		}
		for name, lines := range map[string][]map[string]any{
			"zero quantity": {{"product_id": lic.ID, "quantity": 0}},
			"no product":    {{"product_id": "42", "quantity": 1}},
			"discount":      {{"product_id": lic.ID, "quantity": 1, "discount_bp": 10001}},
		} {
			if res := o.alice.do("PATCH", path, map[string]any{"lines": lines}, ifv(edited.Version)); res.status != 422 {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
			unchanged(name)
		}
		if res := o.alice.do("PATCH", path, map[string]any{"lines": []map[string]any{{"product_id": lic.ID, "quantity": 9}}}, ifv(k.Version)); res.status != 412 {
			t.Fatalf("stale version: %d %s", res.status, res.body)
		}
		unchanged("a stale version")
		if res := o.bob.do("PATCH", path, map[string]any{"lines": []map[string]any{{"product_id": lic.ID, "quantity": 9}}}, ifv(edited.Version)); res.status != 404 {
			t.Fatalf("another salesperson edits: %d", res.status)
		}
		unchanged("another salesperson")

		// Signed: the lines are fixed (409 naming the status), the note is not.
		o.alice.must(200, "POST", path+"/status", map[string]any{"status": "signed"}, &edited)
		res = o.alice.do("PATCH", path, map[string]any{"lines": []map[string]any{{"product_id": lic.ID, "quantity": 9}}}, ifv(edited.Version))
		if res.status != 409 || res.problem(t).Detail == "" {
			t.Fatalf("lines of a signed contract: %d %s", res.status, res.body)
		}
		unchanged("a signed contract")
	})
}
