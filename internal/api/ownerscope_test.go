package api_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/api"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// personFields are the request fields that make someone a record's owner
// or a team member.
var personFields = map[string]bool{"owner_id": true, "new_owner_id": true, "user_id": true, "members": true, "team": true}

// setsPerson reports whether a request type has a person field, at its top
// level or in an embedded struct.
func setsPerson(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			if setsPerson(f.Type) {
				return true
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		if personFields[name] {
			return true
		}
	}
	return false
}

// personRoutes are the writes whose body names an owner or team member.
func personRoutes(a *api.Server) []string {
	var out []string
	for _, rt := range a.Routes() {
		if rt.Req != nil && rt.Method != "GET" && setsPerson(reflect.TypeOf(rt.Req)) {
			out = append(out, rt.Method+" "+rt.Path)
		}
	}
	sort.Strings(out)
	return out
}

// TestOwnerScopeWalk walks every write that names an owner or a team
// member: the sales manager, whose scope is the sales department, tries to
// make Pre, of the presales department, the owner. Each is refused with a
// 4xx naming the field and changes nothing. A new route with a person field
// fails this test until it is walked here.
func TestOwnerScopeWalk(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		pre := o.preU.ID
		ownerPre := []map[string]any{{"user_id": pre, "role": "owner"}}
		id := func(v cohort.ID) string { return v.String() }

		var c, pooled cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "范围测试客户"}, &c)
		var pool cohort.Pool
		o.admin.must(201, "POST", "/api/v1/pools", map[string]any{"name": "公海", "is_default": true, "admin_ids": []cohort.ID{o.mgrU.ID}}, &pool)
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "公海里的客户"}, &pooled)
		o.alice.must(204, "POST", "/api/v1/customers/"+id(pooled.ID)+"/release", map[string]any{"reason": "暂无需求"}, nil)
		records := map[string]cohort.ID{"customers": c.ID}
		for _, kind := range []string{"opportunities", "contracts", "orders"} {
			var r struct{ ID cohort.ID }
			o.mgr.must(201, "POST", "/api/v1/"+kind, map[string]any{"customer_id": c.ID, "name": "范围测试" + kind}, &r)
			records[kind] = r.ID
		}
		var r struct{ ID cohort.ID }
		o.mgr.must(201, "POST", "/api/v1/projects", map[string]any{"name": "范围测试项目", "customer_id": c.ID}, &r)
		records["projects"] = r.ID
		o.mgr.must(201, "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "subject": "范围测试工单", "kind": "request"}, &r)
		records["tickets"] = r.ID

		// refused sends body and wants a 4xx whose problem names field, and
		// the count of table unchanged.
		refused := func(t *testing.T, method, path string, body map[string]any, field, table string) {
			t.Helper()
			before := count(t, db, "SELECT COUNT(*) FROM "+table)
			teamBefore := count(t, db, "SELECT COUNT(*) FROM record_team")
			res := o.mgr.do(method, path, body, nil)
			if res.status < 400 || res.status >= 500 {
				t.Fatalf("%s %s: %d %s", method, path, res.status, res.body)
			}
			p := res.problem(t)
			if field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != field) {
				t.Fatalf("%s %s: the problem names %+v, want %s", method, path, p.Errors, field)
			}
			if after := count(t, db, "SELECT COUNT(*) FROM "+table); after != before {
				t.Fatalf("%s %s: %s went from %d to %d", method, path, table, before, after)
			}
			if after := count(t, db, "SELECT COUNT(*) FROM record_team"); after != teamBefore {
				t.Fatalf("%s %s: record_team went from %d to %d", method, path, teamBefore, after)
			}
		}
		walks := map[string]func(t *testing.T){
			"POST /api/v1/expenses": func(t *testing.T) {
				refused(t, "POST", "/api/v1/expenses", map[string]any{"type": "travel", "amount": 100, "incurred_on": "2025-03-01", "user_id": pre}, "user_id", "expenses")
			},
			"POST /api/v1/customers": func(t *testing.T) {
				refused(t, "POST", "/api/v1/customers", map[string]any{"name": "别人的客户", "owner_id": pre}, "owner_id", "customers")
			},
			"POST /api/v1/tickets": func(t *testing.T) {
				refused(t, "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "subject": "派给别人", "kind": "fault", "owner_id": pre}, "owner_id", "tickets")
			},
			"POST /api/v1/customers/{id}/transfer": func(t *testing.T) {
				refused(t, "POST", "/api/v1/customers/"+id(c.ID)+"/transfer", map[string]any{"new_owner_id": pre}, "new_owner_id", "customers")
				if got := count(t, db, "SELECT COUNT(*) FROM customers WHERE id = ? AND owner_id = ?", int64(c.ID), int64(o.aliceU.ID)); got != 1 {
					t.Fatal("the customer changed hands")
				}
			},
			"POST /api/v1/customers/{id}/assign": func(t *testing.T) {
				refused(t, "POST", "/api/v1/customers/"+id(pooled.ID)+"/assign", map[string]any{"user_id": pre}, "user_id", "customers")
				if got := count(t, db, "SELECT COUNT(*) FROM customers WHERE id = ? AND pool_id IS NOT NULL", int64(pooled.ID)); got != 1 {
					t.Fatal("the customer left the pool")
				}
			},
			"PUT /api/v1/me/default-team": func(t *testing.T) {
				// A default team joins records beside their owner, never as owner.
				refused(t, "PUT", "/api/v1/me/default-team", map[string]any{"members": ownerPre}, "", "default_team_members")
			},
		}
		for kind, rid := range records {
			walks["PUT /api/v1/"+kind+"/{id}/team"] = func(t *testing.T) {
				refused(t, "PUT", "/api/v1/"+kind+"/"+id(rid)+"/team", map[string]any{"members": ownerPre}, "members", "record_team")
				if got := count(t, db, "SELECT COUNT(*) FROM record_team WHERE record_id = ? AND user_id = ?", int64(rid), int64(pre)); got != 0 {
					t.Fatal("pre joined the team")
				}
			}
		}
		// The records whose owner is always their creator: a team naming
		// someone else owner is refused.
		creates := map[string]map[string]any{
			"opportunities": {"customer_id": c.ID, "name": "另一个商机"},
			"contracts":     {"customer_id": c.ID, "name": "另一个合同"},
			"orders":        {"customer_id": c.ID, "name": "另一个订单"},
			"quotes":        {"customer_id": c.ID, "name": "另一个报价"},
			"projects":      {"name": "另一个项目", "customer_id": c.ID},
		}
		tables := map[string]string{"opportunities": "opportunities", "contracts": "deals", "orders": "deals", "quotes": "deals", "projects": "projects"}
		for kind, body := range creates {
			walks["POST /api/v1/"+kind] = func(t *testing.T) {
				body["team"] = ownerPre
				refused(t, "POST", "/api/v1/"+kind, body, "", tables[kind])
			}
		}
		for _, route := range personRoutes(o.api) {
			walk, ok := walks[route]
			if !ok {
				t.Errorf("%s names an owner or team member but is not walked here: add it", route)
				continue
			}
			t.Run(route, walk)
			delete(walks, route)
		}
		for route := range walks {
			t.Errorf("walked %s, which names no owner or team member (renamed?)", route)
		}
	})
}

// TestListContracts: search answers an empty array, not null; every list
// refuses a view it does not support, leads included.
func TestListContracts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.login("admin@acme.test", adminPassword)
		res := a.do("GET", "/api/v1/search?q=nothingmatchesthis", nil, nil)
		if res.status != 200 || !strings.Contains(string(res.body), `"items":[]`) {
			t.Fatalf("empty search: %d %s", res.status, res.body)
		}
		for _, path := range []string{"/api/v1/leads", "/api/v1/customers", "/api/v1/opportunities", "/api/v1/projects", "/api/v1/tickets", "/api/v1/contracts"} {
			if r := a.do("GET", path+"?view=nosuchview", nil, nil); r.status != 400 {
				t.Fatalf("%s?view=nosuchview: %d", path, r.status)
			}
		}
		for _, v := range []string{"subordinates", "followed"} {
			if r := a.do("GET", "/api/v1/leads?view="+v, nil, nil); r.status != 400 {
				t.Fatalf("leads?view=%s: %d", v, r.status)
			}
		}
		a.must(200, "GET", "/api/v1/leads?view=all", nil, nil)
	})
}
