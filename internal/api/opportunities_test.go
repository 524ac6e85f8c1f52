package api_test

import (
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func TestOpportunityStagesAndOutcome(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var procs cohort.Page[cohort.SalesProcess]
		o.alice.must(200, "GET", "/api/v1/sales-processes", nil, &procs)
		var big cohort.SalesProcess
		for _, p := range procs.Items {
			if p.Key == "big_order" {
				big = p
			}
		}
		if len(procs.Items) != 4 || big.ID == 0 {
			t.Fatalf("built-in processes %+v", procs.Items)
		}
		var cat struct{ ID cohort.ID }
		o.admin.must(201, "POST", "/api/v1/product-categories", map[string]any{"name": "软件"}, &cat)
		if res := o.admin.do("POST", "/api/v1/product-categories", map[string]any{"name": "软件"}, nil); res.status != 409 {
			t.Fatalf("duplicate category: %d", res.status)
		}
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "CRM-STD", "name": "CRM 标准版", "unit": "套", "price": 1980000, "category_id": cat.ID}, &prod)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "成都天府软件园"}, &c)
		var k cohort.Contact
		o.alice.must(201, "POST", "/api/v1/customers/"+c.ID.String()+"/contacts", map[string]any{"name": "刘工"}, &k)

		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "process_id": big.ID, "name": "天府软件园 CRM 项目",
			"lines": []map[string]any{{"product_id": prod.ID, "quantity": 3, "discount_bp": 1000}},
			"team":  []map[string]any{{"user_id": o.preU.ID, "role": "presales", "share_bp": 10000}}}, &opp)
		if opp.Stage != "qualify" || opp.Amount != 5346000 || len(opp.Lines) != 1 || opp.Lines[0].ProductName != "CRM 标准版" || opp.CustomerName != "成都天府软件园" {
			t.Fatalf("created %+v", opp)
		}
		// A list carries each customer's name (the kanban asks for no customer).
		var listed cohort.Page[cohort.Opportunity]
		o.alice.must(200, "GET", "/api/v1/opportunities?filter=stage:eq:qualify", nil, &listed)
		if len(listed.Items) != 1 || listed.Items[0].CustomerName != "成都天府软件园" {
			t.Fatalf("listed %+v", listed.Items)
		}
		// Presales on the team sees it from another department.
		o.pre.must(200, "GET", "/api/v1/opportunities/"+opp.ID.String(), nil, nil)
		if res := o.bob.do("GET", "/api/v1/opportunities/"+opp.ID.String(), nil, nil); res.status != 404 {
			t.Fatalf("bob sees it: %d", res.status)
		}

		// "needs" requires a contact and a visit: the refusal names both.
		res := o.alice.do("POST", "/api/v1/opportunities/"+opp.ID.String()+"/stage", map[string]any{"stage": "needs"}, nil)
		p := res.problem(t)
		if res.status != 422 || !strings.Contains(p.Detail, "contact_id") || !strings.Contains(p.Detail, "visit") {
			t.Fatalf("stage without requirements: %d %s", res.status, res.body)
		}
		o.alice.must(200, "PATCH", "/api/v1/opportunities/"+opp.ID.String(), map[string]any{"contact_id": k.ID}, nil)
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "record_type": "opportunity", "record_id": opp.ID,
			"type": "visit", "content": "现场调研", "next_action": map[string]any{"fuzzy": "this_week", "plan_type": "explore_opportunity"}}, nil)
		o.alice.must(200, "POST", "/api/v1/opportunities/"+opp.ID.String()+"/stage", map[string]any{"stage": "needs"}, &opp)
		// Skipping ahead to negotiation needs a sent proposal and a close date.
		res = o.alice.do("POST", "/api/v1/opportunities/"+opp.ID.String()+"/stage", map[string]any{"stage": "negotiation"}, nil)
		if res.status != 422 || !strings.Contains(res.problem(t).Detail, "proposal_sent") {
			t.Fatalf("negotiation without proposal: %d %s", res.status, res.body)
		}
		if res := o.alice.do("POST", "/api/v1/opportunities/"+opp.ID.String()+"/stage", map[string]any{"stage": "nowhere"}, nil); res.status != 422 {
			t.Fatalf("unknown stage: %d", res.status)
		}
		// A stale version is refused.
		if res := o.alice.do("POST", "/api/v1/opportunities/"+opp.ID.String()+"/stage", map[string]any{"stage": "qualify"},
			map[string]string{"If-Match": `"v1"`}); res.status != 412 {
			t.Fatalf("stale stage move: %d", res.status)
		}
		// Going back is always allowed.
		o.alice.must(200, "POST", "/api/v1/opportunities/"+opp.ID.String()+"/stage", map[string]any{"stage": "qualify"}, nil)
		if res := o.alice.do("POST", "/api/v1/opportunities/"+opp.ID.String()+"/close", map[string]any{"outcome": "lost"}, nil); res.status != 422 {
			t.Fatalf("lost without reason: %d", res.status)
		}
		o.alice.must(200, "POST", "/api/v1/opportunities/"+opp.ID.String()+"/close", map[string]any{"outcome": "lost", "loss_reason": "价格", "competitor": "某竞品"}, &opp)
		if opp.Status != "lost" || opp.ClosedAt == nil || opp.Competitor != "某竞品" {
			t.Fatalf("lost %+v", opp)
		}
		if res := o.alice.do("PATCH", "/api/v1/opportunities/"+opp.ID.String(), map[string]any{"name": "again"}, nil); res.status != 409 {
			t.Fatalf("closed opportunity changes: %d", res.status)
		}
		var hist cohort.Page[cohort.StageEntry]
		o.alice.must(200, "GET", "/api/v1/opportunities/"+opp.ID.String()+"/stages", nil, &hist)
		var stages []string
		for _, h := range hist.Items {
			stages = append(stages, h.Stage)
		}
		if strings.Join(stages, ",") != "qualify,needs,qualify,lost" || hist.Items[len(hist.Items)-1].LeftAt != nil || hist.Items[0].LeftAt == nil {
			t.Fatalf("stage history %v", stages)
		}
		// The sales process cannot lose a stage that open opportunities use.
		var small cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "process_id": big.ID, "name": "二期"}, &small)
		stagesLeft := big.Stages[1:]
		if res := o.admin.do("PATCH", "/api/v1/sales-processes/"+big.ID.String(), map[string]any{"name_zh": big.NameZh, "name_en": big.NameEn, "stages": stagesLeft}, nil); res.status != 409 {
			t.Fatalf("removing a used stage: %d %s", res.status, res.body)
		}
		o.alice.must(200, "POST", "/api/v1/opportunities/"+small.ID.String()+"/close", map[string]any{"outcome": "invalid"}, nil)
		o.admin.must(200, "PATCH", "/api/v1/sales-processes/"+big.ID.String(), map[string]any{"name_zh": big.NameZh, "name_en": big.NameEn, "stages": stagesLeft}, nil)
	})
}

