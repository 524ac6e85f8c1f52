package api_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// forecastOrg is a sales org with open opportunities whose expected close
// dates fall in the current quarter (and one just after it), one of them
// co-owned, one lost and one won today.
type forecastOrg struct {
	*salesOrg
	from, to string
	label    string
	process  cohort.SalesProcess
}

func newForecastOrg(t *testing.T, db *store.DB) *forecastOrg {
	o := &forecastOrg{salesOrg: newSalesOrg(t, db)}
	loc := o.tenant.Location()
	y, m, _ := time.Now().In(loc).Date()
	qs := time.Date(y, time.Month((int(m)-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
	o.from, o.to = qs.Format(time.DateOnly), qs.AddDate(0, 3, 0).Format(time.DateOnly)
	o.label = fmt.Sprintf("%d-Q%d", y, (int(m)-1)/3+1)
	var procs cohort.Page[cohort.SalesProcess]
	o.admin.must(200, "GET", "/api/v1/sales-processes", nil, &procs)
	for _, p := range procs.Items {
		if p.Key == "small_order" {
			o.process = p
		}
	}
	var c cohort.Customer
	o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "预测测试有限公司", "industry": "制造业", "source": "展会"}, &c)
	day := func(d int) string { return qs.AddDate(0, 0, d).Format(time.DateOnly) }
	mk := func(who *client, amount int64, close, category string) cohort.Opportunity {
		var x cohort.Opportunity
		who.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": fmt.Sprint("预测", amount), "process_id": o.process.ID,
			"amount": amount, "expected_close_date": close, "forecast_category": category}, &x)
		return x
	}
	// Bob needs a customer of his own to own opportunities on.
	var cb cohort.Customer
	o.bob.must(201, "POST", "/api/v1/customers", map[string]any{"name": "预测测试二有限公司", "industry": "零售", "source": "转介绍"}, &cb)
	mkB := func(amount int64, close, category string) cohort.Opportunity {
		var x cohort.Opportunity
		o.bob.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": cb.ID, "name": fmt.Sprint("预测B", amount), "process_id": o.process.ID,
			"amount": amount, "expected_close_date": close, "forecast_category": category}, &x)
		return x
	}
	mk(o.alice, 1_000_000, day(5), "pipeline") // qualify 10 %: weighted 100 000
	o2 := mk(o.alice, 2_000_000, day(40), "commit")
	o.alice.must(200, "POST", "/api/v1/opportunities/"+id(o2.ID)+"/stage", map[string]any{"stage": "quote"}, nil) // 50 %
	o.mgr.must(200, "PUT", "/api/v1/opportunities/"+id(o2.ID)+"/team", map[string]any{"members": []map[string]any{
		{"user_id": o.aliceU.ID, "role": "owner", "share_bp": 6000}, {"user_id": o.bobU.ID, "role": "owner", "share_bp": 4000}}}, nil)
	mkB(500_000, day(0), "best_case")              // 10 %: weighted 50 000
	mk(o.alice, 300_000, o.to, "commit")           // after the quarter
	lost := mkB(700_000, day(10), "commit")        // lost: not open
	won := mk(o.alice, 400_000, day(20), "commit") // won today
	mk(o.alice, 900_000, "", "pipeline")           // no expected close date
	o.bob.must(200, "POST", "/api/v1/opportunities/"+id(lost.ID)+"/close", map[string]any{"outcome": "lost", "loss_reason": "价格"}, nil)
	o.alice.must(200, "POST", "/api/v1/opportunities/"+id(won.ID)+"/close", map[string]any{"outcome": "won"}, nil)
	return o
}

