package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	factledger "github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

var q1 = metrics.Query{From: "2026-01-01", To: "2026-04-01"}

func env() metrics.Env {
	return metrics.Env{TenantID: tenant, FiscalYearStartMonth: 4, Lang: "en"}
}

// run answers q, and requires the same answer from the facts alone (no
// rollups).
func run(t *testing.T, db *store.DB, e metrics.Env, q metrics.Query) *metrics.Result {
	t.Helper()
	res, err := metrics.Run(context.Background(), db.Read(), e, q)
	if err != nil {
		t.Fatalf("query %+v: %v", q, err)
	}
	e.RawFacts = true
	raw, err := metrics.Run(context.Background(), db.Read(), e, q)
	if err != nil {
		t.Fatalf("query %+v from the facts: %v", q, err)
	}
	sameAnswer(t, fmt.Sprintf("%+v", q), res, raw)
	return res
}

// sameAnswer requires two answers to be equal but for their time taken.
func sameAnswer(t *testing.T, what string, a, b *metrics.Result) {
	t.Helper()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("%s: with rollups\n%s\nfrom the facts\n%s", what, ja, jb)
	}
}

// nul marks an expected empty (null) value.
var nul = math.NaN()

func check(t *testing.T, where string, got *float64, want float64) {
	t.Helper()
	switch {
	case math.IsNaN(want):
		if got != nil {
			t.Errorf("%s = %v, want null", where, *got)
		}
	case got == nil:
		t.Errorf("%s = null, want %v", where, want)
	case math.Abs(*got-want) > 1e-6:
		t.Errorf("%s = %v, want %v", where, *got, want)
	}
}

// row finds the row with keys.
func row(t *testing.T, res *metrics.Result, keys ...string) metrics.Row {
	t.Helper()
	for _, r := range res.Rows {
		if strings.Join(r.Keys, "|") == strings.Join(keys, "|") {
			return r
		}
	}
	var have []string
	for _, r := range res.Rows {
		have = append(have, strings.Join(r.Keys, "|"))
	}
	t.Fatalf("no row %v among %v", keys, have)
	return metrics.Row{}
}

func id(n int) string { return fmt.Sprint(n) }

func TestBuiltinFigures(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		q := q1
		q.Metrics = []string{"new_leads", "converted_leads", "lead_conversion_rate", "new_customers", "first_signed_customers", "lost_customers",
			"conversion_rate", "cohort_conversion_rate", "first_order_amount", "first_order_avg_value", "followup_cycle_days", "followups_per_signed_customer",
			"followups", "calls", "visits", "sms", "proposals_sent", "call_minutes", "followed_customers", "contact_frequency", "quotes_sent",
			"new_opportunities", "new_opportunity_value", "won_opportunities", "lost_opportunities", "invalid_opportunities", "win_rate", "opportunity_cycle_days"}
		res := run(t, db, env(), q)
		want := map[string]float64{"new_leads": 3, "converted_leads": 1, "lead_conversion_rate": 1.0 / 3, "new_customers": 3, "first_signed_customers": 2,
			"lost_customers": 1, "conversion_rate": 2.0 / 3, "cohort_conversion_rate": 2.0 / 3, "first_order_amount": 400000, "first_order_avg_value": 200000,
			"followup_cycle_days": 37.5, "followups_per_signed_customer": 5, "followups": 7, "calls": 3, "visits": 2, "sms": 1, "proposals_sent": 1,
			"call_minutes": 16.5, "followed_customers": 3, "contact_frequency": 7.0 / 3, "quotes_sent": 1, "new_opportunities": 4,
			"new_opportunity_value": 1750000, "won_opportunities": 1, "lost_opportunities": 1, "invalid_opportunities": 1, "win_rate": 0.5,
			"opportunity_cycle_days": 30}
		for m, w := range want {
			check(t, "total "+m, res.Total.Values[m], w)
		}
		if len(res.Rows) != 0 {
			t.Errorf("no dimensions gave %d rows", len(res.Rows))
		}

		q.Metrics = []string{"contracts_signed", "contract_amount", "orders_signed", "order_amount", "signed_count", "signed_amount", "payments_collected",
			"payments_planned", "invoice_amount", "invoices", "tickets_opened", "complaints", "tickets_resolved", "resolution_rate", "first_response_hours",
			"resolution_hours", "service_cost"}
		res = run(t, db, env(), q)
		want = map[string]float64{"contracts_signed": 1, "contract_amount": 100000, "orders_signed": 1, "order_amount": 300000, "signed_count": 2,
			"signed_amount": 400000, "payments_collected": 140000, "payments_planned": 50000, "invoice_amount": 400000, "invoices": 2,
			"tickets_opened": 2, "complaints": 1, "tickets_resolved": 1, "resolution_rate": 0.5, "first_response_hours": 3, "resolution_hours": 48,
			"service_cost": 20000}
		for m, w := range want {
			check(t, "total "+m, res.Total.Values[m], w)
		}
	})
}

