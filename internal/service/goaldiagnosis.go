package service

// Gap diagnosis (目标差距诊断; issue 9, docs/API.md "Gap diagnosis"). For a
// subject behind its goal, the performance formula
//
//	revenue = opportunities × win rate × average order value ÷ cycle
//
// splits the gap between target and actual against a reference: the
// subject's own previous period, or the median of its peers (the subjects
// of the same kind under the same parent, inside the caller's scope). With
// T the target, A the actual and R the reference's actual,
//
//	gap = T − A = (T − R) − (A − R)
//
// T − R is the stretch, what the target asks beyond the reference. A − R
// is split by the logarithmic mean Divisia index (LMDI-I): with the log
// mean w = (A − R) ÷ (ln A − ln R) (w = A when A = R), a factor's effect
// is w × ln(x ÷ x'), the cycle's w × ln(L' ÷ L) (a shorter cycle earns
// more), and the residual — what the formula leaves unexplained: signings
// not counted as won opportunities, periods of different lengths, peers'
// medians that are not one peer — is A − R − Σ effects. The factors' logs
// and the residual's add up to ln(A ÷ R), so the parts add up to the whole.
// A factor's part of the gap is −effect: positive when the factor is
// behind its reference and widens the gap.
//
// Zeros and empty factors. ln is undefined at 0, and a rate or mean over
// nothing is empty (null, METRICS.md). When A and R are both positive, a
// factor 0 or empty on either side has no ratio: its effect is 0, it is not
// comparable, and what it explains stays in the residual. When one of A and
// R is 0, w tends to 0 with it and so does every finite ratio's effect,
// while a factor that vanishes with the zero side takes the whole
// difference (the limit of Ang and Liu's substitution of a small ε for 0).
// An empty factor vanishes there too (no win has no cycle: an infinite
// one); of several, the first in the funnel's order — opportunities, win
// rate, order value, cycle — takes the difference, as the later ones are
// empty because of it. With none, the residual does; when A and R are both
// 0, every effect is 0.
//
// The parts are whole minor units: T − R and each factor's part are rounded
// and the residual takes the rest, so that the parts add up to the gap to
// the cent. Every figure comes from the metric engine with the rule's role
// credit; target, actual and gap from GoalCompletion.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// What a diagnosis compares with.
const (
	AgainstPrevious = "previous"
	AgainstPeers    = "peers"
)

// The performance formula's factors, in the funnel's order.
const (
	FactorOpportunities = "opportunities"
	FactorConversion    = "conversion"
	FactorOrderValue    = "order_value"
	FactorCycle         = "cycle"
)

// diagnosable maps the amounts the formula explains to their average
// order value.
var diagnosable = map[string]string{
	"signed_amount":   "avg_signed_amount",
	"contract_amount": "avg_contract_amount",
	"order_amount":    "avg_order_amount",
	"won_amount":      "avg_won_amount",
}

// DiagnosableMetrics lists the metrics a rule needs for a diagnosis.
var DiagnosableMetrics = []string{"signed_amount", "contract_amount", "order_amount", "won_amount"}

// Metrics of the factors and of the actions.
const (
	metricNewOpps    = "new_opportunities"
	metricWinRate    = "win_rate"
	metricCycle      = "opportunity_cycle_days"
	metricVisits     = "visits"
	metricOpenOpps   = "open_opportunities"
	metricClosedOpps = "closed_opportunities"
)

type factorDef struct {
	factor, metric, unit string
	// inverse factors divide: their effect is ln(reference ÷ own).
	inverse bool
}

func factorDefs(orderValue string) []factorDef {
	return []factorDef{
		{FactorOpportunities, metricNewOpps, "count", false},
		{FactorConversion, metricWinRate, "ratio", false},
		{FactorOrderValue, orderValue, "money", false},
		{FactorCycle, metricCycle, "days", true},
	}
}

// GoalDiagnosisQuery asks for a subject's diagnosis in a period.
type GoalDiagnosisQuery struct {
	Period  string
	AsOf    string
	Subject string
	// Against is previous (default) or peers.
	Against string
}

