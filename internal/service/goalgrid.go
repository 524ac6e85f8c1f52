package service

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// GoalSubject is a row of a goal grid. Key is "company",
// "department:<id>", "person:<id>", "product:<id>",
// "product_category:<id>", "region:<name>" or "segment:<name>"; Parent is
// the row it rolls up into ("" for a root).
type GoalSubject struct {
	Key    string `json:"key"`
	Kind   string `json:"kind"`
	Label  string `json:"label"`
	Parent string `json:"parent"`
	Depth  int    `json:"depth"`
	// Editable says whether the caller may set the subject's values (in a
	// grid: administrators every one, a department's manager those of the
	// department, the departments below it and their people).
	Editable bool `json:"editable"`
}

// goalTree is a rule's subjects with their roll-up structure.
type goalTree struct {
	list     []GoalSubject
	byKey    map[string]*GoalSubject
	children map[string][]string
	depts    []cohort.ID // the departments the rule covers (every subtree), nil for all
}

func (t *goalTree) add(s GoalSubject) {
	if _, dup := t.byKey[s.Key]; dup {
		return
	}
	if p, ok := t.byKey[s.Parent]; ok {
		s.Depth = p.Depth + 1
	}
	grew := len(t.list) == cap(t.list)
	t.list = append(t.list, s)
	if grew {
		t.reindex() // the list moved: every pointer is new
	}
	t.byKey[s.Key] = &t.list[len(t.list)-1]
	if s.Parent != "" {
		t.children[s.Parent] = append(t.children[s.Parent], s.Key)
	}
}

// preorder puts the rows in the order of the tree as read top down: each
// row followed by its children (a department's sub-departments, each with
// its own subtree, then its people), as the API documents.
func (t *goalTree) preorder() {
	out := make([]GoalSubject, 0, len(t.list))
	var walk func(key string)
	walk = func(key string) {
		out = append(out, *t.byKey[key])
		for _, c := range t.children[key] {
			walk(c)
		}
	}
	for _, s := range t.list {
		if _, ok := t.byKey[s.Parent]; !ok {
			walk(s.Key) // a root (or, defensively, an orphan)
		}
	}
	t.list = out
	t.reindex()
}

func (t *goalTree) reindex() {
	t.byKey = map[string]*GoalSubject{}
	for i := range t.list {
		t.byKey[t.list[i].Key] = &t.list[i]
	}
}

