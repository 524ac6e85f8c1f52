package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestExpenseListAndFigure is what the expenses page relies on: the list
// names each expense's customer and opportunity, filters by person,
// customer, opportunity, type and period with a count, pages in date order;
// and the sales_expenses figure of the metric engine, asked with the same
// filters, is the sum of the listed amounts.
func TestExpenseListAndFigure(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var c1, c2 cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "杭州费用测试有限公司"}, &c1)
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "宁波费用测试有限公司"}, &c2)
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c1.ID, "name": "费用商机"}, &opp)

		mk := func(c *client, body map[string]any) cohort.Expense {
			t.Helper()
			var e cohort.Expense
			c.must(201, "POST", "/api/v1/expenses", body, &e)
			return e
		}
		// An opportunity alone links its customer too.
		e1 := mk(o.alice, map[string]any{"type": "travel", "amount": 10000, "incurred_on": "2025-03-01", "opportunity_id": opp.ID})
		if e1.CustomerID != c1.ID || e1.CustomerName != c1.Name || e1.OpportunityName != "费用商机" {
			t.Fatalf("created %+v", e1)
		}
		e2 := mk(o.alice, map[string]any{"type": "meal", "amount": 20000, "incurred_on": "2025-03-15", "customer_id": c1.ID})
		e3 := mk(o.alice, map[string]any{"type": "travel", "amount": 30000, "incurred_on": "2025-04-02"})
		e4 := mk(o.bob, map[string]any{"type": "travel", "amount": 40000, "incurred_on": "2025-03-10"})
		if e3.CustomerName != "" || e3.CustomerID != 0 {
			t.Fatalf("no customer: %+v", e3)
		}

		type want struct {
			filters []string
			ids     []cohort.ID
			metric  []metrics.Filter
		}
		from, to := "2025-01-01", "2025-05-01"
		period := []string{"incurred_on:gte:2025-03-01", "incurred_on:lt:2025-04-01"}
		for _, w := range []want{
			{nil, []cohort.ID{e3.ID, e2.ID, e4.ID, e1.ID}, nil},
			{[]string{"customer_id:eq:" + c1.ID.String()}, []cohort.ID{e2.ID, e1.ID}, []metrics.Filter{{Dimension: "customer", Values: []string{c1.ID.String()}}}},
			{[]string{"opportunity_id:eq:" + opp.ID.String()}, []cohort.ID{e1.ID}, []metrics.Filter{{Dimension: "opportunity", Values: []string{opp.ID.String()}}}},
			{[]string{"user_id:eq:" + o.aliceU.ID.String(), "type:eq:travel"}, []cohort.ID{e3.ID, e1.ID},
				[]metrics.Filter{{Dimension: "person", Values: []string{o.aliceU.ID.String()}}, {Dimension: "attr", Values: []string{"travel"}}}},
			{period, []cohort.ID{e2.ID, e4.ID, e1.ID}, nil},
		} {
			q := url.Values{"count": {"true"}, "filter": w.filters}
			var page cohort.Page[cohort.Expense]
			o.mgr.must(200, "GET", "/api/v1/expenses?"+q.Encode(), nil, &page)
			var got []cohort.ID
			var sum int64
			for _, e := range page.Items {
				got = append(got, e.ID)
				sum += e.Amount
			}
			if fmt.Sprint(got) != fmt.Sprint(w.ids) || page.Total == nil || page.Total.N != int64(len(w.ids)) || !page.Total.Exact {
				t.Errorf("%v: %v (total %+v), want %v", w.filters, got, page.Total, w.ids)
			}
			// The page's figure: the same filters, through the engine.
			if w.filters != nil && w.metric == nil && w.filters[0] != period[0] {
				t.Fatalf("%v: no filter of the engine", w.filters)
			}
			qf, qt := from, to
			if len(w.filters) > 0 && w.filters[0] == period[0] {
				qf, qt = "2025-03-01", "2025-04-01"
			}
			var res metrics.Result
			o.mgr.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": []string{"expense_amount"}, "from": qf, "to": qt,
				"filters": w.metric}, &res)
			if v := res.Total.Values["expense_amount"]; v == nil || int64(*v) != sum {
				t.Errorf("%v: expense_amount %s, the list sums %d", w.filters, show(v), sum)
			}
			o.mgr.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": []string{"expenses"}, "from": qf, "to": qt,
				"filters": w.metric}, &res)
			if v := res.Total.Values["expenses"]; v == nil || int(*v) != len(w.ids) {
				t.Errorf("%v: expenses %s, the list has %d", w.filters, show(v), len(w.ids))
			}
		}

		// Keyset pages of one follow the same order.
		var paged []cohort.ID
		cursor := ""
		for range 5 {
			var page cohort.Page[cohort.Expense]
			o.mgr.must(200, "GET", "/api/v1/expenses?limit=1&cursor="+url.QueryEscape(cursor), nil, &page)
			for _, e := range page.Items {
				paged = append(paged, e.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if fmt.Sprint(paged) != fmt.Sprint([]cohort.ID{e3.ID, e2.ID, e4.ID, e1.ID}) {
			t.Errorf("paged %v", paged)
		}
		// Bob sees his own only.
		var bobs cohort.Page[cohort.Expense]
		o.bob.must(200, "GET", "/api/v1/expenses", nil, &bobs)
		if len(bobs.Items) != 1 || bobs.Items[0].ID != e4.ID {
			t.Errorf("bob's list %+v", bobs.Items)
		}
	})
}

