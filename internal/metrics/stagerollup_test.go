package metrics_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	factledger "github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestStageEntriesFromRollup: the opportunities that entered a stage (a
// distinct count) and the days in stage are read from the rollups where
// that is exact — facts_stage_monthly for the whole company over whole
// months by stage, process and month, the daily and monthly rollups for
// the days — and the answers equal the facts' for random histories of
// stage entries (opportunities entering stages again within a month and
// across months, at one time twice, teams of several people in several
// roles, uncredited entries), written and partly deleted through the
// ledger, on both engines, in every scope, role and period.
func TestStageEntriesFromRollup(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		load(t, db)
		ctx := context.Background()
		r := rand.New(rand.NewPCG(11, uint64(len(db.Engine))))
		users := []int64{ann, bob, cat}
		depts := []int64{east, west, svc}
		roles := []string{"owner", "owner", "presales", ""}
		stages := []string{"qualify", "proposal", "negotiate", ""}
		first := day("2025-01-01")
		for batch := 0; batch < 4; batch++ {
			var fs []factledger.Fact
			for o := 0; o < 30; o++ {
				opp := cohort.ID(2000 + batch*100 + o)
				at := time.UnixMilli((first+int64(r.IntN(400)))*86400000 + int64(r.IntN(86400000))).UTC()
				team := r.IntN(3)
				for e := 0; e < 1+r.IntN(8); e++ {
					if r.IntN(6) > 0 { // else a second entry at the same time
						at = at.Add(time.Duration(r.IntN(40*24)) * time.Hour)
					}
					f := factledger.Fact{Kind: "opportunity.stage_entered", OccurredAt: at, Day: int(at.Add(8*time.Hour).Unix() / 86400),
						SourceType: "opportunity", SourceID: opp, RecordType: "opportunity", RecordID: opp, CustomerID: cohort.ID(c1),
						Amount: int64(r.IntN(100000)), Currency: "CNY", ProcessID: cohort.ID([]int64{0, 77}[opp%2]), Stage: stages[r.IntN(len(stages))], ShareBP: 10000}
					if r.IntN(4) > 0 {
						left := at.Add(time.Duration(1+r.IntN(30*24)) * time.Hour)
						f.RefAt, f.N, f.DurationS = &left, 1, int64(left.Sub(at)/time.Second)
					}
					if team == 0 && r.IntN(3) == 0 {
						fs = append(fs, f) // nobody in the team
						continue
					}
					for m := 0; m <= team; m++ {
						g := f
						g.UserID, g.Role, g.DepartmentID = cohort.ID(users[m]), roles[(m+int(opp))%3], cohort.ID(depts[(m+int(opp)/7)%3])
						g.ShareBP = []int{10000, 6000, 4000}[m]
						fs = append(fs, g)
					}
				}
			}
			if err := db.WriteTx(ctx, func(tx *store.Tx) error { return factledger.Insert(ctx, tx, tenant, fs) }); err != nil {
				t.Fatal(err)
			}
		}
		// Some opportunities lose their facts, as a delete would.
		if err := db.WriteTx(ctx, func(tx *store.Tx) error {
			return factledger.DeleteSources(ctx, tx, tenant, "opportunity", []cohort.ID{2003, 2105, 2208, 2301, 2329})
		}); err != nil {
			t.Fatal(err)
		}
		if d, err := factledger.VerifyRollups(ctx, db.Read(), tenant, 5); err != nil || len(d) > 0 {
			t.Fatalf("rollups differ from the facts: %v %v", err, d)
		}
		// The marks set in SQL (facts loaded by other means, migration
		// 0041) are the projection's.
		marks := func() string {
			rows, err := db.Read().QueryContext(ctx, `SELECT id, n, rec, rec_user, since_stage, since_any FROM facts
				WHERE tenant_id = ? AND kind = 'opportunity.stage_entered' ORDER BY id`, tenant)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var sb strings.Builder
			for rows.Next() {
				var v [6]int64
				if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(&sb, v)
			}
			return sb.String()
		}
		projected := marks()
		if err := db.WriteTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE facts SET rec = 0, since_stage = 0, since_any = 7, n = 5
				WHERE tenant_id = ? AND kind = 'opportunity.stage_entered'`, tenant); err != nil {
				return err
			}
			return factledger.RebuildRollups(ctx, tx, tenant)
		}); err != nil {
			t.Fatal(err)
		}
		if got := marks(); got != projected || strings.Count(got, "\n") < 300 {
			t.Fatalf("marks in SQL differ from the projection's (%d entries)", strings.Count(got, "\n"))
		}
		ms := [][]string{{"stage_entries"}, {"stage_entries", "days_in_stage"}, {"days_in_stage"}, {"stage_entries", "stage_conversion:proposal"},
			{"stage_entries", "stage_entry_amount", "new_opportunities"}}
		dims := [][]string{nil, {"stage"}, {"process"}, {"month"}, {"stage", "month"}, {"process", "stage"}, {"person"}, {"department"}, {"quarter"}, {"stage", "person"}}
		stageReads := 0
		for i := 0; i < 250; i++ {
			q := metrics.Query{Metrics: ms[r.IntN(len(ms))], Dimensions: dims[r.IntN(len(dims))]}
			from := time.Date(2025, time.Month(1+r.IntN(14)), 1, 0, 0, 0, 0, time.UTC)
			to := from.AddDate(0, 1+r.IntN(6), 0)
			if r.IntN(5) == 0 {
				from = from.AddDate(0, 0, r.IntN(20))
			}
			q.From, q.To = from.Format("2006-01-02"), to.Format("2006-01-02")
			switch r.IntN(7) {
			case 0:
				q.Filters = []metrics.Filter{{Dimension: "stage", Values: []string{"qualify"}}}
			case 1:
				q.Filters = []metrics.Filter{{Dimension: "stage", Values: []string{"qualify", "proposal"}}}
			case 2:
				q.Filters = []metrics.Filter{{Dimension: "process", Values: []string{"77"}}}
			case 3:
				q.Filters = []metrics.Filter{{Dimension: "person", Values: []string{id(ann)}}}
			}
			if r.IntN(3) == 0 {
				q.Compare = []string{"previous", "year_ago"}[:1+r.IntN(2)]
			}
			if r.IntN(4) == 0 {
				q.Role = "presales"
			}
			e := env()
			switch r.IntN(5) {
			case 0:
				e.Scope = metrics.Scope(cohort.Access{TenantID: tenant, Scope: cohort.ScopeOwn, UserID: bob})
			case 1:
				e.Scope = metrics.Scope(cohort.Access{TenantID: tenant, Scope: cohort.ScopeDepartmentAndChildren, UserID: ann, DepartmentID: sales, DepartmentPath: "/10/"})
			}
			sqls, _, err := metrics.Statements(ctx, db.Read(), e, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sqls {
				if strings.Contains(s, factledger.StageRollup) {
					stageReads++
				}
			}
			res, err := metrics.Run(ctx, db.Read(), e, q)
			if err != nil {
				t.Fatal(err)
			}
			e.RawFacts = true
			raw, err := metrics.Run(ctx, db.Read(), e, q)
			if err != nil {
				t.Fatal(err)
			}
			sameAnswer(t, fmt.Sprintf("%+v (scope %q)", q, e.Scope.SQL), res, raw)
		}
		if stageReads < 40 {
			t.Fatalf("%d statements read %s", stageReads, factledger.StageRollup)
		}
		// The funnel's statements: stage entries by stage and in all from
		// facts_stage_monthly, the days in stage from a rollup.
		q := metrics.Query{Metrics: []string{"stage_entries", "days_in_stage"}, Dimensions: []string{"stage"}, From: "2025-04-01", To: "2025-07-01"}
		sqls, _, err := metrics.Statements(ctx, db.Read(), env(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sqls {
			if strings.Contains(s, "FROM facts f") {
				t.Errorf("the funnel reads the facts: %s", s)
			}
		}
	})
}
