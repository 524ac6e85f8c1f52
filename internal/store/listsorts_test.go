package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// sortedList is one list of the API with what it takes to run it in a scope.
type sortedList struct {
	name  string
	spec  *store.ListSpec
	table string // the list's own table, whose full scan the plans must avoid
	alias string
	// scope renders a data scope over the list as its service does.
	scope func(ctx context.Context, db *store.DB, a cohort.Access, now time.Time) (store.Where, error)
	run   func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery) (string, error)
}

func recordScope(obj cohort.ObjectType, alias string) func(context.Context, *store.DB, cohort.Access, time.Time) (store.Where, error) {
	return func(ctx context.Context, db *store.DB, a cohort.Access, now time.Time) (store.Where, error) {
		return store.RecordScope(ctx, db.Read(), db.Engine, a, obj, alias, now)
	}
}

func sortedLists() []sortedList {
	return []sortedList{
		{"customers", store.CustomerList, "customers", "c", recordScope(cohort.ObjCustomer, "c"),
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListCustomers(ctx, q, tenant, scope, lq, time.UTC)
				return next, err
			}},
		{"leads", store.LeadList, "leads", "l", recordScope(cohort.ObjLead, "l"),
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListLeads(ctx, q, tenant, scope, lq, time.UTC)
				return next, err
			}},
		{"opportunities", store.OpportunityList, "opportunities", "o", recordScope(cohort.ObjOpportunity, "o"),
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListOpportunities(ctx, q, tenant, scope, lq, time.UTC)
				return next, err
			}},
		{"follow-ups", store.FollowUpList, "followups", "f",
			func(ctx context.Context, db *store.DB, a cohort.Access, now time.Time) (store.Where, error) {
				return store.RecordIDIn(a, cohort.ObjCustomer, "f.customer_id", now), nil
			},
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListFollowUps(ctx, q, tenant, scope, lq, time.UTC)
				return next, err
			}},
		{"contracts", store.DealList, "deals", "d", recordScope(cohort.ObjContract, "d"),
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListDeals(ctx, q, tenant, cohort.ObjContract, scope, lq, time.UTC)
				return next, err
			}},
		{"projects", store.ProjectList, "projects", "j", recordScope(cohort.ObjProject, "j"),
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListProjects(ctx, q, tenant, scope, lq, time.UTC)
				return next, err
			}},
		{"tickets", store.TicketList, "tickets", "k", recordScope(cohort.ObjTicket, "k"),
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListTickets(ctx, q, tenant, scope, lq, time.UTC)
				return next, err
			}},
		{"expenses", store.ExpenseList, "expenses", "e",
			func(ctx context.Context, db *store.DB, a cohort.Access, now time.Time) (store.Where, error) {
				return store.AccessWhere(a, "e.user_id", "e.department_id"), nil
			},
			func(ctx context.Context, q store.Queryer, tenant cohort.ID, scope store.Where, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListExpenses(ctx, q, tenant, scope, lq, time.UTC)
				return next, err
			}},
	}
}

