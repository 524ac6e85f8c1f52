package service

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// The objective tree: each objective with its key results, the formula's
// factors, its strategies and their actions, every figure from the metric
// engine in the caller's data scope. The questions of a whole tree are
// asked together: one batch per role and filters (every metric and owner
// of the batch in a few statements, subjectfigures.go), one per action
// filter and cadence, one goal completion per goal rule.

// maxTreeObjectives caps the objectives of one tree.
const maxTreeObjectives = 200

// KeyResultNode is a key result with its figures: Actual (the metric for
// the owner over the period, or the goal's actual), Target (the goal's
// for a goal key result) and Score from 0 to 1 (null when there is
// nothing to score yet). Problem names why a goal key result has no
// figures: goal_rule_missing, goal_period or goal_subject_missing.
type KeyResultNode struct {
	KeyResult
	AssessedByName string   `json:"assessed_by_name,omitempty"`
	MetricLabel    string   `json:"metric_label"`
	Unit           string   `json:"unit"`
	Actual         *float64 `json:"actual"`
	Score          *float64 `json:"score"`
	Problem        string   `json:"problem,omitempty"`
}

// FactorValue is a factor of the performance formula with its metric's
// value for the objective's owner over the period.
type FactorValue struct {
	Factor string   `json:"factor"`
	Metric string   `json:"metric"`
	Label  string   `json:"label"`
	Unit   string   `json:"unit"`
	Value  *float64 `json:"value"`
}

// ActionBucket is one cadence bucket of a quota: its days [From, To), the
// count in it and the quota (prorated when the bucket is cut by the
// period's edge).
type ActionBucket struct {
	Key   string  `json:"key"`
	From  string  `json:"from"`
	To    string  `json:"to"`
	Count float64 `json:"count"`
	Quota float64 `json:"quota"`
	Met   bool    `json:"met"`
}

// ActionNode is an action with its progress. A quota's buckets run from
// the period's start to the bucket holding as_of; Counted and Expected
// are their sums, Progress = Σ min(count, quota) ÷ Σ quota (doing more in
// one bucket does not make up for another). A manual action's progress
// is 1 when done, else 0.
type ActionNode struct {
	Action
	MetricLabel string         `json:"metric_label"`
	Unit        string         `json:"unit"`
	DoneByName  string         `json:"done_by_name,omitempty"`
	Counted     *float64       `json:"counted"`
	Expected    *float64       `json:"expected"`
	Progress    *float64       `json:"progress"`
	BucketsMet  int            `json:"buckets_met"`
	Buckets     []ActionBucket `json:"buckets"`
}

// StrategyNode is a strategy with its factor's value and its actions;
// Progress is the mean of the actions' progress.
type StrategyNode struct {
	Strategy
	FactorValue FactorValue  `json:"factor_value"`
	Progress    *float64     `json:"progress"`
	Actions     []ActionNode `json:"actions"`
}

// ObjectiveNode is an objective with its figures; Score is the weighted
// mean of its key results' scores (those that have one).
type ObjectiveNode struct {
	Objective
	Score      *float64        `json:"score"`
	KeyResults []KeyResultNode `json:"key_results"`
	Factors    []FactorValue   `json:"factors"`
	Strategies []StrategyNode  `json:"strategies"`
}

// ObjectiveTree is the objectives of a period with their figures as of a
// day.
type ObjectiveTree struct {
	Period GoalPeriod `json:"period"`
	AsOf   string     `json:"as_of"`
	// TimeProgress is the share of the period's days elapsed by as_of.
	TimeProgress float64         `json:"time_progress"`
	Items        []ObjectiveNode `json:"items"`
	Truncated    bool            `json:"truncated"`
}

// ObjectiveTreeQuery asks for the tree of a period (FY2026, FY2026-Q1,
// 2026-04), of one owner when given, as of a day (default today).
type ObjectiveTreeQuery struct {
	Period string
	Owner  string
	AsOf   string
}

