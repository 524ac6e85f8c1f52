package api_test

import (
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// salesOrg is a tenant with a sales manager over two salespeople and a
// presales engineer in another department.
type salesOrg struct {
	*env
	admin, mgr, alice, bob, pre *client
	mgrU, aliceU, bobU, preU    cohort.User
}

func newSalesOrg(t *testing.T, db *store.DB) *salesOrg {
	return salesOrgOn(newEnv(t, db))
}

// salesOrgOn builds the sales organisation in e's tenant.
func salesOrgOn(e *env) *salesOrg {
	o := &salesOrg{env: e, admin: e.login("admin@acme.test", adminPassword)}
	var depts cohort.Page[cohort.Department]
	o.admin.must(200, "GET", "/api/v1/departments", nil, &depts)
	var sales, presales cohort.Department
	o.admin.must(201, "POST", "/api/v1/departments", map[string]any{"name": "华东销售部", "parent_id": depts.Items[0].ID}, &sales)
	o.admin.must(201, "POST", "/api/v1/departments", map[string]any{"name": "售前部", "parent_id": depts.Items[0].ID}, &presales)
	var roles cohort.Page[cohort.PermRole]
	o.admin.must(200, "GET", "/api/v1/perm-roles", nil, &roles)
	roleID := map[string]cohort.ID{}
	for _, r := range roles.Items {
		roleID[r.Name] = r.ID
	}
	mk := func(out *cohort.User, email, name string, dept, mgr cohort.ID, role string) *client {
		o.admin.must(201, "POST", "/api/v1/users", map[string]any{"name": name, "email": email, "password": "sales-pass-2026",
			"department_id": dept, "manager_id": mgr, "perm_role_ids": []cohort.ID{roleID[role]}}, out)
		return e.login(email, "sales-pass-2026")
	}
	o.mgr = mk(&o.mgrU, "mgr@acme.test", "赵经理", sales.ID, 0, "销售经理 Sales manager")
	o.alice = mk(&o.aliceU, "alice@acme.test", "Alice", sales.ID, o.mgrU.ID, "销售 Salesperson")
	o.bob = mk(&o.bobU, "bob@acme.test", "Bob", sales.ID, o.mgrU.ID, "销售 Salesperson")
	o.pre = mk(&o.preU, "pre@acme.test", "售前小孙", presales.ID, 0, "销售 Salesperson")
	return o
}

func share(n int) *int { return &n }

func TestCustomerTeamAndScope(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "上海星河科技有限公司", "province": "上海", "credit_code": "91350100M000100Y43"}, &c)
		if c.OwnerID != o.aliceU.ID || c.DepartmentID != o.aliceU.DepartmentID || c.Currency != "CNY" {
			t.Fatalf("created %+v", c)
		}
		// The same company written differently is a duplicate.
		if res := o.bob.do("POST", "/api/v1/customers", map[string]any{"name": "上海星河科技 有限公司"}, nil); res.status != 409 {
			t.Fatalf("duplicate name: %d %s", res.status, res.body)
		}
		// Bob does not see Alice's customer; the manager does.
		if res := o.bob.do("GET", "/api/v1/customers/"+c.ID.String(), nil, nil); res.status != 404 {
			t.Fatalf("bob sees alice's customer: %d", res.status)
		}
		o.mgr.must(200, "GET", "/api/v1/customers/"+c.ID.String(), nil, nil)

		// Shares of the revenue roles must add up to 100 %.
		bad := []map[string]any{{"user_id": o.aliceU.ID, "role": "owner", "share_bp": 6000}}
		if res := o.alice.do("PUT", "/api/v1/customers/"+c.ID.String()+"/team", map[string]any{"members": bad}, nil); res.status != 422 {
			t.Fatalf("60 %% team: %d %s", res.status, res.body)
		}
		noOwner := []map[string]any{{"user_id": o.preU.ID, "role": "presales"}}
		if res := o.alice.do("PUT", "/api/v1/customers/"+c.ID.String()+"/team", map[string]any{"members": noOwner}, nil); res.status != 422 {
			t.Fatalf("team without owner: %d", res.status)
		}
		// Presales joins with read access in another department and can now see it, not change it.
		team := []map[string]any{{"user_id": o.aliceU.ID, "role": "owner"}, {"user_id": o.preU.ID, "role": "presales", "access": "read", "share_bp": 3000}}
		var got cohort.Page[cohort.TeamMember]
		o.alice.must(200, "PUT", "/api/v1/customers/"+c.ID.String()+"/team", map[string]any{"members": team}, &got)
		if len(got.Items) != 2 {
			t.Fatalf("team %+v", got.Items)
		}
		o.pre.must(200, "GET", "/api/v1/customers/"+c.ID.String(), nil, nil)
		var preList cohort.Page[cohort.Customer]
		o.pre.must(200, "GET", "/api/v1/customers?view=team", nil, &preList)
		if len(preList.Items) != 1 {
			t.Fatalf("presales team view: %d", len(preList.Items))
		}
		if res := o.pre.do("PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"grade": "A"}, nil); res.status != 404 {
			t.Fatalf("read-only member edits: %d", res.status)
		}
		// Value calibration in one action each.
		var upd cohort.Customer
		o.alice.must(200, "PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"value_quality": "valuable"}, &upd)
		o.alice.must(200, "PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"deal_size": "big", "expected_amount": 50000000, "expected_sign_date": "2027-03-31"}, &upd)
		if upd.ValueQuality != "valuable" || upd.DealSize != "big" || upd.ExpectedAmount != 50000000 {
			t.Fatalf("calibration %+v", upd)
		}
		if res := o.alice.do("PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"deal_size": "huge"}, nil); res.status != 422 {
			t.Fatalf("bad calibration: %d", res.status)
		}

		// A salesperson may not transfer; the manager may, keeping Alice on the team.
		if res := o.alice.do("POST", "/api/v1/customers/"+c.ID.String()+"/transfer", map[string]any{"new_owner_id": o.bobU.ID}, nil); res.status != 403 {
			t.Fatalf("salesperson transfers: %d", res.status)
		}
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "随客户转移的商机"}, &opp)
		o.mgr.must(200, "POST", "/api/v1/customers/"+c.ID.String()+"/transfer", map[string]any{"new_owner_id": o.bobU.ID, "keep_old_as": "customer_success", "carry": true}, nil)
		o.bob.must(200, "GET", "/api/v1/opportunities/"+opp.ID.String(), nil, &opp)
		if opp.OwnerID != o.bobU.ID {
			t.Fatalf("the opportunity was not carried along: owner %s", opp.OwnerID)
		}
		o.bob.must(200, "GET", "/api/v1/customers/"+c.ID.String(), nil, nil)
		o.alice.must(200, "GET", "/api/v1/customers/"+c.ID.String(), nil, nil) // still on the team, read-only
		var hist cohort.Page[cohort.TeamMember]
		o.mgr.must(200, "GET", "/api/v1/customers/"+c.ID.String()+"/team?history=true", nil, &hist)
		var closedAliceOwner, openBobOwner, aliceCS bool
		for _, m := range hist.Items {
			switch {
			case m.UserID == o.aliceU.ID && m.Role == "owner" && m.ValidTo != nil:
				closedAliceOwner = true
			case m.UserID == o.bobU.ID && m.Role == "owner" && m.ValidTo == nil && m.ShareBP == 10000:
				openBobOwner = true
			case m.UserID == o.aliceU.ID && m.Role == "customer_success" && m.ValidTo == nil && m.Access == "read":
				aliceCS = true
			}
		}
		if !closedAliceOwner || !openBobOwner || !aliceCS {
			t.Fatalf("team history after transfer: %+v", hist.Items)
		}
	})
}