// TestEverySortIsIndexed walks every sortable field of the record lists, in
// both directions, first page and next, in the "all" scope: each is read
// through an index in order (no full scan, no sort of the tenant). A field
// made sortable without an index fails here. The restricted scopes (own,
// own and subordinates, department, department and children) are then run
// with every list's default order: they may sort the rows in scope, but
// never read the whole table to find them.
func TestEverySortIsIndexed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenant, user := cohort.ID(1), cohort.ID(2)
		now := time.Now()
		seed(t, db, tenant, user)
		seedMore(t, db, tenant, user)
		for _, l := range sortedLists() {
			var fields []string
			for name, f := range l.spec.Fields {
				if f.Sortable {
					fields = append(fields, name)
				}
			}
			slices.Sort(fields)
			all := cohort.Access{TenantID: tenant, Scope: cohort.ScopeAll, UserID: user}
			scope, err := l.scope(ctx, db, all, now)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fields {
				for _, desc := range []bool{false, true} {
					name := l.name + " sort " + f
					if desc {
						name = l.name + " sort -" + f
					}
					t.Run(name, func(t *testing.T) {
						lq := cohort.ListQuery{Limit: 1, Sort: []cohort.SortKey{{Field: f, Desc: desc}}}
						checkPages(t, db, l, tenant, scope, lq, noSort)
					})
				}
			}
			// A filter on stage, status or owner alone, in the list's default
			// order, finds its rows through an index.
			for _, f := range []string{"stage", "status", "owner_id", "user_id", "author_id"} {
				if _, ok := l.spec.Fields[f]; !ok {
					continue
				}
				t.Run(l.name+" filter "+f, func(t *testing.T) {
					v := "x"
					if strings.HasSuffix(f, "_id") {
						v = user.String()
					}
					lq := cohort.ListQuery{Limit: 1, Filters: []cohort.Filter{{Field: f, Op: "eq", Values: []string{v}}}}
					if plan := planOf(t, db, l, tenant, scope, lq); fullScan(db.Engine, plan, l.table, l.alias) {
						t.Errorf("a filter on %s alone reads the whole table:\n%s", f, plan)
					}
				})
			}
			for _, a := range []cohort.Access{
				{TenantID: tenant, Scope: cohort.ScopeOwn, UserID: user},
				{TenantID: tenant, Scope: cohort.ScopeOwnAndSubordinates, UserID: user},
				{TenantID: tenant, Scope: cohort.ScopeDepartment, UserID: user, DepartmentID: 7},
				{TenantID: tenant, Scope: cohort.ScopeDepartmentAndChildren, UserID: user, DepartmentID: 7, DepartmentPath: "/7/"},
			} {
				t.Run(l.name+" scope "+string(a.Scope), func(t *testing.T) {
					scope, err := l.scope(ctx, db, a, now)
					if err != nil {
						t.Fatal(err)
					}
					plan := planOf(t, db, l, tenant, scope, cohort.ListQuery{Limit: 1})
					if fullScan(db.Engine, plan, l.table, l.alias) {
						t.Errorf("the %s scope reads the whole table:\n%s", a.Scope, plan)
					}
				})
			}
		}
	})
}

// TestFollowUpsWideScopeWalksTheTimeIndex: a wide scope's follow-ups
// (service.ListFollowUps marks the customer column with "+") are read by
// walking the list's time index, not sorted, and are the same rows.
func TestFollowUpsWideScopeWalksTheTimeIndex(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		if db.Engine != store.SQLite {
			return // the "+" is SQLite's; PostgreSQL plans by its statistics
		}
		ctx := context.Background()
		tenant, user := cohort.ID(1), cohort.ID(2)
		now := time.Now()
		seed(t, db, tenant, user)
		a := cohort.Access{TenantID: tenant, Scope: cohort.ScopeOwn, UserID: user}
		page := func(col string, q store.Queryer) []*cohort.FollowUp {
			fs, _, err := store.ListFollowUps(ctx, q, tenant, store.RecordIDIn(a, cohort.ObjCustomer, col, now), cohort.ListQuery{Limit: 2}, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			return fs
		}
		rec := &recorder{Queryer: db.Read()}
		wide := page("+f.customer_id", rec)
		if plan := explain(t, db, rec.query, rec.args); sortsOrScans(db.Engine, plan) || !strings.Contains(plan, "followups_tenant_occurred") {
			t.Errorf("a wide scope's follow-ups are not read through the time index:\n%s", plan)
		}
		narrow := page("f.customer_id", db.Read())
		if len(wide) != 2 || len(narrow) != 2 || wide[0].ID != narrow[0].ID || wide[1].ID != narrow[1].ID {
			t.Fatalf("wide %v, narrow %v", wide, narrow)
		}
		if n, err := store.CountInScope(ctx, db.Read(), a, cohort.ObjCustomer, now, 100); err != nil || n != 3 {
			t.Fatalf("customers in scope %d, %v; want 3", n, err)
		}
	})
}

type planRule int

const noSort planRule = iota

