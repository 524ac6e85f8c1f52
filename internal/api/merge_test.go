package api_test

import (
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func TestDuplicatesAndMerge(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var a, b cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "南京紫金山软件", "province": "江苏"}, &a)
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "紫金山软件南京分公司", "industry": "软件", "custom": map[string]any{}}, &b)
		o.alice.must(201, "POST", "/api/v1/customers/"+a.ID.String()+"/contacts", map[string]any{"name": "吴总", "phone": "13512345678", "is_primary": true}, nil)
		o.alice.must(201, "POST", "/api/v1/customers/"+b.ID.String()+"/contacts", map[string]any{"name": "吴总(分公司)", "phone": "135 1234 5678"}, nil)
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": b.ID, "type": "call", "next_action": map[string]any{"fuzzy": "tomorrow", "plan_type": "keep_in_touch"}}, nil)
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": b.ID, "name": "分公司项目"}, &opp)
		team := []map[string]any{{"user_id": o.aliceU.ID, "role": "owner"}, {"user_id": o.preU.ID, "role": "presales", "share_bp": 2000}}
		o.alice.must(200, "PUT", "/api/v1/customers/"+b.ID.String()+"/team", map[string]any{"members": team}, nil)

		var dups cohort.Page[service.Duplicate]
		o.alice.must(200, "GET", "/api/v1/customers/"+a.ID.String()+"/duplicates", nil, &dups)
		if len(dups.Items) != 1 || dups.Items[0].Customer.ID != b.ID || dups.Items[0].Rules[0] != "phone" {
			t.Fatalf("duplicates %+v", dups.Items)
		}
		if res := o.bob.do("POST", "/api/v1/customers/"+a.ID.String()+"/merge", map[string]any{"duplicate_id": b.ID}, nil); res.status != 404 {
			t.Fatalf("bob merges: %d", res.status)
		}
		if res := o.alice.do("POST", "/api/v1/customers/"+a.ID.String()+"/merge", map[string]any{"duplicate_id": a.ID}, nil); res.status != 422 {
			t.Fatalf("self merge: %d", res.status)
		}
		var res service.MergeResult
		o.alice.must(200, "POST", "/api/v1/customers/"+a.ID.String()+"/merge", map[string]any{"duplicate_id": b.ID}, &res)
		if res.Moved.Contacts != 1 || res.Moved.FollowUps != 1 || res.Moved.Opportunities != 1 || res.Moved.NextActions != 1 {
			t.Fatalf("moved %+v", res.Moved)
		}
		if res.Survivor.Industry != "软件" || res.Survivor.Province != "江苏" || res.Survivor.LastFollowUpAt == nil {
			t.Fatalf("survivor %+v", res.Survivor)
		}
		if r := o.alice.do("GET", "/api/v1/customers/"+b.ID.String(), nil, nil); r.status != 404 {
			t.Fatalf("duplicate still there: %d", r.status)
		}
		var contacts cohort.Page[cohort.Contact]
		o.alice.must(200, "GET", "/api/v1/customers/"+a.ID.String()+"/contacts", nil, &contacts)
		var got cohort.Opportunity
		o.alice.must(200, "GET", "/api/v1/opportunities/"+opp.ID.String(), nil, &got)
		var members cohort.Page[cohort.TeamMember]
		o.alice.must(200, "GET", "/api/v1/customers/"+a.ID.String()+"/team", nil, &members)
		if len(contacts.Items) != 2 || got.CustomerID != a.ID || len(members.Items) != 2 {
			t.Fatalf("after merge: %d contacts, opp on %s, team %+v", len(contacts.Items), got.CustomerID, members.Items)
		}
		var audit cohort.Page[cohort.AuditEntry]
		o.admin.must(200, "GET", "/api/v1/audit?object_id="+b.ID.String()+"&action=merged_into", nil, &audit)
		if len(audit.Items) != 1 {
			t.Fatalf("no audit trail on the duplicate: %+v", audit.Items)
		}
	})
}
