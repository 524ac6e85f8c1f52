package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

type okrKR struct {
	ID         cohort.ID `json:"id"`
	Kind       string    `json:"kind"`
	Version    int       `json:"version"`
	Weight     float64   `json:"weight"`
	Target     *float64  `json:"target"`
	Actual     *float64  `json:"actual"`
	Score      *float64  `json:"score"`
	SelfScore  *float64  `json:"self_score"`
	SelfNote   string    `json:"self_note"`
	AssessedBy cohort.ID `json:"assessed_by"`
	Problem    string    `json:"problem"`
	Unit       string    `json:"unit"`
}

type okrBucket struct {
	Key, From, To string
	Count         float64 `json:"count"`
	Quota         float64 `json:"quota"`
	Met           bool    `json:"met"`
}

type okrAction struct {
	ID         cohort.ID   `json:"id"`
	Kind       string      `json:"kind"`
	Version    int         `json:"version"`
	Done       bool        `json:"done"`
	DoneBy     cohort.ID   `json:"done_by"`
	DoneByName string      `json:"done_by_name"`
	Counted    *float64    `json:"counted"`
	Expected   *float64    `json:"expected"`
	Progress   *float64    `json:"progress"`
	BucketsMet int         `json:"buckets_met"`
	Buckets    []okrBucket `json:"buckets"`
}

type okrNode struct {
	ID         cohort.ID `json:"id"`
	Owner      string    `json:"owner"`
	OwnerName  string    `json:"owner_name"`
	Version    int       `json:"version"`
	Score      *float64  `json:"score"`
	KeyResults []okrKR   `json:"key_results"`
	Factors    []struct {
		Factor, Metric string
		Value          *float64 `json:"value"`
	} `json:"factors"`
	Strategies []struct {
		ID          cohort.ID `json:"id"`
		Factor      string    `json:"factor"`
		FactorValue struct {
			Metric string   `json:"metric"`
			Value  *float64 `json:"value"`
		} `json:"factor_value"`
		Progress *float64    `json:"progress"`
		Actions  []okrAction `json:"actions"`
	} `json:"strategies"`
}

type okrTree struct {
	Period struct {
		Key, From, To string
	} `json:"period"`
	AsOf         string    `json:"as_of"`
	TimeProgress float64   `json:"time_progress"`
	Items        []okrNode `json:"items"`
}

func (tr okrTree) node(t *testing.T, id cohort.ID) okrNode {
	t.Helper()
	for _, n := range tr.Items {
		if n.ID == id {
			return n
		}
	}
	t.Fatalf("objective %s not in the tree %+v", id, tr.Items)
	return okrNode{}
}

func (n okrNode) kr(t *testing.T, id cohort.ID) okrKR {
	t.Helper()
	for _, k := range n.KeyResults {
		if k.ID == id {
			return k
		}
	}
	t.Fatalf("key result %s not in %+v", id, n.KeyResults)
	return okrKR{}
}

type okrObj struct {
	ID      cohort.ID `json:"id"`
	Owner   string    `json:"owner"`
	Version int       `json:"version"`
}

// thisMonth is the current month in the tenant's zone (Asia/Shanghai).
func thisMonth() string {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return time.Now().In(loc).Format("2006-01")
}

