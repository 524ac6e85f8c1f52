package metrics_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/cockpits"
	factledger "github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// Generated organisation of the benchmark: 4 regions of 10 teams (44
// departments), 500 people, 50,000 customers, facts over 2024–2026.
const (
	benchUsers     = 500
	benchCustomers = 50000
)

// benchKinds are the fact kinds with their share of the facts (per mille).
var benchKinds = []struct {
	kind string
	per  int
}{
	{"followup.done", 550}, {"opportunity.stage_entered", 120}, {"opportunity.created", 50}, {"customer.created", 50}, {"lead.created", 50},
	{"payment.received", 50}, {"contract.signed", 30}, {"order.signed", 20}, {"invoice.issued", 30}, {"customer.first_signed", 20},
	{"opportunity.won", 15}, {"opportunity.lost", 15},
}

// benchKPIs are the ten KPIs of BenchmarkQuery and BenchmarkExplain.
var benchKPIs = []string{"new_customers", "first_signed_customers", "conversion_rate", "first_order_avg_value", "followup_cycle_days",
	"followups_per_signed_customer", "signed_amount", "payments_collected", "calls", "call_minutes"}

// benchSize is the number of facts (COHORT_BENCH_FACTS, default 1,000,000)
// and the engines (PostgreSQL too with COHORT_BENCH_POSTGRES=1).
func benchSize() (int, []store.Engine) {
	n := 1000000
	if s := os.Getenv("COHORT_BENCH_FACTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	engines := []store.Engine{store.SQLite}
	if os.Getenv("COHORT_BENCH_POSTGRES") != "" {
		engines = append(engines, store.Postgres)
	}
	return n, engines
}

// kindPicker draws fact kinds in benchKinds' proportions.
func kindPicker() func(r *rand.Rand) string {
	cum := make([]int, len(benchKinds))
	total := 0
	for i, k := range benchKinds {
		total += k.per
		cum[i] = total
	}
	return func(r *rand.Rand) string {
		x := r.IntN(total)
		return benchKinds[slices.IndexFunc(cum, func(c int) bool { return x < c })].kind
	}
}

func benchDept(u int) int64 { return int64(1000 + 1 + 4 + u%40) } // teams 1005..1044

// genFacts loads n facts into db.
func genFacts(b testing.TB, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	now := int64(1767225600000)
	exec := func(tx *store.Tx, q string, args ...any) {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
	}
	err := db.WriteTx(ctx, func(tx *store.Tx) error {
		exec(tx, "INSERT INTO tenants (id, name, slug, time_zone, fiscal_year_start_month, currency, locale, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
			tenant, "Bench", "bench", "Asia/Shanghai", 1, "CNY", "zh-CN", now, now)
		exec(tx, "INSERT INTO departments (tenant_id, id, name, path, depth, created_at, updated_at) VALUES (?,?,?,?,?,?,?)", tenant, 1000, "Company", "/1000/", 0, now, now)
		for g := 1; g <= 4; g++ {
			exec(tx, "INSERT INTO departments (tenant_id, id, name, parent_id, path, depth, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
				tenant, 1000+g, "Region "+strconv.Itoa(g), 1000, fmt.Sprintf("/1000/%d/", 1000+g), 1, now, now)
		}
		for d := 0; d < 40; d++ {
			id := 1005 + d
			exec(tx, "INSERT INTO departments (tenant_id, id, name, parent_id, path, depth, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
				tenant, id, "Team "+strconv.Itoa(d), 1001+d/10, fmt.Sprintf("/1000/%d/%d/", 1001+d/10, id), 2, now, now)
		}
		for u := 0; u < benchUsers; u++ {
			exec(tx, "INSERT INTO users (tenant_id, id, email, name, department_id, status, locale, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
				tenant, 1+u, fmt.Sprintf("u%d@bench.test", u), fmt.Sprintf("User %d", u), benchDept(u), "active", "zh-CN", now, now)
		}
		segs := []string{"SMB", "KA", "Mid"}
		provs := []string{"Zhejiang", "Jiangsu", "Shanghai", "Guangdong", "Beijing", "Sichuan"}
		for c := 0; c < benchCustomers; c++ {
			exec(tx, "INSERT INTO customers (tenant_id, id, name, name_key, segment, province, currency, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
				tenant, 100000+c, "C"+strconv.Itoa(c), "c"+strconv.Itoa(c), segs[c%3], provs[c%6], "CNY", now-3*365*86400000, now)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	pick := kindPicker()
	first, days := day("2024-01-01"), int(day("2027-01-01")-day("2024-01-01"))
	types := []string{"call", "call", "call", "visit", "sms", "wechat", "email"}
	stages := []string{"qualify", "needs", "proposal", "negotiate"}
	const batch = 500
	for start := 0; start < n; start += 50000 {
		err := db.WriteTx(ctx, func(tx *store.Tx) error {
			var sb strings.Builder
			var args []any
			flush := func() {
				if len(args) == 0 {
					return
				}
				q := "INSERT INTO facts (tenant_id, id, kind, occurred_at, day, source_type, source_id, record_type, record_id, customer_id, user_id, role, share_bp, department_id, amount, duration_s, n, stage, attr, ref_at) VALUES " +
					strings.TrimSuffix(sb.String(), ",")
				exec(tx, q, args...)
				sb.Reset()
				args = args[:0]
			}
			for i := start; i < min(n, start+50000); i++ {
				k := pick(r)
				d := first + int64(r.IntN(days))
				u := r.IntN(benchUsers)
				role, share, attr, stage := "owner", 10000, "", ""
				var amount, dur int64
				var ref any
				switch k {
				case "followup.done":
					role, attr = "author", types[r.IntN(len(types))]
					if attr == "call" {
						dur = int64(r.IntN(900))
					}
				case "opportunity.stage_entered":
					stage = stages[r.IntN(len(stages))]
					dur = int64(r.IntN(40)) * 86400
					ref = (d+dur/86400)*86400000 + 3600000
				case "customer.first_signed":
					amount, ref = int64(r.IntN(100))*100000, (d-int64(r.IntN(120)))*86400000
				default:
					amount = int64(r.IntN(100)) * 100000
				}
				if r.IntN(10) == 0 && role == "owner" {
					role, share = "presales", 10000
				}
				sb.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?),")
				rec := int64(i + 1)
				src, _, _ := strings.Cut(k, ".")
				args = append(args, tenant, int64(i+1), k, d*86400000+3600000, d, src, rec, src, rec, int64(100000+r.IntN(benchCustomers)), int64(1+u), role, share,
					benchDept(u), amount, dur, 1, stage, attr, ref)
				if len(args) >= batch*20 {
					flush()
				}
			}
			flush()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.WriteTx(ctx, func(tx *store.Tx) error { return factledger.RebuildRollups(ctx, tx, tenant) }); err != nil {
		b.Fatal(err)
	}
	if err := db.Analyze(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkQuery measures cockpit-like metric queries over
// COHORT_BENCH_FACTS (default 1,000,000) generated facts on SQLite (and on
// PostgreSQL with COHORT_BENCH_POSTGRES=1). Each sub-benchmark reports the
// median and p95 of its queries.
func BenchmarkQuery(b *testing.B) {
	n, engines := benchSize()
	kpis := benchKPIs
	personnel := []string{"signed_amount", "payments_collected", "calls", "sms", "call_minutes", "new_opportunity_value", "new_customers",
		"first_signed_customers", "first_order_amount", "lost_customers"}
	queries := []struct {
		name  string
		q     metrics.Query
		scope cohort.Access
	}{
		{"kpis_quarter_yoy_mom", metrics.Query{Metrics: kpis, From: "2026-01-01", To: "2026-04-01", Compare: []string{"previous", "year_ago"}}, cohort.Access{}},
		{"kpis_by_month_year", metrics.Query{Metrics: kpis, Dimensions: []string{"month"}, From: "2025-01-01", To: "2026-01-01"}, cohort.Access{}},
		{"personnel_by_person_quarter", metrics.Query{Metrics: personnel, Dimensions: []string{"person"}, From: "2026-01-01", To: "2026-04-01"}, cohort.Access{}},
		{"signed_by_region_rollup_year", metrics.Query{Metrics: []string{"signed_amount", "signed_count"}, Dimensions: []string{"department"}, DepartmentRoot: 1000,
			From: "2025-01-01", To: "2026-01-01"}, cohort.Access{}},
		{"signed_by_segment_quarter", metrics.Query{Metrics: []string{"signed_amount", "new_customers"}, Dimensions: []string{"segment"}, From: "2026-01-01", To: "2026-04-01"}, cohort.Access{}},
		{"funnel_by_stage_quarter", metrics.Query{Metrics: []string{"stage_entries", "stage_conversion:won", "days_in_stage"}, Dimensions: []string{"stage"},
			From: "2026-01-01", To: "2026-04-01"}, cohort.Access{}},
		{"board_stage_totals_today", metrics.Query{Metrics: []string{"opportunities_in_stage", "amount_in_stage"}, Dimensions: []string{"stage"},
			From: "2026-06-15", To: "2026-06-16", AsOf: "2026-06-15"}, cohort.Access{}},
		{"salesperson_own_kpis_quarter", metrics.Query{Metrics: kpis, From: "2026-01-01", To: "2026-04-01"}, cohort.Access{Scope: cohort.ScopeOwn, UserID: 7}},
		{"team_leader_dept_by_month", metrics.Query{Metrics: kpis, Dimensions: []string{"month"}, From: "2025-01-01", To: "2026-01-01"},
			cohort.Access{Scope: cohort.ScopeDepartmentAndChildren, UserID: 7, DepartmentID: 1001, DepartmentPath: "/1000/1001/"}},
	}
	for _, e := range engines {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			t0 := time.Now()
			genFacts(b, db, n)
			b.Logf("%s: %d facts loaded in %s", e, n, time.Since(t0).Round(time.Millisecond))
			for _, bq := range queries {
				b.Run(bq.name, func(b *testing.B) {
					env := metrics.Env{TenantID: tenant, FiscalYearStartMonth: 1, Lang: "en"}
					if bq.scope.Scope != "" {
						bq.scope.TenantID = tenant
						env.Scope = metrics.Scope(bq.scope)
					}
					timed(b, func() {
						if _, err := metrics.Run(context.Background(), db.Read(), env, bq.q); err != nil {
							b.Fatal(err)
						}
					})
				})
			}
		})
	}
}

// timed runs f b.N times and reports the median and p95 of its runs.
func timed(b *testing.B, f func()) {
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		f()
		took = append(took, time.Since(t))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(took[(len(took)*95)/100].Microseconds())/1000, "p95-ms")
}

// BenchmarkPresetCockpits computes every widget of each preset cockpit
// (internal/cockpits), one after the other as the API answers a page that
// opens it, over the generated facts, on 2026-06-15. One run is the whole
// cockpit.
func BenchmarkPresetCockpits(b *testing.B) {
	n, engines := benchSize()
	cal := cockpits.Calendar{Today: time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), FiscalYearStartMonth: 1, WeekStart: 1}
	for _, e := range engines {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			genFacts(b, db, n)
			env := metrics.Env{TenantID: tenant, FiscalYearStartMonth: 1, WeekStart: 1, Lang: "zh-CN"}
			for _, p := range cockpits.Presets {
				b.Run(p.Key, func(b *testing.B) {
					timed(b, func() {
						for _, w := range p.Layout {
							if cockpits.IsGoal(w.Type) {
								continue // goal completion: BenchmarkGoal* in internal/api
							}
							q := w.Query
							q.Resolve(cal)
							if _, err := metrics.Run(context.Background(), db.Read(), env, q.Metric()); err != nil {
								b.Fatalf("%s/%s: %v", p.Key, w.ID, err)
							}
						}
					})
				})
			}
		})
	}
}

// BenchmarkExplain prints the plans (EXPLAIN ANALYZE) of the 10-KPI
// query's statements over COHORT_BENCH_FACTS generated facts on each
// engine, from the facts alone and with the rollups.
func BenchmarkExplain(b *testing.B) {
	n, engines := benchSize()
	kpis := benchKPIs
	ctx := context.Background()
	for _, e := range engines {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			genFacts(b, db, n)
			explain := "EXPLAIN QUERY PLAN "
			if e == store.Postgres {
				explain = "EXPLAIN (ANALYZE, BUFFERS) "
			}
			for _, pass := range []struct{ raw, vacuum bool }{{true, false}, {false, false}, {true, true}, {false, true}} {
				raw := pass.raw
				if pass.vacuum && e == store.Postgres {
					// After a bulk load the visibility map is unset: an
					// index-only scan reads the table for every entry until
					// (auto)vacuum has run.
					if _, err := db.Read().ExecContext(ctx, "VACUUM ANALYZE facts"); err != nil {
						b.Fatal(err)
					}
				} else if pass.vacuum {
					continue
				}
				env := metrics.Env{TenantID: tenant, FiscalYearStartMonth: 1, Lang: "en", RawFacts: raw}
				sqls, args, err := metrics.Statements(ctx, db.Read(), env, metrics.Query{Metrics: kpis, From: "2026-01-01", To: "2026-04-01"})
				if err != nil {
					b.Fatal(err)
				}
				for i, s := range sqls {
					t := time.Now()
					rows, err := db.Read().QueryContext(ctx, s, args[i]...)
					if err != nil {
						b.Fatal(err)
					}
					for rows.Next() {
					}
					rows.Close()
					took := time.Since(t)
					var plan []string
					rows, err = db.Read().QueryContext(ctx, explain+s, args[i]...)
					if err != nil {
						b.Fatal(err)
					}
					cols, _ := rows.Columns()
					for rows.Next() {
						vals := make([]any, len(cols))
						ptrs := make([]any, len(cols))
						for j := range vals {
							ptrs[j] = &vals[j]
						}
						_ = rows.Scan(ptrs...)
						plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
					}
					rows.Close()
					b.Logf("%s raw=%v vacuumed=%v statement %d took %s\n%s\n%v\n%s", e, raw, pass.vacuum, i, took, s, args[i], strings.Join(plan, "\n"))
				}
			}
		})
	}
}

