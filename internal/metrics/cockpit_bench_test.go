package metrics_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	factledger "github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// The sales-management cockpit of the benchmark: ten KPI cards (a quarter
// with the previous one), a monthly trend over a year and a per-person
// table over the quarter — each widget one metric query, as the cockpit
// page asks them.
var (
	cockpitKPIs = []string{"signed_amount", "signed_count", "payments_collected", "new_customers", "new_opportunities", "new_opportunity_value",
		"followups", "calls", "call_minutes", "sms"}
	cockpitTrend  = []string{"signed_amount", "payments_collected"}
	cockpitPeople = []string{"signed_amount", "signed_count", "payments_collected", "calls", "call_minutes", "new_opportunity_value"}
)

func cockpitQueries() []metrics.Query {
	var qs []metrics.Query
	for _, m := range cockpitKPIs {
		qs = append(qs, metrics.Query{Metrics: []string{m}, From: "2026-01-01", To: "2026-04-01", Compare: []string{"previous"}})
	}
	qs = append(qs, metrics.Query{Metrics: cockpitTrend, Dimensions: []string{"month"}, From: "2025-01-01", To: "2026-01-01"})
	qs = append(qs, metrics.Query{Metrics: cockpitPeople, Dimensions: []string{"person"}, From: "2026-01-01", To: "2026-04-01"})
	return qs
}