func TestWeightedPipelineMetrics(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newForecastOrg(t, db)
		var res struct {
			Rows []struct {
				Keys   []string            `json:"keys"`
				Values map[string]*float64 `json:"values"`
			} `json:"rows"`
			Total struct {
				Values map[string]*float64 `json:"values"`
			} `json:"total"`
		}
		o.admin.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": []string{"open_opportunities", "open_pipeline_amount", "weighted_pipeline",
			"forecast_commit", "forecast_best_case", "forecast_pipeline", "forecast_omitted", "won_amount"}, "dimensions": []string{"person"},
			"from": o.from, "to": o.to}, &res)
		want := map[string]float64{"open_opportunities": 3, "open_pipeline_amount": 3_500_000, "weighted_pipeline": 100_000 + 1_000_000 + 50_000,
			"forecast_commit": 2_000_000, "forecast_best_case": 500_000, "forecast_pipeline": 1_000_000, "forecast_omitted": 0, "won_amount": 400_000}
		for k, w := range want {
			if v := res.Total.Values[k]; v == nil || *v != w {
				t.Errorf("total %s = %v, want %v", k, deref(v), w)
			}
		}
		per := map[string][2]float64{ // open, weighted per person
			id(o.aliceU.ID): {1_000_000 + 1_200_000, 100_000 + 600_000},
			id(o.bobU.ID):   {500_000 + 800_000, 50_000 + 400_000},
		}
		for _, r := range res.Rows {
			w, ok := per[r.Keys[0]]
			if !ok {
				t.Fatalf("unexpected person %v", r.Keys)
			}
			if got := [2]float64{deref(r.Values["open_pipeline_amount"]), deref(r.Values["weighted_pipeline"])}; got != w {
				t.Errorf("person %s: open, weighted = %v, want %v", r.Keys[0], got, w)
			}
		}
		// A changed stage probability changes the weighted pipeline (its facts
		// are rewritten): qualify 10 % → 20 %.
		p := o.process
		p.Stages[0].Probability = 20
		o.admin.must(200, "PATCH", "/api/v1/sales-processes/"+id(p.ID), map[string]any{"name_zh": p.NameZh, "name_en": p.NameEn, "stages": p.Stages, "active": true}, nil)
		o.admin.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": []string{"weighted_pipeline"}, "from": o.from, "to": o.to}, &res)
		if v := deref(res.Total.Values["weighted_pipeline"]); v != 200_000+1_000_000+100_000 {
			t.Errorf("weighted after the probability change = %v", v)
		}
	})
}

func deref(v *float64) float64 {
	if v == nil {
		return -1
	}
	return *v
}

