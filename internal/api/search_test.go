package api_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func TestSearchRespectsScope(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var a, b cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "深圳鹏城智能制造有限公司", "province": "广东"}, &a)
		o.bob.must(201, "POST", "/api/v1/customers", map[string]any{"name": "深圳湾云计算有限公司"}, &b)
		o.alice.must(201, "POST", "/api/v1/customers/"+a.ID.String()+"/contacts", map[string]any{"name": "黄志强", "phone": "138-2345-6789", "email": "hzq@pengcheng.cn"}, nil)
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": a.ID, "name": "鹏城MES升级项目"}, &opp)
		find := func(c *client, q string, types ...string) map[string]bool {
			t.Helper()
			path := "/api/v1/search?q=" + url.QueryEscape(q)
			if len(types) > 0 {
				path += "&types=" + types[0]
			}
			var page cohort.Page[search.Hit]
			c.must(200, "GET", path, nil, &page)
			out := map[string]bool{}
			for _, h := range page.Items {
				out[h.ObjectType+":"+h.Title] = true
			}
			return out
		}
		got := find(o.alice, "深圳")
		if !got["customer:深圳鹏城智能制造有限公司"] || got["customer:深圳湾云计算有限公司"] {
			t.Fatalf("alice searching 深圳: %v", got)
		}
		if got := find(o.mgr, "深圳"); !got["customer:深圳鹏城智能制造有限公司"] || !got["customer:深圳湾云计算有限公司"] {
			t.Fatalf("manager searching 深圳: %v", got)
		}
		if got := find(o.alice, "23456789"); !got["contact:黄志强"] {
			t.Fatalf("by phone digits: %v", got)
		}
		if got := find(o.alice, "鹏城MES"); !got["opportunity:鹏城MES升级项目"] {
			t.Fatalf("mixed query: %v", got)
		}
		if got := find(o.alice, "城", "contact"); len(got) != 1 || !got["contact:黄志强"] {
			t.Fatalf("one character, contacts only: %v", got)
		}
		if got := find(o.bob, "鹏城"); len(got) != 0 {
			t.Fatalf("bob finds alice's records: %v", got)
		}
		// After a transfer to Bob, the index follows the owner.
		o.mgr.must(200, "POST", "/api/v1/customers/"+a.ID.String()+"/transfer", map[string]any{"new_owner_id": o.bobU.ID}, nil)
		if got := find(o.bob, "鹏城智能"); !got["customer:深圳鹏城智能制造有限公司"] || !got["contact:黄志强"] {
			t.Fatalf("bob after transfer: %v", got)
		}
		for _, bad := range []string{"", "   ", "?types=nope&q=x"} {
			path := "/api/v1/search?q=" + url.QueryEscape(bad)
			if strings.HasPrefix(bad, "?") {
				path = "/api/v1/search" + bad
			}
			if res := o.alice.do("GET", path, nil, nil); res.status < 400 || res.status >= 500 {
				t.Errorf("search %q: %d", bad, res.status)
			}
		}
	})
}
