package api_test

import (
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func TestLeadConversion(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var l cohort.Lead
		o.alice.must(201, "POST", "/api/v1/leads", map[string]any{"name": "孙丽", "company": "武汉光谷生物科技有限公司", "title": "采购经理",
			"phone": "+86 139 0000 1111", "industry": "生物医药", "province": "湖北", "source": "展会"}, &l)
		if l.Phone != "13900001111" || l.Status != "new" || l.OwnerID != o.aliceU.ID {
			t.Fatalf("lead %+v", l)
		}
		if res := o.bob.do("GET", "/api/v1/leads/"+l.ID.String(), nil, nil); res.status != 404 {
			t.Fatalf("bob sees alice's lead: %d", res.status)
		}
		// A mapping that names unknown fields is refused; the admin maps the title to the contact's wechat... no: a valid change.
		if res := o.admin.do("PUT", "/api/v1/settings/lead-mapping", map[string]any{"customer": map[string]string{"name": "salary"}, "contact": map[string]string{"name": "name"}}, nil); res.status != 422 {
			t.Fatalf("bad mapping: %d %s", res.status, res.body)
		}
		o.admin.must(200, "PUT", "/api/v1/settings/lead-mapping", map[string]any{
			"customer":    map[string]string{"name": "company", "segment": "industry", "province": "province"},
			"contact":     map[string]string{"name": "name", "title": "title", "phone": "phone"},
			"opportunity": map[string]string{"source": "source"}}, nil)

		o.alice.must(200, "POST", "/api/v1/leads/"+l.ID.String()+"/convert", map[string]any{"opportunity": map[string]any{"amount": 3000000}}, &l)
		if l.Status != "converted" || l.CustomerID == 0 || l.ContactID == 0 || l.OpportunityID == 0 || l.ConvertedAt == nil {
			t.Fatalf("converted lead %+v", l)
		}
		var c cohort.Customer
		o.alice.must(200, "GET", "/api/v1/customers/"+l.CustomerID.String(), nil, &c)
		if c.Name != "武汉光谷生物科技有限公司" || c.Segment != "生物医药" || c.Province != "湖北" || c.Industry != "" || c.OwnerID != o.aliceU.ID {
			t.Fatalf("customer from the mapping %+v", c)
		}
		var contacts cohort.Page[cohort.Contact]
		o.alice.must(200, "GET", "/api/v1/customers/"+c.ID.String()+"/contacts", nil, &contacts)
		if len(contacts.Items) != 1 || contacts.Items[0].Title != "采购经理" || contacts.Items[0].Phone != "13900001111" {
			t.Fatalf("contact %+v", contacts.Items)
		}
		var opp cohort.Opportunity
		o.alice.must(200, "GET", "/api/v1/opportunities/"+l.OpportunityID.String(), nil, &opp)
		if opp.Amount != 3000000 || opp.Source != "展会" || opp.ContactID != l.ContactID {
			t.Fatalf("opportunity %+v", opp)
		}
		if res := o.alice.do("POST", "/api/v1/leads/"+l.ID.String()+"/convert", map[string]any{}, nil); res.status != 409 {
			t.Fatalf("second conversion: %d", res.status)
		}
		// A second lead of the same company converts onto the existing customer; without it, the duplicate is refused whole.
		var l2 cohort.Lead
		o.alice.must(201, "POST", "/api/v1/leads", map[string]any{"name": "钱七", "company": "武汉光谷生物科技 有限公司"}, &l2)
		if res := o.alice.do("POST", "/api/v1/leads/"+l2.ID.String()+"/convert", map[string]any{}, nil); res.status != 409 {
			t.Fatalf("duplicate customer on conversion: %d %s", res.status, res.body)
		}
		var still cohort.Lead
		o.alice.must(200, "GET", "/api/v1/leads/"+l2.ID.String(), nil, &still)
		if still.Status != "new" {
			t.Fatalf("a refused conversion changed the lead: %+v", still)
		}
		o.alice.must(200, "POST", "/api/v1/leads/"+l2.ID.String()+"/convert", map[string]any{"customer_id": c.ID}, &l2)
		o.alice.must(200, "GET", "/api/v1/customers/"+c.ID.String()+"/contacts", nil, &contacts)
		if l2.CustomerID != c.ID || len(contacts.Items) != 2 {
			t.Fatalf("linked conversion %+v, %d contacts", l2, len(contacts.Items))
		}
	})
}
