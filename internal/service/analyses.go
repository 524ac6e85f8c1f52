package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// The standard analyses (docs/API.md "Analyses", docs/ANALYSES.md "Standard
// analyses"): each asks the metric engine, inside the caller's data scope,
// and arranges its answers into labelled tables. No figure here is read
// from the records: the engine computes them all; this file only orders,
// pivots, ranks and judges them.

// AnalysisParams are the parameters every analysis accepts (each uses the
// ones it needs).
type AnalysisParams struct {
	// From and To are local dates (YYYY-MM-DD), To excluded.
	From string `json:"from" openapi:"required" example:"2026-01-01"`
	To   string `json:"to" openapi:"required" example:"2026-04-01"`
	// Department restricts to a department (with its sub-departments), by
	// the organisation at the time of each event (org historic, the
	// default) or today's (org current).
	Department string `json:"department" example:""`
	Org        string `json:"org" example:"historic"`
	// Role is the business role whose credit team figures count (owner by
	// default).
	Role string `json:"role" example:"owner"`
	// Process is the sales process of the funnel and the stage-conversion
	// signals (its id; the first active process when empty).
	Process string `json:"process" example:""`
	// Metric and Top are the leaderboard's metric and length.
	Metric string `json:"metric" example:"signed_amount"`
	Top    int    `json:"top" example:"10"`
	// Grain is the trend's time bucket: month (default) or quarter.
	Grain string `json:"grain" example:"month"`
}

// Analysis is an analysis's answer: labelled tables and notes.
type Analysis struct {
	Name   string          `json:"name"`
	From   string          `json:"from"`
	To     string          `json:"to"`
	Role   string          `json:"role"`
	Tables []AnalysisTable `json:"tables"`
	Notes  []string        `json:"notes"`
}

// AnalysisTable is one table: columns (a metric's unit, or "text" for the
// row's text cells, or "rank") and rows, with an optional total.
type AnalysisTable struct {
	Name    string           `json:"name"`
	Title   string           `json:"title"`
	Chart   string           `json:"chart,omitempty"` // bar, line or funnel: how the page draws it
	Columns []AnalysisColumn `json:"columns"`
	Rows    []AnalysisRow    `json:"rows"`
	Total   *AnalysisRow     `json:"total,omitempty"`
}

// AnalysisColumn names a column.
type AnalysisColumn struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Unit  string `json:"unit"`
}

// AnalysisRow is a row: its key (a person's id, a stage's key ...), label,
// figures (null when empty) and text cells.
type AnalysisRow struct {
	Key    string              `json:"key"`
	Label  string              `json:"label"`
	Values map[string]*float64 `json:"values"`
	Text   map[string]string   `json:"text,omitempty"`
}

// analysisEnv is a validated request: the engine's environment and the
// query fields every analysis shares.
type analysisEnv struct {
	s        *Service
	env      metrics.Env
	p        AnalysisParams
	from, to time.Time
	filters  []metrics.Filter
	tenant   cohort.ID
}

func (a *analysisEnv) en() bool { return strings.HasPrefix(strings.ToLower(a.env.Lang), "en") }

// tr picks the caller's language.
func (a *analysisEnv) tr(zh, en string) string {
	if a.en() {
		return en
	}
	return zh
}

// newAnalysis checks the shared parameters.
func (s *Service) newAnalysis(ctx context.Context, p AnalysisParams) (*analysisEnv, error) {
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	a := &analysisEnv{s: s, env: env, p: p, tenant: env.TenantID}
	var v cohort.Validation
	var e1, e2 error
	a.from, e1 = time.Parse("2006-01-02", p.From)
	a.to, e2 = time.Parse("2006-01-02", p.To)
	switch {
	case e1 != nil:
		v.Add("from", "must be a date YYYY-MM-DD")
	case e2 != nil:
		v.Add("to", "must be a date YYYY-MM-DD")
	case !a.to.After(a.from):
		v.Add("to", "must be after from (the period is [from, to))")
	case a.to.After(a.from.AddDate(5, 0, 0)):
		v.Add("to", "the period is longer than 5 years")
	case a.from.Year() < 1972 || a.to.Year() > 9990:
		v.Add("from", "must be between 1972 and 9990")
	}
	dim := "department"
	switch p.Org {
	case "", "historic":
	case "current":
		dim = "department_current"
	default:
		v.Add("org", "must be historic or current")
	}
	if p.Department != "" {
		if _, err := cohort.ParseID(p.Department); err != nil {
			v.Add("department", "must be a department id")
		} else {
			a.filters = append(a.filters, metrics.Filter{Dimension: dim, Values: []string{p.Department}})
		}
	}
	switch p.Grain {
	case "":
		a.p.Grain = "month"
	case "month", "quarter":
	default:
		v.Add("grain", "must be month or quarter")
	}
	if len(p.Role) > 50 {
		v.Add("role", "must be a business role key")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if p.Department != "" {
		id, _ := cohort.ParseID(p.Department)
		var n int
		if err := s.db.Read().QueryRowContext(ctx, "SELECT count(*) FROM departments WHERE tenant_id = ? AND id = ?", int64(a.tenant), int64(id)).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, invalidField("department", "no such department")
		}
	}
	return a, nil
}

