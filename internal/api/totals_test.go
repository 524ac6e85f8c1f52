package api_test

import (
	"fmt"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestListTotals: count=true adds the number of rows matching the filters,
// the search and the asker's scope, whatever page is read.
func TestListTotals(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		for i := range 7 {
			who := o.alice
			if i >= 5 {
				who = o.bob
			}
			grade := "A"
			if i%2 == 1 {
				grade = "B"
			}
			who.must(201, "POST", "/api/v1/customers", map[string]any{"name": fmt.Sprintf("计数客户 %d 有限公司", i), "grade": grade}, nil)
		}
		total := func(c *client, path string) *cohort.Total {
			t.Helper()
			var p cohort.Page[cohort.Customer]
			c.must(200, "GET", path, nil, &p)
			return p.Total
		}
		cases := []struct {
			who  *client
			path string
			want int64
		}{
			{o.admin, "/api/v1/customers?count=true", 7},
			{o.admin, "/api/v1/customers?count=true&limit=2", 7},
			{o.admin, "/api/v1/customers?count=true&grade=A", 4},
			{o.admin, "/api/v1/customers?count=true&q=%E8%AE%A1%E6%95%B0%E5%AE%A2%E6%88%B7%203", 1},
			{o.alice, "/api/v1/customers?count=true", 5},
			{o.bob, "/api/v1/customers?count=true&sort=name", 2},
			{o.mgr, "/api/v1/customers?count=true", 7},
		}
		for _, c := range cases {
			got := total(c.who, c.path)
			if got == nil || got.N != c.want || !got.Exact {
				t.Errorf("%s: total %+v, want %d exact", c.path, got, c.want)
			}
		}
		// The second page reports the same total.
		var p1, p2 cohort.Page[cohort.Customer]
		o.admin.must(200, "GET", "/api/v1/customers?count=true&limit=3", nil, &p1)
		o.admin.must(200, "GET", "/api/v1/customers?count=true&limit=3&cursor="+p1.NextCursor, nil, &p2)
		if p2.Total == nil || p2.Total.N != 7 || len(p2.Items) != 3 {
			t.Errorf("second page: %d items, total %+v", len(p2.Items), p2.Total)
		}
		// Without count=true there is no total; a bad value is refused.
		if total(o.admin, "/api/v1/customers") != nil {
			t.Error("a total without count=true")
		}
		if res := o.admin.do("GET", "/api/v1/customers?count=yes", nil, nil); res.status != 400 {
			t.Errorf("count=yes: %d %s", res.status, res.body)
		}
		// Every keyset list answers count=true.
		for _, path := range []string{"/api/v1/leads", "/api/v1/followups", "/api/v1/opportunities", "/api/v1/users", "/api/v1/products",
			"/api/v1/price-lists", "/api/v1/projects", "/api/v1/tickets", "/api/v1/audit", "/api/v1/quotes", "/api/v1/contracts", "/api/v1/orders"} {
			var p cohort.Page[map[string]any]
			o.admin.must(200, "GET", path+"?count=true&limit=1", nil, &p)
			if p.Total == nil || !p.Total.Exact || p.Total.N < int64(len(p.Items)) || (p.NextCursor != "" && p.Total.N < 2) {
				t.Errorf("%s: %d items, next %q, total %+v", path, len(p.Items), p.NextCursor, p.Total)
			}
		}
		var users cohort.Page[map[string]any]
		o.admin.must(200, "GET", "/api/v1/users?count=true", nil, &users)
		if users.Total == nil || users.Total.N != int64(len(users.Items)) {
			t.Errorf("users: %d items, total %+v", len(users.Items), users.Total)
		}
	})
}
