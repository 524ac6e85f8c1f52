package metrics

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Limits of a query.
const (
	MaxMetrics    = 30
	MaxDimensions = 4
	MaxFilters    = 20
	MaxValues     = 1000
	MaxDrill      = 1000
)

// MaxRows is the most rows an answer holds; a variable only so that tests
// can make the callers' fallbacks for a larger answer run.
var MaxRows = 10000

// Query asks for metrics by dimensions over a period [From, To) of local
// dates, optionally with comparisons.
type Query struct {
	Metrics    []string `json:"metrics" openapi:"required" example:"[\"signed_amount\", \"conversion_rate\"]"`
	Dimensions []string `json:"dimensions" example:"[\"month\", \"person\"]"`
	Filters    []Filter `json:"filters" example:"[{\"dimension\": \"segment\", \"values\": [\"KA\"]}]"`
	// From and To are local dates (YYYY-MM-DD), To excluded.
	From string `json:"from" openapi:"required" example:"2026-01-01"`
	To   string `json:"to" openapi:"required" example:"2026-04-01"`
	// Role is the business role whose credit team metrics count: owner
	// (revenue credit, the default) or any other role key.
	Role string `json:"role" example:"owner"`
	// Compare lists comparisons: previous (the period before, month-aligned
	// when the period is whole months) and year_ago.
	Compare []string `json:"compare" example:"[\"previous\", \"year_ago\"]"`
	// DepartmentRoot is the department whose children the department
	// dimensions group by, each with its whole subtree; 0 groups by the
	// top-level departments.
	// In JSON it is department_root, a department id or "" for none.
	DepartmentRoot   cohort.ID `json:"-"`
	DepartmentRootID string    `json:"department_root" example:""`
	// AsOf is the date (YYYY-MM-DD, inside [From, To)) at which the as-of
	// figures (receivable, overdue, owned and forgotten customers) are
	// taken; default the last day of the period, or today when the period
	// contains it. A comparison takes the same offset into its period.
	AsOf string `json:"as_of" example:"2026-03-31"`
	// Subtrees has the department dimension (department or
	// department_current, the only one of the query; no DepartmentRoot)
	// group by every department, each with its whole subtree: a fact
	// counts under its department and under each department above it, in
	// one statement (goals ask every department of the tree at once).
	Subtrees bool `json:"-"`
	// RowsOnly skips the total and the labels: the rows keyed by ids, for
	// callers that know the names (the total is then an empty row).
	RowsOnly bool `json:"-"`
}

// Filter keeps the facts whose dimension has one of values. A department
// value includes its sub-departments; a time dimension's value is a bucket
// label (2026-03, 2026-Q1, FY2026 ...); "" matches an empty value.
type Filter struct {
	Dimension string   `json:"dimension"`
	Values    []string `json:"values"`
}

// Env is what the engine needs of the tenant and the asker.
type Env struct {
	TenantID             cohort.ID
	FiscalYearStartMonth int
	// WeekStart is the first day of the week, ISO 1 (Monday) .. 7 (Sunday).
	WeekStart int
	// Scope restricts the facts (alias f) to the asker's data scope.
	Scope store.Where
	// Records restricts the facts (alias f) to those of a set of records,
	// a condition on f.source_type and f.source_id: the records a list
	// shows in its own scope and view (the opportunity board's column
	// totals, service.OpportunityStageTotals). The rollups keep no record,
	// so its statements read the facts, on SQLite through facts_source:
	// from the records, not through every fact of a kind.
	Records store.Where
	// Custom are the tenant's own metrics.
	Custom []Metric
	// Lang is zh-CN or en, for labels.
	Lang string
	// Location is the tenant's time zone (nil: UTC), for as-of bounds of
	// times; Today is the tenant's local date (zero: today in Location).
	Location *time.Location
	Today    time.Time
	// ChurnGraceDays and QuoteToleranceBP are the tenant's settings for
	// churned_customers and quote_accuracy.
	ChurnGraceDays   int
	QuoteToleranceBP int
	// RawFacts has every statement read the facts, never the rollups (the
	// tests and benchmarks compare the two).
	RawFacts bool
	// OwnTotals has every total read by a statement of its own, never
	// summed from the grouped rows (the tests compare the two).
	OwnTotals bool
}

func (env *Env) loc() *time.Location {
	if env.Location == nil {
		return time.UTC
	}
	return env.Location
}

func (env *Env) cal() calendar { return calendar{fy: env.FiscalYearStartMonth, week: env.WeekStart} }

// Result is a query's answer.
type Result struct {
	Metrics    []Column      `json:"metrics"`
	Dimensions []string      `json:"dimensions"`
	From       string        `json:"from"`
	To         string        `json:"to"`
	Role       string        `json:"role"`
	AsOf       string        `json:"as_of"`
	Compare    []ComparedTo  `json:"compare,omitempty"`
	Rows       []Row         `json:"rows"`
	Total      Row           `json:"total"`
	Took       time.Duration `json:"-"`
}

// Column describes a metric of the result.
type Column struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	Unit     string `json:"unit"`
	Additive bool   `json:"additive"`
}