func TestPersonRoleAndNonAdditive(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		q := q1
		q.Metrics = []string{"new_customers", "first_signed_customers", "first_order_amount", "first_order_avg_value", "followup_cycle_days",
			"lost_customers", "followups", "call_minutes", "contact_frequency", "signed_amount", "conversion_rate"}
		q.Dimensions = []string{"person"}
		res := run(t, db, env(), q)
		a, b := row(t, res, id(ann)), row(t, res, id(bob))
		if a.Labels[0] != "Ann" || b.Labels[0] != "Bob" {
			t.Errorf("labels %v %v", a.Labels, b.Labels)
		}
		for m, w := range map[string]float64{"new_customers": 2, "first_signed_customers": 2, "first_order_amount": 280000, "first_order_avg_value": 175000,
			"followup_cycle_days": 34.625, "lost_customers": 0, "followups": 4, "call_minutes": 6.5, "contact_frequency": 2, "signed_amount": 280000, "conversion_rate": 1} {
			check(t, "Ann "+m, a.Values[m], w)
		}
		for m, w := range map[string]float64{"new_customers": 2, "first_signed_customers": 1, "first_order_amount": 120000, "first_order_avg_value": 300000,
			"lost_customers": 1, "followups": 2, "call_minutes": 10, "signed_amount": 120000, "conversion_rate": 0.5} {
			check(t, "Bob "+m, b.Values[m], w)
		}
		// Co-owned C2 counts once in the total, not once per owner; the
		// average is not a mean of the people's averages.
		check(t, "total new_customers", res.Total.Values["new_customers"], 3)
		check(t, "total first_order_avg_value", res.Total.Values["first_order_avg_value"], 200000)
		// Cat has only presales and author facts: her owner credit is 0 and
		// her rates are empty, not 0.
		c := row(t, res, id(cat))
		check(t, "Cat new_customers (owner)", c.Values["new_customers"], 0)
		check(t, "Cat conversion_rate (owner)", c.Values["conversion_rate"], nul)
		check(t, "Cat followups", c.Values["followups"], 1)

		// The presales role: Cat supported C2 and order R1.
		q.Role = "presales"
		res = run(t, db, env(), q)
		c = row(t, res, id(cat))
		check(t, "Cat presales new_customers", c.Values["new_customers"], 1)
		check(t, "Cat presales signed_amount", c.Values["signed_amount"], 300000)
		check(t, "Cat presales first_order_avg_value", c.Values["first_order_avg_value"], 300000)
		if res.Role != "presales" {
			t.Errorf("role %q", res.Role)
		}

		// The role dimension.
		q.Role = ""
		q.Metrics = []string{"signed_count", "signed_amount"}
		q.Dimensions = []string{"role"}
		res = run(t, db, env(), q)
		if l := row(t, res, "presales").Labels[0]; l != "Presales" {
			t.Errorf("role label %q", l)
		}
		check(t, "owner signed_count", row(t, res, "owner").Values["signed_count"], 2)
		check(t, "presales signed_count", row(t, res, "presales").Values["signed_count"], 1)
		check(t, "presales signed_amount", row(t, res, "presales").Values["signed_amount"], 300000)
	})
}

