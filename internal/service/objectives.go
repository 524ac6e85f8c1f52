package service

// Objectives and key results (OKR), strategies and actions — 目标 → 策略 →
// 行动 (issue 9; docs/API.md "Objectives and key results"). An objective
// belongs to a person, a department or the company for a fiscal period
// and breaks into key results (a metric of the engine with a role and a
// target, a goal rule's subject, or a score the owner sets) and strategies
// (each acting on a factor of revenue = opportunities × conversion rate ×
// average order value ÷ cycle) with their actions (a quota of a metric per
// day, week, month or period, or a task ticked by hand). Nothing computed
// is stored: objectivetree.go asks the metric engine.
//
// Who may do what: objectives follow the customer permissions. A caller
// reads the objectives whose owner is inside their customer:view data
// scope — a person of the scope; a department that the department scopes
// reach (their department, or its tree); the company only with the scope
// "all" — and changes those inside their customer:edit scope; tenant
// administrators reach every one. A salesperson (scope own) reads and
// changes their own; a manager (department and children) their
// department's tree. An objective out of reach is not found; one the
// caller reads but may not change is forbidden.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// Object types of the audit log.
const (
	objObjective cohort.ObjectType = "objective"
	objKeyResult cohort.ObjectType = "key_result"
	objStrategy  cohort.ObjectType = "objective_strategy"
	objAction    cohort.ObjectType = "objective_action"
)

// Kinds of key results.
const (
	KRMetric = "metric" // a metric of the engine with a role and a target
	KRGoal   = "goal"   // a goal rule's subject: its target and actual
	KRSelf   = "self"   // a score from 0 to 1 the owner sets
)

// KRKinds lists the kinds of key results.
var KRKinds = []string{KRMetric, KRGoal, KRSelf}

// Directions of a metric key result.
const (
	DirIncrease = "increase" // at least the target
	DirDecrease = "decrease" // at most the target (a cycle, complaints)
)

// Factors of the performance formula revenue = opportunities × conversion
// rate × average order value ÷ cycle (the gap diagnosis's), each with the
// metric shown for it; the order value is that of the signed amount.
var (
	Factors       = []string{FactorOpportunities, FactorConversion, FactorOrderValue, FactorCycle}
	factorMetrics = map[string]string{FactorOpportunities: metricNewOpps, FactorConversion: metricWinRate,
		FactorOrderValue: diagnosable["signed_amount"], FactorCycle: metricCycle}
)

// Kinds and cadences of actions.
const (
	ActionQuota  = "quota"  // counted from facts: a metric per cadence
	ActionManual = "manual" // ticked by hand
)

// Cadences lists the cadences of a quota: per day, week (the tenant's
// weeks), month, or once for the whole period.
var Cadences = []string{"day", "week", "month", "period"}

// Limits of an objective.
const (
	maxKeyResults = 20
	maxStrategies = 12
	maxActions    = 20 // per strategy
)

