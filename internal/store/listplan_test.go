package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// recorder is a Queryer that keeps the first query it ran since reset (a
// list may load more after its page, e.g. an opportunity's lines).
type recorder struct {
	store.Queryer
	query string
	args  []any
}

func (r *recorder) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if r.query == "" {
		r.query, r.args = q, args
	}
	return r.Queryer.QueryContext(ctx, q, args...)
}

func (r *recorder) reset() { r.query, r.args = "", nil }

var errExplained = errors.New("explained")

// explain returns the plan of q. On PostgreSQL sequential scans and sorts are
// switched off for the query, so that a plan that still holds one has no
// index to serve it (an empty test table would otherwise be scanned anyway).
func explain(t *testing.T, db *store.DB, q string, args []any) string {
	t.Helper()
	var out []string
	ctx := context.Background()
	err := db.WriteTx(ctx, func(tx *store.Tx) error {
		prefix := "EXPLAIN QUERY PLAN "
		if db.Engine == store.Postgres {
			for _, set := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off"} {
				if _, err := tx.ExecContext(ctx, set); err != nil {
					return err
				}
			}
			prefix = "EXPLAIN "
		}
		rows, err := tx.QueryContext(ctx, prefix+q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			v := vals[len(vals)-1]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			out = append(out, v.(string))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return errExplained
	})
	if !errors.Is(err, errExplained) {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

// TestListSortsUseIndexes asserts that the main lists' sorts, for the
// administrator's "all" scope and the "mine" view, first page and next, are
// read through an index in order: no full scan, no sort of the whole tenant.
func TestListSortsUseIndexes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenant, user := cohort.ID(1), cohort.ID(2)
		now := time.Now()
		all := cohort.Access{TenantID: tenant, Scope: cohort.ScopeAll, UserID: user}
		mine := func(alias string) store.Where {
			return store.And(store.RecordAccessWhereOn(db.Engine, all, cohort.ObjCustomer, alias, now),
				store.Where{SQL: alias + ".owner_id = ?", Args: []any{int64(user)}})
		}
		// A cursor of the right shape for each sort: the list encodes its
		// own after a first page, so fetch one page of one row.
		type list struct {
			name  string
			run   func(q store.Queryer, lq cohort.ListQuery) (string, error)
			sorts []string
		}
		seed(t, db, tenant, user)
		lists := []list{
			{"customers all", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListCustomers(ctx, q, tenant, store.RecordAccessWhereOn(db.Engine, all, cohort.ObjCustomer, "c", now), lq, time.UTC)
				return next, err
			}, []string{"", "-updated_at", "updated_at", "-created_at", "created_at", "name", "-name"}},
			{"customers mine", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListCustomers(ctx, q, tenant, mine("c"), lq, time.UTC)
				return next, err
			}, []string{"", "-updated_at"}},
			{"opportunities all", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListOpportunities(ctx, q, tenant, store.RecordAccessWhereOn(db.Engine, all, cohort.ObjOpportunity, "o", now), lq, time.UTC)
				return next, err
			}, []string{"", "-updated_at", "-created_at", "-amount", "amount"}},
			{"opportunities mine", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListOpportunities(ctx, q, tenant, mine("o"), lq, time.UTC)
				return next, err
			}, []string{""}},
			{"leads all", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListLeads(ctx, q, tenant, store.RecordAccessWhereOn(db.Engine, all, cohort.ObjLead, "l", now), lq, time.UTC)
				return next, err
			}, []string{"", "-created_at"}},
			{"quotes all", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListDeals(ctx, q, tenant, cohort.ObjQuote, store.RecordAccessWhereOn(db.Engine, all, cohort.ObjQuote, "d", now), lq, time.UTC)
				return next, err
			}, []string{"", "-updated_at"}},
			{"projects all", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListProjects(ctx, q, tenant, store.RecordAccessWhereOn(db.Engine, all, cohort.ObjProject, "j", now), lq, time.UTC)
				return next, err
			}, []string{"", "-updated_at"}},
			{"tickets all", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListTickets(ctx, q, tenant, store.RecordAccessWhereOn(db.Engine, all, cohort.ObjTicket, "k", now), lq, time.UTC)
				return next, err
			}, []string{"", "-opened_at"}},
			{"expenses all", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListExpenses(ctx, q, tenant, store.Where{}, lq, time.UTC)
				return next, err
			}, []string{"", "-incurred_on", "incurred_on"}},
			// A salesperson's own scope, and the customer's and the
			// opportunity's sections.
			{"expenses own", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListExpenses(ctx, q, tenant, store.AccessWhere(cohort.Access{TenantID: tenant, Scope: cohort.ScopeOwn, UserID: user},
					"e.user_id", "e.department_id"), lq, time.UTC)
				return next, err
			}, []string{""}},
			{"expenses of a customer", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				lq.Filters = []cohort.Filter{{Field: "customer_id", Op: "eq", Values: []string{"100"}}}
				_, next, err := store.ListExpenses(ctx, q, tenant, store.Where{}, lq, time.UTC)
				return next, err
			}, []string{""}},
			{"expenses of an opportunity", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				lq.Filters = []cohort.Filter{{Field: "opportunity_id", Op: "eq", Values: []string{"100"}}}
				_, next, err := store.ListExpenses(ctx, q, tenant, store.Where{}, lq, time.UTC)
				return next, err
			}, []string{""}},
			{"follow-ups all", func(q store.Queryer, lq cohort.ListQuery) (string, error) {
				_, next, err := store.ListFollowUps(ctx, q, tenant, store.RecordIDIn(all, cohort.ObjCustomer, "f.customer_id", now), lq, time.UTC)
				return next, err
			}, []string{"", "-occurred_at", "occurred_at"}},
		}
		check := func(t *testing.T, plan string) {
			t.Helper()
			bad := false
			for _, line := range strings.Split(plan, "\n") {
				l := strings.TrimSpace(line)
				switch db.Engine {
				case store.SQLite:
					// "SCAN c" alone reads the whole table; "SCAN c USING
					// INDEX" walks an index in order and stops at the limit.
					if strings.Contains(l, "TEMP B-TREE FOR ORDER BY") || (strings.HasPrefix(l, "SCAN ") && !strings.Contains(l, "USING")) {
						bad = true
					}
				case store.Postgres:
					if strings.Contains(l, "Seq Scan") || strings.HasPrefix(strings.TrimLeft(l, "-> "), "Sort") {
						bad = true
					}
				}
			}
			if bad {
				t.Errorf("plan reads the whole table or sorts it:\n%s", plan)
			}
		}
		for _, l := range lists {
			for _, s := range l.sorts {
				lq := cohort.ListQuery{Limit: 1}
				if s != "" {
					lq.Sort = []cohort.SortKey{{Field: strings.TrimPrefix(s, "-"), Desc: strings.HasPrefix(s, "-")}}
				}
				t.Run(l.name+" sort "+s, func(t *testing.T) {
					rec := &recorder{Queryer: db.Read()}
					next, err := l.run(rec, lq)
					if err != nil {
						t.Fatal(err)
					}
					check(t, explain(t, db, rec.query, rec.args))
					if next == "" {
						t.Fatal("no next page: the seed is too small")
					}
					lq.Cursor = next
					rec.reset()
					if _, err := l.run(rec, lq); err != nil {
						t.Fatal(err)
					}
					check(t, explain(t, db, rec.query, rec.args))
				})
			}
		}
		// A total walks the list's index and stops past the bound.
		t.Run("customers total", func(t *testing.T) {
			tot := &cohort.Total{}
			if _, _, err := store.ListCustomers(ctx, db.Read(), tenant, store.Where{}, cohort.ListQuery{Limit: 1, Total: tot}, time.UTC); err != nil {
				t.Fatal(err)
			}
			if !tot.Exact || tot.N < 2 {
				t.Fatalf("total %+v", tot)
			}
			n := int(tot.N)
			defer store.SetMaxExactTotal(n - 1)()
			*tot = cohort.Total{}
			if _, _, err := store.ListCustomers(ctx, db.Read(), tenant, store.Where{}, cohort.ListQuery{Limit: 1, Total: tot}, time.UTC); err != nil {
				t.Fatal(err)
			}
			if tot.Exact || tot.N != int64(n-1) {
				t.Fatalf("total above the bound %+v, want %d inexact", tot, n-1)
			}
		})
		// The stage filter alone.
		t.Run("opportunities stage filter", func(t *testing.T) {
			rec := &recorder{Queryer: db.Read()}
			lq := cohort.ListQuery{Limit: 1, Filters: []cohort.Filter{{Field: "stage", Op: "eq", Values: []string{"quote"}}}}
			if _, _, err := store.ListOpportunities(ctx, rec, tenant, store.Where{}, lq, time.UTC); err != nil {
				t.Fatal(err)
			}
			check(t, explain(t, db, rec.query, rec.args))
		})
	})
}