// BenchmarkCustomerFigures measures a customer page's figures
// (metrics.CustomerQueries: every query of GET /customers/{id}/figures) for
// customers drawn at random among the generated ones, on 2026-06-15, for
// the whole company and for one salesperson's own scope; it logs the plans
// of one page's statements.
func BenchmarkCustomerFigures(b *testing.B) {
	n, engines := benchSize()
	ctx := context.Background()
	today := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	all := func([]cohort.ObjectType) bool { return true }
	for _, e := range engines {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			genFacts(b, db, n)
			explain := "EXPLAIN QUERY PLAN "
			if e == store.Postgres {
				explain = "EXPLAIN "
			}
			env := metrics.Env{TenantID: tenant, FiscalYearStartMonth: 1, WeekStart: 1, Lang: "zh-CN", Today: today}
			for _, q := range metrics.CustomerQueries(100042, today, all) {
				sqls, args, err := metrics.Statements(ctx, db.Read(), env, q)
				if err != nil {
					b.Fatal(err)
				}
				for i, s := range sqls {
					rows, err := db.Read().QueryContext(ctx, explain+s, args[i]...)
					if err != nil {
						b.Fatal(err)
					}
					cols, _ := rows.Columns()
					var plan []string
					for rows.Next() {
						vals := make([]any, len(cols))
						ptrs := make([]any, len(cols))
						for j := range vals {
							ptrs[j] = &vals[j]
						}
						_ = rows.Scan(ptrs...)
						plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
					}
					rows.Close()
					b.Logf("%s %v statement %d:\n%s", e, q.Metrics, i, strings.Join(plan, "\n"))
				}
			}
			for _, sc := range []struct {
				name  string
				scope cohort.Access
			}{{"company", cohort.Access{}}, {"own", cohort.Access{Scope: cohort.ScopeOwn, UserID: 7, TenantID: tenant}}} {
				b.Run(sc.name, func(b *testing.B) {
					env := env
					if sc.scope.Scope != "" {
						env.Scope = metrics.Scope(sc.scope)
					}
					r := rand.New(rand.NewPCG(3, 4))
					timed(b, func() {
						for _, q := range metrics.CustomerQueries(cohort.ID(100000+r.IntN(benchCustomers)), today, all) {
							if _, err := metrics.Run(ctx, db.Read(), env, q); err != nil {
								b.Fatal(err)
							}
						}
					})
				})
			}
		})
	}
}

