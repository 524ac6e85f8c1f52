package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// walkedList is a record list that a wide department scope walks in its
// sort's order (store.RecordWalkScope).
type walkedList struct {
	name  string
	obj   cohort.ObjectType
	spec  *store.ListSpec
	table string
	alias string
	run   func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery, walk ...store.Where) ([]cohort.ID, string, error)
}

func ids[T any](items []T, id func(T) cohort.ID) []cohort.ID {
	out := make([]cohort.ID, len(items))
	for i, x := range items {
		out[i] = id(x)
	}
	return out
}

func walkedLists() []walkedList {
	return []walkedList{
		{"customers", cohort.ObjCustomer, store.CustomerList, "customers", "c",
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery, walk ...store.Where) ([]cohort.ID, string, error) {
				cs, next, err := store.ListCustomers(ctx, q, tenant, scope, lq, time.UTC, walk...)
				return ids(cs, func(c *cohort.Customer) cohort.ID { return c.ID }), next, err
			}},
		{"opportunities", cohort.ObjOpportunity, store.OpportunityList, "opportunities", "o",
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery, walk ...store.Where) ([]cohort.ID, string, error) {
				os, next, err := store.ListOpportunities(ctx, q, tenant, scope, lq, time.UTC, walk...)
				return ids(os, func(o *cohort.Opportunity) cohort.ID { return o.ID }), next, err
			}},
		{"contracts", cohort.ObjContract, store.DealList, "deals", "d",
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery, walk ...store.Where) ([]cohort.ID, string, error) {
				ds, next, err := store.ListDeals(ctx, q, tenant, cohort.ObjContract, scope, lq, time.UTC, walk...)
				return ids(ds, func(d *cohort.Deal) cohort.ID { return d.ID }), next, err
			}},
		{"projects", cohort.ObjProject, store.ProjectList, "projects", "j",
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery, walk ...store.Where) ([]cohort.ID, string, error) {
				ps, next, err := store.ListProjects(ctx, q, tenant, scope, lq, time.UTC, walk...)
				return ids(ps, func(p *cohort.Project) cohort.ID { return p.ID }), next, err
			}},
		{"tickets", cohort.ObjTicket, store.TicketList, "tickets", "k",
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery, walk ...store.Where) ([]cohort.ID, string, error) {
				ks, next, err := store.ListTickets(ctx, q, tenant, scope, lq, time.UTC, walk...)
				return ids(ks, func(k *cohort.Ticket) cohort.ID { return k.ID }), next, err
			}},
	}
}

// Departments of seedDepartments: the root 1, a region 2 with its group 3,
// and another region 4. Record i+1 is in region 2 when i%4 is 0, in group 3
// when it is 1, in region 4 otherwise.
const (
	walkTenant, walkAsker cohort.ID = 1, 2
	walkRegion, walkGroup cohort.ID = 2, 3
	walkOther             cohort.ID = 4
	walkRecords                     = 48
	// Records of region 4 with the asker on the team now, no more (ended)
	// and no more (expired); a record of region 2 without a department.
	walkMember, walkLapsed, walkExpired, walkNoDepartment int64 = 7, 8, 11, 17
)