// TestObjectiveScores creates objectives through the API and checks their
// figures move with the facts: a metric key result when a contract is
// signed, a goal key result with its rule's target, a self-assessment, the
// weighted objective score, a department's objective over its tree.
func TestObjectiveScores(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		month := thisMonth()
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "OKR-1", "name": "年度订阅", "price": 1000000}, &prod)
		var goal goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约金额", "metric": "signed_amount", "subject_type": "person", "cycle": "month"}, &goal)
		o.admin.must(200, "PUT", "/api/v1/goal-rules/"+id(goal.ID)+"/values", map[string]any{"cells": []map[string]any{{"subject": person(o.aliceU), "period": month, "value": 8000000}}}, nil)

		// Alice's objective, owned by her by default.
		var obj okrObj
		o.alice.must(201, "POST", "/api/v1/objectives", map[string]any{"title": "拿下华东大客户", "period": month}, &obj)
		if obj.Owner != person(o.aliceU) {
			t.Fatalf("default owner %q", obj.Owner)
		}
		base := "/api/v1/objectives/" + id(obj.ID)
		var signed, byGoal, self okrKR
		o.alice.must(201, "POST", base+"/key-results", map[string]any{"title": "签约 4 万", "kind": "metric", "metric": "signed_amount", "target": 4000000, "weight": 3}, &signed)
		o.alice.must(201, "POST", base+"/key-results", map[string]any{"title": "完成本月签约目标", "kind": "goal", "goal_rule_id": goal.ID}, &byGoal)
		o.alice.must(201, "POST", base+"/key-results", map[string]any{"title": "客户满意", "kind": "self", "self_score": 0.5, "self_note": "两家表扬", "weight": 1}, &self)
		if self.AssessedBy != o.aliceU.ID || byGoal.Target != nil {
			t.Fatalf("self %+v, goal %+v", self, byGoal)
		}
		// A department objective for the sales department, by its manager.
		var dobj okrObj
		o.mgr.must(201, "POST", "/api/v1/objectives", map[string]any{"title": "华东部门冲刺", "owner": dept(o.aliceU.DepartmentID), "period": month}, &dobj)
		var dkr okrKR
		o.mgr.must(201, "POST", "/api/v1/objectives/"+id(dobj.ID)+"/key-results", map[string]any{"title": "部门签约 10 万", "kind": "metric", "metric": "signed_amount", "target": 10000000}, &dkr)

		var tr okrTree
		o.alice.must(200, "GET", base+"/tree", nil, &tr)
		n := tr.node(t, obj.ID)
		num(t, "signed actual before", n.kr(t, signed.ID).Actual, 0)
		num(t, "signed score before", n.kr(t, signed.ID).Score, 0)
		num(t, "goal target", n.kr(t, byGoal.ID).Target, 8000000)
		num(t, "goal score before", n.kr(t, byGoal.ID).Score, 0)
		// (3×0 + 1×0 + 1×0.5) ÷ 5
		num(t, "objective score before", n.Score, 0.1)

		// Alice signs a contract of 5 × 10,000 yuan.
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "杭州云帆科技有限公司"}, &c)
		var k cohort.Deal
		o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "年度订阅合同", "lines": []map[string]any{{"product_id": prod.ID, "quantity": 5}}}, &k)
		o.alice.must(200, "POST", "/api/v1/contracts/"+id(k.ID)+"/status", map[string]any{"status": "signed"}, nil)

		o.alice.must(200, "GET", "/api/v1/objectives/tree?period="+month+"&owner="+person(o.aliceU), nil, &tr)
		if len(tr.Items) != 1 || tr.Period.Key != month {
			t.Fatalf("alice's tree of %s: %+v", month, tr)
		}
		n = tr.node(t, obj.ID)
		num(t, "signed actual", n.kr(t, signed.ID).Actual, 5000000)
		num(t, "signed score (capped)", n.kr(t, signed.ID).Score, 1)
		num(t, "goal actual", n.kr(t, byGoal.ID).Actual, 5000000)
		num(t, "goal score", n.kr(t, byGoal.ID).Score, 0.625)
		// (3×1 + 1×0.625 + 1×0.5) ÷ 5
		num(t, "objective score", n.Score, 0.825)
		if len(n.Factors) != 4 || n.Factors[0].Factor != "opportunities" || n.Factors[2].Factor != "order_value" || n.Factors[2].Metric != "avg_signed_amount" {
			t.Fatalf("factors %+v", n.Factors)
		}

		// Self-assessment: a new score with a stale version is refused.
		if res := o.alice.do("PATCH", base+"/key-results/"+id(self.ID), map[string]any{"self_score": 0.9}, map[string]string{"If-Match": `"v9"`}); res.status != 412 {
			t.Fatalf("stale If-Match: %d %s", res.status, res.body)
		}
		var upd okrKR
		o.alice.must(200, "PATCH", base+"/key-results/"+id(self.ID), map[string]any{"self_score": 0.9, "self_note": "三家表扬"}, &upd)
		if upd.Version != 2 || *upd.SelfScore != 0.9 || upd.SelfNote != "三家表扬" {
			t.Fatalf("assessed %+v", upd)
		}
		o.alice.must(200, "GET", base+"/tree", nil, &tr)
		num(t, "objective score after assessment", tr.node(t, obj.ID).Score, (3+0.625+0.9)/5)

		// The department's objective counts its people: 50,000 of 100,000.
		o.mgr.must(200, "GET", "/api/v1/objectives/tree?period="+month, nil, &tr)
		dn := tr.node(t, dobj.ID)
		num(t, "department actual", dn.kr(t, dkr.ID).Actual, 5000000)
		num(t, "department score", dn.Score, 0.5)
		tr.node(t, obj.ID) // the manager reads Alice's too

		// Deleting a key result moves the score; deleting the objective
		// removes it with its parts.
		o.alice.must(204, "DELETE", base+"/key-results/"+id(byGoal.ID), nil, nil)
		o.alice.must(200, "GET", base+"/tree", nil, &tr)
		num(t, "score without the goal", tr.node(t, obj.ID).Score, (3+0.9)/4)
		o.mgr.must(204, "DELETE", "/api/v1/objectives/"+id(dobj.ID), nil, nil)
		if res := o.mgr.do("GET", "/api/v1/objectives/"+id(dobj.ID), nil, nil); res.status != 404 {
			t.Fatalf("deleted objective: %d", res.status)
		}
	})
}