func invalidField(field, msg string) error {
	return &cohort.Error{Code: cohort.EINVALID, Message: field + ": " + msg, Fields: []cohort.FieldError{{Field: field, Message: msg}}}
}

// run asks the engine over the period with the shared filters and role.
func (a *analysisEnv) run(ctx context.Context, ms, dims []string, extra []metrics.Filter, compare ...string) (*metrics.Result, error) {
	return a.runIn(ctx, a.p.From, a.p.To, a.p.Role, ms, dims, extra, compare...)
}

func (a *analysisEnv) runIn(ctx context.Context, from, to, role string, ms, dims []string, extra []metrics.Filter, compare ...string) (*metrics.Result, error) {
	q := metrics.Query{Metrics: ms, Dimensions: dims, From: from, To: to, Role: role, Compare: compare,
		Filters: append(slices.Clone(a.filters), extra...)}
	return metrics.Run(ctx, a.s.db.Read(), a.env, q)
}

func (a *analysisEnv) answer(name string, res *metrics.Result) *Analysis {
	role := a.p.Role
	if res != nil {
		role = res.Role
	}
	return &Analysis{Name: name, From: a.p.From, To: a.p.To, Role: role, Notes: []string{}}
}

// columns are the engine's columns of names, in that order.
func columns(res *metrics.Result, names ...string) []AnalysisColumn {
	var out []AnalysisColumn
	for _, n := range names {
		for _, c := range res.Metrics {
			if c.Name == n {
				out = append(out, AnalysisColumn{Name: c.Name, Label: c.Label, Unit: c.Unit})
			}
		}
	}
	return out
}

// personRows turns the engine's rows by person into labelled rows (facts
// credited to nobody are left to the total).
func personRows(res *metrics.Result) []AnalysisRow {
	out := []AnalysisRow{}
	for _, r := range res.Rows {
		if r.Keys[0] == "" {
			continue
		}
		out = append(out, AnalysisRow{Key: r.Keys[0], Label: r.Labels[0], Values: r.Values})
	}
	return out
}

func total(a *analysisEnv, res *metrics.Result) *AnalysisRow {
	return &AnalysisRow{Label: a.tr("合计", "Total"), Values: res.Total.Values}
}

func val(v map[string]*float64, name string) float64 {
	if x := v[name]; x != nil {
		return *x
	}
	return 0
}

func ptr(x float64) *float64 { return &x }

// process finds the process named by p.Process (an id), or the first active
// one.
func (a *analysisEnv) process(ctx context.Context) (*cohort.SalesProcess, error) {
	ps, err := store.ListProcesses(ctx, a.s.db.Read(), a.tenant)
	if err != nil {
		return nil, err
	}
	for _, sp := range ps {
		if a.p.Process == "" && sp.Active || a.p.Process == sp.ID.String() || a.p.Process == sp.Key {
			if len(sp.Stages) == 0 {
				break
			}
			return sp, nil
		}
	}
	return nil, invalidField("process", "no such sales process")
}