// BenchmarkBoardTotals measures the opportunity board's column totals
// (opportunities_in_stage and amount_in_stage by stage, as of a day) over
// the generated facts: through every stage entry of the tenant, and from a
// set of records (Env.Records, through facts_source; the generator gives
// each fact its own record, so a set of N ids stands for a board of
// open opportunities with about N facts).
func BenchmarkBoardTotals(b *testing.B) {
	n, engines := benchSize()
	q := metrics.Query{Metrics: []string{"opportunities_in_stage", "amount_in_stage"}, Dimensions: []string{"stage"},
		From: "2026-06-15", To: "2026-06-16", AsOf: "2026-06-15", RowsOnly: true}
	for _, e := range engines {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			genFacts(b, db, n)
			for _, c := range []struct {
				name    string
				records int
			}{{"every_stage_entry", 0}, {"records_5000", 5000}, {"records_50000", 50000}} {
				b.Run(c.name, func(b *testing.B) {
					env := metrics.Env{TenantID: tenant, FiscalYearStartMonth: 1, Lang: "en"}
					if c.records > 0 {
						env.Records = store.Where{SQL: "f.source_type = 'opportunity' AND f.source_id IN (SELECT x.id FROM customers x WHERE x.tenant_id = ? AND x.id < ?)",
							Args: []any{tenant, 100000 + c.records}}
					}
					timed(b, func() {
						if _, err := metrics.Run(context.Background(), db.Read(), env, q); err != nil {
							b.Fatal(err)
						}
					})
				})
			}
		})
	}
}

