package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// UnitPoints is the unit of a manual score.
const UnitPoints = "points"

// ScorecardLine is one item of a person's card with its parts: the value
// (from the metric engine, a goal rule's completion or the manager's
// score), the achievement against the target, the curve's points and the
// weighted score (docs/API.md "Scorecards" defines each).
type ScorecardLine struct {
	Key        string    `json:"key"`
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	Metric     string    `json:"metric,omitempty"`
	Role       string    `json:"role,omitempty"`
	GoalRuleID cohort.ID `json:"goal_rule_id,omitempty"`
	// Unit is the unit of Value and Target: the metric's (money in minor
	// units), ratio for rates and completions, points for a score.
	Unit   string   `json:"unit"`
	Weight float64  `json:"weight"`
	Target *float64 `json:"target"`
	// Value is the metric's value, the rate, the goal rule's completion
	// rate or the manual score; null when there is none (a rate over
	// nothing, no target in the goal rule, no score entered).
	Value *float64 `json:"value"`
	// Completion (time_progress items) is value ÷ target, or the goal
	// rule's completion rate.
	Completion *float64 `json:"completion,omitempty"`
	// Achievement is value ÷ target, or for a time progress completion ÷
	// the period's time progress; 1 is the target reached.
	Achievement *float64 `json:"achievement"`
	// Points are the curve's points for the achievement (100 at the
	// target, up to MaxPoints); Score is Points × Weight ÷ 100.
	Points    float64    `json:"points"`
	MaxPoints float64    `json:"max_points"`
	Score     float64    `json:"score"`
	Curve     ScoreCurve `json:"curve"`
	// Note is the manager's note of a manual score; Pending says that no
	// score was entered yet.
	Note    string `json:"note,omitempty"`
	Pending bool   `json:"pending"`
	// Unavailable: the goal rule was deleted or no longer has targets of
	// the period; the item scores 0.
	Unavailable bool `json:"unavailable,omitempty"`
}

// Scorecard is one person's card of a period.
type Scorecard struct {
	UserID       cohort.ID `json:"user_id"`
	Name         string    `json:"name"`
	DepartmentID cohort.ID `json:"department_id"`
	Department   string    `json:"department"`
	// Total is the sum of the items' scores; MaxTotal what it would be
	// with every item at its curve's maximum.
	Total    float64 `json:"total"`
	MaxTotal float64 `json:"max_total"`
	// Rank among the cards listed (best 1; equal totals share a rank).
	Rank *int `json:"rank,omitempty"`
	// Pending counts the manual scores not entered yet.
	Pending int             `json:"pending"`
	Items   []ScorecardLine `json:"items"`
}

// ScorecardFreeze says when and by whom a period was frozen.
type ScorecardFreeze struct {
	AsOf         string    `json:"as_of"`
	TimeProgress float64   `json:"time_progress"`
	Forced       bool      `json:"forced"`
	FrozenBy     cohort.ID `json:"frozen_by"`
	FrozenByName string    `json:"frozen_by_name"`
	FrozenAt     time.Time `json:"frozen_at"`
}

// ScorecardTemplateRef names a card's template.
type ScorecardTemplateRef struct {
	ID      cohort.ID `json:"id"`
	Name    string    `json:"name"`
	Cycle   string    `json:"cycle"`
	Version int       `json:"version"`
}

// ScorecardTeam is a template's cards of a period for the people of the
// caller's scope, ranked by total.
type ScorecardTeam struct {
	Template ScorecardTemplateRef `json:"template"`
	Period   GoalPeriod           `json:"period"`
	// AsOf is the day figures are taken at (today, within the period; a
	// frozen period's own); TimeProgress the days of the period elapsed by
	// then (the as-of day counted) ÷ its days.
	AsOf         string           `json:"as_of"`
	TimeProgress float64          `json:"time_progress"`
	Frozen       *ScorecardFreeze `json:"frozen"`
	Cards        []Scorecard      `json:"cards"`
}

// ScorecardDetail is one person's card of a period.
type ScorecardDetail struct {
	Template     ScorecardTemplateRef `json:"template"`
	Period       GoalPeriod           `json:"period"`
	AsOf         string               `json:"as_of"`
	TimeProgress float64              `json:"time_progress"`
	Frozen       *ScorecardFreeze     `json:"frozen"`
	Card         Scorecard            `json:"card"`
}

