package service

// Goals (issue 9; docs/API.md "Goals"; METRICS.md "Goals"). A goal rule
// names what is measured (a metric of the engine and the business role
// earning its credit), for whom (the subject type), on which cycle and in
// which departments. Its values are set per subject and fiscal period;
// completion asks the metric engine, nothing is counted here.
//
// Who may do what: reading rules, values and completion takes customer:view
// (completion is computed inside the caller's data scope, like every
// metric); writing rules and locks takes tenant:administer until goals get
// an object type of their own; values, an administrator or the manager of
// the subjects' department (goalaccess.go).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// objGoalRule names goal rules in the audit log.
const objGoalRule cohort.ObjectType = "goal_rule"

// Subject types of a goal rule.
const (
	GoalCompany         = "company"
	GoalDepartment      = "department"
	GoalPerson          = "person"
	GoalProduct         = "product"
	GoalProductCategory = "product_category"
	GoalRegion          = "region"
	GoalSegment         = "segment"
)

// GoalSubjectTypes lists the subject types.
var GoalSubjectTypes = []string{GoalCompany, GoalDepartment, GoalPerson, GoalProduct, GoalProductCategory, GoalRegion, GoalSegment}

// Cycles of a goal rule: the finest period its values are set for.
var GoalCycles = []string{"year", "quarter", "month", "week"}