// subjectTree builds the rows of rule's grid. Departments and people: the
// rule's departments (or the top of the organisation) with their
// sub-departments and the people now in them, each rolling up into its
// department. Products, categories: the company, then each of them.
// Regions and segments: the company, then the values named by stored goals
// or extra (e.g. last year's actuals).
func (s *Service) subjectTree(ctx context.Context, q store.Queryer, tenant *cohort.Tenant, r *GoalRule, extra []string) (*goalTree, error) {
	t := &goalTree{byKey: map[string]*GoalSubject{}, children: map[string][]string{}}
	t.list = make([]GoalSubject, 0, 64)
	depts, err := store.ListDepartments(ctx, q, tenant.ID)
	if err != nil {
		return nil, err
	}
	if len(r.Departments) > 0 {
		for _, d := range depts {
			for _, root := range r.Departments {
				if r := deptByID(depts, root); r != nil && strings.HasPrefix(d.Path, r.Path) {
					t.depts = append(t.depts, d.ID)
					break
				}
			}
		}
	}
	switch r.SubjectType {
	case GoalDepartment, GoalPerson:
		// The list may grow past its capacity: keep indexes, not pointers.
		inSet := func(id cohort.ID) bool { return t.depts == nil || slices.Contains(t.depts, id) }
		ordered := slices.Clone(depts)
		slices.SortStableFunc(ordered, func(a, b *cohort.Department) int { return strings.Compare(a.Path, b.Path) })
		for _, d := range ordered {
			if !inSet(d.ID) {
				continue
			}
			parent := ""
			if d.ParentID != 0 && inSet(d.ParentID) {
				parent = "department:" + d.ParentID.String()
			}
			t.add(GoalSubject{Key: "department:" + d.ID.String(), Kind: GoalDepartment, Label: d.Name, Parent: parent})
		}
		rows, err := q.QueryContext(ctx, "SELECT id, name, department_id FROM users WHERE tenant_id = ? AND status = ? AND department_id IS NOT NULL ORDER BY name, id",
			int64(tenant.ID), cohort.UserActive)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id, dept int64
			var name string
			if err := rows.Scan(&id, &name, &dept); err != nil {
				return nil, err
			}
			if inSet(cohort.ID(dept)) {
				t.add(GoalSubject{Key: "person:" + cohort.ID(id).String(), Kind: GoalPerson, Label: name, Parent: "department:" + cohort.ID(dept).String()})
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		t.preorder()
	default:
		t.add(GoalSubject{Key: GoalCompany, Kind: GoalCompany, Label: tenant.Name})
		t.reindex()
		if r.SubjectType == GoalCompany {
			break
		}
		var sqlq string
		switch r.SubjectType {
		case GoalProduct:
			sqlq = "SELECT id, name FROM products WHERE tenant_id = ? ORDER BY name, id LIMIT 1000"
		case GoalProductCategory:
			sqlq = "SELECT id, name FROM product_categories WHERE tenant_id = ? ORDER BY name, id LIMIT 1000"
		}
		if sqlq != "" {
			rows, err := q.QueryContext(ctx, sqlq, int64(tenant.ID))
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var name string
				if err := rows.Scan(&id, &name); err != nil {
					return nil, err
				}
				t.add(GoalSubject{Key: r.SubjectType + ":" + cohort.ID(id).String(), Kind: r.SubjectType, Label: name, Parent: GoalCompany})
			}
			if err := rows.Err(); err != nil {
				return nil, err
			}
			break
		}
		// Regions and segments: named by stored goals and extra.
		rows, err := q.QueryContext(ctx, "SELECT DISTINCT subject FROM goal_values WHERE tenant_id = ? AND rule_id = ? ORDER BY subject", int64(tenant.ID), int64(r.ID))
		if err != nil {
			return nil, err
		}
		var keys []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return nil, err
			}
			keys = append(keys, k)
		}
		rows.Close()
		for _, v := range extra {
			keys = append(keys, r.SubjectType+":"+v)
		}
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			if name, ok := strings.CutPrefix(k, r.SubjectType+":"); ok && name != "" {
				t.add(GoalSubject{Key: k, Kind: r.SubjectType, Label: name, Parent: GoalCompany})
			}
		}
	}
	return t, nil
}