// GoalDiagnosis splits a subject's gap into the performance formula's
// factors against a reference.
type GoalDiagnosis struct {
	Rule      GoalRule      `json:"rule"`
	Unit      string        `json:"unit" example:"money"`
	Period    GoalPeriod    `json:"period"`
	AsOf      string        `json:"as_of" example:"2026-05-12"`
	Subject   string        `json:"subject" example:"person:7302"`
	Kind      string        `json:"kind" example:"person"`
	Label     string        `json:"label" example:"Alice"`
	Against   string        `json:"against" example:"peers"`
	Reference GoalReference `json:"reference"`
	// Target, Actual, CompletionRate and Gap are the subject's completion.
	Target         float64  `json:"target"`
	Actual         float64  `json:"actual"`
	CompletionRate *float64 `json:"completion_rate"`
	Gap            float64  `json:"gap"`
	// Behind is gap > 0.
	Behind bool `json:"behind"`
	// Stretch is target − the reference's actual; Factors and Residual are
	// −(actual − the reference's actual) split; together they are the gap.
	Stretch  GoalPart     `json:"stretch"`
	Factors  []GoalFactor `json:"factors"`
	Residual GoalPart     `json:"residual"`
	// Top is the factor with the largest positive part of the gap; null
	// when the subject is not behind or no factor is behind its reference.
	Top    *string     `json:"top" example:"opportunities"`
	Action *GoalAction `json:"action"`
}

// GoalReference is what a diagnosis compares with.
type GoalReference struct {
	// Period is the previous period, or the period itself for peers.
	Period string `json:"period" example:"FY2026-Q2"`
	// Peers are the subjects whose medians are the reference.
	Peers []string `json:"peers"`
	// Actual is the previous period's actual, or the peers' median actual.
	Actual float64 `json:"actual"`
}

// GoalPart is a part of a gap, in the rule's unit, and its share of it.
type GoalPart struct {
	Amount float64  `json:"amount"`
	Share  *float64 `json:"share"`
}

// GoalFactor is one factor of the formula.
type GoalFactor struct {
	Factor    string   `json:"factor" example:"opportunities"`
	Metric    string   `json:"metric" example:"new_opportunities"`
	Unit      string   `json:"unit" example:"count"`
	Value     *float64 `json:"value"`
	Reference *float64 `json:"reference"`
	// Contribution is the factor's part of the gap (positive: it widens
	// the gap), Share that part ÷ the gap.
	Contribution float64  `json:"contribution"`
	Share        *float64 `json:"share"`
	// Comparable is false when the factor is 0 or empty on a side and has
	// no part (what it explains is in the residual).
	Comparable bool `json:"comparable"`
}

// GoalAction turns the top factor into what a salesperson can do: Amount
// of Unit per Per (visits a week, wins in the period, money a deal, days
// an opportunity); From and To are the factor's own and reference values.
type GoalAction struct {
	Factor  string      `json:"factor" example:"opportunities"`
	Metric  string      `json:"metric" example:"visits"`
	Unit    string      `json:"unit" example:"visits"`
	Amount  float64     `json:"amount" example:"3"`
	Per     string      `json:"per" example:"week"`
	From    *float64    `json:"from"`
	To      float64     `json:"to"`
	Message GoalMessage `json:"message"`
}

// GoalMessage is a sentence: a key with its parameters (for a client's own
// wording) and the text in the caller's language.
type GoalMessage struct {
	Key    string         `json:"key" example:"goal_diagnosis.visits"`
	Params map[string]any `json:"params"`
	Text   string         `json:"text" example:"每周多拜访 3 次，新增商机才能从 6 个达到同级中位数的 16 个"`
}

func diagnosisInvalid(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &cohort.Error{Code: cohort.EINVALID, Message: field + ": " + msg, Fields: []cohort.FieldError{{Field: field, Message: msg}}}
}

