package service

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// GoalSplitInput splits one cell's target into its children: along
// periods (a year into quarters, months or weeks, a quarter into months)
// or along subjects (a department into its sub-departments and people, the
// company into products, categories, regions or segments).
type GoalSplitInput struct {
	Subject string `json:"subject" openapi:"required" example:"department:1234"`
	Period  string `json:"period" openapi:"required" example:"FY2026"`
	// Along is periods or subjects.
	Along string `json:"along" openapi:"required" example:"periods"`
	// To is the period kind a period split ends at: quarter, month or week
	// (default: the rule's cycle). A year split into months sets the
	// quarters too, each the sum of its months.
	To string `json:"to" example:"month"`
	// Method is even, weights or last_year (the shape of last year's
	// actuals from the metric engine, the same periods or subjects a year
	// earlier).
	Method string `json:"method" openapi:"required" example:"even"`
	// Weights are percentages per child (period or subject key), adding
	// up to 100.
	Weights map[string]float64 `json:"weights"`
	// Children are the subjects of a subject split (default: the
	// subject's children in the grid; regions and segments must be named).
	Children []string `json:"children"`
	// DryRun previews the cells without writing them.
	DryRun bool `json:"dry_run" example:"true"`
}

// GoalSplitCell is one cell a split writes.
type GoalSplitCell struct {
	Subject string   `json:"subject"`
	Period  string   `json:"period"`
	Old     *float64 `json:"old"`
	New     float64  `json:"new"`
	Locked  bool     `json:"locked"`
}

// GoalSplitResult is a split's cells, written unless it was a dry run.
type GoalSplitResult struct {
	Total   float64         `json:"total"`
	Cells   []GoalSplitCell `json:"cells"`
	Applied bool            `json:"applied"`
}

// SplitGoal previews or applies a split. Everything is checked before
// anything is written: bad input is a 422 and a locked cell a 409, and then
// nothing changes.
func (s *Service) SplitGoal(ctx context.Context, ruleID cohort.ID, in GoalSplitInput) (*GoalSplitResult, error) {
	var w *goalWriter
	var err error
	if in.DryRun {
		_, err = require(ctx, cohort.ObjCustomer, cohort.ActView)
	} else {
		w, err = s.goalWriter(ctx, s.db.Read())
	}
	if err != nil {
		return nil, err
	}
	var out *GoalSplitResult
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		gc, err := s.goalContext(ctx, tx, ruleID, in.Children)
		if err != nil {
			return err
		}
		out, err = gc.split(ctx, tx, in)
		if err != nil || in.DryRun {
			return err
		}
		writes := make([]goalWrite, len(out.Cells))
		named := make([]goalTarget, len(out.Cells))
		for i, c := range out.Cells {
			x := c.New
			writes[i] = goalWrite{c.Subject, c.Period, &x}
			named[i] = goalTarget{c.Subject + "@" + c.Period, writes[i]}
		}
		if err := w.check(gc, named); err != nil {
			return err
		}
		if _, err := s.writeGoalCells(ctx, tx, gc, writes, "split"); err != nil {
			return err
		}
		out.Applied = true
		return nil
	})
	return out, err
}

func invalid(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &cohort.Error{Code: cohort.EINVALID, Message: field + ": " + msg, Fields: []cohort.FieldError{{Field: field, Message: msg}}}
}