// TestObjectiveActionQuotas counts quotas per week across a calendar year
// boundary inside an April fiscal year, once for the period, and a manual
// action ticked by hand.
func TestObjectiveActionQuotas(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		o.admin.must(200, "PATCH", "/api/v1/tenant/settings", map[string]any{"fiscal_year_start_month": 4}, nil)
		me := "person:" + id(o.env.admin.ID)
		var c cohort.Customer
		o.admin.must(201, "POST", "/api/v1/customers", map[string]any{"name": "宁波海港物流有限公司", "created_at": "2025-05-01T02:00:00Z"}, &c)
		visit := func(at string) {
			o.admin.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "visit", "occurred_at": at, "content": "上门拜访",
				"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "keep_in_touch"}}, nil)
		}
		// Local dates (Asia/Shanghai): Wed 2025-12-24; Tue 2025-12-30 and
		// Fri 2026-01-02 (the week of Mon 2025-12-29); Tue 2026-01-06; a
		// call on 2026-01-05 counts as no visit.
		for _, at := range []string{"2025-12-24T02:00:00Z", "2025-12-30T02:00:00Z", "2026-01-02T15:30:00Z", "2026-01-06T02:00:00Z"} {
			visit(at)
		}
		o.admin.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": c.ID, "type": "call", "occurred_at": "2026-01-05T02:00:00Z",
			"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "keep_in_touch"}}, nil)

		// FY2025 runs from Tue 2025-04-01 to 2026-04-01.
		var obj okrObj
		o.admin.must(201, "POST", "/api/v1/objectives", map[string]any{"title": "老客户深耕", "period": "FY2025"}, &obj)
		if obj.Owner != me {
			t.Fatalf("owner %s, want %s", obj.Owner, me)
		}
		base := "/api/v1/objectives/" + id(obj.ID)
		var st struct {
			ID cohort.ID `json:"id"`
		}
		o.admin.must(201, "POST", base+"/strategies", map[string]any{"title": "多拜访，多商机", "factor": "opportunities"}, &st)
		var weekly, total, training okrAction
		acts := base + "/strategies/" + id(st.ID) + "/actions"
		o.admin.must(201, "POST", acts, map[string]any{"title": "每周拜访 2 次", "kind": "quota", "metric": "visits", "quota": 2, "cadence": "week"}, &weekly)
		o.admin.must(201, "POST", acts, map[string]any{"title": "全年跟进 10 次拜访", "kind": "quota", "metric": "followups",
			"filters": []map[string]any{{"dimension": "followup_type", "values": []string{"visit"}}}, "quota": 10, "cadence": "period"}, &total)
		o.admin.must(201, "POST", acts, map[string]any{"title": "通过产品培训", "kind": "manual"}, &training)
		// A tenant's own metric: distinct customers visited, per month.
		o.admin.must(201, "POST", "/api/v1/metrics/custom", map[string]any{"name": "visited_customers", "label_zh": "拜访客户数", "label_en": "Customers visited", "unit": "count",
			"aggregate": map[string]any{"kinds": []string{"followup.done"}, "role": "author", "func": "count_distinct", "field": "customer_id", "attr": []string{"visit"}}}, nil)
		var monthly okrAction
		o.admin.must(201, "POST", acts, map[string]any{"title": "每月拜访 1 家客户", "kind": "quota", "metric": "visited_customers", "quota": 1, "cadence": "month"}, &monthly)

		var tr okrTree
		o.admin.must(200, "GET", base+"/tree?as_of=2026-01-07", nil, &tr)
		if tr.Period.From != "2025-04-01" || tr.Period.To != "2026-04-01" || tr.AsOf != "2026-01-07" {
			t.Fatalf("period %+v as of %s", tr.Period, tr.AsOf)
		}
		s := tr.node(t, obj.ID).Strategies[0]
		if s.Factor != "opportunities" || s.FactorValue.Metric != "new_opportunities" || len(s.Actions) != 4 {
			t.Fatalf("strategy %+v", s)
		}
		w := s.Actions[0]
		// Weeks from the one holding 2025-04-01 (keyed Mon 2025-03-31, six
		// days inside the period: quota 2 × 6/7) to the one holding
		// 2026-01-07 (Mon 2026-01-05): 41 weeks.
		if len(w.Buckets) != 41 || w.Buckets[0].Key != "2025-03-31" || w.Buckets[0].From != "2025-04-01" || w.Buckets[40].Key != "2026-01-05" {
			t.Fatalf("weekly buckets: %d, first %+v, last %+v", len(w.Buckets), w.Buckets[0], w.Buckets[len(w.Buckets)-1])
		}
		num(t, "prorated first week", &w.Buckets[0].Quota, 1.714286)
		byKey := map[string]okrBucket{}
		for _, b := range w.Buckets {
			byKey[b.Key] = b
		}
		if b := byKey["2025-12-29"]; b.Count != 2 || !b.Met || b.From != "2025-12-29" || b.To != "2026-01-05" {
			t.Fatalf("the week across the new year: %+v", b)
		}
		if b := byKey["2025-12-22"]; b.Count != 1 || b.Met {
			t.Fatalf("week of 2025-12-22: %+v", b)
		}
		if b := byKey["2026-01-05"]; b.Count != 1 {
			t.Fatalf("week of 2026-01-05 (the call is no visit): %+v", b)
		}
		num(t, "weekly counted", w.Counted, 4)
		num(t, "weekly expected", w.Expected, 2*6.0/7+40*2)
		num(t, "weekly progress", w.Progress, 4/(2*6.0/7+40*2))
		if w.BucketsMet != 1 {
			t.Fatalf("weeks met %d", w.BucketsMet)
		}
		tt := s.Actions[1]
		if len(tt.Buckets) != 1 || tt.Buckets[0].Key != "FY2025" {
			t.Fatalf("period bucket %+v", tt.Buckets)
		}
		num(t, "period counted", tt.Counted, 4)
		num(t, "period progress", tt.Progress, 0.4)
		num(t, "manual not done", s.Actions[2].Progress, 0)
		// Ten months (April to January); December and January met (the
		// same customer, once in each).
		m := s.Actions[3]
		if len(m.Buckets) != 10 || m.Buckets[8].Key != "2025-12" || m.Buckets[8].Count != 1 || !m.Buckets[9].Met || m.BucketsMet != 2 {
			t.Fatalf("monthly buckets of a tenant metric: %+v", m)
		}
		num(t, "monthly progress", m.Progress, 0.2)

		// As of the week before the new year the later visits do not count.
		o.admin.must(200, "GET", base+"/tree?as_of=2025-12-28", nil, &tr)
		num(t, "period counted as of 2025-12-28", tr.node(t, obj.ID).Strategies[0].Actions[1].Counted, 1)

		// Ticking the training: who and when; a quota cannot be ticked.
		var ticked okrAction
		o.admin.must(200, "PATCH", base+"/actions/"+id(training.ID), map[string]any{"done": true}, &ticked)
		if !ticked.Done || ticked.DoneBy != o.env.admin.ID {
			t.Fatalf("ticked %+v", ticked)
		}
		if res := o.admin.do("PATCH", base+"/actions/"+id(weekly.ID), map[string]any{"done": true}, nil); res.status != 422 || res.problem(t).Errors[0].Field != "done" {
			t.Fatalf("ticking a quota: %d %s", res.status, res.body)
		}
		o.admin.must(200, "GET", base+"/tree?as_of=2026-01-07", nil, &tr)
		s = tr.node(t, obj.ID).Strategies[0]
		num(t, "manual done", s.Actions[2].Progress, 1)
		if s.Actions[2].DoneByName == "" {
			t.Fatal("no name of who ticked it")
		}
		num(t, "strategy progress", s.Progress, (4/(2*6.0/7+40*2)+0.4+1+0.2)/4)
	})
}