// processAnalysis checks the parameters of an analysis of a process and
// returns the process and the filter selecting its facts. A process has at
// most 20 stages, so its conversions and figures fit one query.
func (s *Service) processAnalysis(ctx context.Context, p AnalysisParams) (*analysisEnv, *cohort.SalesProcess, []metrics.Filter, error) {
	a, err := s.newAnalysis(ctx, p)
	if err != nil {
		return nil, nil, nil, err
	}
	sp, err := a.process(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	return a, sp, []metrics.Filter{{Dimension: "process", Values: []string{sp.ID.String()}}}, nil
}

func (a *analysisEnv) stageName(st cohort.Stage) string { return a.tr(st.NameZh, st.NameEn) }

// stageConversions are the metrics stage_conversion:<next> of each stage
// but the last, and stage_conversion:won.
func stageConversions(sp *cohort.SalesProcess) []string {
	var out []string
	for _, st := range sp.Stages[1:] {
		out = append(out, "stage_conversion:"+st.Key)
	}
	return append(out, "stage_conversion:won")
}

// nextOf is the conversion metric of stage i: to the next stage, or to
// won from the last.
func nextOf(sp *cohort.SalesProcess, i int) string {
	if i+1 < len(sp.Stages) {
		return "stage_conversion:" + sp.Stages[i+1].Key
	}
	return "stage_conversion:won"
}

// Funnel is the sales funnel of a process: opportunities and amount
// entering each stage, conversion to the next stage and to won, days in
// each stage; the outcome (win rate); and the losses by reason and
// competitor.
func (s *Service) Funnel(ctx context.Context, p AnalysisParams) (*Analysis, error) {
	a, sp, proc, err := s.processAnalysis(ctx, p)
	if err != nil {
		return nil, err
	}
	ms := append([]string{"stage_entries", "stage_entry_amount", "days_in_stage"}, stageConversions(sp)...)
	res, err := a.run(ctx, ms, []string{"stage"}, proc)
	if err != nil {
		return nil, err
	}
	out := a.answer("funnel", res)
	byStage := map[string]map[string]*float64{}
	for _, r := range res.Rows {
		byStage[r.Keys[0]] = r.Values
	}
	stages := AnalysisTable{Name: "stages", Title: a.tr("阶段漏斗", "Stages"), Chart: "funnel",
		Columns: append(columns(res, "stage_entries", "stage_entry_amount"),
			AnalysisColumn{Name: "conversion_next", Label: a.tr("转入下一阶段", "To next stage"), Unit: metrics.UnitRatio},
			AnalysisColumn{Name: "conversion_won", Label: a.tr("最终赢单", "To won"), Unit: metrics.UnitRatio}),
		Rows: []AnalysisRow{}}
	stages.Columns = append(stages.Columns, columns(res, "days_in_stage")...)
	for i, st := range sp.Stages {
		v := byStage[st.Key]
		row := AnalysisRow{Key: st.Key, Label: a.stageName(st), Values: map[string]*float64{
			"stage_entries": ptr(val(v, "stage_entries")), "stage_entry_amount": ptr(val(v, "stage_entry_amount")),
			"conversion_next": nil, "conversion_won": nil, "days_in_stage": nil}}
		if v != nil {
			row.Values["conversion_next"] = v[nextOf(sp, i)]
			row.Values["conversion_won"] = v["stage_conversion:won"]
			row.Values["days_in_stage"] = v["days_in_stage"]
		}
		stages.Rows = append(stages.Rows, row)
	}
	outcome := []string{"new_opportunities", "new_opportunity_value", "won_opportunities", "won_amount", "lost_opportunities", "lost_amount", "win_rate", "opportunity_cycle_days"}
	ores, err := a.run(ctx, outcome, nil, proc)
	if err != nil {
		return nil, err
	}
	lres, err := a.run(ctx, []string{"lost_opportunities", "lost_amount"}, []string{"attr", "competitor"}, proc)
	if err != nil {
		return nil, err
	}
	losses := AnalysisTable{Name: "losses", Title: a.tr("输单原因与竞争对手", "Loss reasons and competitors"), Chart: "bar",
		Columns: append([]AnalysisColumn{{Name: "reason", Label: a.tr("输单原因", "Loss reason"), Unit: "text"},
			{Name: "competitor", Label: a.tr("竞争对手", "Competitor"), Unit: "text"}}, columns(lres, "lost_opportunities", "lost_amount")...),
		Rows: []AnalysisRow{}, Total: total(a, lres)}
	none := a.tr("（未填）", "(none)")
	for _, r := range lres.Rows {
		reason, comp := cmp.Or(r.Keys[0], none), cmp.Or(r.Keys[1], none)
		losses.Rows = append(losses.Rows, AnalysisRow{Key: r.Keys[0] + "\x1f" + r.Keys[1], Label: reason + " / " + comp, Values: r.Values,
			Text: map[string]string{"reason": reason, "competitor": comp}})
	}
	slices.SortStableFunc(losses.Rows, func(x, y AnalysisRow) int {
		return cmp.Compare(val(y.Values, "lost_opportunities"), val(x.Values, "lost_opportunities"))
	})
	out.Tables = []AnalysisTable{stages,
		{Name: "outcome", Title: a.tr("结果", "Outcome"), Columns: columns(ores, outcome...), Rows: []AnalysisRow{{Key: sp.Key, Label: a.tr(sp.NameZh, sp.NameEn), Values: ores.Total.Values}}},
		losses}
	out.Notes = append(out.Notes, a.tr("竞争对手取自商机上记录的竞争对手。", "The competitor is the one recorded on the opportunity."))
	return out, nil
}

// kpiMetrics are the macro KPIs.
var kpiMetrics = []string{"conversion_rate", "first_order_avg_value", "followup_cycle_days", "followups_per_signed_customer"}

// KPIs are the macro KPIs of the period with month-on-month (the previous
// period) and year-on-year change, and their trend over the 12 buckets
// of the grain ending with the one holding the period's last day.
func (s *Service) KPIs(ctx context.Context, p AnalysisParams) (*Analysis, error) {
	a, err := s.newAnalysis(ctx, p)
	if err != nil {
		return nil, err
	}
	res, err := a.run(ctx, kpiMetrics, nil, nil, metrics.ComparePrevious, metrics.CompareYearAgo)
	if err != nil {
		return nil, err
	}
	out := a.answer("kpis", res)
	kpis := AnalysisTable{Name: "kpis", Title: a.tr("宏观指标", "Macro KPIs"), Rows: []AnalysisRow{}, Columns: []AnalysisColumn{
		{Name: "value", Label: a.tr("本期", "This period"), Unit: "metric"},
		{Name: "previous", Label: a.tr("上期", "Previous period"), Unit: "metric"},
		{Name: "previous_change", Label: a.tr("环比", "Change vs previous"), Unit: metrics.UnitRatio},
		{Name: "year_ago", Label: a.tr("去年同期", "Year ago"), Unit: "metric"},
		{Name: "year_ago_change", Label: a.tr("同比", "Change vs year ago"), Unit: metrics.UnitRatio}}}
	rel := func(c *metrics.Change) *float64 {
		if c == nil {
			return nil
		}
		return c.Rel
	}
	for _, c := range res.Metrics {
		t := res.Total
		kpis.Rows = append(kpis.Rows, AnalysisRow{Key: c.Name, Label: c.Label, Text: map[string]string{"unit": c.Unit}, Values: map[string]*float64{
			"value": t.Values[c.Name], "previous": t.Compare[metrics.ComparePrevious][c.Name], "previous_change": rel(t.Change[metrics.ComparePrevious][c.Name]),
			"year_ago": t.Compare[metrics.CompareYearAgo][c.Name], "year_ago_change": rel(t.Change[metrics.CompareYearAgo][c.Name])}})
	}
	// The trend: 12 buckets ending with the one that holds to − 1 day.
	last := a.to.AddDate(0, 0, -1)
	step := map[string]int{"month": 1, "quarter": 3}[a.p.Grain]
	end := time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, time.UTC)
	if a.p.Grain == "quarter" {
		end = end.AddDate(0, -int(end.Month()-1)%3, 0)
	}
	end = end.AddDate(0, step, 0)
	start := end.AddDate(0, -12*step, 0)
	tres, err := a.runIn(ctx, start.Format("2006-01-02"), end.Format("2006-01-02"), a.p.Role, kpiMetrics, []string{a.p.Grain}, nil)
	if err != nil {
		return nil, err
	}
	byKey := map[string]map[string]*float64{}
	for _, r := range tres.Rows {
		byKey[r.Keys[0]] = r.Values
	}
	trend := AnalysisTable{Name: "trend", Title: a.tr("趋势（12 期）", "Trend (12 periods)"), Chart: "line", Columns: columns(tres, kpiMetrics...), Rows: []AnalysisRow{}}
	for t := start; t.Before(end); t = t.AddDate(0, step, 0) {
		k := bucketKey(a.p.Grain, t)
		v := byKey[k]
		if v == nil {
			v = map[string]*float64{}
			for _, m := range kpiMetrics {
				v[m] = nil // rates and means over nothing are empty
			}
		}
		trend.Rows = append(trend.Rows, AnalysisRow{Key: k, Label: k, Values: v})
	}
	out.Tables = []AnalysisTable{kpis, trend}
	return out, nil
}

