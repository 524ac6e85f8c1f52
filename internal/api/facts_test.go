package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// factRows reads the facts of a record: kind, user, role, share, amount and
// department, in a stable order.
func factRows(t *testing.T, db *store.DB, tenantID cohort.ID, recordID cohort.ID, kind string) []string {
	t.Helper()
	rows, err := db.Read().QueryContext(context.Background(), `SELECT user_id, role, share_bp, amount, department_id FROM facts
		WHERE tenant_id = ? AND record_id = ? AND kind = ? ORDER BY role, share_bp DESC, user_id`, int64(tenantID), int64(recordID), kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var user, dept *int64
		var role string
		var share int
		var amount int64
		if err := rows.Scan(&user, &role, &share, &amount, &dept); err != nil {
			t.Fatal(err)
		}
		u, d := int64(0), int64(0)
		if user != nil {
			u = *user
		}
		if dept != nil {
			d = *dept
		}
		out = append(out, fmt.Sprintf("%d:%s:%d:%d:%d", u, role, share, amount, d))
	}
	return out
}

// TestFactsFollowTheirRecords checks the facts a few writes leave, one by
// one, against METRICS.md's credit rules.
func TestFactsFollowTheirRecords(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		now := time.Now().UTC().Truncate(time.Second)
		day := 24 * time.Hour
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "F-1", "name": "事实", "price": 1000000}, &prod)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "事实检验有限公司"}, &c)
		dept := int64(o.aliceU.DepartmentID)
		pre := int64(o.preU.DepartmentID)
		if got := factRows(t, db, o.tenant.ID, c.ID, "customer.created"); len(got) != 1 || got[0] != fmt.Sprintf("%d:owner:10000:0:%d", o.aliceU.ID, dept) {
			t.Fatalf("customer.created %v", got)
		}
		// A contract signed three days ago with presales; co-owned 60/40 from today.
		var k cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "事实合同",
			"lines": []map[string]any{{"product_id": prod.ID, "quantity": 2}}, "team": []map[string]any{{"user_id": o.preU.ID, "role": "presales"}}}, &k)
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "signed", "signed_at": rfc(now.Add(-3 * day))}, nil)
		o.mgr.must(200, "PUT", "/api/v1/contracts/"+id(k.ID)+"/team", map[string]any{"members": []map[string]any{
			{"user_id": o.aliceU.ID, "role": "owner", "share_bp": 6000}, {"user_id": o.bobU.ID, "role": "owner", "share_bp": 4000}}}, nil)
		want := []string{fmt.Sprintf("%d:owner:10000:2000000:%d", o.aliceU.ID, dept), fmt.Sprintf("%d:presales:10000:2000000:%d", o.preU.ID, pre)}
		if got := factRows(t, db, o.tenant.ID, k.ID, "contract.signed"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("the signing is credited to the team of its time: %v, want %v", got, want)
		}
		// A payment today is credited to today's co-owners; a reversal is negative.
		var pay cohort.Payment
		o.alice.must(201, "POST", "/api/v1/contracts/"+id(k.ID)+"/payments", map[string]any{"amount": 500000}, &pay)
		o.alice.must(201, "POST", "/api/v1/contracts/"+id(k.ID)+"/payments/"+id(pay.ID)+"/reverse", map[string]any{"reason": "退款"}, nil)
		got := factRows(t, db, o.tenant.ID, k.ID, "payment.received")
		want = []string{fmt.Sprintf("%d:owner:6000:500000:%d", o.aliceU.ID, dept), fmt.Sprintf("%d:owner:6000:-500000:%d", o.aliceU.ID, dept),
			fmt.Sprintf("%d:owner:4000:500000:%d", o.bobU.ID, dept), fmt.Sprintf("%d:owner:4000:-500000:%d", o.bobU.ID, dept)}
		if len(got) != 4 || fmt.Sprint(sortedCopy(got)) != fmt.Sprint(sortedCopy(want)) {
			t.Fatalf("payments %v, want %v", got, want)
		}
		// Void: no signing, no lines; the customer has no first signing.
		if n := len(factRows(t, db, o.tenant.ID, k.ID, "contract.line")); n != 2 {
			t.Fatalf("lines before the void: %d", n)
		}
		if n := len(factRows(t, db, o.tenant.ID, c.ID, "customer.first_signed")); n != 1 {
			t.Fatalf("first signed before the void: %d", n)
		}
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/void", map[string]any{"reason": "作废"}, nil)
		for _, kind := range []string{"contract.signed", "contract.line"} {
			if got := factRows(t, db, o.tenant.ID, k.ID, kind); len(got) != 0 {
				t.Fatalf("a void contract keeps %s facts: %v", kind, got)
			}
		}
		if got := factRows(t, db, o.tenant.ID, c.ID, "customer.first_signed"); len(got) != 0 {
			t.Fatalf("first signed after the void: %v", got)
		}
		// A follow-up five days ago, then Alice's move to presales dated four
		// days ago: the follow-up keeps her old department; one two days ago
		// has the new one.
		before, after := o.logAt(t, c.ID, now.Add(-5*day)), o.logAt(t, c.ID, now.Add(-2*day))
		o.admin.must(200, "PATCH", "/api/v1/users/"+id(o.aliceU.ID), map[string]any{"org_effective_at": rfc(now.Add(-100 * day))}, nil)
		o.admin.must(200, "PATCH", "/api/v1/users/"+id(o.aliceU.ID), map[string]any{"department_id": o.preU.DepartmentID, "org_effective_at": rfc(now.Add(-4 * day))}, nil)
		if a, b := factRows(t, db, o.tenant.ID, before, "followup.done"), factRows(t, db, o.tenant.ID, after, "followup.done"); len(a) != 1 || len(b) != 1 ||
			a[0] != fmt.Sprintf("%d:author:10000:0:%d", o.aliceU.ID, dept) || b[0] != fmt.Sprintf("%d:author:10000:0:%d", o.aliceU.ID, pre) {
			t.Fatalf("follow-ups around the move: %v %v", a, b)
		}
	})
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestFactsPropertyRandomHistories applies random histories of edits — team
// changes, stage moves back and forth, closes, signings dated in the past,
// payments and reversals, voids, follow-ups, merges, department moves — and
// requires the facts kept write by write to equal a rebuild (the env's check
// at the end), the rollups kept with them to equal the sums of the facts,
// and a rebuild to write as many facts as were kept.
func TestFactsPropertyRandomHistories(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		rng := rand.New(rand.NewPCG(11, uint64(len(db.Engine))))
		now := time.Now().UTC().Truncate(time.Second)
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "P-1", "name": "属性", "price": 300000}, &prod)
		people := []*client{o.alice, o.bob}
		users := []cohort.User{o.aliceU, o.bobU}
		var customers []cohort.Customer
		var opps []cohort.Opportunity
		var deals []cohort.Deal
		var pays []struct {
			deal, pay cohort.ID
		}
		var expenses []cohort.Expense
		stages := []string{"qualify", "quote", "negotiation"}
		at := func(daysBack int) string {
			return rfc(now.Add(-time.Duration(daysBack)*24*time.Hour - time.Duration(rng.IntN(3600))*time.Second))
		}
		for step := 0; step < 150; step++ {
			switch op := rng.IntN(12); {
			case op == 0 || len(customers) < 2:
				var c cohort.Customer
				o.admin.must(201, "POST", "/api/v1/customers", map[string]any{"name": fmt.Sprintf("随机客户%d有限公司", step),
					"owner_id": users[rng.IntN(2)].ID, "created_at": at(30 + rng.IntN(60))}, &c)
				customers = append(customers, c)
			case op == 1:
				var x cohort.Opportunity
				c := customers[rng.IntN(len(customers))]
				o.admin.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": fmt.Sprint("机会", step),
					"amount": 100000 * (1 + rng.IntN(9)), "created_at": at(20 + rng.IntN(5)),
					"expected_close_date": now.AddDate(0, 0, rng.IntN(90)-30).Format(time.DateOnly),
					"forecast_category":   cohort.ForecastCategories[rng.IntN(len(cohort.ForecastCategories))]}, &x)
				opps = append(opps, x)
			case op == 2 && len(opps) > 0:
				x := opps[rng.IntN(len(opps))]
				o.admin.do("POST", "/api/v1/opportunities/"+id(x.ID)+"/stage", map[string]any{"stage": stages[rng.IntN(len(stages))]}, nil)
			case op == 3 && len(opps) > 0:
				x := opps[rng.IntN(len(opps))]
				outcome := []string{"won", "lost", "invalid"}[rng.IntN(3)]
				o.admin.do("POST", "/api/v1/opportunities/"+id(x.ID)+"/close", map[string]any{"outcome": outcome, "loss_reason": "价格"}, nil)
			case op == 4:
				var d cohort.Deal
				c := customers[rng.IntN(len(customers))]
				kind := []string{"contracts", "orders"}[rng.IntN(2)]
				o.admin.must(201, "POST", "/api/v1/"+kind, map[string]any{"customer_id": c.ID, "name": fmt.Sprint("单据", step),
					"lines": []map[string]any{{"product_id": prod.ID, "quantity": 1 + rng.IntN(3)}},
					"team":  []map[string]any{{"user_id": o.preU.ID, "role": "presales"}}}, &d)
				if rng.IntN(3) > 0 {
					o.admin.must(200, "POST", "/api/v1/"+kind+"/"+id(d.ID)+"/status", map[string]any{"status": "signed", "signed_at": at(rng.IntN(10))}, &d)
				}
				deals = append(deals, d)
			case op == 5 && len(deals) > 0:
				d := deals[rng.IntN(len(deals))]
				members := []map[string]any{{"user_id": users[0].ID, "role": "owner", "share_bp": 5000}, {"user_id": users[1].ID, "role": "owner", "share_bp": 5000}}
				if rng.IntN(2) == 0 {
					members = []map[string]any{{"user_id": o.env.admin.ID, "role": "owner"}, {"user_id": users[rng.IntN(2)].ID, "role": "presales"}}
				}
				o.admin.do("PUT", "/api/v1/"+string(d.Kind)+"s/"+id(d.ID)+"/team", map[string]any{"members": members}, nil)
			case op == 6 && len(deals) > 0:
				d := deals[rng.IntN(len(deals))]
				var p cohort.Payment
				if res := o.admin.do("POST", "/api/v1/"+string(d.Kind)+"s/"+id(d.ID)+"/payments", map[string]any{"amount": 10000}, nil); res.status == 201 {
					if err := json.Unmarshal(res.body, &p); err != nil {
						t.Fatal(err)
					}
					pays = append(pays, struct{ deal, pay cohort.ID }{d.ID, p.ID})
				}
				if len(pays) > 0 && rng.IntN(2) == 0 {
					x := pays[rng.IntN(len(pays))]
					kind := "contracts"
					for _, dd := range deals {
						if dd.ID == x.deal {
							kind = string(dd.Kind) + "s"
						}
					}
					o.admin.do("POST", "/api/v1/"+kind+"/"+id(x.deal)+"/payments/"+id(x.pay)+"/reverse", map[string]any{"reason": "冲销"}, nil)
				}
			case op == 7 && len(deals) > 0:
				d := deals[rng.IntN(len(deals))]
				o.admin.do("POST", "/api/v1/"+string(d.Kind)+"s/"+id(d.ID)+"/void", map[string]any{"reason": "作废"}, nil)
			case op == 8:
				c := customers[rng.IntN(len(customers))]
				who := rng.IntN(2)
				people[who].do("POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "call", "duration_s": 60 * rng.IntN(10),
					"occurred_at": at(rng.IntN(6)), "next_action": map[string]any{"fuzzy": "tomorrow", "plan_type": "keep_in_touch"}}, nil)
			case op == 10:
				// An expense of an opportunity (about it), of a customer or of nobody.
				body := map[string]any{"type": "travel", "amount": 1000 * (1 + rng.IntN(50)), "incurred_on": now.AddDate(0, 0, -rng.IntN(30)).Format(time.DateOnly)}
				switch r := rng.IntN(3); {
				case r == 0 && len(opps) > 0:
					body["opportunity_id"] = opps[rng.IntN(len(opps))].ID
				case r == 1:
					body["customer_id"] = customers[rng.IntN(len(customers))].ID
				}
				var e cohort.Expense
				if res := o.admin.do("POST", "/api/v1/expenses", body, nil); res.status == 201 {
					res.json(t, &e)
					expenses = append(expenses, e)
				}
			case op == 11 && len(expenses) > 0:
				// Link an expense to another opportunity, or unlink it.
				i := rng.IntN(len(expenses))
				var cur cohort.Expense
				if res := o.admin.do("GET", "/api/v1/expenses/"+id(expenses[i].ID), nil, nil); res.status != 200 {
					continue
				} else {
					res.json(t, &cur)
				}
				body := `{"opportunity_id": null}`
				if len(opps) > 0 && rng.IntN(2) == 0 {
					// The customer follows the opportunity's (a PATCH of both
					// moves it to another customer's opportunity).
					x := opps[rng.IntN(len(opps))]
					body = fmt.Sprintf(`{"customer_id": "%s", "opportunity_id": "%s"}`, x.CustomerID, x.ID)
				}
				o.admin.do("PATCH", "/api/v1/expenses/"+id(cur.ID), body, map[string]string{"If-Match": fmt.Sprintf(`"v%d"`, cur.Version)})
			case op == 9 && len(customers) > 3:
				i, j := rng.IntN(len(customers)), rng.IntN(len(customers))
				if i != j {
					if res := o.admin.do("POST", "/api/v1/customers/"+id(customers[i].ID)+"/merge", map[string]any{"duplicate_id": customers[j].ID}, nil); res.status == 200 {
						customers = append(customers[:j], customers[j+1:]...)
					}
				}
			}
		}
		// A changed stage probability rewrites the open opportunities' facts.
		var procs cohort.Page[cohort.SalesProcess]
		o.admin.must(200, "GET", "/api/v1/sales-processes", nil, &procs)
		for _, sp := range procs.Items {
			if sp.ID == opps[0].ProcessID {
				sp.Stages[0].Probability = 15
				o.admin.must(200, "PATCH", "/api/v1/sales-processes/"+id(sp.ID), map[string]any{"name_zh": sp.NameZh, "name_en": sp.NameEn, "stages": sp.Stages, "active": true}, nil)
			}
		}
		// A department move dated in the past re-credits what came after it.
		o.admin.must(200, "PATCH", "/api/v1/users/"+id(o.bobU.ID), map[string]any{"org_effective_at": rfc(now.Add(-400 * 24 * time.Hour))}, nil)
		o.admin.must(200, "PATCH", "/api/v1/users/"+id(o.bobU.ID), map[string]any{"department_id": o.preU.DepartmentID, "org_effective_at": at(5)}, nil)
		stored, err := facts.Stored(context.Background(), db.Read(), o.tenant.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		kept := 0
		for _, n := range stored {
			kept += n
		}
		if kept < 100 {
			t.Fatalf("only %d facts kept (%s)", kept, facts.Summary(stored))
		}
		// The rollups kept write by write (upserts and deletions of their
		// rows) equal the sums of the facts kept.
		if d, err := facts.VerifyRollups(context.Background(), db.Read(), o.tenant.ID, 10); err != nil || len(d) > 0 {
			t.Fatalf("rollups kept differ from the facts: %v\n%s", err, strings.Join(d, "\n"))
		}
		var rollRows int
		if err := db.Read().QueryRowContext(context.Background(), "SELECT count(*) FROM facts_daily WHERE tenant_id = ?", int64(o.tenant.ID)).Scan(&rollRows); err != nil ||
			rollRows == 0 || rollRows > kept {
			t.Fatalf("%d daily rollup rows for %d facts: %v", rollRows, kept, err)
		}
		// The writes kept the ledger by writing only the rows that differ:
		// a rebuild over it finds nothing to change, and a rebuild from an
		// empty ledger writes exactly the rows they kept.
		n, changed, err := facts.Rebuild(context.Background(), db, o.tenant, nil)
		if err != nil || n != kept || changed != 0 {
			t.Fatalf("rebuild over the kept ledger: %d facts, %d rows changed, %d were kept: %v", n, changed, kept, err)
		}
		if err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.ExecContext(context.Background(), "DELETE FROM facts WHERE tenant_id = ?", int64(o.tenant.ID))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// From empty, with the indexes of facts dropped and built again
		// (a tenant this small would keep them).
		defer func(n int) { facts.MinSourcesToDropIndexes = n }(facts.MinSourcesToDropIndexes)
		facts.MinSourcesToDropIndexes = 1
		n, changed, err = facts.Rebuild(context.Background(), db, o.tenant, nil)
		if err != nil || n != kept || changed != kept {
			t.Fatalf("rebuild from nothing: %d facts, %d rows written, %d were kept: %v", n, changed, kept, err)
		}
		var dropped int
		if err := db.Read().QueryRowContext(context.Background(), "SELECT count(*) FROM facts_dropped_indexes").Scan(&dropped); err != nil || dropped != 0 {
			t.Fatalf("%d indexes of facts not built again: %v", dropped, err)
		}
		rebuilt, err := facts.Stored(context.Background(), db.Read(), o.tenant.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if d := facts.Diff(stored, rebuilt, 10); len(d) > 0 {
			t.Fatalf("kept facts differ from rebuilt ones:\n%s", strings.Join(d, "\n"))
		}
	})
}