// GoalDiagnosis diagnoses a subject's gap. Errors: ENOTFOUND for another
// tenant's or no rule; EINVALID for a rule whose metric the formula does not
// explain, a missing or unknown subject, an unknown against, period or
// as-of date; EFORBIDDEN for a subject outside the caller's data scope;
// ECONFLICT when the subject has no target in the period, or no peer
// inside the scope to compare with.
func (s *Service) GoalDiagnosis(ctx context.Context, ruleID cohort.ID, dq GoalDiagnosisQuery) (*GoalDiagnosis, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	gc, err := s.goalContext(ctx, q, ruleID, nil)
	if err != nil {
		return nil, err
	}
	orderValue, ok := diagnosable[gc.rule.Metric]
	if !ok {
		return nil, diagnosisInvalid("rule", "the rule's metric %s is not an amount that revenue = opportunities × win rate × average order value ÷ cycle explains; a diagnosis takes a rule on %s",
			gc.rule.Metric, strings.Join(DiagnosableMetrics, ", "))
	}
	if dq.Against == "" {
		dq.Against = AgainstPrevious
	}
	var v cohort.Validation
	if dq.Against != AgainstPrevious && dq.Against != AgainstPeers {
		v.Add("against", "must be previous or peers")
	}
	sub, known := gc.tree.byKey[dq.Subject]
	switch {
	case dq.Subject == "":
		v.Add("subject", "is required: a subject of the rule such as person:<id>")
	case !known:
		v.Add("subject", "%q is not a subject of this rule", dq.Subject)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var peers []string
	if dq.Against == AgainstPeers {
		for _, o := range gc.tree.list {
			if o.Kind == sub.Kind && o.Parent == sub.Parent && o.Key != sub.Key {
				peers = append(peers, o.Key)
			}
		}
	}
	in, err := s.subjectsInScope(ctx, q, append([]string{sub.Key}, peers...))
	if err != nil {
		return nil, err
	}
	if !in[sub.Key] {
		return nil, cohort.Errorf(cohort.EFORBIDDEN, "subject: %s %s", dq.Subject, msgOutOfScope.in(s.callerZh(p)))
	}
	peers = slices.DeleteFunc(peers, func(k string) bool { return !in[k] })
	if dq.Against == AgainstPeers && len(peers) == 0 {
		return nil, cohort.Errorf(cohort.ECONFLICT, "against: %s has no peer (a %s under the same parent) inside your data scope to compare with", dq.Subject, sub.Kind)
	}

	// Target, actual and gap: completion's, for the subject and its peers,
	// with the previous period as the trend's one point.
	cq := GoalCompletionQuery{Period: dq.Period, AsOf: dq.AsOf, Subjects: append([]string{sub.Key}, peers...)}
	if dq.Against == AgainstPrevious {
		cq.Trend = 1
	}
	comp, err := s.GoalCompletion(ctx, ruleID, cq)
	if err != nil {
		return nil, err
	}
	row := comp.Rows[0]
	if row.Target == nil {
		return nil, cohort.Errorf(cohort.ECONFLICT, "subject: %s has no target in %s; set one in the goal grid first", dq.Subject, comp.Period.Key)
	}
	out := &GoalDiagnosis{Rule: *gc.rule, Unit: comp.Unit, Period: comp.Period, AsOf: comp.AsOf, Subject: sub.Key, Kind: sub.Kind, Label: sub.Label,
		Against: dq.Against, Target: *row.Target, Actual: orZero(row.Actual), CompletionRate: row.CompletionRate, Gap: orZero(row.Gap),
		Reference: GoalReference{Period: comp.Period.Key, Peers: []string{}}}
	out.Behind = out.Gap > 0

	defs := factorDefs(orderValue)
	names := []string{metricVisits, metricOpenOpps, metricClosedOpps}
	for _, d := range defs {
		names = append(names, d.metric)
	}
	cur, err := gc.metricsBy(ctx, q, names, cq.Subjects, comp.Period.From, comp.Period.To)
	if err != nil {
		return nil, err
	}
	own := make([]*float64, len(defs))
	ref := make([]*float64, len(defs))
	for i, d := range defs {
		own[i] = cur[d.metric][sub.Key]
	}
	// Visits per opportunity: the subject's own, else the reference's.
	perOpp := ratio(cur[metricVisits][sub.Key], own[0])
	if dq.Against == AgainstPrevious {
		prev := row.Trend[0]
		pp, _, _ := gc.cal.parse(prev.Period)
		out.Reference.Period, out.Reference.Actual = prev.Period, orZero(prev.Actual)
		before, err := gc.metricsBy(ctx, q, names, []string{sub.Key}, pp.From, pp.To)
		if err != nil {
			return nil, err
		}
		for i, d := range defs {
			ref[i] = before[d.metric][sub.Key]
		}
		if perOpp == nil {
			perOpp = ratio(before[metricVisits][sub.Key], ref[0])
		}
	} else {
		out.Reference.Peers = peers
		actuals := make([]*float64, 0, len(peers))
		for _, r := range comp.Rows[1:] {
			actuals = append(actuals, zeroIfNil(r.Actual))
		}
		out.Reference.Actual = orZero(median(actuals))
		var visits, opps float64
		for i, d := range defs {
			xs := make([]*float64, 0, len(peers))
			for _, k := range peers {
				xs = append(xs, cur[d.metric][k])
			}
			ref[i] = median(xs)
		}
		for _, k := range peers {
			visits += orZero(cur[metricVisits][k])
			opps += orZero(cur[metricNewOpps][k])
		}
		if perOpp == nil {
			perOpp = ratio(&visits, &opps)
		}
	}

	inverse := make([]bool, len(defs))
	for i, d := range defs {
		inverse[i] = d.inverse
	}
	effects, comparable, _ := lmdi(out.Actual, out.Reference.Actual, own, ref, inverse)
	shareOf := func(x float64) *float64 {
		if out.Gap == 0 {
			return nil
		}
		s := math.Round(x/out.Gap*1e6) / 1e6
		return &s
	}
	out.Stretch.Amount = math.Round(out.Target - out.Reference.Actual)
	rest := out.Gap - out.Stretch.Amount
	best := -1
	for i, d := range defs {
		part := -math.Round(effects[i]) + 0 // + 0: no −0 in JSON
		rest -= part
		out.Factors = append(out.Factors, GoalFactor{Factor: d.factor, Metric: d.metric, Unit: d.unit, Value: own[i], Reference: ref[i],
			Contribution: part, Share: shareOf(part), Comparable: comparable[i]})
		if out.Behind && comparable[i] && part > 0 && (best < 0 || part > out.Factors[best].Contribution) {
			best = i
		}
	}
	out.Residual.Amount = rest
	out.Stretch.Share, out.Residual.Share = shareOf(out.Stretch.Amount), shareOf(out.Residual.Amount)
	if best >= 0 {
		out.Top = &out.Factors[best].Factor
		act := diagnosisAction{factor: out.Factors[best], against: dq.Against, perOpp: perOpp,
			open: orZero(cur[metricOpenOpps][sub.Key]), closed: orZero(cur[metricClosedOpps][sub.Key]), weeks: weeksLeft(comp.Period, comp.AsOf)}
		out.Action = act.build(s.callerZh(p))
	}
	return out, nil
}

// lmdi splits a − r into the factors' effects and the residual (see the
// comment at the top of this file); inverse factors divide.
func lmdi(a, r float64, own, ref []*float64, inverse []bool) (effects []float64, comparable []bool, residual float64) {
	n := len(own)
	effects, comparable = make([]float64, n), make([]bool, n)
	pos := func(x *float64) bool { return x != nil && *x > 0 }
	for k := range own {
		comparable[k] = pos(own[k]) && pos(ref[k])
	}
	d := a - r
	switch {
	case a > 0 && r > 0:
		w := a
		if a != r {
			w = d / (math.Log(a) - math.Log(r))
		}
		residual = d
		for k := range own {
			if !comparable[k] {
				continue
			}
			lr := math.Log(*own[k]) - math.Log(*ref[k])
			if inverse[k] {
				lr = -lr
			}
			effects[k] = w * lr
			residual -= effects[k]
		}
		return effects, comparable, residual
	case a <= 0 && r <= 0:
		return effects, comparable, d
	}
	zero, other := own, ref
	if r <= 0 {
		zero, other = ref, own
	}
	for k := range own {
		// A divisor vanishes (an infinite cycle) when it is empty.
		vanishes := zero[k] == nil || !inverse[k] && *zero[k] <= 0
		if vanishes && pos(other[k]) {
			effects[k], comparable[k] = d, true
			return effects, comparable, 0
		}
	}
	return effects, comparable, d
}

// median of the values that are not empty; null when all are.
func median(xs []*float64) *float64 {
	var v []float64
	for _, x := range xs {
		if x != nil {
			v = append(v, *x)
		}
	}
	if len(v) == 0 {
		return nil
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + m) / 2
	}
	return &m
}