// BenchmarkFunnelPreset computes every widget of the funnel preset
// cockpit, one after the other as BenchmarkPresetCockpits does, as the
// administrator (all), a sales manager (their department and the ones
// below it) and a salesperson (own), through the rollups and from the
// facts alone (Env.RawFacts), on 2026-06-15 over the generated facts, or
// on today over a demo database (COHORT_FUNNEL_DB, opened read-only in
// effect: nothing is written; its first sales manager and salesperson, as
// scripts/loadtest-cockpits.sh picks them). It reports the median and p95
// of each, logs the median of each widget, and checks that both ways give
// the same figures.
func BenchmarkFunnelPreset(b *testing.B) {
	benchPreset(b, "funnel", os.Getenv("COHORT_FUNNEL_DB"), nil)
}

// BenchmarkServicePreset is BenchmarkFunnelPreset for the service preset
// (COHORT_SERVICE_DB for a demo database): the generated facts get
// tickets (genTickets) and lost customers besides.
func BenchmarkServicePreset(b *testing.B) {
	benchPreset(b, "service", os.Getenv("COHORT_SERVICE_DB"), genTickets)
}

// benchPreset times the preset key's widgets (BenchmarkFunnelPreset) over
// the demo database at path, or over the generated facts and what more
// adds to them.
func benchPreset(b *testing.B, key, path string, more func(testing.TB, *store.DB)) {
	ctx := context.Background()
	p, _ := cockpits.FindPreset(key)
	type login struct {
		name  string
		scope cohort.Access
	}
	var db *store.DB
	var env metrics.Env
	var logins []login
	cal := cockpits.Calendar{Today: time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), FiscalYearStartMonth: 1, WeekStart: 1}
	if path != "" {
		var err error
		if db, err = store.Open(ctx, path, store.Options{}); err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		var tid int64
		var tz string
		if err := db.Read().QueryRowContext(ctx, "SELECT id, time_zone FROM tenants ORDER BY id LIMIT 1").Scan(&tid, &tz); err != nil {
			b.Fatal(err)
		}
		loc, _ := time.LoadLocation(tz)
		y, m, d := time.Now().In(loc).Date()
		cal.Today = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		env = metrics.Env{TenantID: cohort.ID(tid), FiscalYearStartMonth: 1, WeekStart: 1, Lang: "zh-CN", Location: loc, Today: cal.Today}
		logins = append(logins, login{"all", cohort.Access{}})
		for _, r := range []struct {
			role  string
			scope cohort.Scope
		}{{"Sales manager", cohort.ScopeDepartmentAndChildren}, {"Salesperson", cohort.ScopeOwn}} {
			var uid, did int64
			var path string
			err := db.Read().QueryRowContext(ctx, `SELECT u.id, u.department_id, d.path FROM users u
				JOIN user_perm_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id
				JOIN perm_roles pr ON pr.tenant_id = ur.tenant_id AND pr.id = ur.role_id
				JOIN departments d ON d.tenant_id = u.tenant_id AND d.id = u.department_id
				WHERE u.tenant_id = ? AND pr.name LIKE ? AND u.status = 'active' ORDER BY u.email LIMIT 1`, tid, "%"+r.role+"%").Scan(&uid, &did, &path)
			if err != nil {
				b.Fatal(err)
			}
			logins = append(logins, login{string(r.scope), cohort.Access{TenantID: cohort.ID(tid), Scope: r.scope, UserID: cohort.ID(uid),
				DepartmentID: cohort.ID(did), DepartmentPath: path}})
		}
	} else {
		n, _ := benchSize()
		db = storetest.Open(b, store.SQLite)
		genFacts(b, db, n)
		if more != nil {
			more(b, db)
		}
		env = metrics.Env{TenantID: tenant, FiscalYearStartMonth: 1, WeekStart: 1, Lang: "zh-CN"}
		logins = []login{{"all", cohort.Access{}},
			{string(cohort.ScopeDepartmentAndChildren), cohort.Access{TenantID: tenant, Scope: cohort.ScopeDepartmentAndChildren, UserID: 7, DepartmentID: 1001, DepartmentPath: "/1000/1001/"}},
			{string(cohort.ScopeOwn), cohort.Access{TenantID: tenant, Scope: cohort.ScopeOwn, UserID: 7}}}
	}
	var qs []metrics.Query
	var ids []string
	for _, w := range p.Layout {
		q := w.Query
		q.Resolve(cal)
		qs, ids = append(qs, q.Metric()), append(ids, w.ID)
	}
	for _, l := range logins {
		for _, raw := range []bool{false, true} {
			name := l.name
			if raw {
				name += "/facts_only"
			}
			b.Run(name, func(b *testing.B) {
				en := env
				en.RawFacts = raw
				if l.scope.Scope != "" {
					en.Scope = metrics.Scope(l.scope)
				}
				widget := make([][]time.Duration, len(qs))
				timed(b, func() {
					for i, q := range qs {
						t := time.Now()
						if _, err := metrics.Run(ctx, db.Read(), en, q); err != nil {
							b.Fatalf("%s: %v", ids[i], err)
						}
						widget[i] = append(widget[i], time.Since(t))
					}
				})
				var line []string
				for i, ws := range widget {
					slices.Sort(ws)
					line = append(line, fmt.Sprintf("%s %.1f", ids[i], float64(ws[len(ws)/2].Microseconds())/1000))
				}
				b.Logf("widget medians (ms): %s", strings.Join(line, ", "))
				if raw {
					return
				}
				// The same figures from the facts alone.
				for i, q := range qs {
					got, err := metrics.Run(ctx, db.Read(), en, q)
					if err != nil {
						b.Fatal(err)
					}
					rawEnv := en
					rawEnv.RawFacts = true
					want, err := metrics.Run(ctx, db.Read(), rawEnv, q)
					if err != nil {
						b.Fatal(err)
					}
					if g, w := figures(got), figures(want); g != w {
						b.Errorf("%s %s: rollups %s, facts %s", l.name, ids[i], g, w)
					}
				}
			})
		}
	}
}

