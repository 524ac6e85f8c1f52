package service

// KPI scorecards (KPI 考核表; issue 9; docs/API.md "Scorecards"). A
// template is a named set of weighted items — a count (a metric with the
// business role earning its credit), a percentage (a rate metric, or a
// goal rule's completion rate), a time progress (completion against the
// period's elapsed time) or a score (entered by the manager) — each with a
// target and a scoring curve, for the people of some departments or listed
// people, on a month, quarter or year cycle of the fiscal year. A person's
// card of a period is computed from the metric engine (scorecardcards.go);
// freezing a period stores every card and never recomputes it.
//
// Who may do what: reading takes customer:view and shows the people of the
// caller's data scope, their figures inside it; writing templates and
// freezing take tenant:administer; manual scores take a manager (a data
// scope wider than their own, over the person) or an administrator.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// objScorecard names scorecard templates (and their periods' scores and
// freezes) in the audit log.
const objScorecard cohort.ObjectType = "scorecard_template"

// Item types of a scorecard.
const (
	ItemCount        = "count"
	ItemPercentage   = "percentage"
	ItemTimeProgress = "time_progress"
	ItemScore        = "score"
)

// ScorecardItemTypes lists the item types.
var ScorecardItemTypes = []string{ItemCount, ItemPercentage, ItemTimeProgress, ItemScore}

// ScorecardCycles are the cycles a template can run on.
var ScorecardCycles = []string{"month", "quarter", "year"}

// Scoring curves.
const (
	CurveLinear    = "linear"
	CurveSteps     = "steps"
	CurveThreshold = "threshold"
)

// Limits of a template.
const (
	maxScorecardItems = 30
	maxCurveSteps     = 10
	maxCurvePoints    = 500
	maxCurveRatio     = 5
	maxManualScore    = 1000
)

// ScoreStep is a band of a stepped curve: from this achievement on (1 =
// the target reached), the item earns Points.
type ScoreStep struct {
	From   float64 `json:"from" example:"0.8"`
	Points float64 `json:"points" example:"60"`
}

// ScoreCurve turns an item's achievement (value ÷ target) into points,
// 100 at the target. linear: 100 × achievement up to Cap (1.2 allows 120
// points); steps: the points of the highest band reached; threshold: 100
// at or above Floor, else 0. Floor, on any curve, gives 0 below it.
type ScoreCurve struct {
	Type  string      `json:"type" example:"linear"`
	Cap   *float64    `json:"cap,omitempty" example:"1.2"`
	Floor *float64    `json:"floor,omitempty" example:"0.5"`
	Steps []ScoreStep `json:"steps,omitempty"`
}

// ScorecardItem is one line of a template.
type ScorecardItem struct {
	// Key names the item in manual scores; made from the position when
	// empty, kept across edits.
	Key  string `json:"key" example:"visits"`
	Name string `json:"name" example:"拜访量"`
	// Type is count, percentage, time_progress or score.
	Type string `json:"type" example:"count"`
	// Metric is a metric of the engine (count, percentage and
	// time_progress items), credited to Role (default owner).
	Metric string `json:"metric,omitempty" example:"visits"`
	Role   string `json:"role,omitempty" example:"owner"`
	// GoalRuleID names a goal rule whose completion rate is the value
	// (percentage and time_progress items, instead of a metric).
	GoalRuleID cohort.ID `json:"goal_rule_id,omitempty"`
	// Weight is the item's share of the total, in per cent; a template's
	// weights add up to 100.
	Weight float64 `json:"weight" example:"30"`
	// Target is in the metric's unit (money in minor units, ratios as
	// fractions); for a goal rule's completion the rate aimed at (default
	// 1); for a score the highest score (default 100); a time progress on a
	// goal rule has none.
	Target *float64   `json:"target" example:"40"`
	Curve  ScoreCurve `json:"curve"`
}