func TestDepartmentsHistoricAndCurrent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		q := q1
		q.Metrics = []string{"new_customers", "first_signed_customers", "first_order_amount", "tickets_opened"}
		q.Dimensions = []string{"department"}
		// Top level: Sales rolls up East and West.
		res := run(t, db, env(), q)
		s := row(t, res, id(sales))
		if s.Labels[0] != "Sales" {
			t.Errorf("label %v", s.Labels)
		}
		check(t, "Sales new_customers", s.Values["new_customers"], 3)
		check(t, "Sales first_order_amount", s.Values["first_order_amount"], 400000)
		check(t, "Service tickets", row(t, res, id(svc)).Values["tickets_opened"], 2)

		// Under Sales, historic: Bob's January C2 credit stays in East.
		q.DepartmentRoot = sales
		res = run(t, db, env(), q)
		check(t, "East new_customers", row(t, res, id(east)).Values["new_customers"], 2)
		check(t, "West new_customers", row(t, res, id(west)).Values["new_customers"], 1)
		check(t, "East first_signed", row(t, res, id(east)).Values["first_signed_customers"], 2)
		check(t, "East first_order_amount", row(t, res, id(east)).Values["first_order_amount"], 280000)
		check(t, "West first_order_amount", row(t, res, id(west)).Values["first_order_amount"], 120000)
		check(t, "Sales subtree total tickets", res.Total.Values["tickets_opened"], 0)
		check(t, "Sales subtree total new_customers", res.Total.Values["new_customers"], 3)

		// Current organisation: Bob is in West today, so C2 counts there too.
		q.Dimensions = []string{"department_current"}
		res = run(t, db, env(), q)
		check(t, "East (current) new_customers", row(t, res, id(east)).Values["new_customers"], 2)
		check(t, "West (current) new_customers", row(t, res, id(west)).Values["new_customers"], 2)

		// A department filter includes its sub-departments.
		q = q1
		q.Metrics = []string{"new_customers", "followups"}
		q.Filters = []metrics.Filter{{Dimension: "department", Values: []string{id(sales)}}}
		res = run(t, db, env(), q)
		check(t, "Sales filter new_customers", res.Total.Values["new_customers"], 3)
		q.Filters = []metrics.Filter{{Dimension: "department", Values: []string{id(west)}}}
		res = run(t, db, env(), q)
		check(t, "West filter new_customers", res.Total.Values["new_customers"], 1)
		check(t, "West filter followups", res.Total.Values["followups"], 3)
		q.Filters = []metrics.Filter{{Dimension: "department_current", Values: []string{id(west)}}}
		res = run(t, db, env(), q)
		check(t, "West (current) filter new_customers", res.Total.Values["new_customers"], 2)
	})
}

