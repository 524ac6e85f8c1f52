package metrics

import (
	"slices"
	"time"

	"github.com/cohortcrm/cohort"
)

// The figures of a customer's page ("业务往来"), counted from the tenant's
// today T: built-in metrics with a filter on the customer, one query per
// period.
const (
	// CustomerFollowUpDays is the window of the page's follow-up figure:
	// the days T−89 .. T.
	CustomerFollowUpDays = 90
	// customerPipelineYears is how far before and after T the weighted
	// pipeline reads the open opportunities' expected close dates (ten
	// years in all, the longest period the engine answers).
	customerPipelineYears = 5
)

// CustomerLastFollowUp is the hidden metric of the page's last follow-up:
// the day number (days since 1970-01-01) of the latest follow-up in P.
const CustomerLastFollowUp = "last_followup_day"

// customerSet is a group of the page's figures: its metrics, its period
// and the object kinds one of which the asker must be allowed to view
// (none: the customer is enough).
type customerSet struct {
	metrics  []string
	from, to time.Time
	needs    []cohort.ObjectType
}

func customerSets(today time.Time) []customerSet {
	tomorrow := today.AddDate(0, 0, 1)
	history := tomorrow.AddDate(-10, 0, 0)
	return []customerSet{
		// The open opportunities and their amount are the board's: the
		// stage entries in force at T, so an opportunity without an
		// expected close date counts too (open_opportunities reads
		// opportunity.open, which it lacks). An as-of figure reads every
		// day up to T whatever the period; it goes with the history.
		{[]string{"opportunities_in_stage", "amount_in_stage"}, history, tomorrow, []cohort.ObjectType{cohort.ObjOpportunity}},
		// The weighted pipeline needs a stage probability per expected
		// close date: only the open opportunities that have one.
		{[]string{"weighted_pipeline"}, today.AddDate(-customerPipelineYears, 0, 0),
			today.AddDate(customerPipelineYears, 0, 0), []cohort.ObjectType{cohort.ObjOpportunity}},
		{[]string{"won_opportunities", "won_amount"}, history, tomorrow, []cohort.ObjectType{cohort.ObjOpportunity}},
		{[]string{"signed_count", "signed_amount", "payments_collected", "receivable", "overdue"}, history, tomorrow,
			[]cohort.ObjectType{cohort.ObjContract, cohort.ObjOrder}},
		{[]string{"tickets_opened", "unresolved_tickets"}, history, tomorrow, []cohort.ObjectType{cohort.ObjTicket}},
		{[]string{"followups"}, tomorrow.AddDate(0, 0, -CustomerFollowUpDays), tomorrow, nil},
		{[]string{CustomerLastFollowUp}, history, tomorrow, nil},
	}
}

// CustomerQueries are the queries of a customer's page on the local date
// today, as of today, one per period; a group whose kinds may says the
// asker may not view is left out.
func CustomerQueries(customer cohort.ID, today time.Time, may func(kinds []cohort.ObjectType) bool) []Query {
	filter := []Filter{{Dimension: "customer", Values: []string{customer.String()}}}
	asOf := fmtDate(today)
	var out []Query
	for _, set := range customerSets(today) {
		if len(set.needs) > 0 && !may(set.needs) {
			continue
		}
		from, to := fmtDate(set.from), fmtDate(set.to)
		i := slices.IndexFunc(out, func(q Query) bool { return q.From == from && q.To == to })
		if i < 0 {
			out = append(out, Query{Filters: filter, From: from, To: to, AsOf: asOf})
			i = len(out) - 1
		}
		out[i].Metrics = append(out[i].Metrics, set.metrics...)
	}
	return out
}

// DayDate is the local date YYYY-MM-DD of a day number.
func DayDate(day int64) string { return fmtDate(dateOf(day)) }
