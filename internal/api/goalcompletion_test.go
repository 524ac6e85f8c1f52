package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort/internal/demo"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// Completion reads every department in one statement and a month with its
// trend in one statement split by month. On a demo company (a department
// tree three deep, two years of history) every actual of every rule is
// what the metric engine answers for that subject alone over that period
// (POST /metrics/query filtered to the person or the department), and a
// month read with its trend is the month asked alone.
func TestGoalCompletionEachSubjectAlone(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnvEmpty(t, db)
		sc := demo.Scale{Name: "T", People: 90, Customers: 300, Contacts: 1, Opportunities: 1.5, FollowUps: 6}
		res, err := demo.Create(context.Background(), e.svc, demo.Options{Seed: 5, Custom: &sc, AdminEmail: "admin@goals.test", AdminPassword: adminPassword})
		if err != nil {
			t.Fatal(err)
		}
		c := e.login(res.AdminEmail, adminPassword)
		// The month of last year with the most presales signings (the
		// sparsest figure asked below: the demo's history moves with
		// today's date, so a fixed month may have none), after March so
		// that its trend stays in the year.
		y := strconv.Itoa(time.Now().Year() - 1)
		var byMonth struct {
			Rows []struct {
				Keys   []string            `json:"keys"`
				Values map[string]*float64 `json:"values"`
			} `json:"rows"`
		}
		c.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": []string{"signed_amount"}, "role": "presales", "dimensions": []string{"month"},
			"from": y + "-04-01", "to": strconv.Itoa(time.Now().Year()) + "-01-01"}, &byMonth)
		month, most := y+"-06", 0.0
		for _, r := range byMonth.Rows {
			if v := r.Values["signed_amount"]; v != nil && *v > most && len(r.Keys[0]) >= 7 {
				month, most = r.Keys[0][:7], *v
			}
		}
		if most == 0 {
			t.Fatalf("no presales signing in %s after March: %+v", y, byMonth.Rows)
		}
		mt, err := time.Parse("2006-01", month)
		if err != nil {
			t.Fatalf("month %q: %v", month, err)
		}
		trend := []string{mt.AddDate(0, -3, 0).Format("2006-01"), mt.AddDate(0, -2, 0).Format("2006-01"), mt.AddDate(0, -1, 0).Format("2006-01")}
		// A person with follow-ups in the month leaves: no longer a
		// subject, their facts stay (the statement by every person drops
		// them, the rows of the others are unchanged).
		var byPerson struct {
			Rows []struct {
				Keys   []string            `json:"keys"`
				Values map[string]*float64 `json:"values"`
			} `json:"rows"`
		}
		c.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": []string{"followups"}, "dimensions": []string{"person"},
			"from": month + "-01", "to": mt.AddDate(0, 1, 0).Format("2006-01-02")}, &byPerson)
		gone := ""
		for _, r := range byPerson.Rows {
			if v := r.Values["followups"]; r.Keys[0] != "" && v != nil && *v > 0 {
				gone = r.Keys[0]
				break
			}
		}
		if gone == "" {
			t.Fatal("nobody has follow-ups in " + month)
		}
		c.must(200, "PATCH", "/api/v1/users/"+gone, map[string]any{"status": "disabled"}, nil)
		for _, in := range []map[string]any{
			{"name": "签约（部门）", "metric": "signed_amount", "subject_type": "department", "cycle": "month"},
			{"name": "签约（售前）", "metric": "signed_amount", "role": "presales", "subject_type": "person", "cycle": "month"},
			{"name": "跟进", "metric": "followups", "subject_type": "person", "cycle": "month"},
			{"name": "新增商机", "metric": "new_opportunities", "subject_type": "person", "cycle": "month"},
			{"name": "赢单率", "metric": "win_rate", "subject_type": "person", "cycle": "month"},
		} {
			var r goalRule
			c.must(201, "POST", "/api/v1/goal-rules", in, &r)
			base := "/api/v1/goal-rules/" + r.ID.String()
			var withTrend goalCompletion
			c.must(200, "GET", base+"/completion?period="+month+"&trend=3", nil, &withTrend)
			alone := map[string]goalCompletion{}
			for _, m := range append(trend, month) {
				var one goalCompletion
				c.must(200, "GET", base+"/completion?period="+m, nil, &one)
				alone[m] = one
			}
			same := func(what string, a, b *float64) {
				t.Helper()
				if (a == nil) != (b == nil) || a != nil && *a != *b {
					t.Errorf("%s %s: %v, want %v", in["metric"], what, show(a), show(b))
				}
			}
			depts, nonzero := 0, 0
			for _, row := range withTrend.Rows {
				if row.Subject == "person:"+gone {
					t.Fatalf("%s: the person who left is a row", in["metric"])
				}
				same(row.Subject+" "+month+" with its trend", row.Actual, alone[month].row(t, row.Subject).Actual)
				if len(row.Trend) != 4 {
					t.Fatalf("%s trend %+v", row.Subject, row.Trend)
				}
				for i, m := range trend {
					same(row.Subject+" "+m+" in the trend", row.Trend[i].Actual, alone[m].row(t, row.Subject).Actual)
				}
				kind, id, _ := strings.Cut(row.Subject, ":")
				if kind == "department" {
					depts++
				}
				// The engine for the subject alone, the month and one month
				// of the trend.
				for _, m := range []string{month, trend[0]} {
					from := m + "-01"
					d, _ := time.Parse("2006-01-02", from)
					q := map[string]any{"metrics": []string{in["metric"].(string)}, "from": from, "to": d.AddDate(0, 1, 0).Format("2006-01-02"),
						"filters": []map[string]any{{"dimension": kind, "values": []string{id}}}}
					if role, ok := in["role"]; ok {
						q["role"] = role
					}
					var mr struct {
						Total struct {
							Values map[string]*float64 `json:"values"`
						} `json:"total"`
					}
					c.must(200, "POST", "/api/v1/metrics/query", q, &mr)
					got := alone[m].row(t, row.Subject).Actual
					same(row.Subject+" "+m+" against the engine alone", got, mr.Total.Values[in["metric"].(string)])
					if got != nil && *got != 0 {
						nonzero++
					}
				}
			}
			if depts < 10 || nonzero == 0 {
				t.Fatalf("%s: %d departments, %d nonzero actuals: the comparison checks little", in["metric"], depts, nonzero)
			}
			// An engine that answers at most 20 rows: the statement by
			// every person is refused, so people go by lists of five, and
			// the department tree by one statement per parent. The same
			// completion.
			func() {
				defer func(n int) { metrics.MaxRows = n }(metrics.MaxRows)
				metrics.MaxRows = 20
				var small goalCompletion
				c.must(200, "GET", base+"/completion?period="+month+"&trend=3", nil, &small)
				if len(small.Rows) != len(withTrend.Rows) {
					t.Fatalf("%s with at most 20 rows an answer: %d rows, want %d", in["metric"], len(small.Rows), len(withTrend.Rows))
				}
				for _, row := range withTrend.Rows {
					got := small.row(t, row.Subject)
					same(row.Subject+" with at most 20 rows an answer", got.Actual, row.Actual)
					for i := range row.Trend {
						same(row.Subject+" trend with at most 20 rows an answer", got.Trend[i].Actual, row.Trend[i].Actual)
					}
				}
			}()
		}
	})
}