func deptByID(ds []*cohort.Department, id cohort.ID) *cohort.Department {
	for _, d := range ds {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// validSubject says whether key names a subject of the rule: a row of
// the tree, or for regions and segments any non-empty name.
func (t *goalTree) validSubject(r *GoalRule, key string) bool {
	if _, ok := t.byKey[key]; ok {
		return true
	}
	if r.SubjectType == GoalRegion || r.SubjectType == GoalSegment {
		name, ok := strings.CutPrefix(key, r.SubjectType+":")
		return ok && name != "" && utf8Len(name) <= 200
	}
	return false
}

func utf8Len(s string) int { return len([]rune(s)) }

// ---- Values ----

// goalValues are a rule's stored values: subject → period → value.
type goalValues map[string]map[string]float64

func loadGoalValues(ctx context.Context, q store.Queryer, tenant, rule cohort.ID, periods map[string]bool) (goalValues, error) {
	query, args := "SELECT subject, period, value FROM goal_values WHERE tenant_id = ? AND rule_id = ?", []any{int64(tenant), int64(rule)}
	if periods != nil {
		if len(periods) == 0 {
			return goalValues{}, nil
		}
		query += " AND period IN (" + strings.Repeat("?, ", len(periods)-1) + "?)"
		for p := range periods {
			args = append(args, p)
		}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("goal values: %w", err)
	}
	defer rows.Close()
	out := goalValues{}
	for rows.Next() {
		var s, p string
		var v float64
		if err := rows.Scan(&s, &p, &v); err != nil {
			return nil, err
		}
		if out[s] == nil {
			out[s] = map[string]float64{}
		}
		out[s][p] = v
	}
	return out, rows.Err()
}

func (v goalValues) get(s, p string) *float64 {
	if x, ok := v[s][p]; ok {
		return &x
	}
	return nil
}

// targets computes effective targets: a stored value, else the sum of the
// period's children in time, else the sum of the subject's children.
type targets struct {
	vals  goalValues
	tree  *goalTree
	cal   goalCal
	cycle string
	memo  map[[2]string]*float64
	kids  map[string][]string // period → its children in time
}

func newTargets(vals goalValues, tree *goalTree, cal goalCal, cycle string) *targets {
	return &targets{vals: vals, tree: tree, cal: cal, cycle: cycle, memo: make(map[[2]string]*float64, 16*len(tree.list)), kids: map[string][]string{}}
}

func sumOf(xs []*float64) *float64 {
	var sum float64
	any := false
	for _, x := range xs {
		if x != nil {
			sum += *x
			any = true
		}
	}
	if !any {
		return nil
	}
	return &sum
}

func (t *targets) timeSum(s, p string) *float64 {
	kids, ok := t.kids[p]
	if !ok {
		kids = t.cal.timeChildren(t.cycle, p)
		t.kids[p] = kids
	}
	var sum adder
	for _, c := range kids {
		sum.add(t.of(s, c))
	}
	return sum.value()
}

func (t *targets) subjectSum(s, p string) *float64 {
	var sum adder
	for _, c := range t.tree.children[s] {
		sum.add(t.of(c, p))
	}
	return sum.value()
}

// adder is sumOf without the slice: nil when nothing non-nil was added.
type adder struct {
	sum float64
	any bool
}

func (a *adder) add(x *float64) {
	if x != nil {
		a.sum += *x
		a.any = true
	}
}

func (a *adder) value() *float64 {
	if !a.any {
		return nil
	}
	v := a.sum
	return &v
}

func (t *targets) of(s, p string) *float64 {
	k := [2]string{s, p}
	if v, ok := t.memo[k]; ok {
		return v
	}
	v := t.vals.get(s, p)
	if v == nil {
		v = t.timeSum(s, p)
	}
	if v == nil {
		v = t.subjectSum(s, p)
	}
	t.memo[k] = v
	return v
}

func differs(a, b float64) bool { return math.Abs(a-b) > 1e-6*math.Max(1, math.Abs(a)) }

// GoalCell is one cell of a goal grid.
type GoalCell struct {
	// Value is the value set (null when none).
	Value *float64 `json:"value"`
	// Target is the value, else the roll-up of the period's months
	// (quarters, weeks), else of the subject's children.
	Target *float64 `json:"target"`
	// PeriodsSum and SubjectsSum are the roll-ups of the children in time
	// and in the subject tree (null when none has a target).
	PeriodsSum  *float64 `json:"periods_sum"`
	SubjectsSum *float64 `json:"subjects_sum"`
	Locked      bool     `json:"locked"`
}

// GoalWarning is a cell whose children do not add up to it (上下对齐):
// along periods or along subjects.
type GoalWarning struct {
	Subject     string  `json:"subject"`
	Period      string  `json:"period"`
	Along       string  `json:"along"`
	Value       float64 `json:"value"`
	ChildrenSum float64 `json:"children_sum"`
}

// GoalGrid is a rule's goal values for a fiscal year: subjects down,
// periods across.
type GoalGrid struct {
	Rule     GoalRule                       `json:"rule"`
	Year     int                            `json:"year"`
	Unit     string                         `json:"unit"`
	Periods  []GoalPeriod                   `json:"periods"`
	Subjects []GoalSubject                  `json:"subjects"`
	Cells    map[string]map[string]GoalCell `json:"cells"`
	Warnings []GoalWarning                  `json:"warnings"`
	// CrossWarnings (左右拉通) are the periods where another rule
	// decomposing the same target (same metric, role, departments and
	// filters, another subject type or cycle) has another total.
	CrossWarnings []GoalCrossWarning `json:"cross_warnings"`
}

// GoalCrossWarning is a period where two decompositions of the same target
// disagree: this rule's total (the sum of its top rows' targets) and
// another rule's.
type GoalCrossWarning struct {
	Period     string    `json:"period"`
	RuleID     cohort.ID `json:"rule_id"`
	RuleName   string    `json:"rule_name"`
	Value      float64   `json:"value"`
	OtherValue float64   `json:"other_value"`
}

// total is the sum of the top rows' targets in period p.
func (t *targets) total(p string) *float64 {
	var xs []*float64
	for _, s := range t.tree.list {
		if s.Parent == "" {
			xs = append(xs, t.of(s.Key, p))
		}
	}
	return sumOf(xs)
}

// crossWarnings compares g's totals with those of the rules decomposing
// the same target.
func (s *Service) crossWarnings(ctx context.Context, q store.Queryer, gc *goalContext, g *GoalGrid) error {
	rules, err := s.GoalRules(ctx)
	if err != nil {
		return err
	}
	mine := newTargets(gc.vals, gc.tree, gc.cal, gc.rule.Cycle)
	key := func(r *GoalRule) string {
		return r.Metric + "\x00" + r.Role + "\x00" + jsonText(r.Departments) + "\x00" + jsonText(r.Filters)
	}
	for i := range rules {
		o := &rules[i]
		if o.ID == gc.rule.ID || key(o) != key(gc.rule) {
			continue
		}
		ogc, err := s.goalContext(ctx, q, o.ID, nil)
		if err != nil {
			return err
		}
		theirs := newTargets(ogc.vals, ogc.tree, ogc.cal, o.Cycle)
		for _, p := range g.Periods {
			if !slices.Contains(periodKinds(o.Cycle), p.Kind) {
				continue
			}
			a, b := mine.total(p.Key), theirs.total(p.Key)
			if a != nil && b != nil && differs(*a, *b) {
				g.CrossWarnings = append(g.CrossWarnings, GoalCrossWarning{Period: p.Key, RuleID: o.ID, RuleName: o.Name, Value: *a, OtherValue: *b})
			}
		}
	}
	return nil
}

// goalLocks are a rule's locked periods: period → frozen actuals (nil
// when only locked).
type goalLocks map[string]map[string]*float64

func loadGoalLocks(ctx context.Context, q store.Queryer, tenant, rule cohort.ID) (goalLocks, error) {
	rows, err := q.QueryContext(ctx, "SELECT period, frozen FROM goal_locks WHERE tenant_id = ? AND rule_id = ?", int64(tenant), int64(rule))
	if err != nil {
		return nil, fmt.Errorf("goal locks: %w", err)
	}
	defer rows.Close()
	out := goalLocks{}
	for rows.Next() {
		var p string
		var frozen *string
		if err := rows.Scan(&p, &frozen); err != nil {
			return nil, err
		}
		out[p] = nil
		if frozen != nil {
			m := map[string]*float64{}
			if err := json.Unmarshal([]byte(*frozen), &m); err != nil {
				return nil, err
			}
			out[p] = m
		}
	}
	return out, rows.Err()
}

// locked says whether period p (or one containing it) is locked.
func (l goalLocks) locked(cal goalCal, p string) bool {
	for k := p; k != ""; {
		if _, ok := l[k]; ok {
			return true
		}
		q, _, ok := cal.parse(k)
		if !ok {
			return false
		}
		k = q.Parent
	}
	return false
}

// metricUnit is the unit of the rule's metric.
func metricUnit(env *metrics.Env, name string) string {
	if m, err := metrics.Lookup(env, name); err == nil {
		return m.Unit
	}
	return metrics.UnitNumber
}

// goalContext is what every goal read needs.
type goalContext struct {
	tenant *cohort.Tenant
	rule   *GoalRule
	env    metrics.Env
	cal    goalCal
	tree   *goalTree
	vals   goalValues
	// valsOf names the periods vals holds (with their children in time)
	// when it holds only some; nil when it holds every value of the rule.
	valsOf map[string]bool
	locks  goalLocks
	unit   string
}

// goalContext loads a rule with its subject tree, every goal value and
// its locks.
func (s *Service) goalContext(ctx context.Context, q store.Queryer, ruleID cohort.ID, extra []string) (*goalContext, error) {
	gc, err := s.goalContextOf(ctx, q, ruleID, extra)
	if err != nil {
		return nil, err
	}
	if gc.vals, err = loadGoalValues(ctx, q, gc.tenant.ID, gc.rule.ID, nil); err != nil {
		return nil, err
	}
	gc.valsOf = nil
	return gc, nil
}

// goalContextOf loads a rule as goalContext does but no goal value: the
// caller names the periods it reads with needValues. Completion reads a
// period and its trend: at scale M every value of a rule (about 2,200
// for people by month) took 44 % of a goal widget.
func (s *Service) goalContextOf(ctx context.Context, q store.Queryer, ruleID cohort.ID, extra []string) (*goalContext, error) {
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	p := cohort.PrincipalFrom(ctx)
	tenant, err := store.FindTenant(ctx, q, p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	r, err := findGoalRule(ctx, q, tenant.ID, ruleID)
	if err != nil {
		return nil, err
	}
	gc := &goalContext{tenant: tenant, rule: r, env: env, cal: tenantCal(tenant), unit: metricUnit(&env, r.Metric)}
	if gc.tree, err = s.subjectTree(ctx, q, tenant, r, extra); err != nil {
		return nil, err
	}
	gc.vals, gc.valsOf = goalValues{}, map[string]bool{}
	if gc.locks, err = loadGoalLocks(ctx, q, tenant.ID, r.ID); err != nil {
		return nil, err
	}
	return gc, nil
}

// needValues makes sure gc holds the goal values of periods and of their
// children in time (a period's target may be the sum of its children's):
// a no-op when gc holds every value or these periods already.
func (gc *goalContext) needValues(ctx context.Context, q store.Queryer, periods ...string) error {
	if gc.valsOf == nil {
		return nil
	}
	want := map[string]bool{}
	var add func(p string)
	add = func(p string) {
		if want[p] {
			return
		}
		want[p] = true
		for _, c := range gc.cal.timeChildren(gc.rule.Cycle, p) {
			add(c)
		}
	}
	for _, p := range periods {
		add(p)
	}
	missing := false
	for p := range want {
		if !gc.valsOf[p] {
			missing = true
			break
		}
	}
	if !missing {
		return nil
	}
	for p := range gc.valsOf {
		want[p] = true
	}
	vals, err := loadGoalValues(ctx, q, gc.tenant.ID, gc.rule.ID, want)
	if err != nil {
		return err
	}
	gc.vals, gc.valsOf = vals, want
	return nil
}

// fiscalYear checks a year parameter.
func fiscalYear(y int) error {
	if y < 1971 || y > 9998 {
		return &cohort.Error{Code: cohort.EINVALID, Message: "year: must be a fiscal year such as 2026",
			Fields: []cohort.FieldError{{Field: "year", Message: "must be a fiscal year such as 2026"}}}
	}
	return nil
}

// GoalGrid returns rule's grid for fiscal year fy.
func (s *Service) GoalGrid(ctx context.Context, ruleID cohort.ID, fy int) (*GoalGrid, error) {
	if _, err := require(ctx, cohort.ObjCustomer, cohort.ActView); err != nil {
		return nil, err
	}
	gc, err := s.goalContext(ctx, s.db.Read(), ruleID, nil)
	if err != nil {
		return nil, err
	}
	if err := fiscalYear(fy); err != nil {
		return nil, err
	}
	g := gc.grid(fy)
	if err := s.crossWarnings(ctx, s.db.Read(), gc, g); err != nil {
		return nil, err
	}
	if w, err := s.goalWriter(ctx, s.db.Read()); err == nil {
		g.Subjects = slices.Clone(g.Subjects)
		for i := range g.Subjects {
			g.Subjects[i].Editable = w.may(gc, g.Subjects[i].Key)
		}
	} else if cohort.ErrorCode(err) != cohort.EFORBIDDEN {
		return nil, err
	}
	return g, nil
}

func (gc *goalContext) grid(fy int) *GoalGrid {
	g := &GoalGrid{Rule: *gc.rule, Year: fy, Unit: gc.unit, Periods: gc.cal.yearPeriods(fy, gc.rule.Cycle), Subjects: gc.tree.list,
		Cells: map[string]map[string]GoalCell{}, Warnings: []GoalWarning{}, CrossWarnings: []GoalCrossWarning{}}
	for i := range g.Periods {
		p := &g.Periods[i]
		p.Locked = gc.locks.locked(gc.cal, p.Key)
		_, p.Frozen = gc.locks[p.Key]
		p.Frozen = p.Frozen && gc.locks[p.Key] != nil
	}
	tg := newTargets(gc.vals, gc.tree, gc.cal, gc.rule.Cycle)
	for _, sub := range gc.tree.list {
		row := map[string]GoalCell{}
		for _, p := range g.Periods {
			c := GoalCell{Value: gc.vals.get(sub.Key, p.Key), Target: tg.of(sub.Key, p.Key), PeriodsSum: tg.timeSum(sub.Key, p.Key),
				SubjectsSum: tg.subjectSum(sub.Key, p.Key), Locked: p.Locked}
			if c.Value != nil && c.PeriodsSum != nil && differs(*c.Value, *c.PeriodsSum) {
				g.Warnings = append(g.Warnings, GoalWarning{Subject: sub.Key, Period: p.Key, Along: "periods", Value: *c.Value, ChildrenSum: *c.PeriodsSum})
			}
			if c.Value != nil && c.SubjectsSum != nil && differs(*c.Value, *c.SubjectsSum) {
				g.Warnings = append(g.Warnings, GoalWarning{Subject: sub.Key, Period: p.Key, Along: "subjects", Value: *c.Value, ChildrenSum: *c.SubjectsSum})
			}
			row[p.Key] = c
		}
		g.Cells[sub.Key] = row
	}
	return g
}

// GoalCellInput sets one cell; a null value clears it.
type GoalCellInput struct {
	Subject string          `json:"subject" example:"person:1234"`
	Period  string          `json:"period" example:"2026-04"`
	Value   json.RawMessage `json:"value" example:"1200000"`
}

// GoalCellsInput is a batch of cell edits, all or nothing.
type GoalCellsInput struct {
	Cells []GoalCellInput `json:"cells" openapi:"required"`
}

// goalWrite is one cell to write.
type goalWrite struct {
	subject, period string
	value           *float64
}

// parseGoalValue reads a target: a finite number ≥ 0, whole for money
// (minor units) and counts.
func parseGoalValue(raw json.RawMessage, unit string) (*float64, string) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil, ""
	}
	if strings.HasPrefix(s, "\"") {
		var str string
		if json.Unmarshal(raw, &str) != nil {
			return nil, "must be a number"
		}
		s = strings.TrimSpace(str)
		if s == "" {
			return nil, ""
		}
	}
	return parseGoalNumber(s, unit)
}

func parseGoalNumber(s, unit string) (*float64, string) {
	x, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || math.IsNaN(x) || math.IsInf(x, 0):
		return nil, fmt.Sprintf("%q is not a number", s)
	case x < 0:
		return nil, "a target cannot be negative"
	case x > 1e15:
		return nil, "is too large"
	case (unit == metrics.UnitMoney || unit == metrics.UnitCount) && x != math.Trunc(x):
		if unit == metrics.UnitMoney {
			return nil, "money is in minor units (fen, cents): a whole number"
		}
		return nil, "a count is a whole number"
	}
	return &x, ""
}