// checkPages checks the plans of a first page and of the next.
func checkPages(t *testing.T, db *store.DB, l sortedList, tenant cohort.ID, scope store.Where, lq cohort.ListQuery, _ planRule) {
	t.Helper()
	rec := &recorder{Queryer: db.Read()}
	next, err := l.run(context.Background(), rec, tenant, scope, lq)
	if err != nil {
		t.Fatal(err)
	}
	if plan := explain(t, db, rec.query, rec.args); sortsOrScans(db.Engine, plan) {
		t.Errorf("first page reads the whole table or sorts it:\n%s", plan)
	}
	if next == "" {
		t.Fatal("no next page: the seed is too small")
	}
	lq.Cursor = next
	rec.reset()
	if _, err := l.run(context.Background(), rec, tenant, scope, lq); err != nil {
		t.Fatal(err)
	}
	if plan := explain(t, db, rec.query, rec.args); sortsOrScans(db.Engine, plan) {
		t.Errorf("next page reads the whole table or sorts it:\n%s", plan)
	}
}

func planOf(t *testing.T, db *store.DB, l sortedList, tenant cohort.ID, scope store.Where, lq cohort.ListQuery) string {
	t.Helper()
	rec := &recorder{Queryer: db.Read()}
	if _, err := l.run(context.Background(), rec, tenant, scope, lq); err != nil {
		t.Fatal(err)
	}
	return explain(t, db, rec.query, rec.args)
}

// sortsOrScans reports a plan that sorts rows or scans a table whole.
func sortsOrScans(engine store.Engine, plan string) bool {
	for _, line := range strings.Split(plan, "\n") {
		l := strings.TrimSpace(line)
		switch engine {
		case store.SQLite:
			// "USE TEMP B-TREE FOR ORDER BY", "... FOR RIGHT PART OF
			// ORDER BY": a sort of all rows or of each group of them.
			if strings.Contains(l, "TEMP B-TREE FOR") && strings.Contains(l, "ORDER BY") || (strings.HasPrefix(l, "SCAN ") && !strings.Contains(l, "USING")) {
				return true
			}
		case store.Postgres:
			step := strings.TrimLeft(l, "-> ")
			if strings.Contains(l, "Seq Scan") || strings.HasPrefix(step, "Sort") || strings.HasPrefix(step, "Incremental Sort") {
				return true
			}
		}
	}
	return false
}

// fullScan reports a plan that reads table (under alias or as x, the scope's
// own alias) whole: without an index, or walking an index with no bound.
func fullScan(engine store.Engine, plan, table, alias string) bool {
	for _, line := range strings.Split(plan, "\n") {
		l := strings.TrimSpace(line)
		switch engine {
		case store.SQLite:
			for _, a := range []string{alias, "x", table} {
				if l == "SCAN "+a || strings.HasPrefix(l, "SCAN "+a+" ") && !strings.Contains(l, "USING") {
					return true
				}
			}
		case store.Postgres:
			if strings.Contains(l, "Seq Scan on "+table) {
				return true
			}
		}
	}
	return false
}

// seedMore adds to seed's rows what the other lists need: contracts,
// expenses, departments.
func seedMore(t *testing.T, db *store.DB, tenant, user cohort.ID) {
	t.Helper()
	ctx := context.Background()
	err := db.WriteTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO departments (tenant_id, id, name, path, depth, created_at, updated_at) VALUES (?, 7, 'd', '/7/', 1, 0, 0)`, int64(tenant)); err != nil {
			return err
		}
		for i := range 3 {
			id := int64(200 + i)
			if _, err := tx.ExecContext(ctx, `INSERT INTO deals (tenant_id, id, kind, number, name, customer_id, status, currency, owner_id, created_at, updated_at)
				VALUES (?, ?, 'contract', ?, 'd', 100, 'draft', 'CNY', ?, ?, ?)`, int64(tenant), id, "C"+string(rune('a'+i)), int64(user), 1000+i, 2000+i); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO expenses (tenant_id, id, user_id, type, amount, currency, incurred_on, created_at, updated_at)
				VALUES (?, ?, ?, 'travel', ?, 'CNY', ?, ?, ?)`, int64(tenant), id, int64(user), 100+i, "2026-01-0"+string(rune('1'+i)), 1000+i, 2000+i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