// bucketKey is the engine's label of the bucket starting at t.
func bucketKey(grain string, t time.Time) string {
	switch grain {
	case "quarter":
		return fmt.Sprintf("%04d-Q%d", t.Year(), (int(t.Month())+2)/3)
	}
	return t.Format("2006-01")
}

// personnelMetrics are the personnel summary's figures (METRICS.md).
var personnelMetrics = []string{"signed_amount", "payments_collected", "calls", "sms", "call_minutes", "new_opportunity_value",
	"new_customers", "first_signed_customers", "first_order_amount", "lost_customers", "lost_amount"}

// Personnel is the personnel summary, a row per person, with the business
// role whose credit counts as a choice.
func (s *Service) Personnel(ctx context.Context, p AnalysisParams) (*Analysis, error) {
	a, err := s.newAnalysis(ctx, p)
	if err != nil {
		return nil, err
	}
	res, err := a.run(ctx, personnelMetrics, []string{"person"}, nil)
	if err != nil {
		return nil, err
	}
	out := a.answer("personnel", res)
	t := AnalysisTable{Name: "people", Title: a.tr("人员汇总", "Personnel summary"), Chart: "bar", Columns: columns(res, personnelMetrics...),
		Rows: personRows(res), Total: total(a, res)}
	slices.SortStableFunc(t.Rows, func(x, y AnalysisRow) int {
		return cmp.Compare(val(y.Values, "signed_amount"), val(x.Values, "signed_amount"))
	})
	out.Tables = []AnalysisTable{t}
	out.Notes = append(out.Notes, a.tr("流失客户没有金额；“输单金额”是期内输单商机的金额。",
		"Lost customers carry no amount; the lost amount is that of the opportunities lost in the period."))
	return out, nil
}