// genCockpit loads n facts like genFacts, and for the kinds the cockpit
// reads also the source records a hand-written report would query:
// follow-ups, contracts and orders, payments, customers and opportunities,
// each with its fact (the same person, day and amount). Then it sums the
// rollups in SQL.
func genCockpit(b testing.TB, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	genFacts(b, db, 0) // the tenant, its organisation and 50,000 customers
	r := rand.New(rand.NewPCG(3, 4))
	now := int64(1767225600000)
	if err := db.WriteTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO sales_processes (tenant_id, id, key, name_zh, name_en, stages, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
			tenant, 77, "default", "默认", "Default", "[]", now, now)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	pick := kindPicker()
	first, days := day("2024-01-01"), int(day("2027-01-01")-day("2024-01-01"))
	types := []string{"call", "call", "call", "visit", "sms", "wechat", "email"}
	stages := []string{"qualify", "needs", "proposal", "negotiate"}
	factCols := []string{"tenant_id", "id", "kind", "occurred_at", "day", "source_type", "source_id", "record_type", "record_id", "customer_id",
		"user_id", "role", "share_bp", "department_id", "amount", "currency", "duration_s", "n", "stage", "attr", "ref_at"}
	type deal struct{ id, owner int64 }
	var deals []deal
	id := int64(10_000_000)
	const chunk = 100000
	for start := 0; start < n; start += chunk {
		var fs, fus, ds, ps, cs, opps [][]any
		for i := start; i < min(n, start+chunk); i++ {
			k := pick(r)
			d := first + int64(r.IntN(days))
			u := int64(1 + r.IntN(benchUsers))
			dept := benchDept(int(u - 1))
			at := d*86400000 + 3600000 // 09:00 in Shanghai
			cust := int64(100000 + r.IntN(benchCustomers))
			role, share, attr, stage := "owner", 10000, "", ""
			var amount, dur int64
			var ref any
			id++
			rec := id
			src, _, _ := cutKind(k)
			switch k {
			case "followup.done":
				role, attr = "author", types[r.IntN(len(types))]
				if attr == "call" {
					dur = int64(r.IntN(900))
				}
				fus = append(fus, []any{tenant, rec, cust, attr, "out", at, dur, u, dept, at})
			case "contract.signed", "order.signed":
				amount = int64(1+r.IntN(100)) * 100000
				kind := src
				ds = append(ds, []any{tenant, rec, kind, kind + strconv.FormatInt(rec, 10), "D", cust, "signed", "CNY", amount, amount, at, u, dept, at, at})
				deals = append(deals, deal{rec, u})
			case "payment.received":
				if len(deals) == 0 {
					continue
				}
				dl := deals[r.IntN(len(deals))]
				u, dept = dl.owner, benchDept(int(dl.owner-1))
				amount = int64(1+r.IntN(50)) * 10000
				src = "contract"
				ps = append(ps, []any{tenant, rec, dl.id, fmtDay(d), amount, "CNY", "transfer", at})
			case "customer.created":
				cust = rec
				cs = append(cs, []any{tenant, rec, "N" + strconv.FormatInt(rec, 10), "n" + strconv.FormatInt(rec, 10), "CNY", u, dept, at, at})
			case "opportunity.created":
				amount = int64(1+r.IntN(100)) * 100000
				opps = append(opps, []any{tenant, rec, cust, 77, "qualify", "O", amount, "CNY", u, dept, at, at})
			case "opportunity.stage_entered":
				stage = stages[r.IntN(len(stages))]
				dur = int64(r.IntN(40)) * 86400
				ref = (d+dur/86400)*86400000 + 3600000
			case "customer.first_signed":
				amount, ref = int64(r.IntN(100))*100000, (d-int64(r.IntN(120)))*86400000
			default:
				amount = int64(r.IntN(100)) * 100000
				if r.IntN(10) == 0 {
					role = "presales"
				}
			}
			fs = append(fs, []any{tenant, id, k, at, d, src, rec, src, rec, cust, u, role, share, dept, amount, "CNY", dur, 1, stage, attr, ref})
		}
		err := db.BulkTx(ctx, func(tx *store.Tx) error {
			for _, t := range []struct {
				table string
				cols  []string
				rows  [][]any
			}{
				{"customers", []string{"tenant_id", "id", "name", "name_key", "currency", "owner_id", "department_id", "created_at", "updated_at"}, cs},
				{"followups", []string{"tenant_id", "id", "customer_id", "type", "direction", "occurred_at", "duration_s", "author_id", "department_id", "created_at"}, fus},
				{"deals", []string{"tenant_id", "id", "kind", "number", "name", "customer_id", "status", "currency", "subtotal", "total", "signed_at", "owner_id",
					"department_id", "created_at", "updated_at"}, ds},
				{"payments", []string{"tenant_id", "id", "deal_id", "received_date", "amount", "currency", "method", "created_at"}, ps},
				{"opportunities", []string{"tenant_id", "id", "customer_id", "process_id", "stage", "name", "amount", "currency", "owner_id", "department_id",
					"created_at", "updated_at"}, opps},
				{"facts", factCols, fs},
			} {
				if err := store.BulkInsert(ctx, tx, t.table, t.cols, t.rows); err != nil {
					return fmt.Errorf("%s: %w", t.table, err)
				}
			}
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

func cutKind(k string) (string, string, bool) {
	for i := range k {
		if k[i] == '.' {
			return k[:i], k[i+1:], true
		}
	}
	return k, "", false
}

func fmtDay(d int64) string { return time.Unix(d*86400, 0).UTC().Format("2006-01-02") }

// handCockpit computes the cockpit's figures with the SQL a user would
// write over the source tables (no facts, no rollups) and returns them.
func handCockpit(ctx context.Context, db *store.DB) (map[string]float64, error) {
	q := db.Read()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	ms := func(s string) int64 {
		t, _ := time.ParseInLocation("2006-01-02", s, loc)
		return t.UnixMilli()
	}
	out := map[string]float64{}
	one := func(key, sql string, args ...any) error {
		var v *float64
		if err := q.QueryRowContext(ctx, sql, args...).Scan(&v); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if v != nil {
			out[key] = *v
		}
		return nil
	}
	num := "CAST(%s AS DOUBLE PRECISION)"
	if db.Engine == store.SQLite {
		num = "CAST(%s AS REAL)"
	}
	f := func(x string) string { return fmt.Sprintf(num, x) }
	for _, p := range [][2]string{{"2026-01-01", "2026-04-01"}, {"2025-10-01", "2026-01-01"}} {
		from, to := ms(p[0]), ms(p[1])
		for _, s := range []struct{ key, sql string }{
			{"signed_amount", "SELECT " + f("sum(total)") + " FROM deals WHERE tenant_id = ? AND kind IN ('contract', 'order') AND status = 'signed' AND signed_at >= ? AND signed_at < ?"},
			{"signed_count", "SELECT " + f("count(*)") + " FROM deals WHERE tenant_id = ? AND kind IN ('contract', 'order') AND status = 'signed' AND signed_at >= ? AND signed_at < ?"},
			{"new_customers", "SELECT " + f("count(*)") + " FROM customers WHERE tenant_id = ? AND created_at >= ? AND created_at < ?"},
			{"new_opportunities", "SELECT " + f("count(*)") + " FROM opportunities WHERE tenant_id = ? AND created_at >= ? AND created_at < ?"},
			{"new_opportunity_value", "SELECT " + f("sum(amount)") + " FROM opportunities WHERE tenant_id = ? AND created_at >= ? AND created_at < ?"},
			{"followups", "SELECT " + f("count(*)") + " FROM followups WHERE tenant_id = ? AND occurred_at >= ? AND occurred_at < ?"},
			{"calls", "SELECT " + f("count(*)") + " FROM followups WHERE tenant_id = ? AND type = 'call' AND occurred_at >= ? AND occurred_at < ?"},
			{"call_minutes", "SELECT " + f("sum(duration_s)") + " / 60.0 FROM followups WHERE tenant_id = ? AND type = 'call' AND occurred_at >= ? AND occurred_at < ?"},
			{"sms", "SELECT " + f("count(*)") + " FROM followups WHERE tenant_id = ? AND type = 'sms' AND occurred_at >= ? AND occurred_at < ?"},
		} {
			if err := one(p[0]+"/"+s.key, s.sql, tenant, from, to); err != nil {
				return nil, err
			}
		}
		if err := one(p[0]+"/payments_collected", "SELECT "+f("sum(amount)")+" FROM payments WHERE tenant_id = ? AND received_date >= ? AND received_date < ?",
			tenant, p[0], p[1]); err != nil {
			return nil, err
		}
	}
	// The monthly trend over 2025.
	month := "strftime('%Y-%m', occurred_at / 1000 + 8 * 3600, 'unixepoch')"
	if db.Engine == store.Postgres {
		month = "to_char(to_timestamp(occurred_at / 1000) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
	}
	group := func(prefix, sql string, args ...any) error {
		rows, err := q.QueryContext(ctx, sql, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", prefix, err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var v float64
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			out[prefix+"/"+k] += v
		}
		return rows.Err()
	}
	from, to := ms("2025-01-01"), ms("2026-01-01")
	if err := group("trend/signed_amount", "SELECT "+replaceCol(month, "signed_at")+", "+f("sum(total)")+
		" FROM deals WHERE tenant_id = ? AND kind IN ('contract', 'order') AND status = 'signed' AND signed_at >= ? AND signed_at < ? GROUP BY 1",
		tenant, from, to); err != nil {
		return nil, err
	}
	if err := group("trend/payments_collected", "SELECT substr(received_date, 1, 7), "+f("sum(amount)")+
		" FROM payments WHERE tenant_id = ? AND received_date >= '2025-01-01' AND received_date < '2026-01-01' GROUP BY 1", tenant); err != nil {
		return nil, err
	}
	// The per-person table over the quarter.
	from, to = ms("2026-01-01"), ms("2026-04-01")
	owner := "CAST(owner_id AS TEXT)"
	for _, s := range []struct {
		key, sql string
		args     []any
	}{
		{"people/signed", "SELECT " + owner + " || '/' || 'signed_amount', " + f("sum(total)") + " FROM deals WHERE tenant_id = ? AND kind IN ('contract', 'order') AND status = 'signed' AND signed_at >= ? AND signed_at < ? GROUP BY owner_id",
			[]any{tenant, from, to}},
		{"people/signed", "SELECT " + owner + " || '/' || 'signed_count', " + f("count(*)") + " FROM deals WHERE tenant_id = ? AND kind IN ('contract', 'order') AND status = 'signed' AND signed_at >= ? AND signed_at < ? GROUP BY owner_id",
			[]any{tenant, from, to}},
		{"people/paid", "SELECT CAST(d.owner_id AS TEXT) || '/' || 'payments_collected', " + f("sum(p.amount)") + " FROM payments p JOIN deals d ON d.tenant_id = p.tenant_id AND d.id = p.deal_id WHERE p.tenant_id = ? AND p.received_date >= '2026-01-01' AND p.received_date < '2026-04-01' GROUP BY d.owner_id",
			[]any{tenant}},
		{"people/calls", "SELECT CAST(author_id AS TEXT) || '/' || 'calls', " + f("count(*)") + " FROM followups WHERE tenant_id = ? AND type = 'call' AND occurred_at >= ? AND occurred_at < ? GROUP BY author_id",
			[]any{tenant, from, to}},
		{"people/minutes", "SELECT CAST(author_id AS TEXT) || '/' || 'call_minutes', " + f("sum(duration_s)") + " / 60.0 FROM followups WHERE tenant_id = ? AND type = 'call' AND occurred_at >= ? AND occurred_at < ? GROUP BY author_id",
			[]any{tenant, from, to}},
		{"people/opps", "SELECT " + owner + " || '/' || 'new_opportunity_value', " + f("sum(amount)") + " FROM opportunities WHERE tenant_id = ? AND created_at >= ? AND created_at < ? GROUP BY owner_id",
			[]any{tenant, from, to}},
	} {
		if err := group("people", s.sql, s.args...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func replaceCol(s, col string) string {
	const from = "occurred_at"
	for i := 0; i+len(from) <= len(s); i++ {
		if s[i:i+len(from)] == from {
			return s[:i] + col + replaceCol(s[i+len(from):], col)
		}
	}
	return s
}

// memFacts are the facts the cockpit reads, in memory, by day: the
// practical limit of answering it.
type memFacts struct {
	day      []int32
	kind     []uint8
	user     []int32
	attr     []uint8
	amount   []int64 // amount × share_bp
	duration []int32
}

var memKinds = []string{"contract.signed", "order.signed", "payment.received", "customer.created", "opportunity.created", "followup.done"}

func loadMem(b testing.TB, db *store.DB) *memFacts {
	rows, err := db.Read().QueryContext(context.Background(), `SELECT day, kind, user_id, attr, amount * share_bp, duration_s FROM facts
		WHERE tenant_id = ? AND kind IN ('contract.signed', 'order.signed', 'payment.received', 'customer.created', 'opportunity.created', 'followup.done')
		ORDER BY day`, tenant)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	m := &memFacts{}
	for rows.Next() {
		var d, u, dur int64
		var k, a string
		var amt int64
		if err := rows.Scan(&d, &k, &u, &a, &amt, &dur); err != nil {
			b.Fatal(err)
		}
		at := uint8(0)
		switch a {
		case "call":
			at = 1
		case "sms":
			at = 2
		}
		m.day = append(m.day, int32(d))
		m.kind = append(m.kind, uint8(slices.Index(memKinds, k)))
		m.user = append(m.user, int32(u))
		m.attr = append(m.attr, at)
		m.amount = append(m.amount, amt)
		m.duration = append(m.duration, int32(dur))
	}
	return m
}

// cockpit computes the cockpit in a plain Go loop: each widget scans the
// days of its periods.
func (m *memFacts) cockpit() float64 {
	span := func(from, to string) (int, int) {
		a, b := int32(day(from)), int32(day(to))
		i, _ := slices.BinarySearch(m.day, a)
		j, _ := slices.BinarySearch(m.day, b)
		return i, j
	}
	sink := 0.0
	var kpi [10]float64
	for _, p := range [][2]string{{"2026-01-01", "2026-04-01"}, {"2025-10-01", "2026-01-01"}} {
		for w := range cockpitKPIs {
			i, j := span(p[0], p[1])
			v := 0.0
			for ; i < j; i++ {
				k := m.kind[i]
				switch w {
				case 0:
					if k <= 1 {
						v += float64(m.amount[i])
					}
				case 1:
					if k <= 1 {
						v++
					}
				case 2:
					if k == 2 {
						v += float64(m.amount[i])
					}
				case 3:
					if k == 3 {
						v++
					}
				case 4:
					if k == 4 {
						v++
					}
				case 5:
					if k == 4 {
						v += float64(m.amount[i])
					}
				case 6:
					if k == 5 {
						v++
					}
				case 7:
					if k == 5 && m.attr[i] == 1 {
						v++
					}
				case 8:
					if k == 5 && m.attr[i] == 1 {
						v += float64(m.duration[i])
					}
				case 9:
					if k == 5 && m.attr[i] == 2 {
						v++
					}
				}
			}
			kpi[w] = v
		}
		sink += kpi[0]
	}
	// Trend: by month over 2025.
	var months [12][2]float64
	i, j := span("2025-01-01", "2026-01-01")
	for ; i < j; i++ {
		if k := m.kind[i]; k <= 2 {
			mo := time.Unix(int64(m.day[i])*86400, 0).UTC().Month() - 1
			months[mo][k/2] += float64(m.amount[i])
		}
	}
	// People over the quarter.
	people := make([][6]float64, benchUsers+1)
	i, j = span("2026-01-01", "2026-04-01")
	for ; i < j; i++ {
		p := &people[m.user[i]]
		switch k := m.kind[i]; {
		case k <= 1:
			p[0] += float64(m.amount[i])
			p[1]++
		case k == 2:
			p[2] += float64(m.amount[i])
		case k == 4:
			p[5] += float64(m.amount[i])
		case k == 5 && m.attr[i] == 1:
			p[3]++
			p[4] += float64(m.duration[i])
		}
	}
	return sink + months[0][0] + people[1][0]
}

// BenchmarkCockpit measures the sales-management cockpit (cockpitQueries)
// over COHORT_BENCH_FACTS (default 1,000,000) generated facts, on SQLite
// (and PostgreSQL with COHORT_BENCH_POSTGRES=1), in rounds of four: the
// engine as it runs (rollups), the engine on the facts alone, the
// hand-written SQL over the source tables, and a Go loop over the facts in
// memory. It reports the median and p95 of each, and the ratios of the
// medians. COHORT_BENCH_DB keeps the SQLite database in that file and
// reuses it when it holds the facts already.
func BenchmarkCockpit(b *testing.B) {
	n, engines := benchSize()
	rounds := 20
	if s := os.Getenv("COHORT_BENCH_ROUNDS"); s != "" {
		rounds, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	for _, e := range engines {
		b.Run(string(e), func(b *testing.B) {
			var db *store.DB
			if path := os.Getenv("COHORT_BENCH_DB"); path != "" && e == store.SQLite {
				var err error
				if db, err = store.Open(ctx, path, store.Options{Synchronous: "NORMAL"}); err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				if _, err := db.Migrate(ctx, nil); err != nil {
					b.Fatal(err)
				}
			} else {
				db = storetest.Open(b, e)
			}
			var have int
			_ = db.Read().QueryRowContext(ctx, "SELECT count(*) FROM facts WHERE tenant_id = ?", tenant).Scan(&have)
			if have == 0 {
				t0 := time.Now()
				genCockpit(b, db, n)
				b.Logf("%s: %d facts with their source records loaded in %s", e, n, time.Since(t0).Round(time.Second))
			}
			var rolled int
			_ = db.Read().QueryRowContext(ctx, "SELECT count(*) FROM facts_daily WHERE tenant_id = ?", tenant).Scan(&rolled)
			if rolled == 0 {
				// A load stopped before its end keeps the chunks it committed.
				if err := db.WriteTx(ctx, func(tx *store.Tx) error { return factledger.RebuildRollups(ctx, tx, tenant) }); err != nil {
					b.Fatal(err)
				}
				if err := db.Analyze(ctx); err != nil {
					b.Fatal(err)
				}
			}
			var facts, daily, monthly int
			_ = db.Read().QueryRowContext(ctx, "SELECT (SELECT count(*) FROM facts), (SELECT count(*) FROM facts_daily), (SELECT count(*) FROM facts_monthly)").
				Scan(&facts, &daily, &monthly)
			b.Logf("%s: %d facts, %d daily rollup rows, %d monthly", e, facts, daily, monthly)
			mem := loadMem(b, db)
			qs := cockpitQueries()
			env := metrics.Env{TenantID: tenant, FiscalYearStartMonth: 1, Lang: "en"}
			cohortRun := func(raw bool) map[string]float64 {
				en := env
				en.RawFacts = raw
				out := map[string]float64{}
				for _, q := range qs {
					res, err := metrics.Run(ctx, db.Read(), en, q)
					if err != nil {
						b.Fatal(err)
					}
					for k, v := range res.Total.Values {
						if v != nil && len(q.Dimensions) == 0 {
							out["2026-01-01/"+k] = *v
						}
					}
					for k, v := range res.Total.Compare["previous"] {
						if v != nil {
							out["2025-10-01/"+k] = *v
						}
					}
				}
				return out
			}
			// Each widget once, for the record.
			for _, q := range qs {
				var line string
				for _, raw := range []bool{false, true} {
					en := env
					en.RawFacts = raw
					t := time.Now()
					if _, err := metrics.Run(ctx, db.Read(), en, q); err != nil {
						b.Fatal(err)
					}
					line += fmt.Sprintf(" raw=%v %.1f ms", raw, float64(time.Since(t).Microseconds())/1000)
				}
				b.Logf("%s widget %v %v:%s", e, q.Metrics, q.Dimensions, line)
			}
			if os.Getenv("COHORT_BENCH_WIDGETS_ONLY") != "" {
				return
			}
			// The figures agree before anything is timed.
			hand, err := handCockpit(ctx, db)
			if err != nil {
				b.Fatal(err)
			}
			got := cohortRun(false)
			for k, v := range got {
				if h := hand[k]; fmt.Sprintf("%.2f", h) != fmt.Sprintf("%.2f", v) {
					b.Errorf("%s: cohort %v, hand-written SQL %v", k, v, h)
				}
			}
			variants := []struct {
				name string
				f    func()
			}{
				{"cohort", func() { cohortRun(false) }},
				{"cohort_facts_only", func() { cohortRun(true) }},
				{"hand_sql_sources", func() {
					if _, err := handCockpit(ctx, db); err != nil {
						b.Fatal(err)
					}
				}},
				{"go_loop_memory", func() { mem.cockpit() }},
			}
			// Wall time, and on SQLite (which runs in this process) the
			// process's CPU time: on a machine shared with other work the
			// CPU time is the steadier figure.
			took := make([][]time.Duration, len(variants))
			cpu := make([][]time.Duration, len(variants))
			b.ResetTimer()
			for round := 0; round < rounds; round++ {
				for i, v := range variants {
					c0 := cpuTime()
					t := time.Now()
					v.f()
					took[i] = append(took[i], time.Since(t))
					cpu[i] = append(cpu[i], cpuTime()-c0)
				}
			}
			b.StopTimer()
			if e == store.SQLite {
				for i, v := range variants {
					slices.Sort(cpu[i])
					b.Logf("%s %-18s CPU median %8.1f ms  p95 %8.1f ms", e, v.name, float64(cpu[i][len(cpu[i])/2].Microseconds())/1000,
						float64(cpu[i][min(len(cpu[i])-1, (len(cpu[i])*95+99)/100-1)].Microseconds())/1000)
				}
			}
			med := make([]float64, len(variants))
			for i, v := range variants {
				slices.Sort(took[i])
				med[i] = float64(took[i][len(took[i])/2].Microseconds()) / 1000
				p95 := float64(took[i][min(len(took[i])-1, (len(took[i])*95+99)/100-1)].Microseconds()) / 1000
				b.ReportMetric(med[i], v.name+"-median-ms")
				b.ReportMetric(p95, v.name+"-p95-ms")
				b.Logf("%s %-18s median %8.1f ms  p95 %8.1f ms", e, v.name, med[i], p95)
			}
			b.Logf("%s cohort ÷ hand-written SQL %.3f, cohort ÷ Go loop %.2f, facts only ÷ rollups %.2f", e, med[0]/med[2], med[0]/med[3], med[1]/med[0])
		})
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