func TestTimeCustomerProductAndFunnel(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		q := q1
		q.Metrics = []string{"new_customers", "conversion_rate", "signed_amount"}
		q.Dimensions = []string{"month"}
		res := run(t, db, env(), q)
		if len(res.Rows) != 3 {
			t.Fatalf("months: %+v", res.Rows)
		}
		check(t, "Jan new_customers", row(t, res, "2026-01").Values["new_customers"], 2)
		check(t, "Jan conversion_rate", row(t, res, "2026-01").Values["conversion_rate"], 0)
		check(t, "Feb conversion_rate", row(t, res, "2026-02").Values["conversion_rate"], 1)
		check(t, "Mar conversion_rate", row(t, res, "2026-03").Values["conversion_rate"], nul)
		check(t, "Mar signed_amount", row(t, res, "2026-03").Values["signed_amount"], 300000)

		// Fiscal years start in April: 2025-03 is in FY2024, 2025-12 and
		// 2026-03 in FY2025.
		q2 := metrics.Query{From: "2025-01-01", To: "2026-04-01", Metrics: []string{"signed_amount"}, Dimensions: []string{"fiscal_year"}}
		res = run(t, db, env(), q2)
		check(t, "FY2024", row(t, res, "FY2024").Values["signed_amount"], 80000)
		check(t, "FY2025", row(t, res, "FY2025").Values["signed_amount"], 450000)
		q2.Dimensions = []string{"quarter"}
		res = run(t, db, env(), q2)
		check(t, "2025-Q4", row(t, res, "2025-Q4").Values["signed_amount"], 50000)
		q2.Dimensions = []string{"week"}
		q2.From = "2026-02-01"
		res = run(t, db, env(), q2)
		// 2026-02-01 is a Sunday: its week began on Monday 26 January.
		check(t, "week of 2026-01-26", row(t, res, "2026-01-26").Values["signed_amount"], 100000)
		// Weeks starting on Sunday (week_start 7): 2026-02-01 begins one.
		sunday := env()
		sunday.WeekStart = 7
		res = run(t, db, sunday, q2)
		check(t, "Sunday week of 2026-02-01", row(t, res, "2026-02-01").Values["signed_amount"], 100000)
		check(t, "Sunday week of 2026-03-01", row(t, res, "2026-03-01").Values["signed_amount"], 300000)
		q2.Dimensions = []string{"year"}
		q2.From = "2025-01-01"
		res = run(t, db, env(), q2)
		check(t, "2025", row(t, res, "2025").Values["signed_amount"], 130000)

		q.Dimensions = []string{"segment"}
		q.Metrics = []string{"new_customers", "signed_amount"}
		res = run(t, db, env(), q)
		check(t, "SMB new_customers", row(t, res, "SMB").Values["new_customers"], 2)
		check(t, "KA signed_amount", row(t, res, "KA").Values["signed_amount"], 300000)
		q.Dimensions = []string{"region"}
		res = run(t, db, env(), q)
		check(t, "Jiangsu new_customers", row(t, res, "Jiangsu").Values["new_customers"], 2)

		q.Dimensions = []string{"product"}
		q.Metrics = []string{"line_amount", "line_quantity"}
		res = run(t, db, env(), q)
		w := row(t, res, "601")
		if w.Labels[0] != "Widget" {
			t.Errorf("product label %v", w.Labels)
		}
		check(t, "Widget line_amount", w.Values["line_amount"], 360000)
		check(t, "Widget line_quantity", w.Values["line_quantity"], 13)
		check(t, "Gadget line_amount", row(t, res, "602").Values["line_amount"], 40000)

		q.Dimensions = []string{"product_category"}
		res = run(t, db, env(), q)
		if hw := row(t, res, "650"); hw.Labels[0] != "Hardware" || *hw.Values["line_amount"] != 360000 {
			t.Errorf("category row %+v", hw)
		}
		check(t, "no category", row(t, res, "").Values["line_amount"], 40000)
		q.Dimensions = []string{"customer"}
		q.Metrics = []string{"signed_amount"}
		res = run(t, db, env(), q)
		if c2 := row(t, res, id(c2)); c2.Labels[0] != "C2" || *c2.Values["signed_amount"] != 300000 {
			t.Errorf("customer row %+v", c2)
		}

		q.Dimensions = []string{"followup_type"}
		q.Metrics = []string{"followups"}
		res = run(t, db, env(), q)
		check(t, "calls by type", row(t, res, "call").Values["followups"], 3)
		check(t, "visits by type", row(t, res, "visit").Values["followups"], 2)

		q.Dimensions = []string{"stage"}
		q.Metrics = []string{"stage_entries", "stage_conversion:proposal", "stage_conversion:won", "days_in_stage"}
		res = run(t, db, env(), q)
		qa, pr := row(t, res, "qualify"), row(t, res, "proposal")
		check(t, "qualify entries", qa.Values["stage_entries"], 3)
		check(t, "qualify → proposal", qa.Values["stage_conversion:proposal"], 2.0/3)
		check(t, "qualify → won", qa.Values["stage_conversion:won"], 1.0/3)
		check(t, "proposal → won", pr.Values["stage_conversion:won"], 0.5)
		check(t, "proposal → proposal", pr.Values["stage_conversion:proposal"], 0)
		check(t, "days in qualify", qa.Values["days_in_stage"], 58.0/3)
		check(t, "days in proposal", pr.Values["days_in_stage"], 20)

		q.Dimensions = []string{"attr"}
		q.Metrics = []string{"lost_opportunities"}
		q.Filters = []metrics.Filter{{Dimension: "kind", Values: []string{"opportunity.lost"}}}
		res = run(t, db, env(), q)
		check(t, "lost for price", row(t, res, "price").Values["lost_opportunities"], 1)
	})
}

func TestComparisons(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		q := q1
		q.Metrics = []string{"signed_amount", "win_rate"}
		q.Compare = []string{"previous", "year_ago"}
		res := run(t, db, env(), q)
		if res.Compare[0].From != "2025-10-01" || res.Compare[0].To != "2026-01-01" || res.Compare[1].From != "2025-01-01" {
			t.Errorf("compared periods %+v", res.Compare)
		}
		check(t, "previous", res.Total.Compare["previous"]["signed_amount"], 50000)
		check(t, "year ago", res.Total.Compare["year_ago"]["signed_amount"], 80000)
		if ch := res.Total.Change["year_ago"]["signed_amount"]; ch == nil || ch.Abs != 320000 || ch.Rel == nil || *ch.Rel != 4 {
			t.Errorf("year-ago change %+v", ch)
		}
		check(t, "previous win rate (none decided)", res.Total.Compare["previous"]["win_rate"], nul)
		if ch := res.Total.Change["previous"]["win_rate"]; ch != nil {
			t.Errorf("change from an empty rate %+v", ch)
		}
		q.Dimensions = []string{"month"}
		res = run(t, db, env(), q)
		mar := row(t, res, "2026-03")
		check(t, "March vs March last year", mar.Compare["year_ago"]["signed_amount"], 80000)
		check(t, "March vs December (previous quarter's month)", mar.Compare["previous"]["signed_amount"], 50000)
		check(t, "February vs November", row(t, res, "2026-02").Compare["previous"]["signed_amount"], 0)
	})
}