// TestFactsRebuildCancelledBuildsIndexesAgain: a rebuild from empty that
// stops with an error (here its context is cancelled after the first
// batch, as when the request that started it goes away) builds the
// indexes it dropped again before it returns, and a second rebuild
// finishes the ledger.
func TestFactsRebuildCancelledBuildsIndexesAgain(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		for i := range 3 {
			o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": fmt.Sprintf("重建中断%d有限公司", i)}, nil)
		}
		kept, err := facts.Stored(context.Background(), db.Read(), o.tenant.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.ExecContext(context.Background(), "DELETE FROM facts")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer func(n int) { facts.MinSourcesToDropIndexes = n }(facts.MinSourcesToDropIndexes)
		facts.MinSourcesToDropIndexes = 1
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, _, err = facts.Rebuild(ctx, db, o.tenant, func(facts.Step, int, int) { cancel() })
		if err == nil {
			t.Fatal("a cancelled rebuild reported no error")
		}
		var dropped int
		if err := db.Read().QueryRowContext(context.Background(), "SELECT count(*) FROM facts_dropped_indexes").Scan(&dropped); err != nil || dropped != 0 {
			t.Fatalf("%d indexes of facts not built again: %v", dropped, err)
		}
		var have int
		q := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('facts_kind_day', 'facts_user_day')"
		if db.Engine == store.Postgres {
			q = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'facts' AND indexname IN ('facts_kind_day', 'facts_user_day')"
		}
		if err := db.Read().QueryRowContext(context.Background(), q).Scan(&have); err != nil || have != 2 {
			t.Fatalf("%d of the two indexes there: %v", have, err)
		}
		n, _, err := facts.Rebuild(context.Background(), db, o.tenant, nil)
		if err != nil || n != len(kept) {
			t.Fatalf("second rebuild: %d facts of %d: %v", n, len(kept), err)
		}
	})
}