func TestFollowUpChainAndWorkbench(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "杭州云帆网络"}, &c)
		var k cohort.Contact
		o.alice.must(201, "POST", "/api/v1/customers/"+c.ID.String()+"/contacts", map[string]any{"name": "陈总", "phone": "0086 138 0013 8000", "is_primary": true}, &k)
		if k.Phone != "13800138000" {
			t.Fatalf("phone not normalised: %q", k.Phone)
		}
		// A follow-up without a next action is refused and writes nothing.
		res := o.alice.do("POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "call", "duration_s": 300, "content": "初次电话"}, nil)
		if res.status != 422 || res.problem(t).Errors[0].Field != "next_action" {
			t.Fatalf("no next action: %d %s", res.status, res.body)
		}
		var first struct {
			FollowUp   cohort.FollowUp
			NextAction cohort.NextAction `json:"next_action"`
		}
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "contact_id": k.ID, "type": "call", "duration_s": 300,
			"content": "初次电话，客户对CRM有兴趣", "next_action": map[string]any{"fuzzy": "later_today", "plan_type": "cultivate_need"}}, &first)
		if first.NextAction.Status != "open" || !first.NextAction.DueTo.After(first.NextAction.DueFrom) {
			t.Fatalf("next action %+v", first.NextAction)
		}
		var wb service.Workbench
		o.alice.must(200, "GET", "/api/v1/workbench", nil, &wb)
		if len(wb.Today) != 1 || wb.Today[0].CustomerName != "杭州云帆网络" {
			t.Fatalf("workbench today %+v", wb.Today)
		}
		// The next follow-up closes it and sets another: a chain.
		var second struct {
			NextAction cohort.NextAction `json:"next_action"`
		}
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "visit", "content": "上门拜访",
			"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "explore_opportunity"}}, &second)
		o.alice.must(200, "GET", "/api/v1/workbench", nil, &wb)
		if len(wb.Today) != 0 || len(wb.Overdue) != 0 {
			t.Fatalf("after the chain: today %d overdue %d", len(wb.Today), len(wb.Overdue))
		}
		// Bad inputs.
		for name, body := range map[string]map[string]any{
			"type":       {"customer_id": c.ID, "type": "telepathy", "next_action": map[string]any{"fuzzy": "tomorrow", "plan_type": "greeting"}},
			"fuzzy":      {"customer_id": c.ID, "type": "call", "next_action": map[string]any{"fuzzy": "someday", "plan_type": "greeting"}},
			"future":     {"customer_id": c.ID, "type": "call", "occurred_at": "2099-01-01T00:00:00Z", "next_action": map[string]any{"fuzzy": "tomorrow", "plan_type": "greeting"}},
			"badtime":    {"customer_id": c.ID, "type": "call", "occurred_at": "yesterday", "next_action": map[string]any{"fuzzy": "tomorrow", "plan_type": "greeting"}},
			"duration":   {"customer_id": c.ID, "type": "call", "duration_s": -5, "next_action": map[string]any{"fuzzy": "tomorrow", "plan_type": "greeting"}},
			"no contact": {"customer_id": c.ID, "type": "call", "contact_id": "12345", "next_action": map[string]any{"fuzzy": "tomorrow", "plan_type": "greeting"}},
		} {
			if res := o.alice.do("POST", "/api/v1/followups", body, nil); res.status < 400 || res.status >= 500 {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		// Bob cannot log on Alice's customer: not found.
		if res := o.bob.do("POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "call",
			"next_action": map[string]any{"fuzzy": "tomorrow", "plan_type": "greeting"}}, nil); res.status != 404 {
			t.Fatalf("bob logs on alice's customer: %d", res.status)
		}
		var list cohort.Page[cohort.FollowUp]
		o.alice.must(200, "GET", "/api/v1/followups?customer_id="+c.ID.String(), nil, &list)
		if len(list.Items) != 2 || list.Items[0].Type != "visit" || list.Items[1].AuthorName != "Alice" {
			t.Fatalf("follow-ups %+v", list.Items)
		}
		// The record page shows the customer's open next action (one: each
		// follow-up closes the previous ones); Bob may not see it.
		var na cohort.Page[cohort.NextAction]
		o.alice.must(200, "GET", "/api/v1/customers/"+c.ID.String()+"/next-actions", nil, &na)
		if len(na.Items) != 1 || na.Items[0].Status != "open" || na.Items[0].CustomerID != c.ID {
			t.Fatalf("next actions %+v", na.Items)
		}
		if res := o.bob.do("GET", "/api/v1/customers/"+c.ID.String()+"/next-actions", nil, nil); res.status != 404 {
			t.Fatalf("bob reads alice's next actions: %d", res.status)
		}
		var tl cohort.Page[service.TimelineItem]
		o.alice.must(200, "GET", "/api/v1/customers/"+c.ID.String()+"/timeline", nil, &tl)
		kinds := map[string]int{}
		for _, it := range tl.Items {
			kinds[it.Kind]++
		}
		if kinds["followup"] != 2 || kinds["change"] < 1 {
			t.Fatalf("timeline kinds %v", kinds)
		}
		var cust cohort.Customer
		o.alice.must(200, "GET", "/api/v1/customers/"+c.ID.String(), nil, &cust)
		if cust.LastFollowUpAt == nil {
			t.Fatal("last follow-up time not kept")
		}
	})
}

