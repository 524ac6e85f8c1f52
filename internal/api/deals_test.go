package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/api"
	"github.com/cohortcrm/cohort/internal/obs"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// sent is one notification a recorder saw.
type sent struct {
	user   cohort.ID
	kind   string
	params map[string]any
}

// recorder is a notifier that remembers what it was asked to send.
type recorder struct {
	mu  sync.Mutex
	got []sent
}

func (r *recorder) Notify(_ context.Context, _ *store.Tx, _, userID cohort.ID, kind string, params map[string]any, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, sent{userID, kind, params})
	return nil
}

// to lists the users told about kind, in order.
func (r *recorder) to(kind string) []cohort.ID {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []cohort.ID
	for _, s := range r.got {
		if s.kind == kind {
			out = append(out, s.user)
		}
	}
	return out
}

// newClockedOrg is the sales organisation on a server whose clock the test
// moves; sessions outlive the test's months.
func newClockedOrg(t *testing.T, db *store.DB, clock cohort.Clock) (*salesOrg, *recorder) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(db, clock, log, service.Options{PasswordMemoryKiB: 64, PasswordTime: 1, SessionTTL: 24 * 365 * time.Hour})
	rec := &recorder{}
	svc.SetNotifier(rec)
	a := api.New(svc, nil, log, obs.NewRegistry(), api.Options{SessionTTL: 24 * 365 * time.Hour})
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	e := &env{t: t, db: db, svc: svc, srv: srv, api: a}
	e.tenant, e.admin = e.newTenant("acme", "admin@acme.test")
	return salesOrgOn(e), rec
}

func id(x cohort.ID) string { return x.String() }

