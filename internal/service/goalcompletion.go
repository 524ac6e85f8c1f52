package service

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// ---- Actuals: the metric engine, nothing else ----

// actuals asks the engine for the rule's metric with the rule's role
// credit over [from, to) for each subject: people by the person
// dimension; departments by their historic department, each with its
// sub-departments (the department dimension under each parent); products,
// categories, regions and segments by their dimension; the company as the
// total. The rule's departments and filters narrow every query.
func (gc *goalContext) actuals(ctx context.Context, q store.Queryer, subjects []string, from, to string) (map[string]*float64, error) {
	return gc.metricBy(ctx, q, gc.rule.Metric, subjects, from, to)
}

// metricBy is metric for each subject over [from, to), with the rule's
// role credit, filters and departments.
func (gc *goalContext) metricBy(ctx context.Context, q store.Queryer, metric string, subjects []string, from, to string) (map[string]*float64, error) {
	all, err := gc.metricsBy(ctx, q, []string{metric}, subjects, from, to)
	return all[metric], err
}

// metricsBy is metricBy for several metrics at once: metric → subject →
// value, with the same queries as one metric (subjectFigures).
func (gc *goalContext) metricsBy(ctx context.Context, q store.Queryer, names []string, subjects []string, from, to string) (map[string]map[string]*float64, error) {
	f, err := subjectFigures(ctx, q, &gc.env, gc.figureAsk(names, from, to), subjects)
	if err != nil {
		return nil, err
	}
	all := map[string]map[string]*float64{}
	for _, m := range names {
		all[m] = map[string]*float64{}
	}
	for sub, b := range f {
		for m, v := range b[""] {
			all[m][sub] = v
		}
	}
	return all, nil
}

// figureAsk asks for names over [from, to) with the rule's role credit,
// filters and departments.
func (gc *goalContext) figureAsk(names []string, from, to string) figureAsk {
	ask := figureAsk{Metrics: names, Role: gc.rule.Role, From: from, To: to, Filters: slices.Clone(gc.rule.Filters)}
	if len(gc.rule.Departments) > 0 {
		vals := make([]string, len(gc.rule.Departments))
		for i, d := range gc.rule.Departments {
			vals[i] = d.String()
		}
		ask.Filters = append(ask.Filters, metrics.Filter{Dimension: "department", Values: vals})
	}
	return ask
}

// nullOrZero is a subject's value when the engine has no row for it: 0
// for an additive count or amount, null for a rate over nothing.
func nullOrZero(res *metrics.Result, metric string, zero *float64) *float64 {
	for _, c := range res.Metrics {
		if c.Name == metric && (c.Unit == metrics.UnitMoney || c.Unit == metrics.UnitCount || c.Unit == metrics.UnitMinutes || c.Additive) {
			return zero
		}
	}
	return nil
}

func deptByIDString(ds []*cohort.Department, id string) *cohort.Department {
	for _, d := range ds {
		if d.ID.String() == id {
			return d
		}
	}
	return nil
}

// ---- Completion ----

// Bands of completion (METRICS.md "Goals").
const (
	BandBelow   = "below"    // below 80 %
	BandOnTrack = "on_track" // 80–120 %
	BandAbove   = "above"    // above 120 %
)

func band(rate *float64) *string {
	if rate == nil {
		return nil
	}
	b := BandOnTrack
	switch {
	case *rate < 0.8:
		b = BandBelow
	case *rate > 1.2:
		b = BandAbove
	}
	return &b
}

// GoalTrendPoint is a past period's completion.
type GoalTrendPoint struct {
	Period         string   `json:"period"`
	Actual         *float64 `json:"actual"`
	Target         *float64 `json:"target"`
	CompletionRate *float64 `json:"completion_rate"`
}

// GoalCompletionRow is one subject's completion in a period.
type GoalCompletionRow struct {
	Subject        string   `json:"subject"`
	Kind           string   `json:"kind"`
	Label          string   `json:"label"`
	Parent         string   `json:"parent"`
	Depth          int      `json:"depth"`
	Actual         *float64 `json:"actual"`
	Target         *float64 `json:"target"`
	CompletionRate *float64 `json:"completion_rate"`
	Gap            *float64 `json:"gap"`
	Band           *string  `json:"band"`
	// Forecast is (actual + weighted pipeline expected to close in the
	// rest of the period) ÷ target, for rules on a signed or won amount
	// (forecastable); null for other rules and a target of 0.
	Forecast *float64 `json:"forecast"`
	// Rank is the place among Peers (the subjects of the same kind under
	// the same parent) by completion rate, 1 = best; null without a rate.
	Rank  *int `json:"rank"`
	Peers int  `json:"peers"`
	// FrozenActual is the actual the period was frozen with; Difference is
	// actual − frozen (late events entered since).
	FrozenActual *float64         `json:"frozen_actual,omitempty"`
	Difference   *float64         `json:"difference,omitempty"`
	Trend        []GoalTrendPoint `json:"trend"`
}

