package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
)

// The demo's goal rules, each set for the current fiscal year the way a
// sales director would in an afternoon: last year's actual (from the metric
// engine) plus growth, split into months in the shape of last year.
var demoRules = []struct {
	rule service.GoalRule
	// growth over last year's actual; floor is the least yearly target of
	// a subject, in the metric's unit (minor units of money).
	growth, floor, round float64
	// people limits person rules to salespeople (sales) or presales.
	people string
}{
	{service.GoalRule{Name: "签约金额（部门）", Metric: "signed_amount", SubjectType: "department", Cycle: "month"}, 1.2, 0, 1_000_000, ""},
	{service.GoalRule{Name: "签约金额（销售）", Metric: "signed_amount", SubjectType: "person", Cycle: "month"}, 1.15, 30_000_000, 100_000, "sales"},
	{service.GoalRule{Name: "支持签约（售前）", Metric: "signed_amount", Role: "presales", SubjectType: "person", Cycle: "quarter"}, 1.1, 20_000_000, 100_000, "presales"},
	{service.GoalRule{Name: "拜访客户", Metric: "visits", SubjectType: "person", Cycle: "month"}, 1.1, 96, 1, "sales"},
}

// Goals makes the demo's goal rules on the demo tenant tenantID (a demo
// created without them, e.g. by an earlier version), with a progress bar on
// progress when set.
func Goals(ctx context.Context, svc *service.Service, tenantID cohort.ID, progress io.Writer) error {
	sctx, err := svc.SystemContext(ctx, tenantID)
	if err != nil {
		return err
	}
	if rules, err := svc.GoalRules(sctx); err != nil {
		return err
	} else if len(rules) > 0 {
		return cohort.Errorf(cohort.ECONFLICT, "the demo tenant has %d goal rules already; nothing was changed", len(rules))
	}
	ppl, err := demoPeople(ctx, svc.DB(), tenantID)
	if err != nil {
		return err
	}
	units, err := store.ListDepartments(ctx, svc.DB().Read(), tenantID)
	if err != nil {
		return err
	}
	b := newBar(progress, "demo: goals", len(ppl.sales)*2+len(ppl.presales)+len(units))
	defer b.Done()
	return goals(sctx, svc, ppl, svc.Clock().Now(), b)
}

// goals makes the demo's goal rules and sets their targets for the fiscal
// year holding now: each subject's year from last year's actual, then the
// year split into the rule's periods by last year's shape (SplitGoal,
// method last_year; evenly where last year had nothing).
func goals(ctx context.Context, svc *service.Service, ppl people, now time.Time, b *bar) error {
	t := cohort.PrincipalFrom(ctx).Tenant
	start := max(1, min(12, t.FiscalYearStartMonth))
	fy := now.Year()
	if int(now.Month()) < start {
		fy--
	}
	year, last := fmt.Sprintf("FY%d", fy), fmt.Sprintf("FY%d", fy-1)
	who := map[string]map[cohort.ID]bool{"sales": {}, "presales": {}}
	for _, u := range ppl.sales {
		who["sales"][u.ID] = true
	}
	for _, u := range ppl.presales {
		who["presales"][u.ID] = true
	}
	for _, dr := range demoRules {
		r := dr.rule
		if err := svc.CreateGoalRule(ctx, &r); err != nil {
			return fmt.Errorf("demo: goal rule %s: %w", r.Name, err)
		}
		was, err := svc.GoalCompletion(ctx, r.ID, service.GoalCompletionQuery{Period: last})
		if err != nil {
			return fmt.Errorf("demo: goal rule %s: %w", r.Name, err)
		}
		var cells []service.GoalCellInput
		var subjects []string
		for _, row := range was.Rows {
			if row.Kind != r.SubjectType {
				continue
			}
			if dr.people != "" {
				var id cohort.ID
				if _, err := fmt.Sscanf(row.Subject, "person:%d", &id); err != nil || !who[dr.people][id] {
					continue
				}
			}
			v := dr.floor
			if row.Actual != nil {
				v = max(v, *row.Actual*dr.growth)
			}
			if v = math.Round(v/dr.round) * dr.round; v <= 0 {
				continue
			}
			raw, _ := json.Marshal(v)
			cells = append(cells, service.GoalCellInput{Subject: row.Subject, Period: year, Value: raw})
			subjects = append(subjects, row.Subject)
		}
		if _, err := svc.SetGoalValues(ctx, r.ID, service.GoalCellsInput{Cells: cells}); err != nil {
			return fmt.Errorf("demo: goal rule %s: %w", r.Name, err)
		}
		for _, s := range subjects {
			in := service.GoalSplitInput{Subject: s, Period: year, Along: "periods", To: r.Cycle, Method: "last_year"}
			if _, err := svc.SplitGoal(ctx, r.ID, in); err != nil {
				// A subject without last year's actuals has no shape.
				in.Method = "even"
				if _, err := svc.SplitGoal(ctx, r.ID, in); err != nil {
					return fmt.Errorf("demo: goal rule %s, %s: %w", r.Name, s, err)
				}
			}
			b.Add(1)
		}
	}
	return nil
}