func TestDefaultTeamJoinsNewRecords(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		if res := o.alice.do("PUT", "/api/v1/me/default-team", map[string]any{"members": []map[string]any{{"user_id": o.bobU.ID, "role": "owner"}}}, nil); res.status != 422 {
			t.Fatalf("owner in a default team: %d", res.status)
		}
		o.alice.must(200, "PUT", "/api/v1/me/default-team", map[string]any{"members": []map[string]any{
			{"user_id": o.preU.ID, "role": "presales", "access": "write", "share_bp": 5000}}}, nil)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "默认团队测试公司"}, &c)
		var team cohort.Page[cohort.TeamMember]
		o.alice.must(200, "GET", "/api/v1/customers/"+c.ID.String()+"/team", nil, &team)
		if len(team.Items) != 2 || team.Items[1].UserID != o.preU.ID || team.Items[1].ShareBP != 5000 || team.Items[1].Access != "write" {
			t.Fatalf("team %+v", team.Items)
		}
		// The presales member may edit it: write access through the team.
		o.pre.must(200, "PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"grade": "A"}, nil)
	})
}

func TestFollowAndSavedViews(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var a, b cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "关注甲"}, &a)
		o.bob.must(201, "POST", "/api/v1/customers", map[string]any{"name": "关注乙"}, &b)
		if res := o.alice.do("PUT", "/api/v1/customers/"+b.ID.String()+"/follow", nil, nil); res.status != 404 {
			t.Fatalf("following an invisible customer: %d", res.status)
		}
		o.alice.must(204, "PUT", "/api/v1/customers/"+a.ID.String()+"/follow", nil, nil)
		o.alice.must(204, "PUT", "/api/v1/customers/"+a.ID.String()+"/follow", nil, nil) // twice is fine
		var page cohort.Page[cohort.Customer]
		o.alice.must(200, "GET", "/api/v1/customers?view=followed", nil, &page)
		if len(page.Items) != 1 || page.Items[0].ID != a.ID {
			t.Fatalf("followed view %+v", page.Items)
		}
		o.alice.must(204, "DELETE", "/api/v1/customers/"+a.ID.String()+"/follow", nil, nil)
		o.alice.must(200, "GET", "/api/v1/customers?view=followed", nil, &page)
		if len(page.Items) != 0 {
			t.Fatalf("after unfollow %+v", page.Items)
		}
		var v struct{ ID cohort.ID }
		o.alice.must(201, "POST", "/api/v1/views", map[string]any{"object_type": "customer", "name": "A级上海", "query": "view=mine&filter=grade:eq:A&sort=-created_at"}, &v)
		if res := o.alice.do("POST", "/api/v1/views", map[string]any{"object_type": "customer", "name": "坏", "query": "password=x"}, nil); res.status != 422 {
			t.Fatalf("view with a foreign parameter: %d", res.status)
		}
		var views cohort.Page[map[string]any]
		o.alice.must(200, "GET", "/api/v1/views?object_type=customer", nil, &views)
		o.bob.must(200, "GET", "/api/v1/views?object_type=customer", nil, &page)
		if len(views.Items) != 1 || len(page.Items) != 0 {
			t.Fatalf("views: alice %d, bob %d", len(views.Items), len(page.Items))
		}
		if res := o.bob.do("DELETE", "/api/v1/views/"+v.ID.String(), nil, nil); res.status != 404 {
			t.Fatalf("bob deletes alice's view: %d", res.status)
		}
		o.alice.must(204, "DELETE", "/api/v1/views/"+v.ID.String(), nil, nil)
	})
}

