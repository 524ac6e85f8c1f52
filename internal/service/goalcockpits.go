package service

// Goal widgets of cockpits (issue 9: "goal cockpits for people,
// departments, products and customers, built on the cockpit widgets"). A
// goal widget (cockpits.GoalGauge, GoalRanking, GoalTrend, GoalList) is
// bound to a rule, a subject and a period instead of a metric query; its
// figures are GoalCompletion's, in the viewer's data scope, so a widget
// and the completion API never disagree.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/cockpits"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// GoalWidgetRow is a row of a goal widget: a subject's completion in a
// rule and period, as the completion API's row (without its trend). A
// goal_list has a row per rule, a goal_trend a row per period, a
// goal_ranking a row per peer (or child), a goal_gauge one row.
type GoalWidgetRow struct {
	GoalCompletionRow
	RuleID   cohort.ID `json:"rule_id"`
	RuleName string    `json:"rule_name"`
	Unit     string    `json:"unit"`
	Period   string    `json:"period"`
	// Self marks the widget's own subject (among its peers in a ranking).
	Self bool `json:"self"`
}

// GoalWidgetResult is a goal widget's figures.
type GoalWidgetResult struct {
	Type string `json:"type" example:"goal_gauge"`
	// Rule is the rule shown (a goal_list's first); null when no rule
	// holds the subject: the widget says there is no goal yet.
	Rule *GoalRule `json:"rule"`
	Unit string    `json:"unit"`
	// Subject is the subject the widget resolved to (me: person:<id>).
	Subject      string          `json:"subject"`
	Label        string          `json:"label"`
	Period       GoalPeriod      `json:"period"`
	AsOf         string          `json:"as_of"`
	TimeProgress float64         `json:"time_progress"`
	Rows         []GoalWidgetRow `json:"rows"`
}

// GoalWidgetInput asks for a goal widget's figures.
type GoalWidgetInput struct {
	Type string                `json:"type" openapi:"required" example:"goal_gauge"`
	Goal *cockpits.GoalBinding `json:"goal" openapi:"required"`
}

// GoalWidget computes a goal widget's figures through GoalCompletion, in
// the caller's data scope. A bad binding is a 422 naming goal.<field>.
func (s *Service) GoalWidget(ctx context.Context, in GoalWidgetInput) (*GoalWidgetResult, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	var v cohort.Validation
	if !cockpits.IsGoal(in.Type) {
		v.Add("type", "must be one of %s", strings.Join(cockpits.GoalTypes, ", "))
	}
	in.Goal.Check(&v, "goal", in.Type)
	if err := v.Err(); err != nil {
		return nil, err
	}
	g := *in.Goal
	out := &GoalWidgetResult{Type: in.Type, Rows: []GoalWidgetRow{}}
	switch g.Subject {
	case cockpits.SubjectMe, cockpits.SubjectMyDepartment:
		if p.User == nil {
			return nil, invalid("goal.subject", "%s stands for a user; an API token of no user names a subject key", g.Subject)
		}
		out.Subject = "person:" + p.User.ID.String()
		if g.Subject == cockpits.SubjectMyDepartment {
			if p.User.DepartmentID == 0 {
				return out, nil // no department: no goal
			}
			out.Subject = "department:" + p.User.DepartmentID.String()
		}
	default:
		out.Subject = g.Subject
	}
	picked, err := s.goalWidgetRules(ctx, in.Type, g, out.Subject)
	if err != nil {
		return nil, err
	}
	if len(picked) == 0 {
		return out, nil
	}
	first := picked[0]
	out.Rule, out.Unit, out.Label = first.gc.rule, first.gc.unit, first.gc.tree.byKey[out.Subject].Label
	for i, pk := range picked {
		// A gauge's and a list's subject is ranked among its peers, as the
		// completion of the whole rule ranks it; a trend has no rank.
		rows, trend := pk.gc.tree.rowsOf(out.Subject, cockpits.RowsPeers), 0
		switch in.Type {
		case cockpits.GoalRanking:
			if rows = pk.gc.tree.rowsOf(out.Subject, g.Rows); len(rows) == 0 {
				return out, nil // no children to rank
			}
		case cockpits.GoalTrend:
			rows, trend = []string{out.Subject}, g.Trend
		}
		comp, err := s.goalCompletion(ctx, s.db.Read(), pk.gc, GoalCompletionQuery{Period: pk.period, Subjects: rows, Trend: trend})
		if err != nil {
			return nil, err
		}
		if i == 0 {
			out.Period, out.AsOf, out.TimeProgress = comp.Period, comp.AsOf, comp.TimeProgress
		}
		for _, r := range comp.Rows {
			if in.Type != cockpits.GoalRanking && r.Subject != out.Subject {
				continue
			}
			row := GoalWidgetRow{GoalCompletionRow: r, RuleID: pk.gc.rule.ID, RuleName: pk.gc.rule.Name, Unit: comp.Unit, Period: comp.Period.Key,
				Self: r.Subject == out.Subject}
			row.Trend = []GoalTrendPoint{}
			if in.Type != cockpits.GoalTrend {
				out.Rows = append(out.Rows, row)
				continue
			}
			for _, t := range r.Trend {
				pt := row
				pt.Period, pt.Actual, pt.Target, pt.CompletionRate = t.Period, t.Actual, t.Target, t.CompletionRate
				pt.Gap, pt.Band, pt.Forecast, pt.Rank, pt.FrozenActual, pt.Difference = nil, band(t.CompletionRate), nil, nil, nil, nil
				if t.Target != nil {
					pt.Gap = new(float64)
					*pt.Gap = *t.Target - deref(t.Actual)
				}
				out.Rows = append(out.Rows, pt)
			}
		}
	}
	if in.Type == cockpits.GoalRanking {
		// Best first; subjects without a rate after, in the grid's order.
		slices.SortStableFunc(out.Rows, func(a, b GoalWidgetRow) int {
			switch {
			case a.Rank == nil && b.Rank == nil:
				return 0
			case a.Rank == nil:
				return 1
			case b.Rank == nil:
				return -1
			}
			return *a.Rank - *b.Rank
		})
	}
	return out, nil
}

