package metrics_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	factledger "github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestRollupsAnswerAsTheFacts loads random facts through the fact ledger
// (which keeps the rollups as it writes, deleting some of them again), then
// asks random queries — metrics, dimensions, filters, periods whole months
// or not, comparisons, scopes — and requires the same answer with the
// rollups as from the facts alone, on both engines.
func TestRollupsAnswerAsTheFacts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		ctx := context.Background()
		r := rand.New(rand.NewPCG(7, uint64(len(db.Engine))))
		kinds := []string{"followup.done", "contract.signed", "order.signed", "payment.received", "opportunity.stage_entered", "opportunity.created",
			"opportunity.won", "opportunity.lost", "customer.created", "customer.first_signed", "invoice.issued", "ticket.resolved", "ticket.opened",
			"next_action.due", "contract.line", "order.line", "quote.sent", "lead.created"}
		users := []int64{ann, bob, cat, dan, 0}
		depts := []int64{east, west, svc, sales, 0}
		roles := []string{"owner", "owner", "presales", "author", ""}
		attrs := []string{"call", "visit", "sms", "complaint", "", ""}
		stages := []string{"qualify", "proposal", "won", ""}
		first := day("2025-01-01")
		var made []factledger.Fact
		rec := 100000
		for batch := 0; batch < 6; batch++ {
			var fs []factledger.Fact
			for i := 0; i < 400; i++ {
				k := kinds[r.IntN(len(kinds))]
				d := first + int64(r.IntN(600))
				f := factledger.Fact{Kind: k, Day: int(d), OccurredAt: time.UnixMilli(d*86400000 + int64(r.IntN(86400000))).UTC(),
					SourceType: "customer", SourceID: cohort.ID(1 + r.IntN(300)), RecordType: "customer", RecordID: cohort.ID(1 + r.IntN(300)),
					CustomerID: cohort.ID([]int64{c1, c2, c3, 0}[r.IntN(4)]), UserID: cohort.ID(users[r.IntN(len(users))]), Role: roles[r.IntN(len(roles))],
					ShareBP: []int{10000, 10000, 6000, 4000, 5000}[r.IntN(5)], DepartmentID: cohort.ID(depts[r.IntN(len(depts))]),
					Amount: int64(r.IntN(1000000)) - 100000, Currency: "CNY", DurationS: int64(r.IntN(5000)), N: r.IntN(3),
					ProductID: cohort.ID([]int64{601, 602, 0}[r.IntN(3)]), ProcessID: cohort.ID([]int64{0, 0, 77}[r.IntN(3)]),
					Stage: stages[r.IntN(len(stages))], Attr: attrs[r.IntN(len(attrs))]}
				if r.IntN(3) == 0 {
					ref := f.OccurredAt.Add(-time.Duration(r.IntN(90*24)) * time.Hour)
					f.RefAt = &ref
				}
				if k == "opportunity.stage_entered" {
					// An entry of one of 40 opportunities (so that they
					// enter stages again, in one month and across months),
					// credited to its team as the projection does: n is 1
					// once the stay has ended, its duration 0 until then.
					opp := cohort.ID(900 + r.IntN(40))
					f.SourceType, f.SourceID, f.RecordType, f.RecordID = "opportunity", opp, "opportunity", opp
					f.Attr, f.ProductID, f.ProcessID = "", 0, cohort.ID([]int64{0, 77}[opp%2])
					f.N, f.DurationS = 0, 0
					if f.RefAt != nil {
						ref := f.OccurredAt.Add(time.Duration(r.IntN(60*24)) * time.Hour)
						f.RefAt, f.N, f.DurationS = &ref, 1, int64(ref.Sub(f.OccurredAt)/time.Second)
					}
					if f.Role == "" {
						f.UserID, f.DepartmentID = 0, 0
						fs = append(fs, f)
						continue
					}
					deptOf := map[cohort.ID]cohort.ID{}
					for n := 1 + r.IntN(3); n > 0; n-- {
						g := f
						g.UserID, g.Role, g.ShareBP = cohort.ID(users[r.IntN(3)]), roles[r.IntN(4)], []int{10000, 6000, 4000, 5000}[r.IntN(4)]
						if _, ok := deptOf[g.UserID]; !ok {
							deptOf[g.UserID] = cohort.ID(depts[r.IntN(len(depts))])
						}
						g.DepartmentID = deptOf[g.UserID]
						fs = append(fs, g)
					}
					continue
				}
				if !slices.Contains(factledger.RecordKinds, k) {
					fs = append(fs, f)
					continue
				}
				// A record of these kinds has one event: its facts differ
				// in the credit only (people in roles, a person sometimes
				// twice in one role as an overlapping team history credits
				// them, or nobody).
				rec++
				f.RecordID = cohort.ID(rec)
				if f.Role == "" {
					f.UserID, f.DepartmentID = 0, 0
					fs = append(fs, f)
					continue
				}
				// A person's department is the one they belonged to then.
				deptOf := map[cohort.ID]cohort.ID{}
				for n := 1 + r.IntN(3); n > 0; n-- {
					g := f
					g.UserID, g.Role, g.ShareBP = cohort.ID(users[r.IntN(3)]), roles[r.IntN(4)], []int{10000, 6000, 4000, 5000}[r.IntN(4)]
					if _, ok := deptOf[g.UserID]; !ok {
						deptOf[g.UserID] = cohort.ID(depts[r.IntN(len(depts))])
					}
					g.DepartmentID = deptOf[g.UserID]
					fs = append(fs, g)
				}
			}
			if err := db.WriteTx(ctx, func(tx *store.Tx) error { return factledger.Insert(ctx, tx, tenant, fs) }); err != nil {
				t.Fatal(err)
			}
			made = append(made, fs...)
		}
		// Some source records lose their facts, as a delete would.
		if err := db.WriteTx(ctx, func(tx *store.Tx) error {
			return factledger.DeleteSources(ctx, tx, tenant, "customer", []cohort.ID{3, 5, 8, 13, 21, 34, 55, 89, 144, 233})
		}); err != nil {
			t.Fatal(err)
		}
		// The load's own facts were summed in SQL; these were added and
		// removed write by write.
		if d, err := factledger.VerifyRollups(ctx, db.Read(), tenant, 5); err != nil || len(d) > 0 {
			t.Fatalf("rollups differ from the facts: %v %v", err, d)
		}
		var names []string
		for _, m := range metrics.Builtins() {
			names = append(names, m.Name)
		}
		dims := []string{"month", "quarter", "year", "fiscal_year", "week", "day", "person", "department", "department_current", "role", "product",
			"product_category", "followup_type", "stage", "process", "kind", "segment"}
		reads, summed := metrics.RollupReads.Load(), metrics.SummedTotals.Load()
		asked := 0
		for i := 0; i < 150; i++ {
			q := metrics.Query{}
			for n := 1 + r.IntN(4); len(q.Metrics) < n; {
				if m := names[r.IntN(len(names))]; !slices.Contains(q.Metrics, m) {
					q.Metrics = append(q.Metrics, m)
				}
			}
			timeDim := false
			for n := r.IntN(3); len(q.Dimensions) < n; {
				d := dims[r.IntN(len(dims))]
				isTime := slices.Index(dims, d) < 6
				if slices.Contains(q.Dimensions, d) || isTime && timeDim {
					continue
				}
				timeDim = timeDim || isTime
				q.Dimensions = append(q.Dimensions, d)
			}
			from := time.Date(2025, time.Month(1+r.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
			to := from.AddDate(0, 1+r.IntN(12), 0)
			if r.IntN(3) == 0 {
				from, to = from.AddDate(0, 0, r.IntN(20)), to.AddDate(0, 0, r.IntN(20))
			}
			q.From, q.To = from.Format("2006-01-02"), to.Format("2006-01-02")
			switch r.IntN(9) {
			case 0:
				q.Filters = []metrics.Filter{{Dimension: "followup_type", Values: []string{"call", ""}}}
			case 1:
				q.Filters = []metrics.Filter{{Dimension: "department", Values: []string{id(sales)}}}
			case 2:
				q.Filters = []metrics.Filter{{Dimension: "month", Values: []string{"2025-03", "2025-07"}}}
			case 3:
				q.Filters = []metrics.Filter{{Dimension: "product", Values: []string{"601", ""}}}
			case 4:
				q.Filters = []metrics.Filter{{Dimension: "person", Values: []string{id(ann)}}}
			case 5:
				q.Filters = []metrics.Filter{{Dimension: "person", Values: []string{id(ann), id(bob)}}}
			case 6:
				q.Filters = []metrics.Filter{{Dimension: "person", Values: []string{""}}, {Dimension: "stage", Values: []string{"qualify", ""}}}
			}
			if r.IntN(3) == 0 {
				q.Compare = []string{"previous", "year_ago"}[:1+r.IntN(2)]
			}
			if r.IntN(5) == 0 {
				q.DepartmentRootID = id(sales)
			}
			if r.IntN(4) == 0 {
				q.Role = "presales"
			}
			e := env()
			switch r.IntN(4) {
			case 0:
				e.Scope = metrics.Scope(cohort.Access{TenantID: tenant, Scope: cohort.ScopeOwnAndSubordinates, UserID: ann})
			case 1:
				e.Scope = metrics.Scope(cohort.Access{TenantID: tenant, Scope: cohort.ScopeDepartmentAndChildren, UserID: ann, DepartmentID: sales, DepartmentPath: "/10/"})
			}
			res, err := metrics.Run(ctx, db.Read(), e, q)
			// The totals summed from the grouped rows are the totals read.
			e.OwnTotals = true
			own, ownErr := metrics.Run(ctx, db.Read(), e, q)
			e.OwnTotals = false
			e.RawFacts = true
			raw, rawErr := metrics.Run(ctx, db.Read(), e, q)
			if fmt.Sprint(err) != fmt.Sprint(rawErr) || fmt.Sprint(err) != fmt.Sprint(ownErr) {
				t.Fatalf("%+v: %v with rollups, %v from the facts, %v with totals read", q, err, rawErr, ownErr)
			}
			if err != nil {
				continue
			}
			asked++
			sameAnswer(t, fmt.Sprintf("%+v", q), res, raw)
			sameAnswer(t, fmt.Sprintf("%+v (totals read)", q), res, own)
		}
		if used := metrics.RollupReads.Load() - reads; asked < 100 || used < 100 {
			t.Fatalf("%d queries answered, %d statements read rollups", asked, used)
		}
		if n := metrics.SummedTotals.Load() - summed; n < 50 {
			t.Fatalf("%d totals summed from grouped rows", n)
		}
	})
}

