package api_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/cohortcrm/cohort/internal/demo"
	"github.com/cohortcrm/cohort/internal/store"
)

// BenchmarkGoals opens goals on a demo company of 500 people and two
// years of history (a small scale of customers, see docs/BENCHMARKS.md):
// the grid of a department rule and completion of every person and
// department for a month, a quarter and the year.
func BenchmarkGoals(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *store.DB) {
		e := newEnvEmpty(b, db)
		sc := demo.Scale{Name: "B", People: 500, Customers: 5000, Contacts: 1, Opportunities: 1.5, FollowUps: 10}
		res, err := demo.Create(context.Background(), e.svc, demo.Options{Seed: 3, Custom: &sc, AdminEmail: "admin@bench.test", AdminPassword: adminPassword})
		if err != nil {
			b.Fatal(err)
		}
		c := e.login(res.AdminEmail, adminPassword)
		var r goalRule
		c.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约", "metric": "signed_amount", "subject_type": "department", "cycle": "month"}, &r)
		base := "/api/v1/goal-rules/" + r.ID.String()
		y := strconv.Itoa(time.Now().Year() - 1)
		var g goalGrid
		c.must(200, "GET", base+"/grid?year="+y, nil, &g)
		b.Logf("%d subjects × %d periods", len(g.Subjects), len(g.Periods))
		for _, bc := range []struct{ name, path string }{
			{"grid", base + "/grid?year=" + y},
			{"completion_month", base + "/completion?period=" + y + "-06"},
			{"completion_quarter", base + "/completion?period=FY" + y + "-Q2"},
			{"completion_year", base + "/completion?period=FY" + y},
		} {
			b.Run(bc.name, func(b *testing.B) {
				for range b.N {
					c.must(200, "GET", bc.path, nil, nil)
				}
			})
		}
	})
}
