package api_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/figures.golden.json from what the engine answers (check the numbers by hand before committing them)")

// goldenCase is one question of the golden file: a metric query whose
// person and department filter values name the dataset's people and
// departments ($alice, $bob, $pre, $sales, $presales), and the total of each
// metric it must answer.
type goldenCase struct {
	Name   string              `json:"name"`
	Query  metrics.Query       `json:"query"`
	Values map[string]*float64 `json:"values"`
}

type goldenFile struct {
	Comment []string     `json:"comment"`
	Cases   []goldenCase `json:"cases"`
}

const goldenPath = "testdata/figures.golden.json"

// TestGoldenFigures loads the hand-checked company history of
// testdata/FIGURES.md through the migration import and the public API, on
// both engines, and asks every METRICS.md figure for the first quarter of
// 2025 — the company, a person, a business role, a department historic and
// current — comparing the totals with testdata/figures.golden.json, whose
// numbers were computed by hand (FIGURES.md shows the sums).
func TestGoldenFigures(t *testing.T) {
	raw, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var golden goldenFile
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		ids := loadGoldenHistory(t, o)
		var got []goldenCase
		for _, c := range golden.Cases {
			q := c.Query
			q.Filters = slices.Clone(q.Filters)
			for i, f := range q.Filters {
				vals := slices.Clone(f.Values)
				for j, v := range vals {
					if id, ok := ids[v]; ok {
						vals[j] = id.String()
					} else if strings.HasPrefix(v, "$") {
						t.Fatalf("%s: unknown name %s", c.Name, v)
					}
				}
				q.Filters[i].Values = vals
			}
			var res metrics.Result
			r := o.admin.do("POST", "/api/v1/metrics/query", q, nil)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", c.Name, r.status, r.body)
			}
			r.json(t, &res)
			row := goldenCase{Name: c.Name, Query: c.Query, Values: map[string]*float64{}}
			for _, m := range c.Query.Metrics {
				row.Values[m] = res.Total.Values[m]
				want, have := c.Values[m], res.Total.Values[m]
				switch {
				case want == nil && have == nil:
				case want == nil || have == nil || math.Abs(*want-*have) > 1e-6:
					t.Errorf("%s: %s = %s, the golden file says %s", c.Name, m, show(have), show(want))
				}
			}
			got = append(got, row)
		}
		if *updateGolden && db.Engine == store.SQLite {
			golden.Cases = got
			b, _ := json.MarshalIndent(golden, "", "  ")
			if err := os.WriteFile(goldenPath, append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func show(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

// loadGoldenHistory enters the history of testdata/FIGURES.md and returns
// the ids of its names ($alice, $C1 ...).
func loadGoldenHistory(t *testing.T, o *salesOrg) map[string]cohort.ID {
	t.Helper()
	a := o.admin
	sales, presales := o.aliceU.DepartmentID, o.preU.DepartmentID
	ids := map[string]cohort.ID{"$alice": o.aliceU.ID, "$bob": o.bobU.ID, "$pre": o.preU.ID, "$mgr": o.mgrU.ID, "$sales": sales, "$presales": presales}
	// Everyone may enter the history's dates; the people were in their
	// departments since 2024, and Bob moved to presales on 2025-02-15 —
	// entered now, dated in the past.
	a.must(200, "PATCH", "/api/v1/tenant/settings", map[string]any{"backdate_window_days": 3650}, nil)
	for _, u := range []*cohort.User{&o.mgrU, &o.aliceU, &o.bobU, &o.preU} {
		a.must(200, "PATCH", "/api/v1/users/"+u.ID.String(), map[string]any{"org_effective_at": "2024-01-01T00:00:00+08:00"}, nil)
	}
	a.must(200, "PATCH", "/api/v1/users/"+o.bobU.ID.String(), map[string]any{"department_id": presales, "org_effective_at": "2025-02-15T00:00:00+08:00"}, nil)

	imports := []struct {
		object string
		rows   [][]string
	}{
		{"customer", [][]string{
			{"External ID", "Name", "Owner", "Created at"},
			{"C1", "甲机械有限公司", "alice@acme.test", "2024-06-01 10:00"},
			{"C2", "乙软件有限公司", "alice@acme.test", "2025-01-05 10:00"},
			{"C3", "丙贸易有限公司", "bob@acme.test", "2025-01-10 10:00"},
			{"C4", "丁食品有限公司", "bob@acme.test", "2025-02-20 10:00"},
			{"C5", "戊物流有限公司", "alice@acme.test", "2024-03-01 10:00"},
		}},
		{"opportunity", [][]string{
			{"External ID", "Customer external ID", "Name", "Amount (yuan)", "Owner", "Team", "Created at", "Stage history", "Outcome", "Closed at", "Loss reason"},
			{"O1", "C2", "乙 ERP", "100000", "", "owner:alice@acme.test; presales:pre@acme.test", "2025-01-06 10:00",
				"qualify@2025-01-06 10:00; quote@2025-01-16 10:00", "won", "2025-02-05 10:00", ""},
			{"O2", "C3", "丙 CRM", "50000", "bob@acme.test", "", "2025-01-12 10:00", "qualify@2025-01-12 10:00", "lost", "2025-02-11 10:00", "price"},
			{"O3", "C1", "甲 扩容", "30000", "", "owner:alice@acme.test:60%; owner:bob@acme.test:40%", "2025-02-01 10:00",
				"qualify@2025-02-01 10:00; quote@2025-02-11 10:00", "won", "2025-03-03 10:00", ""},
			{"O4", "C4", "丁 门店", "20000", "bob@acme.test", "", "2025-03-01 10:00", "qualify@2025-03-01 10:00", "", "", ""},
		}},
		{"contract", [][]string{
			{"External ID", "Customer external ID", "Opportunity external ID", "Amount (yuan)", "Owner", "Team", "Created at", "Signed at",
				"Start date", "End date", "Voided at", "Void reason"},
			{"CT0", "C1", "", "20000", "alice@acme.test", "", "2024-07-01 10:00", "2024-07-01 10:00", "2024-07-01", "2025-06-30", "", ""},
			{"CT5", "C5", "", "10000", "alice@acme.test", "", "2024-03-01 10:00", "2024-03-01 10:00", "2024-03-01", "2025-02-28", "", ""},
			{"CT2", "C2", "O1", "100000", "", "owner:alice@acme.test; presales:pre@acme.test", "2025-02-06 10:00", "2025-02-06 10:00",
				"2025-02-06", "2026-02-05", "", ""},
			{"CT3", "C1", "O3", "30000", "", "owner:alice@acme.test:60%; owner:bob@acme.test:40%", "2025-03-05 10:00", "2025-03-05 10:00",
				"2025-03-05", "2026-03-04", "", ""},
			{"CT9", "C3", "", "40000", "bob@acme.test", "", "2025-03-10 10:00", "2025-03-10 10:00", "2025-03-10", "2026-03-09",
				"2025-03-15 10:00", "customer withdrew"},
		}},
		{"order", [][]string{
			{"External ID", "Customer external ID", "Amount (yuan)", "Owner", "Created at", "Signed at"},
			{"R1", "C3", "8000", "bob@acme.test", "2025-03-12 10:00", "2025-03-12 10:00"},
		}},
		{"payment", [][]string{
			{"Type", "External ID", "Document external ID", "Date", "Amount (yuan)", "Installment external ID", "Reversed payment external ID", "Note (reason of a reversal)"},
			{"installment", "PL1", "CT2", "2025-02-28", "50000", "", "", ""},
			{"installment", "PL2", "CT2", "2025-03-31", "50000", "", "", ""},
			{"installment", "PL3", "CT3", "2025-03-15", "30000", "", "", ""},
			{"payment", "P1", "CT2", "2025-02-26", "50000", "PL1", "", ""},
			{"payment", "P2", "CT3", "2025-03-10", "30000", "PL3", "", ""},
			{"reversal", "RV2", "CT3", "2025-03-25", "", "", "P2", "refunded"},
		}},
		{"followup", [][]string{
			{"Customer external ID", "External ID", "Author", "Type", "Occurred at", "Duration (s)"},
			{"C2", "F1", "alice@acme.test", "call", "2025-01-06 10:00", "600"},
			{"C2", "F2", "alice@acme.test", "visit", "2025-01-20 14:00", ""},
			{"C3", "F3", "bob@acme.test", "call", "2025-01-12 10:00", "300"},
			{"C3", "F4", "bob@acme.test", "sms", "2025-02-01 09:00", ""},
			{"C1", "F5", "alice@acme.test", "call", "2025-03-03 10:00", "900"},
			{"C4", "F6", "bob@acme.test", "call", "2025-03-25 10:00", "120"},
		}},
		{"ticket", [][]string{
			{"External ID", "Customer external ID", "Contract external ID", "Subject", "Kind", "Owner", "Opened at", "First response at", "Resolved at", "Closed at", "Resolution"},
			{"T1", "C2", "CT2", "无法登录", "fault", "alice@acme.test", "2025-02-10 09:00", "2025-02-10 11:00", "2025-02-11 09:00", "", "重置证书"},
			{"T2", "C1", "", "交付延期投诉", "complaint", "alice@acme.test", "2025-03-20 09:00", "2025-03-20 13:00", "", "", ""},
		}},
	}
	for _, f := range imports {
		imp := a.importFile(f.object, false, f.object+".csv", rawCSV(f.rows))
		if imp.RowsFailed != 0 || imp.RowsOK != int64(len(f.rows)-1) {
			t.Fatalf("import %s: %+v %v", f.object, imp, a.errorRows(imp))
		}
	}
	byExt := func(path, ext string) cohort.ID {
		var page struct {
			Items []struct {
				ID cohort.ID `json:"id"`
			} `json:"items"`
		}
		a.must(200, "GET", path+"?filter=external_id:eq:"+ext, nil, &page)
		if len(page.Items) != 1 {
			t.Fatalf("%s %s: %d found", path, ext, len(page.Items))
		}
		ids["$"+ext] = page.Items[0].ID
		return page.Items[0].ID
	}
	for _, c := range []string{"C1", "C2", "C3", "C4", "C5"} {
		byExt("/api/v1/customers", c)
	}
	for _, x := range []string{"O1", "O3"} {
		byExt("/api/v1/opportunities", x)
	}
	ct2, ct3 := byExt("/api/v1/contracts", "CT2"), byExt("/api/v1/contracts", "CT3")
	t1 := byExt("/api/v1/tickets", "T1")

	// Quotes sent by Alice: 100 000 for O1 (the contract matches it), 25 000
	// for O3 (the contract is 20 % above it).
	var prod cohort.Product
	a.must(201, "POST", "/api/v1/products", map[string]any{"code": "G-1", "name": "标准模块", "price": 100000}, &prod)
	for _, q := range []struct {
		cust, opp string
		qty       int
		sent      string
	}{{"$C2", "$O1", 100, "2025-01-25T10:00:00+08:00"}, {"$C1", "$O3", 25, "2025-02-20T10:00:00+08:00"}} {
		var d cohort.Deal
		o.alice.must(201, "POST", "/api/v1/quotes", map[string]any{"customer_id": ids[q.cust], "opportunity_id": ids[q.opp], "name": "报价",
			"lines": []map[string]any{{"product_id": prod.ID, "quantity": q.qty}}}, &d)
		o.alice.must(200, "POST", "/api/v1/quotes/"+d.ID.String()+"/status", map[string]any{"status": "sent", "occurred_at": q.sent}, nil)
	}
	// C4 is lost; CT3's team changes after its signing (Alice alone from
	// 2025-03-20); invoices; T1's cost; expenses (Bob's before and after
	// his move).
	o.bob.must(200, "PATCH", "/api/v1/customers/"+ids["$C4"].String(), map[string]any{"status": "lost", "lost_reason": "budget", "lost_at": "2025-03-28T10:00:00+08:00"}, nil)
	a.must(200, "PUT", "/api/v1/contracts/"+ct3.String()+"/team", map[string]any{"members": []map[string]any{{"user_id": o.aliceU.ID, "role": "owner"}},
		"effective_at": "2025-03-20T00:00:00+08:00"}, nil)
	a.must(201, "POST", "/api/v1/contracts/"+ct2.String()+"/invoices", map[string]any{"number": "INV-1", "amount": 10000000, "issued_date": "2025-02-10"}, nil)
	a.must(201, "POST", "/api/v1/contracts/"+ct3.String()+"/invoices", map[string]any{"number": "INV-2", "amount": 3000000, "issued_date": "2025-03-06"}, nil)
	a.must(200, "PATCH", "/api/v1/tickets/"+t1.String(), map[string]any{"cost": 30000}, nil)
	o.alice.must(201, "POST", "/api/v1/expenses", map[string]any{"type": "travel", "amount": 120000, "incurred_on": "2025-01-20", "customer_id": ids["$C2"]}, nil)
	o.bob.must(201, "POST", "/api/v1/expenses", map[string]any{"type": "entertainment", "amount": 80000, "incurred_on": "2025-02-10"}, nil)
	o.bob.must(201, "POST", "/api/v1/expenses", map[string]any{"type": "gift", "amount": 50000, "incurred_on": "2025-03-05"}, nil)

	// A late-entered event: the payment of 2025-03-30, entered after the
	// quarter was first reported, changes the quarter's figure.
	q := map[string]any{"metrics": []string{"payments_collected"}, "from": "2025-01-01", "to": "2025-04-01"}
	var before metrics.Result
	a.must(200, "POST", "/api/v1/metrics/query", q, &before)
	if v := before.Total.Values["payments_collected"]; v == nil || *v != 5000000 {
		t.Fatalf("payments collected before the late payment: %s", show(v))
	}
	var plans struct {
		Items []cohort.PaymentPlan `json:"items"`
	}
	a.must(200, "GET", "/api/v1/contracts/"+ct2.String()+"/payment-plans", nil, &plans)
	var pl2 cohort.ID
	for _, p := range plans.Items {
		if p.DueDate == "2025-03-31" {
			pl2 = p.ID
		}
	}
	o.alice.must(201, "POST", "/api/v1/contracts/"+ct2.String()+"/payments", map[string]any{"plan_id": pl2, "received_date": "2025-03-30", "amount": 2000000,
		"method": "bank_transfer"}, nil)
	return ids
}

// TestFiguresSettingsAndBadInput: the tenant's churn grace days and quote
// tolerance move their figures; expenses are kept in the data scope and
// refuse bad input; and a bad metric query is a 422 naming the field.
func TestFiguresSettingsAndBadInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		ids := loadGoldenHistory(t, o)
		a := o.admin
		// The drill of an as-of figure lists the facts it counts: the
		// forgotten customers' ownerships.
		var drill metrics.Drill
		a.must(200, "POST", "/api/v1/metrics/drill", map[string]any{"metric": "forgotten_customers", "from": "2025-01-01", "to": "2025-04-01",
			"as_of": "2025-03-31"}, &drill)
		var forgotten []string
		for _, r := range drill.Items {
			forgotten = append(forgotten, r.CustomerID.String())
		}
		slices.Sort(forgotten)
		want := []string{ids["$C2"].String(), ids["$C3"].String(), ids["$C5"].String()}
		slices.Sort(want)
		if !slices.Equal(forgotten, want) {
			t.Errorf("forgotten customers drilled: %v, want %v", forgotten, want)
		}
		ask := func(body map[string]any) map[string]*float64 {
			t.Helper()
			body["from"], body["to"] = "2025-01-01", "2025-04-01"
			var res metrics.Result
			a.must(200, "POST", "/api/v1/metrics/query", body, &res)
			return res.Total.Values
		}
		// C5's contract ended on 2025-02-28; a renewal starting ten days
		// later keeps it from churning under the default 30 grace days, not
		// under 5.
		imp := a.importFile("contract", false, "renewal.csv", rawCSV([][]string{
			{"External ID", "Customer external ID", "Amount (yuan)", "Owner", "Created at", "Signed at", "Start date", "End date"},
			{"CT5R", "C5", "10000", "alice@acme.test", "2025-03-10 10:00", "2025-03-10 10:00", "2025-03-10", "2026-03-09"},
		}))
		if imp.RowsOK != 1 {
			t.Fatalf("renewal: %+v", imp)
		}
		if v := ask(map[string]any{"metrics": []string{"churned_customers"}})["churned_customers"]; v == nil || *v != 0 {
			t.Errorf("churned with a renewal 10 days later, 30 grace days: %s", show(v))
		}
		a.must(200, "PATCH", "/api/v1/tenant/settings", map[string]any{"churn_grace_days": 5, "quote_tolerance_bp": 2000}, nil)
		v := ask(map[string]any{"metrics": []string{"churned_customers", "quote_accuracy"}})
		if c, q := v["churned_customers"], v["quote_accuracy"]; c == nil || *c != 1 || q == nil || *q != 1 {
			t.Errorf("5 grace days, 20 %% tolerance: churned %s, quote accuracy %s", show(c), show(q))
		}
		for _, bad := range []map[string]any{{"churn_grace_days": -1}, {"quote_tolerance_bp": 10001}} {
			if res := a.do("PATCH", "/api/v1/tenant/settings", bad, nil); res.status != 422 {
				t.Errorf("settings %v: %d %s", bad, res.status, res.body)
			}
		}

		// Expenses: in the scope of the person who incurred them.
		var e cohort.Expense
		o.alice.must(201, "POST", "/api/v1/expenses", map[string]any{"type": "travel", "amount": 5000, "incurred_on": "2025-03-01"}, &e)
		if e.UserID != o.aliceU.ID || e.DepartmentID != o.aliceU.DepartmentID || e.Currency != "CNY" {
			t.Fatalf("expense %+v", e)
		}
		if res := o.bob.do("GET", "/api/v1/expenses/"+e.ID.String(), nil, nil); res.status != 404 {
			t.Errorf("bob sees alice's expense: %d", res.status)
		}
		if res := o.bob.do("POST", "/api/v1/expenses", map[string]any{"user_id": o.aliceU.ID, "type": "x", "amount": 1, "incurred_on": "2025-03-01"}, nil); res.status != 422 {
			t.Errorf("bob records alice's expense: %d %s", res.status, res.body)
		}
		o.mgr.must(200, "GET", "/api/v1/expenses/"+e.ID.String(), nil, nil)
		var list cohort.Page[cohort.Expense]
		o.alice.must(200, "GET", "/api/v1/expenses", nil, &list)
		if len(list.Items) != 2 {
			t.Errorf("alice's expenses: %d", len(list.Items))
		}
		for _, bad := range []map[string]any{
			{"type": "travel", "amount": -100, "incurred_on": "2025-03-01"},
			{"type": "travel", "amount": 0, "incurred_on": "2025-03-01"},
			{"type": "", "amount": 100, "incurred_on": "2025-03-01"},
			{"type": "travel", "amount": 100, "incurred_on": "2099-01-01"},
			{"type": "travel", "amount": 100, "incurred_on": "March"},
			{"type": "travel", "amount": 100, "incurred_on": "2025-03-01", "currency": "XXQ"},
			{"type": "travel", "amount": 100, "incurred_on": "2025-03-01", "customer_id": "12345"},
		} {
			if res := o.alice.do("POST", "/api/v1/expenses", bad, nil); res.status != 422 {
				t.Errorf("expense %v: %d %s", bad, res.status, res.body)
			}
		}
		if res := o.alice.do("PATCH", "/api/v1/expenses/"+e.ID.String(), map[string]any{"amount": -1}, nil); res.status != 422 {
			t.Errorf("negative amount by PATCH: %d", res.status)
		}
		o.alice.must(200, "PATCH", "/api/v1/expenses/"+e.ID.String(), map[string]any{"amount": 7000, "incurred_on": "2025-03-02"}, nil)
		if v := ask(map[string]any{"metrics": []string{"expense_amount"}})["expense_amount"]; v == nil || *v != 257000 {
			t.Errorf("expenses after the change: %s", show(v))
		}
		o.alice.must(204, "DELETE", "/api/v1/expenses/"+e.ID.String(), nil, nil)
		if v := ask(map[string]any{"metrics": []string{"expense_amount"}})["expense_amount"]; v == nil || *v != 250000 {
			t.Errorf("expenses after the delete: %s", show(v))
		}

		// Bad metric queries.
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"metrics": []string{"no_such_metric"}}, "metrics[0]"},
			{map[string]any{"metrics": []string{"receivable"}, "as_of": "2025-04-01"}, "as_of"},
			{map[string]any{"metrics": []string{"receivable"}, "as_of": "2024-12-31"}, "as_of"},
			{map[string]any{"metrics": []string{"receivable"}, "as_of": "soon"}, "as_of"},
			{map[string]any{"metrics": []string{"receivable"}, "dimensions": []string{"month"}}, "metrics[0]"},
			{map[string]any{"metrics": []string{"forgotten_customers:0"}}, "metrics[0]"},
			{map[string]any{"metrics": []string{"forgotten_customers:x"}}, "metrics[0]"},
		} {
			c.body["from"], c.body["to"] = "2025-01-01", "2025-04-01"
			res := a.do("POST", "/api/v1/metrics/query", c.body, nil)
			if res.status != 422 || !strings.Contains(string(res.body), `"field":"`+c.field+`"`) {
				t.Errorf("%v: %d %s", c.body, res.status, res.body)
			}
		}
	})
}