// ---- Scoring: pure ----

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// curvePoints is the curve's points for achievement r (0 without one).
func curvePoints(c ScoreCurve, r *float64) float64 {
	if r == nil {
		return 0
	}
	x := *r
	if c.Floor != nil && x < *c.Floor {
		return 0
	}
	switch c.Type {
	case CurveSteps:
		p := 0.0
		for _, st := range c.Steps {
			if x >= st.From {
				p = st.Points
			}
		}
		return p
	case CurveThreshold:
		if c.Floor == nil && x < 1 {
			return 0
		}
		return 100
	}
	limit := 1.0
	if c.Cap != nil {
		limit = *c.Cap
	}
	return 100 * math.Max(0, math.Min(x, limit))
}

// curveMax is the most points the curve gives.
func curveMax(c ScoreCurve) float64 {
	switch c.Type {
	case CurveSteps:
		m := 0.0
		for _, st := range c.Steps {
			m = math.Max(m, st.Points)
		}
		return m
	case CurveThreshold:
		return 100
	}
	if c.Cap != nil {
		return 100 * *c.Cap
	}
	return 100
}

// ratioOf is a ÷ b rounded to 6 decimals, null when b is 0 or unset.
func ratioOf(a float64, b *float64) *float64 {
	if b == nil || *b == 0 {
		return nil
	}
	r := round6(a / *b)
	return &r
}

// scoreLine scores item it whose value (in unit) is raw, with the
// period's time progress tp.
func scoreLine(it ScorecardItem, unit string, raw *float64, tp float64) ScorecardLine {
	l := ScorecardLine{Key: it.Key, Name: it.Name, Type: it.Type, Metric: it.Metric, Role: it.Role, GoalRuleID: it.GoalRuleID,
		Unit: unit, Weight: it.Weight, Target: it.Target, Value: raw, Curve: it.Curve}
	if raw != nil {
		if it.Type == ItemTimeProgress {
			l.Completion = raw
			if it.GoalRuleID == 0 {
				l.Completion = ratioOf(*raw, it.Target)
			}
			if l.Completion != nil {
				l.Achievement = ratioOf(*l.Completion, &tp)
			}
		} else {
			l.Achievement = ratioOf(*raw, it.Target)
		}
	}
	l.Points = round2(curvePoints(it.Curve, l.Achievement))
	l.MaxPoints = round2(curveMax(it.Curve))
	l.Score = round2(l.Points * it.Weight / 100)
	return l
}

// finish adds up a card's items.
func (c *Scorecard) finish() {
	total, max := 0.0, 0.0
	c.Pending = 0
	for _, l := range c.Items {
		total += l.Score
		max += l.MaxPoints * l.Weight / 100
		if l.Pending {
			c.Pending++
		}
	}
	c.Total, c.MaxTotal = round2(total), round2(max)
}