// Objective is an objective (目标).
type Objective struct {
	ID          cohort.ID `json:"id"`
	Title       string    `json:"title" example:"拿下华东大客户市场"`
	Description string    `json:"description"`
	// Owner is "person:<id>", "department:<id>" or "company".
	Owner     string `json:"owner" example:"person:7302115418349862913"`
	OwnerName string `json:"owner_name"`
	// Period is a fiscal year, quarter or month: FY2026, FY2026-Q1, 2026-04.
	Period    string    `json:"period" example:"FY2026-Q1"`
	CreatedBy cohort.ID `json:"created_by"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ObjectiveInput creates an objective; the owner defaults to the caller.
type ObjectiveInput struct {
	Title       string `json:"title" openapi:"required" example:"拿下华东大客户市场"`
	Description string `json:"description"`
	Owner       string `json:"owner" example:"person:7302115418349862913"`
	Period      string `json:"period" openapi:"required" example:"FY2026-Q1"`
}

// ObjectiveUpdate is what a PATCH of an objective may change.
type ObjectiveUpdate struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Owner       *string `json:"owner"`
	Period      *string `json:"period"`
}

// KeyResult is a key result (关键结果).
type KeyResult struct {
	ID          cohort.ID `json:"id"`
	ObjectiveID cohort.ID `json:"objective_id"`
	Position    int       `json:"position"`
	Title       string    `json:"title" example:"签约金额 50 万"`
	// Kind is metric, goal or self.
	Kind string `json:"kind" example:"metric"`
	// Weight in the objective's score (> 0).
	Weight float64 `json:"weight" example:"1"`
	// Metric, Role, Filters, Target and Direction: a metric key result.
	Metric    string           `json:"metric" example:"signed_amount"`
	Role      string           `json:"role" example:"owner"`
	Filters   []metrics.Filter `json:"filters"`
	Target    *float64         `json:"target" example:"50000000"`
	Direction string           `json:"direction" example:"increase"`
	// GoalRuleID and GoalSubject: a goal key result.
	GoalRuleID  cohort.ID `json:"goal_rule_id"`
	GoalSubject string    `json:"goal_subject"`
	// SelfScore (0–1) and SelfNote: a self-assessed key result, with who
	// set them and when.
	SelfScore  *float64   `json:"self_score"`
	SelfNote   string     `json:"self_note"`
	AssessedBy cohort.ID  `json:"assessed_by"`
	AssessedAt *time.Time `json:"assessed_at"`
	Version    int        `json:"version"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// KeyResultInput creates a key result; PATCH takes the same fields, each
// optional.
type KeyResultInput struct {
	Title       *string           `json:"title" example:"签约金额 50 万"`
	Kind        *string           `json:"kind" example:"metric"`
	Weight      *float64          `json:"weight" example:"1"`
	Metric      *string           `json:"metric" example:"signed_amount"`
	Role        *string           `json:"role" example:"owner"`
	Filters     *[]metrics.Filter `json:"filters"`
	Target      *float64          `json:"target" example:"50000000"`
	Direction   *string           `json:"direction" example:"increase"`
	GoalRuleID  *cohort.ID        `json:"goal_rule_id"`
	GoalSubject *string           `json:"goal_subject"`
	// SelfScore: a score from 0 to 1; in a PATCH, null clears it back to
	// "not assessed".
	SelfScore *float64 `json:"self_score" example:"0.7"`
	SelfNote  *string  `json:"self_note"`
	Position  *int     `json:"position"`
	// ClearSelfScore is set when the body names self_score as null.
	ClearSelfScore bool `json:"-"`
}

// UnmarshalJSON reads the input as encoding/json does (unknown fields
// refused) and reads a null self_score as "clear it", which a plain
// pointer cannot tell from an absent field.
func (in *KeyResultInput) UnmarshalJSON(b []byte) error {
	type plain KeyResultInput
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode((*plain)(in)); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if v, ok := raw["self_score"]; ok && string(bytes.TrimSpace(v)) == "null" {
		in.ClearSelfScore = true
	}
	return nil
}

// Strategy is a strategy (策略) acting on a factor of the formula.
type Strategy struct {
	ID          cohort.ID `json:"id"`
	ObjectiveID cohort.ID `json:"objective_id"`
	Position    int       `json:"position"`
	Title       string    `json:"title" example:"多拜访老客户，挖掘新商机"`
	// Factor is opportunities, conversion, order_value or cycle.
	Factor    string    `json:"factor" example:"opportunities"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StrategyInput creates a strategy; PATCH takes the same fields, each
// optional.
type StrategyInput struct {
	Title    *string `json:"title" example:"多拜访老客户，挖掘新商机"`
	Factor   *string `json:"factor" example:"opportunities"`
	Position *int    `json:"position"`
}

// Action is an action (行动) under a strategy.
type Action struct {
	ID          cohort.ID `json:"id"`
	ObjectiveID cohort.ID `json:"objective_id"`
	StrategyID  cohort.ID `json:"strategy_id"`
	Position    int       `json:"position"`
	Title       string    `json:"title" example:"每天拜访 4 家客户"`
	// Kind is quota or manual.
	Kind string `json:"kind" example:"quota"`
	// Metric, Filters, Quota and Cadence: a quota counted from facts.
	Metric  string           `json:"metric" example:"visits"`
	Filters []metrics.Filter `json:"filters"`
	Quota   *float64         `json:"quota" example:"4"`
	Cadence string           `json:"cadence" example:"day"`
	// Done, DoneBy and DoneAt: a manual action ticked.
	Done      bool       `json:"done"`
	DoneBy    cohort.ID  `json:"done_by"`
	DoneAt    *time.Time `json:"done_at"`
	Version   int        `json:"version"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// ActionInput creates an action; PATCH takes the same fields, each
// optional (done ticks a manual action).
type ActionInput struct {
	Title    *string           `json:"title" example:"每天拜访 4 家客户"`
	Kind     *string           `json:"kind" example:"quota"`
	Metric   *string           `json:"metric" example:"visits"`
	Filters  *[]metrics.Filter `json:"filters"`
	Quota    *float64          `json:"quota" example:"4"`
	Cadence  *string           `json:"cadence" example:"day"`
	Done     *bool             `json:"done"`
	Position *int              `json:"position"`
}

// ---- Reach: whose objectives a caller reads and changes ----

// okrReach is the owners a caller reaches: every one, or these people and
// departments.
type okrReach struct {
	all   bool
	users map[cohort.ID]bool
	depts map[cohort.ID]bool
}

func (r *okrReach) reaches(owner string) bool {
	if r.all {
		return true
	}
	kind, id, _ := strings.Cut(owner, ":")
	n, err := cohort.ParseID(id)
	if err != nil {
		return false
	}
	switch kind {
	case GoalPerson:
		return r.users[n]
	case GoalDepartment:
		return r.depts[n]
	}
	return false
}

// okrReachOf is the reach of the caller's customer scope for act (view or
// edit).
func (s *Service) okrReachOf(ctx context.Context, q store.Queryer, act cohort.Action) (*okrReach, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if isAdmin(p) {
		return &okrReach{all: true}, nil
	}
	a, err := s.Access(ctx, cohort.ObjCustomer, act)
	if err != nil {
		return nil, err
	}
	if a.Scope == cohort.ScopeAll {
		return &okrReach{all: true}, nil
	}
	r := &okrReach{users: map[cohort.ID]bool{}, depts: map[cohort.ID]bool{}}
	w := store.AccessWhere(a, "u.id", "u.department_id")
	rows, err := q.QueryContext(ctx, "SELECT u.id FROM users u WHERE u.tenant_id = ? AND "+w.SQL, append([]any{int64(a.TenantID)}, w.Args...)...)
	if err != nil {
		return nil, fmt.Errorf("objective scope: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		r.users[cohort.ID(id)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	r.users[a.UserID] = true
	if dw, ok := store.AccessDepartments(a); ok {
		drows, err := q.QueryContext(ctx, dw.SQL, dw.Args...)
		if err != nil {
			return nil, fmt.Errorf("objective scope: %w", err)
		}
		defer drows.Close()
		for drows.Next() {
			var id int64
			if err := drows.Scan(&id); err != nil {
				return nil, err
			}
			r.depts[cohort.ID(id)] = true
		}
		if err := drows.Err(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// ---- Storage ----

const objectiveCols = "id, title, description, owner, period, created_by, version, created_at, updated_at"

func scanObjective(row interface{ Scan(...any) error }) (*Objective, error) {
	var o Objective
	var id, created, updated int64
	var by sql.NullInt64
	if err := row.Scan(&id, &o.Title, &o.Description, &o.Owner, &o.Period, &by, &o.Version, &created, &updated); err != nil {
		return nil, err
	}
	o.ID, o.CreatedBy, o.CreatedAt, o.UpdatedAt = cohort.ID(id), cohort.ID(by.Int64), time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return &o, nil
}

func findObjective(ctx context.Context, q store.Queryer, tenant, id cohort.ID) (*Objective, error) {
	o, err := scanObjective(q.QueryRowContext(ctx, "SELECT "+objectiveCols+" FROM objectives WHERE tenant_id = ? AND id = ?", int64(tenant), int64(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "objective not found")
	}
	return o, err
}

const keyResultCols = `id, objective_id, position, title, kind, weight, metric, role, filters, target, direction, goal_rule_id, goal_subject,
	self_score, self_note, assessed_by, assessed_at, version, created_at, updated_at`

func scanKeyResult(row interface{ Scan(...any) error }) (*KeyResult, error) {
	var k KeyResult
	var id, obj, created, updated int64
	var filters string
	var target, score sql.NullFloat64
	var rule, by, at sql.NullInt64
	if err := row.Scan(&id, &obj, &k.Position, &k.Title, &k.Kind, &k.Weight, &k.Metric, &k.Role, &filters, &target, &k.Direction, &rule, &k.GoalSubject,
		&score, &k.SelfNote, &by, &at, &k.Version, &created, &updated); err != nil {
		return nil, err
	}
	k.ID, k.ObjectiveID, k.GoalRuleID, k.AssessedBy = cohort.ID(id), cohort.ID(obj), cohort.ID(rule.Int64), cohort.ID(by.Int64)
	k.CreatedAt, k.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	k.Target, k.SelfScore, k.AssessedAt = nullFloat(target), nullFloat(score), nullTime(at)
	if err := json.Unmarshal([]byte(filters), &k.Filters); err != nil {
		return nil, fmt.Errorf("key result %d filters: %w", id, err)
	}
	if k.Filters == nil {
		k.Filters = []metrics.Filter{}
	}
	return &k, nil
}

const strategyCols = "id, objective_id, position, title, factor, version, created_at, updated_at"

func scanStrategy(row interface{ Scan(...any) error }) (*Strategy, error) {
	var st Strategy
	var id, obj, created, updated int64
	if err := row.Scan(&id, &obj, &st.Position, &st.Title, &st.Factor, &st.Version, &created, &updated); err != nil {
		return nil, err
	}
	st.ID, st.ObjectiveID, st.CreatedAt, st.UpdatedAt = cohort.ID(id), cohort.ID(obj), time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return &st, nil
}

const actionCols = "id, objective_id, strategy_id, position, title, kind, metric, filters, quota, cadence, done_by, done_at, version, created_at, updated_at"

func scanAction(row interface{ Scan(...any) error }) (*Action, error) {
	var a Action
	var id, obj, st, created, updated int64
	var filters string
	var quota sql.NullFloat64
	var by, at sql.NullInt64
	if err := row.Scan(&id, &obj, &st, &a.Position, &a.Title, &a.Kind, &a.Metric, &filters, &quota, &a.Cadence, &by, &at, &a.Version, &created, &updated); err != nil {
		return nil, err
	}
	a.ID, a.ObjectiveID, a.StrategyID, a.DoneBy = cohort.ID(id), cohort.ID(obj), cohort.ID(st), cohort.ID(by.Int64)
	a.CreatedAt, a.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	a.Quota, a.DoneAt, a.Done = nullFloat(quota), nullTime(at), at.Valid
	if err := json.Unmarshal([]byte(filters), &a.Filters); err != nil {
		return nil, fmt.Errorf("action %d filters: %w", id, err)
	}
	if a.Filters == nil {
		a.Filters = []metrics.Filter{}
	}
	return &a, nil
}

func nullFloat(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}

func nullTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMilli(v.Int64).UTC()
	return &t
}

func idOrNil(id cohort.ID) any {
	if id == 0 {
		return nil
	}
	return int64(id)
}

func msOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// listChildren reads the rows of table (key_results, objective_strategies
// or objective_actions) of the objectives ids, in their order.
func listChildren[T any](ctx context.Context, q store.Queryer, tenant cohort.ID, table, cols string, ids []cohort.ID, scan func(interface{ Scan(...any) error }) (*T, error)) ([]*T, error) {
	var out []*T
	for chunk := range slices.Chunk(ids, 500) {
		args := []any{int64(tenant)}
		for _, id := range chunk {
			args = append(args, int64(id))
		}
		order := "objective_id, position, id"
		if table == "objective_actions" {
			order = "objective_id, strategy_id, position, id"
		}
		rows, err := q.QueryContext(ctx, "SELECT "+cols+" FROM "+table+" WHERE tenant_id = ? AND objective_id IN (?"+strings.Repeat(",?", len(chunk)-1)+") ORDER BY "+order, args...)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", table, err)
		}
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// findChild reads one row of table belonging to objective obj.
func findChild[T any](ctx context.Context, q store.Queryer, tenant, obj, id cohort.ID, table, cols, what string, scan func(interface{ Scan(...any) error }) (*T, error)) (*T, error) {
	v, err := scan(q.QueryRowContext(ctx, "SELECT "+cols+" FROM "+table+" WHERE tenant_id = ? AND id = ? AND objective_id = ?", int64(tenant), int64(id), int64(obj)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "%s not found", what)
	}
	return v, err
}

// nextPosition is the position after the last of the rows of table that
// match where (tenant, then the arguments).
func nextPosition(ctx context.Context, q store.Queryer, table, where string, args ...any) (pos, n int, err error) {
	err = q.QueryRowContext(ctx, "SELECT COALESCE(MAX(position), 0) + 1, count(*) FROM "+table+" WHERE "+where, args...).Scan(&pos, &n)
	return pos, n, err
}

// ---- Owners and periods ----

// ownerNames labels owners: a person's name, a department's, the
// company's (the tenant's name). An owner that names nobody of the
// tenant is absent.
func ownerNames(ctx context.Context, q store.Queryer, tenant *cohort.Tenant, owners []string) (map[string]string, error) {
	out := map[string]string{}
	var people []any
	var depts bool
	for _, o := range owners {
		kind, id, _ := strings.Cut(o, ":")
		switch kind {
		case GoalCompany:
			out[GoalCompany] = tenant.Name
		case GoalPerson:
			if n, err := cohort.ParseID(id); err == nil {
				people = append(people, int64(n))
			}
		case GoalDepartment:
			depts = true
		}
	}
	for chunk := range slices.Chunk(people, 500) {
		rows, err := q.QueryContext(ctx, "SELECT id, name FROM users WHERE tenant_id = ? AND id IN (?"+strings.Repeat(",?", len(chunk)-1)+")",
			append([]any{int64(tenant.ID)}, chunk...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, err
			}
			out["person:"+cohort.ID(id).String()] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if depts {
		ds, err := store.ListDepartments(ctx, q, tenant.ID)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			out["department:"+d.ID.String()] = d.Name
		}
	}
	return out, nil
}

// objectivePeriod reads an objective's period: a fiscal year, quarter or
// month of the tenant's calendar, its fiscal year within ten years of the
// current one (the metric engine's horizon).
func (s *Service) objectivePeriod(tenant *cohort.Tenant, key string) (GoalPeriod, bool) {
	cal := tenantCal(tenant)
	per, fy, ok := cal.parse(key)
	if !ok || per.Kind == "week" {
		return per, false
	}
	y, m, d := s.now().In(tenant.Location()).Date()
	now := cal.fiscalYearOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	return per, fy >= now-10 && fy <= now+10
}

// ---- Validation ----

func checkTitle(v *cohort.Validation, field string, s *string, max int) {
	*s = strings.TrimSpace(*s)
	if n := utf8.RuneCountInString(*s); n == 0 || n > max {
		v.Add(field, "must be 1 to %d characters", max)
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// validateObjective checks o: its title, owner (a person or department of
// the tenant, or the company) and period.
func (s *Service) validateObjective(ctx context.Context, q store.Queryer, tenant *cohort.Tenant, o *Objective) error {
	var v cohort.Validation
	checkTitle(&v, "title", &o.Title, 200)
	if utf8.RuneCountInString(o.Description) > 2000 {
		v.Add("description", "must be at most 2000 characters")
	}
	names, err := ownerNames(ctx, q, tenant, []string{o.Owner})
	if err != nil {
		return err
	}
	if name, ok := names[o.Owner]; ok {
		o.OwnerName = name
	} else {
		v.Add("owner", "%q is not a person or department of this company, nor \"company\"", o.Owner)
	}
	if _, ok := s.objectivePeriod(tenant, o.Period); !ok {
		v.Add("period", "%q is not a fiscal year, quarter or month within ten years of this one (FY2026, FY2026-Q1, 2026-04)", o.Period)
	}
	return v.Err()
}

// validateKeyResult checks k for objective o.
func (s *Service) validateKeyResult(ctx context.Context, q store.Queryer, env *metrics.Env, tenant *cohort.Tenant, o *Objective, k *KeyResult) error {
	var v cohort.Validation
	checkTitle(&v, "title", &k.Title, 200)
	if !finite(k.Weight) || k.Weight <= 0 || k.Weight > 1000 {
		v.Add("weight", "must be a number above 0 (at most 1000)")
	}
	if k.Filters == nil {
		k.Filters = []metrics.Filter{}
	}
	if k.Direction == "" {
		k.Direction = DirIncrease
	}
	switch k.Kind {
	case KRMetric:
		if err := checkMetricCredit(ctx, q, env, &v, "", k.Metric, &k.Role); err != nil {
			return err
		}
		checkSubjectFilters(&v, "", k.Filters)
		if k.Direction != DirIncrease && k.Direction != DirDecrease {
			v.Add("direction", "must be increase or decrease")
		}
		switch {
		case k.Target == nil:
			v.Add("target", "is required for a metric key result")
		case !finite(*k.Target) || *k.Target < 0 || *k.Target == 0 && k.Direction == DirIncrease:
			v.Add("target", "must be a number above 0 (or 0 for a decrease)")
		}
		k.GoalRuleID, k.GoalSubject, k.SelfScore, k.SelfNote = 0, "", nil, ""
	case KRGoal:
		if k.GoalRuleID == 0 {
			v.Add("goal_rule_id", "is required for a goal key result")
			break
		}
		r, err := findGoalRule(ctx, q, tenant.ID, k.GoalRuleID)
		if cohort.ErrorCode(err) == cohort.ENOTFOUND {
			v.Add("goal_rule_id", "no such goal rule")
			break
		}
		if err != nil {
			return err
		}
		per, _ := s.objectivePeriod(tenant, o.Period)
		if !slices.Contains(periodKinds(r.Cycle), per.Kind) {
			v.Add("goal_rule_id", "a %s rule has no %s period %s", r.Cycle, per.Kind, o.Period)
		}
		if k.GoalSubject == "" {
			k.GoalSubject = o.Owner
		}
		tree, err := s.subjectTree(ctx, q, tenant, r, nil)
		if err != nil {
			return err
		}
		if _, ok := tree.byKey[k.GoalSubject]; !ok {
			v.Add("goal_subject", "%q is not a subject of the goal rule %s", k.GoalSubject, r.Name)
		}
		k.Metric, k.Role, k.Filters, k.Target, k.Direction, k.SelfScore, k.SelfNote = "", "", []metrics.Filter{}, nil, DirIncrease, nil, ""
	case KRSelf:
		if k.SelfScore != nil && (!finite(*k.SelfScore) || *k.SelfScore < 0 || *k.SelfScore > 1) {
			v.Add("self_score", "must be between 0 and 1")
		}
		if utf8.RuneCountInString(k.SelfNote) > 1000 {
			v.Add("self_note", "must be at most 1000 characters")
		}
		k.Metric, k.Role, k.Filters, k.Target, k.Direction, k.GoalRuleID, k.GoalSubject = "", "", []metrics.Filter{}, nil, DirIncrease, 0, ""
	default:
		v.Add("kind", "must be one of %s", strings.Join(KRKinds, ", "))
	}
	if err := v.Err(); err != nil {
		return err
	}
	if k.Kind == KRMetric {
		return checkMetricFilters(ctx, q, env, metrics.Query{Metrics: []string{k.Metric}, Role: k.Role, Filters: k.Filters})
	}
	return nil
}

func validateStrategy(st *Strategy) error {
	var v cohort.Validation
	checkTitle(&v, "title", &st.Title, 200)
	if !slices.Contains(Factors, st.Factor) {
		v.Add("factor", "must be one of %s", strings.Join(Factors, ", "))
	}
	return v.Err()
}

// countable are the units of a metric an action counts per bucket.
var countable = []string{metrics.UnitCount, metrics.UnitNumber, metrics.UnitMinutes, metrics.UnitMoney}

// validateAction checks a: a quota names a countable metric (a count or an
// amount, not a rate, a mean or a state on one day), its filters, a quota
// above 0 and a cadence.
func validateAction(ctx context.Context, q store.Queryer, env *metrics.Env, a *Action) error {
	var v cohort.Validation
	checkTitle(&v, "title", &a.Title, 200)
	if a.Filters == nil {
		a.Filters = []metrics.Filter{}
	}
	switch a.Kind {
	case ActionQuota:
		role := cohort.RoleOwner
		if err := checkMetricCredit(ctx, q, env, &v, "", a.Metric, &role); err != nil {
			return err
		}
		if m, err := metrics.Lookup(env, a.Metric); err == nil && !slices.Contains(countable, m.Unit) {
			v.Add("metric", "%s is a %s, not a count or an amount: an action counts something per day, week or month", a.Metric, m.Unit)
		}
		checkSubjectFilters(&v, "", a.Filters)
		if a.Quota == nil || !finite(*a.Quota) || *a.Quota <= 0 || *a.Quota > 1e12 {
			v.Add("quota", "must be a number above 0")
		}
		if !slices.Contains(Cadences, a.Cadence) {
			v.Add("cadence", "must be one of %s", strings.Join(Cadences, ", "))
		}
		a.Done, a.DoneBy, a.DoneAt = false, 0, nil
	case ActionManual:
		a.Metric, a.Filters, a.Quota, a.Cadence = "", []metrics.Filter{}, nil, ""
	default:
		v.Add("kind", "must be quota or manual")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if a.Kind != ActionQuota {
		return nil
	}
	// The engine refuses a state on one day by a day, and checks the filters.
	err := checkMetricFilters(ctx, q, env, metrics.Query{Metrics: []string{a.Metric}, Filters: a.Filters, Dimensions: []string{"day"}})
	var ce *cohort.Error
	if errors.As(err, &ce) {
		for i, f := range ce.Fields {
			if strings.HasPrefix(f.Field, "metrics[") {
				ce.Fields[i].Field = "metric"
			}
		}
	}
	return err
}

// ---- Objectives ----

// okrContext is what a write needs: the caller, their tenant as stored and
// the metric engine's view.
type okrContext struct {
	p      *cohort.Principal
	tenant *cohort.Tenant
	env    metrics.Env
}

func (s *Service) okrContext(ctx context.Context, q store.Queryer) (*okrContext, error) {
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	p := cohort.PrincipalFrom(ctx)
	tenant, err := store.FindTenant(ctx, q, p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	return &okrContext{p: p, tenant: tenant, env: env}, nil
}

// objectiveFor finds objective id for act: one outside the caller's view
// reach is not found; to change one, it must be inside the edit reach too.
func (s *Service) objectiveFor(ctx context.Context, q store.Queryer, tenant *cohort.Tenant, id cohort.ID, act cohort.Action) (*Objective, error) {
	o, err := findObjective(ctx, q, tenant.ID, id)
	if err != nil {
		return nil, err
	}
	view, err := s.okrReachOf(ctx, q, cohort.ActView)
	if err != nil {
		return nil, err
	}
	if !view.reaches(o.Owner) {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "objective not found")
	}
	if act != cohort.ActView {
		edit, err := s.okrReachOf(ctx, q, cohort.ActEdit)
		if err != nil {
			return nil, err
		}
		if !edit.reaches(o.Owner) {
			return nil, cohort.Errorf(cohort.EFORBIDDEN, "you may not change the objectives of %s", o.Owner)
		}
	}
	names, err := ownerNames(ctx, q, tenant, []string{o.Owner})
	if err != nil {
		return nil, err
	}
	o.OwnerName = names[o.Owner]
	return o, nil
}

// checkOwnerReach refuses an owner outside the caller's edit reach.
func (s *Service) checkOwnerReach(ctx context.Context, q store.Queryer, owner string) error {
	edit, err := s.okrReachOf(ctx, q, cohort.ActEdit)
	if err != nil {
		return err
	}
	if !edit.reaches(owner) {
		return &cohort.Error{Code: cohort.EFORBIDDEN, Message: fmt.Sprintf("owner: %s is outside your data scope", owner),
			Fields: []cohort.FieldError{{Field: "owner", Message: "is outside your data scope"}}}
	}
	return nil
}

// ObjectiveFilter narrows a list of objectives.
type ObjectiveFilter struct {
	Period string
	Owner  string
}

// Objectives lists the objectives the caller reads, of a period and an
// owner when given, companies first, then departments and people by name.
func (s *Service) Objectives(ctx context.Context, f ObjectiveFilter) ([]Objective, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	tenant, err := store.FindTenant(ctx, q, p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	return s.objectives(ctx, q, tenant, f)
}

func (s *Service) objectives(ctx context.Context, q store.Queryer, tenant *cohort.Tenant, f ObjectiveFilter) ([]Objective, error) {
	reach, err := s.okrReachOf(ctx, q, cohort.ActView)
	if err != nil {
		return nil, err
	}
	where, args := "tenant_id = ?", []any{int64(tenant.ID)}
	if f.Period != "" {
		where, args = where+" AND period = ?", append(args, f.Period)
	}
	if f.Owner != "" {
		where, args = where+" AND owner = ?", append(args, f.Owner)
	}
	rows, err := q.QueryContext(ctx, "SELECT "+objectiveCols+" FROM objectives WHERE "+where+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("list objectives: %w", err)
	}
	defer rows.Close()
	out := []Objective{}
	var owners []string
	for rows.Next() {
		o, err := scanObjective(rows)
		if err != nil {
			return nil, err
		}
		if reach.reaches(o.Owner) {
			out = append(out, *o)
			owners = append(owners, o.Owner)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	names, err := ownerNames(ctx, q, tenant, owners)
	if err != nil {
		return nil, err
	}
	rank := map[string]int{GoalCompany: 0, GoalDepartment: 1, GoalPerson: 2}
	for i := range out {
		out[i].OwnerName = names[out[i].Owner]
	}
	slices.SortStableFunc(out, func(a, b Objective) int {
		ka, _, _ := strings.Cut(a.Owner, ":")
		kb, _, _ := strings.Cut(b.Owner, ":")
		if c := rank[ka] - rank[kb]; c != 0 {
			return c
		}
		if c := strings.Compare(a.OwnerName, b.OwnerName); c != 0 {
			return c
		}
		return strings.Compare(a.Period, b.Period)
	})
	return out, nil
}

// FindObjective returns one objective.
func (s *Service) FindObjective(ctx context.Context, id cohort.ID) (*Objective, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	tenant, err := store.FindTenant(ctx, s.db.Read(), p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	return s.objectiveFor(ctx, s.db.Read(), tenant, id, cohort.ActView)
}

// CreateObjective creates an objective, owned by the caller unless in
// names another owner inside the caller's edit reach.
func (s *Service) CreateObjective(ctx context.Context, in ObjectiveInput) (*Objective, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	o := &Objective{Title: in.Title, Description: in.Description, Owner: in.Owner, Period: in.Period}
	if o.Owner == "" && p.User != nil {
		o.Owner = "person:" + p.User.ID.String()
	}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		tenant, err := store.FindTenant(ctx, tx, p.Tenant.ID)
		if err != nil {
			return err
		}
		if err := s.validateObjective(ctx, tx, tenant, o); err != nil {
			return err
		}
		if err := s.checkOwnerReach(ctx, tx, o.Owner); err != nil {
			return err
		}
		now := s.now()
		o.ID, o.Version, o.CreatedBy, o.CreatedAt, o.UpdatedAt = cohort.ID(tx.DB().NewID()), 1, userOf(p), now, now
		if _, err := tx.ExecContext(ctx, "INSERT INTO objectives (tenant_id, "+objectiveCols+") VALUES (?,?,?,?,?,?,?,?,?,?)",
			int64(p.Tenant.ID), int64(o.ID), o.Title, o.Description, o.Owner, o.Period, idOrNil(o.CreatedBy), o.Version, now.UnixMilli(), now.UnixMilli()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", objObjective, o.ID, diff(nil, o))
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// UpdateObjective changes an objective. A new owner must be inside the
// caller's edit reach too, and a new period one its goal key results'
// rules have.
func (s *Service) UpdateObjective(ctx context.Context, id cohort.ID, upd ObjectiveUpdate, ifVersion int) (*Objective, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	var out *Objective
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		tenant, err := store.FindTenant(ctx, tx, p.Tenant.ID)
		if err != nil {
			return err
		}
		if err := store.LockRow(ctx, tx, "objectives", tenant.ID, id); err != nil {
			return err
		}
		prev, err := s.objectiveFor(ctx, tx, tenant, id, cohort.ActEdit)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "objective"); err != nil {
			return err
		}
		o := *prev
		for _, f := range []struct{ to, from *string }{{&o.Title, upd.Title}, {&o.Description, upd.Description}, {&o.Owner, upd.Owner}, {&o.Period, upd.Period}} {
			if f.from != nil {
				*f.to = *f.from
			}
		}
		if err := s.validateObjective(ctx, tx, tenant, &o); err != nil {
			return err
		}
		if o.Owner != prev.Owner {
			if err := s.checkOwnerReach(ctx, tx, o.Owner); err != nil {
				return err
			}
		}
		if o.Period != prev.Period {
			if err := s.checkGoalPeriods(ctx, tx, tenant, &o); err != nil {
				return err
			}
		}
		o.Version++
		o.UpdatedAt = s.now()
		if _, err := tx.ExecContext(ctx, "UPDATE objectives SET title = ?, description = ?, owner = ?, period = ?, version = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
			o.Title, o.Description, o.Owner, o.Period, o.Version, o.UpdatedAt.UnixMilli(), int64(tenant.ID), int64(id)); err != nil {
			return err
		}
		out = &o
		return s.audit(ctx, tx, "update", objObjective, id, diff(prev, &o))
	})
	return out, err
}

// checkGoalPeriods refuses a period that a goal key result's rule has not.
func (s *Service) checkGoalPeriods(ctx context.Context, tx *store.Tx, tenant *cohort.Tenant, o *Objective) error {
	krs, err := listChildren(ctx, tx, tenant.ID, "key_results", keyResultCols, []cohort.ID{o.ID}, scanKeyResult)
	if err != nil {
		return err
	}
	per, _ := s.objectivePeriod(tenant, o.Period)
	for _, k := range krs {
		if k.Kind != KRGoal {
			continue
		}
		r, err := findGoalRule(ctx, tx, tenant.ID, k.GoalRuleID)
		if cohort.ErrorCode(err) == cohort.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		if !slices.Contains(periodKinds(r.Cycle), per.Kind) {
			return &cohort.Error{Code: cohort.EINVALID, Message: fmt.Sprintf("period: the key result %q follows a %s goal rule, which has no %s period", k.Title, r.Cycle, per.Kind),
				Fields: []cohort.FieldError{{Field: "period", Message: fmt.Sprintf("the key result %q follows a %s goal rule", k.Title, r.Cycle)}}}
		}
	}
	return nil
}

// DeleteObjective deletes an objective with its key results, strategies
// and actions.
func (s *Service) DeleteObjective(ctx context.Context, id cohort.ID, ifVersion int) error {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		tenant, err := store.FindTenant(ctx, tx, p.Tenant.ID)
		if err != nil {
			return err
		}
		prev, err := s.objectiveFor(ctx, tx, tenant, id, cohort.ActEdit)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "objective"); err != nil {
			return err
		}
		for _, t := range []string{"objective_actions", "objective_strategies", "key_results"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE tenant_id = ? AND objective_id = ?", int64(tenant.ID), int64(id)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM objectives WHERE tenant_id = ? AND id = ?", int64(tenant.ID), int64(id)); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", objObjective, id, diff(prev, nil))
	})
}

// ---- Key results ----

func applyKeyResult(k *KeyResult, in KeyResultInput) {
	for _, f := range []struct{ to, from *string }{{&k.Title, in.Title}, {&k.Kind, in.Kind}, {&k.Metric, in.Metric}, {&k.Role, in.Role},
		{&k.Direction, in.Direction}, {&k.GoalSubject, in.GoalSubject}, {&k.SelfNote, in.SelfNote}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if in.Weight != nil {
		k.Weight = *in.Weight
	}
	if in.Filters != nil {
		k.Filters = *in.Filters
	}
	if in.Target != nil {
		k.Target = in.Target
	}
	if in.GoalRuleID != nil {
		k.GoalRuleID = *in.GoalRuleID
	}
	if in.SelfScore != nil {
		k.SelfScore = in.SelfScore
	} else if in.ClearSelfScore {
		k.SelfScore = nil
	}
	if in.Position != nil {
		k.Position = *in.Position
	}
}

// assessed stamps who set a self-assessment and when, when it changed.
func assessed(k *KeyResult, prev *KeyResult, by cohort.ID, now time.Time) {
	if k.Kind != KRSelf {
		k.AssessedBy, k.AssessedAt = 0, nil
		return
	}
	same := prev != nil && prev.Kind == KRSelf && prev.SelfNote == k.SelfNote &&
		(prev.SelfScore == nil) == (k.SelfScore == nil) && (k.SelfScore == nil || *prev.SelfScore == *k.SelfScore)
	if same {
		return
	}
	if k.SelfScore == nil && k.SelfNote == "" {
		k.AssessedBy, k.AssessedAt = 0, nil // not assessed (again)
		return
	}
	k.AssessedBy, k.AssessedAt = by, &now
}

// AddKeyResult adds a key result to an objective.
func (s *Service) AddKeyResult(ctx context.Context, objectiveID cohort.ID, in KeyResultInput) (*KeyResult, error) {
	var out *KeyResult
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		c, err := s.okrContext(ctx, tx)
		if err != nil {
			return err
		}
		o, err := s.objectiveFor(ctx, tx, c.tenant, objectiveID, cohort.ActEdit)
		if err != nil {
			return err
		}
		k := &KeyResult{ObjectiveID: o.ID, Weight: 1}
		applyKeyResult(k, in)
		if err := s.validateKeyResult(ctx, tx, &c.env, c.tenant, o, k); err != nil {
			return err
		}
		pos, n, err := nextPosition(ctx, tx, "key_results", "tenant_id = ? AND objective_id = ?", int64(c.tenant.ID), int64(o.ID))
		if err != nil {
			return err
		}
		if n >= maxKeyResults {
			return cohort.Errorf(cohort.ECONFLICT, "an objective has at most %d key results", maxKeyResults)
		}
		if in.Position == nil {
			k.Position = pos
		}
		now := s.now()
		assessed(k, nil, userOf(c.p), now)
		k.ID, k.Version, k.CreatedAt, k.UpdatedAt = cohort.ID(tx.DB().NewID()), 1, now, now
		if _, err := tx.ExecContext(ctx, "INSERT INTO key_results (tenant_id, "+keyResultCols+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			int64(c.tenant.ID), int64(k.ID), int64(o.ID), k.Position, k.Title, k.Kind, k.Weight, k.Metric, k.Role, jsonText(k.Filters), k.Target, k.Direction,
			idOrNil(k.GoalRuleID), k.GoalSubject, k.SelfScore, k.SelfNote, idOrNil(k.AssessedBy), msOrNil(k.AssessedAt), k.Version, now.UnixMilli(), now.UnixMilli()); err != nil {
			return err
		}
		out = k
		return s.audit(ctx, tx, "create", objKeyResult, k.ID, diff(nil, k))
	})
	return out, err
}

// UpdateKeyResult changes a key result; a self-assessment records who set
// it and when.
func (s *Service) UpdateKeyResult(ctx context.Context, objectiveID, id cohort.ID, in KeyResultInput, ifVersion int) (*KeyResult, error) {
	return updateChild(s, ctx, objectiveID, id, ifVersion, "key_results", keyResultCols, "key result", objKeyResult, scanKeyResult,
		func(k *KeyResult) *int { return &k.Version },
		func(tx *store.Tx, c *okrContext, o *Objective, prev, k *KeyResult, now time.Time) error {
			applyKeyResult(k, in)
			if err := s.validateKeyResult(ctx, tx, &c.env, c.tenant, o, k); err != nil {
				return err
			}
			assessed(k, prev, userOf(c.p), now)
			k.UpdatedAt = now
			_, err := tx.ExecContext(ctx, `UPDATE key_results SET position = ?, title = ?, kind = ?, weight = ?, metric = ?, role = ?, filters = ?, target = ?,
			direction = ?, goal_rule_id = ?, goal_subject = ?, self_score = ?, self_note = ?, assessed_by = ?, assessed_at = ?, version = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, k.Position, k.Title, k.Kind, k.Weight, k.Metric, k.Role, jsonText(k.Filters), k.Target, k.Direction,
				idOrNil(k.GoalRuleID), k.GoalSubject, k.SelfScore, k.SelfNote, idOrNil(k.AssessedBy), msOrNil(k.AssessedAt), k.Version, now.UnixMilli(),
				int64(c.tenant.ID), int64(id))
			return err
		})
}

// updateChild changes one child row of an objective (a key result, a
// strategy, an action): the objective must be editable by the caller, the
// row is locked, found under it and checked against ifVersion; change turns
// a copy of it (its version already counted up) into the new row and
// writes it, and the audit entry records the difference.
func updateChild[T any](s *Service, ctx context.Context, objectiveID, id cohort.ID, ifVersion int, table, cols, what string, obj cohort.ObjectType,
	scan func(interface{ Scan(...any) error }) (*T, error), version func(*T) *int,
	change func(tx *store.Tx, c *okrContext, o *Objective, prev, next *T, now time.Time) error) (*T, error) {
	var out *T
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		c, err := s.okrContext(ctx, tx)
		if err != nil {
			return err
		}
		o, err := s.objectiveFor(ctx, tx, c.tenant, objectiveID, cohort.ActEdit)
		if err != nil {
			return err
		}
		if err := store.LockRow(ctx, tx, table, c.tenant.ID, id); err != nil {
			return err
		}
		prev, err := findChild(ctx, tx, c.tenant.ID, o.ID, id, table, cols, what, scan)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, *version(prev), what); err != nil {
			return err
		}
		next := *prev
		*version(&next)++
		if err := change(tx, c, o, prev, &next, s.now()); err != nil {
			return err
		}
		out = &next
		return s.audit(ctx, tx, "update", obj, id, diff(prev, &next))
	})
	return out, err
}

// deleteChild deletes one row of table (and, for a strategy, its actions).
func (s *Service) deleteChild(ctx context.Context, objectiveID, id cohort.ID, ifVersion int, table, what string, obj cohort.ObjectType,
	find func(ctx context.Context, tx *store.Tx, tenant, obj, id cohort.ID) (any, int, error)) error {
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		p, err := principal(ctx)
		if err != nil {
			return err
		}
		tenant, err := store.FindTenant(ctx, tx, p.Tenant.ID)
		if err != nil {
			return err
		}
		o, err := s.objectiveFor(ctx, tx, tenant, objectiveID, cohort.ActEdit)
		if err != nil {
			return err
		}
		prev, version, err := find(ctx, tx, tenant.ID, o.ID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, version, what); err != nil {
			return err
		}
		if table == "objective_strategies" {
			if _, err := tx.ExecContext(ctx, "DELETE FROM objective_actions WHERE tenant_id = ? AND strategy_id = ?", int64(tenant.ID), int64(id)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE tenant_id = ? AND id = ?", int64(tenant.ID), int64(id)); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", obj, id, diff(prev, nil))
	})
}

// DeleteKeyResult deletes a key result.
func (s *Service) DeleteKeyResult(ctx context.Context, objectiveID, id cohort.ID, ifVersion int) error {
	return s.deleteChild(ctx, objectiveID, id, ifVersion, "key_results", "key result", objKeyResult,
		func(ctx context.Context, tx *store.Tx, tenant, obj, id cohort.ID) (any, int, error) {
			k, err := findChild(ctx, tx, tenant, obj, id, "key_results", keyResultCols, "key result", scanKeyResult)
			if err != nil {
				return nil, 0, err
			}
			return k, k.Version, nil
		})
}

// ---- Strategies ----

func applyStrategy(st *Strategy, in StrategyInput) {
	if in.Title != nil {
		st.Title = *in.Title
	}
	if in.Factor != nil {
		st.Factor = *in.Factor
	}
	if in.Position != nil {
		st.Position = *in.Position
	}
}

// AddStrategy adds a strategy to an objective.
func (s *Service) AddStrategy(ctx context.Context, objectiveID cohort.ID, in StrategyInput) (*Strategy, error) {
	var out *Strategy
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		p, err := principal(ctx)
		if err != nil {
			return err
		}
		tenant, err := store.FindTenant(ctx, tx, p.Tenant.ID)
		if err != nil {
			return err
		}
		o, err := s.objectiveFor(ctx, tx, tenant, objectiveID, cohort.ActEdit)
		if err != nil {
			return err
		}
		st := &Strategy{ObjectiveID: o.ID}
		applyStrategy(st, in)
		if err := validateStrategy(st); err != nil {
			return err
		}
		pos, n, err := nextPosition(ctx, tx, "objective_strategies", "tenant_id = ? AND objective_id = ?", int64(tenant.ID), int64(o.ID))
		if err != nil {
			return err
		}
		if n >= maxStrategies {
			return cohort.Errorf(cohort.ECONFLICT, "an objective has at most %d strategies", maxStrategies)
		}
		if in.Position == nil {
			st.Position = pos
		}
		now := s.now()
		st.ID, st.Version, st.CreatedAt, st.UpdatedAt = cohort.ID(tx.DB().NewID()), 1, now, now
		if _, err := tx.ExecContext(ctx, "INSERT INTO objective_strategies (tenant_id, "+strategyCols+") VALUES (?,?,?,?,?,?,?,?,?)",
			int64(tenant.ID), int64(st.ID), int64(o.ID), st.Position, st.Title, st.Factor, st.Version, now.UnixMilli(), now.UnixMilli()); err != nil {
			return err
		}
		out = st
		return s.audit(ctx, tx, "create", objStrategy, st.ID, diff(nil, st))
	})
	return out, err
}

// UpdateStrategy changes a strategy.
func (s *Service) UpdateStrategy(ctx context.Context, objectiveID, id cohort.ID, in StrategyInput, ifVersion int) (*Strategy, error) {
	return updateChild(s, ctx, objectiveID, id, ifVersion, "objective_strategies", strategyCols, "strategy", objStrategy, scanStrategy,
		func(st *Strategy) *int { return &st.Version },
		func(tx *store.Tx, c *okrContext, _ *Objective, _, st *Strategy, now time.Time) error {
			applyStrategy(st, in)
			if err := validateStrategy(st); err != nil {
				return err
			}
			st.UpdatedAt = now
			_, err := tx.ExecContext(ctx, "UPDATE objective_strategies SET position = ?, title = ?, factor = ?, version = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
				st.Position, st.Title, st.Factor, st.Version, now.UnixMilli(), int64(c.tenant.ID), int64(id))
			return err
		})
}

// DeleteStrategy deletes a strategy with its actions.
func (s *Service) DeleteStrategy(ctx context.Context, objectiveID, id cohort.ID, ifVersion int) error {
	return s.deleteChild(ctx, objectiveID, id, ifVersion, "objective_strategies", "strategy", objStrategy,
		func(ctx context.Context, tx *store.Tx, tenant, obj, id cohort.ID) (any, int, error) {
			st, err := findChild(ctx, tx, tenant, obj, id, "objective_strategies", strategyCols, "strategy", scanStrategy)
			if err != nil {
				return nil, 0, err
			}
			return st, st.Version, nil
		})
}

// ---- Actions ----

func applyAction(a *Action, in ActionInput) {
	for _, f := range []struct{ to, from *string }{{&a.Title, in.Title}, {&a.Kind, in.Kind}, {&a.Metric, in.Metric}, {&a.Cadence, in.Cadence}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if in.Filters != nil {
		a.Filters = *in.Filters
	}
	if in.Quota != nil {
		a.Quota = in.Quota
	}
	if in.Position != nil {
		a.Position = *in.Position
	}
}

// tick applies in.Done to a manual action: who ticked it and when.
func tick(a *Action, in ActionInput, by cohort.ID, now time.Time) error {
	if in.Done == nil || *in.Done == a.Done {
		return nil
	}
	if a.Kind != ActionManual {
		return &cohort.Error{Code: cohort.EINVALID, Message: "done: only a manual action is ticked; a quota is counted from the facts",
			Fields: []cohort.FieldError{{Field: "done", Message: "only a manual action is ticked"}}}
	}
	a.Done = *in.Done
	a.DoneBy, a.DoneAt = 0, nil
	if a.Done {
		a.DoneBy, a.DoneAt = by, &now
	}
	return nil
}

// AddAction adds an action under a strategy of an objective.
func (s *Service) AddAction(ctx context.Context, objectiveID, strategyID cohort.ID, in ActionInput) (*Action, error) {
	var out *Action
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		c, err := s.okrContext(ctx, tx)
		if err != nil {
			return err
		}
		o, err := s.objectiveFor(ctx, tx, c.tenant, objectiveID, cohort.ActEdit)
		if err != nil {
			return err
		}
		if _, err := findChild(ctx, tx, c.tenant.ID, o.ID, strategyID, "objective_strategies", strategyCols, "strategy", scanStrategy); err != nil {
			return err
		}
		a := &Action{ObjectiveID: o.ID, StrategyID: strategyID}
		applyAction(a, in)
		if err := validateAction(ctx, tx, &c.env, a); err != nil {
			return err
		}
		now := s.now()
		if err := tick(a, in, userOf(c.p), now); err != nil {
			return err
		}
		pos, n, err := nextPosition(ctx, tx, "objective_actions", "tenant_id = ? AND strategy_id = ?", int64(c.tenant.ID), int64(strategyID))
		if err != nil {
			return err
		}
		if n >= maxActions {
			return cohort.Errorf(cohort.ECONFLICT, "a strategy has at most %d actions", maxActions)
		}
		if in.Position == nil {
			a.Position = pos
		}
		a.ID, a.Version, a.CreatedAt, a.UpdatedAt = cohort.ID(tx.DB().NewID()), 1, now, now
		if _, err := tx.ExecContext(ctx, "INSERT INTO objective_actions (tenant_id, "+actionCols+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			int64(c.tenant.ID), int64(a.ID), int64(o.ID), int64(strategyID), a.Position, a.Title, a.Kind, a.Metric, jsonText(a.Filters), a.Quota, a.Cadence,
			idOrNil(a.DoneBy), msOrNil(a.DoneAt), a.Version, now.UnixMilli(), now.UnixMilli()); err != nil {
			return err
		}
		out = a
		return s.audit(ctx, tx, "create", objAction, a.ID, diff(nil, a))
	})
	return out, err
}

// UpdateAction changes an action, or ticks a manual one done (or not).
func (s *Service) UpdateAction(ctx context.Context, objectiveID, id cohort.ID, in ActionInput, ifVersion int) (*Action, error) {
	return updateChild(s, ctx, objectiveID, id, ifVersion, "objective_actions", actionCols, "action", objAction, scanAction,
		func(a *Action) *int { return &a.Version },
		func(tx *store.Tx, c *okrContext, _ *Objective, _, a *Action, now time.Time) error {
			applyAction(a, in)
			if err := validateAction(ctx, tx, &c.env, a); err != nil {
				return err
			}
			if err := tick(a, in, userOf(c.p), now); err != nil {
				return err
			}
			a.UpdatedAt = now
			_, err := tx.ExecContext(ctx, `UPDATE objective_actions SET position = ?, title = ?, kind = ?, metric = ?, filters = ?, quota = ?, cadence = ?,
			done_by = ?, done_at = ?, version = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`, a.Position, a.Title, a.Kind, a.Metric, jsonText(a.Filters),
				a.Quota, a.Cadence, idOrNil(a.DoneBy), msOrNil(a.DoneAt), a.Version, now.UnixMilli(), int64(c.tenant.ID), int64(id))
			return err
		})
}

// DeleteAction deletes an action.
func (s *Service) DeleteAction(ctx context.Context, objectiveID, id cohort.ID, ifVersion int) error {
	return s.deleteChild(ctx, objectiveID, id, ifVersion, "objective_actions", "action", objAction,
		func(ctx context.Context, tx *store.Tx, tenant, obj, id cohort.ID) (any, int, error) {
			a, err := findChild(ctx, tx, tenant, obj, id, "objective_actions", actionCols, "action", scanAction)
			if err != nil {
				return nil, 0, err
			}
			return a, a.Version, nil
		})
}
