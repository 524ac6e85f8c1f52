package api_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

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
		// Issue 9's targets: every rule for the whole company over 12
		// months (four monthly rules, each asked for its last month with the
		// eleven before as the trend), and a 500-row goal sheet imported.
		var rules []string
		for _, in := range []map[string]any{
			{"name": "签约（负责人）", "metric": "signed_amount", "subject_type": "person", "cycle": "month"},
			{"name": "签约（售前）", "metric": "signed_amount", "role": "presales", "subject_type": "person", "cycle": "month"},
			{"name": "拜访", "metric": "visits", "subject_type": "person", "cycle": "month"},
			{"name": "新增商机", "metric": "new_opportunities", "subject_type": "person", "cycle": "month"},
		} {
			var pr goalRule
			c.must(201, "POST", "/api/v1/goal-rules", in, &pr)
			rules = append(rules, "/api/v1/goal-rules/"+pr.ID.String())
		}
		last := y + "-12"
		b.Run("completion_4_rules_12_months", func(b *testing.B) {
			for range b.N {
				for _, rb := range rules {
					c.must(200, "GET", rb+"/completion?period="+last+"&trend=11", nil, nil)
				}
			}
		})
		// The person rule's sheet with a value in every month of every
		// person, imported with the values changed each time.
		sheet := func(v int) []byte {
			res := c.do("GET", rules[0]+"/sheet?year="+y, nil, nil)
			if res.status != 200 {
				b.Fatalf("export: %d %s", res.status, res.body)
			}
			f, err := excelize.OpenReader(bytes.NewReader(res.body))
			if err != nil {
				b.Fatal(err)
			}
			rows, _ := f.GetRows("Goals")
			n := 0
			for i, row := range rows[1:] {
				if !strings.HasPrefix(row[0], "person:") {
					continue
				}
				n++
				for j, h := range rows[0] {
					if len(h) == 7 && h[4] == '-' { // a month, YYYY-MM
						cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
						f.SetCellValue("Goals", cell, v+i)
					}
				}
			}
			if n < 500 {
				b.Fatalf("%d person rows", n)
			}
			var buf bytes.Buffer
			f.Write(&buf)
			return buf.Bytes()
		}
		files := [][]byte{sheet(1000), sheet(2000)}
		b.Run("sheet_import_500_people", func(b *testing.B) {
			for i := range b.N {
				if res := c.uploadFile(rules[0]+"/sheet", "file", "goals.xlsx", files[i%2]); res.status != 200 {
					b.Fatalf("import: %d %s", res.status, res.body)
				}
			}
		})
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