func TestDealTotalsAndTransitions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var crm, svcP cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "CRM-STD", "name": "CRM 标准版", "price": 1980000}, &crm)
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "SVC-DAY", "name": "实施人天", "price": 150000}, &svcP)
		var pl cohort.PriceList
		o.admin.must(201, "POST", "/api/v1/price-lists", map[string]any{"name": "2026 渠道价", "valid_from": "2020-01-01",
			"items": []map[string]any{{"product_id": svcP.ID, "price": 99999}}}, &pl)
		if len(pl.Items) != 1 || pl.Items[0].ProductName != "实施人天" || pl.Currency != "CNY" {
			t.Fatalf("price list %+v", pl)
		}
		var expired cohort.PriceList
		o.admin.must(201, "POST", "/api/v1/price-lists", map[string]any{"name": "2020 旧价", "valid_from": "2020-01-01", "valid_to": "2020-12-31",
			"items": []map[string]any{{"product_id": svcP.ID, "price": 1}}}, &expired)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "苏州工业园区数据公司"}, &c)

		// Lines: 3 × 19800.00 less 10 % = 53460.00; 7 × 999.99 (price list) less 3.33 % = 6766.83 (half up from 6766.8233...);
		// header discount 123.45.
		lines := []map[string]any{{"product_id": crm.ID, "quantity": 3, "discount_bp": 1000},
			{"product_id": svcP.ID, "quantity": 7, "price_list_id": pl.ID, "unit_price": 5, "discount_bp": 333}}
		var q cohort.Deal
		o.alice.must(201, "POST", "/api/v1/quotes", map[string]any{"customer_id": c.ID, "name": "数据平台报价", "lines": lines, "discount": 12345}, &q)
		if q.Lines[0].Amount != 5346000 || q.Lines[1].UnitPrice != 99999 || q.Lines[1].Amount != 676683 || q.Subtotal != 6022683 || q.Total != 6010338 {
			t.Fatalf("quote money %+v", q)
		}
		if !regexp.MustCompile(`^QT-\d{4}-000001$`).MatchString(q.Number) || q.Status != "draft" || q.CustomerName != c.Name {
			t.Fatalf("quote %+v", q)
		}
		// An expired price list, a discount above the lines and a bad quantity are refused.
		for name, body := range map[string]map[string]any{
			"expired list": {"customer_id": c.ID, "name": "x", "lines": []map[string]any{{"product_id": svcP.ID, "quantity": 1, "price_list_id": expired.ID}}},
			"discount":     {"customer_id": c.ID, "name": "x", "lines": []map[string]any{{"product_id": svcP.ID, "quantity": 1}}, "discount": 150001},
			"quantity":     {"customer_id": c.ID, "name": "x", "lines": []map[string]any{{"product_id": svcP.ID, "quantity": 0}}},
			"no product":   {"customer_id": c.ID, "name": "x", "lines": []map[string]any{{"product_id": "42", "quantity": 1}}},
		} {
			if res := o.alice.do("POST", "/api/v1/quotes", body, nil); res.status != 422 {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		// A customer Bob cannot see is not found for him.
		if res := o.bob.do("POST", "/api/v1/quotes", map[string]any{"customer_id": c.ID, "name": "x"}, nil); res.status != 404 {
			t.Fatalf("bob quotes alice's customer: %d", res.status)
		}

		// Quotes have no team: Bob does not see Alice's, her manager does.
		if res := o.bob.do("GET", "/api/v1/quotes/"+id(q.ID), nil, nil); res.status != 404 {
			t.Fatalf("bob sees alice's quote: %d", res.status)
		}
		var mgrQuotes cohort.Page[cohort.Deal]
		o.mgr.must(200, "GET", "/api/v1/quotes?filter=customer_id:eq:"+id(c.ID), nil, &mgrQuotes)
		if len(mgrQuotes.Items) != 1 {
			t.Fatalf("manager's quotes %d", len(mgrQuotes.Items))
		}
		// Quote workflow: draft → accepted is refused naming "sent", and writes nothing.
		res := o.alice.do("POST", "/api/v1/quotes/"+id(q.ID)+"/status", map[string]any{"status": "accepted"}, nil)
		if res.status != 422 || !strings.Contains(res.problem(t).Detail, "allowed: sent") {
			t.Fatalf("draft → accepted: %d %s", res.status, res.body)
		}
		var again cohort.Deal
		o.alice.must(200, "GET", "/api/v1/quotes/"+id(q.ID), nil, &again)
		if again.Version != q.Version || again.Status != "draft" {
			t.Fatalf("refused move wrote: %+v", again)
		}
		o.alice.must(200, "POST", "/api/v1/quotes/"+id(q.ID)+"/status", map[string]any{"status": "sent"}, &q)
		if q.SentAt == nil || q.Status != "sent" {
			t.Fatalf("sent %+v", q)
		}
		if res := o.alice.do("PATCH", "/api/v1/quotes/"+id(q.ID), map[string]any{"discount": 0}, nil); res.status != 409 {
			t.Fatalf("money change on a sent quote: %d", res.status)
		}
		o.alice.must(200, "POST", "/api/v1/quotes/"+id(q.ID)+"/status", map[string]any{"status": "accepted"}, &q)
		res = o.alice.do("POST", "/api/v1/quotes/"+id(q.ID)+"/status", map[string]any{"status": "sent"}, nil)
		if res.status != 422 || !strings.Contains(res.problem(t).Detail, "accepted is final") {
			t.Fatalf("accepted → sent: %d %s", res.status, res.body)
		}
		var evs cohort.Page[cohort.RecordEvent]
		o.alice.must(200, "GET", "/api/v1/quotes/"+id(q.ID)+"/events", nil, &evs)
		if len(evs.Items) != 3 || evs.Items[1].Event != "sent" || evs.Items[2].Event != "accepted" || evs.Items[2].UserID != o.aliceU.ID {
			t.Fatalf("quote events %+v", evs.Items)
		}

		// A contract made from the quote carries its lines and discount.
		var k cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "数据平台合同", "quote_id": q.ID, "number": "HT-MANUAL-1"}, &k)
		if k.Total != q.Total || len(k.Lines) != 2 || k.Number != "HT-MANUAL-1" || k.Kind != "contract" {
			t.Fatalf("contract from quote %+v", k)
		}
		if res := o.alice.do("POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "dup", "number": "HT-MANUAL-1"}, nil); res.status != 409 {
			t.Fatalf("duplicate number: %d", res.status)
		}
		// The same number is fine for another kind.
		o.alice.must(201, "POST", "/api/v1/orders", map[string]any{"customer_id": c.ID, "name": "order", "number": "HT-MANUAL-1"}, nil)
		// Contract ids are not orders.
		if res := o.alice.do("GET", "/api/v1/orders/"+id(k.ID), nil, nil); res.status != 404 {
			t.Fatalf("contract as an order: %d", res.status)
		}
		res = o.alice.do("POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "ended"}, nil)
		if res.status != 422 || !strings.Contains(res.problem(t).Detail, "allowed: signed") {
			t.Fatalf("draft → ended: %d %s", res.status, res.body)
		}
		// An empty contract cannot be signed: the refusal names what is missing.
		var empty cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "空合同"}, &empty)
		if !regexp.MustCompile(`^HT-\d{4}-000001$`).MatchString(empty.Number) {
			t.Fatalf("generated contract number %q", empty.Number)
		}
		res = o.alice.do("POST", "/api/v1/contracts/"+id(empty.ID)+"/status", map[string]any{"status": "signed"}, nil)
		if res.status != 422 || !strings.Contains(res.problem(t).Detail, "product lines") {
			t.Fatalf("signing an empty contract: %d %s", res.status, res.body)
		}
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "signed"}, &k)
		if k.SignedAt == nil || k.SignedBy != o.aliceU.ID || k.SignedDate == "" || k.Balance == nil || k.Balance.Receivable != k.Total {
			t.Fatalf("signed %+v", k)
		}
		if res := o.alice.do("PATCH", "/api/v1/contracts/"+id(k.ID), map[string]any{"lines": []map[string]any{}}, nil); res.status != 409 {
			t.Fatalf("lines of a signed contract changed: %d", res.status)
		}
		o.alice.must(200, "PATCH", "/api/v1/contracts/"+id(k.ID), map[string]any{"note": "纸质合同已归档"}, nil)
		var cust cohort.Customer
		o.alice.must(200, "GET", "/api/v1/customers/"+id(c.ID), nil, &cust)
		if cust.FirstSignedAt == nil || !cust.FirstSignedAt.Equal(*k.SignedAt) {
			t.Fatalf("first_signed_at %v, signed_at %v", cust.FirstSignedAt, k.SignedAt)
		}
		// Orders: a draft may be cancelled; signed → delivered.
		var ord cohort.Deal
		o.alice.must(201, "POST", "/api/v1/orders", map[string]any{"customer_id": c.ID, "name": "加购", "lines": []map[string]any{{"product_id": svcP.ID, "quantity": 2}}}, &ord)
		o.alice.must(200, "POST", "/api/v1/orders/"+id(ord.ID)+"/status", map[string]any{"status": "signed"}, nil)
		o.alice.must(200, "POST", "/api/v1/orders/"+id(ord.ID)+"/status", map[string]any{"status": "delivered"}, &ord)
		if ord.ClosedAt == nil || ord.Total != 300000 {
			t.Fatalf("delivered order %+v", ord)
		}
		// Search finds the contract by its customer's name, for Alice only.
		var hits cohort.Page[map[string]any]
		o.alice.must(200, "GET", "/api/v1/search?q=苏州工业园区&types=contract", nil, &hits)
		if len(hits.Items) != 2 {
			t.Fatalf("contract search: %+v", hits.Items)
		}
		o.bob.must(200, "GET", "/api/v1/search?q=苏州工业园区&types=contract", nil, &hits)
		if len(hits.Items) != 0 {
			t.Fatalf("bob finds alice's contracts: %+v", hits.Items)
		}
		// The audit log has the signing with its fields.
		var audit cohort.Page[cohort.AuditEntry]
		o.admin.must(200, "GET", "/api/v1/audit?object_id="+id(k.ID)+"&action=status", nil, &audit)
		if len(audit.Items) != 1 || !strings.Contains(string(mustJSON(audit.Items[0].Changes)), "signed_at") {
			t.Fatalf("audit of signing %+v", audit.Items)
		}
	})
}