func TestScope(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		q := q1
		q.Metrics = []string{"new_customers", "followups", "tickets_opened"}
		for _, tc := range []struct {
			name                          string
			a                             cohort.Access
			customers, followups, tickets float64
		}{
			{"own (Bob)", cohort.Access{TenantID: tenant, Scope: cohort.ScopeOwn, UserID: bob}, 2, 2, 0},
			{"own and subordinates (Ann)", cohort.Access{TenantID: tenant, Scope: cohort.ScopeOwnAndSubordinates, UserID: ann}, 3, 6, 0},
			{"department (East, historic)", cohort.Access{TenantID: tenant, Scope: cohort.ScopeDepartment, UserID: ann, DepartmentID: east}, 2, 4, 0},
			{"department and children (Sales)", cohort.Access{TenantID: tenant, Scope: cohort.ScopeDepartmentAndChildren, UserID: ann, DepartmentID: sales, DepartmentPath: "/10/"}, 3, 7, 0},
			{"all", cohort.Access{TenantID: tenant, Scope: cohort.ScopeAll}, 3, 7, 2},
		} {
			e := env()
			e.Scope = metrics.Scope(tc.a)
			res := run(t, db, e, q)
			check(t, tc.name+" new_customers", res.Total.Values["new_customers"], tc.customers)
			check(t, tc.name+" followups", res.Total.Values["followups"], tc.followups)
			check(t, tc.name+" tickets", res.Total.Values["tickets_opened"], tc.tickets)
		}
	})
}

func TestDrill(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		ctx := context.Background()
		d := metrics.DrillQuery{Metric: "new_customers", From: q1.From, To: q1.To, Filters: []metrics.Filter{{Dimension: "person", Values: []string{id(bob)}}}}
		got, err := metrics.RunDrill(ctx, db.Read(), env(), d)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Items) != 2 || got.Items[0].CustomerName != "C2" || got.Items[1].CustomerName != "C3" || got.Items[0].UserName != "Bob" ||
			got.Items[0].Credited != 0 || got.Items[0].Date != "2026-01-15" {
			t.Errorf("drill %+v", got.Items)
		}
		// A month cell of signed amount.
		d = metrics.DrillQuery{Metric: "signed_amount", From: q1.From, To: q1.To, Filters: []metrics.Filter{{Dimension: "month", Values: []string{"2026-03"}}}}
		got, err = metrics.RunDrill(ctx, db.Read(), env(), d)
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for _, r := range got.Items {
			sum += r.Credited
		}
		if len(got.Items) != 2 || sum != 300000 {
			t.Errorf("March signed facts %+v", got.Items)
		}
		// Out of scope: Ann's own scope sees none of Bob's facts.
		e := env()
		e.Scope = metrics.Scope(cohort.Access{TenantID: tenant, Scope: cohort.ScopeOwn, UserID: ann})
		d = metrics.DrillQuery{Metric: "new_customers", From: q1.From, To: q1.To, Filters: []metrics.Filter{{Dimension: "person", Values: []string{id(bob)}}}}
		got, err = metrics.RunDrill(ctx, db.Read(), e, d)
		if err != nil || len(got.Items) != 0 {
			t.Errorf("drill outside scope: %+v %v", got, err)
		}
		d.Limit = 1
		d.Filters = nil
		got, err = metrics.RunDrill(ctx, db.Read(), env(), d)
		if err != nil || len(got.Items) != 1 || !got.Truncated {
			t.Errorf("limited drill: %+v %v", got, err)
		}
	})
}