func (gc *goalContext) split(ctx context.Context, q store.Queryer, in GoalSplitInput) (*GoalSplitResult, error) {
	var v cohort.Validation
	gc.checkCell(&v, "", in.Subject, in.Period)
	if in.Along != "periods" && in.Along != "subjects" {
		v.Add("along", "must be periods or subjects")
	}
	if !slices.Contains([]string{"even", "weights", "last_year"}, in.Method) {
		v.Add("method", "must be even, weights or last_year")
	}
	switch gc.unit {
	case metrics.UnitRatio, metrics.UnitDays, metrics.UnitHours:
		v.Add("along", "a target in %s does not add up over periods or subjects; set each cell", gc.unit)
	}
	if err := v.Err(); err != nil {
		// checkCell names ".subject"; the input's fields have no prefix.
		var ce *cohort.Error
		if e, ok := err.(*cohort.Error); ok {
			ce = e
			for i := range ce.Fields {
				ce.Fields[i].Field = strings.TrimPrefix(ce.Fields[i].Field, ".")
			}
		}
		return nil, err
	}
	tg := newTargets(gc.vals, gc.tree, gc.cal, gc.rule.Cycle)
	total := tg.of(in.Subject, in.Period)
	if total == nil {
		return nil, invalid("period", "%s has no target in %s to split; set it first", in.Subject, in.Period)
	}
	// The children and, for a year split into months, the quarters between.
	var children []string
	var quarters []string
	if in.Along == "periods" {
		per, fy, _ := gc.cal.parse(in.Period)
		to := in.To
		if to == "" {
			to = gc.rule.Cycle
		}
		kinds := periodKinds(gc.rule.Cycle)
		allowed := map[string][]string{"year": {"quarter", "month", "week"}, "quarter": {"month"}}[per.Kind]
		allowed = slices.DeleteFunc(slices.Clone(allowed), func(k string) bool { return !slices.Contains(kinds, k) })
		if !slices.Contains(allowed, to) {
			if len(allowed) == 0 {
				return nil, invalid("period", "a %s of a %s rule has no shorter periods to split into", per.Kind, gc.rule.Cycle)
			}
			return nil, invalid("to", "a %s of a %s rule splits into %s", per.Kind, gc.rule.Cycle, strings.Join(allowed, " or "))
		}
		for _, p := range gc.cal.yearPeriods(fy, gc.rule.Cycle) {
			if p.Kind == to && p.From >= per.From && p.To <= per.To || to == "week" && p.Kind == "week" && p.Parent == per.Key {
				children = append(children, p.Key)
			}
			if to == "month" && per.Kind == "year" && p.Kind == "quarter" {
				quarters = append(quarters, p.Key)
			}
		}
	} else {
		children = in.Children
		if len(children) == 0 {
			children = gc.tree.children[in.Subject]
		}
		for i, c := range children {
			if !gc.tree.validSubject(gc.rule, c) || c == in.Subject || (gc.tree.byKey[c] != nil && gc.tree.byKey[c].Parent != in.Subject) {
				v.Add(fmt.Sprintf("children[%d]", i), "%q is not a child of %s", c, in.Subject)
			}
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
	}
	if len(children) == 0 {
		return nil, invalid("along", "%s has no children along %s to split into", in.Subject, in.Along)
	}
	shares, err := gc.shares(ctx, q, in, children)
	if err != nil {
		return nil, err
	}
	amounts := distribute(*total, shares, gc.unit == metrics.UnitMoney || gc.unit == metrics.UnitCount)
	res := &GoalSplitResult{Total: *total, Cells: []GoalSplitCell{}}
	add := func(sub, per string, x float64) {
		res.Cells = append(res.Cells, GoalSplitCell{Subject: sub, Period: per, Old: gc.vals.get(sub, per), New: x, Locked: gc.locks.locked(gc.cal, per)})
	}
	for i, c := range children {
		if in.Along == "periods" {
			add(in.Subject, c, amounts[i])
		} else {
			add(c, in.Period, amounts[i])
		}
	}
	for _, qk := range quarters {
		var sum float64
		for i, c := range children {
			if gc.cal.timeParent(gc.rule.Cycle, c) == qk {
				sum += amounts[i]
			}
		}
		add(in.Subject, qk, sum)
	}
	return res, nil
}

// shares are the children's fractions of the total (adding up to 1).
func (gc *goalContext) shares(ctx context.Context, q store.Queryer, in GoalSplitInput, children []string) ([]float64, error) {
	n := len(children)
	out := make([]float64, n)
	switch in.Method {
	case "even":
		for i := range out {
			out[i] = 1 / float64(n)
		}
	case "weights":
		var v cohort.Validation
		sum := 0.0
		for k, w := range in.Weights {
			if !slices.Contains(children, k) {
				v.Add("weights."+k, "%q is not one of the children (%s)", k, strings.Join(children, ", "))
			}
			if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
				v.Add("weights."+k, "a weight is a percentage ≥ 0")
			}
			sum += w
		}
		for _, c := range children {
			if _, ok := in.Weights[c]; !ok {
				v.Add("weights."+c, "missing: give a weight for every child")
			}
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		if math.Abs(sum-100) > 0.01 {
			return nil, invalid("weights", "the weights add up to %g %%, not 100 %%", sum)
		}
		for i, c := range children {
			out[i] = in.Weights[c] / sum
		}
	case "last_year":
		var acts []float64
		if in.Along == "periods" {
			for _, c := range children {
				p, _, _ := gc.cal.parse(gc.cal.yearAgo(c))
				a, err := gc.actuals(ctx, q, []string{in.Subject}, p.From, p.To)
				if err != nil {
					return nil, err
				}
				acts = append(acts, deref(a[in.Subject]))
			}
		} else {
			p, _, _ := gc.cal.parse(gc.cal.yearAgo(in.Period))
			a, err := gc.actuals(ctx, q, children, p.From, p.To)
			if err != nil {
				return nil, err
			}
			for _, c := range children {
				acts = append(acts, deref(a[c]))
			}
		}
		sum := 0.0
		for _, a := range acts {
			sum += math.Max(a, 0)
		}
		if sum <= 0 {
			return nil, invalid("method", "last year's actual of these %s is 0; split evenly or by weights", in.Along)
		}
		for i, a := range acts {
			out[i] = math.Max(a, 0) / sum
		}
	}
	return out, nil
}

func deref(x *float64) float64 {
	if x == nil {
		return 0
	}
	return *x
}

// distribute splits total by shares. Whole units (money in minor units,
// counts) use the largest remainder, so the parts add up to the total
// exactly; earlier children win ties.
func distribute(total float64, shares []float64, whole bool) []float64 {
	out := make([]float64, len(shares))
	if !whole {
		for i, s := range shares {
			out[i] = math.Round(total*s*1e6) / 1e6
		}
		return out
	}
	type rem struct {
		i int
		r float64
	}
	var rems []rem
	left := math.Round(total)
	for i, s := range shares {
		x := total * s
		out[i] = math.Floor(x + 1e-9)
		left -= out[i]
		rems = append(rems, rem{i, x - out[i]})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r+1e-12 })
	for k := 0; left > 0 && k < len(rems); k++ {
		out[rems[k].i]++
		left--
	}
	return out
}