func TestContractTeamPaymentsAndOverdue(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		// 2026-03-10 09:00 in Shanghai.
		clock := &fakeClock{t: time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)}
		o, rec := newClockedOrg(t, db, clock)
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "ERP", "name": "ERP", "price": 1000000}, &prod)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "无锡精密机械"}, &c)
		var k cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "ERP 合同",
			"lines": []map[string]any{{"product_id": prod.ID, "quantity": 1}},
			"team":  []map[string]any{{"user_id": o.preU.ID, "role": "presales", "access": "read"}}}, &k)
		// Presales on the team sees it from another department; Bob does not; the manager does by scope.
		o.pre.must(200, "GET", "/api/v1/contracts/"+id(k.ID), nil, nil)
		if res := o.pre.do("PATCH", "/api/v1/contracts/"+id(k.ID), map[string]any{"note": "x"}, nil); res.status != 404 {
			t.Fatalf("read-only member edits: %d", res.status)
		}
		if res := o.bob.do("GET", "/api/v1/contracts/"+id(k.ID), nil, nil); res.status != 404 {
			t.Fatalf("bob sees it: %d", res.status)
		}
		if res := o.bob.do("GET", "/api/v1/contracts/"+id(k.ID)+"/payments", nil, nil); res.status != 404 {
			t.Fatalf("bob sees its payments: %d", res.status)
		}
		o.mgr.must(200, "GET", "/api/v1/contracts/"+id(k.ID), nil, nil)
		var list cohort.Page[cohort.Deal]
		o.pre.must(200, "GET", "/api/v1/contracts?view=team", nil, &list)
		if len(list.Items) != 1 {
			t.Fatalf("presales team view %d", len(list.Items))
		}

		clock.Add(time.Hour)
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "signed"}, &k)
		signedAt := *k.SignedAt
		if got := rec.to("deal_signed"); len(got) != 1 || got[0] != o.preU.ID {
			t.Fatalf("signing told %v, want the presales only", got)
		}
		// A day later the team changes: Bob replaces the presales.
		clock.Add(24 * time.Hour)
		o.alice.must(200, "PUT", "/api/v1/contracts/"+id(k.ID)+"/team", map[string]any{"members": []map[string]any{
			{"user_id": o.aliceU.ID, "role": "owner"}, {"user_id": o.bobU.ID, "role": "presales"}}}, nil)
		var then, now cohort.Page[cohort.TeamMember]
		o.alice.must(200, "GET", "/api/v1/contracts/"+id(k.ID)+"/team?at="+signedAt.Format(time.RFC3339Nano), nil, &then)
		o.alice.must(200, "GET", "/api/v1/contracts/"+id(k.ID)+"/team", nil, &now)
		if !hasMember(then.Items, o.preU.ID, "presales") || hasMember(then.Items, o.bobU.ID, "presales") ||
			!hasMember(now.Items, o.bobU.ID, "presales") || hasMember(now.Items, o.preU.ID, "presales") {
			t.Fatalf("team at signing %+v, now %+v", then.Items, now.Items)
		}
		if res := o.pre.do("GET", "/api/v1/contracts/"+id(k.ID), nil, nil); res.status != 404 {
			t.Fatalf("former member still sees it: %d", res.status)
		}
		var evs cohort.Page[cohort.RecordEvent]
		o.alice.must(200, "GET", "/api/v1/contracts/"+id(k.ID)+"/events", nil, &evs)
		if len(evs.Items) != 2 || evs.Items[1].Event != "signed" || !evs.Items[1].RecordedAt.Equal(signedAt) || evs.Items[1].UserID != o.aliceU.ID {
			t.Fatalf("contract events %+v", evs.Items)
		}

		// A second contract signed backdated to last month moves first_signed_at back; a later one does not.
		var k2, k3 cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "补录合同", "lines": []map[string]any{{"product_id": prod.ID, "quantity": 1}}}, &k2)
		o.alice.must(201, "POST", "/api/v1/orders", map[string]any{"customer_id": c.ID, "name": "新订单", "lines": []map[string]any{{"product_id": prod.ID, "quantity": 1}}}, &k3)
		if res := o.alice.do("POST", "/api/v1/contracts/"+id(k2.ID)+"/status", map[string]any{"status": "signed", "signed_at": "2027-01-01T00:00:00Z"}, nil); res.status != 422 {
			t.Fatalf("future signing: %d", res.status)
		}
		// Beyond the tenant's 7-day window a salesperson may not date it; an administrator may.
		if res := o.alice.do("POST", "/api/v1/contracts/"+id(k2.ID)+"/status", map[string]any{"status": "signed", "signed_at": "2026-02-20T02:00:00Z"}, nil); res.status != 403 ||
			!strings.Contains(string(res.body), "signed_at") {
			t.Fatalf("signing dated a month back without the backdate permission: %d %s", res.status, res.body)
		}
		o.admin.must(200, "POST", "/api/v1/contracts/"+id(k2.ID)+"/status", map[string]any{"status": "signed", "signed_at": "2026-02-20T02:00:00Z"}, &k2)
		o.alice.must(200, "POST", "/api/v1/orders/"+id(k3.ID)+"/status", map[string]any{"status": "signed"}, nil)
		var cust cohort.Customer
		o.alice.must(200, "GET", "/api/v1/customers/"+id(c.ID), nil, &cust)
		if k2.SignedDate != "2026-02-20" || cust.FirstSignedAt == nil || !cust.FirstSignedAt.Equal(time.Date(2026, 2, 20, 2, 0, 0, 0, time.UTC)) {
			t.Fatalf("backdated signing %s, first_signed_at %v", k2.SignedDate, cust.FirstSignedAt)
		}

		// Payment plan: 3000.00 on 03-15, 3000.00 on 04-15, 4000.00 on 05-15 (total 10000.00).
		base := "/api/v1/contracts/" + id(k.ID)
		var plans [3]cohort.PaymentPlan
		for i, pl := range []map[string]any{{"due_date": "2026-03-15", "amount": 300000}, {"due_date": "2026-04-15", "amount": 300000}, {"due_date": "2026-05-15", "amount": 400000}} {
			o.alice.must(201, "POST", base+"/payment-plans", pl, &plans[i])
		}
		if res := o.alice.do("POST", base+"/payment-plans", map[string]any{"due_date": "2026-06-15", "amount": 1}, nil); res.status != 422 {
			t.Fatalf("plan above the total: %d %s", res.status, res.body)
		}
		o.alice.must(201, "POST", base+"/payments", map[string]any{"amount": 200000, "method": "bank_transfer"}, nil) // received today, 03-11
		b := balanceOf(t, o.alice, base)
		if b.AsOf != "2026-03-11" || b.Collected != 200000 || b.Receivable != 800000 || b.Overdue != 0 || b.Due != 0 ||
			b.NextDue == nil || b.NextDue.DueDate != "2026-03-15" || b.NextDue.Remaining != 100000 {
			t.Fatalf("balance on 03-11 %+v", b)
		}
		// 03-20: the first installment is overdue by what is left of it.
		clock.t = time.Date(2026, 3, 20, 2, 0, 0, 0, time.UTC)
		b = balanceOf(t, o.alice, base)
		if b.Overdue != 100000 || b.Due != 100000 || b.NextDue == nil || b.NextDue.DueDate != "2026-04-15" {
			t.Fatalf("balance on 03-20 %+v", b)
		}
		// A payment for the second installment covers it first; the first stays overdue.
		o.alice.must(201, "POST", base+"/payments", map[string]any{"amount": 150000, "plan_id": plans[1].ID, "received_date": "2026-03-19"}, nil)
		b = balanceOf(t, o.alice, base)
		if b.Overdue != 100000 || b.Receivable != 650000 || b.NextDue.Remaining != 150000 {
			t.Fatalf("after an allocated payment %+v", b)
		}
		// Over-payment, a future date and a foreign installment are refused and write nothing.
		for name, body := range map[string]map[string]any{
			"over":   {"amount": 650001},
			"future": {"amount": 1, "received_date": "2026-03-21"},
			"plan":   {"amount": 1, "plan_id": k2.ID},
			"method": {"amount": 1, "method": "barter"},
		} {
			if res := o.alice.do("POST", base+"/payments", body, nil); res.status != 422 {
				t.Errorf("%s payment: %d %s", name, res.status, res.body)
			}
		}
		var pays cohort.Page[cohort.Payment]
		o.alice.must(200, "GET", base+"/payments", nil, &pays)
		if len(pays.Items) != 2 || pays.Items[0].RecordedBy != o.aliceU.ID || pays.Items[0].Currency != "CNY" {
			t.Fatalf("payments %+v", pays.Items)
		}
		if got := rec.to("payment_received"); len(got) != 2 || got[0] != o.bobU.ID {
			t.Fatalf("payments told %v, want the current team without the recorder", got)
		}
		// The tenant's day decides what is overdue: 04-15 01:00 in Shanghai is still 04-14 in UTC.
		clock.t = time.Date(2026, 4, 14, 17, 0, 0, 0, time.UTC)
		if b = balanceOf(t, o.alice, base); b.AsOf != "2026-04-15" || b.Overdue != 100000 || b.Due != 250000 {
			t.Fatalf("balance on 04-15 (Shanghai) %+v", b)
		}
		clock.t = time.Date(2026, 4, 15, 16, 30, 0, 0, time.UTC)
		if b = balanceOf(t, o.alice, base); b.AsOf != "2026-04-16" || b.Overdue != 250000 {
			t.Fatalf("balance on 04-16 (Shanghai) %+v", b)
		}
		// The owner's workbench lists the contract with what is overdue.
		var wb service.Workbench
		o.alice.must(200, "GET", "/api/v1/workbench", nil, &wb)
		if len(wb.PaymentsDue) != 1 || wb.PaymentsDue[0].Balance.Overdue != 250000 {
			t.Fatalf("workbench payments due %+v", wb.PaymentsDue)
		}
		// Pay the rest: nothing receivable, nothing overdue, and nothing more may be paid.
		o.alice.must(201, "POST", base+"/payments", map[string]any{"amount": 650000}, nil)
		if b = balanceOf(t, o.alice, base); b.Receivable != 0 || b.Overdue != 0 || b.NextDue != nil {
			t.Fatalf("paid up %+v", b)
		}
		if res := o.alice.do("POST", base+"/payments", map[string]any{"amount": 1}, nil); res.status != 422 {
			t.Fatalf("payment on a paid contract: %d", res.status)
		}
		// An installment with payments stays.
		if res := o.alice.do("DELETE", base+"/payment-plans/"+id(plans[1].ID), nil, nil); res.status != 409 {
			t.Fatalf("deleting a paid installment: %d", res.status)
		}

		// A reversal (冲销) of the 03-19 payment: dated today, the opposite
		// amount, naming the payment; the money is receivable again and the
		// installments are covered as if the payment never came.
		paid := pays.Items[1]
		if paid.Amount != 150000 {
			t.Fatalf("payments %+v", pays.Items)
		}
		if res := o.alice.do("POST", base+"/payments/"+id(paid.ID)+"/reverse", map[string]any{"reason": " "}, nil); res.status != 422 {
			t.Fatalf("reversal without a reason: %d %s", res.status, res.body)
		}
		var rev cohort.Payment
		o.alice.must(201, "POST", base+"/payments/"+id(paid.ID)+"/reverse", map[string]any{"reason": "客户退款"}, &rev)
		if rev.Amount != -150000 || rev.ReversesID != paid.ID || rev.ReceivedDate != "2026-04-16" || rev.Note != "客户退款" {
			t.Fatalf("reversal %+v", rev)
		}
		if b = balanceOf(t, o.alice, base); b.Collected != 850000 || b.Receivable != 150000 || b.Overdue != 0 ||
			b.NextDue == nil || b.NextDue.DueDate != "2026-05-15" || b.NextDue.Remaining != 150000 {
			t.Fatalf("balance after the reversal %+v", b)
		}
		for name, c := range map[string]struct {
			path   string
			status int
		}{
			"twice":        {base + "/payments/" + id(paid.ID) + "/reverse", 409},
			"the reversal": {base + "/payments/" + id(rev.ID) + "/reverse", 422},
			"unknown":      {base + "/payments/" + id(k2.ID) + "/reverse", 404},
			"other's":      {"/api/v1/contracts/" + id(k2.ID) + "/payments/" + id(paid.ID) + "/reverse", 404},
		} {
			if res := o.alice.do("POST", c.path, map[string]any{"reason": "x"}, nil); res.status != c.status {
				t.Errorf("reversing %s: %d %s, want %d", name, res.status, res.body, c.status)
			}
		}
		o.alice.must(200, "GET", base+"/payments", nil, &pays)
		if len(pays.Items) != 4 || pays.Items[1].ReversedBy != rev.ID {
			t.Fatalf("payments after the reversal %+v", pays.Items)
		}
		if got := rec.to("payment_reversed"); len(got) != 1 || got[0] != o.bobU.ID {
			t.Fatalf("reversal told %v", got)
		}
		o.alice.must(201, "POST", base+"/payments", map[string]any{"amount": 150000}, nil)

		// Invoices never exceed the total; a voided one frees its amount.
		var inv1 cohort.Invoice
		o.alice.must(201, "POST", base+"/invoices", map[string]any{"number": "FP-0001", "amount": 600000}, &inv1)
		if res := o.alice.do("POST", base+"/invoices", map[string]any{"number": "FP-0002", "amount": 400001}, nil); res.status != 422 {
			t.Fatalf("invoice above the total: %d %s", res.status, res.body)
		}
		if res := o.alice.do("POST", base+"/invoices", map[string]any{"number": "FP-0001", "amount": 1}, nil); res.status != 409 {
			t.Fatalf("duplicate invoice number: %d", res.status)
		}
		o.alice.must(200, "POST", base+"/invoices/"+id(inv1.ID)+"/void", nil, &inv1)
		if inv1.Status != "void" || inv1.VoidedAt == nil {
			t.Fatalf("void %+v", inv1)
		}
		o.alice.must(201, "POST", base+"/invoices", map[string]any{"number": "FP-0003", "amount": 1000000}, nil)
		var got cohort.Deal
		o.alice.must(200, "GET", base, nil, &got)
		if got.Balance.Invoiced != 1000000 || got.Balance.Collected != 1000000 {
			t.Fatalf("detail balance %+v", got.Balance)
		}
		// Draft contracts take no money.
		var draft cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "草稿", "lines": []map[string]any{{"product_id": prod.ID, "quantity": 1}}}, &draft)
		if res := o.alice.do("POST", "/api/v1/contracts/"+id(draft.ID)+"/payments", map[string]any{"amount": 1}, nil); res.status != 409 {
			t.Fatalf("payment on a draft: %d", res.status)
		}
	})
}