// roleMetrics are the figures of the role analysis, per person and role.
var roleMetrics = []string{"signed_count", "signed_amount", "payments_collected", "won_opportunities", "new_opportunity_value"}

// Roles is the role analysis (article 000): each person's figures in each
// business role, a row per person and a column per role and figure.
func (s *Service) Roles(ctx context.Context, p AnalysisParams) (*Analysis, error) {
	p.Role = "" // every role, by the role dimension
	a, err := s.newAnalysis(ctx, p)
	if err != nil {
		return nil, err
	}
	res, err := a.run(ctx, roleMetrics, []string{"person", "role"}, nil)
	if err != nil {
		return nil, err
	}
	roles, err := store.ListBusinessRoles(ctx, s.db.Read(), a.tenant)
	if err != nil {
		return nil, err
	}
	out := a.answer("roles", res)
	t := AnalysisTable{Name: "roles", Title: a.tr("角色分析", "Role analysis"), Rows: []AnalysisRow{}}
	used := map[string]bool{}
	byPerson := map[string]int{}
	for _, r := range res.Rows {
		if r.Keys[0] == "" || r.Keys[1] == "" {
			continue
		}
		i, ok := byPerson[r.Keys[0]]
		if !ok {
			i = len(t.Rows)
			byPerson[r.Keys[0]] = i
			t.Rows = append(t.Rows, AnalysisRow{Key: r.Keys[0], Label: r.Labels[0], Values: map[string]*float64{}})
		}
		row := &t.Rows[i]
		used[r.Keys[1]] = true
		for _, m := range roleMetrics {
			row.Values[r.Keys[1]+":"+m] = r.Values[m]
		}
	}
	for _, br := range roles {
		if !used[br.Key] {
			continue
		}
		for _, c := range columns(res, roleMetrics...) {
			t.Columns = append(t.Columns, AnalysisColumn{Name: br.Key + ":" + c.Name, Label: a.tr(br.NameZh, br.NameEn) + " · " + c.Label, Unit: c.Unit})
		}
	}
	for i := range t.Rows { // a figure in no role of the person is 0
		for _, c := range t.Columns {
			if t.Rows[i].Values[c.Name] == nil {
				t.Rows[i].Values[c.Name] = ptr(0)
			}
		}
	}
	slices.SortStableFunc(t.Rows, func(x, y AnalysisRow) int { return strings.Compare(x.Label, y.Label) })
	out.Tables = []AnalysisTable{t}
	return out, nil
}

