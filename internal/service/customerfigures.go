package service

import (
	"context"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
)

// A customer's page sums up the business done with it ("业务往来") in
// figures of the metric engine, never in sums of its own: each figure is a
// built-in metric asked with a filter on the customer, inside the caller's
// data scope (metrics.Scope) and with the revenue credit, over a period
// that the answer names, so that a client drills into the same cell with
// POST /api/v1/metrics/drill. metrics.CustomerQueries says which.

// CustomerFigure is one figure of a customer: the metric, its value and
// the period (and as-of date) it was asked over.
type CustomerFigure struct {
	Metric string   `json:"metric" example:"signed_amount"`
	Label  string   `json:"label" example:"签约金额"`
	Unit   string   `json:"unit" example:"money"`
	Value  *float64 `json:"value" example:"1200000"`
	From   string   `json:"from" example:"2016-12-08"`
	To     string   `json:"to" example:"2026-12-08"`
	AsOf   string   `json:"as_of" example:"2026-12-07"`
}

// CustomerFigures are the figures of a customer's page.
type CustomerFigures struct {
	CustomerID cohort.ID `json:"customer_id"`
	// Today is the tenant's local date the periods were taken from.
	Today string `json:"today" example:"2026-12-07"`
	// Role is the business role whose credit the figures count (owner).
	Role    string           `json:"role" example:"owner"`
	Figures []CustomerFigure `json:"figures"`
	// LastFollowUp is the local date of the latest follow-up in the scope
	// in the ten years to today, "" for none (the last_followup_day metric).
	LastFollowUp string `json:"last_followup" example:"2026-11-30"`
}

// CustomerFigures answers the figures of a customer the caller may see (404
// otherwise), metrics.CustomerQueries: the opportunities open today and
// their amount (the board's stage entries in force, with or without an
// expected close date) and the weighted pipeline (those expected to close
// within five years either side of today), won opportunities, signed
// contracts and orders, payments collected, receivable and overdue today,
// tickets and those still open, over the ten years up to today; follow-ups
// in the last 90 days and the last follow-up. A group whose records the caller may not view (opportunities,
// contracts and orders, tickets) is left out.
func (s *Service) CustomerFigures(ctx context.Context, customerID cohort.ID) (*CustomerFigures, error) {
	p, err := s.visibleRecord(ctx, cohort.ObjCustomer, customerID, cohort.ActView)
	if err != nil {
		return nil, err
	}
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	out := &CustomerFigures{CustomerID: customerID, Today: env.Today.Format(time.DateOnly), Role: cohort.RoleOwner, Figures: []CustomerFigure{}}
	for _, q := range metrics.CustomerQueries(customerID, env.Today, func(kinds []cohort.ObjectType) bool { return canViewAny(p, kinds) }) {
		res, err := metrics.Run(ctx, s.db.Read(), env, q)
		if err != nil {
			return nil, err
		}
		for _, col := range res.Metrics {
			v := res.Total.Values[col.Name]
			if col.Name == metrics.CustomerLastFollowUp {
				if v != nil {
					out.LastFollowUp = metrics.DayDate(int64(*v))
				}
				continue
			}
			out.Figures = append(out.Figures, CustomerFigure{Metric: col.Name, Label: col.Label, Unit: col.Unit, Value: v,
				From: res.From, To: res.To, AsOf: res.AsOf})
		}
	}
	return out, nil
}

// canViewAny reports whether p may view records of one of kinds (true for
// none).
func canViewAny(p *cohort.Principal, kinds []cohort.ObjectType) bool {
	if len(kinds) == 0 || p.System {
		return true
	}
	for _, k := range kinds {
		if p.Permissions.Can(k, cohort.ActView) {
			return true
		}
	}
	return false
}