// ComparedTo is a comparison's period.
type ComparedTo struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Row is one cell of the dimensions: its keys (ids, codes or bucket labels;
// "" for none) and labels in the order of the dimensions, each metric's
// value (null when empty, e.g. a rate over nothing), and per comparison the
// compared value and the change.
type Row struct {
	Keys    []string                       `json:"keys"`
	Labels  []string                       `json:"labels"`
	Values  map[string]*float64            `json:"values"`
	Compare map[string]map[string]*float64 `json:"compare,omitempty"`
	Change  map[string]map[string]*Change  `json:"change,omitempty"`
}

// Change is a value's change from its comparison: Abs = value − compared,
// Rel = Abs ÷ |compared| (null when compared is 0).
type Change struct {
	Abs float64  `json:"abs"`
	Rel *float64 `json:"rel"`
}

// dimension is how a dimension is read.
type dimension struct {
	col   string // SQL over f (facts), c (customers), u (users), p (products), o (opportunities)
	join  byte   // the join col needs: c, u, p or o
	id    bool   // the key is an id
	label string // the table naming the ids (or business_roles for role)
	dept  bool   // rolls up through the department tree
}

var dimensions = map[string]dimension{
	"person":             {col: "f.user_id", id: true, label: "users"},
	"department":         {col: "f.department_id", id: true, label: "departments", dept: true},
	"department_current": {col: "u.department_id", join: 'u', id: true, label: "departments", dept: true},
	"role":               {col: "f.role", label: "business_roles"},
	"customer":           {col: "f.customer_id", id: true, label: "customers"},
	"segment":            {col: "c.segment", join: 'c'},
	"industry":           {col: "c.industry", join: 'c'},
	"grade":              {col: "c.grade", join: 'c'},
	"source":             {col: "c.source", join: 'c'},
	"region":             {col: "c.province", join: 'c'},
	"product":            {col: "f.product_id", id: true, label: "products"},
	"product_category":   {col: "p.category_id", join: 'p', id: true, label: "product_categories"},
	"followup_type":      {col: "f.attr"},
	"attr":               {col: "f.attr"},
	"forecast_category":  {col: "f.attr"},
	"stage":              {col: "f.stage"},
	"process":            {col: "f.process_id", id: true, label: "sales_processes"},
	"kind":               {col: "f.kind"},
	// competitor is the competitor recorded on an opportunity (its facts
	// only; "" for none and for facts of other records).
	"competitor": {col: "o.competitor", join: 'o'},
	// opportunity is the opportunity a fact is about: its own facts and the
	// expenses incurred for it (none for other records' facts).
	"opportunity": {col: "(CASE WHEN f.record_type = 'opportunity' THEN f.record_id END)", id: true, label: "opportunities"},
}

// byCustomers reports whether a filter names customers (and not "none"):
// the statements then read the facts of those customers only.
func (c *compiled) byCustomers() bool {
	for _, f := range c.filters {
		if f.Dimension == "customer" && len(f.Values) > 0 && !slices.Contains(f.Values, "") {
			return true
		}
	}
	return false
}

// Dimensions lists every dimension name.
func Dimensions() []string {
	out := slices.Clone(timeDims)
	for k := range dimensions {
		out = append(out, k)
	}
	slices.Sort(out[len(timeDims):])
	return out
}

// plan is a compiled query: the aggregate columns and each metric's
// expression over them.
type plan struct {
	leaves  []*Agg
	keys    map[string]int
	exprs   []*expr
	metrics []*Metric
}

// lookup finds a metric by name: built-in, parametric or the tenant's.
func lookup(env *Env, name string) (*Metric, error) {
	if m, ok := builtinByName[name]; ok {
		return m, nil
	}
	if strings.HasPrefix(name, stageConversionPfx) {
		return stageConversion(name)
	}
	if strings.HasPrefix(name, forgottenPfx) {
		return forgottenN(name)
	}
	for i := range env.Custom {
		if env.Custom[i].Name == name {
			return &env.Custom[i], nil
		}
	}
	return nil, fmt.Errorf("unknown metric %q", name)
}

// resolve compiles metric name into an expression over plan's leaves.
func (p *plan) resolve(env *Env, name string, depth int, visiting []string) (*expr, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("formulas nest more than %d deep", maxDepth)
	}
	if slices.Contains(visiting, name) {
		return nil, fmt.Errorf("formula refers to itself through %s", strings.Join(append(visiting, name), " → "))
	}
	m, err := lookup(env, name)
	if err != nil {
		return nil, err
	}
	visiting = append(visiting, name)
	if strings.HasPrefix(name, stageConversionPfx) {
		den, err := p.resolve(env, "stage_entries", depth+1, visiting)
		if err != nil {
			return nil, err
		}
		return &expr{op: '/', l: p.leaf(m.Agg), r: den}, nil
	}
	if m.Formula == "" {
		if m.Agg == nil {
			return nil, fmt.Errorf("metric %q has no definition", name)
		}
		return p.leaf(m.Agg), nil
	}
	e, err := parseFormula(m.Formula)
	if err != nil {
		return nil, fmt.Errorf("formula of %q %v", name, err)
	}
	var fill func(*expr) error
	fill = func(x *expr) error {
		if x == nil {
			return nil
		}
		if x.op == 'n' {
			sub, err := p.resolve(env, x.name, depth+1, visiting)
			if err != nil {
				return err
			}
			*x = *sub
			return nil
		}
		if err := fill(x.l); err != nil {
			return err
		}
		return fill(x.r)
	}
	if err := fill(e); err != nil {
		return nil, err
	}
	return e, nil
}

// leaf returns the expression of an aggregate column, sharing equal ones.
func (p *plan) leaf(a *Agg) *expr {
	b, _ := json.Marshal(a)
	k := string(b)
	i, ok := p.keys[k]
	if !ok {
		i = len(p.leaves)
		p.keys[k] = i
		p.leaves = append(p.leaves, a)
	}
	return &expr{op: 'a', leaf: i}
}

// compiled is a validated query.
type compiled struct {
	q        Query
	from, to time.Time
	plan     *plan
	role     string // the role team aggregates count ("" = any, with the role dimension)
	dims     []string
	filters  []Filter
	depts    *deptTree
	asOf     time.Time // the as-of date of [from, to)
	loc      *time.Location
	grace    int
	tolBP    int
}

