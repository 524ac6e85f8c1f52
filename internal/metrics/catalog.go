// Package metrics is Cohort's metric engine: a catalogue of metrics defined
// over the fact ledger (docs/FACTS.md), tenant-defined metrics, and the query
// that computes them by dimensions, filters, period and comparisons inside a
// data scope, with a drill-down to the facts behind a cell. It reads only the
// facts table (and users, departments, customers and products for
// dimensions); the SQL for both engines is here. It decides no permission:
// the service layer hands it the scope.
package metrics

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Units of metric values.
const (
	UnitCount   = "count"   // a number of records or events
	UnitMoney   = "money"   // minor units of the tenant's currency
	UnitRatio   = "ratio"   // a fraction, 0.25 = 25 %
	UnitDays    = "days"    // a mean span in days
	UnitHours   = "hours"   // a mean span in hours
	UnitMinutes = "minutes" // a total of minutes
	UnitNumber  = "number"  // any other number (a mean count ...)
)

// Units lists the units a metric may have.
var Units = []string{UnitCount, UnitMoney, UnitRatio, UnitDays, UnitHours, UnitMinutes, UnitNumber}

// Agg is an aggregate over the facts of some kinds. Its value in a cell is
// computed from the cell's facts alone, so every grain and total is exact.
type Agg struct {
	// Kinds are the fact kinds aggregated (docs/FACTS.md).
	Kinds []string `json:"kinds"`
	// Role is the business role credited: "" takes the query's role (owner,
	// the revenue credit, unless the query names another), "*" any role,
	// else that role (personal facts: author for follow-ups and next
	// actions, owner for leads, quotes and pool events, whatever the
	// query's role). A known role lets the query use the facts index.
	Role string `json:"role,omitempty"`
	// Func is the aggregate: records (distinct records), count (facts),
	// count_distinct, sum, avg, min, max of Field; credited (the field times
	// the credited share) and weight (the credited shares, a share-weighted
	// count) make exact means of amounts and spans at every grain.
	Func string `json:"func"`
	// Field is amount, duration_s, n, span_s (occurred_at − ref_at, in
	// seconds), weighted_amount (amount × n ÷ 100: an open opportunity's
	// amount times its stage's win probability), or for count_distinct
	// record_id, customer_id, user_id.
	Field string `json:"field,omitempty"`
	// Attr restricts to facts whose attr is one of these.
	Attr []string `json:"attr,omitempty"`
	// Stage restricts to facts of this stage.
	Stage string `json:"stage,omitempty"`
	// Ended restricts to facts with a ref_at (a stay in a stage that has
	// ended).
	Ended bool `json:"ended,omitempty"`
	// Later restricts to facts whose source record has a later fact of one
	// of Later.Kinds (a cohort: customers created in P that signed).
	Later *Later `json:"later,omitempty"`
	// AsOf makes the aggregate a state at a day instead of the events of
	// P: "as_of" takes the facts dated on or before the query's as-of date,
	// "before_as_of" those dated before it, "end" those dated on or before
	// the last day of P.
	AsOf string `json:"as_of,omitempty"`
	// Ref compares ref_at with that day: "by" — set and before the day's
	// end; "before" — set and before the day's start; "open" — empty or
	// not before the day's end (a span still in force at the end of it).
	Ref string `json:"ref,omitempty"`
	// Quiet restricts to facts whose customer had no follow-up in the
	// Quiet days ending with the as-of date and is not lost by then.
	Quiet int `json:"quiet,omitempty"`
	// Repeat restricts signing facts to those whose customer signed an
	// earlier contract or order (not void): the signing is not its first.
	Repeat bool `json:"repeat,omitempty"`
	// Unrenewed restricts contract.ended facts to those with no other
	// contract of the customer starting within the tenant's churn grace
	// days after the end and ending later (or never).
	Unrenewed bool `json:"unrenewed,omitempty"`
	// Accurate restricts quote.won facts to those whose deviation (n, in
	// basis points) is within the tenant's quote tolerance.
	Accurate bool `json:"accurate,omitempty"`
}

// Later is a condition on a later fact of the same source record.
type Later struct {
	Kinds []string `json:"kinds"`
	// Stage restricts the later facts of kind opportunity.stage_entered.
	Stage string `json:"stage,omitempty"`
	// ByEnd requires the later fact before the end of the period.
	ByEnd bool `json:"by_end,omitempty"`
}