// TestObjectiveScopeAndBadInput: a salesperson reads and changes only their
// own objectives, a manager their department's tree; bad input is a 4xx
// that changes nothing; another tenant's ids are not found.
func TestObjectiveScopeAndBadInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		month := thisMonth()
		var obj okrObj
		o.alice.must(201, "POST", "/api/v1/objectives", map[string]any{"title": "我的目标", "period": month}, &obj)
		base := "/api/v1/objectives/" + id(obj.ID)
		var kr okrKR
		o.alice.must(201, "POST", base+"/key-results", map[string]any{"title": "拜访", "kind": "metric", "metric": "visits", "target": 20}, &kr)
		var st struct {
			ID      cohort.ID `json:"id"`
			Version int       `json:"version"`
		}
		o.alice.must(201, "POST", base+"/strategies", map[string]any{"title": "勤拜访", "factor": "opportunities"}, &st)
		// A strategy changes with its version; a stale one or an unknown
		// factor changes nothing.
		sbase := base + "/strategies/" + id(st.ID)
		stale := map[string]string{"If-Match": fmt.Sprintf(`"v%d"`, st.Version+1)}
		if res := o.alice.do("PATCH", sbase, map[string]any{"title": "旧版本"}, stale); res.status != 412 {
			t.Fatalf("stale strategy patch: %d %s", res.status, res.body)
		}
		if res := o.alice.do("PATCH", sbase, map[string]any{"factor": "luck"}, nil); res.status != 422 || res.problem(t).Errors[0].Field != "factor" {
			t.Fatalf("unknown factor: %d %s", res.status, res.body)
		}
		var changed struct {
			Title   string `json:"title"`
			Factor  string `json:"factor"`
			Version int    `json:"version"`
		}
		o.alice.must(200, "PATCH", sbase, map[string]any{"title": "提高赢率", "factor": "conversion"}, &changed)
		if changed.Title != "提高赢率" || changed.Factor != "conversion" || changed.Version != st.Version+1 {
			t.Fatalf("strategy after patch %+v (was version %d)", changed, st.Version)
		}

		// Bob, a salesperson of the same department, neither reads nor changes it.
		for _, r := range []struct{ method, path string }{{"GET", base}, {"GET", base + "/tree"}, {"PATCH", base}, {"DELETE", base},
			{"POST", base + "/key-results"}, {"PATCH", base + "/key-results/" + id(kr.ID)}, {"POST", base + "/strategies/" + id(st.ID) + "/actions"}} {
			var body any
			if r.method == "POST" || r.method == "PATCH" {
				body = map[string]any{"title": "改"}
			}
			if res := o.bob.do(r.method, r.path, body, nil); res.status != 404 {
				t.Fatalf("bob %s %s: %d %s", r.method, r.path, res.status, res.body)
			}
		}
		var list cohort.Page[okrObj]
		o.bob.must(200, "GET", "/api/v1/objectives", nil, &list)
		if len(list.Items) != 0 {
			t.Fatalf("bob lists %+v", list.Items)
		}
		var tr okrTree
		o.bob.must(200, "GET", "/api/v1/objectives/tree?period="+month, nil, &tr)
		if len(tr.Items) != 0 {
			t.Fatalf("bob's tree %+v", tr.Items)
		}
		// Nor may Alice set objectives for Bob, her department or the company.
		for _, owner := range []string{person(o.bobU), dept(o.aliceU.DepartmentID), "company"} {
			if res := o.alice.do("POST", "/api/v1/objectives", map[string]any{"title": "x", "owner": owner, "period": month}, nil); res.status != 403 {
				t.Fatalf("alice sets an objective for %s: %d %s", owner, res.status, res.body)
			}
		}
		// Her manager reads and changes it; the presales colleague in
		// another department does not see it.
		var upd okrObj
		o.mgr.must(200, "PATCH", base, map[string]any{"title": "我的目标（经理改）"}, &upd)
		if upd.Version != 2 {
			t.Fatalf("manager's edit %+v", upd)
		}
		if res := o.pre.do("GET", base, nil, nil); res.status != 404 {
			t.Fatalf("presales reads alice's objective: %d", res.status)
		}
		// A department objective is out of Alice's reach.
		var dobj okrObj
		o.mgr.must(201, "POST", "/api/v1/objectives", map[string]any{"title": "部门目标", "owner": dept(o.aliceU.DepartmentID), "period": month}, &dobj)
		if res := o.alice.do("GET", "/api/v1/objectives/"+id(dobj.ID), nil, nil); res.status != 404 {
			t.Fatalf("alice reads the department's objective: %d", res.status)
		}

		// Another tenant's objective, goal rule and person.
		e2 := o.env
		_, _ = e2.newTenant("other", "admin@other.test")
		other := e2.login("admin@other.test", adminPassword)
		var oobj okrObj
		other.must(201, "POST", "/api/v1/objectives", map[string]any{"title": "乙方目标", "period": month, "owner": "company"}, &oobj)
		var orule goalRule
		other.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "乙方规则", "metric": "signed_amount", "subject_type": "person", "cycle": "month"}, &orule)
		var me struct {
			User cohort.User `json:"user"`
		}
		other.must(200, "GET", "/api/v1/me", nil, &me)
		for _, r := range []struct{ method, path string }{{"GET", "/api/v1/objectives/" + id(oobj.ID)}, {"PATCH", "/api/v1/objectives/" + id(oobj.ID)},
			{"GET", "/api/v1/objectives/" + id(oobj.ID) + "/tree"}, {"POST", "/api/v1/objectives/" + id(oobj.ID) + "/strategies"}} {
			var body any
			if r.method != "GET" {
				body = map[string]any{"title": "改"}
			}
			if res := o.admin.do(r.method, r.path, body, nil); res.status != 404 {
				t.Fatalf("another tenant's objective %s %s: %d", r.method, r.path, res.status)
			}
		}

		before := o.alice.do("GET", base+"/tree", nil, nil)
		bad := []struct {
			name, method, path string
			body               map[string]any
			status             int
			field              string
		}{
			{"unknown metric", "POST", base + "/key-results", map[string]any{"title": "x", "kind": "metric", "metric": "happiness", "target": 1}, 422, "metric"},
			{"unknown role", "POST", base + "/key-results", map[string]any{"title": "x", "kind": "metric", "metric": "signed_amount", "role": "wizard", "target": 1}, 422, "role"},
			{"role without credit", "POST", base + "/key-results", map[string]any{"title": "x", "kind": "metric", "metric": "visits", "role": "presales", "target": 1}, 422, "role"},
			{"no target", "POST", base + "/key-results", map[string]any{"title": "x", "kind": "metric", "metric": "visits"}, 422, "target"},
			{"weight 0", "POST", base + "/key-results", map[string]any{"title": "x", "kind": "self", "weight": 0}, 422, "weight"},
			{"negative weight", "PATCH", base + "/key-results/" + id(kr.ID), map[string]any{"weight": -2}, 422, "weight"},
			{"score above 1", "POST", base + "/key-results", map[string]any{"title": "x", "kind": "self", "self_score": 1.5}, 422, "self_score"},
			{"score below 0", "POST", base + "/key-results", map[string]any{"title": "x", "kind": "self", "self_score": -0.1}, 422, "self_score"},
			{"unknown kind", "POST", base + "/key-results", map[string]any{"title": "x", "kind": "vibes"}, 422, "kind"},
			{"filter on the subject", "POST", base + "/key-results", map[string]any{"title": "x", "kind": "metric", "metric": "visits", "target": 3,
				"filters": []map[string]any{{"dimension": "person", "values": []string{id(o.bobU.ID)}}}}, 422, "filters[0].dimension"},
			{"goal rule of another tenant", "POST", base + "/key-results", map[string]any{"title": "x", "kind": "goal", "goal_rule_id": orule.ID}, 422, "goal_rule_id"},
			{"owner of another tenant", "POST", "/api/v1/objectives", map[string]any{"title": "x", "period": month, "owner": "person:" + id(me.User.ID)}, 422, "owner"},
			{"month 13", "POST", "/api/v1/objectives", map[string]any{"title": "x", "period": "2026-13"}, 422, "period"},
			{"quarter 5", "POST", "/api/v1/objectives", map[string]any{"title": "x", "period": "FY2026-Q5"}, 422, "period"},
			{"a week", "POST", "/api/v1/objectives", map[string]any{"title": "x", "period": "W2026-01-05"}, 422, "period"},
			{"far past", "POST", "/api/v1/objectives", map[string]any{"title": "x", "period": "FY1990"}, 422, "period"},
			{"no title", "PATCH", base, map[string]any{"title": " "}, 422, "title"},
			{"unknown factor", "POST", base + "/strategies", map[string]any{"title": "x", "factor": "luck"}, 422, "factor"},
			{"quota 0", "POST", base + "/strategies/" + id(st.ID) + "/actions", map[string]any{"title": "x", "kind": "quota", "metric": "visits", "quota": 0, "cadence": "day"}, 422, "quota"},
			{"hourly", "POST", base + "/strategies/" + id(st.ID) + "/actions", map[string]any{"title": "x", "kind": "quota", "metric": "visits", "quota": 1, "cadence": "hour"}, 422, "cadence"},
			{"a rate as a quota", "POST", base + "/strategies/" + id(st.ID) + "/actions", map[string]any{"title": "x", "kind": "quota", "metric": "win_rate", "quota": 1, "cadence": "week"}, 422, "metric"},
			{"a state as a quota", "POST", base + "/strategies/" + id(st.ID) + "/actions", map[string]any{"title": "x", "kind": "quota", "metric": "owned_customers", "quota": 1, "cadence": "week"}, 422, "metric"},
			{"strategy of another objective", "POST", "/api/v1/objectives/" + id(dobj.ID) + "/strategies/" + id(st.ID) + "/actions", map[string]any{"title": "x", "kind": "manual"}, 404, ""},
			{"not json", "POST", base + "/strategies", nil, 400, ""},
		}
		for _, b := range bad {
			c := o.alice
			if b.name == "strategy of another objective" {
				c = o.mgr
			}
			var body any = b.body
			if b.body == nil {
				body = "{not json"
			}
			res := c.do(b.method, b.path, body, nil)
			if res.status != b.status {
				t.Fatalf("%s: %d %s, want %d", b.name, res.status, res.body, b.status)
			}
			if b.field != "" {
				p := res.problem(t)
				if len(p.Errors) == 0 || p.Errors[0].Field != b.field {
					t.Fatalf("%s: fields %+v, want %s", b.name, p.Errors, b.field)
				}
			}
		}
		after := o.alice.do("GET", base+"/tree", nil, nil)
		if string(before.body) != string(after.body) {
			t.Fatalf("bad input changed the tree:\n%s\n%s", before.body, after.body)
		}
		var objs cohort.Page[okrObj]
		o.admin.must(200, "GET", "/api/v1/objectives", nil, &objs)
		if len(objs.Items) != 2 {
			t.Fatalf("objectives after bad input: %+v", objs.Items)
		}
		// A goal key result on a week rule has no month period.
		var weekRule goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "周拜访", "metric": "visits", "subject_type": "person", "cycle": "week"}, &weekRule)
		res := o.alice.do("POST", base+"/key-results", map[string]any{"title": "x", "kind": "goal", "goal_rule_id": weekRule.ID}, nil)
		if res.status != 422 || res.problem(t).Errors[0].Field != "goal_rule_id" {
			t.Fatalf("a month objective on a week rule: %d %s", res.status, res.body)
		}
		// Idempotency: a retried create makes one objective.
		key := map[string]string{"Idempotency-Key": "okr-" + fmt.Sprint(time.Now().UnixNano())}
		body := map[string]any{"title": "重试", "period": month}
		r1 := o.alice.do("POST", "/api/v1/objectives", body, key)
		r2 := o.alice.do("POST", "/api/v1/objectives", body, key)
		var a1, a2 okrObj
		_ = json.Unmarshal(r1.body, &a1)
		_ = json.Unmarshal(r2.body, &a2)
		if r1.status != 201 || r2.status != 201 || a1.ID != a2.ID {
			t.Fatalf("idempotent create: %d %d %s %s", r1.status, r2.status, a1.ID, a2.ID)
		}
	})
}