// compile validates q; every problem names its field.
func compile(ctx context.Context, db store.Queryer, env *Env, q Query) (*compiled, error) {
	var v cohort.Validation
	c := &compiled{q: q, plan: &plan{keys: map[string]int{}}}
	if len(q.Metrics) == 0 || len(q.Metrics) > MaxMetrics {
		v.Add("metrics", "name 1 to %d metrics", MaxMetrics)
	}
	for i, name := range q.Metrics {
		if slices.Index(q.Metrics, name) < i {
			v.Add(fmt.Sprintf("metrics[%d]", i), "%q is named twice", name)
			continue
		}
		e, err := c.plan.resolve(env, name, 0, nil)
		if err != nil {
			v.Add(fmt.Sprintf("metrics[%d]", i), "%v", err)
			continue
		}
		m, _ := lookup(env, name)
		if slices.ContainsFunc(q.Dimensions, func(d string) bool { return slices.Contains(timeDims, d) }) && c.plan.asOfFrom(e) {
			v.Add(fmt.Sprintf("metrics[%d]", i), "%q is a state on one day (as_of, or the period's last day): ask it without a time dimension", name)
			continue
		}
		c.plan.exprs = append(c.plan.exprs, e)
		c.plan.metrics = append(c.plan.metrics, m)
	}
	if len(c.plan.leaves) > 3*MaxMetrics {
		v.Add("metrics", "the metrics need more than %d aggregates; ask fewer", 3*MaxMetrics)
	}
	if q.DepartmentRootID != "" {
		if id, err := cohort.ParseID(q.DepartmentRootID); err != nil {
			v.Add("department_root", "must be a department id")
		} else {
			c.q.DepartmentRoot, q.DepartmentRoot = id, id
		}
	}
	var ok1, ok2 bool
	c.from, ok1 = parseDate(q.From)
	c.to, ok2 = parseDate(q.To)
	switch {
	case !ok1:
		v.Add("from", "must be a date YYYY-MM-DD")
	case !ok2:
		v.Add("to", "must be a date YYYY-MM-DD")
	case !c.to.After(c.from):
		v.Add("to", "must be after from (the period is [from, to))")
	case c.to.After(c.from.AddDate(maxPeriodYears, 0, 0)):
		v.Add("to", "the period is longer than %d years", maxPeriodYears)
	case c.from.Year() < 1971 || c.to.Year() > 9998:
		v.Add("from", "must be between 1971 and 9998")
	}
	if ok1 && ok2 && c.to.After(c.from) {
		if q.AsOf != "" {
			d, ok := parseDate(q.AsOf)
			if !ok || d.Before(c.from) || !d.Before(c.to) {
				v.Add("as_of", "must be a date YYYY-MM-DD in the period [from, to)")
			}
			c.asOf = d
		} else {
			c.asOf = c.to.AddDate(0, 0, -1)
			today := env.Today
			if today.IsZero() {
				y, m, d := time.Now().In(env.loc()).Date()
				today = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
			}
			if !today.Before(c.from) && today.Before(c.asOf) {
				c.asOf = today
			}
		}
	}
	c.loc, c.grace, c.tolBP = env.loc(), env.ChurnGraceDays, env.QuoteToleranceBP
	if len(q.Dimensions) > MaxDimensions {
		v.Add("dimensions", "at most %d dimensions", MaxDimensions)
	}
	times := 0
	for i, d := range q.Dimensions {
		_, known := dimensions[d]
		switch {
		case slices.Contains(timeDims, d):
			times++
			if times > 1 {
				v.Add(fmt.Sprintf("dimensions[%d]", i), "at most one time dimension")
			}
		case !known:
			v.Add(fmt.Sprintf("dimensions[%d]", i), "unknown dimension %q; known: %s", d, strings.Join(Dimensions(), ", "))
		}
		if slices.Index(q.Dimensions, d) < i {
			v.Add(fmt.Sprintf("dimensions[%d]", i), "%q is named twice", d)
		}
	}
	c.dims = q.Dimensions
	if q.Subtrees {
		n := 0
		for _, d := range q.Dimensions {
			if dimensions[d].dept {
				n++
			}
		}
		if n != 1 || q.DepartmentRootID != "" || q.DepartmentRoot != 0 {
			v.Add("dimensions", "subtrees need one department dimension and no department root")
		}
	}
	if len(q.Filters) > MaxFilters {
		v.Add("filters", "at most %d filters", MaxFilters)
	}
	for i, f := range q.Filters {
		field := fmt.Sprintf("filters[%d]", i)
		d, known := dimensions[f.Dimension]
		isTime := slices.Contains(timeDims, f.Dimension)
		if !known && !isTime {
			v.Add(field+".dimension", "unknown dimension %q", f.Dimension)
			continue
		}
		if len(f.Values) == 0 || len(f.Values) > MaxValues {
			v.Add(field+".values", "give 1 to %d values", MaxValues)
			continue
		}
		for j, val := range f.Values {
			switch {
			case isTime:
				if _, _, ok := bucketRange(f.Dimension, val, env.cal()); !ok {
					v.Add(fmt.Sprintf("%s.values[%d]", field, j), "%q is not a %s (e.g. %s)", val, f.Dimension, bucketOf(f.Dimension, time.Now().UTC(), env.cal()))
				}
			case d.id && val != "":
				if _, err := strconv.ParseInt(val, 10, 64); err != nil {
					v.Add(fmt.Sprintf("%s.values[%d]", field, j), "%q is not an id", val)
				}
			case len(val) > 200:
				v.Add(fmt.Sprintf("%s.values[%d]", field, j), "is longer than 200 characters")
			}
		}
	}
	c.filters = q.Filters
	if len(q.Role) > 50 {
		v.Add("role", "must be a business role key")
	}
	c.role = q.Role
	if c.role == "" && !slices.Contains(q.Dimensions, "role") {
		c.role = cohort.RoleOwner
	}
	for i, k := range q.Compare {
		if k != ComparePrevious && k != CompareYearAgo || slices.Index(q.Compare, k) < i {
			v.Add(fmt.Sprintf("compare[%d]", i), "must be previous or year_ago, each once")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if q.Role != "" && q.Role != cohort.RoleOwner {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM business_roles WHERE tenant_id = ? AND key = ?", int64(env.TenantID), q.Role).Scan(&n); err != nil {
			return nil, fmt.Errorf("metrics role: %w", err)
		}
		if n == 0 {
			return nil, &cohort.Error{Code: cohort.EINVALID, Message: fmt.Sprintf("role: %q is not a business role", q.Role),
				Fields: []cohort.FieldError{{Field: "role", Message: "not a business role"}}}
		}
	}
	needTree := q.DepartmentRoot != 0
	for _, d := range q.Dimensions {
		needTree = needTree || dimensions[d].dept
	}
	for _, f := range q.Filters {
		needTree = needTree || dimensions[f.Dimension].dept
	}
	if needTree {
		t, err := loadDepartments(ctx, db, env.TenantID)
		if err != nil {
			return nil, err
		}
		if q.DepartmentRoot != 0 && t.byID[q.DepartmentRoot] == nil {
			return nil, &cohort.Error{Code: cohort.EINVALID, Message: "department_root: no such department",
				Fields: []cohort.FieldError{{Field: "department_root", Message: "no such department"}}}
		}
		c.depts = t
	}
	return c, nil
}

// sqlOf builds the SELECT of c over [from, to): grouped by the dimensions,
// or one total row. Grouped by department subtrees, it is one SELECT per
// level of the tree (UNION ALL): the level's departments, each with its
// subtree, are disjoint, so each level reads the facts once and a fact
// counts once under each department above it; counts and sums instead
// group by the fact's own department, and scan adds each row into the
// department and every one above it.
func (c *compiled) sqlOf(e store.Engine, env *Env, from, to time.Time, grouped bool, leaves []int) (string, []any) {
	return c.sqlWith(e, env, from, to, grouped, leaves, nil)
}

// sqlWith is sqlOf with, after the aggregates of leaves, the total's
// column of each of hidden (leaves whose total adds up another rollup
// column than their grouped value: addsUp).
func (c *compiled) sqlWith(e store.Engine, env *Env, from, to time.Time, grouped bool, leaves, hidden []int) (string, []any) {
	if !grouped || len(c.dims) == 0 {
		return c.sqlArm(e, env, from, to, grouped, leaves, hidden, nil)
	}
	limit := fmt.Sprintf(" LIMIT %d", MaxRows+1)
	if !c.q.Subtrees {
		s, args := c.sqlArm(e, env, from, to, grouped, leaves, hidden, nil)
		return s + limit, args
	}
	if c.sumsSubtrees(leaves) {
		s, args := c.sqlArm(e, env, from, to, grouped, leaves, hidden, nil)
		return s + limit, args
	}
	var arms []string
	var args []any
	levels := c.depts.levels()
	if len(levels) == 0 {
		levels = []deptLevel{{}} // no department: no row
	}
	for _, l := range levels {
		s, a := c.sqlArm(e, env, from, to, grouped, leaves, hidden, &l)
		arms, args = append(arms, s), append(args, a...)
	}
	return strings.Join(arms, " UNION ALL ") + limit, args
}

// sqlArm is one SELECT of sqlOf, without its LIMIT; level is the level of
// the department tree a Subtrees query groups by.
func (c *compiled) sqlArm(e store.Engine, env *Env, from, to time.Time, grouped bool, leaves, hidden []int, level *deptLevel) (string, []any) {
	if len(leaves) == 1 && len(hidden) == 0 && level == nil {
		a := c.plan.leaves[leaves[0]]
		if since := c.stageSince(env, from, to, a, grouped); since != "" {
			return c.stageSQL(e, env, from, to, grouped, a, since)
		}
		if c.laterRollup(env, from, to, a, grouped) {
			return c.laterSQL(e, env, from, to, grouped, a)
		}
	}
	var sel []string
	var args []any
	joins := map[byte]bool{}
	ndims := 0
	var levelWhere []string
	if grouped {
		for _, d := range c.dims {
			if dim := dimensions[d]; dim.dept && c.q.Subtrees && level == nil {
				if dim.join != 0 {
					joins[dim.join] = true
				}
				sel = append(sel, dim.col)
				continue
			} else if dim.dept && level != nil {
				if dim.join != 0 {
					joins[dim.join] = true
				}
				sel = append(sel, level.keySQL(dim.col))
				levelWhere = append(levelWhere, dim.col+" IN ("+idList(level.ids)+")")
				continue
			}
			sel = append(sel, c.dimSQL(env, d, joins, from, to))
		}
		ndims = len(sel)
	}
	kinds := map[string]bool{}
	roles := map[string]bool{}
	anyRole := false
	rollup := c.rollupTable(env, from, to, grouped, leaves)
	attrs := c.sharedAttr(leaves)
	for _, i := range leaves {
		a := c.plan.leaves[i]
		if attrs != nil {
			b := *a
			b.Attr = nil // in the WHERE
			a = &b
		}
		cond, cargs := c.condSQL(unended(a, rollup), from, to, false)
		for _, k := range a.Kinds {
			kinds[k] = true
		}
		switch rs := c.aggRoles(a); rs {
		case nil:
			anyRole = true
		default:
			for _, r := range rs {
				roles[r] = true
			}
		}
		if rollup != "" {
			sel = append(sel, c.rollupAggSQL(e, env, a, cond, grouped))
		} else {
			sel = append(sel, aggSQL(e, a, cond))
		}
		args = append(args, cargs...)
	}
	for _, i := range hidden {
		a := c.plan.leaves[i]
		if attrs != nil {
			b := *a
			b.Attr = nil
			a = &b
		}
		cond, cargs := c.condSQL(unended(a, rollup), from, to, false)
		sel = append(sel, c.rollupAggSQL(e, env, a, cond, false))
		args = append(args, cargs...)
	}
	lo, hi := c.dayBounds(c.plan.leaves[leaves[0]], from, to)
	// On SQLite the tenant, the days and the roles, which choose the index
	// range, are written into the text: with a parameter there, binding a
	// value makes SQLite (built with STAT4) plan a kept statement again at
	// every run, and with them the text is kept prepared (QueryPrepared)
	// per tenant and period. PostgreSQL keeps its parameters.
	inline := e == store.SQLite
	var where []string
	if inline {
		where = []string{"f.tenant_id = " + strconv.FormatInt(int64(env.TenantID), 10), "f.day >= " + strconv.FormatInt(lo, 10),
			"f.day < " + strconv.FormatInt(hi, 10)}
	} else {
		where = []string{"f.tenant_id = ?", "f.day >= ?", "f.day < ?"}
		args = append(args, int64(env.TenantID), lo, hi)
	}
	kl := make([]string, 0, len(kinds))
	for k := range kinds {
		kl = append(kl, k)
	}
	slices.Sort(kl)
	where = append(where, "f.kind IN ('"+strings.Join(kl, "', '")+"')")
	if !anyRole && len(roles) > 0 {
		rl := make([]string, 0, len(roles))
		for r := range roles {
			rl = append(rl, r)
		}
		slices.Sort(rl)
		if inline {
			for i, r := range rl {
				rl[i] = sqlString(r)
			}
			where = append(where, "f.role IN ("+strings.Join(rl, ", ")+")")
		} else {
			where = append(where, "f.role IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(rl)), ", ")+")")
			for _, r := range rl {
				args = append(args, r)
			}
		}
	}
	if attrs != nil {
		where = append(where, "f.attr IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(attrs)), ", ")+")")
		for _, x := range attrs {
			args = append(args, x)
		}
	}
	for _, w := range []store.Where{env.Scope, env.Records} {
		if w.SQL != "" {
			where = append(where, "("+w.SQL+")")
			args = append(args, w.Args...)
		}
	}
	fw, fargs := c.filterSQL(env, joins)
	where = append(where, fw...)
	args = append(args, fargs...)
	where = append(where, levelWhere...)
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(sel, ", "))
	if rollup != "" {
		b.WriteString(" FROM " + rollupFrom(rollup))
	} else {
		b.WriteString(" FROM facts f")
		if e == store.SQLite && env.Records.SQL != "" {
			b.WriteString(" INDEXED BY facts_source")
		} else if e == store.SQLite && c.byCustomers() {
			// SQLite's planner reads a whole kind's days through
			// facts_kind_day for an as-of or open-ended statement of one
			// customer (BENCHMARKS.md "A customer's figures").
			b.WriteString(" INDEXED BY facts_customer")
		}
	}
	b.WriteString(joinSQL(joins))
	b.WriteString(" WHERE ")
	b.WriteString(strings.Join(where, " AND "))
	if ndims > 0 {
		pos := make([]string, ndims)
		for i := range pos {
			pos[i] = strconv.Itoa(i + 1)
		}
		b.WriteString(" GROUP BY " + strings.Join(pos, ", ")) // scan sorts the merged cells
	}
	return b.String(), args
}