// GoalRule is a goal rule (目标规则).
type GoalRule struct {
	ID   cohort.ID `json:"id"`
	Name string    `json:"name" example:"签约金额（销售）"`
	// Metric is a metric of the engine, built-in or the tenant's.
	Metric string `json:"metric" example:"signed_amount"`
	// Role is the business role whose credit counts (owner = revenue
	// credit; presales counts what a person supported as presales).
	Role string `json:"role" example:"owner"`
	// SubjectType is company, department, person, product,
	// product_category, region or segment.
	SubjectType string `json:"subject_type" example:"department"`
	// Cycle is year, quarter, month or week, within the fiscal year.
	Cycle string `json:"cycle" example:"month"`
	// Departments the rule applies to (with their sub-departments); empty
	// is the whole company.
	Departments []cohort.ID `json:"departments"`
	// Filters narrow the facts counted, as in a metric query.
	Filters   []metrics.Filter `json:"filters"`
	Version   int              `json:"version"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// GoalRuleUpdate is what a PATCH of a goal rule may change.
type GoalRuleUpdate struct {
	Name        *string           `json:"name"`
	Metric      *string           `json:"metric"`
	Role        *string           `json:"role"`
	SubjectType *string           `json:"subject_type"`
	Cycle       *string           `json:"cycle"`
	Departments *[]cohort.ID      `json:"departments"`
	Filters     *[]metrics.Filter `json:"filters"`
}

const goalRuleCols = "id, name, metric, role, subject_type, cycle, departments, filters, version, created_at, updated_at"

func scanGoalRule(row interface{ Scan(...any) error }) (*GoalRule, error) {
	var r GoalRule
	var id, created, updated int64
	var depts, filters string
	if err := row.Scan(&id, &r.Name, &r.Metric, &r.Role, &r.SubjectType, &r.Cycle, &depts, &filters, &r.Version, &created, &updated); err != nil {
		return nil, err
	}
	r.ID, r.CreatedAt, r.UpdatedAt = cohort.ID(id), time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	if err := json.Unmarshal([]byte(depts), &r.Departments); err != nil {
		return nil, fmt.Errorf("goal rule %d departments: %w", id, err)
	}
	if err := json.Unmarshal([]byte(filters), &r.Filters); err != nil {
		return nil, fmt.Errorf("goal rule %d filters: %w", id, err)
	}
	if r.Departments == nil {
		r.Departments = []cohort.ID{}
	}
	if r.Filters == nil {
		r.Filters = []metrics.Filter{}
	}
	return &r, nil
}

func findGoalRule(ctx context.Context, q store.Queryer, tenant, id cohort.ID) (*GoalRule, error) {
	r, err := scanGoalRule(q.QueryRowContext(ctx, "SELECT "+goalRuleCols+" FROM goal_rules WHERE tenant_id = ? AND id = ?", int64(tenant), int64(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "goal rule not found")
	}
	return r, err
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// validateGoalRule checks r against the metric catalogue, the business
// roles and the departments. A metric every aggregate of which credits a
// fixed role (follow-ups: their author) can only be a goal of that credit:
// the rule names owner (the person the metric credits) and any other role
// is refused, as it could never earn anything.
func (s *Service) validateGoalRule(ctx context.Context, q store.Queryer, env *metrics.Env, r *GoalRule) error {
	var v cohort.Validation
	r.Name = strings.TrimSpace(r.Name)
	if n := utf8.RuneCountInString(r.Name); n == 0 || n > 100 {
		v.Add("name", "must be 1 to 100 characters")
	}
	if err := checkMetricCredit(ctx, q, env, &v, "", r.Metric, &r.Role); err != nil {
		return err
	}
	if !slices.Contains(GoalSubjectTypes, r.SubjectType) {
		v.Add("subject_type", "must be one of %s", strings.Join(GoalSubjectTypes, ", "))
	}
	if !slices.Contains(GoalCycles, r.Cycle) {
		v.Add("cycle", "must be one of %s", strings.Join(GoalCycles, ", "))
	}
	if r.Departments == nil {
		r.Departments = []cohort.ID{}
	}
	if r.Filters == nil {
		r.Filters = []metrics.Filter{}
	}
	if len(r.Departments) > 100 {
		v.Add("departments", "at most 100 departments")
	} else if len(r.Departments) > 0 {
		depts, err := store.ListDepartments(ctx, q, env.TenantID)
		if err != nil {
			return err
		}
		for i, id := range r.Departments {
			if !slices.ContainsFunc(depts, func(d *cohort.Department) bool { return d.ID == id }) {
				v.Add(fmt.Sprintf("departments[%d]", i), "no such department")
			}
		}
	}
	checkSubjectFilters(&v, "", r.Filters)
	if err := v.Err(); err != nil {
		return err
	}
	return checkMetricFilters(ctx, q, env, metrics.Query{Metrics: []string{r.Metric}, Role: r.Role, Filters: r.Filters})
}

// checkMetricCredit checks that metric is a metric of the engine and *role
// (owner when empty) a business role that can earn its credit, adding each
// problem to v under prefix+"metric" and prefix+"role".
func checkMetricCredit(ctx context.Context, q store.Queryer, env *metrics.Env, v *cohort.Validation, prefix, metric string, role *string) error {
	if *role == "" {
		*role = cohort.RoleOwner
	}
	roles, err := store.ListBusinessRoles(ctx, q, env.TenantID)
	if err != nil {
		return err
	}
	checkCredit(v, env, roles, metric, *role, prefix+"metric", prefix+"role")
	return nil
}

// checkCredit adds to v what is wrong with counting metric with
// role's credit: an unknown metric or business role, or a role that can
// never earn the metric's credit (see validateGoalRule).
func checkCredit(v *cohort.Validation, env *metrics.Env, roles []*cohort.BusinessRole, metric, role, metricField, roleField string) {
	if !slices.ContainsFunc(roles, func(b *cohort.BusinessRole) bool { return b.Key == role }) {
		v.Add(roleField, "%q is not a business role", role)
	}
	if _, err := metrics.Lookup(env, metric); err != nil || strings.HasSuffix(metric, "<stage>") {
		v.Add(metricField, "unknown metric %q; see GET /api/v1/metrics", metric)
	} else if credit, err := metrics.CreditOf(env, metric); err != nil {
		v.Add(metricField, "%v", err)
	} else if err := credit.Accepts(metric, role); err != nil {
		v.Add(roleField, "%v", err)
	}
}

// checkSubjectFilters refuses filters on the dimensions a goal's subject
// and period set.
func checkSubjectFilters(v *cohort.Validation, prefix string, filters []metrics.Filter) {
	for i, f := range filters {
		if f.Dimension == "department" || f.Dimension == "person" || slices.Contains([]string{"day", "week", "month", "quarter", "year", "fiscal_year"}, f.Dimension) {
			v.Add(fmt.Sprintf("%sfilters[%d].dimension", prefix, i), "%q is set by the goal's subject and period, not by a filter", f.Dimension)
		}
	}
}

// checkMetricFilters has the engine validate q (its metrics, filters and
// dimensions) on an empty day: a problem is its 422 naming the field.
func checkMetricFilters(ctx context.Context, q store.Queryer, env *metrics.Env, mq metrics.Query) error {
	if len(mq.Filters) == 0 && len(mq.Dimensions) == 0 {
		return nil
	}
	mq.From, mq.To = "2000-01-01", "2000-01-02"
	_, err := metrics.Run(ctx, q, *env, mq)
	var ce *cohort.Error
	if errors.As(err, &ce) && ce.Code == cohort.EINVALID {
		return ce
	}
	return err
}

// GoalRules lists the tenant's goal rules.
func (s *Service) GoalRules(ctx context.Context) ([]GoalRule, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+goalRuleCols+" FROM goal_rules WHERE tenant_id = ? ORDER BY name, id", int64(p.Tenant.ID))
	if err != nil {
		return nil, fmt.Errorf("list goal rules: %w", err)
	}
	defer rows.Close()
	out := []GoalRule{}
	for rows.Next() {
		r, err := scanGoalRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// FindGoalRule returns one goal rule.
func (s *Service) FindGoalRule(ctx context.Context, id cohort.ID) (*GoalRule, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return findGoalRule(ctx, s.db.Read(), p.Tenant.ID, id)
}

// CreateGoalRule creates a goal rule.
func (s *Service) CreateGoalRule(ctx context.Context, r *GoalRule) error {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return err
	}
	env, err := s.metricEnv(ctx)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := s.validateGoalRule(ctx, tx, &env, r); err != nil {
			return err
		}
		now := s.now()
		r.ID, r.Version, r.CreatedAt, r.UpdatedAt = cohort.ID(tx.DB().NewID()), 1, now, now
		if _, err := tx.ExecContext(ctx, "INSERT INTO goal_rules (tenant_id, "+goalRuleCols+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
			int64(p.Tenant.ID), int64(r.ID), r.Name, r.Metric, r.Role, r.SubjectType, r.Cycle, jsonText(r.Departments), jsonText(r.Filters),
			r.Version, now.UnixMilli(), now.UnixMilli()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", objGoalRule, r.ID, diff(nil, r))
	})
}

// UpdateGoalRule changes a goal rule; its values stay.
func (s *Service) UpdateGoalRule(ctx context.Context, id cohort.ID, upd GoalRuleUpdate, ifVersion int) (*GoalRule, error) {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return nil, err
	}
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	var out *GoalRule
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		prev, err := findGoalRule(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "goal rule"); err != nil {
			return err
		}
		r := *prev
		for _, f := range []struct{ to, from *string }{{&r.Name, upd.Name}, {&r.Metric, upd.Metric}, {&r.Role, upd.Role}, {&r.SubjectType, upd.SubjectType}, {&r.Cycle, upd.Cycle}} {
			if f.from != nil {
				*f.to = *f.from
			}
		}
		if upd.Departments != nil {
			r.Departments = *upd.Departments
		}
		if upd.Filters != nil {
			r.Filters = *upd.Filters
		}
		if err := s.validateGoalRule(ctx, tx, &env, &r); err != nil {
			return err
		}
		r.Version++
		r.UpdatedAt = s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE goal_rules SET name = ?, metric = ?, role = ?, subject_type = ?, cycle = ?, departments = ?, filters = ?,
			version = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`, r.Name, r.Metric, r.Role, r.SubjectType, r.Cycle, jsonText(r.Departments),
			jsonText(r.Filters), r.Version, r.UpdatedAt.UnixMilli(), int64(p.Tenant.ID), int64(id)); err != nil {
			return err
		}
		out = &r
		return s.audit(ctx, tx, "update", objGoalRule, id, diff(prev, &r))
	})
	return out, err
}

