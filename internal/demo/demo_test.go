package demo_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/demo"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func TestDemoHistoryHoldsTheInvariants(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := service.New(db, cohort.SystemClock{}, slog.New(slog.NewTextHandler(io.Discard, nil)), service.Options{PasswordMemoryKiB: 64, PasswordTime: 1})
		sc := demo.Scale{Name: "T", People: 80, Customers: 300, Contacts: 2, Opportunities: 1.5, FollowUps: 8}
		res, err := demo.Create(ctx, svc, demo.Options{Seed: 7, Custom: &sc})
		if err != nil {
			t.Fatal(err)
		}
		if res.Users < 80 || res.Rows < 3000 {
			t.Fatalf("made %d people and %d rows", res.Users, res.Rows)
		}
		q := db.Read()
		count := func(query string, args ...any) int {
			t.Helper()
			var n int
			if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return n
		}
		tid := int64(res.Tenant.ID)
		if n := count("SELECT count(*) FROM customers WHERE tenant_id = ?", tid); n != 300 {
			t.Fatalf("customers %d", n)
		}
		checks := map[string]string{
			"owned customers with other than one current owner": `SELECT count(*) FROM customers c WHERE c.tenant_id = ? AND c.owner_id IS NOT NULL AND
				(SELECT count(*) FROM record_team t WHERE t.tenant_id = c.tenant_id AND t.record_type = 'customer' AND t.record_id = c.id
				AND t.valid_to IS NULL AND t.role_key = 'owner') <> 1`,
			"pooled customers with a current team": `SELECT count(*) FROM customers c WHERE c.tenant_id = ? AND c.pool_id IS NOT NULL AND EXISTS
				(SELECT 1 FROM record_team t WHERE t.tenant_id = c.tenant_id AND t.record_type = 'customer' AND t.record_id = c.id AND t.valid_to IS NULL)`,
			"customers with two open next actions": `SELECT count(*) FROM (SELECT customer_id FROM next_actions WHERE tenant_id = ? AND status = 'open'
				GROUP BY customer_id HAVING count(*) > 1) x`,
			"follow-ups after now or before their customer": `SELECT count(*) FROM followups f JOIN customers c ON c.tenant_id = f.tenant_id AND c.id = f.customer_id
				WHERE f.tenant_id = ? AND f.occurred_at < c.created_at`,
			"last follow-up time out of step": `SELECT count(*) FROM customers c WHERE c.tenant_id = ? AND c.pool_id IS NULL AND c.last_followup_at <>
				(SELECT max(occurred_at) FROM followups f WHERE f.tenant_id = c.tenant_id AND f.customer_id = c.id)`,
			"opportunities without a stage history": `SELECT count(*) FROM opportunities o WHERE o.tenant_id = ? AND NOT EXISTS
				(SELECT 1 FROM opportunity_stages s WHERE s.tenant_id = o.tenant_id AND s.opportunity_id = o.id)`,
			"first signings out of step with the signings not void": `SELECT count(*) FROM customers c WHERE c.tenant_id = ? AND
				COALESCE(c.first_signed_at, 0) <> COALESCE((SELECT min(d.signed_at) FROM deals d WHERE d.tenant_id = c.tenant_id AND d.customer_id = c.id
				AND d.kind IN ('contract', 'order') AND d.signed_at IS NOT NULL AND d.status <> 'voided'), 0)`,
		}
		checks["won opportunities without a contract or order"] = `SELECT count(*) FROM opportunities o WHERE o.tenant_id = ? AND o.status = 'won'
			AND NOT EXISTS (SELECT 1 FROM deals d WHERE d.tenant_id = o.tenant_id AND d.opportunity_id = o.id AND d.signed_at IS NOT NULL)`
		checks["deals paid beyond their total"] = `SELECT count(*) FROM deals d WHERE d.tenant_id = ? AND d.total <
			(SELECT COALESCE(sum(amount), 0) FROM payments p WHERE p.tenant_id = d.tenant_id AND p.deal_id = d.id)`
		checks["reversals that do not cancel their payment"] = `SELECT count(*) FROM payments r JOIN payments p ON p.tenant_id = r.tenant_id
			AND p.id = r.reverses_id WHERE r.tenant_id = ? AND (r.amount <> -p.amount OR r.deal_id <> p.deal_id OR r.received_date < p.received_date)`
		checks["milestones done without their event"] = `SELECT count(*) FROM project_milestones m WHERE m.tenant_id = ? AND m.done_at IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM record_events e WHERE e.tenant_id = m.tenant_id AND e.record_type = 'project'
			AND e.record_id = m.project_id AND e.event = 'milestone_done' AND e.occurred_at = m.done_at)`
		checks["revenue shares of a current deal team not adding up to 100 %"] = `SELECT count(*) FROM (SELECT record_id FROM record_team
			WHERE tenant_id = ? AND record_type IN ('contract', 'order') AND role_key = 'owner' AND valid_to IS NULL GROUP BY record_id
			HAVING sum(share_bp) <> 10000) x`
		checks["signing departments other than the owner's department at the signing"] = `SELECT count(*) FROM deals d WHERE d.tenant_id = ?
			AND d.signed_at IS NOT NULL AND d.signing_department_id <> (SELECT h.department_id FROM user_org_history h WHERE h.tenant_id = d.tenant_id
			AND h.user_id = d.owner_id AND h.valid_from <= d.signed_at AND (h.valid_to IS NULL OR h.valid_to > d.signed_at))`
		checks["deal teams not in force at the signing"] = `SELECT count(*) FROM deals d WHERE d.tenant_id = ? AND d.signed_at IS NOT NULL AND NOT EXISTS
			(SELECT 1 FROM record_team t WHERE t.tenant_id = d.tenant_id AND t.record_type = d.kind AND t.record_id = d.id AND t.role_key = 'owner'
			AND t.valid_from <= d.signed_at AND (t.valid_to IS NULL OR t.valid_to > d.signed_at))`
		checks["void deals collecting money"] = `SELECT count(*) FROM deals d WHERE d.tenant_id = ? AND d.status = 'voided' AND EXISTS
			(SELECT 1 FROM payments p WHERE p.tenant_id = d.tenant_id AND p.deal_id = d.id)`
		checks["plans that do not add up to the total"] = `SELECT count(*) FROM deals d WHERE d.tenant_id = ? AND d.status <> 'voided' AND d.total <>
			(SELECT COALESCE(sum(amount), 0) FROM payment_plans p WHERE p.tenant_id = d.tenant_id AND p.deal_id = d.id)`
		checks["open opportunities of pooled customers"] = `SELECT count(*) FROM opportunities o JOIN customers c ON c.tenant_id = o.tenant_id
			AND c.id = o.customer_id WHERE o.tenant_id = ? AND o.status = 'open' AND c.pool_id IS NOT NULL`
		checks["opportunities with more than one open stage"] = `SELECT count(*) FROM (SELECT opportunity_id FROM opportunity_stages WHERE tenant_id = ?
			AND left_at IS NULL GROUP BY opportunity_id HAVING count(*) > 1) x`
		checks["resolved tickets without a first response"] = `SELECT count(*) FROM tickets WHERE tenant_id = ? AND resolved_at IS NOT NULL AND first_response_at IS NULL`
		for what, query := range checks {
			if n := count(query, tid); n != 0 {
				t.Errorf("%s: %d", what, n)
			}
		}
		// The history follows the pool's rules: their first run on the
		// server finds no customer to return (the pool's customers went on
		// the days their rule came due, not all today).
		if n := count("SELECT count(*) FROM customers WHERE tenant_id = ? AND pool_id IS NOT NULL", tid); n == 0 {
			t.Error("no customer in the pool")
		}
		run, err := svc.ApplyPoolRules(ctx, res.Tenant.ID)
		if err != nil || run.Returned != 0 {
			t.Errorf("the first pool run returned %d customers: %v", run.Returned, err)
		}
		if n := count("SELECT count(DISTINCT substr(CAST(at AS TEXT), 1, 5)) FROM pool_events WHERE tenant_id = ?", tid); n < 2 {
			t.Errorf("every pool return on one day")
		}
		if n := count("SELECT count(*) FROM payments WHERE tenant_id = ? AND reverses_id IS NOT NULL", tid); n == 0 {
			t.Error("no payment reversals in the history")
		}
		// The business-time edge cases the metric engine must get right.
		for what, query := range map[string]string{
			"voided contracts":                "SELECT count(*) FROM deals WHERE tenant_id = ? AND status = 'voided' AND voided_at IS NOT NULL AND void_reason <> ''",
			"co-owned deals (60/40)":          "SELECT count(*) FROM record_team WHERE tenant_id = ? AND record_type IN ('contract', 'order') AND role_key = 'owner' AND share_bp = 4000",
			"signings entered after the fact": "SELECT count(*) FROM record_events WHERE tenant_id = ? AND event = 'signed' AND recorded_at > occurred_at",
			"presales handed over after a signing": `SELECT count(*) FROM record_team WHERE tenant_id = ? AND record_type IN ('contract', 'order')
				AND role_key = 'presales' AND valid_to IS NOT NULL`,
			"department moves dated in the past": "SELECT count(*) FROM user_org_history WHERE tenant_id = ? AND valid_to IS NOT NULL",
		} {
			if n := count(query, tid); n == 0 {
				t.Errorf("no %s in the history", what)
			}
		}
		if n := count("SELECT count(*) FROM search_docs WHERE tenant_id = ? AND object_type = 'customer'", tid); n != 300 {
			t.Errorf("indexed customers %d", n)
		}
		// Months are not flat: seasonality shows in February.
		sctx, _ := svc.SystemContext(ctx, res.Tenant.ID)
		hits, err := svc.Search(sctx, "有限公司", []string{"customer"}, 5)
		if err != nil || len(hits) == 0 {
			t.Fatalf("search over demo data: %v %v", hits, err)
		}
		// A rebuild indexes every searchable record, the demo's contracts,
		// orders, projects and tickets included, and counts them all.
		n, err := svc.RebuildSearch(ctx, res.Tenant.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ table, typ, where string }{
			{"customers", "customer", ""}, {"contacts", "contact", ""}, {"opportunities", "opportunity", ""}, {"leads", "lead", ""},
			{"deals", "contract", " AND kind = 'contract'"}, {"deals", "order", " AND kind = 'order'"}, {"projects", "project", ""}, {"tickets", "ticket", ""},
		} {
			rows := count("SELECT count(*) FROM "+c.table+" WHERE tenant_id = ?"+c.where, tid)
			docs := count("SELECT count(*) FROM search_docs WHERE tenant_id = ? AND object_type = '"+c.typ+"'", tid)
			if rows == 0 || rows != docs {
				t.Errorf("%s: %d rows, %d indexed after the rebuild", c.typ, rows, docs)
			}
		}
		if n < 300 {
			t.Errorf("rebuild counted %d records", n)
		}
		// The same seed makes the same company.
		again, err := demo.Create(ctx, svc, demo.Options{Seed: 7, Custom: &sc})
		if cohort.ErrorCode(err) != cohort.ECONFLICT || again != nil {
			t.Fatalf("a second demo tenant: %v", err)
		}
	})
}