// ObjectiveTree computes the tree of the objectives the caller reads in a
// period.
func (s *Service) ObjectiveTree(ctx context.Context, tq ObjectiveTreeQuery) (*ObjectiveTree, error) {
	if _, err := require(ctx, cohort.ObjCustomer, cohort.ActView); err != nil {
		return nil, err
	}
	q := s.db.Read()
	c, err := s.okrContext(ctx, q)
	if err != nil {
		return nil, err
	}
	var v cohort.Validation
	per, ok := s.objectivePeriod(c.tenant, tq.Period)
	if !ok {
		v.Add("period", "%q is not a fiscal year, quarter or month within ten years of this one (FY2026, FY2026-Q1, 2026-04)", tq.Period)
	}
	asOf, err := s.asOfDay(c.tenant, tq.AsOf)
	if err != nil {
		v.Add("as_of", "must be a date YYYY-MM-DD")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	objs, err := s.objectives(ctx, q, c.tenant, ObjectiveFilter{Period: tq.Period, Owner: tq.Owner})
	if err != nil {
		return nil, err
	}
	truncated := len(objs) > maxTreeObjectives
	if truncated {
		objs = objs[:maxTreeObjectives]
	}
	out, err := s.objectiveTree(ctx, q, c, per, asOf, objs)
	if err != nil {
		return nil, err
	}
	out.Truncated = truncated
	return out, nil
}

// ObjectiveTreeOf computes the tree of one objective.
func (s *Service) ObjectiveTreeOf(ctx context.Context, id cohort.ID, asOfParam string) (*ObjectiveTree, error) {
	if _, err := require(ctx, cohort.ObjCustomer, cohort.ActView); err != nil {
		return nil, err
	}
	q := s.db.Read()
	c, err := s.okrContext(ctx, q)
	if err != nil {
		return nil, err
	}
	o, err := s.objectiveFor(ctx, q, c.tenant, id, cohort.ActView)
	if err != nil {
		return nil, err
	}
	asOf, err := s.asOfDay(c.tenant, asOfParam)
	if err != nil {
		return nil, &cohort.Error{Code: cohort.EINVALID, Message: "as_of: must be a date YYYY-MM-DD", Fields: []cohort.FieldError{{Field: "as_of", Message: "must be a date YYYY-MM-DD"}}}
	}
	per, _, _ := tenantCal(c.tenant).parse(o.Period)
	return s.objectiveTree(ctx, q, c, per, asOf, []Objective{*o})
}

// asOfDay reads an as-of date, today in the tenant's zone by default.
func (s *Service) asOfDay(tenant *cohort.Tenant, param string) (time.Time, error) {
	if param != "" {
		return time.Parse("2006-01-02", param)
	}
	y, m, d := s.now().In(tenant.Location()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

// askKey groups the questions of one batch.
type askKey struct {
	role, filters, timeDim, from, to string
}

// askSet collects the questions of a tree before any is asked.
type askSet struct {
	asks map[askKey]*figureAsk
	subj map[askKey][]string
	ans  map[askKey]figures
}

func (a *askSet) add(role string, filters []metrics.Filter, timeDim, from, to, metric, subject string) askKey {
	k := askKey{role: role, filters: jsonText(filters), timeDim: timeDim, from: from, to: to}
	ask := a.asks[k]
	if ask == nil {
		ask = &figureAsk{Role: role, Filters: filters, TimeDim: timeDim, From: from, To: to}
		a.asks[k] = ask
	}
	if !slices.Contains(ask.Metrics, metric) {
		ask.Metrics = append(ask.Metrics, metric)
	}
	if !slices.Contains(a.subj[k], subject) {
		a.subj[k] = append(a.subj[k], subject)
	}
	return k
}

func (a *askSet) run(ctx context.Context, q store.Queryer, env *metrics.Env) error {
	keys := make([]askKey, 0, len(a.asks))
	for k := range a.asks {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y askKey) int {
		return strings.Compare(strings.Join([]string{x.role, x.filters, x.timeDim, x.from, x.to}, "\x00"), strings.Join([]string{y.role, y.filters, y.timeDim, y.from, y.to}, "\x00"))
	})
	for _, k := range keys {
		f, err := subjectFigures(ctx, q, env, *a.asks[k], a.subj[k])
		if err != nil {
			return err
		}
		a.ans[k] = f
	}
	return nil
}

// goalFigure is a goal key result's actual and target.
type goalFigure struct {
	actual, target, rate *float64
	problem              string
}

func (s *Service) objectiveTree(ctx context.Context, q store.Queryer, c *okrContext, per GoalPeriod, asOf time.Time, objs []Objective) (*ObjectiveTree, error) {
	cal := tenantCal(c.tenant)
	from, _ := time.Parse("2006-01-02", per.From)
	to, _ := time.Parse("2006-01-02", per.To)
	days := to.Sub(from).Hours() / 24
	elapsed := math.Min(math.Max(asOf.Sub(from).Hours()/24+1, 0), days)
	out := &ObjectiveTree{Period: per, AsOf: ymd(asOf), TimeProgress: round6(elapsed / days), Items: []ObjectiveNode{}}
	if len(objs) == 0 {
		return out, nil
	}
	ids := make([]cohort.ID, len(objs))
	for i, o := range objs {
		ids[i] = o.ID
	}
	krs, err := listChildren(ctx, q, c.tenant.ID, "key_results", keyResultCols, ids, scanKeyResult)
	if err != nil {
		return nil, err
	}
	sts, err := listChildren(ctx, q, c.tenant.ID, "objective_strategies", strategyCols, ids, scanStrategy)
	if err != nil {
		return nil, err
	}
	acts, err := listChildren(ctx, q, c.tenant.ID, "objective_actions", actionCols, ids, scanAction)
	if err != nil {
		return nil, err
	}
	periodOf := map[cohort.ID]GoalPeriod{}
	for _, o := range objs {
		periodOf[o.ID], _, _ = cal.parse(o.Period)
	}
	ownerOf := map[cohort.ID]string{}
	for _, o := range objs {
		ownerOf[o.ID] = o.Owner
	}
	// The questions, all collected first.
	set := &askSet{asks: map[askKey]*figureAsk{}, subj: map[askKey][]string{}, ans: map[askKey]figures{}}
	krAsk := map[cohort.ID]askKey{}
	goalSubjects := map[cohort.ID][]string{}
	for _, k := range krs {
		p := periodOf[k.ObjectiveID]
		switch k.Kind {
		case KRMetric:
			krAsk[k.ID] = set.add(k.Role, k.Filters, "", p.From, p.To, k.Metric, ownerOf[k.ObjectiveID])
		case KRGoal:
			if !slices.Contains(goalSubjects[k.GoalRuleID], k.GoalSubject) {
				goalSubjects[k.GoalRuleID] = append(goalSubjects[k.GoalRuleID], k.GoalSubject)
			}
		}
	}
	factorAsk := map[cohort.ID]askKey{}
	for _, o := range objs {
		p := periodOf[o.ID]
		for _, f := range Factors {
			factorAsk[o.ID] = set.add(cohort.RoleOwner, []metrics.Filter{}, "", p.From, p.To, factorMetrics[f], o.Owner)
		}
	}
	actAsk := map[cohort.ID]askKey{}
	for _, a := range acts {
		if a.Kind != ActionQuota {
			continue
		}
		p := periodOf[a.ObjectiveID]
		end := min(ymd(asOf.AddDate(0, 0, 1)), p.To)
		if end <= p.From {
			continue // nothing to count yet
		}
		dim := a.Cadence
		if dim == "period" {
			dim = ""
		}
		// Counted with the owner's credit up to the as-of day.
		actAsk[a.ID] = set.add(cohort.RoleOwner, a.Filters, dim, p.From, end, a.Metric, ownerOf[a.ObjectiveID])
	}
	if err := set.run(ctx, q, &c.env); err != nil {
		return nil, err
	}
	goals := map[cohort.ID]map[string]goalFigure{}
	for ruleID, subjects := range goalSubjects {
		goals[ruleID] = s.goalFigures(ctx, q, ruleID, per.Key, ymd(asOf), subjects)
	}
	var people []cohort.ID
	for _, a := range acts {
		people = append(people, a.DoneBy)
	}
	for _, k := range krs {
		people = append(people, k.AssessedBy)
	}
	names, err := personNames(ctx, q, c.tenant, people)
	if err != nil {
		return nil, err
	}
	rules := map[cohort.ID]*GoalRule{}
	for ruleID := range goalSubjects {
		if r, err := findGoalRule(ctx, q, c.tenant.ID, ruleID); err == nil {
			rules[ruleID] = r
		}
	}
	lang := c.env.Lang
	label := func(metric string) (string, string) {
		if m, err := metrics.Lookup(&c.env, metric); err == nil {
			return m.Label(lang), m.Unit
		}
		return metric, metrics.UnitNumber
	}
	for _, o := range objs {
		node := ObjectiveNode{Objective: o, KeyResults: []KeyResultNode{}, Factors: []FactorValue{}, Strategies: []StrategyNode{}}
		p := periodOf[o.ID]
		for _, f := range Factors {
			fv := FactorValue{Factor: f, Metric: factorMetrics[f]}
			fv.Label, fv.Unit = label(fv.Metric)
			fv.Value = set.ans[factorAsk[o.ID]].get(o.Owner, "", fv.Metric)
			node.Factors = append(node.Factors, fv)
		}
		var wsum, ssum float64
		for _, k := range krs {
			if k.ObjectiveID != o.ID {
				continue
			}
			kn := KeyResultNode{KeyResult: *k}
			switch k.Kind {
			case KRMetric:
				kn.MetricLabel, kn.Unit = label(k.Metric)
				kn.Actual = set.ans[krAsk[k.ID]].get(o.Owner, "", k.Metric)
				kn.Score = krScore(kn.Actual, k.Target, k.Direction)
			case KRGoal:
				g := goals[k.GoalRuleID][k.GoalSubject]
				kn.Actual, kn.Target, kn.Problem = g.actual, g.target, g.problem
				if g.rate != nil {
					sc := round6(math.Min(math.Max(*g.rate, 0), 1))
					kn.Score = &sc
				}
				if r := rules[k.GoalRuleID]; r != nil {
					kn.MetricLabel, kn.Unit = label(r.Metric)
				}
			case KRSelf:
				kn.Score, kn.AssessedByName = k.SelfScore, names[k.AssessedBy]
			}
			if kn.Score != nil {
				wsum += k.Weight
				ssum += k.Weight * *kn.Score
			}
			node.KeyResults = append(node.KeyResults, kn)
		}
		if wsum > 0 {
			sc := round6(ssum / wsum)
			node.Score = &sc
		}
		for _, st := range sts {
			if st.ObjectiveID != o.ID {
				continue
			}
			sn := StrategyNode{Strategy: *st, Actions: []ActionNode{}}
			for _, fv := range node.Factors {
				if fv.Factor == st.Factor {
					sn.FactorValue = fv
				}
			}
			var psum float64
			var pn int
			for _, a := range acts {
				if a.StrategyID != st.ID {
					continue
				}
				an := ActionNode{Action: *a, Buckets: []ActionBucket{}}
				if a.Kind == ActionManual {
					pr := 0.0
					if a.Done {
						pr = 1
					}
					an.Progress, an.DoneByName = &pr, names[a.DoneBy]
				} else {
					an.MetricLabel, an.Unit = label(a.Metric)
					an.count(cal, p, asOf, set.ans[actAsk[a.ID]], o.Owner)
				}
				if an.Progress != nil {
					psum += *an.Progress
					pn++
				}
				sn.Actions = append(sn.Actions, an)
			}
			if pn > 0 {
				pr := round6(psum / float64(pn))
				sn.Progress = &pr
			}
			node.Strategies = append(node.Strategies, sn)
		}
		out.Items = append(out.Items, node)
	}
	return out, nil
}

// krScore is a metric key result's score: actual ÷ target (at least the
// target is 1), or for a decrease target ÷ actual (at most the target is
// 1), between 0 and 1; null without an actual.
func krScore(actual, target *float64, dir string) *float64 {
	if actual == nil || target == nil {
		return nil
	}
	var sc float64
	switch {
	case dir == DirDecrease && *actual <= *target:
		sc = 1
	case dir == DirDecrease:
		sc = *target / *actual
	case *target <= 0:
		return nil
	default:
		sc = *actual / *target
	}
	sc = round6(math.Min(math.Max(sc, 0), 1))
	return &sc
}

// count fills a quota's buckets from the batch's figures: the cadence's
// buckets from the period's start through the one holding as_of.
func (an *ActionNode) count(cal goalCal, per GoalPeriod, asOf time.Time, f figures, owner string) {
	for _, b := range actionBuckets(cal, an.Cadence, per, asOf, *an.Quota) {
		key := b.Key
		if an.Cadence == "period" {
			key = ""
		}
		if v := f.get(owner, key, an.Metric); v != nil {
			b.Count = *v
		}
		b.Met = b.Count >= b.Quota-1e-9
		an.Buckets = append(an.Buckets, b)
	}
	if len(an.Buckets) == 0 {
		return
	}
	var counted, expected, done float64
	for _, b := range an.Buckets {
		counted += b.Count
		expected += b.Quota
		done += math.Min(math.Max(b.Count, 0), b.Quota)
		if b.Met {
			an.BucketsMet++
		}
	}
	counted, expected = round6(counted), round6(expected)
	pr := round6(done / expected)
	an.Counted, an.Expected, an.Progress = &counted, &expected, &pr
}

// actionBuckets are a cadence's buckets of per from its start through the
// bucket holding asOf: days; the tenant's weeks (keyed by their first day,
// the first and last cut by the period's edges, their quota prorated by
// the days inside); months; or the period once.
func actionBuckets(cal goalCal, cadence string, per GoalPeriod, asOf time.Time, quota float64) []ActionBucket {
	from, _ := time.Parse("2006-01-02", per.From)
	to, _ := time.Parse("2006-01-02", per.To)
	end := asOf.AddDate(0, 0, 1)
	if end.After(to) {
		end = to
	}
	var out []ActionBucket
	if !end.After(from) {
		return out
	}
	add := func(key string, s, e time.Time, q float64) {
		out = append(out, ActionBucket{Key: key, From: ymd(s), To: ymd(e), Quota: round6(q)})
	}
	switch cadence {
	case "day":
		for d := from; d.Before(end); d = d.AddDate(0, 0, 1) {
			add(ymd(d), d, d.AddDate(0, 0, 1), quota)
		}
	case "week":
		first := time.Weekday(cal.week % 7)
		w := from.AddDate(0, 0, -((int(from.Weekday()) - int(first) + 7) % 7))
		for ; w.Before(end); w = w.AddDate(0, 0, 7) {
			s, e := w, w.AddDate(0, 0, 7)
			if s.Before(from) {
				s = from
			}
			if e.After(to) {
				e = to
			}
			add(ymd(w), s, e, quota*e.Sub(s).Hours()/24/7)
		}
	case "month":
		for m := from; m.Before(end); m = m.AddDate(0, 1, 0) {
			add(m.Format("2006-01"), m, m.AddDate(0, 1, 0), quota)
		}
	case "period":
		add(per.Key, from, to, quota)
	}
	return out
}

// goalFigures are goal rule ruleID's actual and target of subjects in
// period, from its completion; a rule that is gone, has no such period
// or no longer has a subject gives those a problem, not an error.
func (s *Service) goalFigures(ctx context.Context, q store.Queryer, ruleID cohort.ID, period, asOf string, subjects []string) map[string]goalFigure {
	out := map[string]goalFigure{}
	fail := func(problem string) map[string]goalFigure {
		for _, sub := range subjects {
			out[sub] = goalFigure{problem: problem}
		}
		return out
	}
	gc, err := s.goalContext(ctx, q, ruleID, nil)
	if err != nil {
		return fail("goal_rule_missing")
	}
	per, _, ok := gc.cal.parse(period)
	if !ok || !slices.Contains(periodKinds(gc.rule.Cycle), per.Kind) {
		return fail("goal_period")
	}
	var known []string
	for _, sub := range subjects {
		if _, ok := gc.tree.byKey[sub]; ok {
			known = append(known, sub)
		} else {
			out[sub] = goalFigure{problem: "goal_subject_missing"}
		}
	}
	if len(known) == 0 {
		return out
	}
	comp, err := s.GoalCompletion(ctx, ruleID, GoalCompletionQuery{Period: period, AsOf: asOf, Subjects: known})
	if err != nil {
		return fail("goal_rule_missing")
	}
	for _, r := range comp.Rows {
		out[r.Subject] = goalFigure{actual: r.Actual, target: r.Target, rate: r.CompletionRate}
	}
	return out
}

// personNames names people by id (ids of nobody are left out).
func personNames(ctx context.Context, q store.Queryer, tenant *cohort.Tenant, ids []cohort.ID) (map[cohort.ID]string, error) {
	var owners []string
	for _, id := range ids {
		if id != 0 {
			owners = append(owners, "person:"+id.String())
		}
	}
	names, err := ownerNames(ctx, q, tenant, owners)
	if err != nil {
		return nil, err
	}
	out := map[cohort.ID]string{}
	for k, v := range names {
		if id, ok := strings.CutPrefix(k, "person:"); ok {
			n, _ := cohort.ParseID(id)
			out[n] = v
		}
	}
	return out, nil
}
