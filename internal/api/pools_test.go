package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/api"
	"github.com/cohortcrm/cohort/internal/obs"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func TestPoolClaimRules(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var pool cohort.Pool
		o.admin.must(201, "POST", "/api/v1/pools", map[string]any{"name": "华东公海", "is_default": true, "daily_claim_limit": 2,
			"max_owned": 100, "reclaim_block_days": 7, "admin_ids": []cohort.ID{o.mgrU.ID}}, &pool)
		if res := o.alice.do("POST", "/api/v1/pools", map[string]any{"name": "mine"}, nil); res.status != 403 {
			t.Fatalf("salesperson creates a pool: %d", res.status)
		}
		ids := make([]cohort.ID, 4)
		for i := range ids {
			var c cohort.Customer
			o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "公海客户" + string(rune('甲'+i))}, &c)
			o.alice.must(204, "POST", "/api/v1/customers/"+c.ID.String()+"/release", map[string]any{"reason": "暂无需求"}, nil)
			ids[i] = c.ID
		}
		var waiting cohort.Page[cohort.Customer]
		o.bob.must(200, "GET", "/api/v1/pools/"+pool.ID.String()+"/customers", nil, &waiting)
		if len(waiting.Items) != 4 {
			t.Fatalf("pool holds %d, want 4", len(waiting.Items))
		}
		// Alice released them: she may not claim them back for 7 days.
		if res := o.alice.do("POST", "/api/v1/customers/"+ids[0].String()+"/claim", nil, nil); res.status != 409 {
			t.Fatalf("re-claim inside the block: %d %s", res.status, res.body)
		}
		// Bob may claim two a day.
		var got cohort.Customer
		o.bob.must(200, "POST", "/api/v1/customers/"+ids[0].String()+"/claim", nil, &got)
		if got.OwnerID != o.bobU.ID || got.PoolID != 0 {
			t.Fatalf("claimed %+v", got)
		}
		o.bob.must(200, "POST", "/api/v1/customers/"+ids[1].String()+"/claim", nil, nil)
		if res := o.bob.do("POST", "/api/v1/customers/"+ids[2].String()+"/claim", nil, nil); res.status != 409 {
			t.Fatalf("third claim in a day: %d", res.status)
		}
		// A claimed customer is no longer in the pool.
		if res := o.pre.do("POST", "/api/v1/customers/"+ids[0].String()+"/claim", nil, nil); res.status != 404 {
			t.Fatalf("claiming an owned customer: %d", res.status)
		}
		// Only pool administrators assign.
		if res := o.bob.do("POST", "/api/v1/customers/"+ids[2].String()+"/assign", map[string]any{"user_id": o.preU.ID}, nil); res.status != 403 {
			t.Fatalf("bob assigns: %d", res.status)
		}
		// ... to someone inside their own scope: not to presales in another department.
		if res := o.mgr.do("POST", "/api/v1/customers/"+ids[2].String()+"/assign", map[string]any{"user_id": o.preU.ID}, nil); res.status != 422 || res.problem(t).Errors[0].Field != "user_id" {
			t.Fatalf("manager assigns outside their scope: %d %s", res.status, res.body)
		}
		o.mgr.must(200, "POST", "/api/v1/customers/"+ids[2].String()+"/assign", map[string]any{"user_id": o.bobU.ID}, &got)
		var team cohort.Page[cohort.TeamMember]
		o.bob.must(200, "GET", "/api/v1/customers/"+ids[2].String()+"/team", nil, &team)
		if len(team.Items) != 1 || team.Items[0].Role != "owner" || team.Items[0].ShareBP != 10000 {
			t.Fatalf("team after assign %+v", team.Items)
		}
	})
}