// unended is a without its Ended condition when a rollup answers it: the
// rollup column it reads counts the ended stays (rollupable).
func unended(a *Agg, rollup string) *Agg {
	if rollup == "" || !a.Ended {
		return a
	}
	b := *a
	b.Ended = false
	return &b
}

// sharedAttr is the attr condition every aggregate of leaves has (nil
// for none), which the statement's WHERE then applies once: calls and
// call minutes by person read the calls' rollup rows (a fifth of the
// follow-ups' in the cockpit benchmark) instead of summing a CASE over
// every follow-up's, and sort only those for the GROUP BY. A grouped row
// is then a cell with facts of that condition: a person with follow-ups
// but no call has no row of zero calls from this statement (as a person
// without follow-ups had none before).
func (c *compiled) sharedAttr(leaves []int) []string {
	first := c.plan.leaves[leaves[0]].Attr
	if len(first) == 0 {
		return nil
	}
	for _, i := range leaves[1:] {
		if !slices.Equal(c.plan.leaves[i].Attr, first) {
			return nil
		}
	}
	return first
}

// sumsSubtrees reports whether the Subtrees statement of leaves groups by
// the fact's own department for scan to add up: every aggregate is a
// count or a sum, which add up over disjoint sets of facts.
func (c *compiled) sumsSubtrees(leaves []int) bool {
	if !c.q.Subtrees {
		return false
	}
	for _, i := range leaves {
		switch c.plan.leaves[i].Func {
		case "count", "sum", "credited", "weight":
		default:
			return false
		}
	}
	return true
}