func TestForecastAnalysisAndAdjustments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newForecastOrg(t, db)
		sales := id(o.aliceU.DepartmentID)
		var f service.Forecast
		o.mgr.must(200, "GET", "/api/v1/analyses/forecast?department_id="+sales, nil, &f)
		if f.Period != o.label || f.From != o.from || f.To != o.to {
			t.Fatalf("default period %s [%s, %s), want %s", f.Period, f.From, f.To, o.label)
		}
		if f.Root.Figures.Won != 400_000 || f.Root.Figures.Open != 3_500_000 || f.Root.Figures.Weighted != 1_150_000 ||
			f.Root.Figures.Category["commit"] != 2_000_000 || f.Root.Forecast["commit"] != 2_000_000 || !f.Root.CanAdjust {
			t.Fatalf("root %+v", f.Root)
		}
		if len(f.People) != 2 {
			t.Fatalf("people %+v", f.People)
		}
		for _, p := range f.People {
			want := map[cohort.ID]float64{o.aliceU.ID: 1_200_000, o.bobU.ID: 800_000}[p.ID]
			if p.Figures.Category["commit"] != want {
				t.Errorf("%s commit %v, want %v", p.Name, p.Figures.Category["commit"], want)
			}
		}
		// The manager lowers the department's commit; the original stays beside it.
		var a service.ForecastAdjustment
		o.mgr.must(201, "POST", "/api/v1/analyses/forecast/adjustments", map[string]any{"period": o.label, "subject_type": "department",
			"subject_id": o.aliceU.DepartmentID, "category": "commit", "amount": 1_500_000, "note": "一单推迟"}, &a)
		if a.Original != 2_000_000 || a.Amount != 1_500_000 || a.CreatedBy != o.mgrU.ID {
			t.Fatalf("adjustment %+v", a)
		}
		o.mgr.must(201, "POST", "/api/v1/analyses/forecast/adjustments", map[string]any{"period": o.label, "subject_type": "department",
			"subject_id": o.aliceU.DepartmentID, "category": "commit", "amount": 1_800_000, "note": "追回一单"}, nil)
		o.mgr.must(200, "GET", "/api/v1/analyses/forecast?department_id="+sales+"&period="+o.label, nil, &f)
		if f.Root.Figures.Category["commit"] != 2_000_000 || f.Root.Forecast["commit"] != 1_800_000 || f.Root.Adjusted["commit"] == nil ||
			f.Root.Adjusted["commit"].Note != "追回一单" || len(f.History) != 2 || f.History[1].Amount != 1_500_000 {
			t.Fatalf("after adjustment: root %+v history %+v", f.Root, f.History)
		}
		if f.Root.Forecast["pipeline"] != 1_000_000 || f.Root.Adjusted["pipeline"] != nil {
			t.Fatalf("other categories are not adjusted: %+v", f.Root)
		}
		// The company view rolls the department's adjustment into its figure.
		var all service.Forecast
		o.admin.must(200, "GET", "/api/v1/analyses/forecast?period="+o.label, nil, &all)
		if all.Root.Figures.Category["commit"] != 2_000_000 || all.Root.Forecast["commit"] != 1_800_000 {
			t.Fatalf("company: %+v", all.Root)
		}
		// An administrator adjusts the company's figure (department 0); the
		// manager may not.
		company := map[string]any{"period": o.label, "subject_type": "company", "category": "best_case", "amount": 700_000}
		if res := o.mgr.do("POST", "/api/v1/analyses/forecast/adjustments", company, nil); res.status != 403 {
			t.Fatalf("manager adjusts the company: %d %s", res.status, res.body)
		}
		o.admin.must(201, "POST", "/api/v1/analyses/forecast/adjustments", company, nil)
		all = service.Forecast{}
		o.admin.must(200, "GET", "/api/v1/analyses/forecast?period="+o.label, nil, &all)
		if all.Root.Forecast["best_case"] != 700_000 || all.Root.Figures.Category["best_case"] != 500_000 || all.Root.Forecast["commit"] != 1_800_000 {
			t.Fatalf("company adjusted: %+v", all.Root)
		}
		// Another period has no adjustment.
		f = service.Forecast{}
		o.mgr.must(200, "GET", "/api/v1/analyses/forecast?department_id="+sales+"&from="+o.to+"&to="+o.to[:4]+"-12-31", nil, &f)
		if f.Root.Adjusted["commit"] != nil || f.Root.Figures.Category["commit"] != 300_000 {
			t.Fatalf("next period %+v", f.Root)
		}

		// A salesperson may not adjust (403), a department of another tenant
		// is not found (404), and nothing is written.
		body := map[string]any{"period": o.label, "subject_type": "department", "subject_id": o.aliceU.DepartmentID, "category": "commit", "amount": 1}
		if res := o.alice.do("POST", "/api/v1/analyses/forecast/adjustments", body, nil); res.status != 403 {
			t.Fatalf("salesperson adjusts: %d %s", res.status, res.body)
		}
		body["subject_type"], body["subject_id"] = "person", o.bobU.ID
		if res := o.alice.do("POST", "/api/v1/analyses/forecast/adjustments", body, nil); res.status != 403 {
			t.Fatalf("salesperson adjusts a colleague: %d %s", res.status, res.body)
		}
		// The manager manages Bob (his manager and his department's).
		o.mgr.must(201, "POST", "/api/v1/analyses/forecast/adjustments", body, nil)
		_, otherAdmin := o.env.newTenant("other-forecast", "admin@other-forecast.test")
		other := o.env.login("admin@other-forecast.test", adminPassword)
		var od cohort.Page[cohort.Department]
		other.must(200, "GET", "/api/v1/departments", nil, &od)
		for _, subj := range []map[string]any{{"subject_type": "department", "subject_id": od.Items[0].ID}, {"subject_type": "person", "subject_id": otherAdmin.ID}} {
			b := map[string]any{"period": o.label, "category": "commit", "amount": 1}
			for k, v := range subj {
				b[k] = v
			}
			if res := o.mgr.do("POST", "/api/v1/analyses/forecast/adjustments", b, nil); res.status != 404 {
				t.Fatalf("cross-tenant %v: %d %s", subj, res.status, res.body)
			}
		}
		if res := o.mgr.do("GET", "/api/v1/analyses/forecast?department_id="+id(od.Items[0].ID), nil, nil); res.status != 404 {
			t.Fatalf("cross-tenant forecast: %d %s", res.status, res.body)
		}
		// Bad input: 422 naming the field.
		for field, b := range map[string]map[string]any{
			"category":     {"period": o.label, "subject_type": "department", "subject_id": o.aliceU.DepartmentID, "category": "maybe", "amount": 1},
			"amount":       {"period": o.label, "subject_type": "department", "subject_id": o.aliceU.DepartmentID, "category": "commit", "amount": -5},
			"period":       {"period": "2026-Q7", "subject_type": "department", "subject_id": o.aliceU.DepartmentID, "category": "commit", "amount": 1},
			"subject_type": {"period": o.label, "subject_type": "team", "subject_id": o.aliceU.DepartmentID, "category": "commit", "amount": 1},
		} {
			res := o.mgr.do("POST", "/api/v1/analyses/forecast/adjustments", b, nil)
			if res.status != 422 || !strings.Contains(string(res.body), field) {
				t.Fatalf("bad %s: %d %s", field, res.status, res.body)
			}
		}
		for _, qs := range []string{"period=Q4", "from=2026-13-01&to=2027-01-01", "from=2026-10-01&to=2026-09-01", "department_id=abc"} {
			if res := o.mgr.do("GET", "/api/v1/analyses/forecast?"+qs, nil, nil); res.status != 422 {
				t.Fatalf("bad query %s: %d %s", qs, res.status, res.body)
			}
		}
		f = service.Forecast{}
		o.mgr.must(200, "GET", "/api/v1/analyses/forecast?department_id="+sales+"&period="+o.label, nil, &f)
		if len(f.History) != 3 {
			t.Fatalf("refused adjustments were written: %+v", f.History)
		}
	})
}