func orZero(x *float64) float64 {
	if x == nil {
		return 0
	}
	return *x
}

func zeroIfNil(x *float64) *float64 {
	if x == nil {
		z := 0.0
		return &z
	}
	return x
}

// ratio is a ÷ b when both are positive, else null.
func ratio(a, b *float64) *float64 {
	if a == nil || b == nil || *a <= 0 || *b <= 0 {
		return nil
	}
	r := *a / *b
	return &r
}

// weeksLeft are the weeks from the day after asOf to the period's end (at
// least 1); for a period that is over, the weeks of one like it.
func weeksLeft(per GoalPeriod, asOf string) float64 {
	from, _ := time.Parse("2006-01-02", per.From)
	to, _ := time.Parse("2006-01-02", per.To)
	start := from
	if a, err := time.Parse("2006-01-02", asOf); err == nil && a.AddDate(0, 0, 1).After(from) {
		start = a.AddDate(0, 0, 1)
	}
	days := to.Sub(start).Hours() / 24
	if days <= 0 {
		days = to.Sub(from).Hours() / 24
	}
	return math.Max(1, days/7)
}

// ---- Actions ----

// Action sentences; {name} is a parameter. The web UI has the same keys
// (web/src/i18n/locales/gapdiag).
var diagnosisTexts = map[string]text{
	"visits": {"每周多拜访 {amount} 次，新增商机才能从 {from} 个达到{reference}的 {to} 个",
		"+{amount} visits a week to reach the opportunity count of {reference} ({to} new opportunities instead of {from})"},
	"opportunities": {"本期多开发 {amount} 个新商机，从 {from} 个达到{reference}的 {to} 个",
		"+{amount} new opportunities this period to reach the opportunity count of {reference} ({to} instead of {from})"},
	"conversion": {"把赢率从 {from} 提高到{reference}的 {to}：{open} 个未结商机中多赢 {amount} 个",
		"Raise the win rate from {from} to {to} like {reference}: {amount} more wins of the {open} open opportunities"},
	"conversion_decided": {"把赢率从 {from} 提高到{reference}的 {to}：每决出 {decided} 个商机多赢 {amount} 个",
		"Raise the win rate from {from} to {to} like {reference}: {amount} more wins of every {decided} opportunities decided"},
	"order_value": {"把平均签单金额从 {from} 提高到{reference}的 {to}（每单多 {amount}）",
		"Raise the average order value from {from} to {to} like {reference} (+{amount} a deal)"},
	"cycle": {"把商机周期从 {from} 天缩短到{reference}的 {to} 天（快 {amount} 天）",
		"Shorten the opportunity cycle from {from} to {to} days like {reference} ({amount} days faster)"},
}