// ScorecardTemplate is a KPI scorecard template (KPI 考核表).
type ScorecardTemplate struct {
	ID   cohort.ID `json:"id"`
	Name string    `json:"name" example:"销售月度考核"`
	// Cycle is month, quarter or year, in the tenant's fiscal year.
	Cycle string `json:"cycle" example:"month"`
	// Departments (with their sub-departments: the people now in them)
	// and People the template scores.
	Departments []cohort.ID     `json:"departments"`
	People      []cohort.ID     `json:"people"`
	Items       []ScorecardItem `json:"items"`
	Version     int             `json:"version"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// ScorecardTemplateUpdate is what a PATCH of a template may change; items
// are replaced whole.
type ScorecardTemplateUpdate struct {
	Name        *string          `json:"name"`
	Cycle       *string          `json:"cycle"`
	Departments *[]cohort.ID     `json:"departments"`
	People      *[]cohort.ID     `json:"people"`
	Items       *[]ScorecardItem `json:"items"`
}

const scorecardTemplateCols = "id, name, cycle, departments, people, items, version, created_at, updated_at"

func scanScorecardTemplate(row interface{ Scan(...any) error }) (*ScorecardTemplate, error) {
	var t ScorecardTemplate
	var id, created, updated int64
	var depts, people, items string
	if err := row.Scan(&id, &t.Name, &t.Cycle, &depts, &people, &items, &t.Version, &created, &updated); err != nil {
		return nil, err
	}
	t.ID, t.CreatedAt, t.UpdatedAt = cohort.ID(id), time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	for _, f := range []struct {
		text string
		to   any
	}{{depts, &t.Departments}, {people, &t.People}, {items, &t.Items}} {
		if err := json.Unmarshal([]byte(f.text), f.to); err != nil {
			return nil, fmt.Errorf("scorecard template %d: %w", id, err)
		}
	}
	if t.Departments == nil {
		t.Departments = []cohort.ID{}
	}
	if t.People == nil {
		t.People = []cohort.ID{}
	}
	if t.Items == nil {
		t.Items = []ScorecardItem{}
	}
	return &t, nil
}

func findScorecardTemplate(ctx context.Context, q store.Queryer, tenant, id cohort.ID) (*ScorecardTemplate, error) {
	t, err := scanScorecardTemplate(q.QueryRowContext(ctx, "SELECT "+scorecardTemplateCols+" FROM scorecard_templates WHERE tenant_id = ? AND id = ?", int64(tenant), int64(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "scorecard template not found")
	}
	return t, err
}

var itemKeyRE = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

func fptr(x float64) *float64 { return &x }

// validateScorecardTemplate checks t and fills its defaults: item keys,
// roles, targets and curve parameters.
func (s *Service) validateScorecardTemplate(ctx context.Context, q store.Queryer, env *metrics.Env, t *ScorecardTemplate) error {
	var v cohort.Validation
	t.Name = strings.TrimSpace(t.Name)
	if n := utf8.RuneCountInString(t.Name); n == 0 || n > 100 {
		v.Add("name", "must be 1 to 100 characters")
	}
	if !slices.Contains(ScorecardCycles, t.Cycle) {
		v.Add("cycle", "must be one of %s", strings.Join(ScorecardCycles, ", "))
	}
	if t.Departments == nil {
		t.Departments = []cohort.ID{}
	}
	if t.People == nil {
		t.People = []cohort.ID{}
	}
	switch {
	case len(t.Departments) == 0 && len(t.People) == 0:
		v.Add("departments", "name the departments or the people the template scores")
	case len(t.Departments) > 100:
		v.Add("departments", "at most 100 departments")
	case len(t.People) > metrics.MaxValues:
		v.Add("people", "at most %d people", metrics.MaxValues)
	}
	if len(t.Departments) > 0 && len(t.Departments) <= 100 {
		depts, err := store.ListDepartments(ctx, q, env.TenantID)
		if err != nil {
			return err
		}
		for i, id := range t.Departments {
			if deptByID(depts, id) == nil {
				v.Add(fmt.Sprintf("departments[%d]", i), "no such department")
			}
		}
	}
	if len(t.People) > 0 && len(t.People) <= metrics.MaxValues {
		known := map[cohort.ID]bool{}
		in := idsIn("id", t.People)
		rows, err := q.QueryContext(ctx, "SELECT id FROM users WHERE tenant_id = ? AND "+in.SQL, append([]any{int64(env.TenantID)}, in.Args...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			known[cohort.ID(id)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, id := range t.People {
			if !known[id] {
				v.Add(fmt.Sprintf("people[%d]", i), "no such person")
			}
		}
	}
	if t.Items == nil {
		t.Items = []ScorecardItem{}
	}
	if n := len(t.Items); n == 0 || n > maxScorecardItems {
		v.Add("items", "a template has 1 to %d items", maxScorecardItems)
	}
	roles, err := store.ListBusinessRoles(ctx, q, env.TenantID)
	if err != nil {
		return err
	}
	keys := map[string]bool{}
	for _, it := range t.Items {
		keys[it.Key] = true
	}
	sum := 0.0
	for i := range t.Items {
		it := &t.Items[i]
		f := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		if it.Key == "" {
			for n := i + 1; ; n++ {
				if k := fmt.Sprintf("k%d", n); !keys[k] {
					it.Key, keys[k] = k, true
					break
				}
			}
		}
		if !itemKeyRE.MatchString(it.Key) {
			v.Add(f("key"), "must be 1 to 40 of a-z, 0-9 and _")
		} else if slices.IndexFunc(t.Items, func(o ScorecardItem) bool { return o.Key == it.Key }) != i {
			v.Add(f("key"), "%q is used by another item", it.Key)
		}
		it.Name = strings.TrimSpace(it.Name)
		if n := utf8.RuneCountInString(it.Name); n == 0 || n > 100 {
			v.Add(f("name"), "must be 1 to 100 characters")
		}
		if it.Weight <= 0 || it.Weight > 100 {
			v.Add(f("weight"), "must be more than 0 and at most 100")
		}
		sum += it.Weight
		if err := s.validateItemSource(ctx, q, env, roles, t.Cycle, it, f, &v); err != nil {
			return err
		}
		validateCurve(&it.Curve, f, &v)
	}
	if len(t.Items) > 0 && math.Abs(sum-100) > 0.01 {
		v.Add("items", "the weights add up to %s, not 100", trimFloat(sum))
	}
	return v.Err()
}

// idsIn is "col IN (?, ...)" over ids.
func idsIn(col string, ids []cohort.ID) store.Where {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	return store.Where{SQL: col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")", Args: args}
}

func trimFloat(x float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", x), "0"), ".")
}

// validateItemSource checks what an item counts and its target.
func (s *Service) validateItemSource(ctx context.Context, q store.Queryer, env *metrics.Env, roles []*cohort.BusinessRole, cycle string,
	it *ScorecardItem, f func(string) string, v *cohort.Validation) error {
	positive := func(what string) {
		if it.Target == nil || *it.Target <= 0 {
			v.Add(f("target"), "%s: must be a number above 0", what)
		}
	}
	switch it.Type {
	case ItemScore:
		if it.Metric != "" || it.GoalRuleID != 0 || it.Role != "" {
			v.Add(f("type"), "a score is entered by the manager; it has no metric, role or goal rule")
		}
		if it.Target == nil {
			it.Target = fptr(100)
		}
		if *it.Target <= 0 || *it.Target > maxManualScore {
			v.Add(f("target"), "the highest score must be above 0 and at most %d", maxManualScore)
		}
		return nil
	case ItemCount, ItemPercentage, ItemTimeProgress:
	default:
		v.Add(f("type"), "must be one of %s", strings.Join(ScorecardItemTypes, ", "))
		return nil
	}
	if it.GoalRuleID != 0 {
		if it.Type == ItemCount {
			v.Add(f("goal_rule_id"), "a count counts a metric; a goal rule's completion is a percentage or a time progress")
			return nil
		}
		if it.Metric != "" {
			v.Add(f("metric"), "name a metric or a goal rule, not both")
			return nil
		}
		r, err := findGoalRule(ctx, q, env.TenantID, it.GoalRuleID)
		var ce *cohort.Error
		if errors.As(err, &ce) && ce.Code == cohort.ENOTFOUND {
			v.Add(f("goal_rule_id"), "no such goal rule")
			return nil
		}
		if err != nil {
			return err
		}
		if r.SubjectType != GoalPerson && r.SubjectType != GoalDepartment {
			v.Add(f("goal_rule_id"), "the goal rule sets targets per %s, not per person", r.SubjectType)
		} else if !slices.Contains(periodKinds(r.Cycle), cycle) {
			v.Add(f("goal_rule_id"), "the goal rule's %s cycle has no %s targets", r.Cycle, cycle)
		}
		if it.Role != "" && it.Role != r.Role {
			v.Add(f("role"), "the goal rule credits %s; leave the role empty", r.Role)
		}
		it.Role = r.Role
		if it.Type == ItemTimeProgress {
			if it.Target != nil {
				v.Add(f("target"), "a time progress on a goal rule takes the rule's targets; leave it empty")
			}
			return nil
		}
		if it.Target == nil {
			it.Target = fptr(1)
		}
		positive("the completion rate aimed at (1 = 100 %)")
		return nil
	}
	if it.Metric == "" {
		v.Add(f("metric"), "name a metric of GET /api/v1/metrics")
		return nil
	}
	if it.Role == "" {
		it.Role = cohort.RoleOwner
	}
	var mv cohort.Validation
	checkCredit(&mv, env, roles, it.Metric, it.Role, f("metric"), f("role"))
	var ce *cohort.Error
	if errors.As(mv.Err(), &ce) {
		for _, fe := range ce.Fields {
			v.Add(fe.Field, "%s", fe.Message)
		}
		return nil
	}
	m, _ := metrics.Lookup(env, it.Metric)
	switch {
	case it.Type == ItemPercentage && m.Unit != metrics.UnitRatio:
		v.Add(f("metric"), "%s is not a rate; a percentage item takes a rate metric (unit ratio) or a goal rule", it.Metric)
	case it.Type == ItemCount && m.Unit == metrics.UnitRatio:
		v.Add(f("metric"), "%s is a rate; make it a percentage item", it.Metric)
	case it.Type == ItemTimeProgress && !m.Additive:
		v.Add(f("metric"), "%s does not add up over days; a time progress takes a count or an amount", it.Metric)
	}
	positive("the target, in the metric's unit")
	if m.Unit == metrics.UnitMoney && it.Target != nil && *it.Target != math.Trunc(*it.Target) {
		v.Add(f("target"), "money is in whole minor units (fen)")
	}
	return nil
}

// validateCurve checks a scoring curve and fills its defaults (linear, a
// cap of 1; a threshold at the target).
func validateCurve(c *ScoreCurve, f func(string) string, v *cohort.Validation) {
	if c.Type == "" {
		c.Type = CurveLinear
	}
	if c.Floor != nil && (*c.Floor < 0 || *c.Floor > maxCurveRatio) {
		v.Add(f("curve.floor"), "must be 0 to %d (an achievement: 1 = the target)", maxCurveRatio)
	}
	switch c.Type {
	case CurveLinear:
		if c.Cap == nil {
			c.Cap = fptr(1)
		}
		if *c.Cap < 1 || *c.Cap > maxCurveRatio {
			v.Add(f("curve.cap"), "must be 1 to %d (1.2 allows 120 points)", maxCurveRatio)
		} else if c.Floor != nil && *c.Floor >= *c.Cap {
			v.Add(f("curve.floor"), "must be below the cap")
		}
		if len(c.Steps) > 0 {
			v.Add(f("curve.steps"), "only a steps curve has steps")
		}
	case CurveSteps:
		if c.Cap != nil {
			v.Add(f("curve.cap"), "a steps curve has no cap; its highest step is its maximum")
		}
		if n := len(c.Steps); n == 0 || n > maxCurveSteps {
			v.Add(f("curve.steps"), "a steps curve has 1 to %d steps", maxCurveSteps)
		}
		for i, st := range c.Steps {
			g := func(name string) string { return f(fmt.Sprintf("curve.steps[%d].%s", i, name)) }
			if st.From < 0 || st.From > maxCurveRatio {
				v.Add(g("from"), "must be 0 to %d (an achievement: 1 = the target)", maxCurveRatio)
			} else if i > 0 && st.From <= c.Steps[i-1].From {
				v.Add(g("from"), "the steps must start at increasing achievements")
			}
			if st.Points < 0 || st.Points > maxCurvePoints {
				v.Add(g("points"), "must be 0 to %d", maxCurvePoints)
			} else if i > 0 && st.Points < c.Steps[i-1].Points {
				v.Add(g("points"), "a higher step cannot earn fewer points")
			}
		}
	case CurveThreshold:
		if c.Cap != nil {
			v.Add(f("curve.cap"), "a threshold curve has no cap: it gives 100 points at its floor")
		}
		if len(c.Steps) > 0 {
			v.Add(f("curve.steps"), "only a steps curve has steps")
		}
		if c.Floor == nil {
			c.Floor = fptr(1)
		} else if *c.Floor == 0 {
			v.Add(f("curve.floor"), "a threshold above 0")
		}
	default:
		v.Add(f("curve.type"), "must be linear, steps or threshold")
	}
}

// ScorecardTemplates lists the tenant's templates.
func (s *Service) ScorecardTemplates(ctx context.Context) ([]ScorecardTemplate, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+scorecardTemplateCols+" FROM scorecard_templates WHERE tenant_id = ? ORDER BY name, id", int64(p.Tenant.ID))
	if err != nil {
		return nil, fmt.Errorf("list scorecard templates: %w", err)
	}
	defer rows.Close()
	out := []ScorecardTemplate{}
	for rows.Next() {
		t, err := scanScorecardTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// FindScorecardTemplate returns one template.
func (s *Service) FindScorecardTemplate(ctx context.Context, id cohort.ID) (*ScorecardTemplate, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return findScorecardTemplate(ctx, s.db.Read(), p.Tenant.ID, id)
}

// CreateScorecardTemplate creates a template.
func (s *Service) CreateScorecardTemplate(ctx context.Context, t *ScorecardTemplate) error {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return err
	}
	env, err := s.metricEnv(ctx)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := s.validateScorecardTemplate(ctx, tx, &env, t); err != nil {
			return err
		}
		now := s.now()
		t.ID, t.Version, t.CreatedAt, t.UpdatedAt = cohort.ID(tx.DB().NewID()), 1, now, now
		if _, err := tx.ExecContext(ctx, "INSERT INTO scorecard_templates (tenant_id, "+scorecardTemplateCols+") VALUES (?,?,?,?,?,?,?,?,?,?)",
			int64(p.Tenant.ID), int64(t.ID), t.Name, t.Cycle, jsonText(t.Departments), jsonText(t.People), jsonText(t.Items),
			t.Version, now.UnixMilli(), now.UnixMilli()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", objScorecard, t.ID, diff(nil, t))
	})
}

func frozenPeriods(ctx context.Context, q store.Queryer, tenant, id cohort.ID) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT period FROM scorecard_freezes WHERE tenant_id = ? AND template_id = ? ORDER BY period", int64(tenant), int64(id))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UpdateScorecardTemplate changes a template. Frozen periods keep the
// cards they were frozen with; the cycle cannot change while one exists.
func (s *Service) UpdateScorecardTemplate(ctx context.Context, id cohort.ID, upd ScorecardTemplateUpdate, ifVersion int) (*ScorecardTemplate, error) {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return nil, err
	}
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	var out *ScorecardTemplate
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		prev, err := findScorecardTemplate(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "scorecard template"); err != nil {
			return err
		}
		t := *prev
		if upd.Name != nil {
			t.Name = *upd.Name
		}
		if upd.Cycle != nil {
			t.Cycle = *upd.Cycle
		}
		if upd.Departments != nil {
			t.Departments = *upd.Departments
		}
		if upd.People != nil {
			t.People = *upd.People
		}
		if upd.Items != nil {
			t.Items = *upd.Items
		}
		if err := s.validateScorecardTemplate(ctx, tx, &env, &t); err != nil {
			return err
		}
		if t.Cycle != prev.Cycle {
			frozen, err := frozenPeriods(ctx, tx, p.Tenant.ID, id)
			if err != nil {
				return err
			}
			if len(frozen) > 0 {
				return cohort.Errorf(cohort.ECONFLICT, "the template has frozen periods (%s); unfreeze them before changing its cycle", strings.Join(frozen, ", "))
			}
		}
		t.Version++
		t.UpdatedAt = s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE scorecard_templates SET name = ?, cycle = ?, departments = ?, people = ?, items = ?, version = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, t.Name, t.Cycle, jsonText(t.Departments), jsonText(t.People), jsonText(t.Items), t.Version,
			t.UpdatedAt.UnixMilli(), int64(p.Tenant.ID), int64(id)); err != nil {
			return err
		}
		out = &t
		return s.audit(ctx, tx, "update", objScorecard, id, diff(prev, &t))
	})
	return out, err
}

// DeleteScorecardTemplate deletes a template with its manual scores; one
// with a frozen period stays (its scores were closed).
func (s *Service) DeleteScorecardTemplate(ctx context.Context, id cohort.ID, ifVersion int) error {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		prev, err := findScorecardTemplate(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "scorecard template"); err != nil {
			return err
		}
		frozen, err := frozenPeriods(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if len(frozen) > 0 {
			return cohort.Errorf(cohort.ECONFLICT, "the template has frozen periods (%s); unfreeze them first", strings.Join(frozen, ", "))
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM scorecard_scores WHERE tenant_id = ? AND template_id = ?", int64(p.Tenant.ID), int64(id)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM scorecard_templates WHERE tenant_id = ? AND id = ?", int64(p.Tenant.ID), int64(id)); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", objScorecard, id, diff(prev, nil))
	})
}