// Metric is one metric of the catalogue: an aggregate, or a formula over
// other metrics (rates and means are formulas, so that they are computed
// from their numerator and denominator in each cell, never averaged).
type Metric struct {
	Name    string `json:"name"`
	LabelZh string `json:"label_zh"`
	LabelEn string `json:"label_en"`
	Unit    string `json:"unit"`
	// Additive metrics may be summed across cells (counts, amounts).
	Additive bool   `json:"additive"`
	Agg      *Agg   `json:"aggregate,omitempty"`
	Formula  string `json:"formula,omitempty"`
	// Definition says in words what the metric counts (English).
	Definition string `json:"definition"`
	// Hidden metrics are parts of others (denominators of means), not
	// listed.
	Hidden bool `json:"-"`
	// Builtin is false for tenant-defined metrics.
	Builtin bool `json:"builtin"`
}

// Fact kinds (docs/FACTS.md).
const (
	kLeadCreated       = "lead.created"
	kLeadConverted     = "lead.converted"
	kCustomerCreated   = "customer.created"
	kFirstSigned       = "customer.first_signed"
	kCustomerLost      = "customer.lost"
	kCustomerReturned  = "customer.returned"
	kCustomerClaimed   = "customer.claimed"
	kOppCreated        = "opportunity.created"
	kStageEntered      = "opportunity.stage_entered"
	kOppWon            = "opportunity.won"
	kOppLost           = "opportunity.lost"
	kOppInvalid        = "opportunity.invalid"
	kOppOpen           = "opportunity.open"
	kQuoteSent         = "quote.sent"
	kContractSigned    = "contract.signed"
	kOrderSigned       = "order.signed"
	kContractLine      = "contract.line"
	kOrderLine         = "order.line"
	kInvoiceIssued     = "invoice.issued"
	kPaymentPlanned    = "payment.planned"
	kPaymentReceived   = "payment.received"
	kFollowUpDone      = "followup.done"
	kNextActionDue     = "next_action.due"
	kNextActionDone    = "next_action.done"
	kTicketOpened      = "ticket.opened"
	kTicketResponse    = "ticket.first_response"
	kTicketResolved    = "ticket.resolved"
	kMilestoneDone     = "project.milestone_done"
	kContractStarted   = "contract.started"
	kContractEnded     = "contract.ended"
	kQuoteWon          = "quote.won"
	kCustomerOwned     = "customer.owned"
	kExpense           = "expense.incurred"
	kPersonMember      = "person.member"
	stageConversionPfx = "stage_conversion:"
	forgottenPfx       = "forgotten_customers:"
)

// DefaultForgottenDays is N of forgotten_customers (forgotten_customers:N
// names another).
const DefaultForgottenDays = 30

// Kinds lists every fact kind.
var Kinds = []string{kLeadCreated, kLeadConverted, kCustomerCreated, kFirstSigned, kCustomerLost, kCustomerReturned, kCustomerClaimed,
	kOppCreated, kStageEntered, kOppWon, kOppLost, kOppInvalid, kOppOpen, kQuoteSent, kContractSigned, kOrderSigned, kContractLine, kOrderLine,
	kInvoiceIssued, kPaymentPlanned, kPaymentReceived, kFollowUpDone, kNextActionDue, kNextActionDone, kTicketOpened, kTicketResponse,
	kTicketResolved, kMilestoneDone, kContractStarted, kContractEnded, kQuoteWon, kCustomerOwned, kExpense, kPersonMember}

func agg(kinds []string, role, fn, field string) *Agg {
	return &Agg{Kinds: kinds, Role: role, Func: fn, Field: field}
}

func ks(k ...string) []string { return k }

// count, money, rate, ... build catalogue entries.
func count(name, zh, en, def string, a *Agg) Metric {
	return Metric{Name: name, LabelZh: zh, LabelEn: en, Unit: UnitCount, Additive: a.Func != "records" && a.Func != "count_distinct", Agg: a, Definition: def}
}

func money(name, zh, en, def string, a *Agg) Metric {
	return Metric{Name: name, LabelZh: zh, LabelEn: en, Unit: UnitMoney, Additive: true, Agg: a, Definition: def}
}

func formula(name, zh, en, unit, def, f string) Metric {
	return Metric{Name: name, LabelZh: zh, LabelEn: en, Unit: unit, Formula: f, Definition: def}
}

