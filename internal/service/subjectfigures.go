package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// figureAsk is one batch of questions to the metric engine about goal
// subjects ("company", "department:<id>", "person:<id>", "product:<id>",
// "product_category:<id>", "region:<name>", "segment:<name>"): metrics
// with one role's credit and one set of filters over [From, To), per
// subject and, with a TimeDim (day, week, month), per bucket of it.
type figureAsk struct {
	Metrics  []string
	Role     string
	Filters  []metrics.Filter
	TimeDim  string
	From, To string
}

// figures are the answers: subject → bucket key ("" without a time
// dimension; the engine's labels with one: 2026-03-05, the week's first
// day, 2026-03) → metric → value. Without a time dimension every subject
// asked has every metric: 0 for an additive metric with no facts, null for
// a rate over nothing; with one, buckets without facts are absent.
type figures map[string]map[string]map[string]*float64

func (f figures) set(subject, bucket, metric string, v *float64) {
	if f[subject] == nil {
		f[subject] = map[string]map[string]*float64{}
	}
	if f[subject][bucket] == nil {
		f[subject][bucket] = map[string]*float64{}
	}
	f[subject][bucket][metric] = v
}

func (f figures) get(subject, bucket, metric string) *float64 { return f[subject][bucket][metric] }

// personsUnlisted is the number of people asked from which subjectFigures
// asks the engine for every person in one statement and keeps those asked,
// instead of listing them in the statement.
const personsUnlisted = 32

// subjectDims are the query dimensions of the subject kinds that are one.
var subjectDims = map[string]string{GoalPerson: "person", GoalProduct: "product", GoalProductCategory: "product_category", GoalRegion: "region", GoalSegment: "segment"}