func TestCustomMetrics(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		with := metrics.Custom{Metric: metrics.Metric{Name: "orders_with_presales", LabelZh: "有售前参与的签约", LabelEn: "Signed with presales", Unit: metrics.UnitCount,
			Agg: &metrics.Agg{Kinds: []string{"contract.signed", "order.signed"}, Role: "presales", Func: "records"}}}
		if err := with.Validate(nil); err != nil {
			t.Fatal(err)
		}
		rate := metrics.Custom{Metric: metrics.Metric{Name: "presales_participation", LabelZh: "售前参与率", LabelEn: "Presales participation", Unit: metrics.UnitRatio,
			Formula: "orders_with_presales / signed_count"}}
		if err := rate.Validate([]metrics.Metric{with.Metric}); err != nil {
			t.Fatal(err)
		}
		big := metrics.Custom{Metric: metrics.Metric{Name: "big_calls", LabelZh: "长通话", LabelEn: "Long call seconds", Unit: metrics.UnitNumber,
			Agg: &metrics.Agg{Kinds: []string{"followup.done"}, Role: "*", Func: "max", Field: "duration_s", Attr: []string{"call"}}}}
		if err := big.Validate(nil); err != nil {
			t.Fatal(err)
		}
		e := env()
		e.Custom = []metrics.Metric{with.Metric, rate.Metric, big.Metric}
		q := q1
		q.Metrics = []string{"presales_participation", "orders_with_presales", "big_calls"}
		res := run(t, db, e, q)
		check(t, "presales participation", res.Total.Values["presales_participation"], 0.5)
		check(t, "orders with presales", res.Total.Values["orders_with_presales"], 1)
		check(t, "longest call", res.Total.Values["big_calls"], 600)
		q.Dimensions = []string{"month"}
		res = run(t, db, e, q)
		check(t, "Feb participation", row(t, res, "2026-02").Values["presales_participation"], 0)
		check(t, "Mar participation", row(t, res, "2026-03").Values["presales_participation"], 1)

		// Bad definitions name their field.
		for _, tc := range []struct {
			c      metrics.Custom
			others []metrics.Metric
			field  string
		}{
			{metrics.Custom{Metric: metrics.Metric{Name: "win_rate", LabelZh: "x", LabelEn: "x", Unit: "ratio", Formula: "1"}}, nil, "name"},
			{metrics.Custom{Metric: metrics.Metric{Name: "x", LabelZh: "x", LabelEn: "x", Unit: "ratio", Formula: "won_opportunities / (1 +"}}, nil, "formula"},
			{metrics.Custom{Metric: metrics.Metric{Name: "x", LabelZh: "x", LabelEn: "x", Unit: "ratio", Formula: "nope / 2"}}, nil, "formula"},
			{metrics.Custom{Metric: metrics.Metric{Name: "x", LabelZh: "x", LabelEn: "x", Unit: "ratio", Formula: "y + 1"}},
				[]metrics.Metric{{Name: "y", Formula: "x * 2"}}, "formula"},
			{metrics.Custom{Metric: metrics.Metric{Name: "x", LabelZh: "x", LabelEn: "x", Unit: "ratio", Formula: strings.Repeat("1 + ", 200) + "1"}}, nil, "formula"},
			{metrics.Custom{Metric: metrics.Metric{Name: "x", LabelZh: "x", LabelEn: "x", Unit: "ratio", Formula: strings.Repeat("(", 20) + "1" + strings.Repeat(")", 20)}}, nil, "formula"},
			{metrics.Custom{Metric: metrics.Metric{Name: "x", LabelZh: "x", LabelEn: "x", Unit: "count", Agg: &metrics.Agg{Kinds: []string{"nope"}, Func: "count"}}}, nil, "aggregate.kinds"},
			{metrics.Custom{Metric: metrics.Metric{Name: "x", LabelZh: "x", LabelEn: "x", Unit: "count", Agg: &metrics.Agg{Kinds: []string{"followup.done"}, Func: "sum", Field: "stage"}}}, nil, "aggregate.field"},
			{metrics.Custom{Metric: metrics.Metric{Name: "x", LabelZh: "x", LabelEn: "x", Unit: "furlongs", Formula: "1"}}, nil, "unit"},
		} {
			err := tc.c.Validate(tc.others)
			var ce *cohort.Error
			if !errors.As(err, &ce) || ce.Code != cohort.EINVALID || len(ce.Fields) == 0 || ce.Fields[0].Field != tc.field {
				t.Errorf("%s %q: got %v, want a validation error on %s", tc.c.Name, tc.c.Formula, err, tc.field)
			}
		}
		// Division by zero is empty.
		e.Custom = append(e.Custom, metrics.Metric{Name: "div0", Unit: "ratio", Formula: "followups / (calls - calls)"})
		q.Metrics, q.Dimensions = []string{"div0"}, nil
		check(t, "x / 0", run(t, db, e, q).Total.Values["div0"], nul)
	})
}

