package api_test

import (
	"testing"

	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestKeyResultSelfScoreCleared: a PATCH with "self_score": null puts a
// self-assessed key result back to "not assessed" (no score, no assessor),
// and the objective's score leaves it out; a PATCH without the field keeps
// the score; a goal key result takes a subject other than the owner.
func TestKeyResultSelfScoreCleared(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		month := thisMonth()
		var obj okrObj
		o.alice.must(201, "POST", "/api/v1/objectives", map[string]any{"title": "客户口碑", "period": month}, &obj)
		base := "/api/v1/objectives/" + id(obj.ID)
		var a, b okrKR
		o.alice.must(201, "POST", base+"/key-results", map[string]any{"title": "客户满意", "kind": "self", "self_score": 0.4, "self_note": "一家表扬"}, &a)
		o.alice.must(201, "POST", base+"/key-results", map[string]any{"title": "回访满意", "kind": "self", "self_score": 0.8}, &b)
		var tr okrTree
		o.alice.must(200, "GET", base+"/tree", nil, &tr)
		num(t, "score before", tr.node(t, obj.ID).Score, 0.6)

		// A PATCH naming only the title keeps the score.
		var upd okrKR
		o.alice.must(200, "PATCH", base+"/key-results/"+id(a.ID), map[string]any{"title": "客户满意度"}, &upd)
		num(t, "kept score", upd.SelfScore, 0.4)
		// A bad score is refused and changes nothing.
		if r := o.alice.do("PATCH", base+"/key-results/"+id(a.ID), map[string]any{"self_score": 1.5}, nil); r.status != 422 {
			t.Fatalf("score 1.5: %d %s", r.status, r.body)
		}
		if r := o.alice.do("PATCH", base+"/key-results/"+id(a.ID), map[string]any{"self_score": "x"}, nil); r.status/100 != 4 {
			t.Fatalf("score \"x\": %d %s", r.status, r.body)
		}
		if r := o.alice.do("PATCH", base+"/key-results/"+id(a.ID), map[string]any{"self_scor": nil}, nil); r.status/100 != 4 {
			t.Fatalf("unknown field: %d %s", r.status, r.body)
		}
		// Null clears it: not assessed, no assessor; the objective's score
		// is b's alone.
		o.alice.must(200, "PATCH", base+"/key-results/"+id(a.ID), map[string]any{"self_score": nil, "self_note": ""}, &upd)
		if upd.SelfScore != nil || upd.SelfNote != "" || upd.AssessedBy != 0 || upd.Version != 3 {
			t.Fatalf("cleared %+v", upd)
		}
		o.alice.must(200, "GET", base+"/tree", nil, &tr)
		n := tr.node(t, obj.ID)
		if s := n.kr(t, a.ID).Score; s != nil {
			t.Fatalf("a cleared key result scores %v", *s)
		}
		num(t, "score after clearing", n.Score, 0.8)
		// Null with a note kept: still not scored, the note stays.
		o.alice.must(200, "PATCH", base+"/key-results/"+id(b.ID), map[string]any{"self_note": "待复核"}, nil)
		o.alice.must(200, "PATCH", base+"/key-results/"+id(b.ID), map[string]any{"self_score": nil}, &upd)
		if upd.SelfScore != nil || upd.SelfNote != "待复核" {
			t.Fatalf("cleared with a note %+v", upd)
		}
		o.alice.must(200, "GET", base+"/tree", nil, &tr)
		if s := tr.node(t, obj.ID).Score; s != nil {
			t.Fatalf("no key result is scored, objective %v", *s)
		}

		// A goal key result on the department's row of a person rule, not
		// the owner's; a key outside the rule's subjects is refused.
		var goal goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约金额", "metric": "signed_amount", "subject_type": "person", "cycle": "month"}, &goal)
		var g struct {
			GoalSubject string `json:"goal_subject"`
		}
		o.alice.must(201, "POST", base+"/key-results", map[string]any{"title": "部门目标", "kind": "goal", "goal_rule_id": goal.ID, "goal_subject": dept(o.aliceU.DepartmentID)}, &g)
		if g.GoalSubject != dept(o.aliceU.DepartmentID) {
			t.Fatalf("goal subject %q", g.GoalSubject)
		}
		if r := o.alice.do("POST", base+"/key-results", map[string]any{"title": "x", "kind": "goal", "goal_rule_id": goal.ID, "goal_subject": "product:1"}, nil); r.status != 422 {
			t.Fatalf("foreign subject: %d %s", r.status, r.body)
		}
	})
}