// TestRecordTimelines: every record page has a timeline of its follow-ups
// and changes, within the caller's scope.
func TestRecordTimelines(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "宁波港口物流"}, &c)
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "name": "港口调度系统"}, &opp)
		o.alice.must(200, "PATCH", "/api/v1/opportunities/"+opp.ID.String(), map[string]any{"amount": 880000}, nil)
		next := map[string]any{"fuzzy": "next_week", "plan_type": "explore_opportunity"}
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "record_type": "opportunity", "record_id": opp.ID,
			"type": "visit", "content": "调度中心现场演示", "next_action": next}, nil)
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "call", "content": "问候", "next_action": next}, nil)

		var tl cohort.Page[service.TimelineItem]
		o.alice.must(200, "GET", "/api/v1/opportunities/"+opp.ID.String()+"/timeline", nil, &tl)
		kinds := map[string]int{}
		for _, it := range tl.Items {
			kinds[it.Kind]++
			if it.Kind == "followup" && it.FollowUp.Content != "调度中心现场演示" {
				t.Errorf("a follow-up not linked to the opportunity: %+v", it.FollowUp)
			}
		}
		if kinds["followup"] != 1 || kinds["change"] < 2 { // created, changed
			t.Fatalf("opportunity timeline %+v", tl.Items)
		}
		for i := 1; i < len(tl.Items); i++ {
			if tl.Items[i].At.After(tl.Items[i-1].At) {
				t.Fatalf("timeline not newest first: %+v", tl.Items)
			}
		}
		o.alice.must(200, "GET", "/api/v1/customers/"+c.ID.String()+"/timeline", nil, &tl)
		if n := countKind(tl.Items, "followup"); n != 2 {
			t.Fatalf("customer timeline follow-ups %d", n)
		}

		var lead cohort.Lead
		o.alice.must(201, "POST", "/api/v1/leads", map[string]any{"name": "周经理", "company": "舟山渔业"}, &lead)
		o.alice.must(200, "GET", "/api/v1/leads/"+lead.ID.String()+"/timeline", nil, &tl)
		if countKind(tl.Items, "change") != 1 || tl.Items[0].Change.Action != "create" {
			t.Fatalf("lead timeline %+v", tl.Items)
		}
		// Bob sees neither; an unknown type has no timeline route.
		for _, path := range []string{"/api/v1/opportunities/" + opp.ID.String() + "/timeline", "/api/v1/leads/" + lead.ID.String() + "/timeline"} {
			if res := o.bob.do("GET", path, nil, nil); res.status != 404 {
				t.Errorf("bob reads %s: %d", path, res.status)
			}
		}
	})
}