func TestTenantFollowUpTypes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "直播客户"}, &c)
		body := map[string]any{"customer_id": c.ID, "type": "livestream", "next_action": map[string]any{"fuzzy": "tomorrow", "plan_type": "keep_in_touch"}}
		if res := o.alice.do("POST", "/api/v1/followups", body, nil); res.status != 422 {
			t.Fatalf("unknown type: %d", res.status)
		}
		if res := o.alice.do("PUT", "/api/v1/settings/followup-types", map[string]any{"types": []map[string]string{{"key": "livestream", "name_zh": "直播", "name_en": "Livestream"}}}, nil); res.status != 403 {
			t.Fatalf("salesperson sets types: %d", res.status)
		}
		if res := o.admin.do("PUT", "/api/v1/settings/followup-types", map[string]any{"types": []map[string]string{{"key": "call", "name_zh": "电话", "name_en": "Call"}}}, nil); res.status != 422 {
			t.Fatalf("redefining a built-in type: %d", res.status)
		}
		o.admin.must(200, "PUT", "/api/v1/settings/followup-types", map[string]any{"types": []map[string]string{{"key": "livestream", "name_zh": "直播", "name_en": "Livestream"}}}, nil)
		o.alice.must(201, "POST", "/api/v1/followups", body, nil)
	})
}