// Leaderboard ranks people by a metric over the period, highest first,
// with each one's rank in the previous period (the engine's "previous":
// month-aligned when the period is whole months).
func (s *Service) Leaderboard(ctx context.Context, p AnalysisParams) (*Analysis, error) {
	if p.Metric == "" {
		p.Metric = "signed_amount"
	}
	if p.Top == 0 {
		p.Top = 10
	}
	if p.Top < 1 || p.Top > 100 {
		return nil, invalidField("top", "must be 1 to 100")
	}
	a, err := s.newAnalysis(ctx, p)
	if err != nil {
		return nil, err
	}
	res, err := a.run(ctx, []string{p.Metric}, []string{"person"}, nil, metrics.ComparePrevious)
	if err != nil {
		var ce *cohort.Error
		if errors.As(err, &ce) && len(ce.Fields) > 0 && ce.Fields[0].Field == "metrics[0]" {
			return nil, invalidField("metric", ce.Fields[0].Message)
		}
		return nil, err
	}
	prev, err := a.runIn(ctx, res.Compare[0].From, res.Compare[0].To, a.p.Role, []string{p.Metric}, []string{"person"}, nil)
	if err != nil {
		return nil, err
	}
	cur, before := personRows(res), ranks(personRows(prev), p.Metric)
	rk := ranks(cur, p.Metric)
	out := a.answer("leaderboard", res)
	t := AnalysisTable{Name: "leaderboard", Title: a.tr("排行榜", "Leaderboard"), Chart: "bar", Rows: []AnalysisRow{},
		Columns: append([]AnalysisColumn{{Name: "rank", Label: a.tr("名次", "Rank"), Unit: "rank"}}, append(columns(res, p.Metric),
			AnalysisColumn{Name: "previous_rank", Label: a.tr("上期名次", "Previous rank"), Unit: "rank"},
			AnalysisColumn{Name: "rank_change", Label: a.tr("名次变化", "Rank change"), Unit: metrics.UnitNumber})...)}
	for _, r := range cur {
		n, ok := rk[r.Key]
		if !ok {
			continue
		}
		row := AnalysisRow{Key: r.Key, Label: r.Label, Values: map[string]*float64{"rank": ptr(float64(n)), p.Metric: r.Values[p.Metric],
			"previous_rank": nil, "rank_change": nil}}
		if m, ok := before[r.Key]; ok {
			row.Values["previous_rank"], row.Values["rank_change"] = ptr(float64(m)), ptr(float64(m-n))
		}
		t.Rows = append(t.Rows, row)
	}
	slices.SortStableFunc(t.Rows, func(x, y AnalysisRow) int { return cmp.Compare(*x.Values["rank"], *y.Values["rank"]) })
	if len(t.Rows) > p.Top {
		t.Rows = t.Rows[:p.Top]
	}
	out.Tables = []AnalysisTable{t}
	out.Notes = append(out.Notes, a.tr("上期：", "Previous period: ")+res.Compare[0].From+" – "+res.Compare[0].To)
	return out, nil
}

// ranks are the competition ranks (1, 2, 2, 4) of the people with a value,
// highest first.
func ranks(rows []AnalysisRow, metric string) map[string]int {
	var vs []AnalysisRow
	for _, r := range rows {
		if r.Values[metric] != nil {
			vs = append(vs, r)
		}
	}
	slices.SortStableFunc(vs, func(x, y AnalysisRow) int { return cmp.Compare(*y.Values[metric], *x.Values[metric]) })
	out := map[string]int{}
	for i, r := range vs {
		n := i + 1
		if i > 0 && *r.Values[metric] == *vs[i-1].Values[metric] {
			n = out[vs[i-1].Key]
		}
		out[r.Key] = n
	}
	return out
}