// seedDepartments writes a tenant of 12 people in four departments (the
// asker and another in region 2, three in its group 3) and walkRecords
// records of every walked type spread over the departments, with sort values
// repeated so that the id breaks ties, and team rows of the asker: current
// on record walkMember, ended on walkLapsed, expired on walkExpired.
func seedDepartments(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	tenant := int64(walkTenant)
	err := db.WriteTx(ctx, func(tx *store.Tx) error {
		exec := func(q string, args ...any) error {
			_, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
			return nil
		}
		if err := exec("INSERT INTO tenants (id, name, slug, time_zone, fiscal_year_start_month, currency, locale, created_at, updated_at) VALUES (?, 't', 't', 'UTC', 1, 'CNY', 'zh-CN', 0, 0)", tenant); err != nil {
			return err
		}
		if err := exec("INSERT INTO sales_processes (tenant_id, id, key, name_zh, name_en, stages, created_at, updated_at) VALUES (?, 1, 'k', 'k', 'k', '[]', 0, 0)", tenant); err != nil {
			return err
		}
		if err := exec("INSERT INTO business_roles (tenant_id, id, key, name_zh, name_en, created_at, updated_at) VALUES (?, 1, 'member', 'm', 'm', 0, 0)", tenant); err != nil {
			return err
		}
		for _, d := range []struct {
			id    cohort.ID
			path  string
			depth int
		}{{1, "/1/", 1}, {walkRegion, "/1/2/", 2}, {walkGroup, "/1/2/3/", 3}, {walkOther, "/1/4/", 2}} {
			if err := exec("INSERT INTO departments (tenant_id, id, name, path, depth, created_at, updated_at) VALUES (?, ?, 'd', ?, ?, 0, 0)",
				tenant, int64(d.id), d.path, d.depth); err != nil {
				return err
			}
		}
		// People: the asker and one more in region 2, three in group 3, six
		// in region 4, one in the root.
		depts := []cohort.ID{walkRegion, walkRegion, walkGroup, walkGroup, walkGroup, walkOther, walkOther, walkOther, walkOther, walkOther, walkOther, 1}
		for i, d := range depts {
			if err := exec("INSERT INTO users (tenant_id, id, email, name, status, locale, department_id, created_at, updated_at) VALUES (?, ?, ?, 'u', 'active', 'zh-CN', ?, 0, 0)",
				tenant, int64(walkAsker)+int64(i), fmt.Sprintf("u%d@t.test", i), int64(d)); err != nil {
				return err
			}
		}
		recordDepts := []cohort.ID{walkRegion, walkGroup, walkOther, walkOther}
		for i := range walkRecords {
			id := int64(1 + i)
			dept := any(int64(recordDepts[i%len(recordDepts)]))
			if id == walkNoDepartment {
				dept = nil
			}
			owner := int64(walkAsker) + int64(i%len(depts))
			// Sort values repeat (i%5, i%7, i%3) so that ties are broken by id.
			at := int64(1000 + (i%5)*10)
			day := fmt.Sprintf("2026-0%d-0%d", 1+i%7, 1+i%3)
			name := string(rune('a' + i%6))
			status := []string{"active", "lost", "signed"}[i%3]
			amount := int64((i % 7) * 100)
			number := fmt.Sprintf("N%03d", (i*17)%walkRecords)
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO customers (tenant_id, id, name, name_key, owner_id, department_id, created_by, currency, status, grade, expected_amount,
					expected_sign_date, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'CNY', ?, ?, ?, ?, ?, ?)`,
					[]any{tenant, id, name, name + number, owner, dept, owner, status, name, amount, day, at + int64(i%3), at}},
				{`INSERT INTO opportunities (tenant_id, id, customer_id, process_id, stage, name, amount, currency, owner_id, department_id, created_by,
					status, expected_close_date, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, 'CNY', ?, ?, ?, ?, ?, ?, ?)`,
					[]any{tenant, id, id, name, name, amount, owner, dept, owner, []string{"open", "won", "lost"}[i%3], day, at + int64(i%3), at}},
				{`INSERT INTO deals (tenant_id, id, kind, number, name, customer_id, status, currency, owner_id, department_id, total, signed_date,
					end_date, valid_until, created_at, updated_at) VALUES (?, ?, 'contract', ?, ?, ?, ?, 'CNY', ?, ?, ?, ?, ?, ?, ?, ?)`,
					[]any{tenant, id, number, name, id, []string{"draft", "active", "ended"}[i%3], owner, dept, amount, day, day, day, at + int64(i%3), at}},
				{`INSERT INTO projects (tenant_id, id, number, name, customer_id, status, owner_id, department_id, start_date, due_date, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					[]any{tenant, id, number, name, id, []string{"active", "done", "paused"}[i%3], owner, dept, day, day, at + int64(i%3), at}},
				{`INSERT INTO tickets (tenant_id, id, number, customer_id, kind, priority, status, subject, opened_at, currency, owner_id, department_id,
					created_at, updated_at) VALUES (?, ?, ?, ?, 'repair', ?, ?, 's', ?, 'CNY', ?, ?, ?, ?)`,
					[]any{tenant, id, number, id, []string{"low", "normal", "high"}[i%3], []string{"open", "resolved", "closed"}[i%3], at + int64(i%3), owner, dept, at, at}},
			} {
				if err := exec(q.sql, q.args...); err != nil {
					return err
				}
			}
		}
		team := []struct {
			record          int64
			validTo, expiry any
		}{{walkMember, nil, nil}, {walkLapsed, int64(500), nil}, {walkExpired, nil, int64(1)}}
		teamID := int64(1000)
		for _, obj := range []cohort.ObjectType{cohort.ObjCustomer, cohort.ObjOpportunity, cohort.ObjContract, cohort.ObjProject, cohort.ObjTicket} {
			for _, m := range team {
				teamID++
				if err := exec(`INSERT INTO record_team (tenant_id, id, record_type, record_id, user_id, role_key, access, share_bp, expires_at, valid_from, valid_to)
					VALUES (?, ?, ?, ?, ?, 'member', 'read', 0, ?, 0, ?)`, tenant, teamID, string(obj), m.record, int64(walkAsker), m.expiry, m.validTo); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// walkScopes are the two wide department scopes of the asker.
func walkScopes() []cohort.Access {
	return []cohort.Access{
		{TenantID: walkTenant, Scope: cohort.ScopeDepartment, UserID: walkAsker, DepartmentID: walkRegion},
		{TenantID: walkTenant, Scope: cohort.ScopeDepartmentAndChildren, UserID: walkAsker, DepartmentID: walkRegion, DepartmentPath: "/1/2/"},
	}
}

// sortFields are the sortable fields of spec, in order.
func sortFields(spec *store.ListSpec) []string {
	var out []string
	for name, f := range spec.Fields {
		if f.Sortable {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// TestDepartmentScopeWalkIsTheJoin: for a department and a department-and-
// children scope, every list read by walking its sort's index with the
// scope tested row by row (RecordWalkScope) gives the same pages, cursors
// and totals as the join of RecordScope, for every sort in both directions,
// paging to the end.
func TestDepartmentScopeWalkIsTheJoin(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		seedDepartments(t, db)
		for _, l := range walkedLists() {
			for _, a := range walkScopes() {
				join, err := store.RecordScope(ctx, db.Read(), db.Engine, a, l.obj, l.alias, now)
				if err != nil {
					t.Fatal(err)
				}
				walk, ok, err := store.RecordWalkScope(ctx, db.Read(), db.Engine, a, l.obj, l.alias, now)
				if err != nil || !ok {
					t.Fatalf("%s %s: no walk (%v): 5 of 12 people are in scope", l.name, a.Scope, err)
				}
				for _, f := range sortFields(l.spec) {
					for _, desc := range []bool{false, true} {
						t.Run(fmt.Sprintf("%s %s sort %s desc %v", l.name, a.Scope, f, desc), func(t *testing.T) {
							lq := cohort.ListQuery{Limit: 5, Sort: []cohort.SortKey{{Field: f, Desc: desc}}}
							var seen int
							for page := 0; ; page++ {
								jt, wt := &cohort.Total{}, &cohort.Total{}
								jq, wq := lq, lq
								jq.Total, wq.Total = jt, wt
								jids, jnext, err := l.run(ctx, db.Read(), walkTenant, join, jq)
								if err != nil {
									t.Fatal(err)
								}
								wids, wnext, err := l.run(ctx, db.Read(), walkTenant, join, wq, walk)
								if err != nil {
									t.Fatal(err)
								}
								if !slices.Equal(jids, wids) || jnext != wnext || *jt != *wt {
									t.Fatalf("page %d: join %v %q %+v, walk %v %q %+v", page, jids, jnext, *jt, wids, wnext, *wt)
								}
								seen += len(jids)
								if jnext == "" {
									break
								}
								lq.Cursor = jnext
							}
							// Region 2 holds 12 records (one without a department) and
							// group 3 another 12; the asker is on one team of region 4.
							want := 12 - 1 + 1
							if a.Scope == cohort.ScopeDepartmentAndChildren {
								want = 24 - 1 + 1
							}
							if seen != want {
								t.Fatalf("%d rows in scope, want %d", seen, want)
							}
						})
					}
				}
			}
		}
	})
}

// TestDepartmentScopeWalksTheSortIndex: a wide department scope's page, first
// and next, in every sort of every walked list, reads the sort's index in
// order: no sort of the rows, no scan of the whole table, whatever the
// statistics (on the seed's few rows the join may walk too; at scale M it
// gathers the scope's rows by rowid and sorts them, docs/BENCHMARKS.md).
func TestDepartmentScopeWalksTheSortIndex(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		seedDepartments(t, db)
		a := walkScopes()[1]
		for _, l := range walkedLists() {
			join, err := store.RecordScope(ctx, db.Read(), db.Engine, a, l.obj, l.alias, now)
			if err != nil {
				t.Fatal(err)
			}
			walk, _, err := store.RecordWalkScope(ctx, db.Read(), db.Engine, a, l.obj, l.alias, now)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range sortFields(l.spec) {
				for _, desc := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s sort %s desc %v", l.name, f, desc), func(t *testing.T) {
						lq := cohort.ListQuery{Limit: 2, Sort: []cohort.SortKey{{Field: f, Desc: desc}}}
						for _, page := range []string{"first", "next"} {
							rec := &recorder{Queryer: db.Read()}
							_, next, err := l.run(ctx, rec, walkTenant, join, lq, walk)
							if err != nil {
								t.Fatal(err)
							}
							plan := explain(t, db, rec.query, rec.args)
							if sorts(db.Engine, plan) || fullScan(db.Engine, plan, l.table, l.alias) || !walksIndex(db.Engine, plan, l.table, l.alias) {
								t.Errorf("%s page does not walk the sort's index:\n%s", page, plan)
							}
							if next == "" {
								t.Fatal("no next page: the seed is too small")
							}
							lq.Cursor = next
						}
					})
				}
			}
		}
	})
}