var diagnosisReferences = map[string]text{
	AgainstPrevious: {"上期", "your previous period"},
	AgainstPeers:    {"同级中位数", "your peers' median"},
}

type diagnosisAction struct {
	factor  GoalFactor
	against string
	// perOpp is visits per new opportunity (null: no visits to go by).
	perOpp       *float64
	open, closed float64
	weeks        float64
}

// build turns the top factor into an action: the amount that brings the
// factor to its reference value, in the units a salesperson counts.
func (d diagnosisAction) build(zh bool) *GoalAction {
	f := d.factor
	to := orZero(f.Reference)
	own := orZero(f.Value)
	a := &GoalAction{Factor: f.Factor, Metric: f.Metric, From: f.Value, To: to}
	key := f.Factor
	params := map[string]any{"from": f.Value, "to": to, "reference": d.against}
	switch f.Factor {
	case FactorOpportunities:
		need := math.Ceil(to - own - 1e-9)
		params["opportunities"] = need
		if d.perOpp != nil {
			total := math.Ceil(need**d.perOpp - 1e-9)
			key, a.Metric, a.Unit, a.Per = "visits", metricVisits, "visits", "week"
			a.Amount = math.Ceil(total/d.weeks - 1e-9)
			params["total"], params["weeks"] = total, math.Round(d.weeks*10)/10
			params["visits_per_opportunity"] = math.Round(*d.perOpp*100) / 100
		} else {
			a.Unit, a.Per, a.Amount = "opportunities", "period", need
		}
	case FactorConversion:
		a.Unit, a.Per = "wins", "period"
		base := d.open
		params["open"] = d.open
		if base <= 0 {
			// No open opportunity: per opportunities decided, as many as
			// this period (ten when none was).
			key, base = "conversion_decided", d.closed
			if base <= 0 {
				base = 10
			}
			params["decided"] = base
		}
		a.Amount = math.Ceil((to-own)*base - 1e-9)
	case FactorOrderValue:
		a.Unit, a.Per, a.Amount = "money", "deal", math.Round(to-own)
	case FactorCycle:
		a.Unit, a.Per, a.Amount = "days", "opportunity", math.Round((own-to)*10)/10
	}
	params["amount"] = a.Amount
	a.Message = GoalMessage{Key: "goal_diagnosis." + key, Params: params, Text: renderDiagnosis(key, f.Unit, params, zh)}
	return a
}