func hidden(name string, a *Agg) Metric {
	return Metric{Name: name, Unit: UnitNumber, Agg: a, Hidden: true}
}

func followUps(name, zh, en, typ string) Metric {
	a := agg(ks(kFollowUpDone), "author", "count", "")
	a.Attr = []string{typ}
	return count(name, zh, en, "follow-ups of type "+typ+" in P, credited to their author", a)
}

// forecast is the open amount of one forecast category.
func forecast(category, zh, en string) Metric {
	return money("forecast_"+category, "预测："+zh, "Forecast: "+en,
		"credited amount of the opportunities open now with expected close in P in forecast category "+category,
		withAttr(agg(ks(kOppOpen), "", "credited", "amount"), category))
}

func withAttr(a *Agg, attr ...string) *Agg { a.Attr = attr; return a }

func withLater(a *Agg, l Later) *Agg { a.Later = &l; return a }

func ended(a *Agg) *Agg { a.Ended = true; return a }

// asOf makes a a state at the as-of day (mode as_of, before_as_of or end)
// with ref_at compared by ref ("" for none).
func asOf(a *Agg, mode, ref string) *Agg { a.AsOf, a.Ref = mode, ref; return a }

func repeat(a *Agg) *Agg { a.Repeat = true; return a }

func moneyFormula(name, zh, en, def, f string) Metric {
	return Metric{Name: name, LabelZh: zh, LabelEn: en, Unit: UnitMoney, Additive: true, Formula: f, Definition: def}
}

// forgotten is forgotten_customers with N days.
func forgotten(days int) *Agg {
	a := asOf(agg(ks(kCustomerOwned), "owner", "count_distinct", "customer_id"), "as_of", "open")
	a.Quiet = days
	return a
}