func TestBadQueries(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	load(t, db)
	for _, tc := range []struct {
		q     metrics.Query
		field string
	}{
		{metrics.Query{Metrics: []string{"nope"}, From: "2026-01-01", To: "2026-02-01"}, "metrics[0]"},
		{metrics.Query{From: "2026-01-01", To: "2026-02-01"}, "metrics"},
		{metrics.Query{Metrics: []string{"followups"}, Dimensions: []string{"planet"}, From: "2026-01-01", To: "2026-02-01"}, "dimensions[0]"},
		{metrics.Query{Metrics: []string{"followups"}, Dimensions: []string{"month", "year"}, From: "2026-01-01", To: "2026-02-01"}, "dimensions[1]"},
		{metrics.Query{Metrics: []string{"followups"}, From: "2026-02-01", To: "2026-01-01"}, "to"},
		{metrics.Query{Metrics: []string{"followups"}, From: "2026-02-01", To: "2026-02-01"}, "to"},
		{metrics.Query{Metrics: []string{"followups"}, From: "2010-01-01", To: "2026-02-01"}, "to"},
		{metrics.Query{Metrics: []string{"followups"}, From: "yesterday", To: "2026-02-01"}, "from"},
		{metrics.Query{Metrics: []string{"followups"}, From: "2026-01-01", To: "2026-02-01", Compare: []string{"tomorrow"}}, "compare[0]"},
		{metrics.Query{Metrics: []string{"followups"}, From: "2026-01-01", To: "2026-02-01", Filters: []metrics.Filter{{Dimension: "month", Values: []string{"March"}}}}, "filters[0].values[0]"},
		{metrics.Query{Metrics: []string{"followups"}, From: "2026-01-01", To: "2026-02-01", Filters: []metrics.Filter{{Dimension: "person", Values: []string{"x"}}}}, "filters[0].values[0]"},
		{metrics.Query{Metrics: []string{"followups"}, From: "2026-01-01", To: "2026-02-01", Filters: []metrics.Filter{{Dimension: "planet"}}}, "filters[0].dimension"},
		{metrics.Query{Metrics: []string{"stage_conversion:"}, From: "2026-01-01", To: "2026-02-01"}, "metrics[0]"},
		{metrics.Query{Metrics: []string{"followups"}, From: "2026-01-01", To: "2026-02-01", DepartmentRoot: 999}, "department_root"},
		{metrics.Query{Metrics: []string{"followups"}, From: "2026-01-01", To: "2026-02-01", Role: "astronaut"}, "role"},
	} {
		_, err := metrics.Run(context.Background(), db.Read(), env(), tc.q)
		var ce *cohort.Error
		if !errors.As(err, &ce) || ce.Code != cohort.EINVALID || len(ce.Fields) == 0 || ce.Fields[0].Field != tc.field {
			t.Errorf("%+v: got %v, want a validation error on %s", tc.q, err, tc.field)
		}
	}
	_, err := metrics.RunDrill(context.Background(), db.Read(), env(), metrics.DrillQuery{Metric: "nope", From: "2026-01-01", To: "2026-02-01"})
	var ce *cohort.Error
	if !errors.As(err, &ce) || ce.Fields[0].Field != "metric" {
		t.Errorf("drill of an unknown metric: %v", err)
	}
}

// Every listed built-in metric has its labels and definition in both
// languages.
func TestCatalogLanguages(t *testing.T) {
	zh, en := metrics.Catalog(nil, "zh-CN"), metrics.Catalog(nil, "en")
	if len(zh) != len(en) || len(zh) < 60 {
		t.Fatalf("%d and %d entries", len(zh), len(en))
	}
	for i := range zh {
		if zh[i].Label == "" || en[i].Label == "" || zh[i].Label == en[i].Label || zh[i].Definition == en[i].Definition || zh[i].Definition == "" {
			t.Errorf("%s: %q/%q, %q/%q", zh[i].Name, zh[i].Label, en[i].Label, zh[i].Definition, en[i].Definition)
		}
	}
}