// DeleteGoalRule deletes a goal rule with its values, log and locks; a rule
// with a frozen period stays (its figures were closed).
func (s *Service) DeleteGoalRule(ctx context.Context, id cohort.ID) error {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		prev, err := findGoalRule(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM goal_locks WHERE tenant_id = ? AND rule_id = ? AND frozen IS NOT NULL",
			int64(p.Tenant.ID), int64(id)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return cohort.Errorf(cohort.ECONFLICT, "the rule has %d frozen period(s); unfreeze them first", n)
		}
		for _, t := range []string{"goal_bands", "goal_locks", "goal_value_changes", "goal_values"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE tenant_id = ? AND rule_id = ?", int64(p.Tenant.ID), int64(id)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM goal_rules WHERE tenant_id = ? AND id = ?", int64(p.Tenant.ID), int64(id)); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", objGoalRule, id, diff(prev, nil))
	})
}

// ---- Fiscal periods ----

// GoalPeriod is a period of a goal grid: a fiscal year (FY2026, the one
// starting in 2026), a fiscal quarter (FY2026-Q1), a calendar month
// (2026-04) or a week named by its first day (W2026-12-28). A week
// belongs to the fiscal year its first day is in.
type GoalPeriod struct {
	Key  string `json:"key"`
	Kind string `json:"kind"`
	// From and To are local dates, To excluded.
	From   string `json:"from"`
	To     string `json:"to"`
	Parent string `json:"parent"`
	Locked bool   `json:"locked"`
	Frozen bool   `json:"frozen"`
}