// builtins is the catalogue, METRICS.md figure by figure.
var builtins = []Metric{
	// Leads.
	count("new_leads", "新增线索", "New leads", "leads created in P, credited to their owner", agg(ks(kLeadCreated), "owner", "records", "")),
	count("converted_leads", "转化线索", "Converted leads", "leads converted in P", agg(ks(kLeadConverted), "owner", "records", "")),
	formula("lead_conversion_rate", "线索转化率", "Lead conversion rate", UnitRatio, "leads converted in P ÷ leads created in P", "converted_leads / new_leads"),

	// Customers.
	count("new_customers", "新增客户", "New customers", "customers created in P", agg(ks(kCustomerCreated), "", "records", "")),
	count("first_signed_customers", "首签客户", "First-signed customers", "customers whose first signed contract or order is in P", agg(ks(kFirstSigned), "", "records", "")),
	count("lost_customers", "流失客户", "Lost customers", "customers marked lost in P", agg(ks(kCustomerLost), "", "records", "")),
	formula("conversion_rate", "客户转化率", "Conversion rate (period)", UnitRatio, "first-signed customers in P ÷ new customers in P", "first_signed_customers / new_customers"),
	count("new_customers_signed", "新增且已签约客户", "New customers signed by end of period", "customers created in P with a first signing by the end of P",
		withLater(agg(ks(kCustomerCreated), "", "records", ""), Later{Kinds: ks(kFirstSigned), ByEnd: true})),
	formula("cohort_conversion_rate", "客户转化率（同期群）", "Conversion rate (cohort)", UnitRatio,
		"of the customers created in P, the share with a first signing by the end of P", "new_customers_signed / new_customers"),
	money("first_order_amount", "首单金额", "First-order amount", "credited amount of the first signed document of the customers first-signed in P", agg(ks(kFirstSigned), "", "credited", "amount")),
	hidden("first_signed_weight", agg(ks(kFirstSigned), "", "weight", "")),
	formula("first_order_avg_value", "首单平均金额", "First-order average value", UnitMoney, "mean amount of the first signed document of the customers first-signed in P (share-weighted)",
		"first_order_amount / first_signed_weight"),
	hidden("first_signed_cycle_s", agg(ks(kFirstSigned), "", "credited", "span_s")),
	formula("followup_cycle_days", "跟进周期", "Follow-up cycle", UnitDays, "mean days from first contact to first signing, over customers first-signed in P",
		"first_signed_cycle_s / first_signed_weight / 86400"),
	hidden("first_signed_followups", agg(ks(kFirstSigned), "", "credited", "n")),
	formula("followups_per_signed_customer", "签约客户平均跟进次数", "Follow-ups per signed customer", UnitNumber,
		"mean number of follow-ups before the first signing, over customers first-signed in P", "first_signed_followups / first_signed_weight"),
	{Name: "churned_customers", LabelZh: "流失（未续约）客户", LabelEn: "Churned customers", Unit: UnitCount,
		Agg:        &Agg{Kinds: ks(kContractEnded), Func: "count_distinct", Field: "customer_id", Unrenewed: true},
		Definition: "customers with a contract that ended in P and no other contract starting within the tenant's churn grace days after it and ending later"},
	count("signing_customers", "签约客户", "Customers signing", "distinct customers with a contract or order signed in P",
		agg(ks(kContractSigned, kOrderSigned), "", "count_distinct", "customer_id")),
	count("repeat_customers", "复购客户", "Repeat customers", "distinct customers with a signing in P that is not their first",
		repeat(agg(ks(kContractSigned, kOrderSigned), "", "count_distinct", "customer_id"))),
	formula("repurchase_rate", "复购率", "Repurchase rate", UnitRatio, "of the customers with a signing in P, the share whose signing in P is not their first",
		"repeat_customers / signing_customers"),
	{Name: "owned_customers", LabelZh: "名下客户", LabelEn: "Owned customers", Unit: UnitCount, Agg: asOf(agg(ks(kCustomerOwned), "owner", "count_distinct", "customer_id"), "as_of", "open"),
		Definition: "customers owned on the as-of date, credited to their owners"},
	{Name: "forgotten_customers", LabelZh: "被遗忘客户", LabelEn: "Forgotten customers", Unit: UnitCount, Agg: forgotten(DefaultForgottenDays),
		Definition: "customers owned on the as-of date, not lost, with no follow-up in the 30 days ending with it (forgotten_customers:N for N days)"},
	count("pool_returns", "退回公海", "Returned to pool", "customers returned to a pool in P, credited to the person named", agg(ks(kCustomerReturned), "owner", "count", "")),
	count("pool_claims", "公海领取", "Claimed from pool", "customers claimed from a pool in P", agg(ks(kCustomerClaimed), "owner", "count", "")),

	// Activity.
	count("followups", "跟进次数", "Follow-ups", "follow-ups in P, credited to their author (by type with the followup_type dimension)", agg(ks(kFollowUpDone), "author", "count", "")),
	followUps("calls", "电话", "Calls", "call"),
	followUps("visits", "拜访", "Visits", "visit"),
	followUps("sms", "短信", "SMS", "sms"),
	followUps("emails", "邮件", "Emails", "email"),
	followUps("wechats", "微信", "WeChat messages", "wechat"),
	followUps("meetings", "会议", "Meetings", "meeting"),
	followUps("proposals_sent", "发送方案", "Proposals sent", "proposal_sent"),
	followUps("quote_followups", "报价跟进", "Quotes sent (follow-ups)", "quote_sent"),
	hidden("call_seconds", withAttr(agg(ks(kFollowUpDone), "author", "sum", "duration_s"), "call")),
	{Name: "call_minutes", LabelZh: "通话时长（分钟）", LabelEn: "Call minutes", Unit: UnitMinutes, Additive: true, Formula: "call_seconds / 60",
		Definition: "sum of call durations in P ÷ 60"},
	count("followed_customers", "跟进客户数", "Customers followed up", "distinct customers followed up in P", agg(ks(kFollowUpDone), "author", "count_distinct", "customer_id")),
	formula("contact_frequency", "跟进频次", "Contact frequency", UnitNumber, "follow-ups in P ÷ distinct customers followed up in P", "followups / followed_customers"),
	hidden("last_followup_day", agg(ks(kFollowUpDone), "author", "max", "day")),
	count("next_actions_due", "到期待办", "Next actions due", "next actions due in P", agg(ks(kNextActionDue), "author", "count", "")),
	{Name: "next_actions_on_time", LabelZh: "按时完成待办", LabelEn: "Next actions done on time", Unit: UnitCount, Additive: true,
		Agg: agg(ks(kNextActionDue), "author", "sum", "n"), Definition: "next actions due in P that were done by the end of their due window"},
	formula("next_actions_on_time_rate", "待办按时完成率", "Next actions on time", UnitRatio,
		"next actions due in P done by the end of their due window ÷ next actions due in P", "next_actions_on_time / next_actions_due"),
	count("next_actions_done", "完成待办", "Next actions done", "next actions done in P", agg(ks(kNextActionDone), "author", "count", "")),
	count("quotes_won", "赢单报价", "Quotes of won opportunities", "last quotes of the opportunities won in P, credited to the sender",
		agg(ks(kQuoteWon), "owner", "records", "")),
	{Name: "quotes_accurate", LabelZh: "准确报价", LabelEn: "Accurate quotes", Unit: UnitCount,
		Agg:        &Agg{Kinds: ks(kQuoteWon), Role: "owner", Func: "records", Accurate: true},
		Definition: "last quotes of the opportunities won in P whose final contract amount is within the tenant's tolerance of the quote"},
	formula("quote_accuracy", "报价准确率", "Quote accuracy", UnitRatio,
		"of the quotes whose opportunity was won in P, the share whose final contract amount is within the tenant's tolerance of the last quote", "quotes_accurate / quotes_won"),
	count("quotes_sent", "发出报价", "Quotes sent", "quotes sent in P, credited to the sender", agg(ks(kQuoteSent), "owner", "records", "")),
	money("quote_amount", "报价金额", "Quoted amount", "total of the quotes sent in P", agg(ks(kQuoteSent), "owner", "credited", "amount")),

	// Opportunities and funnel.
	count("new_opportunities", "新增商机", "New opportunities", "opportunities created in P", agg(ks(kOppCreated), "", "records", "")),
	money("new_opportunity_value", "新增商机金额", "New opportunity value", "credited amount of the opportunities created in P", agg(ks(kOppCreated), "", "credited", "amount")),
	count("won_opportunities", "赢单商机", "Opportunities won", "opportunities won in P", agg(ks(kOppWon), "", "records", "")),
	money("won_amount", "赢单金额", "Won amount", "credited amount of the opportunities won in P", agg(ks(kOppWon), "", "credited", "amount")),
	count("lost_opportunities", "输单商机", "Opportunities lost", "opportunities lost in P (by reason with the attr dimension)", agg(ks(kOppLost), "", "records", "")),
	money("lost_amount", "输单金额", "Lost amount", "credited amount of the opportunities lost in P", agg(ks(kOppLost), "", "credited", "amount")),
	count("invalid_opportunities", "无效商机", "Invalid opportunities", "opportunities closed as invalid in P", agg(ks(kOppInvalid), "", "records", "")),
	count("closed_opportunities", "已决商机", "Opportunities decided", "opportunities won or lost in P (invalid ones count in neither)", agg(ks(kOppWon, kOppLost), "", "records", "")),
	formula("win_rate", "赢率", "Win rate", UnitRatio, "opportunities won in P ÷ (won + lost in P)", "won_opportunities / closed_opportunities"),
	count("stage_entries", "进入阶段商机", "Opportunities entering a stage", "opportunities that entered a stage in P (per stage with the stage dimension)", agg(ks(kStageEntered), "", "records", "")),
	money("stage_entry_amount", "进入阶段商机金额", "Amount entering a stage", "credited amount of the opportunities that entered a stage in P (per stage with the stage dimension)",
		agg(ks(kStageEntered), "", "credited", "amount")),
	hidden("stage_stay_s", ended(agg(ks(kStageEntered), "", "credited", "duration_s"))),
	hidden("stage_stay_weight", ended(agg(ks(kStageEntered), "", "weight", ""))),
	formula("days_in_stage", "阶段停留天数", "Days in stage", UnitDays, "mean days between entering a stage and leaving it, over stays that began in P and have ended",
		"stage_stay_s / stage_stay_weight / 86400"),
	hidden("won_cycle_s", agg(ks(kOppWon), "", "credited", "duration_s")),
	hidden("won_weight", agg(ks(kOppWon), "", "weight", "")),
	formula("opportunity_cycle_days", "商机周期", "Opportunity cycle", UnitDays, "mean days from creation to win, over opportunities won in P", "won_cycle_s / won_weight / 86400"),
	formula("avg_won_amount", "平均赢单金额", "Average won amount", UnitMoney, "mean amount of the opportunities won in P (share-weighted)", "won_amount / won_weight"),

	// Pipeline and forecast: the current state of the open opportunities
	// (opportunity.open facts), by expected close date.
	count("open_opportunities", "未结商机", "Open opportunities", "opportunities open now with expected close in P", agg(ks(kOppOpen), "", "records", "")),
	money("open_pipeline_amount", "未结商机金额", "Open pipeline amount", "credited amount of the opportunities open now with expected close in P",
		agg(ks(kOppOpen), "", "credited", "amount")),
	money("weighted_pipeline", "加权商机金额", "Weighted pipeline", "sum over the opportunities open now with expected close in P of credited amount × stage win probability",
		agg(ks(kOppOpen), "", "credited", "weighted_amount")),
	forecast("commit", "承诺", "Commit"),
	forecast("best_case", "最佳情况", "Best case"),
	forecast("pipeline", "管道", "Pipeline"),
	forecast("omitted", "排除", "Omitted"),
	// The board: every opportunity open at the as-of date (today by
	// default), with or without an expected close date, in the stage it
	// stood in then — its entry of that stage not left by the end of the
	// day (opportunity.stage_entered, ref_at = left_at).
	count("opportunities_in_stage", "阶段中商机", "Opportunities in stage",
		"opportunities open at the as-of date, by the stage they stood in then (with or without an expected close date)",
		asOf(agg(ks(kStageEntered), "", "records", ""), "as_of", "open")),
	money("amount_in_stage", "阶段中商机金额", "Amount in stage",
		"credited amount (today's) of the opportunities open at the as-of date, by the stage they stood in then",
		asOf(agg(ks(kStageEntered), "", "credited", "amount"), "as_of", "open")),

	// Money.
	count("contracts_signed", "签约合同数", "Contracts signed", "contracts signed in P (voided ones count in no period)", agg(ks(kContractSigned), "", "records", "")),
	money("contract_amount", "合同金额", "Contract amount", "credited amount of the contracts signed in P", agg(ks(kContractSigned), "", "credited", "amount")),
	count("orders_signed", "签约订单数", "Orders signed", "orders signed in P", agg(ks(kOrderSigned), "", "records", "")),
	money("order_amount", "订单金额", "Order amount", "credited amount of the orders signed in P", agg(ks(kOrderSigned), "", "credited", "amount")),
	count("signed_count", "签约数", "Contracts and orders signed", "contracts and orders signed in P", agg(ks(kContractSigned, kOrderSigned), "", "records", "")),
	money("signed_amount", "签约金额", "Signed amount", "credited amount of the contracts and orders signed in P", agg(ks(kContractSigned, kOrderSigned), "", "credited", "amount")),
	hidden("last_signed_day", agg(ks(kContractSigned, kOrderSigned), "", "max", "day")),
	// Average order values: the performance formula's order value, one per
	// signed amount (gap diagnosis, service/goaldiagnosis.go).
	hidden("contract_weight", agg(ks(kContractSigned), "", "weight", "")),
	formula("avg_contract_amount", "平均合同金额", "Average contract amount", UnitMoney, "mean amount of the contracts signed in P (share-weighted)", "contract_amount / contract_weight"),
	hidden("order_weight", agg(ks(kOrderSigned), "", "weight", "")),
	formula("avg_order_amount", "平均订单金额", "Average order amount", UnitMoney, "mean amount of the orders signed in P (share-weighted)", "order_amount / order_weight"),
	hidden("signed_weight", agg(ks(kContractSigned, kOrderSigned), "", "weight", "")),
	formula("avg_signed_amount", "平均签约金额", "Average signed amount", UnitMoney, "mean amount of the contracts and orders signed in P (share-weighted)", "signed_amount / signed_weight"),
	money("line_amount", "产品签约金额", "Signed amount by product line", "credited amount of the signed documents' lines in P (use with the product dimension)",
		agg(ks(kContractLine, kOrderLine), "", "credited", "amount")),
	{Name: "line_quantity", LabelZh: "产品签约数量", LabelEn: "Quantity signed", Unit: UnitNumber, Additive: true, Agg: agg(ks(kContractLine, kOrderLine), "", "credited", "n"),
		Definition: "credited quantity of the signed documents' lines in P"},
	money("payments_collected", "回款金额", "Payments collected", "credited payments received in P; a reversal is negative in the period of its own date", agg(ks(kPaymentReceived), "", "credited", "amount")),
	money("payments_planned", "计划回款", "Payments planned", "credited installments due in P", agg(ks(kPaymentPlanned), "", "credited", "amount")),
	money("invoice_amount", "开票金额", "Invoiced amount", "credited amount of the invoices issued in P", agg(ks(kInvoiceIssued), "", "credited", "amount")),
	{Name: "invoices", LabelZh: "开票张数", LabelEn: "Invoices", Unit: UnitNumber, Additive: true, Agg: agg(ks(kInvoiceIssued), "", "weight", ""),
		Definition: "invoices issued in P, share-weighted (a co-owner with 60 % counts 0.6; the company total is exact)"},

	hidden("receivable_planned", asOf(agg(ks(kPaymentPlanned), "", "credited", "amount"), "as_of", "")),
	hidden("receivable_paid", asOf(agg(ks(kPaymentReceived), "", "credited", "amount"), "as_of", "by")),
	moneyFormula("receivable", "应收款", "Receivable", "installments due on or before the as-of date − the payments allocated to them received by then",
		"receivable_planned - receivable_paid"),
	hidden("overdue_planned", asOf(agg(ks(kPaymentPlanned), "", "credited", "amount"), "before_as_of", "")),
	hidden("overdue_paid", asOf(agg(ks(kPaymentReceived), "", "credited", "amount"), "as_of", "before")),
	moneyFormula("overdue", "逾期应收", "Overdue", "receivable on the installments due before the as-of date",
		"overdue_planned - overdue_paid"),
	money("expense_amount", "销售费用", "Sales expenses", "expenses incurred in P, credited to the person who incurred them", agg(ks(kExpense), "owner", "credited", "amount")),
	// One fact per expense: a count of facts (not of records: an expense
	// of an opportunity is about the opportunity).
	count("expenses", "费用笔数", "Expenses", "expenses incurred in P", agg(ks(kExpense), "owner", "count", "")),

	// People and departments.
	count("participants", "参与人数", "People participating", "people credited in the query's role on a contract or order signed in P",
		agg(ks(kContractSigned, kOrderSigned), "", "count_distinct", "user_id")),
	count("active_people", "在岗人数", "Active people", "people in the organisation (not disabled) on the last day of P, by their department then",
		asOf(agg(ks(kPersonMember), "member", "count_distinct", "user_id"), "end", "open")),
	formula("participation_rate", "参与率", "Participation rate", UnitRatio,
		"people credited in the role on a record signed in P while in the department ÷ active people in the department on the last day of P", "participants / active_people"),

	// Service.
	count("tickets_opened", "工单数", "Tickets", "tickets opened in P", agg(ks(kTicketOpened), "", "records", "")),
	count("complaints", "投诉数", "Complaints", "complaint tickets opened in P", withAttr(agg(ks(kTicketOpened), "", "records", ""), "complaint")),
	count("tickets_resolved", "已解决工单", "Tickets resolved", "tickets resolved in P", agg(ks(kTicketResolved), "", "records", "")),
	count("tickets_opened_resolved", "期内解决工单", "Tickets opened and resolved in period", "tickets opened in P and resolved by the end of P",
		withLater(agg(ks(kTicketOpened), "", "records", ""), Later{Kinds: ks(kTicketResolved), ByEnd: true})),
	formula("unresolved_tickets", "未解决工单", "Unresolved tickets", UnitCount,
		"tickets opened in P and not resolved by the end of P (over a period ending today: the tickets open now)", "tickets_opened - tickets_opened_resolved"),
	formula("resolution_rate", "解决率", "Resolution rate", UnitRatio, "tickets opened in P and resolved by the end of P ÷ tickets opened in P", "tickets_opened_resolved / tickets_opened"),
	hidden("first_response_s", agg(ks(kTicketResponse), "", "credited", "duration_s")),
	hidden("first_response_weight", agg(ks(kTicketResponse), "", "weight", "")),
	formula("first_response_hours", "首次响应时长", "First-response time", UnitHours, "mean hours from opening to first response, over first responses in P",
		"first_response_s / first_response_weight / 3600"),
	hidden("resolution_s", agg(ks(kTicketResolved), "", "credited", "duration_s")),
	hidden("resolution_weight", agg(ks(kTicketResolved), "", "weight", "")),
	formula("resolution_hours", "解决时长", "Resolution time", UnitHours, "mean hours from opening to resolution, over tickets resolved in P", "resolution_s / resolution_weight / 3600"),
	money("service_cost", "服务成本", "Service cost", "credited cost of the tickets resolved in P", agg(ks(kTicketResolved), "", "credited", "amount")),
	count("milestones_done", "完成里程碑", "Project milestones done", "project milestones done in P", agg(ks(kMilestoneDone), "", "records", "")),
}