func joinSQL(joins map[byte]bool) string {
	var s string
	if joins['c'] {
		s += " LEFT JOIN customers c ON c.tenant_id = f.tenant_id AND c.id = f.customer_id"
	}
	if joins['u'] {
		s += " LEFT JOIN users u ON u.tenant_id = f.tenant_id AND u.id = f.user_id"
	}
	if joins['p'] {
		s += " LEFT JOIN products p ON p.tenant_id = f.tenant_id AND p.id = f.product_id"
	}
	if joins['o'] {
		s += " LEFT JOIN opportunities o ON o.tenant_id = f.tenant_id AND o.id = f.source_id AND f.source_type = 'opportunity'"
	}
	return s
}

// aggRole is the role aggregate a counts: its own, the query's, or "" for
// any.
func (c *compiled) aggRole(a *Agg) string {
	switch a.Role {
	case "*":
		return ""
	case "":
		return c.role
	}
	return a.Role
}

// aggRoles are the roles a's facts may have, nil for any: under the revenue
// credit (owner) a team fact with nobody credited (role "", a customer
// created into a pool) counts too, in the totals and under no person.
func (c *compiled) aggRoles(a *Agg) []string {
	r := c.aggRole(a)
	switch {
	case r == "":
		return nil
	case r == cohort.RoleOwner && a.Role == "":
		return []string{cohort.RoleOwner, ""}
	}
	return []string{r}
}

// condSQL is the condition selecting a's facts. Inside its own statement
// (full false) the WHERE has selected its kinds and role already.
func (c *compiled) condSQL(a *Agg, from, to time.Time, full bool) (string, []any) {
	var parts []string
	var args []any
	if full {
		if len(a.Kinds) == 1 {
			parts = append(parts, "f.kind = '"+a.Kinds[0]+"'")
		} else {
			parts = append(parts, "f.kind IN ('"+strings.Join(a.Kinds, "', '")+"')")
		}
		if rs := c.aggRoles(a); rs != nil {
			parts = append(parts, "f.role IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(rs)), ", ")+")")
			for _, r := range rs {
				args = append(args, r)
			}
		}
	}
	if len(a.Attr) > 0 {
		parts = append(parts, "f.attr IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(a.Attr)), ", ")+")")
		for _, x := range a.Attr {
			args = append(args, x)
		}
	}
	if a.Stage != "" {
		parts = append(parts, "f.stage = ?")
		args = append(args, a.Stage)
	}
	if a.Ended {
		parts = append(parts, "f.ref_at IS NOT NULL")
	}
	if a.AsOf != "" {
		r := c.asOfIn(from, to)
		if a.AsOf == "end" {
			r = to.AddDate(0, 0, -1)
		}
		y, m, d := r.Date()
		start := time.Date(y, m, d, 0, 0, 0, 0, c.loc).UnixMilli()
		end := time.Date(y, m, d+1, 0, 0, 0, 0, c.loc).UnixMilli()
		switch a.Ref {
		case "by":
			parts, args = append(parts, "f.ref_at IS NOT NULL AND f.ref_at < ?"), append(args, end)
		case "before":
			parts, args = append(parts, "f.ref_at IS NOT NULL AND f.ref_at < ?"), append(args, start)
		case "open":
			parts, args = append(parts, "(f.ref_at IS NULL OR f.ref_at >= ?)"), append(args, end)
		}
		if a.Quiet > 0 {
			parts = append(parts, "NOT EXISTS (SELECT 1 FROM facts g WHERE g.tenant_id = f.tenant_id AND g.customer_id = f.customer_id"+
				" AND g.kind = '"+kFollowUpDone+"' AND g.day > ? AND g.day <= ?)",
				"NOT EXISTS (SELECT 1 FROM facts g WHERE g.tenant_id = f.tenant_id AND g.customer_id = f.customer_id"+
					" AND g.kind = '"+kCustomerLost+"' AND g.day <= ?)")
			args = append(args, dayNum(r)-int64(a.Quiet), dayNum(r), dayNum(r))
		}
	}
	if a.Repeat {
		parts = append(parts, "EXISTS (SELECT 1 FROM facts g WHERE g.tenant_id = f.tenant_id AND g.customer_id = f.customer_id"+
			" AND g.kind IN ('"+kContractSigned+"', '"+kOrderSigned+"') AND (g.occurred_at < f.occurred_at OR g.occurred_at = f.occurred_at AND g.record_id < f.record_id))")
	}
	if a.Unrenewed {
		parts = append(parts, "NOT EXISTS (SELECT 1 FROM facts g WHERE g.tenant_id = f.tenant_id AND g.customer_id = f.customer_id"+
			" AND g.kind = '"+kContractStarted+"' AND g.record_id <> f.record_id AND g.day <= f.day + ? AND (g.ref_at IS NULL OR g.ref_at > f.occurred_at))")
		args = append(args, c.grace)
	}
	if a.Accurate {
		parts, args = append(parts, "f.n <= ?"), append(args, c.tolBP)
	}
	if l := a.Later; l != nil {
		// The later facts are the projection of the same record (a
		// customer's, an opportunity's, a ticket's: the kind's prefix), found
		// by facts_source from the record id the covering index holds.
		src, _, _ := strings.Cut(l.Kinds[0], ".")
		s := "EXISTS (SELECT 1 FROM facts g WHERE g.tenant_id = f.tenant_id AND g.source_type = '" + src + "' AND g.source_id = f.record_id" +
			" AND g.kind IN ('" + strings.Join(l.Kinds, "', '") + "') AND (g.occurred_at > f.occurred_at OR g.occurred_at = f.occurred_at AND g.kind <> f.kind)"
		if l.Stage != "" {
			s += " AND g.stage = ?"
			args = append(args, l.Stage)
		}
		if l.ByEnd {
			s += " AND g.day < ?"
			args = append(args, dayNum(to))
		}
		parts = append(parts, s+")")
	}
	return strings.Join(parts, " AND "), args
}

// fieldSQL is the SQL of a measure.
func fieldSQL(field string) string {
	switch field {
	case "amount", "duration_s", "n", "record_id", "customer_id", "user_id", "day":
		return "f." + field
	case "span_s":
		return "((f.occurred_at - f.ref_at) / 1000)"
	case "weighted_amount":
		return "(f.amount * f.n / 100.0)"
	}
	return "1"
}