type goalCal struct{ fy, week int }

func tenantCal(t *cohort.Tenant) goalCal {
	c := goalCal{fy: t.FiscalYearStartMonth, week: t.WeekStart}
	if c.fy < 1 || c.fy > 12 {
		c.fy = 1
	}
	if c.week < 1 || c.week > 7 {
		c.week = 1
	}
	return c
}

func ymd(t time.Time) string { return t.Format("2006-01-02") }

func (c goalCal) yearStart(fy int) time.Time {
	return time.Date(fy, time.Month(c.fy), 1, 0, 0, 0, 0, time.UTC)
}

// fiscalYearOf is the fiscal year holding local date t.
func (c goalCal) fiscalYearOf(t time.Time) int {
	if int(t.Month()) < c.fy {
		return t.Year() - 1
	}
	return t.Year()
}

// firstWeek is the first day of the first week of fiscal year fy: the
// first week start on or after the year's first day.
func (c goalCal) firstWeek(fy int) time.Time {
	s := c.yearStart(fy)
	first := time.Weekday(c.week % 7)
	return s.AddDate(0, 0, (int(first)-int(s.Weekday())+7)%7)
}

// parse reads a period key; ok is false for anything else.
func (c goalCal) parse(key string) (p GoalPeriod, fy int, ok bool) {
	p.Key = key
	switch {
	case strings.HasPrefix(key, "FY") && len(key) == 6:
		y, err := strconv.Atoi(key[2:])
		if err != nil || y < 1971 || y > 9998 {
			return p, 0, false
		}
		s := c.yearStart(y)
		p.Kind, p.From, p.To = "year", ymd(s), ymd(s.AddDate(1, 0, 0))
		return p, y, true
	case strings.HasPrefix(key, "FY") && len(key) == 9 && key[6:8] == "-Q":
		y, err1 := strconv.Atoi(key[2:6])
		q, err2 := strconv.Atoi(key[8:])
		if err1 != nil || err2 != nil || q < 1 || q > 4 || y < 1971 || y > 9998 {
			return p, 0, false
		}
		s := c.yearStart(y).AddDate(0, 3*(q-1), 0)
		p.Kind, p.From, p.To, p.Parent = "quarter", ymd(s), ymd(s.AddDate(0, 3, 0)), fmt.Sprintf("FY%04d", y)
		return p, y, true
	case strings.HasPrefix(key, "W"):
		t, err := time.Parse("2006-01-02", key[1:])
		if err != nil || t.Year() < 1971 || t.Year() > 9998 || int(t.Weekday()) != c.week%7 {
			return p, 0, false
		}
		y := c.fiscalYearOf(t)
		p.Kind, p.From, p.To, p.Parent = "week", ymd(t), ymd(t.AddDate(0, 0, 7)), fmt.Sprintf("FY%04d", y)
		return p, y, true
	default:
		t, err := time.Parse("2006-01", key)
		if err != nil || len(key) != 7 || t.Year() < 1971 || t.Year() > 9998 {
			return p, 0, false
		}
		y := c.fiscalYearOf(t)
		q := (int(t.Month())-c.fy+12)%12/3 + 1
		p.Kind, p.From, p.To, p.Parent = "month", ymd(t), ymd(t.AddDate(0, 1, 0)), fmt.Sprintf("FY%04d-Q%d", y, q)
		return p, y, true
	}
}