// figures renders a result's rows and total, values and compared values.
func figures(r *metrics.Result) string {
	var sb strings.Builder
	for _, row := range append(slices.Clone(r.Rows), r.Total) {
		fmt.Fprintf(&sb, "%v:", row.Keys)
		for _, m := range r.Metrics {
			val := func(v *float64) string {
				if v == nil {
					return "null"
				}
				return strconv.FormatFloat(*v, 'g', -1, 64)
			}
			fmt.Fprintf(&sb, " %s=%s", m.Name, val(row.Values[m.Name]))
			for _, k := range []string{"previous", "year_ago"} {
				if c, ok := row.Compare[k]; ok {
					fmt.Fprintf(&sb, " %s/%s=%s", m.Name, k, val(c[m.Name]))
				}
			}
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// genTickets adds to the generated facts 60,000 tickets over 2024–2026 (a
// request, complaint or fault each, opened; most answered and resolved
// within days, at a cost; a tenth with a presales credit besides the
// owner's) and 5,000 lost customers, then sums the rollups again.
func genTickets(b testing.TB, db *store.DB) {
	b.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	first, days := day("2024-01-01"), int(day("2027-01-01")-day("2024-01-01"))
	kinds := []string{"request", "request", "complaint", "fault"}
	const cols = 20
	err := db.WriteTx(ctx, func(tx *store.Tx) error {
		var sb strings.Builder
		var args []any
		flush := func() error {
			if len(args) == 0 {
				return nil
			}
			q := "INSERT INTO facts (tenant_id, id, kind, occurred_at, day, source_type, source_id, record_type, record_id, customer_id, user_id, role, share_bp, department_id, amount, duration_s, n, stage, attr, ref_at) VALUES " +
				strings.TrimSuffix(sb.String(), ",")
			_, err := tx.ExecContext(ctx, q, args...)
			sb.Reset()
			args = args[:0]
			return err
		}
		id := int64(20000000)
		add := func(kind, src string, rec, cust int64, at int64, u int, role string, amount, dur int64, attr string, ref any) error {
			id++
			sb.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?),")
			args = append(args, tenant, id, kind, at, at/86400000, src, rec, src, rec, cust, int64(1+u), role, 10000, benchDept(u), amount, dur, 1, "", attr, ref)
			if len(args) >= 500*cols {
				return flush()
			}
			return nil
		}
		for t := 0; t < 60000; t++ {
			rec := int64(10000000 + t)
			cust := int64(100000 + r.IntN(benchCustomers))
			opened := (first+int64(r.IntN(days)))*86400000 + int64(r.IntN(86400000))
			attr := kinds[r.IntN(len(kinds))]
			roles := []struct {
				u    int
				role string
			}{{r.IntN(benchUsers), "owner"}}
			if r.IntN(10) == 0 {
				roles = append(roles, struct {
					u    int
					role string
				}{r.IntN(benchUsers), "presales"})
			}
			for _, cr := range roles {
				if err := add("ticket.opened", "ticket", rec, cust, opened, cr.u, cr.role, 0, 0, attr, nil); err != nil {
					return err
				}
			}
			if r.IntN(10) < 9 {
				resp := opened + int64(r.IntN(48*3600000))
				for _, cr := range roles {
					if err := add("ticket.first_response", "ticket", rec, cust, resp, cr.u, cr.role, 0, (resp-opened)/1000, attr, opened); err != nil {
						return err
					}
				}
				if r.IntN(10) < 8 {
					res := resp + int64(r.IntN(20*86400000))
					cost := int64(r.IntN(50)) * 10000
					for _, cr := range roles {
						if err := add("ticket.resolved", "ticket", rec, cust, res, cr.u, cr.role, cost, (res-opened)/1000, attr, opened); err != nil {
							return err
						}
					}
				}
			}
		}
		reasons := []string{"price", "service", "competitor"}
		for c := 0; c < 5000; c++ {
			cust := int64(100000 + c*10)
			at := (first+int64(r.IntN(days)))*86400000 + 3600000
			if err := add("customer.lost", "customer", cust, cust, at, r.IntN(benchUsers), "owner", 0, 0, reasons[r.IntN(3)], nil); err != nil {
				return err
			}
		}
		if err := flush(); err != nil {
			return err
		}
		return factledger.RebuildRollups(ctx, tx, tenant)
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Analyze(ctx); err != nil {
		b.Fatal(err)
	}
}