// aggSQL is the SQL of aggregate a over the facts matching cond. Sums are
// floating point (TOTAL on SQLite, which never overflows; a double on
// PostgreSQL); credited and weight are in basis points, divided in Go.
func aggSQL(e store.Engine, a *Agg, cond string) string {
	of := func(x string) string {
		if cond == "" {
			return x
		}
		return "CASE WHEN " + cond + " THEN " + x + " END"
	}
	dbl := func(fn, x string) string {
		if e == store.Postgres {
			return "CAST(" + fn + "(" + of(x) + ") AS DOUBLE PRECISION)"
		}
		return fn + "(" + of(x) + ")"
	}
	sum := func(x string) string {
		if e == store.Postgres {
			return dbl("SUM", x)
		}
		return "TOTAL(" + of(x) + ")"
	}
	switch a.Func {
	case "records":
		return "COUNT(DISTINCT " + of("f.record_id") + ")"
	case "count":
		return "COUNT(" + of("1") + ")"
	case "count_distinct":
		return "COUNT(DISTINCT " + of(fieldSQL(a.Field)) + ")"
	case "sum":
		if a.Field == "amount" || a.Field == "weighted_amount" {
			return sum(fieldSQL(a.Field) + " * f.share_bp")
		}
		return sum(fieldSQL(a.Field))
	case "credited":
		return sum(fieldSQL(a.Field) + " * f.share_bp")
	case "weight":
		return sum("f.share_bp")
	case "avg":
		return dbl("AVG", fieldSQL(a.Field))
	case "min":
		return dbl("MIN", fieldSQL(a.Field))
	case "max":
		return dbl("MAX", fieldSQL(a.Field))
	}
	panic("metrics: unknown aggregate " + a.Func)
}

// finish turns a scanned aggregate into its value: shares in basis points
// become fractions, and an additive aggregate over nothing is 0.
func finish(a *Agg, v sql.NullFloat64) *float64 {
	if !v.Valid {
		switch a.Func {
		case "avg", "min", "max":
			return nil
		}
		v.Float64 = 0
	}
	x := v.Float64
	if a.Func == "credited" || a.Func == "weight" || a.Func == "sum" && (a.Field == "amount" || a.Field == "weighted_amount") {
		x /= 10000
	}
	return &x
}

// dimSQL is the SQL of a dimension's key.
func (c *compiled) dimSQL(env *Env, d string, joins map[byte]bool, from, to time.Time) string {
	if slices.Contains(timeDims, d) {
		return bucketSQL(d, env.cal(), from, to)
	}
	dim := dimensions[d]
	if dim.join != 0 {
		joins[dim.join] = true
	}
	if dim.dept {
		return c.depts.rollupSQL(dim.col, c.q.DepartmentRoot)
	}
	return dim.col
}