func countKind(items []service.TimelineItem, kind string) int {
	n := 0
	for _, it := range items {
		if it.Kind == kind {
			n++
		}
	}
	return n
}

// TestStageGatesOnTheWay: a move over several stages checks the requirements
// of every stage passed, not only of the stage entered; moving back is
// allowed and recorded in the stage history and the audit trail.
func TestStageGatesOnTheWay(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var procs cohort.Page[cohort.SalesProcess]
		o.alice.must(200, "GET", "/api/v1/sales-processes", nil, &procs)
		var big cohort.SalesProcess
		for _, p := range procs.Items {
			if p.Key == "big_order" {
				big = p
			}
		}
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "绵阳科技城"}, &c)
		var k cohort.Contact
		o.alice.must(201, "POST", "/api/v1/customers/"+c.ID.String()+"/contacts", map[string]any{"name": "周工"}, &k)
		// Proposal's own requirements (amount, close date) are met; needs
		// analysis (a contact and a visit) is not.
		var opp cohort.Opportunity
		o.alice.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": c.ID, "process_id": big.ID, "name": "科技城平台",
			"amount": 300000000, "expected_close_date": "2027-03-31"}, &opp)
		path := "/api/v1/opportunities/" + opp.ID.String()
		res := o.alice.do("POST", path+"/stage", map[string]any{"stage": "proposal"}, nil)
		p := res.problem(t)
		if res.status != 422 || !strings.Contains(p.Detail, "passing Needs analysis (需求分析): missing field contact_id, a follow-up of type visit") {
			t.Fatalf("drag over needs analysis: %d %s", res.status, res.body)
		}
		if strings.Contains(p.Detail, "cannot enter Proposal (方案制定): missing") {
			t.Fatalf("proposal's own requirements are met, yet: %s", p.Detail)
		}
		var now cohort.Opportunity
		o.alice.must(200, "GET", path, nil, &now)
		if now.Stage != "qualify" || now.Version != opp.Version {
			t.Fatalf("a refused move changed the opportunity: %+v", now)
		}
		// The contact alone is not enough: the visit is still missing.
		o.alice.must(200, "PATCH", path, map[string]any{"contact_id": k.ID}, nil)
		res = o.alice.do("POST", path+"/stage", map[string]any{"stage": "proposal"}, nil)
		if p := res.problem(t); res.status != 422 || strings.Contains(p.Detail, "contact_id") || !strings.Contains(p.Detail, "visit") {
			t.Fatalf("contact set, visit missing: %d %s", res.status, res.body)
		}
		o.alice.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "record_type": "opportunity", "record_id": opp.ID,
			"type": "visit", "content": "现场拜访", "next_action": map[string]any{"fuzzy": "this_week", "plan_type": "explore_opportunity"}}, nil)
		o.alice.must(200, "POST", path+"/stage", map[string]any{"stage": "proposal"}, &opp)
		// Three stages at once: negotiation and contract both need their
		// follow-ups, and the refusal names both stages.
		res = o.alice.do("POST", path+"/stage", map[string]any{"stage": "contract"}, nil)
		if p := res.problem(t); res.status != 422 || !strings.Contains(p.Detail, "cannot enter Contract (合同审批): missing field lines, a follow-up of type quote_sent") ||
			!strings.Contains(p.Detail, "passing Negotiation (商务谈判): missing a follow-up of type proposal_sent") {
			t.Fatalf("drag to contract: %d %s", res.status, res.body)
		}
		// Back two stages: allowed without checks, and recorded.
		o.alice.must(200, "POST", path+"/stage", map[string]any{"stage": "qualify"}, &opp)
		var hist cohort.Page[cohort.StageEntry]
		o.alice.must(200, "GET", path+"/stages", nil, &hist)
		var stages []string
		for _, h := range hist.Items {
			stages = append(stages, h.Stage)
		}
		if strings.Join(stages, ",") != "qualify,proposal,qualify" {
			t.Fatalf("stage history %v", stages)
		}
	})
}
