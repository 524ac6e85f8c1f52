package metrics_test

import (
	"context"
	"fmt"
	"testing"

	factledger "github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// The department dimension by subtrees answers, for every department, what
// the same query filtered to that department (with its sub-departments)
// answers as its total: additive sums, distinct counts and rates, by month
// too, historic and current, from the rollups and from the facts. A fact
// of a parent department itself counts under the parent.
func TestDepartmentSubtrees(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		ctx := context.Background()
		// Ann's visit and a contract booked on Sales itself.
		if err := db.WriteTx(ctx, func(tx *store.Tx) error {
			for i, f := range []fact{
				{kind: "followup.done", date: "2026-02-11", src: "followup", rec: 901, cust: c1, user: ann, role: "owner", share: 10000, dept: sales, attr: "visit"},
				{kind: "contract.signed", date: "2026-03-11", src: "contract", rec: 902, cust: c1, user: ann, role: "owner", share: 10000, dept: sales, amount: 70000},
			} {
				if err := insertFact(ctx, tx, int64(9000+i), f); err != nil {
					return err
				}
			}
			return factledger.RebuildRollups(ctx, tx, tenant)
		}); err != nil {
			t.Fatal(err)
		}
		all := []string{id(sales), id(east), id(west), id(svc)}
		for _, ms := range [][]string{
			{"signed_amount", "visits", "followups"},
			{"new_opportunities", "new_customers", "first_order_amount"},
			{"win_rate", "conversion_rate", "avg_signed_amount"},
		} {
			for _, dim := range []string{"department", "department_current"} {
				for _, tdim := range []string{"", "month"} {
					for _, raw := range []bool{false, true} {
						e := env()
						e.RawFacts = raw
						q := q1
						q.Metrics = ms
						q.Dimensions = []string{dim}
						if tdim != "" {
							q.Dimensions = append(q.Dimensions, tdim)
						}
						q.Subtrees, q.RowsOnly = true, true
						res, err := metrics.Run(ctx, db.Read(), e, q)
						if err != nil {
							t.Fatalf("%v by %v: %v", ms, q.Dimensions, err)
						}
						got := map[string]map[string]*float64{}
						for _, r := range res.Rows {
							got[fmt.Sprint(r.Keys)] = r.Values
						}
						for _, d := range all {
							want := q1
							want.Metrics = ms
							want.Filters = []metrics.Filter{{Dimension: dim, Values: []string{d}}}
							if tdim != "" {
								want.Dimensions = []string{tdim}
							}
							w, err := metrics.Run(ctx, db.Read(), e, want)
							if err != nil {
								t.Fatal(err)
							}
							rows := w.Rows
							if tdim == "" {
								rows = []metrics.Row{w.Total}
								if _, ok := got[fmt.Sprint([]string{d})]; !ok && len(res.Rows) > 0 {
									// No fact under d: the engine has no row,
									// the filtered total is all zeros/nulls.
									for _, m := range ms {
										if v := w.Total.Values[m]; v != nil && *v != 0 {
											t.Errorf("%s %s: no subtree row, filtered total %v", d, m, *v)
										}
									}
									continue
								}
							}
							for _, r := range rows {
								key := fmt.Sprint(append([]string{d}, r.Keys...))
								for _, m := range ms {
									a, b := got[key][m], r.Values[m]
									if (a == nil) != (b == nil) || a != nil && *a != *b {
										t.Errorf("%s %v raw=%v %s %s: subtrees %v, filtered %v", dim, tdim, raw, key, m, deref(a), deref(b))
									}
								}
							}
						}
					}
				}
			}
		}
		// Ann's contract on Sales itself counts under Sales only.
		q := q1
		q.Metrics = []string{"signed_amount"}
		q.Dimensions = []string{"department"}
		q.Subtrees, q.RowsOnly = true, true
		res := run(t, db, env(), q)
		check(t, "Sales signed", row(t, res, id(sales)).Values["signed_amount"], 100000+300000+70000)
		check(t, "East signed", row(t, res, id(east)).Values["signed_amount"], 100000+300000*0.6)
		if len(res.Total.Values) != 0 || res.Total.Keys == nil {
			t.Errorf("rows only: total %+v", res.Total)
		}
		// Subtrees need one department dimension and no root.
		for _, bad := range []metrics.Query{
			{Metrics: []string{"visits"}, From: q1.From, To: q1.To, Dimensions: []string{"person"}, Subtrees: true},
			{Metrics: []string{"visits"}, From: q1.From, To: q1.To, Dimensions: []string{"department"}, DepartmentRootID: id(sales), Subtrees: true},
		} {
			if _, err := metrics.Run(ctx, db.Read(), env(), bad); err == nil {
				t.Errorf("%+v: no error", bad)
			}
		}
	})
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