// seed inserts a few rows of each list, so that a first page has a next.
func seed(t *testing.T, db *store.DB, tenant, user cohort.ID) {
	t.Helper()
	ctx := context.Background()
	err := db.WriteTx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			"INSERT INTO tenants (id, name, slug, time_zone, fiscal_year_start_month, currency, locale, created_at, updated_at) VALUES (?, 't', 't', 'UTC', 1, 'CNY', 'zh-CN', 0, 0)",
			"INSERT INTO users (tenant_id, id, email, name, status, locale, created_at, updated_at) VALUES (?, ?, 'u@t.test', 'u', 'active', 'zh-CN', 0, 0)",
			"INSERT INTO sales_processes (tenant_id, id, key, name_zh, name_en, stages, created_at, updated_at) VALUES (?, 1, 'k', 'k', 'k', '[]', 0, 0)",
		} {
			if _, err := tx.ExecContext(ctx, q, []any{int64(tenant), int64(user)}[:strings.Count(q, "?")]...); err != nil {
				return err
			}
		}
		for i := range 3 {
			id := int64(100 + i)
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO customers (tenant_id, id, name, name_key, owner_id, created_by, currency, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, 'CNY', ?, ?)`, []any{int64(tenant), id, "c" + string(rune('a'+i)), "c" + string(rune('a'+i)), int64(user), int64(user), 1000 + i, 2000 + i}},
				{`INSERT INTO opportunities (tenant_id, id, customer_id, process_id, stage, name, amount, currency, owner_id, created_by, created_at, updated_at)
					VALUES (?, ?, ?, 1, 'quote', 'o', ?, 'CNY', ?, ?, ?, ?)`, []any{int64(tenant), id, id, 10 * i, int64(user), int64(user), 1000 + i, 2000 + i}},
				{`INSERT INTO followups (tenant_id, id, customer_id, record_type, type, direction, occurred_at, content, author_id, created_at)
					VALUES (?, ?, ?, 'customer', 'call', 'out', ?, 'x', ?, ?)`, []any{int64(tenant), id, id, 3000 + i, int64(user), 3000 + i}},
				{`INSERT INTO leads (tenant_id, id, name, owner_id, created_at, updated_at) VALUES (?, ?, 'l', ?, ?, ?)`,
					[]any{int64(tenant), id, int64(user), 1000 + i, 2000 + i}},
				{`INSERT INTO deals (tenant_id, id, kind, number, name, customer_id, status, currency, owner_id, created_at, updated_at)
					VALUES (?, ?, 'quote', ?, 'd', ?, 'draft', 'CNY', ?, ?, ?)`, []any{int64(tenant), id, "Q" + string(rune('a'+i)), id, int64(user), 1000 + i, 2000 + i}},
				{`INSERT INTO projects (tenant_id, id, number, name, customer_id, status, owner_id, created_at, updated_at)
					VALUES (?, ?, ?, 'p', ?, 'active', ?, ?, ?)`, []any{int64(tenant), id, "P" + string(rune('a'+i)), id, int64(user), 1000 + i, 2000 + i}},
				{`INSERT INTO tickets (tenant_id, id, number, customer_id, kind, priority, status, subject, opened_at, currency, owner_id, created_at, updated_at)
					VALUES (?, ?, ?, ?, 'repair', 'normal', 'open', 's', ?, 'CNY', ?, ?, ?)`, []any{int64(tenant), id, "T" + string(rune('a'+i)), id, 3000 + i, int64(user), 1000 + i, 2000 + i}},
				// Two expenses a day, so that the order's last key (id) matters.
				{`INSERT INTO expenses (tenant_id, id, user_id, customer_id, opportunity_id, type, amount, currency, incurred_on, created_at, updated_at)
					VALUES (?, ?, ?, 100, 100, 'travel', ?, 'CNY', ?, 0, 0)`, []any{int64(tenant), id, int64(user), 100 + i, "2025-03-0" + string(rune('1'+i/2))}},
			} {
				if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
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
