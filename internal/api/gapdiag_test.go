package api_test

import (
	"context"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// diagFact is a fact written by hand for the diagnosis dataset: the
// projection is tested on its own.
type diagFact struct {
	kind, date string
	user       cohort.User
	amount     int64
	days       int64 // duration_s in days
	attr       string
}

// addDiagFacts writes facts credited in full to their person (owner, or
// author for follow-ups) and rebuilds the rollups once.
func addDiagFacts(t *testing.T, db *store.DB, tenant cohort.ID, fs []diagFact) {
	t.Helper()
	ctx := context.Background()
	err := db.WriteTx(ctx, func(tx *store.Tx) error {
		for i, f := range fs {
			d, _ := time.Parse("2006-01-02", f.date)
			day := d.Unix() / 86400
			role := "owner"
			if f.kind == "followup.done" {
				role = "author"
			}
			rec := int64(9000 + i)
			if _, err := tx.ExecContext(ctx, `INSERT INTO facts (tenant_id, id, kind, occurred_at, day, source_type, source_id, record_type, record_id,
				user_id, role, share_bp, department_id, amount, duration_s, attr) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
				int64(tenant), db.NewID(), f.kind, day*86400000, day, "x", rec, "x", rec, int64(f.user.ID), role, 10000, int64(f.user.DepartmentID),
				f.amount, f.days*86400, f.attr); err != nil {
				return err
			}
		}
		return facts.RebuildRollups(ctx, tx, tenant)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// funnel is a person's quarter: n new opportunities, won ones at amounts
// (each signed as a contract of that amount, won after days), lost ones,
// visits and open opportunities expected to close in the quarter.
func funnel(u cohort.User, month string, opps int, won []int64, days int64, lost, visits, open int) []diagFact {
	var fs []diagFact
	d := month + "-10"
	for range opps {
		fs = append(fs, diagFact{kind: "opportunity.created", date: d, user: u, amount: 100})
	}
	for _, a := range won {
		fs = append(fs, diagFact{kind: "opportunity.won", date: d, user: u, amount: a, days: days},
			diagFact{kind: "contract.signed", date: d, user: u, amount: a})
	}
	for range lost {
		fs = append(fs, diagFact{kind: "opportunity.lost", date: d, user: u, amount: 100})
	}
	for range visits {
		fs = append(fs, diagFact{kind: "followup.done", date: d, user: u, attr: "visit"})
	}
	for range open {
		fs = append(fs, diagFact{kind: "opportunity.open", date: month[:5] + "06-20", user: u, amount: 100})
	}
	return fs
}

type diagPart struct {
	Amount float64  `json:"amount"`
	Share  *float64 `json:"share"`
}

type diagnosis struct {
	Subject   string `json:"subject"`
	Against   string `json:"against"`
	Reference struct {
		Period string   `json:"period"`
		Peers  []string `json:"peers"`
		Actual float64  `json:"actual"`
	} `json:"reference"`
	Target, Actual, Gap float64
	Behind              bool     `json:"behind"`
	Stretch             diagPart `json:"stretch"`
	Residual            diagPart `json:"residual"`
	Factors             []struct {
		Factor, Metric, Unit string
		Value, Reference     *float64
		Contribution         float64
		Share                *float64
		Comparable           bool
	} `json:"factors"`
	Top    *string `json:"top"`
	Action *struct {
		Factor, Metric, Unit, Per string
		Amount                    float64
		From                      *float64
		To                        float64
		Message                   struct {
			Key    string         `json:"key"`
			Params map[string]any `json:"params"`
			Text   string         `json:"text"`
		} `json:"message"`
	} `json:"action"`
}

// sumsToGap requires the parts to add up to the gap to the cent.
func (d diagnosis) sumsToGap(t *testing.T) {
	t.Helper()
	sum := d.Stretch.Amount + d.Residual.Amount
	for _, f := range d.Factors {
		sum += f.Contribution
		if f.Contribution != math.Round(f.Contribution) {
			t.Errorf("%s: part %v is not whole minor units", f.Factor, f.Contribution)
		}
	}
	if math.Abs(sum-d.Gap) >= 0.005 || d.Gap != d.Target-d.Actual {
		t.Fatalf("parts add up to %v, the gap is %v (target %v − actual %v)", sum, d.Gap, d.Target, d.Actual)
	}
}

// TestGoalDiagnosisGolden diagnoses Alice's second quarter of 2026 on a
// hand-checked dataset, against her first quarter and against the median of
// her three peers (Bob, Carol, the manager), on both engines.
//
//	          opps  won/decided  win rate  order value  cycle  signed
//	Alice Q1   10      3/5         60 %     40000.00     30 d  120000.00
//	Alice Q2    6      1/4         25 %     50000.00     40 d   50000.00  target 150000.00, 12 visits, 4 open
//	Bob   Q2   20      4/8         50 %     40000.00     30 d  160000.00
//	Carol Q2   16      2/5         40 %     50000.00     45 d  100000.00
//	Mgr   Q2   14      3/4         75 %     30000.00     35 d   90000.00
//	median     16                  50 %     40000.00     35 d  100000.00
//
// Against Q1 (amounts in fen): A = 5e6, R = 12e6, w = (A − R) ÷ ln(A ÷ R)
// = −7e6 ÷ ln(5/12) = 7995716.6959. Effects: opportunities w·ln(6/10) =
// −4084416.97, win rate w·ln(0.25/0.6) = w·ln(5/12) = −7000000, order
// value w·ln(1.25) = 1784192.62, cycle w·ln(30/40) = −2300224.35. Parts
// of the gap (−effect, rounded): 4084417, 7000000, −1784193, 2300224;
// stretch T − R = 3000000; residual 10000000 − 3000000 − 11600448 =
// −4600448. Top: the win rate; 25 % → 60 % over 4 open opportunities is
// ⌈0.35 × 4⌉ = 2 more wins.
//
// Against the peers: R = 10e6, w = −5e6 ÷ ln(0.5) = 7213475.2044.
// Opportunities w·ln(6/16) = −7075187.50, win rate w·ln(0.5) = −5000000,
// order value w·ln(1.25) = 1609640.47, cycle w·ln(35/40) = −963225.39.
// Parts 7075187, 5000000, −1609640, 963225; stretch 5000000; residual
// −6428772. Top: opportunities; 10 more at Alice's 2 visits each are 20
// visits over the 7 weeks from 2026-05-13 to the quarter's end: 3 a week.
func TestGoalDiagnosisGolden(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var carol cohort.User
		o.admin.must(201, "POST", "/api/v1/users", map[string]any{"name": "Carol", "email": "carol@acme.test", "password": "sales-pass-2026",
			"department_id": o.aliceU.DepartmentID}, &carol)
		var fs []diagFact
		fs = append(fs, funnel(o.aliceU, "2026-02", 10, []int64{4000000, 4000000, 4000000}, 30, 2, 15, 0)...)
		fs = append(fs, funnel(o.aliceU, "2026-04", 6, []int64{5000000}, 40, 3, 12, 4)...)
		fs = append(fs, funnel(o.bobU, "2026-04", 20, []int64{4000000, 4000000, 4000000, 4000000}, 30, 4, 0, 0)...)
		fs = append(fs, funnel(carol, "2026-05", 16, []int64{5000000, 5000000}, 45, 3, 0, 0)...)
		fs = append(fs, funnel(o.mgrU, "2026-04", 14, []int64{3000000, 3000000, 3000000}, 35, 1, 0, 0)...)
		addDiagFacts(t, db, o.tenant.ID, fs)

		var rule goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "季度签约", "metric": "signed_amount", "subject_type": "person", "cycle": "quarter"}, &rule)
		base := "/api/v1/goal-rules/" + rule.ID.String()
		o.admin.must(200, "PUT", base+"/values", map[string]any{"cells": []map[string]any{
			{"subject": person(o.aliceU), "period": "FY2026-Q2", "value": 15000000},
			{"subject": person(o.bobU), "period": "FY2026-Q2", "value": 20000000}}}, nil)
		diag := func(c *client, subject, against string) diagnosis {
			t.Helper()
			var d diagnosis
			c.must(200, "GET", base+"/diagnosis?"+url.Values{"period": {"FY2026-Q2"}, "as_of": {"2026-05-12"}, "subject": {subject}, "against": {against}}.Encode(), nil, &d)
			return d
		}
		type want struct {
			value, ref, part float64
		}
		check := func(d diagnosis, stretch, residual float64, ws []want) {
			t.Helper()
			d.sumsToGap(t)
			if d.Target != 15000000 || d.Actual != 5000000 || d.Gap != 10000000 || !d.Behind {
				t.Fatalf("completion %v %v %v %v", d.Target, d.Actual, d.Gap, d.Behind)
			}
			if d.Stretch.Amount != stretch || d.Residual.Amount != residual {
				t.Errorf("stretch %v residual %v, want %v %v", d.Stretch.Amount, d.Residual.Amount, stretch, residual)
			}
			names := []string{"opportunities", "conversion", "order_value", "cycle"}
			if len(d.Factors) != 4 {
				t.Fatalf("factors %+v", d.Factors)
			}
			for i, w := range ws {
				f := d.Factors[i]
				if f.Factor != names[i] || !f.Comparable {
					t.Errorf("factor %d: %+v", i, f)
				}
				num(t, f.Factor+" value", f.Value, w.value)
				num(t, f.Factor+" reference", f.Reference, w.ref)
				if f.Contribution != w.part {
					t.Errorf("%s: part %v, want %v", f.Factor, f.Contribution, w.part)
				}
				num(t, f.Factor+" share", f.Share, math.Round(w.part/1e7*1e6)/1e6)
			}
		}

		prev := diag(o.admin, person(o.aliceU), "previous")
		if prev.Reference.Period != "FY2026-Q1" || prev.Reference.Actual != 12000000 || len(prev.Reference.Peers) != 0 {
			t.Fatalf("reference %+v", prev.Reference)
		}
		check(prev, 3000000, -4600448, []want{{6, 10, 4084417}, {0.25, 0.6, 7000000}, {5000000, 4000000, -1784193}, {40, 30, 2300224}})
		if prev.Top == nil || *prev.Top != "conversion" || prev.Action == nil {
			t.Fatalf("top %v action %+v", prev.Top, prev.Action)
		}
		if a := prev.Action; a.Metric != "win_rate" || a.Unit != "wins" || a.Amount != 2 || a.Per != "period" || a.To != 0.6 ||
			a.Message.Key != "goal_diagnosis.conversion" || a.Message.Params["open"] != 4.0 || !strings.Contains(a.Message.Text, "25%") || !strings.Contains(a.Message.Text, "60%") {
			t.Errorf("action %+v", a)
		}

		peers := diag(o.admin, person(o.aliceU), "peers")
		if peers.Reference.Period != "FY2026-Q2" || peers.Reference.Actual != 10000000 || len(peers.Reference.Peers) != 3 {
			t.Fatalf("reference %+v", peers.Reference)
		}
		check(peers, 5000000, -6428772, []want{{6, 16, 7075187}, {0.25, 0.5, 5000000}, {5000000, 4000000, -1609640}, {40, 35, 963225}})
		if peers.Top == nil || *peers.Top != "opportunities" || peers.Action == nil {
			t.Fatalf("top %v action %+v", peers.Top, peers.Action)
		}
		if a := peers.Action; a.Metric != "visits" || a.Unit != "visits" || a.Amount != 3 || a.Per != "week" || a.To != 16 ||
			a.Message.Key != "goal_diagnosis.visits" || a.Message.Params["total"] != 20.0 || a.Message.Params["weeks"] != 7.0 {
			t.Errorf("action %+v", a)
		}

		// Alice sees her own diagnosis against her past, the same; her peers
		// are outside her scope and Bob's diagnosis is not hers to see.
		mine := diag(o.alice, person(o.aliceU), "previous")
		check(mine, 3000000, -4600448, []want{{6, 10, 4084417}, {0.25, 0.6, 7000000}, {5000000, 4000000, -1784193}, {40, 30, 2300224}})
		if r := o.alice.do("GET", base+"/diagnosis?period=FY2026-Q2&against=peers&subject="+person(o.aliceU), nil, nil); r.status != 409 {
			t.Errorf("peers outside the scope: %d %s", r.status, r.body)
		}
		if r := o.alice.do("GET", base+"/diagnosis?period=FY2026-Q2&subject="+person(o.bobU), nil, nil); r.status != 403 {
			t.Errorf("another person's diagnosis: %d %s", r.status, r.body)
		}
		// The manager's scope holds the whole team: the same as the administrator's.
		team := diag(o.mgr, person(o.aliceU), "peers")
		check(team, 5000000, -6428772, []want{{6, 16, 7075187}, {0.25, 0.5, 5000000}, {5000000, 4000000, -1609640}, {40, 35, 963225}})

		// Bob had nothing in Q1: the reference is 0, and its first empty
		// factor, the opportunities, takes the whole difference.
		bob := diag(o.admin, person(o.bobU), "previous")
		bob.sumsToGap(t)
		if bob.Gap != 4000000 || bob.Stretch.Amount != 20000000 || bob.Factors[0].Contribution != -16000000 || bob.Residual.Amount != 0 {
			t.Errorf("bob against nothing: %+v", bob)
		}
		for _, f := range bob.Factors[1:] {
			if f.Contribution != 0 || f.Comparable {
				t.Errorf("bob %s: %+v", f.Factor, f)
			}
		}
		if bob.Top != nil || bob.Action != nil {
			t.Errorf("bob is ahead on every factor, yet top %v action %+v", bob.Top, bob.Action)
		}
	})
}

// TestGoalDiagnosisBadInput: every bad request is a clear 4xx.
func TestGoalDiagnosisBadInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var amount, visits goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约", "metric": "signed_amount", "subject_type": "person", "cycle": "month"}, &amount)
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "拜访", "metric": "visits", "subject_type": "person", "cycle": "month"}, &visits)
		o.admin.must(200, "PUT", "/api/v1/goal-rules/"+amount.ID.String()+"/values", map[string]any{"cells": []map[string]any{
			{"subject": person(o.aliceU), "period": "2026-04", "value": 100000}}}, nil)
		alice := url.QueryEscape(person(o.aliceU))
		for _, c := range []struct {
			name, path   string
			status       int
			field, words string
		}{
			{"a count metric", "/api/v1/goal-rules/" + visits.ID.String() + "/diagnosis?period=2026-04&subject=" + alice, 422, "rule", "signed_amount, contract_amount, order_amount, won_amount"},
			{"no subject", "/api/v1/goal-rules/" + amount.ID.String() + "/diagnosis?period=2026-04", 422, "subject", "required"},
			{"an unknown subject", "/api/v1/goal-rules/" + amount.ID.String() + "/diagnosis?period=2026-04&subject=person:42", 422, "subject", "not a subject"},
			{"an unknown against", "/api/v1/goal-rules/" + amount.ID.String() + "/diagnosis?period=2026-04&against=rivals&subject=" + alice, 422, "against", "previous or peers"},
			{"an unknown period", "/api/v1/goal-rules/" + amount.ID.String() + "/diagnosis?period=2026-13&subject=" + alice, 422, "period", "not a period"},
			{"a week of a monthly rule", "/api/v1/goal-rules/" + amount.ID.String() + "/diagnosis?period=W2026-04-06&subject=" + alice, 422, "period", "not a period"},
			{"a bad as-of date", "/api/v1/goal-rules/" + amount.ID.String() + "/diagnosis?period=2026-04&as_of=yesterday&subject=" + alice, 422, "as_of", "YYYY-MM-DD"},
			{"no target", "/api/v1/goal-rules/" + amount.ID.String() + "/diagnosis?period=2026-05&subject=" + alice, 409, "", "no target"},
			{"no peers but oneself", "/api/v1/goal-rules/" + amount.ID.String() + "/diagnosis?period=2026-04&against=peers&subject=" + url.QueryEscape(person(o.preU)), 409, "", "no peer"},
			{"no such rule", "/api/v1/goal-rules/12345/diagnosis?period=2026-04&subject=" + alice, 404, "", "not found"},
		} {
			r := o.admin.do("GET", c.path, nil, nil)
			if r.status != c.status {
				t.Errorf("%s: %d %s", c.name, r.status, r.body)
				continue
			}
			p := r.problem(t)
			if !strings.Contains(p.Detail, c.words) || c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field) {
				t.Errorf("%s: %+v", c.name, p)
			}
		}
		// A salesperson whose scope is their own records may not diagnose
		// their department.
		r := o.alice.do("GET", "/api/v1/goal-rules/"+amount.ID.String()+"/diagnosis?period=2026-04&subject="+url.QueryEscape(dept(o.aliceU.DepartmentID)), nil, nil)
		if r.status != 403 || !strings.Contains(r.problem(t).Detail, "不在你的数据权限范围内") {
			t.Errorf("a department outside the scope: %d %s", r.status, r.body)
		}
		// Another tenant's rule is not found.
		o.env.newTenant("other", "admin@other.test")
		oc := o.env.login("admin@other.test", adminPassword)
		if r := oc.do("GET", "/api/v1/goal-rules/"+amount.ID.String()+"/diagnosis?period=2026-04&subject="+alice, nil, nil); r.status != 404 {
			t.Errorf("another tenant's rule: %d %s", r.status, r.body)
		}
	})
}
