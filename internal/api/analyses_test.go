package api_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// hf is a hand-made fact of the analyses' dataset. Its currency "TST"
// marks it: the test deletes such facts before the facts are verified
// against the records (they stand for no record).
type hf struct {
	kind, date string
	src        string // source type; "" for "x"
	rec        int64
	user       cohort.User
	role       string // "" for owner (author for follow-ups)
	share      int64  // basis points; 0 for 10000
	amount     int64
	attr       string
	stage      string
	process    cohort.ID
	days       float64 // duration_s in days
	secs       int64   // duration_s in seconds (when days is 0)
	ref        string  // ref_at date
	n          int64   // 0 for 1
}

func addFacts(t *testing.T, db *store.DB, tenant cohort.ID, fs ...hf) {
	t.Helper()
	day := func(s string) int64 {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Unix() / 86400
	}
	err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
		for _, f := range fs {
			d := day(f.date)
			role, share, src, n := f.role, f.share, f.src, f.n
			if role == "" {
				role = "owner"
				if f.kind == "followup.done" {
					role = "author"
				}
			}
			if share == 0 {
				share = 10000
			}
			if src == "" {
				src = "x"
			}
			if n == 0 {
				n = 1
			}
			var ref, proc any
			if f.ref != "" {
				ref = day(f.ref) * 86400000
			}
			if f.process != 0 {
				proc = int64(f.process)
			}
			dur := f.secs
			if f.days != 0 {
				dur = int64(f.days * 86400)
			}
			_, err := tx.ExecContext(context.Background(), `INSERT INTO facts (tenant_id, id, kind, occurred_at, day, source_type, source_id, record_type, record_id,
				user_id, role, share_bp, department_id, amount, currency, duration_s, n, process_id, stage, attr, ref_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
				int64(tenant), db.NewID(), f.kind, d*86400000, d, src, f.rec, src, f.rec, int64(f.user.ID), role, share, int64(f.user.DepartmentID),
				f.amount, "TST", dur, n, proc, f.stage, f.attr, ref)
			if err != nil {
				return err
			}
		}
		return facts.RebuildRollups(context.Background(), tx, tenant)
	})
	if err != nil {
		t.Fatal(err)
	}
}

type analysisResult struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Tables []struct {
		Name    string `json:"name"`
		Columns []struct {
			Name, Label, Unit string
		} `json:"columns"`
		Rows  []analysisRow `json:"rows"`
		Total *analysisRow  `json:"total"`
	} `json:"tables"`
	Notes []string `json:"notes"`
}

type analysisRow struct {
	Key    string              `json:"key"`
	Label  string              `json:"label"`
	Values map[string]*float64 `json:"values"`
	Text   map[string]string   `json:"text"`
}

func (r *analysisResult) table(t *testing.T, name string) []analysisRow {
	t.Helper()
	for _, tb := range r.Tables {
		if tb.Name == name {
			return tb.Rows
		}
	}
	t.Fatalf("%s: no table %s", r.Name, name)
	return nil
}

func (r *analysisResult) row(t *testing.T, table, key string) analysisRow {
	t.Helper()
	for _, x := range r.table(t, table) {
		if x.Key == key {
			return x
		}
	}
	t.Fatalf("%s: no row %q in %s", r.Name, key, table)
	return analysisRow{}
}

// expect checks figures of a row; nan stands for "empty" (null).
func expect(t *testing.T, what string, row analysisRow, want map[string]float64) {
	t.Helper()
	for m, w := range want {
		v := row.Values[m]
		switch {
		case math.IsNaN(w) && v != nil:
			t.Errorf("%s %s = %v, want empty", what, m, *v)
		case math.IsNaN(w):
		case v == nil:
			t.Errorf("%s %s is empty, want %v", what, m, w)
		case math.Abs(*v-w) > 1e-6:
			t.Errorf("%s %s = %v, want %v", what, m, *v, w)
		}
	}
}

var empty = math.NaN()

// TestAnalyses runs every standard analysis over a small hand-built
// dataset and checks the figures worked out by hand below.
func TestAnalyses(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		tid := o.tenant.ID
		t.Cleanup(func() { // registered after the env's: runs before it verifies the facts
			err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
				if _, err := tx.ExecContext(context.Background(), "DELETE FROM facts WHERE currency = 'TST'"); err != nil {
					return err
				}
				return facts.RebuildRollups(context.Background(), tx, tid)
			})
			if err != nil {
				t.Error(err)
			}
		})
		var procs cohort.Page[cohort.SalesProcess]
		o.admin.must(200, "GET", "/api/v1/sales-processes", nil, &procs)
		var big, small cohort.SalesProcess
		for _, p := range procs.Items {
			switch p.Key {
			case "big_order":
				big = p
			case "small_order":
				small = p
			}
		}
		// One real opportunity holds a competitor; the hand-made loss of
		// O3 points at it.
		var c cohort.Customer
		o.bob.must(201, "POST", "/api/v1/customers", map[string]any{"name": "宁波竞品测试有限公司"}, &c)
		var o3 cohort.Opportunity
		o.bob.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "process_id": big.ID, "name": "竞品商机", "competitor": "竞品甲"}, &o3)
		r3 := int64(o3.ID)
		A, B, M, P := o.aliceU, o.bobU, o.mgrU, o.preU
		opp, tk := "opportunity", "ticket"
		PB, PS := big.ID, small.ID

		// Funnel, January 2026, process big_order. O1 100000 (A):
		// qualify 2 days, needs 6 days, proposal (open). O2 50000 (A):
		// qualify 2 days, needs (open). O3 200000 (B): qualify 4 days,
		// lost for price (competitor 竞品甲). O4 30000 (B): qualify (open).
		// O5 80000 (A): qualify 1 day, won after 12 days. O6 40000 (B):
		// lost for price, no competitor.
		se := func(rec int64, u cohort.User, amt int64, stage, date string, days float64, ref string) hf {
			return hf{kind: "opportunity.stage_entered", src: opp, rec: rec, user: u, amount: amt, stage: stage, process: PB, date: date, days: days, ref: ref}
		}
		cr := func(rec int64, u cohort.User, amt int64, date string) hf {
			return hf{kind: "opportunity.created", src: opp, rec: rec, user: u, amount: amt, stage: "qualify", process: PB, date: date}
		}
		addFacts(t, db, tid,
			se(101, A, 100000, "qualify", "2026-01-02", 2, "2026-01-04"), se(101, A, 100000, "needs", "2026-01-04", 6, "2026-01-10"),
			se(101, A, 100000, "proposal", "2026-01-10", 0, ""),
			se(102, A, 50000, "qualify", "2026-01-03", 2, "2026-01-05"), se(102, A, 50000, "needs", "2026-01-05", 0, ""),
			se(r3, B, 200000, "qualify", "2026-01-06", 4, "2026-01-10"),
			se(104, B, 30000, "qualify", "2026-01-07", 0, ""),
			se(105, A, 80000, "qualify", "2026-01-08", 1, "2026-01-09"),
			cr(101, A, 100000, "2026-01-02"), cr(102, A, 50000, "2026-01-03"), cr(r3, B, 200000, "2026-01-06"), cr(104, B, 30000, "2026-01-07"),
			cr(105, A, 80000, "2026-01-08"),
			hf{kind: "opportunity.won", src: opp, rec: 105, user: A, amount: 80000, process: PB, date: "2026-01-20", days: 12, ref: "2026-01-08"},
			hf{kind: "opportunity.lost", src: opp, rec: r3, user: B, amount: 200000, process: PB, date: "2026-01-12", attr: "price", days: 6, ref: "2026-01-06"},
			hf{kind: "opportunity.lost", src: opp, rec: 106, user: B, amount: 40000, process: PB, date: "2026-01-15", attr: "price", days: 100, ref: "2025-10-07"},
		)
		// Customers (macro KPIs). January 2026: C1, C2 (A), C3, C4 (B)
		// created; C1 first signs 60000 after 15 days and 3 follow-ups,
		// C3 30000 after 18 days and 5; C4 is lost. December 2025: C5 (A),
		// C6 (B) created, C5 signs 40000 after 10 days and 2 follow-ups.
		// January 2025: C7 (A) created, signs 20000 after 20 days and 4.
		cc := func(rec int64, u cohort.User, date string) hf {
			return hf{kind: "customer.created", src: "customer", rec: rec, user: u, date: date}
		}
		fs := func(rec int64, u cohort.User, amt int64, date, ref string, n int64) hf {
			return hf{kind: "customer.first_signed", src: "customer", rec: rec, user: u, amount: amt, date: date, ref: ref, n: n}
		}
		addFacts(t, db, tid,
			cc(1, A, "2026-01-05"), cc(2, A, "2026-01-06"), cc(3, B, "2026-01-07"), cc(4, B, "2026-01-08"),
			fs(1, A, 60000, "2026-01-20", "2026-01-05", 3), fs(3, B, 30000, "2026-01-25", "2026-01-07", 5),
			hf{kind: "customer.lost", src: "customer", rec: 4, user: B, date: "2026-01-30", attr: "price"},
			cc(5, A, "2025-12-10"), cc(6, B, "2025-12-11"), fs(5, A, 40000, "2025-12-20", "2025-12-10", 2),
			cc(7, A, "2025-01-10"), fs(7, A, 20000, "2025-01-30", "2025-01-10", 4),
		)
		// Money and activity (personnel, roles, leaderboard). January
		// 2026: contracts A 60000 and 100000 (with presales P at 30 %),
		// B 30000; payments A 50000, B 10000; calls A 60 + 120 + 180 s,
		// B 300 s, B 2 SMS, P a visit. December 2025: contracts B 90000,
		// A 20000.
		addFacts(t, db, tid,
			hf{kind: "contract.signed", rec: 201, user: A, amount: 60000, date: "2026-01-20"},
			hf{kind: "contract.signed", rec: 203, user: A, amount: 100000, date: "2026-01-22"},
			hf{kind: "contract.signed", rec: 203, user: P, role: "presales", share: 3000, amount: 100000, date: "2026-01-22"},
			hf{kind: "contract.signed", rec: 202, user: B, amount: 30000, date: "2026-01-25"},
			hf{kind: "payment.received", rec: 301, user: A, amount: 50000, date: "2026-01-28"},
			hf{kind: "payment.received", rec: 302, user: B, amount: 10000, date: "2026-01-29"},
			hf{kind: "followup.done", rec: 401, user: A, attr: "call", secs: 60, date: "2026-01-05"},
			hf{kind: "followup.done", rec: 402, user: A, attr: "call", secs: 120, date: "2026-01-06"},
			hf{kind: "followup.done", rec: 403, user: A, attr: "call", secs: 180, date: "2026-01-07"},
			hf{kind: "followup.done", rec: 404, user: B, attr: "call", secs: 300, date: "2026-01-08"},
			hf{kind: "followup.done", rec: 405, user: B, attr: "sms", date: "2026-01-09"},
			hf{kind: "followup.done", rec: 406, user: B, attr: "sms", date: "2026-01-10"},
			hf{kind: "followup.done", rec: 407, user: P, attr: "visit", secs: 3600, date: "2026-01-11"},
			hf{kind: "contract.signed", rec: 204, user: B, amount: 90000, date: "2025-12-15"},
			hf{kind: "contract.signed", rec: 205, user: A, amount: 20000, date: "2025-12-16"},
		)
		// Service, January 2026: T1 (A) a complaint, answered in 2 hours,
		// resolved in 48 at a cost of 5000; T2 (A) a repair, answered in 1
		// hour, resolved in 24 at 3000; T3 (B) a repair, still open.
		addFacts(t, db, tid,
			hf{kind: "ticket.opened", src: tk, rec: 501, user: A, attr: "complaint", date: "2026-01-03"},
			hf{kind: "ticket.first_response", src: tk, rec: 501, user: A, attr: "complaint", secs: 7200, date: "2026-01-03"},
			hf{kind: "ticket.resolved", src: tk, rec: 501, user: A, attr: "complaint", secs: 172800, amount: 5000, date: "2026-01-05"},
			hf{kind: "ticket.opened", src: tk, rec: 502, user: A, attr: "repair", date: "2026-01-10"},
			hf{kind: "ticket.first_response", src: tk, rec: 502, user: A, attr: "repair", secs: 3600, date: "2026-01-10"},
			hf{kind: "ticket.resolved", src: tk, rec: 502, user: A, attr: "repair", secs: 86400, amount: 3000, date: "2026-01-11"},
			hf{kind: "ticket.opened", src: tk, rec: 503, user: B, attr: "repair", date: "2026-01-20"},
		)
		// Coaching, March 2026, process small_order: of 10 opportunities
		// entering qualify each, A moves 8 on to quote, B 2, M 3.
		// Follow-ups A 10, B 2, M 3, P 1; first-signed B 1, M 2, P 1;
		// signed B 50000, M 80000.
		var cf []hf
		rec := int64(1000)
		for _, p := range []struct {
			u      cohort.User
			n, out int
		}{{A, 10, 8}, {B, 10, 2}, {M, 10, 3}} {
			for i := 0; i < p.n; i++ {
				rec++
				cf = append(cf, hf{kind: "opportunity.stage_entered", src: opp, rec: rec, user: p.u, stage: "qualify", process: PS, date: "2026-03-02", days: 1, ref: "2026-03-03"})
				if i < p.out {
					cf = append(cf, hf{kind: "opportunity.stage_entered", src: opp, rec: rec, user: p.u, stage: "quote", process: PS, date: "2026-03-03"})
				}
			}
		}
		for _, p := range []struct {
			u      cohort.User
			fu, fs int
			amt    int64
		}{{A, 10, 0, 0}, {B, 2, 1, 50000}, {M, 3, 2, 80000}, {P, 1, 1, 0}} {
			for i := 0; i < p.fu; i++ {
				rec++
				cf = append(cf, hf{kind: "followup.done", rec: rec, user: p.u, attr: "call", date: "2026-03-05"})
			}
			for i := 0; i < p.fs; i++ {
				rec++
				cf = append(cf, hf{kind: "customer.first_signed", src: "customer", rec: rec, user: p.u, amount: 1000, date: "2026-03-10", ref: "2026-03-01"})
			}
			if p.amt > 0 {
				rec++
				cf = append(cf, hf{kind: "contract.signed", rec: rec, user: p.u, amount: p.amt, date: "2026-03-10"})
			}
		}
		addFacts(t, db, tid, cf...)

		jan := map[string]any{"from": "2026-01-01", "to": "2026-02-01"}
		with := func(kv ...any) map[string]any {
			m := map[string]any{}
			for k, v := range jan {
				m[k] = v
			}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		}
		var res analysisResult

		// 1. Funnel.
		o.admin.must(200, "POST", "/api/v1/analyses/funnel", with("process", PB.String()), &res)
		// qualify: 5 entries, 460000; 2 of 5 reach needs, 1 of 5 is won;
		// stays 2, 2, 4, 1 days → 2.25.
		expect(t, "qualify", res.row(t, "stages", "qualify"), map[string]float64{"stage_entries": 5, "stage_entry_amount": 460000,
			"conversion_next": 0.4, "conversion_won": 0.2, "days_in_stage": 2.25})
		expect(t, "needs", res.row(t, "stages", "needs"), map[string]float64{"stage_entries": 2, "stage_entry_amount": 150000,
			"conversion_next": 0.5, "conversion_won": 0, "days_in_stage": 6})
		expect(t, "proposal", res.row(t, "stages", "proposal"), map[string]float64{"stage_entries": 1, "stage_entry_amount": 100000,
			"conversion_next": 0, "days_in_stage": empty})
		expect(t, "contract", res.row(t, "stages", "contract"), map[string]float64{"stage_entries": 0, "conversion_next": empty, "days_in_stage": empty})
		if st := res.table(t, "stages"); len(st) != 5 || st[0].Key != "qualify" || st[0].Label != "初步接洽" || st[4].Key != "contract" {
			t.Errorf("stages in process order: %+v", st)
		}
		// 1 won, 2 lost (240000): win rate 1/3; cycle 12 days.
		expect(t, "outcome", res.table(t, "outcome")[0], map[string]float64{"new_opportunities": 5, "new_opportunity_value": 460000,
			"won_opportunities": 1, "won_amount": 80000, "lost_opportunities": 2, "lost_amount": 240000, "win_rate": 1.0 / 3, "opportunity_cycle_days": 12})
		expect(t, "loss to 竞品甲", res.row(t, "losses", "price\x1f竞品甲"), map[string]float64{"lost_opportunities": 1, "lost_amount": 200000})
		expect(t, "loss to nobody", res.row(t, "losses", "price\x1f"), map[string]float64{"lost_opportunities": 1, "lost_amount": 40000})
		// Alice sees her own: O1, O2, O5.
		o.alice.must(200, "POST", "/api/v1/analyses/funnel", with("process", PB.String()), &res)
		expect(t, "alice qualify", res.row(t, "stages", "qualify"), map[string]float64{"stage_entries": 3, "stage_entry_amount": 230000, "conversion_won": 1.0 / 3})
		if n := len(res.table(t, "losses")); n != 0 {
			t.Errorf("alice sees %d losses of bob's", n)
		}

		// 2. Macro KPIs: January 2026 against December 2025 and January
		// 2025.
		o.admin.must(200, "POST", "/api/v1/analyses/kpis", jan, &res)
		expect(t, "conversion", res.row(t, "kpis", "conversion_rate"), map[string]float64{"value": 0.5, "previous": 0.5, "previous_change": 0,
			"year_ago": 1, "year_ago_change": -0.5})
		expect(t, "first order", res.row(t, "kpis", "first_order_avg_value"), map[string]float64{"value": 45000, "previous": 40000, "previous_change": 0.125,
			"year_ago": 20000, "year_ago_change": 1.25})
		expect(t, "cycle", res.row(t, "kpis", "followup_cycle_days"), map[string]float64{"value": 16.5, "previous": 10, "previous_change": 0.65,
			"year_ago": 20, "year_ago_change": -0.175})
		expect(t, "follow-ups", res.row(t, "kpis", "followups_per_signed_customer"), map[string]float64{"value": 4, "previous": 2, "previous_change": 1,
			"year_ago": 4, "year_ago_change": 0})
		tr := res.table(t, "trend")
		if len(tr) != 12 || tr[0].Key != "2025-02" || tr[11].Key != "2026-01" {
			t.Fatalf("trend buckets %+v", tr)
		}
		expect(t, "trend 2025-12", tr[10], map[string]float64{"conversion_rate": 0.5, "first_order_avg_value": 40000})
		expect(t, "trend 2025-06", tr[4], map[string]float64{"conversion_rate": empty})
		o.admin.must(200, "POST", "/api/v1/analyses/kpis", with("grain", "quarter"), &res)
		if tr := res.table(t, "trend"); len(tr) != 12 || tr[0].Key != "2023-Q2" || tr[11].Key != "2026-Q1" {
			t.Errorf("quarterly trend %+v", tr)
		}

		// 3. Personnel summary.
		o.admin.must(200, "POST", "/api/v1/analyses/personnel", jan, &res)
		expect(t, "alice", res.row(t, "people", A.ID.String()), map[string]float64{"signed_amount": 160000, "payments_collected": 50000, "calls": 3,
			"sms": 0, "call_minutes": 6, "new_opportunity_value": 230000, "new_customers": 2, "first_signed_customers": 1, "first_order_amount": 60000,
			"lost_customers": 0, "lost_amount": 0})
		expect(t, "bob", res.row(t, "people", B.ID.String()), map[string]float64{"signed_amount": 30000, "payments_collected": 10000, "calls": 1,
			"sms": 2, "call_minutes": 5, "new_opportunity_value": 230000, "new_customers": 2, "first_signed_customers": 1, "first_order_amount": 30000,
			"lost_customers": 1, "lost_amount": 240000})
		if rows := res.table(t, "people"); rows[0].Key != A.ID.String() || rows[0].Label != "Alice" {
			t.Errorf("highest signed amount first: %+v", rows[0])
		}
		// As presales, P's 30 % of the 100000 contract.
		o.admin.must(200, "POST", "/api/v1/analyses/personnel", with("role", "presales"), &res)
		expect(t, "presales", res.row(t, "people", P.ID.String()), map[string]float64{"signed_amount": 30000, "payments_collected": 0})
		if res.Role != "presales" {
			t.Errorf("role %q", res.Role)
		}
		// Alice sees only herself.
		o.alice.must(200, "POST", "/api/v1/analyses/personnel", jan, &res)
		if rows := res.table(t, "people"); len(rows) != 1 || rows[0].Key != A.ID.String() {
			t.Errorf("alice's personnel summary %+v", rows)
		}

		// 4. Role analysis: A owner 2 contracts 160000, P presales 1
		// contract 30000, B owner 1 contract 30000.
		o.admin.must(200, "POST", "/api/v1/analyses/roles", jan, &res)
		expect(t, "alice roles", res.row(t, "roles", A.ID.String()), map[string]float64{"owner:signed_count": 2, "owner:signed_amount": 160000,
			"owner:payments_collected": 50000, "owner:won_opportunities": 1, "presales:signed_amount": 0})
		expect(t, "presales roles", res.row(t, "roles", P.ID.String()), map[string]float64{"owner:signed_amount": 0, "presales:signed_count": 1,
			"presales:signed_amount": 30000})

		// 5. Leaderboard: January A 160000, B 30000; December B 90000, A
		// 20000.
		o.admin.must(200, "POST", "/api/v1/analyses/leaderboard", with("metric", "signed_amount"), &res)
		lb := res.table(t, "leaderboard")
		if len(lb) != 2 || lb[0].Key != A.ID.String() {
			t.Fatalf("leaderboard %+v", lb)
		}
		expect(t, "first", lb[0], map[string]float64{"rank": 1, "signed_amount": 160000, "previous_rank": 2, "rank_change": 1})
		expect(t, "second", lb[1], map[string]float64{"rank": 2, "signed_amount": 30000, "previous_rank": 1, "rank_change": -1})
		o.admin.must(200, "POST", "/api/v1/analyses/leaderboard", with("metric", "signed_amount", "top", 1), &res)
		if lb := res.table(t, "leaderboard"); len(lb) != 1 {
			t.Errorf("top 1: %+v", lb)
		}
		o.bob.must(200, "POST", "/api/v1/analyses/leaderboard", with("metric", "signed_amount"), &res)
		if lb := res.table(t, "leaderboard"); len(lb) != 1 || lb[0].Key != B.ID.String() || *lb[0].Values["rank"] != 1 {
			t.Errorf("bob's leaderboard %+v", lb)
		}

		// 6. Service: 3 tickets, 1 complaint, response (2 + 1) / 2 = 1.5 h,
		// resolution (48 + 24) / 2 = 36 h, 2 of 3 resolved, cost 8000.
		o.admin.must(200, "POST", "/api/v1/analyses/service", jan, &res)
		expect(t, "january", res.row(t, "over_time", "2026-01"), map[string]float64{"tickets_opened": 3, "complaints": 1, "first_response_hours": 1.5,
			"resolution_hours": 36, "resolution_rate": 2.0 / 3, "service_cost": 8000})
		expect(t, "complaints", res.row(t, "by_kind", "complaint"), map[string]float64{"tickets_opened": 1, "tickets_resolved": 1, "resolution_rate": 1,
			"resolution_hours": 48, "service_cost": 5000})
		expect(t, "repairs", res.row(t, "by_kind", "repair"), map[string]float64{"tickets_opened": 2, "tickets_resolved": 1, "resolution_rate": 0.5,
			"resolution_hours": 24, "service_cost": 3000})

		// 7. Coaching, March. A 8/10 (Wilson [0.4902, 0.9433]) against the
		// rest's 5/20 = 0.25: above. B 2/10 ([0.0567, 0.5098]) against
		// 11/20 = 0.55: below. M 3/10 ([0.1078, 0.6032]) against 10/20:
		// no signal. Follow-ups 10, 2, 3, 1 → Q3 4.75; first-signed 0, 1,
		// 2, 1 → Q1 0.75: A (10 follow-ups, none signed) is flagged.
		mar := map[string]any{"from": "2026-03-01", "to": "2026-04-01", "process": PS.String()}
		o.admin.must(200, "POST", "/api/v1/analyses/coaching", mar, &res)
		out := res.table(t, "stage_outliers")
		if len(out) != 2 {
			t.Fatalf("outliers %+v", out)
		}
		a := res.row(t, "stage_outliers", A.ID.String()+":qualify")
		expect(t, "A outlier", a, map[string]float64{"entries": 10, "converted": 8, "rate": 0.8, "low": 0.4902, "high": 0.9433, "team_rate": 0.25})
		b := res.row(t, "stage_outliers", B.ID.String()+":qualify")
		expect(t, "B outlier", b, map[string]float64{"entries": 10, "converted": 2, "rate": 0.2, "low": 0.0567, "high": 0.5098, "team_rate": 0.55})
		if a.Text["signal"] != "显著高于团队" || b.Text["signal"] != "显著低于团队" || a.Text["stage"] != "初步接洽 → 报价" {
			t.Errorf("signals %v %v", a.Text, b.Text)
		}
		if m := res.table(t, "many_actions_few_results"); len(m) != 1 || m[0].Key != A.ID.String() {
			t.Errorf("many actions, few results %+v", m)
		}
		// In the sales department alone (A, B, M) the team is too small for
		// quartiles; the stage outliers stay.
		mar["department"] = A.DepartmentID.String()
		o.admin.must(200, "POST", "/api/v1/analyses/coaching", mar, &res)
		if len(res.table(t, "many_actions_few_results")) != 0 || len(res.Notes) < 2 || len(res.table(t, "stage_outliers")) != 2 {
			t.Errorf("sales department coaching %+v", res)
		}
		// A department by today's organisation: the presales department
		// holds P alone.
		o.admin.must(200, "POST", "/api/v1/analyses/personnel", with("department", P.DepartmentID.String(), "org", "current"), &res)
		if rows := res.table(t, "people"); len(rows) != 1 || rows[0].Key != P.ID.String() {
			t.Errorf("presales department %+v", rows)
		}

		// Bad input: 422 naming the field.
		for _, tc := range []struct {
			path  string
			body  map[string]any
			field string
		}{
			{"personnel", with("role", "nope"), "role"},
			{"personnel", with("from", "2026-13-01"), "from"},
			{"kpis", with("to", "2025-01-01"), "to"},
			{"funnel", with("process", "999"), "process"},
			{"coaching", with("process", "nope"), "process"},
			{"leaderboard", with("metric", "nope"), "metric"},
			{"leaderboard", with("top", 500), "top"},
			{"service", with("grain", "decade"), "grain"},
			{"roles", with("org", "future"), "org"},
			{"personnel", with("department", "42"), "department"},
			{"personnel", with("department", "x"), "department"},
		} {
			r := o.admin.do("POST", "/api/v1/analyses/"+tc.path, tc.body, nil)
			var p struct {
				Errors []cohort.FieldError `json:"errors"`
			}
			_ = json.Unmarshal(r.body, &p)
			if r.status != 422 || len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
				t.Errorf("%s %v: %d %s, want 422 on %s", tc.path, tc.body, r.status, r.body, tc.field)
			}
		}
	})
}
