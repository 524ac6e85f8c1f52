package metrics_test

import (
	"testing"

	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// The average order values (the performance formula's order value) are the
// credited amount over the credited shares: a co-owner with 60 % of an
// order counts 0.6 of it, so each person's mean is a mean of whole deals,
// and the company's is not a mean of the people's means.
func TestAverageOrderValues(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		q := q1
		q.Metrics = []string{"avg_signed_amount", "avg_contract_amount", "avg_order_amount", "avg_won_amount"}
		res := run(t, db, env(), q)
		// K1 100000 and R1 300000; O1 won at 500000.
		check(t, "total avg_signed_amount", res.Total.Values["avg_signed_amount"], 200000)
		check(t, "total avg_contract_amount", res.Total.Values["avg_contract_amount"], 100000)
		check(t, "total avg_order_amount", res.Total.Values["avg_order_amount"], 300000)
		check(t, "total avg_won_amount", res.Total.Values["avg_won_amount"], 500000)
		q.Dimensions = []string{"person"}
		res = run(t, db, env(), q)
		// Ann: K1 whole and 60 % of R1 = 280000 over 1.6 deals.
		a, b := row(t, res, id(ann)), row(t, res, id(bob))
		check(t, "Ann avg_signed_amount", a.Values["avg_signed_amount"], 175000)
		check(t, "Ann avg_order_amount", a.Values["avg_order_amount"], 300000)
		check(t, "Ann avg_won_amount", a.Values["avg_won_amount"], 500000)
		check(t, "Bob avg_signed_amount", b.Values["avg_signed_amount"], 300000)
		check(t, "Bob avg_contract_amount", b.Values["avg_contract_amount"], nul)
		check(t, "Bob avg_won_amount", b.Values["avg_won_amount"], nul)
	})
}
