package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	factledger "github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
)

// The hand-checked dataset: tenant 1, fiscal year from April, first
// quarter 2026. Departments: Sales (10) with East (11) and West (12);
// Service (20). People: Ann (101, East, manages Bob), Bob (102, East until
// 2026-02-01, West since: his January facts carry East), Cat (103, presales,
// West), Dan (104, Service). Customers C1 (201, SMB, retail, Zhejiang), C2
// (202, KA, Jiangsu, co-owned Ann 60 % / Bob 40 %, Cat presales), C3 (203,
// SMB, Jiangsu, Bob).
const (
	tenant = 1
	ann    = 101
	bob    = 102
	cat    = 103
	dan    = 104
	c1     = 201
	c2     = 202
	c3     = 203
	east   = 11
	west   = 12
	sales  = 10
	svc    = 20
)

type fact struct {
	kind, date     string
	src            string // source and record type
	rec            int64
	cust, user     int64
	role           string
	share          int
	dept           int64
	amount, dur, n int64
	attr, stage    string
	ref            string // ref_at date, "" for none
	product        int64
	recType        string // when it differs from src
	process        int64
}

func day(s string) int64 {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t.Unix() / 86400
}

// at is a business time: 10:00 on the date (the same hour for every fact,
// so that spans are whole days).
func at(s string) int64 { return day(s)*86400000 + 2*3600000 }

// team returns one fact per member: (user, role, share, dept).
func team(f fact, members ...[4]any) []fact {
	var out []fact
	for _, m := range members {
		g := f
		g.user, g.role, g.share, g.dept = int64(m[0].(int)), m[1].(string), m[2].(int), int64(m[3].(int))
		out = append(out, g)
	}
	return out
}

func one(user int, role string, dept int) [4]any { return [4]any{user, role, 10000, dept} }