func hasMember(ms []cohort.TeamMember, user cohort.ID, role string) bool {
	for _, m := range ms {
		if m.UserID == user && m.Role == role {
			return true
		}
	}
	return false
}

func balanceOf(t *testing.T, c *client, base string) cohort.Balance {
	t.Helper()
	var pl struct {
		Items   []cohort.PaymentPlan `json:"items"`
		Balance cohort.Balance       `json:"balance"`
	}
	c.must(200, "GET", base+"/payment-plans", nil, &pl)
	var d cohort.Deal
	c.must(200, "GET", base, nil, &d)
	if d.Balance == nil || d.Balance.AsOf != pl.Balance.AsOf || d.Balance.Collected != pl.Balance.Collected ||
		d.Balance.Receivable != pl.Balance.Receivable || d.Balance.Overdue != pl.Balance.Overdue || d.Balance.Due != pl.Balance.Due {
		t.Fatalf("detail balance %+v differs from the plan's %+v", d.Balance, pl.Balance)
	}
	return pl.Balance
}

func TestTicketLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		clock := &fakeClock{t: time.Date(2026, 5, 6, 1, 0, 0, 0, time.UTC)}
		o, rec := newClockedOrg(t, db, clock)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "南京云端教育"}, &c)
		var tk cohort.Ticket
		o.alice.must(201, "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "subject": "报表导出失败", "kind": "fault",
			"priority": "urgent", "owner_id": o.bobU.ID}, &tk)
		if !regexp.MustCompile(`^GD-2026-000001$`).MatchString(tk.Number) || tk.Status != "open" || !tk.OpenedAt.Equal(clock.Now()) ||
			tk.OwnerID != o.bobU.ID || tk.FirstResponseAt != nil {
			t.Fatalf("ticket %+v", tk)
		}
		if got := rec.to("ticket_assigned"); len(got) != 1 || got[0] != o.bobU.ID {
			t.Fatalf("assignment told %v", got)
		}
		if res := o.alice.do("POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "subject": "x", "priority": "asap"}, nil); res.status != 422 {
			t.Fatalf("bad priority: %d", res.status)
		}
		// Bob works it as its owner; Pre does not see it.
		if res := o.pre.do("GET", "/api/v1/tickets/"+id(tk.ID), nil, nil); res.status != 404 {
			t.Fatalf("pre sees it: %d", res.status)
		}
		path := "/api/v1/tickets/" + id(tk.ID)
		res := o.bob.do("POST", path+"/rate", map[string]any{"satisfaction": 5}, nil)
		if res.status != 422 || !strings.Contains(res.problem(t).Detail, "allowed: respond, resolve") {
			t.Fatalf("rating an open ticket: %d %s", res.status, res.body)
		}
		clock.Add(20 * time.Minute)
		o.bob.must(200, "POST", path+"/respond", map[string]any{"note": "已联系客户"}, &tk)
		first := clock.Now()
		if tk.Status != "in_progress" || tk.FirstResponseAt == nil || !tk.FirstResponseAt.Equal(first) || tk.FirstResponseBy != o.bobU.ID {
			t.Fatalf("responded %+v", tk)
		}
		clock.Add(time.Hour)
		o.bob.must(200, "POST", path+"/respond", map[string]any{}, &tk)
		if !tk.FirstResponseAt.Equal(first) {
			t.Fatalf("second response moved first_response_at to %v", tk.FirstResponseAt)
		}
		if res := o.bob.do("POST", path+"/resolve", map[string]any{}, nil); res.status != 422 {
			t.Fatalf("resolve without a resolution: %d", res.status)
		}
		clock.Add(2 * time.Hour)
		o.bob.must(200, "POST", path+"/resolve", map[string]any{"resolution": "修复导出模板", "cost": 35000}, &tk)
		if tk.Status != "resolved" || tk.ResolvedAt == nil || !tk.ResolvedAt.Equal(clock.Now()) || tk.Cost != 35000 || tk.ResolvedBy != o.bobU.ID {
			t.Fatalf("resolved %+v", tk)
		}
		if res := o.bob.do("POST", path+"/rate", map[string]any{"satisfaction": 6}, nil); res.status != 422 {
			t.Fatalf("rating 6: %d", res.status)
		}
		o.bob.must(200, "POST", path+"/rate", map[string]any{"satisfaction": 4, "satisfaction_note": "响应快"}, &tk)
		o.bob.must(200, "POST", path+"/close", map[string]any{}, &tk)
		if tk.Satisfaction != 4 || tk.Status != "closed" || tk.ClosedAt == nil {
			t.Fatalf("closed %+v", tk)
		}
		// Reopened, it is back in progress without its resolution and rating; the first response stays.
		o.bob.must(200, "POST", path+"/reopen", map[string]any{"note": "问题复现"}, &tk)
		if tk.Status != "in_progress" || tk.ResolvedAt != nil || tk.ClosedAt != nil || tk.Satisfaction != 0 || !tk.FirstResponseAt.Equal(first) {
			t.Fatalf("reopened %+v", tk)
		}
		var evs cohort.Page[cohort.RecordEvent]
		o.bob.must(200, "GET", path+"/events", nil, &evs)
		var names []string
		for _, e := range evs.Items {
			names = append(names, e.Event)
		}
		if strings.Join(names, ",") != "opened,responded,responded,resolved,rated,closed,reopened" {
			t.Fatalf("ticket events %v", names)
		}

		// A follow-up logged on a ticket is its first response, at the follow-up's time.
		var tk2 cohort.Ticket
		o.alice.must(201, "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "subject": "咨询续费", "kind": "request"}, &tk2)
		clock.Add(30 * time.Minute)
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "record_type": "ticket", "record_id": tk2.ID,
			"type": "call", "duration_s": 120, "next_action": map[string]any{"fuzzy": "tomorrow", "plan_type": "keep_in_touch"}}, nil)
		o.alice.must(200, "GET", "/api/v1/tickets/"+id(tk2.ID), nil, &tk2)
		if tk2.FirstResponseAt == nil || !tk2.FirstResponseAt.Equal(clock.Now()) || tk2.Status != "in_progress" || tk2.FirstResponseBy != o.aliceU.ID {
			t.Fatalf("follow-up response %+v", tk2)
		}
		// The manager hands the ticket to Pre, who is told.
		o.mgr.must(200, "PUT", "/api/v1/tickets/"+id(tk2.ID)+"/team", map[string]any{"members": []map[string]any{{"user_id": o.preU.ID, "role": "owner"}}}, nil)
		if got := rec.to("ticket_assigned"); len(got) != 2 || got[1] != o.preU.ID {
			t.Fatalf("reassignment told %v", got)
		}
		var list cohort.Page[cohort.Ticket]
		o.mgr.must(200, "GET", "/api/v1/tickets?filter=kind:eq:fault&sort=-opened_at", nil, &list)
		if len(list.Items) != 1 || list.Items[0].ID != tk.ID {
			t.Fatalf("manager's fault tickets %+v", list.Items)
		}
	})
}