// GoalCompletion is a rule's completion for a period.
type GoalCompletion struct {
	Rule   GoalRule   `json:"rule"`
	Unit   string     `json:"unit"`
	Period GoalPeriod `json:"period"`
	AsOf   string     `json:"as_of"`
	// TimeProgress is the days of the period elapsed by the as-of date (the
	// as-of day included) ÷ the days of the period.
	TimeProgress float64             `json:"time_progress"`
	Rows         []GoalCompletionRow `json:"rows"`
}

// GoalCompletionQuery asks for completion.
type GoalCompletionQuery struct {
	Period string
	AsOf   string
	// Subjects limits the rows (keys); empty is every subject of the rule.
	Subjects []string
	// Trend is how many past periods of the same kind to show (0..12).
	Trend int
}

// weightedPipelineMetric is the metric of the forecast: forecast =
// (actual + weighted_pipeline with expected close after the as-of day and
// before the period's end) ÷ target (METRICS.md "Goals").
const weightedPipelineMetric = "weighted_pipeline"

// forecastable are the metrics whose goals have a forecast: amounts that
// open opportunities turn into when won.
var forecastable = map[string]bool{"signed_amount": true, "contract_amount": true, "order_amount": true, "won_amount": true}

// GoalCompletion computes completion through the metric engine.
func (s *Service) GoalCompletion(ctx context.Context, ruleID cohort.ID, cq GoalCompletionQuery) (*GoalCompletion, error) {
	if _, err := require(ctx, cohort.ObjCustomer, cohort.ActView); err != nil {
		return nil, err
	}
	q := s.db.Read()
	gc, err := s.goalContextOf(ctx, q, ruleID, nil)
	if err != nil {
		return nil, err
	}
	return s.goalCompletion(ctx, q, gc, cq)
}