// TestDepartmentScopeWithTeam checks a department-wide scope (the manager's)
// with a record of another department whose team the manager is on, in
// lists, details and search: the department's records and the team's, not
// the other department's.
func TestDepartmentScopeWithTeam(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var mine, joined, other cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "上海甲方科技有限公司"}, &mine)
		o.pre.must(201, "POST", "/api/v1/customers", map[string]any{"name": "上海乙方科技有限公司"}, &joined)
		o.pre.must(201, "POST", "/api/v1/customers", map[string]any{"name": "上海丙方科技有限公司"}, &other)
		team := []map[string]any{{"user_id": o.preU.ID, "role": "owner"}, {"user_id": o.mgrU.ID, "role": "customer_success", "access": "read"}}
		o.pre.must(200, "PUT", "/api/v1/customers/"+joined.ID.String()+"/team", map[string]any{"members": team}, nil)
		want := map[cohort.ID]bool{mine.ID: true, joined.ID: true}
		var page cohort.Page[cohort.Customer]
		o.mgr.must(200, "GET", "/api/v1/customers?limit=200", nil, &page)
		got := map[cohort.ID]bool{}
		for _, c := range page.Items {
			got[c.ID] = true
		}
		if len(got) != 2 || !got[mine.ID] || !got[joined.ID] {
			t.Errorf("manager's customers %v, want %v", got, want)
		}
		o.mgr.must(200, "GET", "/api/v1/customers/"+joined.ID.String(), nil, nil)
		if res := o.mgr.do("GET", "/api/v1/customers/"+other.ID.String(), nil, nil); res.status != 404 {
			t.Errorf("manager sees another department's customer: %d", res.status)
		}
		if res := o.mgr.do("PATCH", "/api/v1/customers/"+joined.ID.String(), map[string]any{"grade": "A"}, nil); res.status != 404 {
			t.Errorf("read-only member edits: %d", res.status)
		}
		var hits struct {
			Items []struct{ ObjectType, ObjectID string }
		}
		o.mgr.must(200, "GET", "/api/v1/search?q=%E4%B8%8A%E6%B5%B7&types=customer", nil, &hits)
		got = map[cohort.ID]bool{}
		for _, h := range hits.Items {
			for _, c := range []cohort.Customer{mine, joined, other} {
				if h.ObjectID == c.ID.String() {
					got[c.ID] = true
				}
			}
		}
		if len(got) != 2 || !got[mine.ID] || !got[joined.ID] || len(hits.Items) != 2 {
			t.Errorf("manager's search %+v, want %v", hits.Items, want)
		}
	})
}
