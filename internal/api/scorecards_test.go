package api_test

import (
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

type scorecardLine struct {
	Key         string   `json:"key"`
	Unit        string   `json:"unit"`
	Value       *float64 `json:"value"`
	Completion  *float64 `json:"completion"`
	Achievement *float64 `json:"achievement"`
	Points      float64  `json:"points"`
	MaxPoints   float64  `json:"max_points"`
	Score       float64  `json:"score"`
	Note        string   `json:"note"`
	Pending     bool     `json:"pending"`
	Unavailable bool     `json:"unavailable"`
}

type scorecard struct {
	UserID   cohort.ID       `json:"user_id"`
	Name     string          `json:"name"`
	Total    float64         `json:"total"`
	MaxTotal float64         `json:"max_total"`
	Rank     *int            `json:"rank"`
	Pending  int             `json:"pending"`
	Items    []scorecardLine `json:"items"`
}

func (c scorecard) line(t *testing.T, key string) scorecardLine {
	t.Helper()
	for _, l := range c.Items {
		if l.Key == key {
			return l
		}
	}
	t.Fatalf("%s's card has no item %s: %+v", c.Name, key, c.Items)
	return scorecardLine{}
}

type scorecardTeam struct {
	AsOf         string  `json:"as_of"`
	TimeProgress float64 `json:"time_progress"`
	Frozen       *struct {
		AsOf   string `json:"as_of"`
		Forced bool   `json:"forced"`
	} `json:"frozen"`
	Cards []scorecard `json:"cards"`
}

func (tm scorecardTeam) card(t *testing.T, id cohort.ID) scorecard {
	t.Helper()
	for _, c := range tm.Cards {
		if c.UserID == id {
			return c
		}
	}
	t.Fatalf("no card of %s in %+v", id, tm.Cards)
	return scorecard{}
}

type scorecardDetail struct {
	AsOf         string    `json:"as_of"`
	TimeProgress float64   `json:"time_progress"`
	Card         scorecard `json:"card"`
}

type scorecardTemplate struct {
	ID      cohort.ID `json:"id"`
	Version int       `json:"version"`
	Items   []struct {
		Key    string   `json:"key"`
		Role   string   `json:"role"`
		Target *float64 `json:"target"`
		Curve  struct {
			Type  string   `json:"type"`
			Cap   *float64 `json:"cap"`
			Floor *float64 `json:"floor"`
		} `json:"curve"`
	} `json:"items"`
}

// scorecardItems is the golden template's items: every item type and
// every curve, with weights adding up to 100.
func scorecardItems(rule cohort.ID) []map[string]any {
	return []map[string]any{
		{"key": "followups", "name": "跟进", "type": "count", "metric": "followups", "weight": 20, "target": 10, "curve": map[string]any{"type": "linear", "cap": 1.2}},
		{"key": "signed", "name": "签约", "type": "count", "metric": "signed_amount", "role": "owner", "weight": 30, "target": 100000,
			"curve": map[string]any{"type": "steps", "steps": []map[string]any{{"from": 0.5, "points": 40}, {"from": 0.8, "points": 80}, {"from": 1, "points": 100}, {"from": 1.5, "points": 130}}}},
		{"key": "presales", "name": "售前支持", "type": "count", "metric": "signed_amount", "role": "presales", "weight": 10, "target": 50000, "curve": map[string]any{"type": "threshold", "floor": 0.8}},
		{"key": "win_rate", "name": "赢率", "type": "percentage", "metric": "win_rate", "weight": 10, "target": 0.5, "curve": map[string]any{"type": "linear", "cap": 1.5, "floor": 0.6}},
		{"key": "goal", "name": "目标完成率", "type": "percentage", "goal_rule_id": rule, "weight": 10, "curve": map[string]any{"type": "linear", "cap": 1.2}},
		{"key": "pace", "name": "时间进度", "type": "time_progress", "goal_rule_id": rule, "weight": 10,
			"curve": map[string]any{"type": "steps", "steps": []map[string]any{{"from": 0.8, "points": 60}, {"from": 1, "points": 100}}}},
		{"key": "attitude", "name": "工作态度", "type": "score", "weight": 10, "target": 10},
	}
}

// TestScorecardsGolden scores a hand-built April 2025 (numbers worked out
// by hand in the comments): every curve, the weights, the totals and the
// ranking; scope; manual scores; freezing keeps the score after a new fact,
// and unfreezing computes it again.
func TestScorecardsGolden(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		tid := o.tenant.ID
		follow := func(u cohort.User, n int, date string, rec int64) {
			for i := 0; i < n; i++ {
				addCredit(t, db, tid, "followup.done", date, rec+int64(i), u, "author", 10000, 0)
			}
		}
		// Follow-ups: Alice 12 in April (and one either side of it), Bob
		// 4, 售前小孙 10, the manager none.
		follow(o.aliceU, 12, "2025-04-08", 100)
		follow(o.aliceU, 1, "2025-03-31", 200)
		follow(o.aliceU, 1, "2025-05-01", 210)
		follow(o.bobU, 4, "2025-04-09", 300)
		follow(o.preU, 10, "2025-04-10", 400)
		// C1: Alice owns 90000, 小孙 supports as presales. C2: Bob owns
		// 60000, Alice supports as presales. C3: Bob and the manager own
		// 80000 half each.
		addCredit(t, db, tid, "contract.signed", "2025-04-10", 1, o.aliceU, "owner", 10000, 90000)
		addCredit(t, db, tid, "contract.signed", "2025-04-10", 1, o.preU, "presales", 10000, 90000)
		addCredit(t, db, tid, "contract.signed", "2025-04-12", 2, o.bobU, "owner", 10000, 60000)
		addCredit(t, db, tid, "contract.signed", "2025-04-12", 2, o.aliceU, "presales", 10000, 60000)
		addCredit(t, db, tid, "contract.signed", "2025-04-20", 3, o.bobU, "owner", 5000, 80000)
		addCredit(t, db, tid, "contract.signed", "2025-04-20", 3, o.mgrU, "owner", 5000, 80000)
		// Opportunities: Alice won 3, lost 1 (win rate 0.75); Bob won 1,
		// lost 3 (0.25).
		for i, k := range []string{"won", "won", "won", "lost"} {
			addCredit(t, db, tid, "opportunity."+k, "2025-04-15", int64(500+i), o.aliceU, "owner", 10000, 0)
		}
		for i, k := range []string{"won", "lost", "lost", "lost"} {
			addCredit(t, db, tid, "opportunity."+k, "2025-04-16", int64(600+i), o.bobU, "owner", 10000, 0)
		}
		// A goal rule: April targets Alice 100000, Bob 200000; the others
		// none (their completion is empty).
		var rule goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "个人签约", "metric": "signed_amount", "subject_type": "person", "cycle": "month"}, &rule)
		o.admin.must(200, "PUT", "/api/v1/goal-rules/"+rule.ID.String()+"/values", map[string]any{"cells": []map[string]any{
			{"subject": person(o.aliceU), "period": "2025-04", "value": 100000}, {"subject": person(o.bobU), "period": "2025-04", "value": 200000}}}, nil)

		var tpl scorecardTemplate
		o.admin.must(201, "POST", "/api/v1/scorecard-templates", map[string]any{"name": "销售月度考核", "cycle": "month",
			"departments": []cohort.ID{o.aliceU.DepartmentID}, "people": []cohort.ID{o.preU.ID}, "items": scorecardItems(rule.ID)}, &tpl)
		// Defaults are filled in: the owner's credit, the rule's rate aimed
		// at 1, a linear curve capped at the target.
		if tpl.Items[0].Role != "owner" || *tpl.Items[4].Target != 1 || tpl.Items[5].Target != nil || tpl.Items[6].Curve.Type != "linear" || *tpl.Items[6].Curve.Cap != 1 {
			t.Fatalf("defaults %+v", tpl.Items)
		}
		q := "?template=" + tpl.ID.String() + "&period=2025-04"

		// Manual scores: the manager scores Bob, the administrator Alice.
		scores := func(c *client, u cohort.User, item string, score any, note string) response {
			return c.do("PUT", "/api/v1/scorecards/"+u.ID.String()+"/scores", map[string]any{"template": tpl.ID, "period": "2025-04",
				"scores": []map[string]any{{"item": item, "score": score, "note": note}}}, nil)
		}
		if r := scores(o.mgr, o.bobU, "attitude", 10, "主动开拓新行业"); r.status != 200 {
			t.Fatalf("manager scores bob: %d %s", r.status, r.body)
		}
		if r := scores(o.admin, o.aliceU, "attitude", 8, ""); r.status != 200 {
			t.Fatalf("admin scores alice: %d %s", r.status, r.body)
		}

		// As of 15 April: time progress 15 ÷ 30 = 0.5.
		var team scorecardTeam
		o.admin.must(200, "GET", "/api/v1/scorecards"+q+"&as_of=2025-04-15", nil, &team)
		if team.TimeProgress != 0.5 || team.AsOf != "2025-04-15" || team.Frozen != nil || len(team.Cards) != 4 {
			t.Fatalf("team %+v", team)
		}
		a := team.card(t, o.aliceU.ID)
		// followups 12 ÷ 10 = 1.2 → linear, cap 1.2 → 120 points × 20 % = 24.
		l := a.line(t, "followups")
		num(t, "alice followups", l.Value, 12)
		num(t, "alice followups achievement", l.Achievement, 1.2)
		if l.Points != 120 || l.Score != 24 || l.MaxPoints != 120 {
			t.Fatalf("alice followups %+v", l)
		}
		// signed 90000 ÷ 100000 = 0.9 → the 0.8 step: 80 points × 30 % = 24.
		l = a.line(t, "signed")
		num(t, "alice signed", l.Value, 90000)
		if l.Unit != "money" || l.Points != 80 || l.Score != 24 || l.MaxPoints != 130 {
			t.Fatalf("alice signed %+v", l)
		}
		// presales credit 60000 ÷ 50000 = 1.2 ≥ 0.8 → threshold 100 × 10 % = 10.
		l = a.line(t, "presales")
		num(t, "alice presales credit", l.Value, 60000)
		if l.Points != 100 || l.Score != 10 {
			t.Fatalf("alice presales %+v", l)
		}
		// win rate 0.75 ÷ 0.5 = 1.5 → linear capped at 1.5: 150 × 10 % = 15.
		l = a.line(t, "win_rate")
		num(t, "alice win rate", l.Value, 0.75)
		if l.Points != 150 || l.Score != 15 {
			t.Fatalf("alice win rate %+v", l)
		}
		// the goal rule's completion 90000 ÷ 100000 = 0.9 → 90 × 10 % = 9.
		l = a.line(t, "goal")
		num(t, "alice goal completion", l.Value, 0.9)
		if l.Points != 90 || l.Score != 9 {
			t.Fatalf("alice goal %+v", l)
		}
		// pace: completion 0.9 ÷ time progress 0.5 = 1.8 → the 1.0 step: 100 × 10 % = 10.
		l = a.line(t, "pace")
		num(t, "alice pace completion", l.Completion, 0.9)
		num(t, "alice pace", l.Achievement, 1.8)
		if l.Points != 100 || l.Score != 10 {
			t.Fatalf("alice pace %+v", l)
		}
		// manual 8 of 10 → 80 × 10 % = 8.
		l = a.line(t, "attitude")
		if *l.Value != 8 || l.Points != 80 || l.Score != 8 || l.Pending {
			t.Fatalf("alice attitude %+v", l)
		}
		// 24 + 24 + 10 + 15 + 9 + 10 + 8; the most: 24 + 39 + 10 + 15 + 12 + 10 + 10.
		if a.Total != 100 || a.MaxTotal != 120 || *a.Rank != 1 || a.Pending != 0 {
			t.Fatalf("alice total %v of %v, rank %v", a.Total, a.MaxTotal, *a.Rank)
		}
		// Bob: followups 0.4 → 40 → 8; signed 60000 + 40000 = 1.0 → 100 →
		// 30; presales 0 → 0; win rate 0.25 ÷ 0.5 = 0.5, below the floor
		// 0.6 → 0; goal 100000 ÷ 200000 = 0.5 → 5; pace 1.0 → 10; score 10.
		b := team.card(t, o.bobU.ID)
		for key, want := range map[string]float64{"followups": 8, "signed": 30, "presales": 0, "win_rate": 0, "goal": 5, "pace": 10, "attitude": 10} {
			if got := b.line(t, key).Score; got != want {
				t.Fatalf("bob %s scores %v, want %v", key, got, want)
			}
		}
		if b.Total != 63 || *b.Rank != 2 || b.line(t, "attitude").Note != "主动开拓新行业" {
			t.Fatalf("bob %+v", b)
		}
		// 售前小孙 (listed by name, another department): followups 1.0 →
		// 20; presales 90000 → 10; no goal target, no win rate.
		p := team.card(t, o.preU.ID)
		if p.Total != 30 || *p.Rank != 3 || p.line(t, "win_rate").Value != nil || p.line(t, "goal").Value != nil || p.Pending != 1 {
			t.Fatalf("presales card %+v", p)
		}
		// The manager: 40000 ÷ 100000 = 0.4 is below the first step.
		m := team.card(t, o.mgrU.ID)
		if m.Total != 0 || *m.Rank != 4 || !m.line(t, "attitude").Pending || m.line(t, "signed").Points != 0 {
			t.Fatalf("manager card %+v", m)
		}
		if team.Cards[0].UserID != o.aliceU.ID || team.Cards[3].UserID != o.mgrU.ID {
			t.Fatalf("ranking %+v", team.Cards)
		}

		// Scope: a salesperson sees their own card only; the manager their
		// department's people, not 小孙.
		var own scorecardTeam
		o.alice.must(200, "GET", "/api/v1/scorecards"+q, nil, &own)
		if len(own.Cards) != 1 || own.Cards[0].UserID != o.aliceU.ID {
			t.Fatalf("alice sees %+v", own.Cards)
		}
		if r := o.bob.do("GET", "/api/v1/scorecards/"+o.aliceU.ID.String()+q, nil, nil); r.status != 404 {
			t.Fatalf("bob reads alice's card: %d", r.status)
		}
		var mine scorecardTeam
		o.mgr.must(200, "GET", "/api/v1/scorecards"+q+"&as_of=2025-04-15", nil, &mine)
		if len(mine.Cards) != 3 || mine.card(t, o.bobU.ID).Total != 63 {
			t.Fatalf("manager sees %+v", mine.Cards)
		}
		if r := o.mgr.do("GET", "/api/v1/scorecards/"+o.preU.ID.String()+q, nil, nil); r.status != 404 {
			t.Fatalf("manager reads another department's card: %d", r.status)
		}
		// Who may score: not the salesperson, not oneself, not outside
		// one's scope.
		if r := scores(o.alice, o.bobU, "attitude", 1, ""); r.status != 403 {
			t.Fatalf("a salesperson scores: %d %s", r.status, r.body)
		}
		if r := scores(o.mgr, o.mgrU, "attitude", 10, ""); r.status != 403 {
			t.Fatalf("the manager scores himself: %d %s", r.status, r.body)
		}
		if r := scores(o.mgr, o.preU, "attitude", 10, ""); r.status != 404 {
			t.Fatalf("the manager scores outside his scope: %d %s", r.status, r.body)
		}

		// One person's card, with its parts.
		var one scorecardDetail
		o.alice.must(200, "GET", "/api/v1/scorecards/"+o.aliceU.ID.String()+q+"&as_of=2025-04-15", nil, &one)
		if one.Card.Total != 100 || len(one.Card.Items) != 7 || one.TimeProgress != 0.5 {
			t.Fatalf("alice's own card %+v", one)
		}

		// Freezing: April has ended, no force needed. As of its last day
		// time progress is 1: Alice's pace is 0.9 (the 0.8 step, 60 → 6),
		// Bob's 0.5 (0).
		var frozen scorecardTeam
		o.admin.must(200, "POST", "/api/v1/scorecard-templates/"+tpl.ID.String()+"/freeze", map[string]any{"period": "2025-04"}, &frozen)
		if frozen.Frozen == nil || frozen.Frozen.AsOf != "2025-04-30" || frozen.Frozen.Forced || frozen.TimeProgress != 1 {
			t.Fatalf("frozen %+v", frozen)
		}
		if frozen.card(t, o.aliceU.ID).Total != 96 || frozen.card(t, o.bobU.ID).Total != 53 {
			t.Fatalf("frozen totals %+v", frozen.Cards)
		}
		// Bob makes 6 more follow-ups in April, late: the frozen card keeps
		// its value and score.
		follow(o.bobU, 6, "2025-04-25", 700)
		o.mgr.must(200, "GET", "/api/v1/scorecards"+q, nil, &mine)
		fb := mine.card(t, o.bobU.ID)
		if fb.Total != 53 || *fb.line(t, "followups").Value != 4 || mine.Frozen == nil || len(mine.Cards) != 3 {
			t.Fatalf("frozen card moved: %+v", fb)
		}
		o.alice.must(200, "GET", "/api/v1/scorecards/"+o.aliceU.ID.String()+q, nil, &one)
		if one.Card.Total != 96 || one.AsOf != "2025-04-30" {
			t.Fatalf("alice's frozen card %+v", one)
		}
		// A frozen card refuses manual scores and nothing changes; freezing
		// twice, deleting the template and a manager's freeze are refused.
		if r := scores(o.mgr, o.bobU, "attitude", 2, ""); r.status != 409 {
			t.Fatalf("score a frozen card: %d %s", r.status, r.body)
		}
		if r := o.admin.do("POST", "/api/v1/scorecard-templates/"+tpl.ID.String()+"/freeze", map[string]any{"period": "2025-04"}, nil); r.status != 409 {
			t.Fatalf("freeze twice: %d", r.status)
		}
		if r := o.admin.do("DELETE", "/api/v1/scorecard-templates/"+tpl.ID.String(), nil, nil); r.status != 409 {
			t.Fatalf("delete with a frozen period: %d", r.status)
		}
		if r := o.mgr.do("POST", "/api/v1/scorecard-templates/"+tpl.ID.String()+"/unfreeze", map[string]any{"period": "2025-04"}, nil); r.status != 403 {
			t.Fatalf("a manager unfreezes: %d", r.status)
		}
		// A period that has not ended: refused without force.
		if r := o.admin.do("POST", "/api/v1/scorecard-templates/"+tpl.ID.String()+"/freeze", map[string]any{"period": "2030-01"}, nil); r.status != 409 {
			t.Fatalf("freeze before the end: %d %s", r.status, r.body)
		}
		o.admin.must(200, "POST", "/api/v1/scorecard-templates/"+tpl.ID.String()+"/freeze", map[string]any{"period": "2030-01", "force": true}, &frozen)
		if frozen.Frozen == nil || !frozen.Frozen.Forced {
			t.Fatalf("forced freeze %+v", frozen.Frozen)
		}

		// Unfreezing is audited; the card is computed again with the late
		// follow-ups: Bob's followups 10 → 20, pace 0 → 65 in all.
		o.admin.must(204, "POST", "/api/v1/scorecard-templates/"+tpl.ID.String()+"/unfreeze", map[string]any{"period": "2025-04"}, nil)
		var audit cohort.Page[cohort.AuditEntry]
		o.admin.must(200, "GET", "/api/v1/audit?object_id="+tpl.ID.String()+"&action=unfreeze", nil, &audit)
		if len(audit.Items) != 1 || audit.Items[0].Changes[0].Field != "frozen.2025-04" {
			t.Fatalf("unfreeze audit %+v", audit.Items)
		}
		o.admin.must(200, "GET", "/api/v1/scorecards"+q, nil, &team)
		if team.Frozen != nil || team.AsOf != "2025-04-30" || team.card(t, o.bobU.ID).Total != 65 {
			t.Fatalf("after unfreeze %+v", team.card(t, o.bobU.ID))
		}
		// Editable again; a null score clears it.
		if r := scores(o.mgr, o.bobU, "attitude", nil, ""); r.status != 200 {
			t.Fatalf("clear a score: %d %s", r.status, r.body)
		}
		o.admin.must(200, "GET", "/api/v1/scorecards/"+o.bobU.ID.String()+q, nil, &one)
		if one.Card.Total != 55 || !one.Card.line(t, "attitude").Pending {
			t.Fatalf("bob after clearing %+v", one.Card)
		}
	})
}