// A team event with nobody credited (a customer created into a pool) counts
// in the totals under the revenue credit, under no person, and in no narrow
// scope; next actions on time are the due ones done within their window.
func TestUncreditedAndNextActions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		ctx := context.Background()
		extra := []fact{
			{kind: "customer.created", date: "2026-03-15", src: "customer", rec: 204, cust: 204, share: 10000},
			{kind: "next_action.due", date: "2026-01-10", src: "customer", rec: 901, recType: "next_action", cust: c1, user: ann, role: "author", share: 10000, dept: east, n: 1},
			{kind: "next_action.due", date: "2026-01-12", src: "customer", rec: 902, recType: "next_action", cust: c1, user: ann, role: "author", share: 10000, dept: east},
			{kind: "next_action.due", date: "2026-02-12", src: "customer", rec: 903, recType: "next_action", cust: c1, user: ann, role: "author", share: 10000, dept: east, n: 1},
		}
		err := db.WriteTx(ctx, func(tx *store.Tx) error {
			for i, f := range extra {
				if err := insertFact(ctx, tx, int64(10000+i), f); err != nil {
					return err
				}
			}
			// The second was not done on time: n = 0 (insertFact writes 1 for 0).
			if _, err := tx.ExecContext(ctx, "UPDATE facts SET n = 0 WHERE tenant_id = ? AND id = ?", tenant, 10001); err != nil {
				return err
			}
			return factledger.RebuildRollups(ctx, tx, tenant)
		})
		if err != nil {
			t.Fatal(err)
		}
		q := q1
		q.Metrics = []string{"new_customers", "next_actions_due", "next_actions_on_time", "next_actions_on_time_rate"}
		res := run(t, db, env(), q)
		check(t, "new customers with the pool one", res.Total.Values["new_customers"], 4)
		check(t, "next actions due", res.Total.Values["next_actions_due"], 3)
		check(t, "on time", res.Total.Values["next_actions_on_time"], 2)
		check(t, "on-time rate", res.Total.Values["next_actions_on_time_rate"], 2.0/3)
		q.Dimensions = []string{"person"}
		res = run(t, db, env(), q)
		check(t, "nobody's new customers", row(t, res, "").Values["new_customers"], 1)
		check(t, "Bob's new customers", row(t, res, id(bob)).Values["new_customers"], 2)
		q.Role = "presales"
		q.Dimensions = nil
		check(t, "presales new customers", run(t, db, env(), q).Total.Values["new_customers"], 1)
	})
}

// TestSharedAttrRows: calls and call minutes share their follow-up type,
// which their statement's WHERE applies: by person, their rows are the
// people with calls, with the figures and total of the same metrics asked
// beside all follow-ups (whose statement keeps the type inside each sum,
// and has a row for a person with other follow-ups only).
func TestSharedAttrRows(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		q := q1
		q.Metrics = []string{"calls", "call_minutes"}
		q.Dimensions = []string{"person"}
		calls := run(t, db, env(), q)
		q.Metrics = []string{"followups", "calls", "call_minutes"}
		all := run(t, db, env(), q)
		without := 0
		for _, r := range all.Rows {
			var got *metrics.Row
			for i := range calls.Rows {
				if calls.Rows[i].Keys[0] == r.Keys[0] {
					got = &calls.Rows[i]
				}
			}
			switch {
			case *r.Values["calls"] == 0:
				without++
				if got != nil {
					t.Errorf("person %s without calls has a row %v", r.Keys[0], got.Values)
				}
			case got == nil:
				t.Errorf("person %s with %v calls has no row", r.Keys[0], *r.Values["calls"])
			default:
				check(t, r.Keys[0]+" calls", got.Values["calls"], *r.Values["calls"])
				check(t, r.Keys[0]+" call_minutes", got.Values["call_minutes"], *r.Values["call_minutes"])
			}
		}
		if without == 0 || len(calls.Rows) == 0 {
			t.Fatalf("%d people without calls, %d with: the data tests nothing", without, len(calls.Rows))
		}
		check(t, "total calls", calls.Total.Values["calls"], *all.Total.Values["calls"])
		check(t, "total call_minutes", calls.Total.Values["call_minutes"], *all.Total.Values["call_minutes"])
	})
}