var builtinByName = func() map[string]*Metric {
	m := map[string]*Metric{}
	for i := range builtins {
		builtins[i].Builtin = true
		if _, dup := m[builtins[i].Name]; dup {
			panic("metrics: duplicate builtin " + builtins[i].Name)
		}
		m[builtins[i].Name] = &builtins[i]
	}
	return m
}()

// Builtins returns the listed built-in metrics.
func Builtins() []Metric {
	out := make([]Metric, 0, len(builtins))
	for _, m := range builtins {
		if !m.Hidden {
			out = append(out, m)
		}
	}
	return out
}

// IsBuiltin reports whether name is a built-in metric (listed or not) or a
// parametric one.
func IsBuiltin(name string) bool {
	_, ok := builtinByName[name]
	return ok || strings.HasPrefix(name, stageConversionPfx) || strings.HasPrefix(name, forgottenPfx)
}

// forgottenN is the metric forgotten_customers:N.
func forgottenN(name string) (*Metric, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(name, forgottenPfx))
	if err != nil || n < 1 || n > 3650 {
		return nil, fmt.Errorf("forgotten_customers:N needs N days from 1 to 3650, e.g. forgotten_customers:30")
	}
	return &Metric{Name: name, LabelZh: fmt.Sprintf("被遗忘客户（%d 天）", n), LabelEn: fmt.Sprintf("Forgotten customers (%d days)", n), Unit: UnitCount,
		Agg: forgotten(n), Builtin: true,
		Definition: fmt.Sprintf("customers owned on the as-of date, not lost, with no follow-up in the %d days ending with it", n)}, nil
}