// TestWinProbabilityFactors checks the naive-Bayes win probability on a
// small history, against figures worked out by hand.
func TestWinProbabilityFactors(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var a, b cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "赢率甲有限公司", "industry": "制造业", "source": "展会"}, &a)
		o.bob.must(201, "POST", "/api/v1/customers", map[string]any{"name": "赢率乙有限公司", "industry": "零售", "source": "转介绍"}, &b)
		mk := func(who *client, c cohort.ID, amount int64, stage, outcome string) cohort.Opportunity {
			var x cohort.Opportunity
			who.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c, "name": fmt.Sprint("赢率", amount, stage, outcome), "amount": amount}, &x)
			if stage != "qualify" {
				who.must(200, "POST", "/api/v1/opportunities/"+id(x.ID)+"/stage", map[string]any{"stage": stage}, nil)
			}
			if outcome != "" {
				who.must(200, "POST", "/api/v1/opportunities/"+id(x.ID)+"/close", map[string]any{"outcome": outcome, "loss_reason": "价格"}, nil)
			}
			return x
		}
		mk(o.alice, a.ID, 2_000_000, "quote", "won")
		mk(o.alice, a.ID, 2_000_000, "quote", "won")
		mk(o.alice, a.ID, 500_000, "qualify", "lost")
		mk(o.alice, a.ID, 2_000_000, "qualify", "lost")
		mk(o.bob, b.ID, 500_000, "qualify", "lost")
		target := mk(o.alice, a.ID, 3_000_000, "quote", "")
		var w struct {
			Probability float64  `json:"probability"`
			BaseRate    *float64 `json:"base_rate"`
			Won, Lost   int
			Basis       string `json:"basis"`
			Factors     []struct {
				Feature, Value string
				Won, Lost      int
				Effect, Points float64
			} `json:"factors"`
		}
		o.alice.must(200, "GET", "/api/v1/opportunities/"+id(target.ID)+"/win-probability", nil, &w)
		// W = 2, L = 3; every feature has K = 2 values but days open (K = 1).
		stage := math.Log((3.0 / 4) / (1.0 / 5))    // quote: 2 won, 0 lost
		amount := math.Log((3.0 / 4) / (2.0 / 5))   // 10k–100k: 2 won, 1 lost
		source := math.Log((3.0 / 4) / (3.0 / 5))   // 展会: 2 won, 2 lost
		industry := math.Log((3.0 / 4) / (3.0 / 5)) // 制造业: 2 won, 2 lost
		logit := math.Log(3.0/4) + stage + amount + source + industry
		want := 1 / (1 + math.Exp(-logit))
		if w.Won != 2 || w.Lost != 3 || w.Basis != "company" || w.BaseRate == nil || *w.BaseRate != 0.4 || math.Abs(w.Probability-want) > 1e-5 {
			t.Fatalf("win probability %+v, want %.6f", w, want)
		}
		if len(w.Factors) != 5 || w.Factors[0].Feature != "stage" || w.Factors[0].Value != "quote" || w.Factors[0].Won != 2 || w.Factors[0].Lost != 0 ||
			math.Abs(w.Factors[0].Effect-stage) > 1e-5 || w.Factors[1].Feature != "amount_band" || w.Factors[4].Feature != "days_open" || w.Factors[4].Effect != 0 {
			t.Fatalf("factors %+v", w.Factors)
		}
		without := 1 / (1 + math.Exp(-(logit - stage)))
		if math.Abs(w.Factors[0].Points-(want-without)) > 1e-5 {
			t.Fatalf("stage points %v, want %v", w.Factors[0].Points, want-without)
		}
		// A new close counts at once: one more lost at quote.
		mk(o.alice, a.ID, 2_000_000, "quote", "lost")
		o.alice.must(200, "GET", "/api/v1/opportunities/"+id(target.ID)+"/win-probability", nil, &w)
		if w.Lost != 4 || w.Factors[0].Lost != 1 && w.Factors[1].Lost != 1 {
			t.Fatalf("after a close: %+v", w)
		}
		// Bob may not see Alice's opportunity.
		if res := o.bob.do("GET", "/api/v1/opportunities/"+id(target.ID)+"/win-probability", nil, nil); res.status != 404 {
			t.Fatalf("bob: %d", res.status)
		}
		if res := o.alice.do("GET", "/api/v1/opportunities/abc/win-probability", nil, nil); res.status != 422 && res.status != 400 && res.status != 404 {
			t.Fatalf("bad id: %d", res.status)
		}
	})
}