// renderDiagnosis writes an action's sentence: from and to in the factor's
// unit, the rest as numbers.
func renderDiagnosis(key, unit string, params map[string]any, zh bool) string {
	out := diagnosisTexts[key].in(zh)
	for name, v := range params {
		var s string
		switch x := v.(type) {
		case string:
			s = diagnosisReferences[x].in(zh)
		case *float64:
			s = "—"
			if x != nil {
				s = fmtFactor(*x, unit)
			}
		case float64:
			u := "number"
			if name == "to" || name == "amount" && unit == "money" {
				u = unit
			}
			s = fmtFactor(x, u)
		}
		out = strings.ReplaceAll(out, "{"+name+"}", s)
	}
	return out
}

// fmtFactor shows a value: money (minor units) in major units with
// thousands separators, a ratio in per cent, days and numbers with up to
// one decimal.
func fmtFactor(v float64, unit string) string {
	switch unit {
	case "money":
		s := strconv.FormatFloat(math.Abs(v)/100, 'f', 2, 64)
		whole, frac, _ := strings.Cut(s, ".")
		var b strings.Builder
		for i, c := range whole {
			if i > 0 && (len(whole)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		sign := ""
		if v < 0 {
			sign = "-"
		}
		return sign + b.String() + "." + frac
	case "ratio":
		return strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// subjectsInScope says which subjects are inside the caller's data scope for
// customers, the scope of every metric: the people they may see; the
// departments of their department scope; products, categories, regions,
// segments and the company only with the whole company in scope (their
// figures would otherwise count a part of them).
func (s *Service) subjectsInScope(ctx context.Context, q store.Queryer, keys []string) (map[string]bool, error) {
	a, err := s.Access(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	if a.Scope == cohort.ScopeAll {
		for _, k := range keys {
			out[k] = true
		}
		return out, nil
	}
	var people []cohort.ID
	var depts []*cohort.Department
	for _, k := range keys {
		kind, id, _ := strings.Cut(k, ":")
		switch kind {
		case GoalPerson:
			if uid, err := cohort.ParseID(id); err == nil {
				people = append(people, uid)
			}
		case GoalDepartment:
			if depts == nil {
				if depts, err = store.ListDepartments(ctx, q, a.TenantID); err != nil {
					return nil, err
				}
			}
			d := deptByIDString(depts, id)
			switch {
			case d == nil:
			case a.Scope == cohort.ScopeDepartmentAndChildren:
				out[k] = a.DepartmentPath != "" && strings.HasPrefix(d.Path, a.DepartmentPath)
			case a.Scope == cohort.ScopeDepartment:
				out[k] = d.ID == a.DepartmentID
			}
		}
	}
	if len(people) > 0 {
		seen, err := store.UsersInScope(ctx, q, a.TenantID, a, people...)
		if err != nil {
			return nil, err
		}
		for id := range seen {
			out[GoalPerson+":"+id.String()] = true
		}
	}
	return out, nil
}
