package api_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
)

// cpuTime is the CPU time (user and system) the process used so far: the
// test's, not the PostgreSQL server's.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMigration migrates a history file by file as issue 7 measures
// it: 100 k customers with their creation times, 300 k opportunities with
// stage histories (three to five entries, a stage repeated in every
// fifth), outcomes and a 60/40 team in every tenth, and 1 M follow-ups, each
// file naming the customers by external id. It takes minutes:
//
//	COHORT_BENCH_IMPORT=1 COHORT_TEST_POSTGRES=... go test ./internal/api/ -run '^$' \
//	    -bench 'Migration' -benchtime 1x -timeout 60m
//
// COHORT_BENCH_ROWS=n scales it to n follow-ups, n/10 customers and 3n/10
// opportunities. It reports each file's seconds, the whole migration's and
// the process's peak resident memory.
func BenchmarkMigration(b *testing.B) {
	n := benchRows(b, 1_000_000)
	customers, opps := n/10, 3*n/10
	dir := b.TempDir()
	t0 := time.Date(2023, 1, 2, 9, 0, 0, 0, time.UTC)
	stamp := func(t time.Time) string { return t.Format("2006-01-02 15:04") }
	provinces := []string{"上海", "浙江", "江苏", "广东", "北京", "四川"}
	custPath := writeCSV(b, filepath.Join(dir, "customers.csv"), []string{"External ID", "Name", "Province", "Owner", "Created at"}, customers,
		func(i int) []string {
			return []string{"C-" + strconv.Itoa(i), fmt.Sprintf("星河%d号科技有限公司", i), provinces[i%len(provinces)], "admin@acme.test",
				stamp(t0.Add(time.Duration(i) * 5 * time.Minute))}
		})
	stages := []string{"qualify", "needs", "proposal", "negotiation"}
	oppPath := writeCSV(b, filepath.Join(dir, "opportunities.csv"), []string{"External ID", "Customer external ID", "Name", "Sales process",
		"Amount (yuan)", "Owner", "Team", "Created at", "Stage history", "Outcome", "Closed at", "Loss reason"}, opps,
		func(i int) []string {
			c := i % customers
			start := t0.Add(time.Duration(c)*5*time.Minute + time.Duration(i/customers+1)*24*time.Hour)
			k := 3 + i%2
			hist := ""
			at := start
			for j := 0; j < k; j++ {
				st := stages[j]
				if i%5 == 0 && j == 2 {
					st = "needs" // back to an earlier stage
				}
				if j > 0 {
					hist += "; "
				}
				hist += st + "@" + stamp(at)
				at = at.Add(72 * time.Hour)
			}
			outcome, closed, reason := "", "", ""
			switch i % 3 {
			case 1:
				outcome, closed = "won", stamp(at)
			case 2:
				outcome, closed, reason = "lost", stamp(at), "price"
			}
			team := ""
			if i%10 == 0 {
				team = "owner:admin@acme.test:60%; owner:bob@acme.test:40%"
			}
			return []string{"O-" + strconv.Itoa(i), "C-" + strconv.Itoa(c), "商机 " + strconv.Itoa(i), "big_order", strconv.Itoa(10000 + i%90000),
				"admin@acme.test", team, stamp(start), hist, outcome, closed, reason}
		})
	types := []string{"call", "visit", "wechat", "email"}
	fuPath := writeCSV(b, filepath.Join(dir, "followups.csv"), []string{"Customer external ID", "Author", "Type", "Occurred at", "Duration (s)", "Content"},
		n, func(i int) []string {
			return []string{"C-" + strconv.Itoa(i%customers), "admin@acme.test", types[i%len(types)], stamp(t0.Add(time.Duration(i) * time.Minute)),
				strconv.Itoa(60 + i%600), "电话沟通需求，约下周拜访"}
		})
	benchEngines(b, func(b *testing.B, db *store.DB) {
		for i := 0; i < b.N; i++ {
			e := newEnvUpload(b, db, service.MaxImportBytes)
			e.tenant, e.admin = e.newTenant("acme", "admin@acme.test")
			admin := e.login("admin@acme.test", adminPassword)
			var depts cohort.Page[cohort.Department]
			admin.must(200, "GET", "/api/v1/departments", nil, &depts)
			admin.must(201, "POST", "/api/v1/users", map[string]any{"name": "Bob", "email": "bob@acme.test", "password": "secret123",
				"department_id": depts.Items[0].ID}, nil)
			runtime.GC()
			before := peakRSS()
			// The process's CPU time beside the wall time: on a shared
			// machine the wall time mostly measures the others' load.
			step := func(name, object, path string, rows int) time.Duration {
				cpu := cpuTime()
				took := timedImport(b, e, object, path, rows)
				b.ReportMetric(took.Seconds(), "s-"+name)
				b.ReportMetric((cpuTime() - cpu).Seconds(), "cpu-s-"+name)
				return took
			}
			total := step("customers", "customer", custPath, customers) + step("opportunities", "opportunity", oppPath, opps) +
				step("followups", "followup", fuPath, n)
			b.ReportMetric(total.Seconds(), "s-total")
			b.ReportMetric(before, "MiB-RSS-before")
			b.ReportMetric(peakRSS(), "MiB-RSS-peak")
		}
	})
}