// pickedRule is a rule a goal widget shows, with its period.
type pickedRule struct {
	gc     *goalContext
	period string
}

// goalWidgetRules are the rules a goal widget shows: its rule; or, by name,
// the rules (of the binding's subject type) whose grid holds the subject —
// for a goal_list all of them, else the first where the subject has a
// target in the period, or the first at all.
func (s *Service) goalWidgetRules(ctx context.Context, typ string, g cockpits.GoalBinding, subject string) ([]pickedRule, error) {
	q := s.db.Read()
	var ids []cohort.ID
	if g.Rule != 0 {
		ids = []cohort.ID{g.Rule}
	} else {
		rules, err := s.GoalRules(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			if g.SubjectType == "" || r.SubjectType == g.SubjectType {
				ids = append(ids, r.ID)
			}
		}
	}
	var out []pickedRule
	var fallback *pickedRule
	for _, id := range ids {
		gc, err := s.goalContextOf(ctx, q, id, nil)
		if cohort.ErrorCode(err) == cohort.ENOTFOUND && g.Rule != 0 {
			return nil, invalid("goal.rule", "no such goal rule")
		}
		if err != nil {
			return nil, err
		}
		if _, ok := gc.tree.byKey[subject]; !ok {
			continue
		}
		period, err := gc.widgetPeriod(g.Period)
		if err != nil {
			return nil, err
		}
		// The values the widget reads: its period, and for a trend the
		// periods before it.
		need := []string{period}
		if typ == cockpits.GoalTrend {
			need = append(gc.cal.previousPeriods(period, g.Trend), period)
		}
		if err := gc.needValues(ctx, q, need...); err != nil {
			return nil, err
		}
		pk := pickedRule{gc, period}
		if typ == cockpits.GoalList || g.Rule != 0 {
			out = append(out, pk)
			continue
		}
		if newTargets(gc.vals, gc.tree, gc.cal, gc.rule.Cycle).of(subject, period) != nil {
			return []pickedRule{pk}, nil
		}
		if fallback == nil {
			fallback = &pk
		}
	}
	if len(out) == 0 && fallback != nil {
		out = []pickedRule{*fallback}
	}
	return out, nil
}