func TestProjectMilestones(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "MES", "name": "MES", "price": 500000}, &prod)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "常州新能源"}, &c)
		var k cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "MES 合同", "lines": []map[string]any{{"product_id": prod.ID, "quantity": 1}}}, &k)
		if res := o.alice.do("POST", "/api/v1/projects", map[string]any{"name": "MES 实施", "deal_id": k.ID}, nil); res.status != 422 {
			t.Fatalf("project for a draft contract: %d", res.status)
		}
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "signed"}, nil)
		var pj cohort.Project
		o.alice.must(201, "POST", "/api/v1/projects", map[string]any{"name": "MES 实施", "deal_id": k.ID, "start_date": "2026-06-01", "due_date": "2026-09-30",
			"team": []map[string]any{{"user_id": o.preU.ID, "role": "project_manager"}}}, &pj)
		if pj.CustomerID != c.ID || pj.Status != "planned" || !regexp.MustCompile(`^XM-\d{4}-000001$`).MatchString(pj.Number) {
			t.Fatalf("project %+v", pj)
		}
		// The project manager works it from another department.
		o.pre.must(201, "POST", "/api/v1/projects/"+id(pj.ID)+"/milestones", map[string]any{"name": "上线", "due_date": "2026-08-31"}, &pj)
		if res := o.pre.do("POST", "/api/v1/projects/"+id(pj.ID)+"/milestones", map[string]any{"name": ""}, nil); res.status != 422 {
			t.Fatalf("nameless milestone: %d", res.status)
		}
		if res := o.bob.do("GET", "/api/v1/projects/"+id(pj.ID), nil, nil); res.status != 404 {
			t.Fatalf("bob sees it: %d", res.status)
		}
		res := o.pre.do("POST", "/api/v1/projects/"+id(pj.ID)+"/status", map[string]any{"status": "completed"}, nil)
		if res.status != 422 || !strings.Contains(res.problem(t).Detail, "allowed: in_progress, cancelled") {
			t.Fatalf("planned → completed: %d %s", res.status, res.body)
		}
		o.pre.must(200, "POST", "/api/v1/projects/"+id(pj.ID)+"/status", map[string]any{"status": "in_progress"}, &pj)
		if pj.StartedAt == nil || len(pj.Milestones) != 1 {
			t.Fatalf("started %+v", pj)
		}
		ms := pj.Milestones[0]
		o.pre.must(200, "POST", "/api/v1/projects/"+id(pj.ID)+"/milestones/"+id(ms.ID)+"/done", nil, &pj)
		if pj.Milestones[0].DoneAt == nil || pj.Milestones[0].DoneBy != o.preU.ID {
			t.Fatalf("milestone done %+v", pj.Milestones[0])
		}
		if res := o.pre.do("POST", "/api/v1/projects/"+id(pj.ID)+"/milestones/"+id(ms.ID)+"/done", nil, nil); res.status != 409 {
			t.Fatalf("done twice: %d", res.status)
		}
		o.pre.must(200, "POST", "/api/v1/projects/"+id(pj.ID)+"/status", map[string]any{"status": "completed"}, &pj)
		var evs cohort.Page[cohort.RecordEvent]
		o.alice.must(200, "GET", "/api/v1/projects/"+id(pj.ID)+"/events", nil, &evs)
		if len(evs.Items) != 4 || evs.Items[2].Event != "milestone_done" || evs.Items[2].UserID != o.preU.ID ||
			evs.Items[3].Event != "completed" || evs.Items[3].UserID != o.preU.ID || pj.CompletedAt == nil {
			t.Fatalf("project events %+v", evs.Items)
		}
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestQuoteSentLogsFollowUp: sending a quote logs a quote_sent follow-up by
// the sender on the quote's opportunity, which the stage requirements read.
func TestQuoteSentLogsFollowUp(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "CRM-STD", "name": "CRM 标准版", "price": 1980000}, &prod)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "杭州云栖数据公司"}, &c)
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "数据中台"}, &opp)
		var q cohort.Deal
		o.alice.must(201, "POST", "/api/v1/quotes", map[string]any{"customer_id": c.ID, "opportunity_id": opp.ID, "name": "数据中台报价",
			"lines": []map[string]any{{"product_id": prod.ID, "quantity": 1}}}, &q)
		var fs cohort.Page[cohort.FollowUp]
		o.alice.must(200, "GET", "/api/v1/followups?filter=customer_id:eq:"+id(c.ID), nil, &fs)
		if len(fs.Items) != 0 {
			t.Fatalf("a draft quote logged %+v", fs.Items)
		}
		o.alice.must(200, "POST", "/api/v1/quotes/"+id(q.ID)+"/status", map[string]any{"status": "sent"}, &q)
		o.alice.must(200, "GET", "/api/v1/followups?filter=customer_id:eq:"+id(c.ID), nil, &fs)
		if len(fs.Items) != 1 {
			t.Fatalf("follow-ups after sending %+v", fs.Items)
		}
		f := fs.Items[0]
		if f.Type != "quote_sent" || f.AuthorID != o.aliceU.ID || f.RecordType != cohort.ObjOpportunity || f.RecordID != opp.ID ||
			f.Content != "发送报价 "+q.Number+"，金额 19800.00 CNY" {
			t.Fatalf("quote_sent follow-up %+v", f)
		}
		var got cohort.Customer
		o.alice.must(200, "GET", "/api/v1/customers/"+id(c.ID), nil, &got)
		if got.LastFollowUpAt == nil || !got.LastFollowUpAt.Equal(*q.SentAt) {
			t.Fatalf("last follow-up %v, sent %v", got.LastFollowUpAt, q.SentAt)
		}
	})
}