// sorts reports a plan that sorts rows.
func sorts(engine store.Engine, plan string) bool {
	for _, line := range strings.Split(plan, "\n") {
		l := strings.TrimSpace(line)
		if engine == store.SQLite && strings.Contains(l, "TEMP B-TREE FOR") && strings.Contains(l, "ORDER BY") {
			return true
		}
		if step := strings.TrimLeft(l, "-> "); engine == store.Postgres && (strings.HasPrefix(step, "Sort") || strings.HasPrefix(step, "Incremental Sort")) {
			return true
		}
	}
	return false
}

// walksIndex reports a plan that reads table under alias through an index in
// order: on SQLite searched by its tenant in an index, not by rowid from a
// set of rows gathered first; on PostgreSQL by an index scan.
func walksIndex(engine store.Engine, plan, table, alias string) bool {
	for _, line := range strings.Split(plan, "\n") {
		l := strings.TrimLeft(strings.TrimSpace(line), "|`-> ")
		switch engine {
		case store.SQLite:
			if strings.HasPrefix(l, "SEARCH "+alias+" USING INDEX ") || strings.HasPrefix(l, "SEARCH "+alias+" USING COVERING INDEX ") {
				return true
			}
		case store.Postgres:
			if strings.HasPrefix(l, "Index Scan") && strings.Contains(l, " on "+table+" "+alias+" ") {
				return true
			}
		}
	}
	return false
}