// widgetPeriod resolves a goal widget's period for the rule: current (the
// finest period of its cycle holding today), current_year, or a key of the
// rule's grid.
func (gc *goalContext) widgetPeriod(period string) (string, error) {
	at := gc.cal.periodsAt(gc.rule.Cycle, gc.env.Today)
	switch period {
	case cockpits.PeriodCurrent:
		return at[len(at)-1], nil
	case cockpits.PeriodCurrentYear:
		return at[0], nil
	}
	p, _, ok := gc.cal.parse(period)
	if !ok || !slices.Contains(periodKinds(gc.rule.Cycle), p.Kind) {
		return "", invalid("goal.period", "%q is not current, current_year or a period of the %s rule %q (FY2026, FY2026-Q1, 2026-04, W2026-12-28)",
			period, gc.rule.Cycle, gc.rule.Name)
	}
	return period, nil
}

// rowsOf are a ranking's subjects: the subject and its peers (the subjects
// of its kind under its parent), or its children.
func (t *goalTree) rowsOf(subject, rows string) []string {
	if rows == cockpits.RowsChildren {
		return slices.Clone(t.children[subject])
	}
	me := t.byKey[subject]
	var out []string
	for _, s := range t.list {
		if s.Parent == me.Parent && s.Kind == me.Kind {
			out = append(out, s.Key)
		}
	}
	return out
}

// checkGoalWidgets validates the goal widgets of a layout: a rule named
// must be the tenant's.
func checkGoalWidgets(ctx context.Context, q store.Queryer, tenant cohort.ID, layout []cockpits.Widget) error {
	for i, w := range layout {
		if w.Goal == nil || w.Goal.Rule == 0 {
			continue
		}
		if _, err := findGoalRule(ctx, q, tenant, w.Goal.Rule); cohort.ErrorCode(err) == cohort.ENOTFOUND {
			return invalid(fmt.Sprintf("layout[%d].goal.rule", i), "no such goal rule")
		} else if err != nil {
			return err
		}
	}
	return nil
}

// metricResult is a goal widget's figures in the shape of a metric result,
// for the cockpit's workbook: a row per subject (rule, period) with the
// actual, target, completion rate and gap.
func (r *GoalWidgetResult) metricResult(lang string) *metrics.Result {
	en := strings.HasPrefix(strings.ToLower(lang), "en")
	tr := func(zh, e string) string {
		if en {
			return e
		}
		return zh
	}
	dim := "subject"
	switch r.Type {
	case cockpits.GoalList:
		dim = "rule"
	case cockpits.GoalTrend:
		dim = "period"
	}
	out := &metrics.Result{Dimensions: []string{dim}, From: r.Period.From, To: r.Period.To, AsOf: r.AsOf, Rows: []metrics.Row{},
		Total: metrics.Row{Values: map[string]*float64{}},
		Metrics: []metrics.Column{{Name: "actual", Label: tr("实际", "Actual"), Unit: r.Unit}, {Name: "target", Label: tr("目标", "Target"), Unit: r.Unit},
			{Name: "completion_rate", Label: tr("完成率", "Completion"), Unit: metrics.UnitRatio}, {Name: "gap", Label: tr("差距", "Gap"), Unit: r.Unit}}}
	if r.Type == cockpits.GoalList {
		// Rules of other units: their figures as they are.
		out.Metrics[0].Unit, out.Metrics[1].Unit, out.Metrics[3].Unit = metrics.UnitNumber, metrics.UnitNumber, metrics.UnitNumber
	}
	for _, row := range r.Rows {
		key, label := row.Subject, row.Label
		switch dim {
		case "rule":
			key, label = row.RuleID.String(), row.RuleName+" · "+row.Period
		case "period":
			key, label = row.Period, row.Period
		}
		out.Rows = append(out.Rows, metrics.Row{Keys: []string{key}, Labels: []string{label},
			Values: map[string]*float64{"actual": row.Actual, "target": row.Target, "completion_rate": row.CompletionRate, "gap": row.Gap}})
	}
	return out
}