// TestScorecardsBadInput: every bad input is a clear 4xx naming the
// field, and nothing changes.
func TestScorecardsBadInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var rule, companyRule, quarterRule goalRule
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "签约", "metric": "signed_amount", "subject_type": "person", "cycle": "month"}, &rule)
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "公司签约", "metric": "signed_amount", "subject_type": "company", "cycle": "month"}, &companyRule)
		o.admin.must(201, "POST", "/api/v1/goal-rules", map[string]any{"name": "季度签约", "metric": "signed_amount", "subject_type": "person", "cycle": "quarter"}, &quarterRule)
		sales := []cohort.ID{o.aliceU.DepartmentID}
		item := func(kv ...any) map[string]any {
			m := map[string]any{"name": "x", "type": "count", "metric": "followups", "weight": 100, "target": 10}
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == nil {
					delete(m, kv[i].(string))
				} else {
					m[kv[i].(string)] = kv[i+1]
				}
			}
			return m
		}
		tmpl := func(items ...map[string]any) map[string]any {
			return map[string]any{"name": "考核", "cycle": "month", "departments": sales, "items": items}
		}
		half := func(kv ...any) map[string]any { return item(append([]any{"weight", 50}, kv...)...) }
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{tmpl(item("weight", 90)), "items"},
			{tmpl(half(), half("key", "k1", "weight", 40)), "items"},
			{tmpl(item("metric", "no_such_metric")), "items[0].metric"},
			{tmpl(item("role", "astronaut")), "items[0].role"},
			{tmpl(item("role", "presales")), "items[0].role"}, // follow-ups credit their author only
			{tmpl(item("type", "percentage")), "items[0].metric"},
			{tmpl(item("metric", "win_rate", "target", 0.5)), "items[0].metric"},
			{tmpl(item("type", "time_progress", "metric", "win_rate", "target", 0.5)), "items[0].metric"},
			{tmpl(item("type", "gauge")), "items[0].type"},
			{tmpl(item("target", 0)), "items[0].target"},
			{tmpl(item("target", nil)), "items[0].target"},
			{tmpl(item("metric", "signed_amount", "target", 10.5)), "items[0].target"},
			{tmpl(item("curve", map[string]any{"type": "linear", "cap": 0.5})), "items[0].curve.cap"},
			{tmpl(item("curve", map[string]any{"type": "linear", "cap": 1.2, "floor": 1.5})), "items[0].curve.floor"},
			{tmpl(item("curve", map[string]any{"type": "steps"})), "items[0].curve.steps"},
			{tmpl(item("curve", map[string]any{"type": "steps", "steps": []map[string]any{{"from": 1, "points": 100}, {"from": 0.8, "points": 120}}})), "items[0].curve.steps[1].from"},
			{tmpl(item("curve", map[string]any{"type": "steps", "steps": []map[string]any{{"from": 0.8, "points": 100}, {"from": 1, "points": 60}}})), "items[0].curve.steps[1].points"},
			{tmpl(item("curve", map[string]any{"type": "threshold", "cap": 1.2})), "items[0].curve.cap"},
			{tmpl(item("curve", map[string]any{"type": "sigmoid"})), "items[0].curve.type"},
			{tmpl(item("type", "score", "metric", nil, "target", 5000)), "items[0].target"},
			{tmpl(item("type", "score")), "items[0].type"},
			{tmpl(item("type", "percentage", "metric", nil, "goal_rule_id", "42")), "items[0].goal_rule_id"},
			{tmpl(item("type", "percentage", "metric", nil, "goal_rule_id", companyRule.ID)), "items[0].goal_rule_id"},
			{tmpl(item("type", "percentage", "metric", nil, "goal_rule_id", quarterRule.ID)), "items[0].goal_rule_id"},
			{tmpl(item("type", "count", "metric", nil, "goal_rule_id", rule.ID)), "items[0].goal_rule_id"},
			{tmpl(item("type", "time_progress", "metric", nil, "goal_rule_id", rule.ID)), "items[0].target"},
			{tmpl(half("key", "same"), half("key", "same")), "items[1].key"},
			{tmpl(item("key", "Not A Key")), "items[0].key"},
			{tmpl(), "items"},
			{map[string]any{"name": "考核", "cycle": "week", "departments": sales, "items": []any{item()}}, "cycle"},
			{map[string]any{"name": "考核", "cycle": "month", "items": []any{item()}}, "departments"},
			{map[string]any{"name": "考核", "cycle": "month", "departments": []string{"42"}, "items": []any{item()}}, "departments[0]"},
			{map[string]any{"name": "考核", "cycle": "month", "people": []string{"42"}, "items": []any{item()}}, "people[0]"},
			{map[string]any{"name": " ", "cycle": "month", "departments": sales, "items": []any{item()}}, "name"},
		} {
			r := o.admin.do("POST", "/api/v1/scorecard-templates", c.body, nil)
			if r.status != 422 {
				t.Fatalf("%v: %d %s", c.body, r.status, r.body)
			}
			if p := r.problem(t); len(p.Errors) == 0 || p.Errors[0].Field != c.field {
				t.Fatalf("%v: fields %+v, want %s", c.body, p.Errors, c.field)
			}
		}
		var list cohort.Page[scorecardTemplate]
		o.admin.must(200, "GET", "/api/v1/scorecard-templates", nil, &list)
		if len(list.Items) != 0 {
			t.Fatalf("%d templates after bad input", len(list.Items))
		}
		if r := o.mgr.do("POST", "/api/v1/scorecard-templates", tmpl(item()), nil); r.status != 403 {
			t.Fatalf("a manager creates a template: %d", r.status)
		}

		var tpl scorecardTemplate
		o.admin.must(201, "POST", "/api/v1/scorecard-templates", tmpl(half("key", "calls"), half("key", "attitude", "type", "score", "metric", nil, "target", nil)), &tpl)
		base := "/api/v1/scorecard-templates/" + tpl.ID.String()
		// PATCH: a stale version is 412, bad weights 422; neither changes it.
		if r := o.admin.do("PATCH", base, map[string]any{"name": "新名"}, map[string]string{"If-Match": `"v9"`}); r.status != 412 {
			t.Fatalf("stale If-Match: %d", r.status)
		}
		if r := o.admin.do("PATCH", base, map[string]any{"items": []any{item("weight", 60)}}, nil); r.status != 422 {
			t.Fatalf("patch weights 60: %d", r.status)
		}
		var got scorecardTemplate
		o.admin.must(200, "GET", base, nil, &got)
		if got.Version != 1 || len(got.Items) != 2 {
			t.Fatalf("template changed by refused edits: %+v", got)
		}

		// Manual scores: outside 0–max, a computed item, an unknown one, a
		// period of another cycle, no template: 422, nothing entered.
		put := func(body map[string]any) response {
			return o.admin.do("PUT", "/api/v1/scorecards/"+o.aliceU.ID.String()+"/scores", body, nil)
		}
		score := func(item string, v any) map[string]any {
			return map[string]any{"template": tpl.ID, "period": "2025-04", "scores": []map[string]any{{"item": item, "score": v}}}
		}
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{score("attitude", 101), "scores[0].score"},
			{score("attitude", -1), "scores[0].score"},
			{score("calls", 50), "scores[0].item"},
			{score("nothing", 50), "scores[0].item"},
			{map[string]any{"template": tpl.ID, "period": "FY2025-Q1", "scores": []map[string]any{{"item": "attitude", "score": 5}}}, "period"},
			{map[string]any{"period": "2025-04", "scores": []map[string]any{{"item": "attitude", "score": 5}}}, "template"},
			{map[string]any{"template": tpl.ID, "period": "2025-04", "scores": []map[string]any{}}, "scores"},
		} {
			r := put(c.body)
			if r.status != 422 {
				t.Fatalf("%v: %d %s", c.body, r.status, r.body)
			}
			if p := r.problem(t); len(p.Errors) == 0 || p.Errors[0].Field != c.field {
				t.Fatalf("%v: fields %+v, want %s", c.body, p.Errors, c.field)
			}
		}
		var one scorecardDetail
		o.admin.must(200, "GET", "/api/v1/scorecards/"+o.aliceU.ID.String()+"?template="+tpl.ID.String()+"&period=2025-04", nil, &one)
		if !one.Card.line(t, "attitude").Pending {
			t.Fatalf("a refused score was entered: %+v", one.Card)
		}
		for _, path := range []string{"/api/v1/scorecards?template=" + tpl.ID.String() + "&period=2025", "/api/v1/scorecards?period=2025-04",
			"/api/v1/scorecards?template=" + tpl.ID.String() + "&period=2025-04&as_of=tomorrow"} {
			if r := o.admin.do("GET", path, nil, nil); r.status != 422 {
				t.Fatalf("GET %s: %d", path, r.status)
			}
		}
		if r := o.admin.do("GET", "/api/v1/scorecards?template=42&period=2025-04", nil, nil); r.status != 404 {
			t.Fatalf("unknown template: %d", r.status)
		}
		if r := o.admin.do("POST", base+"/unfreeze", map[string]any{"period": "2025-04"}, nil); r.status != 409 {
			t.Fatalf("unfreeze what is not frozen: %d", r.status)
		}
		if r := o.admin.do("POST", base+"/freeze", map[string]any{"period": "FY2025"}, nil); r.status != 422 {
			t.Fatalf("freeze a year of a monthly template: %d", r.status)
		}

		// Another tenant sees none of it.
		_, _ = o.env.newTenant("globex", "boss@globex.test")
		boss := o.env.login("boss@globex.test", adminPassword)
		for _, path := range []string{base, "/api/v1/scorecards?template=" + tpl.ID.String() + "&period=2025-04",
			"/api/v1/scorecards/" + o.aliceU.ID.String() + "?template=" + tpl.ID.String() + "&period=2025-04"} {
			if r := boss.do("GET", path, nil, nil); r.status != 404 {
				t.Fatalf("GET %s across tenants: %d", path, r.status)
			}
		}
		if r := boss.do("PUT", "/api/v1/scorecards/"+o.aliceU.ID.String()+"/scores", score("attitude", 5), nil); r.status != 404 {
			t.Fatalf("PUT across tenants: %d", r.status)
		}
		if r := boss.do("POST", base+"/freeze", map[string]any{"period": "2025-04"}, nil); r.status != 404 {
			t.Fatalf("freeze across tenants: %d", r.status)
		}
		o.admin.must(204, "DELETE", base, nil, nil)
	})
}