// stageConversion is the metric stage_conversion:<to>: of the opportunities
// that entered a stage in P (the stage dimension or filter names it), the
// share that later entered stage <to> (or were won, when <to> is "won").
func stageConversion(name string) (*Metric, error) {
	to := strings.TrimPrefix(name, stageConversionPfx)
	if to == "" || len(to) > 50 {
		return nil, fmt.Errorf("stage_conversion needs a target stage, e.g. stage_conversion:won")
	}
	later := Later{Kinds: ks(kStageEntered), Stage: to}
	if to == "won" {
		later = Later{Kinds: ks(kOppWon)}
	}
	num := withLater(agg(ks(kStageEntered), "", "records", ""), later)
	return &Metric{Name: name, LabelZh: "阶段转化率 → " + to, LabelEn: "Stage conversion → " + to, Unit: UnitRatio,
		Formula: "_num / stage_entries", Definition: "of the opportunities that entered the stage in P, the share that later entered " + to,
		Builtin: true, Agg: num}, nil
}

// validAgg checks a tenant's aggregate; field names the JSON path.
func validAgg(a *Agg) (field, msg string) {
	if len(a.Kinds) == 0 || len(a.Kinds) > 10 {
		return "kinds", "must name 1 to 10 fact kinds"
	}
	for _, k := range a.Kinds {
		if !slices.Contains(Kinds, k) {
			return "kinds", fmt.Sprintf("unknown fact kind %q", k)
		}
	}
	if len(a.Role) > 50 {
		return "role", "must be at most 50 characters"
	}
	fields := map[string][]string{
		"count": {""}, "records": {""}, "count_distinct": {"record_id", "customer_id", "user_id"},
		"sum": {"amount", "duration_s", "n", "weighted_amount"}, "avg": {"amount", "duration_s", "n", "span_s"},
		"min": {"amount", "duration_s", "n", "span_s"}, "max": {"amount", "duration_s", "n", "span_s"},
	}
	ok, known := fields[a.Func]
	if !known {
		return "func", "must be count, records, count_distinct, sum, avg, min or max"
	}
	if !slices.Contains(ok, a.Field) {
		return "field", fmt.Sprintf("%s takes field %s", a.Func, strings.Join(ok, ", "))
	}
	if len(a.Attr) > 20 || len(a.Stage) > 50 {
		return "attr", "at most 20 values"
	}
	if a.Later != nil || a.AsOf != "" || a.Ref != "" || a.Quiet != 0 || a.Repeat || a.Unrenewed || a.Accurate {
		return "later", "is not available to tenant metrics"
	}
	return "", ""
}