// filterSQL renders the filters (and a department root) as conditions.
func (c *compiled) filterSQL(env *Env, joins map[byte]bool) ([]string, []any) {
	var where []string
	var args []any
	if c.q.DepartmentRoot != 0 {
		for _, d := range c.dims {
			if dim := dimensions[d]; dim.dept {
				joins[dim.join] = dim.join != 0
				where = append(where, dim.col+" IN ("+idList(c.depts.subtree(c.q.DepartmentRoot))+")")
			}
		}
	}
	for _, f := range c.filters {
		if slices.Contains(timeDims, f.Dimension) {
			var ors []string
			for _, val := range f.Values {
				s, e, _ := bucketRange(f.Dimension, val, env.cal())
				ors = append(ors, "(f.day >= ? AND f.day < ?)")
				args = append(args, dayNum(s), dayNum(e))
			}
			where = append(where, "("+strings.Join(ors, " OR ")+")")
			continue
		}
		dim := dimensions[f.Dimension]
		if dim.join != 0 {
			joins[dim.join] = true
		}
		var ors []string
		var ids []cohort.ID
		var vals []any
		for _, val := range f.Values {
			switch {
			case val == "" && dim.id:
				ors = append(ors, dim.col+" IS NULL")
			case dim.dept:
				id, _ := strconv.ParseInt(val, 10, 64)
				ids = append(ids, c.depts.subtree(cohort.ID(id))...)
			case dim.id:
				id, _ := strconv.ParseInt(val, 10, 64)
				ids = append(ids, cohort.ID(id))
			default:
				vals = append(vals, val)
			}
		}
		if len(ids) > 0 {
			ors = append(ors, dim.col+" IN ("+idList(ids)+")")
		}
		if len(vals) > 0 {
			ors = append(ors, dim.col+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")+")")
			args = append(args, vals...)
		}
		if len(ors) == 0 {
			ors = append(ors, "1 = 0") // a department that does not exist
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	return where, args
}

// sqlString is s as a SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// idList renders ids (never user text) as a SQL list.
func idList(ids []cohort.ID) string {
	if len(ids) == 0 {
		return "NULL"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(int64(id), 10)
	}
	return strings.Join(s, ", ")
}

// TooManyRows reports whether err is Run refusing an answer of more than
// MaxRows rows.
func TooManyRows(err error) bool {
	var e *cohort.Error
	return errors.As(err, &e) && e.Code == cohort.EINVALID && len(e.Fields) == 1 && e.Fields[0].Field == "dimensions" &&
		e.Fields[0].Message == fmt.Sprintf("more than %d rows", MaxRows)
}

// Check validates q as Run would, without reading a fact: every problem is
// a field error (cockpits check their widgets' queries on save).
func Check(ctx context.Context, db store.Queryer, env Env, q Query) error {
	_, err := compile(ctx, db, &env, q)
	return err
}

// Run answers q inside env's scope.
func Run(ctx context.Context, db store.Queryer, env Env, q Query) (*Result, error) {
	start := time.Now()
	c, err := compile(ctx, db, &env, q)
	if err != nil {
		return nil, err
	}
	res := &Result{Dimensions: c.dims, From: q.From, To: q.To, Role: c.role, AsOf: fmtDate(c.asOf)}
	if res.Dimensions == nil {
		res.Dimensions = []string{}
	}
	for _, m := range c.plan.metrics {
		res.Metrics = append(res.Metrics, Column{Name: m.Name, Label: m.label(env.Lang), Unit: m.Unit, Additive: m.Additive})
	}
	rows, total, err := c.run(ctx, db, &env, c.from, c.to, !q.RowsOnly)
	if err != nil {
		return nil, err
	}
	res.Rows, res.Total = rows, total
	for _, k := range q.Compare {
		pf, pt, fwd := comparePeriod(k, c.from, c.to)
		res.Compare = append(res.Compare, ComparedTo{Name: k, From: fmtDate(pf), To: fmtDate(pt)})
		prows, ptotal, err := c.run(ctx, db, &env, pf, pt, !q.RowsOnly)
		if err != nil {
			return nil, err
		}
		byKey := map[string]Row{}
		tpos := slices.IndexFunc(c.dims, func(d string) bool { return slices.Contains(timeDims, d) })
		for _, r := range prows {
			if tpos >= 0 {
				// Move the bucket onto the asked period: March last year
				// compares with March.
				s, _, _ := bucketRange(c.dims[tpos], r.Keys[tpos], env.cal())
				r.Keys[tpos] = bucketOf(c.dims[tpos], fwd(s), env.cal())
			}
			byKey[strings.Join(r.Keys, "\x00")] = r
		}
		for i := range res.Rows {
			compare(&res.Rows[i], k, byKey[strings.Join(res.Rows[i].Keys, "\x00")].Values, c.plan.metrics)
		}
		compare(&res.Total, k, ptotal.Values, c.plan.metrics)
	}
	if q.RowsOnly {
		res.Took = time.Since(start)
		return res, nil
	}
	if err := c.label(ctx, db, &env, res.Rows); err != nil {
		return nil, err
	}
	res.Took = time.Since(start)
	return res, nil
}

// asOfIn is the as-of date of the period [from, to): the query's, at the
// same offset from the start (a comparison's), at most the period's last
// day.
func (c *compiled) asOfIn(from, to time.Time) time.Time {
	r := from.AddDate(0, 0, int(dayNum(c.asOf)-dayNum(c.from)))
	if last := to.AddDate(0, 0, -1); r.After(last) {
		r = last
	}
	return r
}

// dayBounds are the days [lo, hi) whose facts aggregate a reads over the
// period [from, to): the period's, or everything up to the as-of date.
func (c *compiled) dayBounds(a *Agg, from, to time.Time) (int64, int64) {
	const first = -1 << 30 // facts.day is a 4-byte integer on PostgreSQL
	switch a.AsOf {
	case "as_of":
		return first, dayNum(c.asOfIn(from, to)) + 1
	case "before_as_of":
		return first, dayNum(c.asOfIn(from, to))
	case "end":
		return first, dayNum(to)
	}
	return dayNum(from), dayNum(to)
}

// asOfFrom reports whether e reads an as-of aggregate.
func (p *plan) asOfFrom(e *expr) bool {
	if e == nil {
		return false
	}
	if e.op == 'a' {
		return p.leaves[e.leaf].AsOf != ""
	}
	return p.asOfFrom(e.l) || p.asOfFrom(e.r)
}

// compare stores the compared values of r and their change.
func compare(r *Row, name string, prev map[string]*float64, ms []*Metric) {
	if r.Compare == nil {
		r.Compare, r.Change = map[string]map[string]*float64{}, map[string]map[string]*Change{}
	}
	vals, chg := map[string]*float64{}, map[string]*Change{}
	for _, m := range ms {
		p := prev[m.Name]
		if prev == nil && m.Formula == "" && m.Additive {
			z := 0.0
			p = &z // no facts in the compared cell: an additive figure is 0
		}
		vals[m.Name] = p
		cur := r.Values[m.Name]
		if cur == nil || p == nil {
			chg[m.Name] = nil
			continue
		}
		ch := &Change{Abs: round(*cur - *p)}
		if *p != 0 {
			rel := round(ch.Abs / math.Abs(*p))
			ch.Rel = &rel
		}
		chg[m.Name] = ch
	}
	r.Compare[name], r.Change[name] = vals, chg
}

func round(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// run computes the grouped rows and (withTotal) the total over [from, to).
// The total of a statement whose aggregates add up is summed from its
// grouped rows (addsUp) instead of being read again.
func (c *compiled) run(ctx context.Context, db store.Queryer, env *Env, from, to time.Time, withTotal bool) ([]Row, Row, error) {
	var rows []Row
	var sums *rowSums
	if len(c.dims) > 0 {
		if withTotal && !env.OwnTotals {
			sums = c.newRowSums(env, from, to)
		}
		var err error
		if rows, err = c.scan(ctx, db, env, from, to, true, sums); err != nil {
			return nil, Row{}, err
		}
		if len(rows) > MaxRows {
			return nil, Row{}, &cohort.Error{Code: cohort.EINVALID, Message: fmt.Sprintf("dimensions: the answer has more than %d rows; filter or use a coarser grain", MaxRows),
				Fields: []cohort.FieldError{{Field: "dimensions", Message: fmt.Sprintf("more than %d rows", MaxRows)}}}
		}
	}
	if rows == nil {
		rows = []Row{}
	}
	if !withTotal {
		return rows, Row{Keys: []string{}, Labels: []string{}, Values: map[string]*float64{}}, nil
	}
	total, err := c.scan(ctx, db, env, from, to, false, sums)
	if err != nil {
		return nil, Row{}, err
	}
	return rows, total[0], nil
}

// summedTotals counts the totals summed from grouped rows (the tests
// check that some are).
var summedTotals atomic.Int64

// rowSums are the totals of the statements (groups) whose grouped rows add
// up to them, summed while the rows are scanned.
type rowSums struct {
	// src[g] are, for each aggregate of group g, the column of the grouped
	// statement whose sum is its total (nil: the group reads its total).
	src [][]int
	// hidden[g] are the aggregates whose total is a column of its own
	// after the group's aggregates.
	hidden [][]int
	sum    [][]int64
	ok     []bool
}

// newRowSums finds the groups whose totals are sums of their grouped rows.
func (c *compiled) newRowSums(env *Env, from, to time.Time) *rowSums {
	gs := c.groups()
	s := &rowSums{src: make([][]int, len(gs)), hidden: make([][]int, len(gs)), sum: make([][]int64, len(gs)), ok: make([]bool, len(gs))}
	for gi, g := range gs {
		src, hidden := c.addsUp(env, from, to, g)
		if src == nil {
			continue
		}
		s.src[gi], s.hidden[gi], s.sum[gi], s.ok[gi] = src, hidden, make([]int64, len(g)), true
	}
	return s
}

// addsUp reports how the total of group g is the sum of its grouped rows:
// for each aggregate the column to add up, and the aggregates whose total
// needs a column of its own (hidden); nil when it is not. Every row of the
// grouped statement is a cell of the same facts as the total's (the same
// WHERE; the joins are to one row at most), so a count or a sum of
// integers adds up exactly. A count of records per person (rec_user)
// does not add up to the company's (a co-owned contract is one), but the
// rollup's rec, summed in the same statement, does (recordsCol). Means,
// extremes, distinct counts and department subtrees (a fact in several
// rows) do not.
func (c *compiled) addsUp(env *Env, from, to time.Time, g []int) (src, hidden []int) {
	if len(c.dims) == 0 || c.q.Subtrees {
		return nil, nil
	}
	src = make([]int, len(g))
	for i, li := range g {
		a := c.plan.leaves[li]
		src[i] = i
		switch a.Func {
		case "count", "weight":
		case "sum", "credited":
			switch a.Field {
			case "", "amount", "duration_s", "n":
			default:
				return nil, nil // weighted_amount is not an integer
			}
		case "records":
			if c.rollupTableOf(env, from, to, true, g) == "" || c.recordsCol(env, a, false) == "" {
				return nil, nil
			}
			src[i] = len(g) + len(hidden)
			hidden = append(hidden, li)
		default:
			return nil, nil
		}
	}
	return src, hidden
}

// add adds a grouped row's columns (vals) of group gi to its sums. A value
// that is not an integer of at most 2^53 (a double holds it exactly) or a
// sum that overflows leaves the group to its own total statement.
func (s *rowSums) add(gi int, vals []sql.NullFloat64) {
	if s == nil || !s.ok[gi] {
		return
	}
	for i, col := range s.src[gi] {
		v := vals[col]
		if !v.Valid {
			continue
		}
		if v.Float64 != math.Trunc(v.Float64) || math.Abs(v.Float64) > 1<<53 {
			s.ok[gi] = false
			return
		}
		x := int64(v.Float64)
		sum := s.sum[gi][i] + x
		if (x > 0 && sum < s.sum[gi][i]) || (x < 0 && sum > s.sum[gi][i]) {
			s.ok[gi] = false
			return
		}
		s.sum[gi][i] = sum
	}
}

// groups splits the aggregates by the facts they read (kinds and role):
// each group is one SQL statement that reads only its facts through the
// index, instead of every fact of the query testing every aggregate.
func (c *compiled) groups() [][]int {
	var keys []string
	by := map[string][]int{}
	for i, a := range c.plan.leaves {
		k := strings.Join(a.Kinds, ",") + "/" + c.aggRole(a) + "/" + a.AsOf
		if stageEntries(a) {
			k += "/entries" // a statement of its own (stageSince)
		}
		if laterRecords(a) {
			k += "/later" // a statement of its own (laterRollup)
		}
		if _, ok := by[k]; !ok {
			keys = append(keys, k)
		}
		by[k] = append(by[k], i)
	}
	out := make([][]int, len(keys))
	for i, k := range keys {
		out[i] = by[k]
	}
	return out
}

// scan runs the statements of the groups, grouped by the dimensions (and
// summing the rows into sums) or the total (taking the groups sums holds).
func (c *compiled) scan(ctx context.Context, db store.Queryer, env *Env, from, to time.Time, grouped bool, sums *rowSums) ([]Row, error) {
	nd := 0
	if grouped {
		nd = len(c.dims)
	}
	type cell struct {
		keys []sql.NullString
		vals []sql.NullFloat64
	}
	cells := map[string]*cell{}
	var order []string
	if !grouped {
		cells[""] = &cell{vals: make([]sql.NullFloat64, len(c.plan.leaves))}
		order = append(order, "")
	}
	for gi, g := range c.groups() {
		if !grouped && sums != nil && sums.ok[gi] {
			summedTotals.Add(1)
			for i, li := range g {
				// Exact: SQLite's TOTAL of integers and PostgreSQL's SUM cast
				// to a double round the exact sum once, as this does.
				cells[""].vals[li] = sql.NullFloat64{Float64: float64(sums.sum[gi][i]), Valid: true}
			}
			continue
		}
		var hidden []int
		if grouped && sums != nil {
			hidden = sums.hidden[gi]
		}
		q, args := c.sqlWith(db.Engine(), env, from, to, grouped, g, hidden)
		rs, err := store.QueryPrepared(ctx, db, q, args...)
		if err != nil {
			return nil, fmt.Errorf("metrics query: %w", err)
		}
		// Counts and sums by subtrees: each row (a department's own facts)
		// goes into its department and every one above it.
		deptPos := -1
		if grouped && c.sumsSubtrees(g) {
			deptPos = slices.IndexFunc(c.dims, func(d string) bool { return dimensions[d].dept })
		}
		keys := make([]sql.NullString, nd)
		vals := make([]sql.NullFloat64, len(g)+len(hidden))
		dest := make([]any, 0, nd+len(vals))
		for i := range keys {
			dest = append(dest, &keys[i])
		}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		for rs.Next() {
			if err := rs.Scan(dest...); err != nil {
				rs.Close()
				return nil, err
			}
			if grouped {
				sums.add(gi, vals)
			}
			into := [][]sql.NullString{keys}
			if deptPos >= 0 {
				into = into[:0]
				id, _ := strconv.ParseInt(keys[deptPos].String, 10, 64)
				for _, a := range c.depts.ancestors(cohort.ID(id)) {
					k := slices.Clone(keys)
					k[deptPos] = sql.NullString{String: strconv.FormatInt(int64(a), 10), Valid: true}
					into = append(into, k)
				}
			}
			for _, keys := range into {
				var kb strings.Builder
				for _, k := range keys {
					if k.Valid {
						kb.WriteByte('v')
					}
					kb.WriteString(k.String)
					kb.WriteByte(0)
				}
				ck := kb.String()
				cl := cells[ck]
				if cl == nil {
					if len(cells) >= MaxRows+1 {
						continue // too many: run() refuses the answer
					}
					cl = &cell{keys: slices.Clone(keys), vals: make([]sql.NullFloat64, len(c.plan.leaves))}
					cells[ck] = cl
					order = append(order, ck)
				}
				for i, li := range g { // hidden columns after g are sums' only
					if deptPos < 0 || !cl.vals[li].Valid {
						cl.vals[li] = vals[i]
					} else if vals[i].Valid {
						cl.vals[li].Float64 += vals[i].Float64
					}
				}
			}
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return nil, err
		}
	}
	out := make([]Row, 0, len(order))
	for _, ck := range order {
		cl := cells[ck]
		r := Row{Keys: make([]string, nd), Labels: make([]string, nd), Values: map[string]*float64{}}
		for i, k := range cl.keys {
			r.Keys[i] = k.String
			if d := c.dims[i]; k.Valid && slices.Contains(timeDims, d) {
				n, _ := strconv.ParseInt(k.String, 10, 64)
				r.Keys[i] = bucketLabel(d, n)
			}
			r.Labels[i] = r.Keys[i]
		}
		leaves := make([]*float64, len(cl.vals))
		for i, v := range cl.vals {
			leaves[i] = finish(c.plan.leaves[i], v)
		}
		for i, m := range c.plan.metrics {
			if v := c.plan.exprs[i].eval(leaves); v != nil {
				x := round(*v)
				r.Values[m.Name] = &x
			} else {
				r.Values[m.Name] = nil
			}
		}
		out = append(out, r)
	}
	// Sorted by the keys, numbers as numbers: each key parsed once.
	type sortKey struct {
		n   int64
		num bool
	}
	sk := make([]sortKey, len(out)*nd)
	idx := make([]int, len(out))
	for i, r := range out {
		idx[i] = i
		for j, k := range r.Keys {
			n, err := strconv.ParseInt(k, 10, 64)
			sk[i*nd+j] = sortKey{n, err == nil}
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		for j := 0; j < nd; j++ {
			x, y := sk[a*nd+j], sk[b*nd+j]
			var c int
			if x.num && y.num {
				c = cmp.Compare(x.n, y.n)
			} else {
				c = strings.Compare(out[a].Keys[j], out[b].Keys[j])
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	sorted := make([]Row, len(out))
	for i, k := range idx {
		sorted[i] = out[k]
	}
	return sorted, nil
}

func isEnglish(lang string) bool { return strings.HasPrefix(strings.ToLower(lang), "en") }

// Label is the metric's name in lang (zh-CN or en).
func (m *Metric) Label(lang string) string { return m.label(lang) }

func (m *Metric) label(lang string) string {
	if isEnglish(lang) {
		return m.LabelEn
	}
	return m.LabelZh
}

// Scope is the data scope a as a condition on facts: a person sees the
// facts credited to the people of their scope — themselves (own), them and
// their reports (own and subordinates) — or, for the department scopes,
// the facts credited while the person belonged to the department (or one
// below it): the fact's historic department, so that a manager sees what
// was done in their department, including by people who have since left,
// and not what a newcomer did before joining.
func Scope(a cohort.Access) store.Where {
	return store.AccessWhere(a, "f.user_id", "f.department_id")
}