// TestDemoIsDeterministic: the same seed makes the same company, twice.
func TestDemoIsDeterministic(t *testing.T) {
	ctx := context.Background()
	sc := demo.Scale{Name: "T", People: 60, Customers: 50, Contacts: 2, Opportunities: 1, FollowUps: 3}
	names := func() []string {
		db := storetest.Open(t, store.SQLite)
		svc := service.New(db, cohort.SystemClock{}, slog.New(slog.NewTextHandler(io.Discard, nil)), service.Options{PasswordMemoryKiB: 64, PasswordTime: 1})
		if _, err := demo.Create(ctx, svc, demo.Options{Seed: 42, Custom: &sc}); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Read().QueryContext(ctx, "SELECT c.name || '|' || u.email FROM customers c JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.created_by ORDER BY c.name")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			out = append(out, s)
		}
		return out
	}
	a, b := names(), names()
	if len(a) != 50 || len(a) != len(b) {
		t.Fatalf("%d and %d customers", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("differ at %d: %s vs %s", i, a[i], b[i])
		}
	}
}

// TestDemoGoals: the demo's goal rules have this fiscal year's targets,
// each subject's months adding up to its year, last year's actual grown,
// and completion answers for them.
func TestDemoGoals(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := service.New(db, cohort.SystemClock{}, slog.New(slog.NewTextHandler(io.Discard, nil)), service.Options{PasswordMemoryKiB: 64, PasswordTime: 1})
		sc := demo.Scale{Name: "T", People: 70, Customers: 200, Contacts: 1, Opportunities: 1.5, FollowUps: 6, Goals: true}
		res, err := demo.Create(ctx, svc, demo.Options{Seed: 11, Custom: &sc})
		if err != nil {
			t.Fatal(err)
		}
		sctx, err := svc.SystemContext(ctx, res.Tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		rules, err := svc.GoalRules(sctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rules) != 4 {
			t.Fatalf("%d goal rules", len(rules))
		}
		// Adding them again (cohort demo goals) refuses and changes nothing.
		if err := demo.Goals(ctx, svc, res.Tenant.ID, nil); cohort.ErrorCode(err) != cohort.ECONFLICT {
			t.Fatalf("demo goals on a demo with goals: %v", err)
		}
		if again, _ := svc.GoalRules(sctx); len(again) != 4 {
			t.Fatalf("%d goal rules after a second demo goals", len(again))
		}
		fy := fmt.Sprintf("FY%d", time.Now().Year())
		for _, r := range rules {
			g, err := svc.GoalGrid(sctx, r.ID, time.Now().Year())
			if err != nil {
				t.Fatalf("%s: %v", r.Name, err)
			}
			set := 0
			for key, cells := range g.Cells {
				year := cells[fy]
				if year.Value == nil {
					continue
				}
				set++
				if year.PeriodsSum == nil || math.Abs(*year.PeriodsSum-*year.Value) > 1e-6 {
					t.Errorf("%s, %s: the year is %v, its %ss add up to %v", r.Name, key, *year.Value, r.Cycle, year.PeriodsSum)
				}
			}
			if set == 0 {
				t.Errorf("%s: no subject has a target", r.Name)
			}
			c, err := svc.GoalCompletion(sctx, r.ID, service.GoalCompletionQuery{Period: fy})
			if err != nil {
				t.Fatalf("%s: %v", r.Name, err)
			}
			withTarget := 0
			for _, row := range c.Rows {
				if row.Kind == r.SubjectType && row.Target != nil { // departments above people show their roll-up
					withTarget++
				}
			}
			if withTarget != set {
				t.Errorf("%s: %d subjects with a target in the grid, %d in completion", r.Name, set, withTarget)
			}
		}
	})
}
