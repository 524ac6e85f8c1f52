package cockpits

import (
	"strings"

	"github.com/cohortcrm/cohort/internal/metrics"
)

// Preset is a built-in cockpit a user copies into their own: sales
// management, funnel, personnel, forecast, service, and the goal cockpits
// (my goals, department, product and customer goals). Presets is a plain
// list: a new preset, or a new widget of one, is one more entry.
type Preset struct {
	Key    string `json:"key" example:"sales"`
	Name   string `json:"name" example:"销售管理"`
	NameZh string `json:"-"`
	NameEn string `json:"-"`
	// Layout's titles are in the asker's language.
	Layout []Widget `json:"layout"`
	titles []string // English titles of Layout
}

// w is a preset widget: zh and en title, type, query and grid place.
func w(id, typ, zh, en string, q WidgetQuery, x, y, wd, h int) (Widget, string) {
	return Widget{ID: id, Type: typ, Title: zh, Query: q, X: x, Y: y, W: wd, H: h}, en
}

func q(period string, ms []string, dims ...string) WidgetQuery {
	return WidgetQuery{Metrics: ms, Dimensions: dims, Period: period}
}

func cmp(wq WidgetQuery, c ...string) WidgetQuery { wq.Compare = c; return wq }

func ms(m ...string) []string { return m }

func preset(key, zh, en string, ws ...func() (Widget, string)) Preset {
	p := Preset{Key: key, NameZh: zh, NameEn: en}
	for _, f := range ws {
		wd, t := f()
		p.Layout = append(p.Layout, wd)
		p.titles = append(p.titles, t)
	}
	return p
}

func wf(id, typ, zh, en string, wq WidgetQuery, x, y, wd, h int) func() (Widget, string) {
	return func() (Widget, string) { return w(id, typ, zh, en, wq, x, y, wd, h) }
}

var both = []string{"previous", "year_ago"}

// gf is a preset goal widget.
func gf(id, typ, zh, en string, g GoalBinding, x, y, wd, h int) func() (Widget, string) {
	return func() (Widget, string) {
		wd, t := w(id, typ, zh, en, WidgetQuery{Period: Custom}, x, y, wd, h)
		wd.Goal = &g
		return wd, t
	}
}

// goal is a goal binding to the current period.
func goal(subjectType, subject, rows string) GoalBinding {
	return GoalBinding{SubjectType: subjectType, Subject: subject, Period: PeriodCurrent, Rows: rows, Trend: 6}
}