// TestExpenseUnlink: a PATCH with customer_id or opportunity_id null
// unlinks the expense (an absent field keeps the link), the figure by
// customer follows, and bad changes are refused naming the field with
// nothing written.
func TestExpenseUnlink(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var c1, c2 cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "苏州解绑测试有限公司"}, &c1)
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "无锡解绑测试有限公司"}, &c2)
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c1.ID, "name": "解绑商机"}, &opp)
		var e cohort.Expense
		o.alice.must(201, "POST", "/api/v1/expenses", map[string]any{"type": "gift", "amount": 12300, "incurred_on": "2025-03-01",
			"opportunity_id": opp.ID, "note": "月饼"}, &e)
		path := "/api/v1/expenses/" + e.ID.String()
		ifv := func(v int) map[string]string { return map[string]string{"If-Match": fmt.Sprintf(`"v%d"`, v)} }
		byCustomer := func(c cohort.ID) float64 {
			t.Helper()
			var res metrics.Result
			o.alice.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": []string{"expense_amount"}, "from": "2025-01-01", "to": "2025-04-01",
				"filters": []metrics.Filter{{Dimension: "customer", Values: []string{c.String()}}}}, &res)
			if v := res.Total.Values["expense_amount"]; v != nil {
				return *v
			}
			return 0
		}
		byOpportunity := func() float64 {
			t.Helper()
			var res metrics.Result
			o.alice.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": []string{"expense_amount"}, "from": "2025-01-01", "to": "2025-04-01",
				"filters": []metrics.Filter{{Dimension: "opportunity", Values: []string{opp.ID.String()}}}}, &res)
			if v := res.Total.Values["expense_amount"]; v != nil {
				return *v
			}
			return 0
		}
		if v, w := byCustomer(c1.ID), byOpportunity(); v != 12300 || w != 12300 {
			t.Fatalf("c1's expenses %v, the opportunity's %v", v, w)
		}
		unchanged := func(what string) {
			t.Helper()
			var now cohort.Expense
			o.alice.must(200, "GET", path, nil, &now)
			if now.Version != e.Version || now.CustomerID != e.CustomerID || now.OpportunityID != e.OpportunityID {
				t.Errorf("%s changed the expense: %+v", what, now)
			}
		}
		for _, c := range []struct {
			body   string
			status int
			field  string
		}{
			// The opportunity would bring its customer back.
			{`{"customer_id": null}`, 422, "customer_id"},
			// Another customer than the opportunity's.
			{fmt.Sprintf(`{"customer_id": "%s"}`, c2.ID), 422, "opportunity_id"},
			{`{"customer_id": ""}`, 400, ""},
			{`{"customer": null}`, 400, "customer"},
		} {
			res := o.alice.do("PATCH", path, c.body, ifv(e.Version))
			if res.status != c.status {
				t.Errorf("%s: %d %s", c.body, res.status, res.body)
				continue
			}
			if p := res.problem(t); c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field) {
				t.Errorf("%s: %s, want the field %s", c.body, res.body, c.field)
			}
			unchanged(c.body)
		}
		// A stale version is 412.
		if res := o.alice.do("PATCH", path, `{"opportunity_id": null}`, ifv(e.Version+1)); res.status != 412 {
			t.Errorf("stale: %d %s", res.status, res.body)
		}
		unchanged("a stale version")

		// Unlink the opportunity: the customer stays; then the customer.
		var u cohort.Expense
		res := o.alice.do("PATCH", path, `{"opportunity_id": null}`, ifv(e.Version))
		res.json(t, &u)
		if res.status != 200 || u.OpportunityID != 0 || u.OpportunityName != "" || u.CustomerID != c1.ID || u.CustomerName != c1.Name || u.Note != "月饼" {
			t.Fatalf("unlink the opportunity: %d %s", res.status, res.body)
		}
		if v, w := byCustomer(c1.ID), byOpportunity(); v != 12300 || w != 0 {
			t.Errorf("after the unlink of the opportunity: c1 %v, the opportunity %v", v, w)
		}
		res = o.alice.do("PATCH", path, `{"note": "茶叶"}`, ifv(u.Version))
		res.json(t, &u)
		if res.status != 200 || u.CustomerID != c1.ID || u.Note != "茶叶" {
			t.Fatalf("an absent field keeps the link: %d %s", res.status, res.body)
		}
		res = o.alice.do("PATCH", path, fmt.Sprintf(`{"customer_id": "%s"}`, c2.ID), ifv(u.Version))
		res.json(t, &u)
		if res.status != 200 || u.CustomerID != c2.ID || u.CustomerName != c2.Name {
			t.Fatalf("move to c2: %d %s", res.status, res.body)
		}
		if a, b := byCustomer(c1.ID), byCustomer(c2.ID); a != 0 || b != 12300 {
			t.Errorf("after the move: c1 %v, c2 %v", a, b)
		}
		res = o.alice.do("PATCH", path, `{"customer_id": null}`, ifv(u.Version))
		res.json(t, &u)
		if res.status != 200 || u.CustomerID != 0 || u.CustomerName != "" {
			t.Fatalf("unlink the customer: %d %s", res.status, res.body)
		}
		if v := byCustomer(c2.ID); v != 0 {
			t.Errorf("c2 after the unlink: %v", v)
		}
		// The audit log names the customer change.
		var audit cohort.Page[cohort.AuditEntry]
		o.admin.must(200, "GET", "/api/v1/audit?object_type=expense&object_id="+e.ID.String(), nil, &audit)
		found := false
		for _, a := range audit.Items {
			for _, ch := range a.Changes {
				found = found || (ch.Field == "customer_name" && string(ch.Before) == fmt.Sprintf("%q", c2.Name) && string(ch.After) == `""`)
			}
		}
		if !found {
			t.Errorf("no audit entry of the unlink: %+v", audit.Items)
		}
	})
}