// subjectFigures asks the engine, in env's scope: the company as the
// total; people, products, categories, regions and segments by their
// dimension, many in one statement; departments by their historic
// department, each with its sub-departments (the department dimension by
// subtrees: one statement for every department). Metrics go 30 to a
// statement and subjects as many as keep a statement under the engine's
// row limit.
func subjectFigures(ctx context.Context, q store.Queryer, env *metrics.Env, ask figureAsk, subjects []string) (figures, error) {
	out := figures{}
	byKind := map[string][]string{}
	for _, s := range subjects {
		kind, id, _ := strings.Cut(s, ":")
		if !slices.Contains(byKind[kind], id) {
			byKind[kind] = append(byKind[kind], id)
		}
	}
	buckets := 1
	if ask.TimeDim != "" {
		from, _ := time.Parse("2006-01-02", ask.From)
		to, _ := time.Parse("2006-01-02", ask.To)
		days := int(to.Sub(from).Hours()/24) + 1
		buckets = map[string]int{"day": days, "week": days/7 + 2, "month": days/28 + 2}[ask.TimeDim]
	}
	per := max(1, min(metrics.MaxValues, metrics.MaxRows/max(buckets, 1)))
	var depts []*cohort.Department
	if len(byKind[GoalDepartment]) > 0 {
		var err error
		if depts, err = store.ListDepartments(ctx, q, env.TenantID); err != nil {
			return nil, err
		}
	}
	for ms := range slices.Chunk(ask.Metrics, metrics.MaxMetrics) {
		base := metrics.Query{Metrics: ms, Role: ask.Role, From: ask.From, To: ask.To, Filters: slices.Clone(ask.Filters)}
		run := func(qq metrics.Query, key func(metrics.Row) (subject, bucket string)) (*metrics.Result, error) {
			if ask.TimeDim != "" {
				qq.Dimensions = append(slices.Clone(qq.Dimensions), ask.TimeDim)
			}
			res, err := metrics.Run(ctx, q, *env, qq)
			if err != nil {
				return nil, err
			}
			for _, r := range res.Rows {
				s, b := key(r)
				if s == "" {
					continue
				}
				for _, m := range ms {
					out.set(s, b, m, r.Values[m])
				}
			}
			return res, nil
		}
		// zeros gives each subject its value when the engine has no row
		// for it (without a time dimension).
		zeros := func(res *metrics.Result, subject string) {
			if ask.TimeDim != "" {
				return
			}
			zero := 0.0
			for _, m := range ms {
				if _, ok := out[subject][""][m]; !ok {
					out.set(subject, "", m, nullOrZero(res, m, &zero))
				}
			}
		}
		if len(byKind[GoalCompany]) > 0 || len(byKind[""]) > 0 {
			res, err := run(base, func(r metrics.Row) (string, string) {
				if len(r.Keys) == 0 {
					return GoalCompany, ""
				}
				return GoalCompany, r.Keys[0]
			})
			if err != nil {
				return nil, err
			}
			if ask.TimeDim == "" {
				for _, m := range ms {
					out.set(GoalCompany, "", m, res.Total.Values[m])
				}
			}
		}
		for kind, dim := range subjectDims {
			if kind == GoalPerson && len(byKind[kind]) >= personsUnlisted {
				// Many people: one statement by person without the list of
				// them (a long IN list SQLite parses and probes for every
				// row), the people not asked dropped here. Too many people
				// with facts for one answer: the lists below.
				asked := make(map[string]bool, len(byKind[kind]))
				for _, id := range byKind[kind] {
					asked[id] = true
				}
				qq := base
				qq.Dimensions = []string{dim}
				qq.RowsOnly = true
				res, err := run(qq, func(r metrics.Row) (string, string) {
					if !asked[r.Keys[0]] {
						return "", ""
					}
					return kind + ":" + r.Keys[0], rowBucket(r)
				})
				if err == nil {
					for _, id := range byKind[kind] {
						zeros(res, kind+":"+id)
					}
					continue
				}
				if !metrics.TooManyRows(err) {
					return nil, err
				}
			}
			for chunk := range slices.Chunk(byKind[kind], per) {
				qq := base
				qq.Dimensions = []string{dim}
				qq.Filters = append(slices.Clone(base.Filters), metrics.Filter{Dimension: dim, Values: chunk})
				qq.RowsOnly = true
				res, err := run(qq, func(r metrics.Row) (string, string) { return kind + ":" + r.Keys[0], rowBucket(r) })
				if err != nil {
					return nil, err
				}
				for _, id := range chunk {
					zeros(res, kind+":"+id)
				}
			}
		}
		if ids := byKind[GoalDepartment]; len(ids) > 0 && len(depts)*buckets > metrics.MaxRows {
			// A tree too large for one answer: one statement per parent
			// (the department dimension under a root groups by its
			// children, each with its subtree; the root's own facts, keyed
			// by the root, are not its subtree and are skipped).
			parents := map[cohort.ID]bool{}
			for _, id := range ids {
				if d := deptByIDString(depts, id); d != nil {
					parents[d.ParentID] = true
				}
			}
			keys := make([]cohort.ID, 0, len(parents))
			for p := range parents {
				keys = append(keys, p)
			}
			slices.Sort(keys)
			for _, p := range keys {
				qq := base
				qq.Dimensions = []string{"department"}
				qq.DepartmentRootID = ""
				if p != 0 {
					qq.DepartmentRootID = p.String()
				}
				qq.RowsOnly = true
				res, err := run(qq, func(r metrics.Row) (string, string) {
					if r.Keys[0] == p.String() {
						return "", ""
					}
					return "department:" + r.Keys[0], rowBucket(r)
				})
				if err != nil {
					return nil, err
				}
				for _, d := range depts {
					if d.ParentID == p {
						zeros(res, "department:"+d.ID.String())
					}
				}
			}
		} else if len(ids) > 0 {
			// One statement: the department dimension by subtrees groups
			// by every department, each with its whole subtree.
			qq := base
			qq.Dimensions = []string{"department"}
			qq.Subtrees, qq.RowsOnly = true, true
			res, err := run(qq, func(r metrics.Row) (string, string) { return "department:" + r.Keys[0], rowBucket(r) })
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				if deptByIDString(depts, id) != nil {
					zeros(res, "department:"+id)
				}
			}
		}
	}
	return out, nil
}

// rowBucket is a row's time key after its subject's ("" without one).
func rowBucket(r metrics.Row) string {
	if len(r.Keys) > 1 {
		return r.Keys[1]
	}
	return ""
}