// serviceMetrics are the service analysis's figures over time.
var serviceMetrics = []string{"tickets_opened", "complaints", "first_response_hours", "resolution_hours", "resolution_rate", "service_cost"}

// ServiceAnalysis is the after-sales service over time (by the grain) and
// by ticket kind.
func (s *Service) ServiceAnalysis(ctx context.Context, p AnalysisParams) (*Analysis, error) {
	a, err := s.newAnalysis(ctx, p)
	if err != nil {
		return nil, err
	}
	res, err := a.run(ctx, serviceMetrics, []string{a.p.Grain}, nil)
	if err != nil {
		return nil, err
	}
	out := a.answer("service", res)
	over := AnalysisTable{Name: "over_time", Title: a.tr("服务趋势", "Service over time"), Chart: "line", Columns: columns(res, serviceMetrics...),
		Rows: []AnalysisRow{}, Total: total(a, res)}
	for _, r := range res.Rows {
		over.Rows = append(over.Rows, AnalysisRow{Key: r.Keys[0], Label: r.Labels[0], Values: r.Values})
	}
	kinds := []string{"tickets_opened", "tickets_resolved", "resolution_rate", "resolution_hours", "service_cost"}
	kres, err := a.run(ctx, kinds, []string{"attr"}, nil)
	if err != nil {
		return nil, err
	}
	by := AnalysisTable{Name: "by_kind", Title: a.tr("按工单类型", "By ticket kind"), Chart: "bar", Columns: columns(kres, kinds...), Rows: []AnalysisRow{}}
	for _, r := range kres.Rows {
		by.Rows = append(by.Rows, AnalysisRow{Key: r.Keys[0], Label: cmp.Or(r.Labels[0], a.tr("（未分类）", "(none)")), Values: r.Values})
	}
	out.Tables = []AnalysisTable{over, by}
	return out, nil
}

