package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestDepartmentScopeListWalk: the sales manager's department holds 3 of the
// tenant's 5 people, so the manager's customer list walks its sort's index
// and keeps the records in scope (store.RecordWalkScope); with a search it
// gathers them by the join instead. Page by page, with totals, in several
// orders, both give the department's customers and the one of another
// department whose team holds the manager, and nothing else.
func TestDepartmentScopeListWalk(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		want := map[cohort.ID]bool{}
		for i, c := range []*client{o.alice, o.bob, o.alice, o.pre, o.bob, o.pre} {
			var cu cohort.Customer
			c.must(201, "POST", "/api/v1/customers", map[string]any{"name": fmt.Sprintf("上海%c方科技有限公司", []rune("甲乙丙丁戊己")[i]),
				"grade": []string{"A", "B", "A"}[i%3]}, &cu)
			if c != o.pre {
				want[cu.ID] = true
			}
			if i == 3 {
				team := []map[string]any{{"user_id": o.preU.ID, "role": "owner"}, {"user_id": o.mgrU.ID, "role": "customer_success", "access": "read"}}
				o.pre.must(200, "PUT", "/api/v1/customers/"+cu.ID.String()+"/team", map[string]any{"members": team}, nil)
				want[cu.ID] = true
			}
		}
		pages := func(query string) ([]cohort.ID, cohort.Total) {
			t.Helper()
			var ids []cohort.ID
			var total cohort.Total
			cursor := ""
			for n := 0; n < 10; n++ {
				var p cohort.Page[cohort.Customer]
				o.mgr.must(200, "GET", "/api/v1/customers?limit=2&count=true&"+query+"&cursor="+url.QueryEscape(cursor), nil, &p)
				for _, c := range p.Items {
					ids = append(ids, c.ID)
				}
				if p.Total == nil {
					t.Fatal("no total")
				}
				total = *p.Total
				if cursor = p.NextCursor; cursor == "" {
					return ids, total
				}
			}
			t.Fatal("more than 10 pages")
			return nil, total
		}
		for _, sort := range []string{"-updated_at", "name", "-name", "grade", "-created_at"} {
			walked, wt := pages("sort=" + sort)
			joined, jt := pages("sort=" + sort + "&q=" + url.QueryEscape("上海"))
			if !slices.Equal(walked, joined) || wt != jt {
				t.Errorf("sort %s: walked %v %+v, joined %v %+v", sort, walked, wt, joined, jt)
			}
			got := map[cohort.ID]bool{}
			for _, id := range walked {
				got[id] = true
			}
			if len(walked) != len(want) || len(got) != len(want) || wt != (cohort.Total{N: int64(len(want)), Exact: true}) {
				t.Errorf("sort %s: %v %+v, want %v", sort, walked, wt, want)
			}
			for id := range want {
				if !got[id] {
					t.Errorf("sort %s: %s missing", sort, id)
				}
			}
		}
	})
}