func TestPoolRulesReturnNeglectedCustomers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e, clock, admin := poolEnv(t, db, time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC))
		svc := e.svc
		admin.must(201, "POST", "/api/v1/pools", map[string]any{"name": "公海", "is_default": true, "no_followup_days": 30,
			"no_followup_days_by_grade": map[string]int{"A": 60}, "warn_days": 5}, nil)
		var plain, vip cohort.Customer
		admin.must(201, "POST", "/api/v1/customers", map[string]any{"name": "普通客户"}, &plain)
		admin.must(201, "POST", "/api/v1/customers", map[string]any{"name": "重点客户", "grade": "A"}, &vip)

		ctx := context.Background()
		clock.Add(26 * 24 * time.Hour) // 4 days before the 30-day rule: a warning
		run, err := svc.ApplyPoolRules(ctx, e.tenant.ID)
		if err != nil || run.Warned != 1 || run.Returned != 0 {
			t.Fatalf("day 26: %+v %v", run, err)
		}
		run, _ = svc.ApplyPoolRules(ctx, e.tenant.ID)
		if run.Warned != 0 {
			t.Fatalf("warned twice: %+v", run)
		}
		clock.Add(5 * 24 * time.Hour) // day 31
		run, err = svc.ApplyPoolRules(ctx, e.tenant.ID)
		if err != nil || run.Returned != 1 {
			t.Fatalf("day 31: %+v %v", run, err)
		}
		admin = e.login("admin@acme.test", adminPassword) // a month has passed
		var c cohort.Customer
		admin.must(200, "GET", "/api/v1/customers/"+plain.ID.String(), nil, &c)
		if c.OwnerID != 0 || c.PoolID == 0 {
			t.Fatalf("neglected customer not in the pool: %+v", c)
		}
		admin.must(200, "GET", "/api/v1/customers/"+vip.ID.String(), nil, &c)
		if c.OwnerID == 0 {
			t.Fatal("grade A customer returned before its 60 days")
		}
		var audit cohort.Page[cohort.AuditEntry]
		admin.must(200, "GET", "/api/v1/audit?object_id="+plain.ID.String()+"&action=returned", nil, &audit)
		if len(audit.Items) != 1 || audit.Items[0].ActorID != 0 {
			t.Fatalf("no audit trail of the return: %+v", audit.Items)
		}
	})
}

func TestPoolNoSigningRule(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e, clock, admin := poolEnv(t, db, time.Date(2026, 9, 1, 2, 0, 0, 0, time.UTC))
		svc := e.svc
		admin.must(201, "POST", "/api/v1/pools", map[string]any{"name": "公海", "is_default": true, "no_signing_days": 60, "warn_days": 3}, nil)
		var c cohort.Customer
		admin.must(201, "POST", "/api/v1/customers", map[string]any{"name": "久未签约公司"}, &c)
		ctx := context.Background()
		for day := 0; day < 62; day += 10 { // followed up every ten days, never signed
			clock.Add(10 * 24 * time.Hour)
			admin.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "call",
				"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "sign_and_collect"}}, nil)
			if _, err := svc.ApplyPoolRules(ctx, e.tenant.ID); err != nil {
				t.Fatal(err)
			}
		}
		var got cohort.Customer
		admin.must(200, "GET", "/api/v1/customers/"+c.ID.String(), nil, &got)
		if got.PoolID == 0 || got.OwnerID != 0 {
			t.Fatalf("an unsigned customer after 70 days: %+v", got)
		}
	})
}