// periodKinds are the period kinds a cycle's grid has.
func periodKinds(cycle string) []string {
	switch cycle {
	case "quarter":
		return []string{"year", "quarter"}
	case "month":
		return []string{"year", "quarter", "month"}
	case "week":
		return []string{"year", "week"}
	}
	return []string{"year"}
}

// timeParent is a period's parent in the cycle's grid: a week's is its
// fiscal year, a month's its quarter, a quarter's its year.
func (c goalCal) timeParent(cycle, key string) string {
	p, _, ok := c.parse(key)
	if !ok || !slices.Contains(periodKinds(cycle), p.Kind) {
		return ""
	}
	return p.Parent
}

// yearPeriods are fiscal year fy's periods in a cycle's grid, in display
// order: each quarter's months, then the quarter; weeks; the year last.
func (c goalCal) yearPeriods(fy int, cycle string) []GoalPeriod {
	var out []GoalPeriod
	add := func(k string) {
		p, _, _ := c.parse(k)
		out = append(out, p)
	}
	start := c.yearStart(fy)
	switch cycle {
	case "quarter", "month":
		for q := 0; q < 4; q++ {
			if cycle == "month" {
				for m := 0; m < 3; m++ {
					add(start.AddDate(0, 3*q+m, 0).Format("2006-01"))
				}
			}
			add(fmt.Sprintf("FY%04d-Q%d", fy, q+1))
		}
	case "week":
		end := c.yearStart(fy + 1)
		for w := c.firstWeek(fy); w.Before(end); w = w.AddDate(0, 0, 7) {
			add("W" + ymd(w))
		}
	}
	add(fmt.Sprintf("FY%04d", fy))
	return out
}

// timeChildren are the periods directly below key in the cycle's grid.
func (c goalCal) timeChildren(cycle, key string) []string {
	p, fy, ok := c.parse(key)
	if !ok {
		return nil
	}
	kinds := periodKinds(cycle)
	var want string
	switch {
	case p.Kind == "year" && slices.Contains(kinds, "quarter"):
		want = "quarter"
	case p.Kind == "year" && slices.Contains(kinds, "week"):
		want = "week"
	case p.Kind == "quarter" && slices.Contains(kinds, "month"):
		want = "month"
	default:
		return nil
	}
	var out []string
	for _, q := range c.yearPeriods(fy, cycle) {
		if q.Kind == want && q.Parent == key {
			out = append(out, q.Key)
		}
	}
	return out
}

// previousPeriods are the n periods of key's kind before key, oldest first.
func (c goalCal) previousPeriods(key string, n int) []string {
	p, _, _ := c.parse(key)
	from, _ := time.Parse("2006-01-02", p.From)
	var out []string
	for i := n; i >= 1; i-- {
		var k string
		switch p.Kind {
		case "year":
			k = fmt.Sprintf("FY%04d", c.fiscalYearOf(from)-i)
		case "quarter":
			s := from.AddDate(0, -3*i, 0)
			k = fmt.Sprintf("FY%04d-Q%d", c.fiscalYearOf(s), (int(s.Month())-c.fy+12)%12/3+1)
		case "month":
			k = from.AddDate(0, -i, 0).Format("2006-01")
		case "week":
			k = "W" + ymd(from.AddDate(0, 0, -7*i))
		}
		out = append(out, k)
	}
	return out
}

// yearAgo is the period a year before key (its fiscal twin).
func (c goalCal) yearAgo(key string) string {
	p, fy, _ := c.parse(key)
	from, _ := time.Parse("2006-01-02", p.From)
	switch p.Kind {
	case "year":
		return fmt.Sprintf("FY%04d", fy-1)
	case "quarter":
		return fmt.Sprintf("FY%04d%s", fy-1, key[6:])
	case "month":
		return from.AddDate(-1, 0, 0).Format("2006-01")
	}
	// A week: the week starting nearest a year earlier.
	return "W" + ymd(from.AddDate(0, 0, -364))
}