// goalCompletion is GoalCompletion of the rule of gc, loaded already (a
// goal widget loads it to pick its rule).
func (s *Service) goalCompletion(ctx context.Context, q store.Queryer, gc *goalContext, cq GoalCompletionQuery) (*GoalCompletion, error) {
	var v cohort.Validation
	per, _, ok := gc.cal.parse(cq.Period)
	if !ok || !slices.Contains(periodKinds(gc.rule.Cycle), per.Kind) {
		v.Add("period", "%q is not a period of a %s rule (FY2026, FY2026-Q1, 2026-04, W2026-12-28)", cq.Period, gc.rule.Cycle)
	}
	loc, err := time.LoadLocation(gc.tenant.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	asOf := time.Now().In(loc)
	asOf = time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	if cq.AsOf != "" {
		if asOf, err = time.Parse("2006-01-02", cq.AsOf); err != nil {
			v.Add("as_of", "must be a date YYYY-MM-DD")
		}
	}
	if cq.Trend < 0 || cq.Trend > 12 {
		v.Add("trend", "must be 0 to 12")
	}
	for i, sub := range cq.Subjects {
		if _, ok := gc.tree.byKey[sub]; !ok {
			v.Add(fmt.Sprintf("subjects[%d]", i), "%q is not a subject of this rule", sub)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	subjects := cq.Subjects
	if len(subjects) == 0 {
		for _, sub := range gc.tree.list {
			subjects = append(subjects, sub.Key)
		}
	}
	from, _ := time.Parse("2006-01-02", per.From)
	to, _ := time.Parse("2006-01-02", per.To)
	per.Locked = gc.locks.locked(gc.cal, per.Key)
	frozen := gc.locks[per.Key]
	per.Frozen = frozen != nil
	out := &GoalCompletion{Rule: *gc.rule, Unit: gc.unit, Period: per, AsOf: ymd(asOf), TimeProgress: timeProgress(from, to, asOf), Rows: []GoalCompletionRow{}}

	past := gc.cal.previousPeriods(per.Key, cq.Trend)
	var act map[string]*float64
	var pastActs []map[string]*float64
	if per.Kind == "month" && len(past) > 0 {
		// A month with a trend: the month is the last of the trend's
		// query (one statement split by month for the months before it
		// and the month itself).
		all, err := gc.pastActuals(ctx, q, subjects, append(slices.Clone(past), per.Key))
		if err != nil {
			return nil, err
		}
		act, pastActs = all[len(past)], all[:len(past)]
	} else {
		if act, err = gc.actuals(ctx, q, subjects, per.From, per.To); err != nil {
			return nil, err
		}
		if pastActs, err = gc.pastActuals(ctx, q, subjects, past); err != nil {
			return nil, err
		}
	}
	if err := gc.needValues(ctx, q, append(slices.Clone(past), per.Key)...); err != nil {
		return nil, err
	}
	tg := newTargets(gc.vals, gc.tree, gc.cal, gc.rule.Cycle)
	// The weighted pipeline expected to close in the rest of the period:
	// after the as-of day, before its end.
	var pipeline map[string]*float64
	if forecastable[gc.rule.Metric] {
		rest := asOf.AddDate(0, 0, 1)
		if rest.Before(from) {
			rest = from
		}
		pipeline = map[string]*float64{}
		if rest.Before(to) {
			if pipeline, err = gc.metricBy(ctx, q, weightedPipelineMetric, subjects, ymd(rest), per.To); err != nil {
				return nil, err
			}
		}
	}
	for _, key := range subjects {
		sub := gc.tree.byKey[key]
		row := GoalCompletionRow{Subject: key, Kind: sub.Kind, Label: sub.Label, Parent: sub.Parent, Depth: sub.Depth, Actual: act[key], Target: tg.of(key, per.Key), Trend: []GoalTrendPoint{}}
		row.CompletionRate, row.Gap = rateAndGap(row.Actual, row.Target)
		row.Band = band(row.CompletionRate)
		if pipeline != nil && row.Target != nil && *row.Target != 0 {
			a := 0.0
			if row.Actual != nil {
				a = *row.Actual
			}
			if p := pipeline[key]; p != nil {
				a += *p
			}
			f := math.Round(a / *row.Target * 1e6) / 1e6
			row.Forecast = &f
		}
		if frozen != nil {
			row.FrozenActual = frozen[key]
			if row.FrozenActual != nil && row.Actual != nil {
				d := *row.Actual - *row.FrozenActual
				row.Difference = &d
			}
		}
		for i, pk := range past {
			pt := GoalTrendPoint{Period: pk, Actual: pastActs[i][key], Target: tg.of(key, pk)}
			pt.CompletionRate, _ = rateAndGap(pt.Actual, pt.Target)
			row.Trend = append(row.Trend, pt)
		}
		row.Trend = append(row.Trend, GoalTrendPoint{Period: per.Key, Actual: row.Actual, Target: row.Target, CompletionRate: row.CompletionRate})
		out.Rows = append(out.Rows, row)
	}
	rankPeers(out.Rows)
	return out, nil
}

// pastActuals are the actuals of each past period: months in one query
// split by the engine's month (a calendar month is a goal month in any
// fiscal year), other periods one query each.
func (gc *goalContext) pastActuals(ctx context.Context, q store.Queryer, subjects, past []string) ([]map[string]*float64, error) {
	out := make([]map[string]*float64, len(past))
	if len(past) == 0 {
		return out, nil
	}
	if first, _, _ := gc.cal.parse(past[0]); first.Kind == "month" {
		last, _, _ := gc.cal.parse(past[len(past)-1])
		ask := gc.figureAsk([]string{gc.rule.Metric}, first.From, last.To)
		ask.TimeDim = "month"
		f, err := subjectFigures(ctx, q, &gc.env, ask, subjects)
		if err != nil {
			return nil, err
		}
		// A month without facts has no bucket: 0 for an additive metric,
		// null for a rate over nothing.
		var none *float64
		if m, err := metrics.Lookup(&gc.env, gc.rule.Metric); err == nil && (m.Additive || m.Unit == metrics.UnitMoney || m.Unit == metrics.UnitCount || m.Unit == metrics.UnitMinutes) {
			none = new(float64)
		}
		for i, pk := range past {
			out[i] = make(map[string]*float64, len(subjects))
			for _, sub := range subjects {
				if v, ok := f[sub][pk][gc.rule.Metric]; ok {
					out[i][sub] = v
				} else {
					out[i][sub] = none
				}
			}
		}
		return out, nil
	}
	for i, pk := range past {
		pp, _, _ := gc.cal.parse(pk)
		var err error
		if out[i], err = gc.actuals(ctx, q, subjects, pp.From, pp.To); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func rateAndGap(actual, target *float64) (rate, gap *float64) {
	if target == nil {
		return nil, nil
	}
	a := 0.0
	if actual != nil {
		a = *actual
	}
	g := *target - a
	if *target == 0 {
		return nil, &g
	}
	r := math.Round(a / *target * 1e6) / 1e6
	return &r, &g
}

// rankPeers ranks each row among the rows of its kind under its parent by
// completion rate (best first); rows without a rate have no rank.
func rankPeers(rows []GoalCompletionRow) {
	groups := map[string][]int{}
	for i, r := range rows {
		k := r.Parent + "\x00" + r.Kind
		groups[k] = append(groups[k], i)
	}
	for _, idx := range groups {
		var rated []int
		for _, i := range idx {
			rows[i].Peers = len(idx)
			if rows[i].CompletionRate != nil {
				rated = append(rated, i)
			}
		}
		slices.SortStableFunc(rated, func(a, b int) int {
			switch x, y := *rows[a].CompletionRate, *rows[b].CompletionRate; {
			case x > y:
				return -1
			case x < y:
				return 1
			}
			return 0
		})
		for pos, i := range rated {
			r := pos + 1
			if pos > 0 && *rows[rated[pos-1]].CompletionRate == *rows[i].CompletionRate {
				r = *rows[rated[pos-1]].Rank
			}
			rows[i].Rank = &r
		}
	}
}

// ---- Locks ----

// GoalLockInput locks a period (and every period inside it); Freeze also
// keeps the period's actuals as they are now (closing it).
type GoalLockInput struct {
	Period string `json:"period" openapi:"required" example:"FY2026-Q1"`
	Freeze bool   `json:"freeze" example:"false"`
}

// LockGoalPeriod locks a period of a rule.
func (s *Service) LockGoalPeriod(ctx context.Context, ruleID cohort.ID, in GoalLockInput) error {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		gc, err := s.goalContext(ctx, tx, ruleID, nil)
		if err != nil {
			return err
		}
		per, _, ok := gc.cal.parse(in.Period)
		if !ok || !slices.Contains(periodKinds(gc.rule.Cycle), per.Kind) {
			return &cohort.Error{Code: cohort.EINVALID, Message: fmt.Sprintf("period: %q is not a period of this rule", in.Period),
				Fields: []cohort.FieldError{{Field: "period", Message: "not a period of this rule"}}}
		}
		if _, dup := gc.locks[in.Period]; dup {
			return cohort.Errorf(cohort.ECONFLICT, "the period %s is locked already", in.Period)
		}
		var frozen any
		if in.Freeze {
			keys := make([]string, len(gc.tree.list))
			for i, sub := range gc.tree.list {
				keys[i] = sub.Key
			}
			act, err := gc.actuals(ctx, tx, keys, per.From, per.To)
			if err != nil {
				return err
			}
			b, _ := json.Marshal(act)
			frozen = string(b)
		}
		var by any
		if p.User != nil {
			by = int64(p.User.ID)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO goal_locks (tenant_id, rule_id, period, frozen, locked_by, locked_at) VALUES (?,?,?,?,?,?)",
			int64(p.Tenant.ID), int64(ruleID), in.Period, frozen, by, s.now().UnixMilli()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "lock", objGoalRule, ruleID, []cohort.FieldChange{{Field: "locks." + in.Period, After: json.RawMessage(fmt.Sprintf("%t", in.Freeze))}})
	})
}

// UnlockGoalPeriod removes a period's lock (and its frozen actuals).
func (s *Service) UnlockGoalPeriod(ctx context.Context, ruleID cohort.ID, period string) error {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if _, err := findGoalRule(ctx, tx, p.Tenant.ID, ruleID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM goal_locks WHERE tenant_id = ? AND rule_id = ? AND period = ?", int64(p.Tenant.ID), int64(ruleID), period)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return cohort.Errorf(cohort.ENOTFOUND, "the period %s is not locked", period)
		}
		return s.audit(ctx, tx, "unlock", objGoalRule, ruleID, []cohort.FieldChange{{Field: "locks." + period, Before: json.RawMessage("true")}})
	})
}

// figuresFrozen says whether any goal period of the tenant is frozen.
func figuresFrozen(ctx context.Context, q store.Queryer, tenant cohort.ID) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM goal_locks WHERE tenant_id = ? AND frozen IS NOT NULL", int64(tenant)).Scan(&n)
	return n > 0, err
}