// TestFactsRebuildReportsItsSteps: a rebuild tells its progress every
// step, the end phase included, as it begins (0 done) and as each part
// ends — each index built, the analysis, each rollup table summed — in
// order, up to its total; a rebuild in step has no indexes to build.
func TestFactsRebuildReportsItsSteps(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		for i := range 3 {
			o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": fmt.Sprintf("重建进度%d有限公司", i)}, nil)
		}
		if err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.ExecContext(context.Background(), "DELETE FROM facts")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer func(n int) { facts.MinSourcesToDropIndexes = n }(facts.MinSourcesToDropIndexes)
		facts.MinSourcesToDropIndexes = 1
		// steps runs a rebuild and returns what it told: for each step in
		// turn, its done counts.
		steps := func() []string {
			t.Helper()
			var got []string
			var last facts.Step
			_, _, err := facts.Rebuild(context.Background(), db, o.tenant, func(s facts.Step, done, total int) {
				if s != last {
					got, last = append(got, fmt.Sprintf("%s of %d:", s, total)), s
				}
				got[len(got)-1] += fmt.Sprintf(" %d", done)
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		// The record count depends on what newSalesOrg writes: the first
		// step is checked for its ends only.
		project := func(got []string) []string {
			t.Helper()
			if len(got) == 0 || !strings.HasPrefix(got[0], string(facts.StepProject)+" of ") {
				t.Fatalf("first step %q", got)
			}
			var total int
			fmt.Sscanf(strings.TrimPrefix(got[0], string(facts.StepProject)+" of "), "%d", &total)
			if total < 3 || !strings.HasPrefix(got[0], fmt.Sprintf("%s of %d: 0 ", facts.StepProject, total)) ||
				!strings.HasSuffix(got[0], fmt.Sprintf(" %d", total)) {
				t.Fatalf("projection's progress %q", got[0])
			}
			return got[1:]
		}
		orphans := fmt.Sprintf("%s of %d:", facts.StepOrphans, len(facts.Sources))
		for i := range len(facts.Sources) + 1 {
			orphans += fmt.Sprintf(" %d", i)
		}
		rollups := fmt.Sprintf("%s of 4: 0 1 2 3 4", facts.StepRollups)
		want := []string{orphans, string(facts.StepIndexes) + " of 2: 0 1 2", string(facts.StepAnalyze) + " of 1: 0 1", rollups}
		if got := project(steps()); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("from empty, the end phase told\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		want = []string{orphans, rollups}
		if got := project(steps()); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("in step, the end phase told\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// A verify tells its steps too: the comparison as the projection,
		// then the orphans, the rollups and the record counts.
		var got []string
		var last facts.Step
		diffs, err := facts.Verify(context.Background(), db, o.tenant, 10, func(s facts.Step, done, total int) {
			if s != last {
				got, last = append(got, fmt.Sprintf("%s of %d:", s, total)), s
			}
			got[len(got)-1] += fmt.Sprintf(" %d", done)
		})
		if err != nil || len(diffs) > 0 {
			t.Fatalf("verify after the rebuild: %v %v", diffs, err)
		}
		if len(got) == 0 || !strings.HasPrefix(got[0], string(facts.StepCompare)+" of ") || !strings.Contains(got[0], ": 0 ") {
			t.Fatalf("verify's first step %q", got)
		}
		found := fmt.Sprintf("%s of %d:", facts.StepFindOrphans, len(facts.Sources))
		for i := range len(facts.Sources) + 1 {
			found += fmt.Sprintf(" %d", i)
		}
		want = []string{found, string(facts.StepCheckRollups) + " of 1: 0 1", string(facts.StepCheckCounting) + " of 1: 0 1"}
		if strings.Join(got[1:], "\n") != strings.Join(want, "\n") {
			t.Fatalf("verify told\n%s\nwant\n%s", strings.Join(got[1:], "\n"), strings.Join(want, "\n"))
		}
	})
}

// TestFactsStageMovesBackAndForth moves opportunities back and forth many
// times — now, backdated, at the very time of the previous move, across a
// team change, an edit of the amount and expected close, a changed stage
// probability — and requires the facts each move keeps (only those of the
// entries it closes and opens, its creation and its current state) to equal
// a rebuild after every move.
func TestFactsStageMovesBackAndForth(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		stages := []string{"qualify", "quote", "negotiation"}
		var c cohort.Customer
		o.admin.must(201, "POST", "/api/v1/customers", map[string]any{"name": "来回推进有限公司", "owner_id": o.aliceU.ID}, &c)
		mk := func(name string, close string) cohort.Opportunity {
			var x cohort.Opportunity
			body := map[string]any{"customer_id": c.ID, "name": name, "amount": 250000, "created_at": rfc(now.Add(-40 * 24 * time.Hour))}
			if close != "" {
				body["expected_close_date"], body["forecast_category"] = close, "commit"
			}
			o.admin.must(201, "POST", "/api/v1/opportunities", body, &x)
			return x
		}
		opps := []cohort.Opportunity{mk("来回一", now.AddDate(0, 0, 10).Format(time.DateOnly)), mk("来回二", "")}
		// Negotiation needs a quote sent (and an expected close, which the
		// second opportunity, kept to the first two stages, has not).
		o.admin.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "quote_sent", "content": "报价",
			"record_type": "opportunity", "record_id": opps[0].ID,
			"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "keep_in_touch"}}, nil)
		verify := func(step int) {
			t.Helper()
			d, err := facts.Verify(ctx, db, o.tenant, 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(d) > 0 {
				t.Fatalf("step %d: kept facts differ from a rebuild:\n%s", step, strings.Join(d, "\n"))
			}
		}
		// Backdated moves walk from 30 days ago towards now.
		at := now.Add(-30 * 24 * time.Hour)
		cur := []int{0, 0}
		for step := range 60 {
			k := step % 2
			x := opps[k]
			if k == 0 { // forward one or two stages, or back
				cur[k] = (cur[k] + 1 + step/2%2) % len(stages)
			} else {
				cur[k] = 1 - cur[k]
			}
			body := map[string]any{"stage": stages[cur[k]]}
			switch step % 5 {
			case 1: // dated in the past
				at = at.Add(time.Duration(3+step) * time.Hour)
				body["entered_at"] = rfc(at)
			case 3: // at the very time of the previous dated move
				body["entered_at"] = rfc(at)
			}
			if res := o.admin.do("POST", "/api/v1/opportunities/"+id(x.ID)+"/stage", body, nil); res.status != 200 {
				// A move dated before the opportunity's last entry (its
				// last move was now) is refused and changes nothing.
				if res.status != 422 {
					t.Fatalf("step %d: move: %d %s", step, res.status, res.body)
				}
				body["entered_at"] = nil
				o.admin.must(200, "POST", "/api/v1/opportunities/"+id(x.ID)+"/stage", body, nil)
			}
			switch step {
			case 10: // the team changes: later entries are credited to the new one
				o.admin.must(200, "PUT", "/api/v1/opportunities/"+id(x.ID)+"/team", map[string]any{"members": []map[string]any{
					{"user_id": o.aliceU.ID, "role": "owner", "share_bp": 6000}, {"user_id": o.bobU.ID, "role": "owner", "share_bp": 4000}}}, nil)
			case 20: // the amount and expected close change every fact
				o.admin.must(200, "PATCH", "/api/v1/opportunities/"+id(x.ID), map[string]any{"amount": 330000,
					"expected_close_date": now.AddDate(0, 0, -3).Format(time.DateOnly)}, nil)
			case 30: // a stage's probability changes the current state
				var procs cohort.Page[cohort.SalesProcess]
				o.admin.must(200, "GET", "/api/v1/sales-processes", nil, &procs)
				for _, sp := range procs.Items {
					if sp.ID == x.ProcessID {
						sp.Stages[1].Probability = 35
						o.admin.must(200, "PATCH", "/api/v1/sales-processes/"+id(sp.ID), map[string]any{"name_zh": sp.NameZh, "name_en": sp.NameEn,
							"stages": sp.Stages, "active": true}, nil)
					}
				}
			}
			verify(step)
		}
		var entries cohort.Page[cohort.StageEntry]
		o.admin.must(200, "GET", "/api/v1/opportunities/"+id(opps[0].ID)+"/stages", nil, &entries)
		if len(entries.Items) < 30 {
			t.Fatalf("%d stage entries", len(entries.Items))
		}
		var entered int
		if err := db.Read().QueryRowContext(ctx, "SELECT count(*) FROM facts WHERE tenant_id = ? AND kind = ? AND source_id = ?",
			int64(o.tenant.ID), facts.KindStageEntered, int64(opps[0].ID)).Scan(&entered); err != nil || entered < len(entries.Items) {
			t.Fatalf("%d stage_entered facts for %d entries: %v", entered, len(entries.Items), err)
		}
		// Closing projects the whole record again.
		o.admin.must(200, "POST", "/api/v1/opportunities/"+id(opps[0].ID)+"/close", map[string]any{"outcome": "lost", "loss_reason": "价格"}, nil)
		verify(60)
		// An opportunity with no stage history (as an old import may leave
		// one): its first move names its first stage in its creation's fact.
		bare := mk("无阶段记录", now.AddDate(0, 0, 5).Format(time.DateOnly))
		if err := db.WriteTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, "DELETE FROM opportunity_stages WHERE tenant_id = ? AND opportunity_id = ?", int64(o.tenant.ID), int64(bare.ID))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := facts.Rebuild(ctx, db, o.tenant, nil); err != nil {
			t.Fatal(err)
		}
		o.admin.must(200, "POST", "/api/v1/opportunities/"+id(bare.ID)+"/stage", map[string]any{"stage": "quote"}, nil)
		verify(61)
		o.admin.must(200, "POST", "/api/v1/opportunities/"+id(bare.ID)+"/stage", map[string]any{"stage": "qualify"}, nil)
		verify(62)
		n, changed, err := facts.Rebuild(ctx, db, o.tenant, nil)
		if err != nil || n == 0 || changed != 0 {
			t.Fatalf("rebuild after the moves: %d facts, %d rows changed: %v", n, changed, err)
		}
	})
}

// TestVerifyCountRollups: `cohort facts verify` reports a count rollup
// (facts_stage_monthly, facts_later_monthly) out of step with the facts:
// a count that differs and a row with no facts behind it.
func TestVerifyCountRollups(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		ctx := context.Background()
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "核对汇总有限公司"}, &c)
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "核对机会", "amount": 100000}, nil)
		if d, err := facts.Verify(ctx, db, o.tenant, 10, nil); err != nil || len(d) > 0 {
			t.Fatalf("verify before: %v %v", d, err)
		}
		if err := db.WriteTx(ctx, func(tx *store.Tx) error {
			if res, err := tx.ExecContext(ctx, "UPDATE facts_stage_monthly SET rec = rec + 1 WHERE tenant_id = ?", int64(o.tenant.ID)); err != nil {
				return err
			} else if n, _ := res.RowsAffected(); n == 0 {
				t.Fatal("the opportunity's stage entry has no rollup row")
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO facts_later_monthly (tenant_id, kind, role, day, later, rec) VALUES (?, 'ticket.opened', 'owner', 0, 0, 1)",
				int64(o.tenant.ID))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		d, err := facts.Verify(ctx, db, o.tenant, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(d, "\n")
		if !strings.Contains(all, "facts_stage_monthly") || !strings.Contains(all, "the facts count") ||
			!strings.Contains(all, "facts_later_monthly") || !strings.Contains(all, "no facts") {
			t.Fatalf("verify of tampered count rollups reported:\n%s", all)
		}
		// A rebuild sums them again.
		if _, _, err := facts.Rebuild(ctx, db, o.tenant, nil); err != nil {
			t.Fatal(err)
		}
		if d, err := facts.Verify(ctx, db, o.tenant, 10, nil); err != nil || len(d) > 0 {
			t.Fatalf("verify after a rebuild: %v %v", d, err)
		}
	})
}