// TestRecordWalkScopeRule: only a department scope whose departments hold
// one in ten of the tenant's people or more is walked; a narrower one, and
// every other scope, keeps the join. A list with a filter, a search or a
// custom field's sort is not walked.
func TestRecordWalkScopeRule(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		seedDepartments(t, db)
		for _, c := range []struct {
			a    cohort.Access
			walk bool
		}{
			{walkScopes()[0], true},
			{walkScopes()[1], true},
			// The root holds 1 of 12 people.
			{cohort.Access{TenantID: walkTenant, Scope: cohort.ScopeDepartment, UserID: walkAsker, DepartmentID: 1}, false},
			{cohort.Access{TenantID: walkTenant, Scope: cohort.ScopeDepartmentAndChildren, UserID: walkAsker, DepartmentID: 1, DepartmentPath: "/1/"}, true},
			{cohort.Access{TenantID: walkTenant, Scope: cohort.ScopeDepartment, UserID: walkAsker}, false},
			{cohort.Access{TenantID: walkTenant, Scope: cohort.ScopeOwn, UserID: walkAsker}, false},
			{cohort.Access{TenantID: walkTenant, Scope: cohort.ScopeOwnAndSubordinates, UserID: walkAsker}, false},
			{cohort.Access{TenantID: walkTenant, Scope: cohort.ScopeAll, UserID: walkAsker}, false},
		} {
			w, ok, err := store.RecordWalkScope(ctx, db.Read(), db.Engine, c.a, cohort.ObjCustomer, "c", now)
			if err != nil || ok != c.walk || (w.SQL != "") != c.walk {
				t.Errorf("%s of %d: walk %v %q, %v; want %v", c.a.Scope, c.a.DepartmentID, ok, w.SQL, err, c.walk)
			}
		}
		// Quotes have no team and no walk.
		if _, ok, _ := store.RecordWalkScope(ctx, db.Read(), db.Engine, walkScopes()[1], cohort.ObjQuote, "d", now); ok {
			t.Error("quotes walked")
		}
		for _, c := range []struct {
			lq   cohort.ListQuery
			walk bool
		}{
			{cohort.ListQuery{}, true},
			{cohort.ListQuery{Sort: []cohort.SortKey{{Field: "name"}}}, true},
			{cohort.ListQuery{Q: "a"}, false},
			{cohort.ListQuery{Q: "  "}, true},
			{cohort.ListQuery{Filters: []cohort.Filter{{Field: "status", Op: "eq", Values: []string{"lost"}}}}, false},
			{cohort.ListQuery{Sort: []cohort.SortKey{{Field: "custom.size", Desc: true}}}, false},
		} {
			if got := store.Walkable(c.lq); got != c.walk {
				t.Errorf("Walkable(%+v) = %v", c.lq, got)
			}
		}
	})
}