// Coaching lists the coaching signals: stage-conversion outliers (a
// person's conversion from a stage to the next whose Wilson 95 % interval
// excludes the pooled rate of the rest of the team) and "many actions, few
// results" (follow-ups in the team's top quartile, first-signed customers
// or signed amount in its bottom quartile). The team is the people with
// figures in the answer: the department asked for, else the caller's
// whole scope.
func (s *Service) Coaching(ctx context.Context, p AnalysisParams) (*Analysis, error) {
	a, sp, proc, err := s.processAnalysis(ctx, p)
	if err != nil {
		return nil, err
	}
	res, err := a.run(ctx, append([]string{"stage_entries"}, stageConversions(sp)...), []string{"person", "stage"}, proc)
	if err != nil {
		return nil, err
	}
	out := a.answer("coaching", res)
	type cell struct {
		key, label string
		n, x       float64
	}
	byStage := map[string][]cell{}
	stageIdx := map[string]int{}
	for i, st := range sp.Stages {
		stageIdx[st.Key] = i
	}
	for _, r := range res.Rows {
		i, ok := stageIdx[r.Keys[1]]
		if r.Keys[0] == "" || !ok {
			continue
		}
		n := val(r.Values, "stage_entries")
		x := math.Round(val(r.Values, nextOf(sp, i)) * n) // the engine's rate × its denominator: the count converted
		byStage[r.Keys[1]] = append(byStage[r.Keys[1]], cell{r.Keys[0], r.Labels[0], n, x})
	}
	conv := AnalysisTable{Name: "stage_outliers", Title: a.tr("阶段转化异常", "Stage-conversion outliers"), Rows: []AnalysisRow{}, Columns: []AnalysisColumn{
		{Name: "person", Label: a.tr("人员", "Person"), Unit: "text"},
		{Name: "stage", Label: a.tr("阶段", "Stage"), Unit: "text"},
		{Name: "entries", Label: a.tr("进入商机", "Entered"), Unit: metrics.UnitCount},
		{Name: "converted", Label: a.tr("转入下一阶段", "Moved on"), Unit: metrics.UnitCount},
		{Name: "rate", Label: a.tr("转化率", "Conversion"), Unit: metrics.UnitRatio},
		{Name: "low", Label: a.tr("置信下限", "95 % low"), Unit: metrics.UnitRatio},
		{Name: "high", Label: a.tr("置信上限", "95 % high"), Unit: metrics.UnitRatio},
		{Name: "team_rate", Label: a.tr("团队其他人", "Rest of team"), Unit: metrics.UnitRatio},
		{Name: "signal", Label: a.tr("信号", "Signal"), Unit: "text"}}}
	for i, st := range sp.Stages {
		cells := byStage[st.Key]
		var tn, tx float64
		for _, c := range cells {
			tn, tx = tn+c.n, tx+c.x
		}
		for _, c := range cells {
			lo, hi, ok := metrics.Wilson(c.x, c.n)
			sig := metrics.Outlier(c.x, c.n, tx-c.x, tn-c.n)
			if !ok || sig == 0 {
				continue
			}
			text := a.tr("显著高于团队", "significantly above the team")
			if sig < 0 {
				text = a.tr("显著低于团队", "significantly below the team")
			}
			next := a.tr("赢单", "won")
			if i+1 < len(sp.Stages) {
				next = a.stageName(sp.Stages[i+1])
			}
			conv.Rows = append(conv.Rows, AnalysisRow{Key: c.key + ":" + st.Key, Label: c.label,
				Text: map[string]string{"person": c.label, "stage": a.stageName(st) + " → " + next, "signal": text},
				Values: map[string]*float64{"entries": ptr(c.n), "converted": ptr(c.x), "rate": ptr(c.x / c.n),
					"low": ptr(math.Round(lo*1e4) / 1e4), "high": ptr(math.Round(hi*1e4) / 1e4), "team_rate": ptr((tx - c.x) / (tn - c.n))}})
		}
	}
	acts := []string{"followups", "first_signed_customers", "signed_amount"}
	ares, err := a.run(ctx, acts, []string{"person"}, nil)
	if err != nil {
		return nil, err
	}
	people := personRows(ares)
	many := AnalysisTable{Name: "many_actions_few_results", Title: a.tr("动作多、结果少", "Many actions, few results"), Rows: []AnalysisRow{},
		Columns: append(append([]AnalysisColumn{{Name: "person", Label: a.tr("人员", "Person"), Unit: "text"}}, columns(ares, acts...)...),
			AnalysisColumn{Name: "signal", Label: a.tr("信号", "Signal"), Unit: "text"})}
	if len(people) < 4 {
		out.Notes = append(out.Notes, a.tr("团队不足 4 人，不判断“动作多、结果少”。", "Fewer than 4 people in the team: no \"many actions, few results\" judgement."))
	} else {
		col := func(m string) []float64 {
			var xs []float64
			for _, r := range people {
				xs = append(xs, val(r.Values, m))
			}
			return xs
		}
		_, f3, _ := metrics.Quartiles(col("followups"))
		s1, _, _ := metrics.Quartiles(col("first_signed_customers"))
		a1, _, _ := metrics.Quartiles(col("signed_amount"))
		for _, r := range people {
			f := val(r.Values, "followups")
			lowSigned, lowAmount := val(r.Values, "first_signed_customers") <= s1, val(r.Values, "signed_amount") <= a1
			if f == 0 || f < f3 || !lowSigned && !lowAmount {
				continue
			}
			var why []string
			if lowSigned {
				why = append(why, a.tr("首签客户处于后 25%", "first-signed customers in the bottom quartile"))
			}
			if lowAmount {
				why = append(why, a.tr("签约金额处于后 25%", "signed amount in the bottom quartile"))
			}
			many.Rows = append(many.Rows, AnalysisRow{Key: r.Key, Label: r.Label, Values: r.Values,
				Text: map[string]string{"person": r.Label, "signal": a.tr("跟进处于前 25%；", "follow-ups in the top quartile; ") + strings.Join(why, a.tr("；", "; "))}})
		}
	}
	out.Tables = []AnalysisTable{conv, many}
	out.Notes = append(out.Notes, a.tr("团队为所选部门（未选时为你可见范围）内期内有数据的人员；转化异常以 Wilson 95% 置信区间判断。",
		"The team is the people with figures in the period in the department chosen (else your whole scope); outliers are judged with a Wilson 95 % interval."))
	return out, nil
}