// TestMergeMovesExpenses: merging a customer with expenses into another
// moves them (it was refused before), and their figure with them, by
// customer and by opportunity.
func TestMergeMovesExpenses(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var keep, dup cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "常州合并费用有限公司"}, &keep)
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "常州合并费用重复有限公司"}, &dup)
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": dup.ID, "name": "合并商机"}, &opp)
		var e1, e2 cohort.Expense
		o.alice.must(201, "POST", "/api/v1/expenses", map[string]any{"type": "meal", "amount": 8800, "incurred_on": "2025-06-01", "customer_id": dup.ID}, &e1)
		o.alice.must(201, "POST", "/api/v1/expenses", map[string]any{"type": "gift", "amount": 1200, "incurred_on": "2025-06-02", "opportunity_id": opp.ID}, &e2)
		var res service.MergeResult
		o.alice.must(200, "POST", "/api/v1/customers/"+keep.ID.String()+"/merge", map[string]any{"duplicate_id": dup.ID}, &res)
		if res.Moved.Expenses != 2 {
			t.Errorf("moved %+v", res.Moved)
		}
		var got cohort.Expense
		o.alice.must(200, "GET", "/api/v1/expenses/"+e2.ID.String(), nil, &got)
		if got.CustomerID != keep.ID || got.OpportunityID != opp.ID {
			t.Errorf("after the merge %+v", got)
		}
		for _, f := range []metrics.Filter{{Dimension: "customer", Values: []string{keep.ID.String()}}, {Dimension: "opportunity", Values: []string{opp.ID.String()}}} {
			var r metrics.Result
			o.alice.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": []string{"expense_amount"}, "from": "2025-01-01", "to": "2026-01-01",
				"filters": []metrics.Filter{f}}, &r)
			want := 10000.0
			if f.Dimension == "opportunity" {
				want = 1200
			}
			if v := r.Total.Values["expense_amount"]; v == nil || *v != want {
				t.Errorf("by %s: %s, want %v", f.Dimension, show(v), want)
			}
		}
	})
}

// TestExpenseFactsOfAnOpportunity: an opportunity's several expenses are
// its facts' several events — `cohort facts verify` finds nothing to say
// (expense.incurred is no kind of one event per record) — and migration
// 0039 brings the facts kept before expenses named their opportunity in
// line: afterwards they agree with a fresh projection again.
func TestExpenseFactsOfAnOpportunity(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := newSalesOrg(t, db)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "温州费用测试有限公司"}, &c)
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "两笔费用"}, &opp)
		for i, day := range []string{"2025-03-01", "2025-03-09"} {
			o.alice.must(201, "POST", "/api/v1/expenses", map[string]any{"type": "travel", "amount": 10000 * (i + 1), "incurred_on": day,
				"opportunity_id": opp.ID}, nil)
		}
		verify := func(when string) {
			t.Helper()
			d, err := facts.Verify(ctx, db, o.tenant, 10, nil)
			if err != nil || len(d) > 0 {
				t.Fatalf("%s: verify: %v\n%s", when, err, strings.Join(d, "\n"))
			}
		}
		verify("two expenses of one opportunity")

		// The facts as they were kept before: the expense as its own record.
		if err := db.WriteTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE facts SET record_type = 'expense', record_id = source_id
				WHERE tenant_id = ? AND kind = 'expense.incurred'`, int64(o.tenant.ID))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if d, err := facts.Verify(ctx, db, o.tenant, 10, nil); err != nil || len(d) == 0 {
			t.Fatalf("verify did not see the old facts: %v", err)
		}
		ms, err := store.Migrations(db.Engine)
		if err != nil {
			t.Fatal(err)
		}
		ran := false
		for _, m := range ms {
			if m.Version == 39 {
				ran = true
				if err := db.WriteTx(ctx, func(tx *store.Tx) error {
					_, err := tx.ExecContext(ctx, m.SQL)
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if !ran {
			t.Fatal("no migration 0039")
		}
		verify("after migration 0039")
	})
}