// TestScorecardsFiscalQuarter: a quarterly template follows the tenant's
// fiscal year (starting in April): FY2025-Q1 is April to June 2025.
func TestScorecardsFiscalQuarter(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		o.admin.must(200, "PATCH", "/api/v1/tenant/settings", map[string]any{"fiscal_year_start_month": 4}, nil)
		for i, d := range []string{"2025-03-31", "2025-04-01", "2025-06-30", "2025-07-01"} {
			addCredit(t, db, o.tenant.ID, "followup.done", d, int64(10+i), o.aliceU, "author", 10000, 0)
		}
		var tpl scorecardTemplate
		o.admin.must(201, "POST", "/api/v1/scorecard-templates", map[string]any{"name": "季度考核", "cycle": "quarter", "people": []cohort.ID{o.aliceU.ID},
			"items": []map[string]any{{"name": "跟进", "type": "count", "metric": "followups", "weight": 100, "target": 4}}}, &tpl)
		var team scorecardTeam
		o.admin.must(200, "GET", "/api/v1/scorecards?template="+tpl.ID.String()+"&period=FY2025-Q1", nil, &team)
		a := team.card(t, o.aliceU.ID)
		num(t, "FY2025-Q1 follow-ups", a.Items[0].Value, 2)
		if a.Total != 50 || len(team.Cards) != 1 || a.Items[0].Key != "k1" {
			t.Fatalf("quarter card %+v", a)
		}
		if r := o.admin.do("GET", "/api/v1/scorecards?template="+tpl.ID.String()+"&period=2025-04", nil, nil); r.status != 422 {
			t.Fatalf("a month of a quarterly template: %d", r.status)
		}
	})
}
