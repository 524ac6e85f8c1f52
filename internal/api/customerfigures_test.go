package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// figureValues reads a customer's figures as metric → value ("null" when
// empty), with the last follow-up under "last_followup".
func figureValues(t *testing.T, c *client, customerID cohort.ID) map[string]string {
	t.Helper()
	var f service.CustomerFigures
	c.must(200, "GET", "/api/v1/customers/"+id(customerID)+"/figures", nil, &f)
	out := map[string]string{"last_followup": f.LastFollowUp}
	for _, x := range f.Figures {
		out[x.Metric] = show(x.Value)
	}
	return out
}

// TestCustomerFigures builds a small history on one customer and checks the
// figures of its page (GET /customers/{id}/figures) metric by metric: what
// the engine counts inside each asker's scope, nothing of a person outside
// it, and a 404 (no figures) for whoever may not see the customer.
func TestCustomerFigures(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		// 2026-01-20 09:00 in the tenant's zone (Asia/Shanghai).
		clock := &fakeClock{t: time.Date(2026, 1, 20, 1, 0, 0, 0, time.UTC)}
		o, _ := newClockedOrg(t, db, clock)
		var c, empty cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "苏州往来测试有限公司"}, &c)
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "无锡空白测试有限公司"}, &empty)
		// A follow-up on 01-20, more than 90 days before today.
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "visit", "content": "初次拜访", "next_action": map[string]any{"fuzzy": "next_week", "plan_type": "keep_in_touch"}}, nil)

		// Today: 2026-05-06.
		clock.t = time.Date(2026, 5, 6, 1, 0, 0, 0, time.UTC)
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "call", "content": "确认需求", "next_action": map[string]any{"fuzzy": "next_week", "plan_type": "keep_in_touch"}}, nil)
		// Opportunities: one open (5000.00, expected to close 06-30), one won (2000.00).
		var open, won cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "二期扩容", "amount": 500000,
			"expected_close_date": "2026-06-30"}, &open)
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "培训服务", "amount": 200000,
			"expected_close_date": "2026-05-30"}, &won)
		o.alice.must(200, "POST", "/api/v1/opportunities/"+id(won.ID)+"/close", map[string]any{"outcome": "won"}, nil)
		// A third one, open with no expected close date (3000.00), shared
		// half and half with Pre: open all the same (it has no
		// opportunity.open fact; the board's stage entry counts it).
		var undated cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "三期规划", "amount": 300000}, &undated)
		if undated.ExpectedCloseDate != "" {
			t.Fatalf("undated opportunity has expected close date %v", undated.ExpectedCloseDate)
		}
		o.admin.must(200, "PUT", "/api/v1/opportunities/"+id(undated.ID)+"/team", map[string]any{"members": []map[string]any{
			{"user_id": o.aliceU.ID, "role": "owner", "share_bp": 5000}, {"user_id": o.preU.ID, "role": "owner", "share_bp": 5000}}}, nil)
		// A contract of 6000.00 and an order of 1000.00, both signed; the order
		// is shared half and half with Pre, who is in nobody's scope here.
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "CF-1", "name": "往来测试产品", "price": 100000}, &prod)
		var k, ord cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "年度合同",
			"lines": []map[string]any{{"product_id": prod.ID, "quantity": 6}}}, &k)
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "signed"}, nil)
		o.alice.must(201, "POST", "/api/v1/orders", map[string]any{"customer_id": c.ID, "name": "备件订单",
			"lines": []map[string]any{{"product_id": prod.ID, "quantity": 1}}}, &ord)
		o.alice.must(200, "POST", "/api/v1/orders/"+id(ord.ID)+"/status", map[string]any{"status": "signed"}, nil)
		o.admin.must(200, "PUT", "/api/v1/orders/"+id(ord.ID)+"/team", map[string]any{"members": []map[string]any{
			{"user_id": o.aliceU.ID, "role": "owner", "share_bp": 5000}, {"user_id": o.preU.ID, "role": "owner", "share_bp": 5000}}}, nil)
		// Installments of 3000.00 due 05-07 and 06-01; on 05-09 (today from
		// here on) 1000.00 paid against the first: 2000.00 receivable, all
		// of it overdue.
		base := "/api/v1/contracts/" + id(k.ID)
		var plan cohort.PaymentPlan
		o.alice.must(201, "POST", base+"/payment-plans", map[string]any{"due_date": "2026-05-07", "amount": 300000}, &plan)
		o.alice.must(201, "POST", base+"/payment-plans", map[string]any{"due_date": "2026-06-01", "amount": 300000}, nil)
		clock.t = time.Date(2026, 5, 9, 1, 0, 0, 0, time.UTC)
		o.alice.must(201, "POST", base+"/payments", map[string]any{"amount": 100000, "plan_id": plan.ID}, nil)
		// Two tickets, one resolved.
		var t1, t2 cohort.Ticket
		o.alice.must(201, "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "subject": "无法登录", "kind": "fault"}, &t1)
		o.alice.must(201, "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "subject": "发票抬头", "kind": "request"}, &t2)
		clock.Add(time.Hour)
		o.alice.must(200, "POST", "/api/v1/tickets/"+id(t2.ID)+"/resolve", map[string]any{"resolution": "已更正"}, nil)

		want := map[string]string{
			// Both open ones; Alice's credit of the undated one is half.
			"opportunities_in_stage": "2", "amount_in_stage": "650000", "weighted_pipeline": "null",
			"won_opportunities": "1", "won_amount": "200000",
			"signed_count": "2", "signed_amount": "650000", "payments_collected": "100000", "receivable": "200000", "overdue": "200000",
			"tickets_opened": "2", "unresolved_tickets": "1",
			"followups": "1", "last_followup": "2026-05-06",
		}
		check := func(who string, got, want map[string]string) {
			t.Helper()
			var bad []string
			for k, v := range want {
				if k == "weighted_pipeline" {
					continue // the stage's probability is the process's; asked for, not checked here
				}
				if got[k] != v {
					bad = append(bad, fmt.Sprintf("%s = %s, want %s", k, got[k], v))
				}
			}
			if len(got) != len(want) {
				bad = append(bad, fmt.Sprintf("%d figures, want %d: %v", len(got), len(want), got))
			}
			if len(bad) > 0 {
				t.Errorf("%s: %s", who, strings.Join(bad, "; "))
			}
		}
		// Alice and her manager count Alice's credit: half of the order.
		check("alice", figureValues(t, o.alice, c.ID), want)
		check("manager", figureValues(t, o.mgr, c.ID), want)
		// The administrator's scope is the company: the whole order.
		all := map[string]string{}
		for k, v := range want {
			all[k] = v
		}
		all["signed_amount"] = "700000"
		all["amount_in_stage"] = "800000"
		check("admin", figureValues(t, o.admin, c.ID), all)

		// Nothing yet: zeros, no last follow-up.
		zero := map[string]string{}
		for k := range want {
			zero[k] = "0"
		}
		zero["last_followup"] = ""
		check("empty", figureValues(t, o.alice, empty.ID), zero)

		// Bob, a salesperson not on the customer, gets no figures but a 404,
		// as for the customer itself; so does Pre, though half the order is his.
		for name, cl := range map[string]*client{"bob": o.bob, "pre": o.pre} {
			if res := cl.do("GET", "/api/v1/customers/"+id(c.ID)+"/figures", nil, nil); res.status != 404 || strings.Contains(string(res.body), "figures") {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		if res := o.alice.do("GET", "/api/v1/customers/123/figures", nil, nil); res.status != 404 {
			t.Errorf("no such customer: %d", res.status)
		}
		if res := o.alice.do("GET", "/api/v1/customers/x/figures", nil, nil); res.status != 400 && res.status != 404 {
			t.Errorf("bad id: %d", res.status)
		}

		// Each figure names the period it was asked over: the drill-down of
		// the same cell lists its facts.
		var f service.CustomerFigures
		o.alice.must(200, "GET", "/api/v1/customers/"+id(c.ID)+"/figures", nil, &f)
		if f.Today != "2026-05-09" || f.Role != "owner" {
			t.Fatalf("figures of %+v", f)
		}
		for _, x := range f.Figures {
			var d struct {
				Items []struct {
					Kind       string  `json:"kind"`
					RecordID   string  `json:"record_id"`
					RecordName string  `json:"record_name"`
					Credited   float64 `json:"credited"`
				} `json:"items"`
			}
			o.alice.must(200, "POST", "/api/v1/metrics/drill", map[string]any{"metric": x.Metric, "from": x.From, "to": x.To, "as_of": x.AsOf,
				"filters": []map[string]any{{"dimension": "customer", "values": []string{c.ID.String()}}}}, &d)
			switch x.Metric {
			case "signed_amount":
				var sum float64
				var names []string
				for _, r := range d.Items {
					sum += r.Credited
					names = append(names, r.RecordName)
				}
				if len(d.Items) != 2 || sum != 650000 || strings.Join(names, ",") != "年度合同,备件订单" {
					t.Errorf("signed_amount drills into %+v", d.Items)
				}
			case "opportunities_in_stage", "amount_in_stage":
				var sum float64
				var names []string
				for _, r := range d.Items {
					sum += r.Credited
					names = append(names, r.RecordName)
				}
				if len(d.Items) != 2 || d.Items[0].RecordID != open.ID.String() || d.Items[1].RecordID != undated.ID.String() ||
					strings.Join(names, ",") != "二期扩容,三期规划" || (x.Metric == "amount_in_stage" && sum != 650000) {
					t.Errorf("%s drills into %+v", x.Metric, d.Items)
				}
			case "followups":
				if len(d.Items) != 1 || d.Items[0].Kind != "followup.done" {
					t.Errorf("followups drills into %+v", d.Items)
				}
			}
		}
		// A new contract and payment move the figures.
		var k2 cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "追加合同",
			"lines": []map[string]any{{"product_id": prod.ID, "quantity": 2}}}, &k2)
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k2.ID)+"/status", map[string]any{"status": "signed"}, nil)
		o.alice.must(201, "POST", base+"/payments", map[string]any{"amount": 50000, "plan_id": plan.ID}, nil)
		want["signed_count"], want["signed_amount"], want["payments_collected"] = "3", "850000", "150000"
		want["receivable"], want["overdue"] = "150000", "150000"
		check("alice after a contract and a payment", figureValues(t, o.alice, c.ID), want)
		verifyFacts(t, db)
	})
}