// TestCustomerPayments: the customer page lists the payments of all the
// customer's contracts and orders the caller may see, with their document.
func TestCustomerPayments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "ERP", "name": "ERP", "price": 1000000}, &prod)
		var c, other cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "苏州工业园"}, &c)
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "昆山电子"}, &other)
		sign := func(kind string, cust cohort.Customer, name string, amounts ...int64) cohort.Deal {
			var d cohort.Deal
			o.alice.must(201, "POST", "/api/v1/"+kind+"s", map[string]any{"customer_id": cust.ID, "name": name,
				"lines": []map[string]any{{"product_id": prod.ID, "quantity": 1}}}, &d)
			o.alice.must(200, "POST", "/api/v1/"+kind+"s/"+id(d.ID)+"/status", map[string]any{"status": "signed"}, &d)
			for _, a := range amounts {
				o.alice.must(201, "POST", "/api/v1/"+kind+"s/"+id(d.ID)+"/payments", map[string]any{"amount": a}, nil)
			}
			return d
		}
		k := sign("contract", c, "园区合同", 300000, 200000)
		ord := sign("order", c, "园区订单", 50000)
		sign("contract", other, "别家合同", 70000)

		var pays cohort.Page[service.CustomerPayment]
		o.alice.must(200, "GET", "/api/v1/customers/"+id(c.ID)+"/payments", nil, &pays)
		var sum int64
		kinds := map[cohort.ObjectType]int{}
		for _, p := range pays.Items {
			sum += p.Amount
			kinds[p.Kind]++
			if (p.Kind == cohort.ObjContract && (p.DealID != k.ID || p.DealNumber != k.Number || p.DealName != "园区合同")) ||
				(p.Kind == cohort.ObjOrder && p.DealID != ord.ID) {
				t.Fatalf("payment with the wrong document %+v", p)
			}
		}
		if len(pays.Items) != 3 || sum != 550000 || kinds[cohort.ObjContract] != 2 || kinds[cohort.ObjOrder] != 1 {
			t.Fatalf("customer payments %+v", pays.Items)
		}
		// Outside the caller's scope the customer is not found.
		if res := o.bob.do("GET", "/api/v1/customers/"+id(c.ID)+"/payments", nil, nil); res.status != 404 {
			t.Fatalf("bob sees the payments: %d", res.status)
		}
	})
}