// TestSegmentationTiers checks the RFM scores and tiers of five customers
// worked out by hand (see metrics.RunSegmentation for the rules).
func TestSegmentationTiers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		o.admin.must(200, "PATCH", "/api/v1/tenant/settings", map[string]any{"backdate_window_days": 30}, nil)
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "RFM-1", "name": "价值", "price": 100000}, &prod)
		loc := o.tenant.Location()
		y, m, d := time.Now().In(loc).Date()
		noon := time.Date(y, m, d, 12, 0, 0, 0, loc)
		cust := func(name string) cohort.Customer {
			var c cohort.Customer
			o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": name}, &c)
			return c
		}
		sign := func(c cohort.Customer, qty, daysAgo int) {
			var k cohort.Deal
			o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": fmt.Sprint("价值合同", qty, daysAgo),
				"lines": []map[string]any{{"product_id": prod.ID, "quantity": qty}}}, &k)
			o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "signed",
				"signed_at": noon.AddDate(0, 0, -daysAgo).UTC().Format(time.RFC3339)}, nil)
		}
		c1, c2, c3, c4, c5 := cust("价值一有限公司"), cust("价值二有限公司"), cust("价值三有限公司"), cust("价值四有限公司"), cust("价值五有限公司")
		cust("价值六有限公司") // never signed: not segmented
		sign(c1, 10, 5)
		sign(c1, 10, 3)
		sign(c1, 10, 1) // 3 signings, 3 000 000, 1 day
		sign(c2, 10, 6)
		sign(c2, 10, 2) // 2, 2 000 000, 2 days
		sign(c3, 50, 8) // 1, 5 000 000, 8 days
		sign(c4, 1, 3)  // 1, 100 000, 3 days
		sign(c5, 2, 9)  // 1, 200 000, 9 days
		var seg struct {
			AsOf      string `json:"as_of"`
			Customers int    `json:"customers"`
			Tiers     []struct {
				Tier     string
				Count    int
				Monetary float64
			}
			Top []struct {
				CustomerID cohort.ID `json:"customer_id"`
				Recency    int       `json:"recency_days"`
				Frequency  int
				Monetary   float64
				R, F, M    int
				Tier       string
			}
		}
		o.admin.must(200, "GET", "/api/v1/analyses/segmentation?top=3&as_of="+noon.Format(time.DateOnly), nil, &seg)
		tiers := map[string]int{}
		for _, tc := range seg.Tiers {
			tiers[tc.Tier] = tc.Count
		}
		want := map[string]int{"champion": 1, "loyal": 1, "at_risk": 1, "promising": 0, "hibernating": 2}
		if seg.Customers != 5 || fmt.Sprint(tiers) != fmt.Sprint(want) {
			t.Fatalf("tiers %v of %d customers, want %v", tiers, seg.Customers, want)
		}
		// Top 3 by value: c3 (R2 F1 M5 at risk), c1 (R5 F5 M4 champion), c2 (R4 F4 M3 loyal).
		wantTop := []string{
			fmt.Sprintf("%d:8:1:5000000:2/1/5:at_risk", c3.ID), fmt.Sprintf("%d:1:3:3000000:5/5/4:champion", c1.ID),
			fmt.Sprintf("%d:2:2:2000000:4/4/3:loyal", c2.ID)}
		var got []string
		for _, c := range seg.Top {
			got = append(got, fmt.Sprintf("%d:%d:%d:%.0f:%d/%d/%d:%s", c.CustomerID, c.Recency, c.Frequency, c.Monetary, c.R, c.F, c.M, c.Tier))
		}
		if fmt.Sprint(got) != fmt.Sprint(wantTop) {
			t.Fatalf("top %v\nwant %v", got, wantTop)
		}
		_, _ = c4, c5
		// Bob sees none of Alice's customers.
		o.bob.must(200, "GET", "/api/v1/analyses/segmentation", nil, &seg)
		if seg.Customers != 0 || len(seg.Top) != 0 {
			t.Fatalf("bob sees %+v", seg)
		}
		for _, qs := range []string{"top=0", "top=101", "top=x", "as_of=2026-02-30"} {
			if res := o.admin.do("GET", "/api/v1/analyses/segmentation?"+qs, nil, nil); res.status != 422 {
				t.Fatalf("bad %s: %d %s", qs, res.status, res.body)
			}
		}
	})
}