func facts() []fact {
	var fs []fact
	add := func(f ...fact) { fs = append(fs, f...) }
	// Leads.
	add(fact{kind: "lead.created", date: "2026-01-05", src: "lead", rec: 1, user: ann, role: "owner", share: 10000, dept: east, attr: "web"},
		fact{kind: "lead.created", date: "2026-01-10", src: "lead", rec: 2, user: ann, role: "owner", share: 10000, dept: east, attr: "fair"},
		fact{kind: "lead.created", date: "2026-02-03", src: "lead", rec: 3, user: bob, role: "owner", share: 10000, dept: west, attr: "web"},
		fact{kind: "lead.converted", date: "2026-01-20", src: "lead", rec: 1, user: ann, role: "owner", share: 10000, dept: east})
	// Customers.
	add(team(fact{kind: "customer.created", date: "2026-01-06", src: "customer", rec: c1, cust: c1}, one(ann, "owner", east))...)
	add(team(fact{kind: "customer.created", date: "2026-01-15", src: "customer", rec: c2, cust: c2},
		[4]any{ann, "owner", 6000, east}, [4]any{bob, "owner", 4000, east}, one(cat, "presales", west))...)
	add(team(fact{kind: "customer.created", date: "2026-02-10", src: "customer", rec: c3, cust: c3}, one(bob, "owner", west))...)
	add(team(fact{kind: "customer.first_signed", date: "2026-02-01", src: "customer", rec: c1, cust: c1, amount: 100000, n: 4, ref: "2026-01-06"},
		one(ann, "owner", east))...)
	add(team(fact{kind: "customer.first_signed", date: "2026-03-01", src: "customer", rec: c2, cust: c2, amount: 300000, n: 6, ref: "2026-01-11"},
		[4]any{ann, "owner", 6000, east}, [4]any{bob, "owner", 4000, west}, one(cat, "presales", west))...)
	add(team(fact{kind: "customer.lost", date: "2026-03-20", src: "customer", rec: c3, cust: c3, attr: "no budget"}, one(bob, "owner", west))...)
	// Opportunities: O1 (301) won, O2 (302) still in proposal, O3 (303)
	// lost, O4 (304) invalid.
	o1 := func(k, d string, amount, dur int64, stage, ref string) []fact {
		return team(fact{kind: k, date: d, src: "opportunity", rec: 301, cust: c1, amount: amount, dur: dur, stage: stage, ref: ref, process: 401}, one(ann, "owner", east))
	}
	add(o1("opportunity.created", "2026-01-07", 500000, 0, "qualify", "")...)
	add(o1("opportunity.stage_entered", "2026-01-07", 500000, 10*86400, "qualify", "2026-01-17")...)
	add(o1("opportunity.stage_entered", "2026-01-17", 500000, 20*86400, "proposal", "2026-02-06")...)
	add(o1("opportunity.won", "2026-02-06", 500000, 30*86400, "proposal", "2026-01-07")...)
	o2 := func(k, d string, dur int64, stage, ref string, bobDept int) []fact {
		return team(fact{kind: k, date: d, src: "opportunity", rec: 302, cust: c2, amount: 1000000, dur: dur, stage: stage, ref: ref, process: 401},
			[4]any{ann, "owner", 6000, east}, [4]any{bob, "owner", 4000, bobDept})
	}
	add(o2("opportunity.created", "2026-01-20", 0, "qualify", "", east)...)
	add(o2("opportunity.stage_entered", "2026-01-20", 30*86400, "qualify", "2026-02-19", east)...)
	add(o2("opportunity.stage_entered", "2026-02-19", 0, "proposal", "", west)...)
	o3 := func(k, d string, dur int64, attr, ref string) []fact {
		return team(fact{kind: k, date: d, src: "opportunity", rec: 303, cust: c3, amount: 200000, dur: dur, stage: "qualify", attr: attr, ref: ref, process: 401},
			one(bob, "owner", west))
	}
	add(o3("opportunity.created", "2026-02-12", 0, "", "")...)
	add(o3("opportunity.stage_entered", "2026-02-12", 18*86400, "", "2026-03-02")...)
	add(o3("opportunity.lost", "2026-03-02", 18*86400, "price", "2026-02-12")...)
	add(team(fact{kind: "opportunity.created", date: "2026-03-05", src: "opportunity", rec: 304, cust: c3, amount: 50000, stage: "qualify", process: 401}, one(bob, "owner", west))...)
	add(team(fact{kind: "opportunity.invalid", date: "2026-03-10", src: "opportunity", rec: 304, cust: c3, amount: 50000, stage: "qualify", process: 401}, one(bob, "owner", west))...)
	add(fact{kind: "quote.sent", date: "2026-01-25", src: "quote", rec: 701, cust: c1, user: ann, role: "owner", share: 10000, dept: east, amount: 500000})
	// Money: contract K1 (501, C1, Ann), order R1 (502, C2, Ann 60 / Bob 40,
	// Cat presales); K2 (503) a year before, K3 (504) the quarter before.
	k1 := func(k, d string, amount, n int64, attr string, product int64) []fact {
		return team(fact{kind: k, date: d, src: "contract", rec: 501, cust: c1, amount: amount, n: n, attr: attr, product: product, process: 401}, one(ann, "owner", east))
	}
	add(k1("contract.signed", "2026-02-01", 100000, 1, "", 0)...)
	add(k1("contract.line", "2026-02-01", 60000, 3, "", 601)...)
	add(k1("contract.line", "2026-02-01", 40000, 1, "", 602)...)
	add(k1("payment.planned", "2026-03-01", 50000, 1, "", 0)...)
	add(k1("payment.received", "2026-02-15", 50000, 1, "", 0)...)
	add(k1("payment.received", "2026-03-10", -10000, 1, "reversal", 0)...)
	add(k1("invoice.issued", "2026-02-20", 100000, 1, "", 0)...)
	r1 := func(k, d string, amount, n int64, product int64) []fact {
		return team(fact{kind: k, date: d, src: "order", rec: 502, cust: c2, amount: amount, n: n, product: product, process: 401},
			[4]any{ann, "owner", 6000, east}, [4]any{bob, "owner", 4000, west}, one(cat, "presales", west))
	}
	add(r1("order.signed", "2026-03-01", 300000, 1, 0)...)
	add(r1("order.line", "2026-03-01", 300000, 10, 601)...)
	add(r1("payment.received", "2026-03-15", 100000, 1, 0)...)
	add(r1("invoice.issued", "2026-03-20", 300000, 1, 0)...)
	add(team(fact{kind: "contract.signed", date: "2025-03-15", src: "contract", rec: 503, cust: c1, amount: 80000}, one(ann, "owner", east))...)
	add(team(fact{kind: "contract.signed", date: "2025-12-10", src: "contract", rec: 504, cust: c1, amount: 50000}, one(ann, "owner", east))...)
	// Follow-ups, credited to their author.
	fu := func(id int64, d string, user, dept int, cust int64, typ string, dur int64) fact {
		return fact{kind: "followup.done", date: d, src: "followup", rec: id, cust: cust, user: int64(user), role: "author", share: 10000, dept: int64(dept), attr: typ, dur: dur}
	}
	add(fu(901, "2026-01-08", ann, east, c1, "call", 300), fu(902, "2026-01-09", ann, east, c2, "call", 90), fu(903, "2026-01-12", ann, east, c1, "visit", 0),
		fu(904, "2026-02-02", ann, east, c1, "sms", 0), fu(905, "2026-02-05", bob, west, c3, "call", 600), fu(906, "2026-03-03", bob, west, c2, "visit", 0),
		fu(907, "2026-02-10", cat, west, c2, "proposal_sent", 0))
	// Tickets of Dan: T1 (801) a complaint resolved in two days, T2 (802)
	// resolved after the quarter.
	t1 := func(k, d string, amount, dur int64) []fact {
		return team(fact{kind: k, date: d, src: "ticket", rec: 801, cust: c1, amount: amount, dur: dur, attr: "complaint"}, one(dan, "owner", svc))
	}
	add(t1("ticket.opened", "2026-02-03", 0, 0)...)
	add(t1("ticket.first_response", "2026-02-03", 0, 7200)...)
	add(t1("ticket.resolved", "2026-02-05", 20000, 2*86400)...)
	t2 := func(k, d string, amount, dur int64) []fact {
		return team(fact{kind: k, date: d, src: "ticket", rec: 802, cust: c2, amount: amount, dur: dur, attr: "request"}, one(dan, "owner", svc))
	}
	add(t2("ticket.opened", "2026-03-25", 0, 0)...)
	add(t2("ticket.first_response", "2026-03-25", 0, 4*3600)...)
	add(t2("ticket.resolved", "2026-04-02", 0, 8*86400)...)
	return fs
}

