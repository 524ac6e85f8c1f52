package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestCustomerQueriesReadTheCustomerIndex: every statement of a customer's
// page reads the facts of that customer through facts_customer, on SQLite
// pinned (its planner read a whole kind's days through facts_kind_day for
// the as-of and ticket statements), and the page leaves out the groups the
// asker may not view.
func TestCustomerQueriesReadTheCustomerIndex(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		ctx := context.Background()
		today := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
		all := metrics.CustomerQueries(4242, today, func([]cohort.ObjectType) bool { return true })
		none := metrics.CustomerQueries(4242, today, func([]cohort.ObjectType) bool { return false })
		if len(all) != 3 || len(none) != 2 || strings.Join(none[0].Metrics, ",") != "followups" || strings.Join(none[1].Metrics, ",") != metrics.CustomerLastFollowUp {
			t.Fatalf("queries %+v; without permissions %+v", all, none)
		}
		// The open opportunities are the stage entries in force today (an
		// undated one has no opportunity.open fact), asked as of today.
		var asked []string
		for _, q := range all {
			if q.AsOf != "2026-03-15" {
				t.Errorf("%v as of %q", q.Metrics, q.AsOf)
			}
			asked = append(asked, q.Metrics...)
		}
		if got := strings.Join(asked, ","); !strings.Contains(got, "opportunities_in_stage,amount_in_stage") || strings.Contains(got, "open_opportunities") ||
			strings.Contains(got, "open_pipeline_amount") {
			t.Errorf("metrics asked: %s", got)
		}
		n := 0
		for _, q := range all {
			sqls, args, err := metrics.Statements(ctx, db.Read(), env(), q)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range sqls {
				n++
				if db.Engine == store.SQLite && !strings.Contains(s, "FROM facts f INDEXED BY facts_customer") {
					t.Errorf("%v statement %d does not pin facts_customer: %s", q.Metrics, i, s)
				}
				// The statement runs (an unusable INDEXED BY is an error).
				rows, err := db.Read().QueryContext(ctx, s, args[i]...)
				if err != nil {
					t.Fatalf("%v statement %d: %v", q.Metrics, i, err)
				}
				rows.Close()
			}
			if _, err := metrics.Run(ctx, db.Read(), env(), q); err != nil {
				t.Fatal(err)
			}
		}
		if n < 5 {
			t.Fatalf("%d statements", n)
		}
	})
}
