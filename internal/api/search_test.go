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

// TestWritesIndexTheRowAsWritten holds the three everyday writes, whose
// search documents are built from the record in hand (a customer's before
// the writer), to what re-reading the record would index: the stored
// document carries the record's owner, department and last change, and an
// opportunity's carries its customer's name as of the write.
func TestWritesIndexTheRowAsWritten(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "  杭州西湖光电有限公司 ", "city": "杭州", "industry": "光电子"}, &c)
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "光电产线改造", "competitor": "海康", "amount": 880000}, &opp)
		doc := func(obj string, id cohort.ID) (title, body string, owner, dept cohort.ID, updated int64) {
			t.Helper()
			var own, dep *int64
			err := db.Read().QueryRowContext(t.Context(), `SELECT title, body, owner_id, department_id, updated_at FROM search_docs
				WHERE tenant_id = ? AND object_type = ? AND object_id = ?`, int64(o.tenant.ID), obj, int64(id)).Scan(&title, &body, &own, &dep, &updated)
			if err != nil {
				t.Fatalf("%s %s: %v", obj, id, err)
			}
			if own != nil {
				owner = cohort.ID(*own)
			}
			if dep != nil {
				dept = cohort.ID(*dep)
			}
			return
		}
		title, body, owner, dept, updated := doc("customer", c.ID)
		if title != "杭州西湖光电有限公司" || !strings.Contains(body, "杭州") || !strings.Contains(body, "光电子") ||
			owner != o.aliceU.ID || dept != o.aliceU.DepartmentID || dept == 0 || updated != c.UpdatedAt.UnixMilli() {
			t.Errorf("customer's document: %q %q owner %s dept %s at %d; the customer %+v", title, body, owner, dept, updated, c)
		}
		title, body, owner, dept, updated = doc("opportunity", opp.ID)
		if title != "光电产线改造" || !strings.Contains(body, "杭州西湖光电") || !strings.Contains(body, "海康") ||
			owner != o.aliceU.ID || dept != o.aliceU.DepartmentID || updated != opp.UpdatedAt.UnixMilli() {
			t.Errorf("opportunity's document: %q %q owner %s dept %s at %d; the opportunity %+v", title, body, owner, dept, updated, opp)
		}
		// The customer is renamed; the opportunity's next move indexes the
		// new name, read in the move's transaction.
		o.alice.must(200, "PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"name": "杭州钱塘光电有限公司"}, nil)
		var moved cohort.Opportunity
		o.alice.must(200, "POST", "/api/v1/opportunities/"+opp.ID.String()+"/stage", map[string]any{"stage": "quote"}, &moved)
		title, body, _, _, updated = doc("opportunity", opp.ID)
		if title != "光电产线改造" || !strings.Contains(body, "杭州钱塘光电") || strings.Contains(body, "西湖") || updated != moved.UpdatedAt.UnixMilli() {
			t.Errorf("moved opportunity's document: %q %q at %d; the opportunity %+v", title, body, updated, moved)
		}
		var page cohort.Page[search.Hit]
		o.alice.must(200, "GET", "/api/v1/search?types=opportunity&q="+url.QueryEscape("钱塘光电"), nil, &page)
		if len(page.Items) != 1 || page.Items[0].ObjectID != opp.ID {
			t.Errorf("opportunity by its customer's new name: %+v", page.Items)
		}
	})
}