// Presets are the built-in cockpits.
var Presets = []Preset{
	preset("sales", "销售管理", "Sales management",
		wf("signed", KPI, "本月签约金额", "Signed this month", cmp(q("this_month", ms("signed_amount")), both...), 0, 0, 3, 2),
		wf("collected", KPI, "本月回款", "Collected this month", cmp(q("this_month", ms("payments_collected")), both...), 3, 0, 3, 2),
		wf("new_customers", KPI, "本月新增客户", "New customers this month", cmp(q("this_month", ms("new_customers")), both...), 6, 0, 3, 2),
		wf("conversion", Gauge, "本月转化率", "Conversion this month", q("this_month", ms("conversion_rate")), 9, 0, 3, 2),
		wf("trend", Line, "近 12 个月签约与回款", "Signed and collected, last 12 months", q("last_12_months", ms("signed_amount", "payments_collected"), "month"), 0, 2, 8, 4),
		wf("segments", Pie, "本年签约按客户分类", "Signed this year by segment", q("this_year", ms("signed_amount"), "segment"), 8, 2, 4, 4),
		wf("people", Bar, "本月签约金额按人员", "Signed this month by person", q("this_month", ms("signed_amount"), "person"), 0, 6, 6, 4),
		wf("regions", Map, "本年签约按地区", "Signed this year by region", q("this_year", ms("signed_amount"), "region"), 6, 6, 6, 4),
	),
	preset("funnel", "销售漏斗", "Sales funnel",
		wf("opp_value", KPI, "本季新增商机金额", "New opportunity value this quarter", cmp(q("this_quarter", ms("new_opportunity_value")), both...), 0, 0, 4, 2),
		wf("won", KPI, "本季赢单金额", "Won this quarter", cmp(q("this_quarter", ms("won_amount")), both...), 4, 0, 4, 2),
		wf("win_rate", KPI, "本季赢率", "Win rate this quarter", cmp(q("this_quarter", ms("win_rate")), both...), 8, 0, 4, 2),
		wf("funnel", Funnel, "本季各阶段进入数", "Stage entries this quarter", q("this_quarter", ms("stage_entries"), "stage"), 0, 2, 6, 4),
		wf("stage_days", Bar, "各阶段平均停留天数", "Average days per stage", q("this_quarter", ms("days_in_stage"), "stage"), 6, 2, 6, 4),
		wf("won_lost", StackedBar, "近 12 个月赢单与输单", "Won and lost, last 12 months", q("last_12_months", ms("won_opportunities", "lost_opportunities"), "month"), 0, 6, 8, 4),
		wf("stages", Table, "阶段明细", "Stages", q("this_quarter", ms("stage_entries", "days_in_stage"), "stage"), 8, 6, 4, 4),
	),
	preset("personnel", "人员业绩", "Personnel",
		wf("summary", Table, "本月人员汇总", "People this month",
			q("this_month", ms("signed_amount", "payments_collected", "calls", "sms", "call_seconds", "new_opportunity_value", "new_customers", "first_signed_customers", "lost_customers"), "person"),
			0, 0, 12, 5),
		wf("calls", Bar, "本月通话次数按人员", "Calls this month by person", q("this_month", ms("calls"), "person"), 0, 5, 6, 4),
		wf("followups", Pivot, "本月跟进方式按人员", "Follow-ups this month by person and type", q("this_month", ms("followups"), "person", "followup_type"), 6, 5, 6, 4),
	),
	preset("forecast", "销售预测", "Forecast",
		wf("opp_value", KPI, "本财年新增商机金额", "New opportunity value this fiscal year", cmp(q("this_fiscal_year", ms("new_opportunity_value")), "year_ago"), 0, 0, 3, 2),
		wf("won", KPI, "本财年赢单金额", "Won this fiscal year", cmp(q("this_fiscal_year", ms("won_amount")), "year_ago"), 3, 0, 3, 2),
		wf("weighted", KPI, "本季加权商机", "Weighted pipeline this quarter", q("this_quarter", ms("weighted_pipeline")), 6, 0, 3, 2),
		wf("win_rate", Gauge, "本财年赢率", "Win rate this fiscal year", q("this_fiscal_year", ms("win_rate")), 9, 0, 3, 2),
		wf("trend", Line, "本财年商机与赢单按月", "Opportunities and won by month, this fiscal year", cmp(q("this_fiscal_year", ms("new_opportunity_value", "won_amount"), "month"), "year_ago"), 0, 2, 8, 4),
		wf("categories", StackedBar, "本季预测类别按人员", "Forecast categories this quarter by person",
			q("this_quarter", ms("forecast_commit", "forecast_best_case", "forecast_pipeline"), "person"), 8, 2, 4, 4),
		wf("pipeline", Bar, "本财年未结与加权商机按预计成交月", "Open and weighted pipeline by expected close month, this fiscal year",
			q("this_fiscal_year", ms("open_pipeline_amount", "weighted_pipeline"), "month"), 0, 6, 12, 4),
	),
	preset("service", "客户服务", "Service",
		wf("opened", KPI, "本月新建工单", "Tickets opened this month", cmp(q("this_month", ms("tickets_opened")), both...), 0, 0, 3, 2),
		wf("complaints", KPI, "本月投诉", "Complaints this month", cmp(q("this_month", ms("complaints")), both...), 3, 0, 3, 2),
		wf("first_response", KPI, "本月平均首次响应（小时）", "First response this month (hours)", cmp(q("this_month", ms("first_response_hours")), "previous"), 6, 0, 3, 2),
		wf("resolution_rate", Gauge, "本月解决率", "Resolution rate this month", q("this_month", ms("resolution_rate")), 9, 0, 3, 2),
		wf("trend", Line, "近 12 个月工单与解决", "Tickets opened and resolved, last 12 months", q("last_12_months", ms("tickets_opened", "tickets_resolved"), "month"), 0, 2, 8, 4),
		wf("cost", Bar, "近 12 个月服务成本", "Service cost, last 12 months", q("last_12_months", ms("service_cost"), "month"), 8, 2, 4, 4),
		wf("lost", Bar, "近 12 个月流失客户", "Customers lost, last 12 months", q("last_12_months", ms("lost_customers"), "month"), 0, 6, 6, 4),
		wf("regions", Map, "本年工单按地区", "Tickets this year by region", q("this_year", ms("tickets_opened"), "region"), 6, 6, 6, 4),
	),
	// Goal cockpits: every figure is goal completion (the rule's targets,
	// the metric engine's actuals), for the viewer, their department, the
	// products and the customer segments, in the current period.
	preset("my_goals", "我的目标", "My goals",
		gf("completion", GoalGauge, "本期目标完成率", "Completion this period", goal("", SubjectMe, RowsPeers), 0, 0, 4, 4),
		gf("all", GoalList, "我的全部目标", "All my goals", goal("", SubjectMe, RowsPeers), 4, 0, 8, 4),
		gf("trend", GoalTrend, "近 6 期完成趋势", "Completion, last 6 periods", goal("", SubjectMe, RowsPeers), 0, 4, 6, 4),
		gf("ranking", GoalRanking, "同部门排名", "Ranking among my peers", goal("", SubjectMe, RowsPeers), 6, 4, 6, 4),
	),
	preset("department_goals", "部门目标", "Department goals",
		gf("completion", GoalGauge, "本部门本期完成率", "My department this period", goal("department", SubjectMyDepartment, RowsChildren), 0, 0, 4, 4),
		gf("ranking", GoalRanking, "下级部门与人员完成排名", "Sub-departments and people by completion", goal("department", SubjectMyDepartment, RowsChildren), 4, 0, 8, 4),
		gf("trend", GoalTrend, "近 6 期完成趋势", "Completion, last 6 periods", goal("department", SubjectMyDepartment, RowsChildren), 0, 4, 6, 4),
		gf("all", GoalList, "本部门全部目标", "All my department's goals", goal("", SubjectMyDepartment, RowsChildren), 6, 4, 6, 4),
	),
	preset("product_goals", "产品目标", "Product goals",
		gf("completion", GoalGauge, "产品目标合计完成率", "All products this period", goal("product", "company", RowsChildren), 0, 0, 4, 4),
		gf("ranking", GoalRanking, "各产品完成排名", "Products by completion", goal("product", "company", RowsChildren), 4, 0, 8, 4),
		gf("trend", GoalTrend, "近 6 期完成趋势", "Completion, last 6 periods", goal("product", "company", RowsChildren), 0, 4, 12, 4),
	),
	preset("customer_goals", "客户目标", "Customer goals",
		gf("completion", GoalGauge, "客户分类目标合计完成率", "All segments this period", goal("segment", "company", RowsChildren), 0, 0, 4, 4),
		gf("ranking", GoalRanking, "各客户分类完成排名", "Customer segments by completion", goal("segment", "company", RowsChildren), 4, 0, 8, 4),
		gf("trend", GoalTrend, "近 6 期完成趋势", "Completion, last 6 periods", goal("segment", "company", RowsChildren), 0, 4, 12, 4),
	),
}

// Localized returns preset p in lang with its widgets' periods unresolved.
func (p Preset) Localized(lang string) Preset {
	out := Preset{Key: p.Key, Name: p.NameZh, NameZh: p.NameZh, NameEn: p.NameEn}
	en := strings.HasPrefix(strings.ToLower(lang), "en")
	if en {
		out.Name = p.NameEn
	}
	for i, wd := range p.Layout {
		wd.Query.Metrics = append([]string{}, wd.Query.Metrics...)
		wd.Query.Dimensions = append([]string{}, wd.Query.Dimensions...)
		wd.Query.Compare = append([]string{}, wd.Query.Compare...)
		wd.Query.Filters = []metrics.Filter{}
		if wd.Goal != nil {
			g := *wd.Goal
			wd.Goal = &g
		}
		if en {
			wd.Title = p.titles[i]
		}
		out.Layout = append(out.Layout, wd)
	}
	return out
}

// FindPreset returns the preset of key.
func FindPreset(key string) (Preset, bool) {
	for _, p := range Presets {
		if p.Key == key {
			return p, true
		}
	}
	return Preset{}, false
}