// rankCards orders cards by total, best first (then by name), and ranks
// them; equal totals share a rank.
func rankCards(cards []Scorecard) {
	slices.SortStableFunc(cards, func(a, b Scorecard) int {
		switch {
		case a.Total > b.Total:
			return -1
		case a.Total < b.Total:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	for i := range cards {
		r := i + 1
		if i > 0 && cards[i-1].Total == cards[i].Total {
			r = *cards[i-1].Rank
		}
		cards[i].Rank = &r
	}
}

// timeProgress is the share of [from, to) elapsed by asOf, the as-of day
// counted (METRICS.md "Goals").
func timeProgress(from, to, asOf time.Time) float64 {
	days := to.Sub(from).Hours() / 24
	elapsed := math.Min(math.Max(asOf.Sub(from).Hours()/24+1, 0), days)
	return elapsed / days
}

// ---- A template's period ----

// scorecardRun is what computing a template's cards of a period needs.
type scorecardRun struct {
	tenant *cohort.Tenant
	tpl    *ScorecardTemplate
	per    GoalPeriod
	from   time.Time
	to     time.Time
	asOf   time.Time
	tp     float64
	today  time.Time
	freeze *ScorecardFreeze
}

// scorecardRun finds the template and checks the period (a key of the
// template's cycle) and the as-of date (default today, within the period).
func (s *Service) scorecardRun(ctx context.Context, q store.Queryer, templateID cohort.ID, period, asOf string) (*scorecardRun, error) {
	p := cohort.PrincipalFrom(ctx)
	if templateID == 0 {
		return nil, invalidField("template", "must be a scorecard template id")
	}
	tenant, err := store.FindTenant(ctx, q, p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	tpl, err := findScorecardTemplate(ctx, q, tenant.ID, templateID)
	if err != nil {
		return nil, err
	}
	run := &scorecardRun{tenant: tenant, tpl: tpl}
	per, _, ok := tenantCal(tenant).parse(period)
	if !ok || per.Kind != tpl.Cycle {
		return nil, invalidField("period", fmt.Sprintf("%q is not a %s of the fiscal year (%s)", period, tpl.Cycle,
			map[string]string{"month": "2026-04", "quarter": "FY2026-Q1", "year": "FY2026"}[tpl.Cycle]))
	}
	run.per = per
	run.from, _ = time.Parse("2006-01-02", per.From)
	run.to, _ = time.Parse("2006-01-02", per.To)
	y, m, d := s.now().In(tenant.Location()).Date()
	run.today = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	run.asOf = run.today
	if !run.asOf.Before(run.to) {
		run.asOf = run.to.AddDate(0, 0, -1)
	}
	if asOf != "" {
		if run.asOf, err = time.Parse("2006-01-02", asOf); err != nil {
			return nil, invalidField("as_of", "must be a date YYYY-MM-DD")
		}
	}
	run.tp = timeProgress(run.from, run.to, run.asOf)
	if run.freeze, err = loadScorecardFreeze(ctx, q, tenant.ID, tpl.ID, per.Key); err != nil {
		return nil, err
	}
	if run.freeze != nil {
		// A frozen period keeps the day and the time progress it was
		// frozen with.
		run.per.Frozen, run.per.Locked = true, true
		run.asOf, _ = time.Parse("2006-01-02", run.freeze.AsOf)
		run.tp = run.freeze.TimeProgress
	}
	return run, nil
}

func (run *scorecardRun) team() *ScorecardTeam {
	return &ScorecardTeam{Template: ScorecardTemplateRef{ID: run.tpl.ID, Name: run.tpl.Name, Cycle: run.tpl.Cycle, Version: run.tpl.Version},
		Period: run.per, AsOf: ymd(run.asOf), TimeProgress: round6(run.tp), Frozen: run.freeze, Cards: []Scorecard{}}
}

func loadScorecardFreeze(ctx context.Context, q store.Queryer, tenant, tpl cohort.ID, period string) (*ScorecardFreeze, error) {
	var f ScorecardFreeze
	var by sql.NullInt64
	var forced int
	var at int64
	err := q.QueryRowContext(ctx, `SELECT z.as_of, z.time_progress, z.forced, z.frozen_by, z.frozen_at, COALESCE(u.name, '')
		FROM scorecard_freezes z LEFT JOIN users u ON u.tenant_id = z.tenant_id AND u.id = z.frozen_by
		WHERE z.tenant_id = ? AND z.template_id = ? AND z.period = ?`, int64(tenant), int64(tpl), period).
		Scan(&f.AsOf, &f.TimeProgress, &forced, &by, &at, &f.FrozenByName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("scorecard freeze: %w", err)
	}
	f.Forced, f.FrozenBy, f.FrozenAt = forced != 0, cohort.ID(by.Int64), time.UnixMilli(at).UTC()
	return &f, nil
}

// scPerson is a person a template scores.
type scPerson struct {
	id       cohort.ID
	name     string
	dept     cohort.ID
	deptName string
}

// scorecardPeople are the active people tpl scores (the people now in its
// departments or below, and those it lists) inside data scope a, by name;
// only one when only is set.
func scorecardPeople(ctx context.Context, q store.Queryer, tenant cohort.ID, tpl *ScorecardTemplate, a cohort.Access, only cohort.ID) ([]scPerson, error) {
	var who []string
	var whoArgs []any
	if len(tpl.Departments) > 0 {
		depts, err := store.ListDepartments(ctx, q, tenant)
		if err != nil {
			return nil, err
		}
		var likes []string
		for _, id := range tpl.Departments {
			if d := deptByID(depts, id); d != nil {
				likes = append(likes, "dd.path LIKE ?")
				whoArgs = append(whoArgs, d.Path+"%")
			}
		}
		if len(likes) > 0 {
			who = append(who, "u.department_id IN (SELECT dd.id FROM departments dd WHERE dd.tenant_id = ? AND ("+strings.Join(likes, " OR ")+"))")
			whoArgs = append([]any{int64(tenant)}, whoArgs...)
		} else {
			whoArgs = nil
		}
	}
	if len(tpl.People) > 0 {
		in := idsIn("u.id", tpl.People)
		who = append(who, in.SQL)
		whoArgs = append(whoArgs, in.Args...)
	}
	if len(who) == 0 {
		return nil, nil
	}
	where, args := inScope([]string{"u.tenant_id = ?", "u.status = ?", "(" + strings.Join(who, " OR ") + ")"},
		append([]any{int64(tenant), cohort.UserActive}, whoArgs...), a, only)
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.name, COALESCE(u.department_id, 0), COALESCE(d.name, '') FROM users u
		LEFT JOIN departments d ON d.tenant_id = u.tenant_id AND d.id = u.department_id
		WHERE `+strings.Join(where, " AND ")+" ORDER BY u.name, u.id", args...)
	if err != nil {
		return nil, fmt.Errorf("scorecard people: %w", err)
	}
	defer rows.Close()
	var out []scPerson
	for rows.Next() {
		var p scPerson
		var id, dept int64
		if err := rows.Scan(&id, &p.name, &dept, &p.deptName); err != nil {
			return nil, err
		}
		p.id, p.dept = cohort.ID(id), cohort.ID(dept)
		out = append(out, p)
	}
	return out, rows.Err()
}

// inScope adds to a WHERE over users u the people of data scope a, and
// only one of them when only is set.
func inScope(where []string, args []any, a cohort.Access, only cohort.ID) ([]string, []any) {
	if sc := store.AccessWhere(a, "u.id", "u.department_id"); sc.SQL != "" {
		where = append(where, sc.SQL)
		args = append(args, sc.Args...)
	}
	if only != 0 {
		where = append(where, "u.id = ?")
		args = append(args, int64(only))
	}
	return where, args
}

// manualScore is a score entered for an item.
type manualScore struct {
	score float64
	note  string
}

func loadManualScores(ctx context.Context, q store.Queryer, tenant, tpl cohort.ID, period string) (map[cohort.ID]map[string]manualScore, error) {
	rows, err := q.QueryContext(ctx, "SELECT user_id, item, score, note FROM scorecard_scores WHERE tenant_id = ? AND template_id = ? AND period = ?",
		int64(tenant), int64(tpl), period)
	if err != nil {
		return nil, fmt.Errorf("scorecard scores: %w", err)
	}
	defer rows.Close()
	out := map[cohort.ID]map[string]manualScore{}
	for rows.Next() {
		var uid int64
		var item string
		var m manualScore
		if err := rows.Scan(&uid, &item, &m.score, &m.note); err != nil {
			return nil, err
		}
		if out[cohort.ID(uid)] == nil {
			out[cohort.ID(uid)] = map[string]manualScore{}
		}
		out[cohort.ID(uid)][item] = m
	}
	return out, rows.Err()
}

// metricValues asks the engine for each metric item's metric with the
// item's role credit, by person, over the period: one query per role.
// The result is keyed by role, metric and person.
func metricValues(ctx context.Context, q store.Queryer, env metrics.Env, run *scorecardRun, people []scPerson) (map[string]map[cohort.ID]*float64, error) {
	byRole := map[string][]string{}
	for _, it := range run.tpl.Items {
		if it.Metric != "" && !slices.Contains(byRole[it.Role], it.Metric) {
			byRole[it.Role] = append(byRole[it.Role], it.Metric)
		}
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.id.String()
	}
	out := map[string]map[cohort.ID]*float64{}
	roles := make([]string, 0, len(byRole))
	for r := range byRole {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	for _, role := range roles {
		ms := byRole[role]
		for start := 0; start < len(ids); start += metrics.MaxValues {
			chunk := ids[start:min(len(ids), start+metrics.MaxValues)]
			res, err := metrics.Run(ctx, q, env, metrics.Query{Metrics: ms, Role: role, Dimensions: []string{"person"},
				Filters: []metrics.Filter{{Dimension: "person", Values: chunk}}, From: run.per.From, To: run.per.To})
			if err != nil {
				return nil, fmt.Errorf("scorecard figures: %w", err)
			}
			for _, m := range ms {
				k := role + "\x00" + m
				if out[k] == nil {
					out[k] = map[cohort.ID]*float64{}
				}
				for _, id := range chunk {
					zero := 0.0
					pid, _ := cohort.ParseID(id)
					out[k][pid] = nullOrZero(res, m, &zero)
				}
				for _, r := range res.Rows {
					if pid, err := cohort.ParseID(r.Keys[0]); err == nil {
						out[k][pid] = r.Values[m]
					}
				}
			}
		}
	}
	return out, nil
}

// goalRuleRates are a goal rule's completion rates of the people in the
// period (GoalCompletion, with the rule's role credit and targets); ok is
// false when the rule is gone or has no targets of the period.
func (s *Service) goalRuleRates(ctx context.Context, q store.Queryer, ruleID cohort.ID, run *scorecardRun, people []scPerson) (map[cohort.ID]*float64, bool, error) {
	r, err := findGoalRule(ctx, q, run.tenant.ID, ruleID)
	if cohort.ErrorCode(err) == cohort.ENOTFOUND {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if (r.SubjectType != GoalPerson && r.SubjectType != GoalDepartment) || !slices.Contains(periodKinds(r.Cycle), run.per.Kind) {
		return nil, false, nil
	}
	gc, err := s.goalContext(ctx, q, ruleID, nil)
	if err != nil {
		return nil, false, err
	}
	out := map[cohort.ID]*float64{}
	var subjects []string
	for _, p := range people {
		if k := "person:" + p.id.String(); gc.tree.byKey[k] != nil {
			subjects = append(subjects, k)
		}
	}
	if len(subjects) == 0 {
		return out, true, nil
	}
	comp, err := s.GoalCompletion(ctx, ruleID, GoalCompletionQuery{Period: run.per.Key, AsOf: ymd(run.asOf), Subjects: subjects})
	if err != nil {
		return nil, false, fmt.Errorf("scorecard goal rule %s: %w", ruleID, err)
	}
	for _, row := range comp.Rows {
		if id, err := strconv.ParseInt(strings.TrimPrefix(row.Subject, "person:"), 10, 64); err == nil {
			out[cohort.ID(id)] = row.CompletionRate
		}
	}
	return out, true, nil
}

// computeCards scores people's cards of run's period: metric items through
// the engine in env's scope, goal rule items through the rule's
// completion, manual items from the scores entered.
func (s *Service) computeCards(ctx context.Context, q store.Queryer, env metrics.Env, run *scorecardRun, people []scPerson) ([]Scorecard, error) {
	cards := []Scorecard{}
	if len(people) == 0 {
		return cards, nil
	}
	mv, err := metricValues(ctx, q, env, run, people)
	if err != nil {
		return nil, err
	}
	rates := map[cohort.ID]map[cohort.ID]*float64{}
	for _, it := range run.tpl.Items {
		if it.GoalRuleID == 0 {
			continue
		}
		if _, done := rates[it.GoalRuleID]; done {
			continue
		}
		r, ok, err := s.goalRuleRates(ctx, q, it.GoalRuleID, run, people)
		if err != nil {
			return nil, err
		}
		if !ok {
			r = nil
		}
		rates[it.GoalRuleID] = r
	}
	manual, err := loadManualScores(ctx, q, run.tenant.ID, run.tpl.ID, run.per.Key)
	if err != nil {
		return nil, err
	}
	for _, p := range people {
		c := Scorecard{UserID: p.id, Name: p.name, DepartmentID: p.dept, Department: p.deptName, Items: []ScorecardLine{}}
		for _, it := range run.tpl.Items {
			var l ScorecardLine
			switch {
			case it.Type == ItemScore:
				m, ok := manual[p.id][it.Key]
				var raw *float64
				if ok {
					raw = &m.score
				}
				l = scoreLine(it, UnitPoints, raw, run.tp)
				l.Note, l.Pending = m.note, !ok
			case it.GoalRuleID != 0:
				r, ok := rates[it.GoalRuleID]
				l = scoreLine(it, metrics.UnitRatio, r[p.id], run.tp)
				l.Unavailable = !ok || r == nil
			default:
				l = scoreLine(it, metricUnit(&env, it.Metric), mv[it.Role+"\x00"+it.Metric][p.id], run.tp)
			}
			c.Items = append(c.Items, l)
		}
		c.finish()
		cards = append(cards, c)
	}
	return cards, nil
}

// frozenCards are the cards stored when the period was frozen, of the
// people in scope a (one when only is set).
func frozenCards(ctx context.Context, q store.Queryer, run *scorecardRun, a cohort.Access, only cohort.ID) ([]Scorecard, error) {
	where, args := inScope([]string{"c.tenant_id = ?", "c.template_id = ?", "c.period = ?"},
		[]any{int64(run.tenant.ID), int64(run.tpl.ID), run.per.Key}, a, only)
	rows, err := q.QueryContext(ctx, "SELECT c.card FROM scorecard_frozen_cards c JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.user_id WHERE "+
		strings.Join(where, " AND "), args...)
	if err != nil {
		return nil, fmt.Errorf("frozen scorecards: %w", err)
	}
	defer rows.Close()
	cards := []Scorecard{}
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return nil, err
		}
		var c Scorecard
		if err := json.Unmarshal([]byte(text), &c); err != nil {
			return nil, fmt.Errorf("frozen scorecard: %w", err)
		}
		cards = append(cards, c)
	}
	return cards, rows.Err()
}

// ---- Reads ----

// Scorecards are a template's cards of a period for the people of the
// caller's scope, ranked by total. A frozen period answers the cards it
// was frozen with.
func (s *Service) Scorecards(ctx context.Context, templateID cohort.ID, period, asOf string) (*ScorecardTeam, error) {
	a, err := s.Access(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	run, err := s.scorecardRun(ctx, q, templateID, period, asOf)
	if err != nil {
		return nil, err
	}
	team := run.team()
	if run.freeze != nil {
		team.Cards, err = frozenCards(ctx, q, run, a, 0)
	} else {
		team.Cards, err = s.liveCards(ctx, q, run, a, 0)
	}
	if err != nil {
		return nil, err
	}
	rankCards(team.Cards)
	return team, nil
}

func (s *Service) liveCards(ctx context.Context, q store.Queryer, run *scorecardRun, a cohort.Access, only cohort.ID) ([]Scorecard, error) {
	people, err := scorecardPeople(ctx, q, run.tenant.ID, run.tpl, a, only)
	if err != nil {
		return nil, err
	}
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	return s.computeCards(ctx, q, env, run, people)
}

// PersonScorecard is one person's card of a period with its parts. A
// person who is not in the caller's scope, or whom the template does not
// score, is not found.
func (s *Service) PersonScorecard(ctx context.Context, userID, templateID cohort.ID, period, asOf string) (*ScorecardDetail, error) {
	a, err := s.Access(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	if _, err := store.FindUser(ctx, q, a.TenantID, userID); err != nil {
		return nil, err
	}
	run, err := s.scorecardRun(ctx, q, templateID, period, asOf)
	if err != nil {
		return nil, err
	}
	return s.personCard(ctx, q, run, a, userID)
}

func (s *Service) personCard(ctx context.Context, q store.Queryer, run *scorecardRun, a cohort.Access, userID cohort.ID) (*ScorecardDetail, error) {
	var cards []Scorecard
	var err error
	if run.freeze != nil {
		cards, err = frozenCards(ctx, q, run, a, userID)
	} else {
		cards, err = s.liveCards(ctx, q, run, a, userID)
	}
	if err != nil {
		return nil, err
	}
	if len(cards) == 0 {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "the template does not score this person in %s, or they are outside your data scope", run.per.Key)
	}
	t := run.team()
	return &ScorecardDetail{Template: t.Template, Period: t.Period, AsOf: t.AsOf, TimeProgress: t.TimeProgress, Frozen: t.Frozen, Card: cards[0]}, nil
}