// checkCell validates a cell's subject and period for the rule.
func (gc *goalContext) checkCell(v *cohort.Validation, field, subject, period string) {
	if !gc.tree.validSubject(gc.rule, subject) {
		v.Add(field+".subject", "%q is not a subject of this rule", subject)
	}
	p, _, ok := gc.cal.parse(period)
	if !ok || !slices.Contains(periodKinds(gc.rule.Cycle), p.Kind) {
		v.Add(field+".period", "%q is not a period of a %s rule (FY2026, FY2026-Q1, 2026-04, W2026-12-28)", period, gc.rule.Cycle)
	}
}

// SetGoalValues writes cells, all or nothing: any bad cell is a 422 and a
// cell in a locked period a 409, and then nothing changes.
func (s *Service) SetGoalValues(ctx context.Context, ruleID cohort.ID, in GoalCellsInput) (int, error) {
	w, err := s.goalWriter(ctx, s.db.Read())
	if err != nil {
		return 0, err
	}
	var n int
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		gc, err := s.goalContext(ctx, tx, ruleID, nil)
		if err != nil {
			return err
		}
		var v cohort.Validation
		if len(in.Cells) == 0 || len(in.Cells) > 20000 {
			v.Add("cells", "give 1 to 20000 cells")
		}
		writes := make([]goalWrite, 0, len(in.Cells))
		seen := map[[2]string]bool{}
		for i, c := range in.Cells {
			field := fmt.Sprintf("cells[%d]", i)
			gc.checkCell(&v, field, c.Subject, c.Period)
			x, msg := parseGoalValue(c.Value, gc.unit)
			if msg != "" {
				v.Add(field+".value", "%s", msg)
			}
			if seen[[2]string{c.Subject, c.Period}] {
				v.Add(field, "the cell is named twice")
			}
			seen[[2]string{c.Subject, c.Period}] = true
			writes = append(writes, goalWrite{c.Subject, c.Period, x})
		}
		if err := v.Err(); err != nil {
			return err
		}
		named := make([]goalTarget, len(writes))
		for i, wr := range writes {
			named[i] = goalTarget{fmt.Sprintf("cells[%d].subject", i), wr}
		}
		if err := w.check(gc, named); err != nil {
			return err
		}
		n, err = s.writeGoalCells(ctx, tx, gc, writes, "edit")
		return err
	})
	return n, err
}