// TestPoolRulesCountFromOwnership: the no-new-opportunity rule returns a
// customer with no opportunity for N days; a customer just claimed is
// counted from the claim, not from a gap that was its previous owner's; and
// a warning is given again once the clock has moved on.
func TestPoolRulesCountFromOwnership(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e, clock, admin := poolEnv(t, db, time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC))
		svc := e.svc
		if res := admin.do("POST", "/api/v1/pools", map[string]any{"name": "x", "no_opportunity_days": 5, "warn_days": 5}, nil); res.status != 422 ||
			!strings.Contains(string(res.body), "no_opportunity_days") {
			t.Fatalf("warning not before the rule's days: %d %s", res.status, res.body)
		}
		var pool cohort.Pool
		admin.must(201, "POST", "/api/v1/pools", map[string]any{"name": "公海", "is_default": true, "no_followup_days": 30,
			"no_opportunity_days": 45, "warn_days": 5}, &pool)
		if pool.NoOpportunityDays != 45 {
			t.Fatalf("pool %+v", pool)
		}
		var a, b cohort.Customer
		admin.must(201, "POST", "/api/v1/customers", map[string]any{"name": "有商机公司"}, &a)
		admin.must(201, "POST", "/api/v1/customers", map[string]any{"name": "无商机公司"}, &b)
		ctx := context.Background()
		day := 0
		to := func(d int) { clock.Add(time.Duration(d-day) * 24 * time.Hour); day = d }
		follow := func(cs ...cohort.Customer) {
			for _, c := range cs {
				admin.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "call",
					"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "keep_in_touch"}}, nil)
			}
		}
		run := func(warned, returned int) {
			t.Helper()
			r, err := svc.ApplyPoolRules(ctx, e.tenant.ID)
			if err != nil || r.Warned != warned || r.Returned != returned {
				t.Fatalf("day %d: %+v %v, want %d warned, %d returned", day, r, err, warned, returned)
			}
		}
		for _, d := range []int{10, 20, 30, 40} {
			to(d)
			follow(a, b)
			if d == 20 {
				admin.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": a.ID, "name": "第一期"}, nil)
			}
		}
		run(1, 0) // day 40: b's 45 days end on day 45
		to(46)
		run(0, 1) // b returns; a's opportunity (day 20) keeps it until day 65
		var got cohort.Customer
		admin.must(200, "GET", "/api/v1/customers/"+b.ID.String(), nil, &got)
		if got.PoolID != pool.ID || got.OwnerID != 0 {
			t.Fatalf("b after 46 days without an opportunity: %+v", got)
		}
		var events cohort.Page[cohort.PoolEvent]
		admin.must(200, "GET", "/api/v1/customers/"+b.ID.String()+"/pool-events", nil, &events)
		if len(events.Items) == 0 || events.Items[0].Reason != "no new opportunity for 45 days" {
			t.Fatalf("pool events %+v", events.Items)
		}

		// Claimed on day 46: its last follow-up (day 40) and creation (day 0)
		// were the previous owner's; the clock starts at the claim.
		admin.must(200, "POST", "/api/v1/customers/"+b.ID.String()+"/claim", nil, nil)
		to(50)
		follow(a)
		run(0, 0)
		admin.must(204, "POST", "/api/v1/customers/"+b.ID.String()+"/release", map[string]any{"reason": "换人跟进"}, nil)

		to(60)
		follow(a)
		run(1, 0) // a: 45 days after its opportunity of day 20
		to(62)
		admin.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": a.ID, "name": "第二期"}, nil)
		for _, d := range []int{70, 80, 90, 100} {
			to(d)
			follow(a)
		}
		run(0, 0)
		to(103)
		run(1, 0) // warned again: the day-60 warning was about the old clock
	})
}

// poolEnv is a server on a clock that starts at start, with one tenant whose
// administrator is logged in for months.
func poolEnv(t *testing.T, db *store.DB, start time.Time) (*env, *fakeClock, *client) {
	clock := &fakeClock{t: start}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(db, clock, log, service.Options{PasswordMemoryKiB: 64, PasswordTime: 1, SessionTTL: 3000 * time.Hour})
	srv := httptest.NewServer(api.New(svc, nil, log, obs.NewRegistry(), api.Options{}))
	t.Cleanup(srv.Close)
	e := &env{t: t, db: db, svc: svc, srv: srv}
	e.tenant, e.admin = e.newTenant("acme", "admin@acme.test")
	return e, clock, e.login("admin@acme.test", adminPassword)
}