// load writes the organisation, customers, products and facts.
func load(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	now := int64(1767225600000)
	err := db.WriteTx(ctx, func(tx *store.Tx) error {
		stmts := []struct {
			q    string
			args []any
		}{
			{"INSERT INTO tenants (id, name, slug, time_zone, fiscal_year_start_month, currency, locale, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
				[]any{tenant, "Acme", "acme", "Asia/Shanghai", 4, "CNY", "zh-CN", now, now}},
		}
		for i, r := range []string{"owner", "presales"} {
			stmts = append(stmts, struct {
				q    string
				args []any
			}{"INSERT INTO business_roles (tenant_id, id, key, name_zh, name_en, created_at, updated_at) VALUES (?,?,?,?,?,?,?)",
				[]any{tenant, 50 + i, r, r + "角色", strings.ToUpper(r[:1]) + r[1:], now, now}})
		}
		for _, d := range []struct {
			id, parent int
			name, path string
			depth      int
		}{{sales, 0, "Sales", "/10/", 0}, {east, sales, "East", "/10/11/", 1}, {west, sales, "West", "/10/12/", 1}, {svc, 0, "Service", "/20/", 0}} {
			var parent any
			if d.parent != 0 {
				parent = d.parent
			}
			stmts = append(stmts, struct {
				q    string
				args []any
			}{"INSERT INTO departments (tenant_id, id, name, parent_id, path, depth, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
				[]any{tenant, d.id, d.name, parent, d.path, d.depth, now, now}})
		}
		for _, u := range []struct {
			id, dept, manager int
			name              string
		}{{ann, east, 0, "Ann"}, {bob, west, ann, "Bob"}, {cat, west, 0, "Cat"}, {dan, svc, 0, "Dan"}} {
			var manager any
			if u.manager != 0 {
				manager = u.manager
			}
			stmts = append(stmts, struct {
				q    string
				args []any
			}{"INSERT INTO users (tenant_id, id, email, name, department_id, manager_id, status, locale, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
				[]any{tenant, u.id, u.name + "@acme.test", u.name, u.dept, manager, "active", "en", now, now}})
		}
		for _, c := range []struct {
			id                                  int
			name, segment, industry, prov, grad string
		}{{c1, "C1", "SMB", "retail", "Zhejiang", "A"}, {c2, "C2", "KA", "energy", "Jiangsu", "A"}, {c3, "C3", "SMB", "retail", "Jiangsu", "B"}} {
			stmts = append(stmts, struct {
				q    string
				args []any
			}{"INSERT INTO customers (tenant_id, id, name, name_key, segment, industry, province, grade, currency, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
				[]any{tenant, c.id, c.name, c.name, c.segment, c.industry, c.prov, c.grad, "CNY", now, now}})
		}
		stmts = append(stmts, struct {
			q    string
			args []any
		}{"INSERT INTO product_categories (tenant_id, id, name, created_at) VALUES (?,?,?,?)", []any{tenant, 650, "Hardware", now}})
		for _, p := range []struct {
			id       int
			name     string
			category any
		}{{601, "Widget", 650}, {602, "Gadget", nil}} {
			stmts = append(stmts, struct {
				q    string
				args []any
			}{"INSERT INTO products (tenant_id, id, code, name, category_id, currency, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
				[]any{tenant, p.id, p.name, p.name, p.category, "CNY", now, now}})
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return err
			}
		}
		for i, f := range facts() {
			if err := insertFact(ctx, tx, int64(i+1), f); err != nil {
				return err
			}
		}
		return factledger.RebuildRollups(ctx, tx, tenant)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func insertFact(ctx context.Context, q store.Queryer, id int64, f fact) error {
	nullable := func(v int64) any {
		if v == 0 {
			return nil
		}
		return v
	}
	var ref any
	if f.ref != "" {
		ref = at(f.ref)
	}
	n := f.n
	if n == 0 {
		n = 1
	}
	rt := f.recType
	if rt == "" {
		rt = f.src
	}
	_, err := q.ExecContext(ctx, `INSERT INTO facts (tenant_id, id, kind, occurred_at, day, source_type, source_id, record_type, record_id, customer_id,
		user_id, role, share_bp, department_id, amount, currency, duration_s, n, product_id, process_id, stage, attr, ref_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		tenant, id, f.kind, at(f.date), day(f.date), f.src, f.rec, rt, f.rec, nullable(f.cust), nullable(f.user), f.role, f.share, nullable(f.dept),
		f.amount, "CNY", f.dur, n, nullable(f.product), nullable(f.process), f.stage, f.attr, ref)
	return err
}