// writeGoalCells writes cells and logs each change; a locked cell refuses
// the whole batch. It returns how many cells changed.
func (s *Service) writeGoalCells(ctx context.Context, tx *store.Tx, gc *goalContext, writes []goalWrite, source string) (int, error) {
	var locked []cohort.FieldError
	for _, w := range writes {
		if gc.locks.locked(gc.cal, w.period) {
			locked = append(locked, cohort.FieldError{Field: w.subject + "@" + w.period, Message: "the period " + w.period + " is locked"})
		}
	}
	if len(locked) > 0 {
		return 0, &cohort.Error{Code: cohort.ECONFLICT, Message: fmt.Sprintf("%d cell(s) are in locked periods; unlock them first, nothing was changed", len(locked)), Fields: locked}
	}
	p := cohort.PrincipalFrom(ctx)
	var by any
	if p.User != nil {
		by = int64(p.User.ID)
	}
	now := s.now().UnixMilli()
	tid, rid := int64(gc.tenant.ID), int64(gc.rule.ID)
	n := 0
	for _, w := range writes {
		old := gc.vals.get(w.subject, w.period)
		if old == nil && w.value == nil || old != nil && w.value != nil && *old == *w.value {
			continue
		}
		var err error
		switch {
		case w.value == nil:
			_, err = tx.ExecContext(ctx, "DELETE FROM goal_values WHERE tenant_id = ? AND rule_id = ? AND subject = ? AND period = ?", tid, rid, w.subject, w.period)
		case old == nil:
			_, err = tx.ExecContext(ctx, "INSERT INTO goal_values (tenant_id, rule_id, subject, period, value, updated_by, updated_at) VALUES (?,?,?,?,?,?,?)",
				tid, rid, w.subject, w.period, *w.value, by, now)
		default:
			_, err = tx.ExecContext(ctx, "UPDATE goal_values SET value = ?, updated_by = ?, updated_at = ? WHERE tenant_id = ? AND rule_id = ? AND subject = ? AND period = ?",
				*w.value, by, now, tid, rid, w.subject, w.period)
		}
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO goal_value_changes (tenant_id, id, rule_id, subject, period, old_value, new_value, source, changed_by, changed_at)
			VALUES (?,?,?,?,?,?,?,?,?,?)`, tid, tx.DB().NewID(), rid, w.subject, w.period, old, w.value, source, by, now); err != nil {
			return 0, err
		}
		if gc.vals[w.subject] == nil {
			gc.vals[w.subject] = map[string]float64{}
		}
		if w.value == nil {
			delete(gc.vals[w.subject], w.period)
		} else {
			gc.vals[w.subject][w.period] = *w.value
		}
		n++
	}
	return n, nil
}

// GoalChange is one logged change of a goal value.
type GoalChange struct {
	ID        cohort.ID `json:"id"`
	Subject   string    `json:"subject"`
	Period    string    `json:"period"`
	Old       *float64  `json:"old"`
	New       *float64  `json:"new"`
	Source    string    `json:"source"`
	ChangedBy cohort.ID `json:"changed_by"`
	ByName    string    `json:"changed_by_name"`
	ChangedAt time.Time `json:"changed_at"`
}

// GoalChanges lists a rule's value changes, newest first, optionally of
// one subject and/or period (at most 500).
func (s *Service) GoalChanges(ctx context.Context, ruleID cohort.ID, subject, period string) ([]GoalChange, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	if _, err := findGoalRule(ctx, s.db.Read(), p.Tenant.ID, ruleID); err != nil {
		return nil, err
	}
	q := `SELECT g.id, g.subject, g.period, g.old_value, g.new_value, g.source, g.changed_by, g.changed_at, COALESCE(u.name, '') FROM goal_value_changes g
		LEFT JOIN users u ON u.tenant_id = g.tenant_id AND u.id = g.changed_by WHERE g.tenant_id = ? AND g.rule_id = ?`
	args := []any{int64(p.Tenant.ID), int64(ruleID)}
	if subject != "" {
		q += " AND g.subject = ?"
		args = append(args, subject)
	}
	if period != "" {
		q += " AND g.period = ?"
		args = append(args, period)
	}
	rows, err := s.db.Read().QueryContext(ctx, q+" ORDER BY g.changed_at DESC, g.id DESC LIMIT 500", args...)
	if err != nil {
		return nil, fmt.Errorf("goal changes: %w", err)
	}
	defer rows.Close()
	out := []GoalChange{}
	for rows.Next() {
		var c GoalChange
		var id, at int64
		var by *int64
		if err := rows.Scan(&id, &c.Subject, &c.Period, &c.Old, &c.New, &c.Source, &by, &at, &c.ByName); err != nil {
			return nil, err
		}
		c.ID, c.ChangedAt = cohort.ID(id), time.UnixMilli(at).UTC()
		if by != nil {
			c.ChangedBy = cohort.ID(*by)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
