package service

import (
	"context"
	"math"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// StageTotal is one column of the opportunity board: the open
// opportunities standing in a stage, counted and summed by the metric
// engine (opportunities_in_stage, amount_in_stage).
type StageTotal struct {
	Stage string `json:"stage" example:"proposal"`
	Count int64  `json:"count" example:"12"`
	// Amount is the sum of their amounts in minor units, as every money
	// metric sums them (currencies are not converted).
	Amount int64 `json:"amount" example:"360000000"`
}

// StageTotals are the column totals of the board of one sales process
// for a view, as of today in the tenant's zone.
type StageTotals struct {
	ProcessID cohort.ID    `json:"process_id"`
	View      string       `json:"view" example:"all"`
	AsOf      string       `json:"as_of" example:"2026-12-07"`
	Stages    []StageTotal `json:"stages"`
}

// StageTotalsFilter is what the board shows: a sales process (required),
// a list view, and optionally one owner or one customer.
type StageTotalsFilter struct {
	ProcessID  cohort.ID
	View       string
	OwnerID    cohort.ID
	CustomerID cohort.ID
}

// OpportunityStageTotals answers the board's column totals from the metric
// engine: the opportunities open today in each stage of the process, their
// number and amount, over exactly the records the board lists — the
// caller's record scope (owner, department or team membership) narrowed by
// the view and the filters — so a column's figures are those of its cards.
// The cards of a column are its drill-down (GET /api/v1/opportunities with
// the same view and filters and stage:eq:<stage>).
func (s *Service) OpportunityStageTotals(ctx context.Context, f StageTotalsFilter) (*StageTotals, error) {
	scope, p, err := s.opportunityView(ctx, f.View)
	if err != nil {
		return nil, err
	}
	if f.ProcessID == 0 {
		return nil, cohort.Errorf(cohort.EBADREQUEST, "process_id is required")
	}
	proc, err := store.FindProcess(ctx, s.db.Read(), p.Tenant.ID, f.ProcessID)
	if err != nil {
		return nil, err
	}
	if f.OwnerID != 0 {
		scope = store.And(scope, store.Where{SQL: "o.owner_id = ?", Args: []any{int64(f.OwnerID)}})
	}
	// The facts read are those of the open opportunities of the process
	// in scope (through facts_source): the cost follows the board, not the
	// history of every stage entry. Which are open and where they stand is
	// the engine's answer; a record outside this set has no stage entry
	// in force in the process.
	scope = store.And(store.Where{SQL: "o.tenant_id = ? AND o.process_id = ? AND o.status = 'open'",
		Args: []any{int64(p.Tenant.ID), int64(proc.ID)}}, scope)
	records := store.Where{SQL: "f.source_type = 'opportunity' AND f.source_id IN (SELECT o.id FROM opportunities o WHERE " + scope.SQL + ")",
		Args: scope.Args}
	loc := p.Tenant.Location()
	y, m, d := s.now().In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	env := metrics.Env{TenantID: p.Tenant.ID, FiscalYearStartMonth: p.Tenant.FiscalYearStartMonth, WeekStart: p.Tenant.WeekStart,
		Records: records, Lang: metricLang(p), Location: loc, Today: today}
	day := today.Format(time.DateOnly)
	q := metrics.Query{Metrics: []string{"opportunities_in_stage", "amount_in_stage"}, Dimensions: []string{"stage"},
		Filters: []metrics.Filter{{Dimension: "process", Values: []string{proc.ID.String()}}},
		From:    day, To: today.AddDate(0, 0, 1).Format(time.DateOnly), AsOf: day, RowsOnly: true}
	if f.CustomerID != 0 {
		q.Filters = append(q.Filters, metrics.Filter{Dimension: "customer", Values: []string{f.CustomerID.String()}})
	}
	res, err := metrics.Run(ctx, s.db.Read(), env, q)
	if err != nil {
		return nil, err
	}
	byStage := map[string]StageTotal{}
	for _, r := range res.Rows {
		byStage[r.Keys[0]] = StageTotal{Stage: r.Keys[0], Count: whole(r.Values["opportunities_in_stage"]), Amount: whole(r.Values["amount_in_stage"])}
	}
	view := f.View
	if view == "" {
		view = ViewAll
	}
	out := &StageTotals{ProcessID: proc.ID, View: view, AsOf: day, Stages: make([]StageTotal, 0, len(proc.Stages))}
	for _, st := range proc.Stages {
		t := byStage[st.Key]
		t.Stage = st.Key
		out.Stages = append(out.Stages, t)
	}
	return out, nil
}

// whole is an engine value that is a whole number (a count, minor units).
func whole(v *float64) int64 {
	if v == nil {
		return 0
	}
	return int64(math.Round(*v))
}
