package api_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestCrossTenantRouteWalk walks the whole route table as tenant A's
// administrator with the IDs of tenant B's objects: every route that takes an
// id must answer 404, and nothing of B may change.
func TestCrossTenantRouteWalk(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, bAdmin := e.newTenant("other", "admin@other.test")
		a := e.login("admin@acme.test", adminPassword)
		b := e.login("admin@other.test", adminPassword)

		// Objects of every kind in tenant B.
		var depts cohort.Page[cohort.Department]
		b.must(200, "GET", "/api/v1/departments", nil, &depts)
		var dept cohort.Department
		b.must(201, "POST", "/api/v1/departments", map[string]any{"name": "B dept", "parent_id": depts.Items[0].ID}, &dept)
		var role cohort.PermRole
		b.must(201, "POST", "/api/v1/perm-roles", map[string]any{"name": "B role"}, &role)
		var brole cohort.BusinessRole
		b.must(201, "POST", "/api/v1/business-roles", map[string]any{"key": "b_role", "name_zh": "乙", "name_en": "B"}, &brole)
		var tok cohort.APIToken
		b.must(201, "POST", "/api/v1/me/tokens", map[string]any{"name": "B token"}, &tok)
		var cust cohort.Customer
		b.must(201, "POST", "/api/v1/customers", map[string]any{"name": "乙方客户有限公司"}, &cust)
		var contact cohort.Contact
		b.must(201, "POST", "/api/v1/customers/"+cust.ID.String()+"/contacts", map[string]any{"name": "王五", "phone": "13900000000"}, &contact)
		var pool cohort.Pool
		b.must(201, "POST", "/api/v1/pools", map[string]any{"name": "乙方公海", "is_default": true}, &pool)
		var pooled cohort.Customer
		b.must(201, "POST", "/api/v1/customers", map[string]any{"name": "乙方公海客户"}, &pooled)
		b.must(204, "POST", "/api/v1/customers/"+pooled.ID.String()+"/release", map[string]any{"reason": "test"}, nil)
		var opp cohort.Opportunity
		b.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": cust.ID, "name": "乙方商机"}, &opp)
		var procs cohort.Page[cohort.SalesProcess]
		b.must(200, "GET", "/api/v1/sales-processes", nil, &procs)
		var lead cohort.Lead
		b.must(201, "POST", "/api/v1/leads", map[string]any{"name": "乙方线索", "company": "乙方线索公司"}, &lead)
		ids := []cohort.ID{lead.ID, bAdmin.ID, dept.ID, role.ID, brole.ID, tok.ID, depts.Items[0].ID, cust.ID, contact.ID, pool.ID, pooled.ID, opp.ID, procs.Items[0].ID}
		before := snapshot(t, b)

		param := regexp.MustCompile(`\{[a-z_]+\}`)
		walked := 0
		for _, rt := range e.api.Routes() {
			if !strings.Contains(rt.Path, "{") {
				continue
			}
			for _, id := range ids {
				path := param.ReplaceAllString(rt.Path, id.String())
				var body any
				if rt.Method != "GET" && rt.Method != "DELETE" {
					body = map[string]any{}
				}
				res := a.do(rt.Method, path, body, nil)
				if res.status != 404 {
					t.Errorf("%s %s with tenant B's id: %d %s, want 404", rt.Method, rt.Path, res.status, truncate(res.body))
				}
				walked++
			}
		}
		if walked < 30 {
			t.Fatalf("walked only %d route/id pairs", walked)
		}
		if after := snapshot(t, b); after != before {
			t.Fatalf("tenant B changed during the walk:\n%s\n---\n%s", before, after)
		}
	})
}

// snapshot is everything tenant B can see of its own organisation.
func snapshot(t *testing.T, c *client) string {
	var parts []string
	for _, p := range []string{"/api/v1/users", "/api/v1/departments", "/api/v1/perm-roles", "/api/v1/business-roles", "/api/v1/me/tokens",
		"/api/v1/customers", "/api/v1/followups", "/api/v1/pools", "/api/v1/opportunities", "/api/v1/sales-processes", "/api/v1/leads"} {
		res := c.do("GET", p, nil, nil)
		var v map[string]any
		_ = json.Unmarshal(res.body, &v)
		// Last-use stamps move with every request; the rest must not.
		for _, it := range v["items"].([]any) {
			delete(it.(map[string]any), "last_used_at")
			delete(it.(map[string]any), "last_login_at")
		}
		b, _ := json.Marshal(v)
		parts = append(parts, string(b))
	}
	return strings.Join(parts, "\n")
}