// TestRecordCountsFromRollups: counts of records (a co-owned contract is
// one in a total and one per owner in per-person rows) are read from the
// rollups where that is exact — totals and time buckets (rec), per person
// or for one person (cnt) — and from the facts where a department, a
// scope or several people keep some of a record's facts and not others;
// the answers are the facts' either way.
func TestRecordCountsFromRollups(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		ms := []string{"signed_count", "contracts_signed", "new_customers", "new_opportunities", "won_opportunities", "closed_opportunities"}
		for _, c := range []struct {
			q                metrics.Query
			scope            bool
			grouped, totaled bool // the statements read a rollup
		}{
			{metrics.Query{}, false, false, true},
			{metrics.Query{Dimensions: []string{"month"}, Compare: []string{"previous"}}, false, true, true},
			{metrics.Query{Dimensions: []string{"person"}}, false, true, true},
			{metrics.Query{Dimensions: []string{"person", "department"}}, false, true, true},
			{metrics.Query{Role: "presales", Dimensions: []string{"person"}}, false, true, true},
			{metrics.Query{Filters: []metrics.Filter{{Dimension: "person", Values: []string{id(ann)}}}}, false, false, true},
			{metrics.Query{Dimensions: []string{"process", "stage"}}, false, true, true},
			{metrics.Query{Filters: []metrics.Filter{{Dimension: "person", Values: []string{id(ann), id(bob)}}}}, false, false, false},
			{metrics.Query{Dimensions: []string{"department"}}, false, false, true},
			{metrics.Query{Dimensions: []string{"department_current", "month"}}, false, false, true},
			{metrics.Query{Dimensions: []string{"person"}}, true, true, false},
			{metrics.Query{Dimensions: []string{"department"}, DepartmentRootID: id(sales)}, false, false, false},
			{metrics.Query{Dimensions: []string{"department_current", "person"}, DepartmentRootID: id(sales)}, false, true, false},
		} {
			q := c.q
			q.Metrics, q.From, q.To = ms, "2025-10-01", "2026-07-01"
			e := env()
			if c.scope {
				e.Scope = metrics.Scope(cohort.Access{TenantID: tenant, Scope: cohort.ScopeOwnAndSubordinates, UserID: ann})
			}
			sqls, _, err := metrics.Statements(context.Background(), db.Read(), e, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sqls {
				grouped := strings.Contains(s, "GROUP BY")
				want := c.totaled
				if grouped {
					want = c.grouped
				}
				if got := strings.Contains(s, "FROM (SELECT"); got != want {
					t.Errorf("%+v (scope %v), grouped %v: reads a rollup %v, want %v: %s", c.q, c.scope, grouped, got, want, s)
				}
			}
			res, err := metrics.Run(context.Background(), db.Read(), e, q)
			if err != nil {
				t.Fatal(err)
			}
			e.RawFacts = true
			raw, err := metrics.Run(context.Background(), db.Read(), e, q)
			if err != nil {
				t.Fatal(err)
			}
			sameAnswer(t, fmt.Sprintf("%+v", q), res, raw)
		}
		// A co-owned order is one order in the total and one for each
		// owner.
		q := metrics.Query{Metrics: []string{"signed_count"}, From: "2026-01-01", To: "2026-04-01"}
		total := run(t, db, env(), q).Total.Values["signed_count"]
		q.Dimensions = []string{"person"}
		res := run(t, db, env(), q)
		sum := 0.0
		for _, r := range res.Rows {
			sum += *r.Values["signed_count"]
		}
		if total == nil || *total != 2 || sum != 3 {
			t.Errorf("signed: total %v, per person summed %v; want 2 and 3 (the co-owned order once per owner)", total, sum)
		}
	})
}
