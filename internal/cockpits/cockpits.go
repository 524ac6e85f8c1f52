// Package cockpits holds Cohort's cockpits (数据驾驶舱): named layouts of
// widgets, each widget a metric query (internal/metrics) drawn as a chart.
// The package knows the shapes, the period presets, the built-in preset
// cockpits, the storage and the .xlsx export; who may see and change a
// cockpit is internal/service's business.
package cockpits

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// Visibilities of a cockpit.
const (
	Personal   = "personal"   // the owner (and shared_with) view it; the owner edits
	Department = "department" // the department's tree views it; its managers edit
	Company    = "company"    // everyone views it; administrators edit
)

// Widget types.
const (
	KPI        = "kpi"         // total, with the change against the comparisons
	Line       = "line"        // one dimension (usually time) on the x axis, a line per metric
	Bar        = "bar"         // one dimension, a bar per metric
	StackedBar = "stacked_bar" // one dimension and stacked metrics, or two dimensions (x, stack)
	Funnel     = "funnel"      // one dimension (usually stage), the first metric
	Pie        = "pie"         // one dimension, the first metric
	Gauge      = "gauge"       // total of the first metric against Target (1 for a ratio)
	Table      = "table"       // any dimensions, every metric
	Pivot      = "pivot"       // two dimensions: rows × columns, the first metric
	Map        = "map"         // region: a tile grid of provinces coloured by the first metric
)

// Goal widget types: their figures are goal completion (a rule's targets
// and the metric engine's actuals with the rule's role credit, from
// service.GoalCompletion), bound by the widget's Goal instead of a query.
const (
	GoalGauge   = "goal_gauge"   // one subject's completion rate, with actual, target, gap, band and time progress
	GoalRanking = "goal_ranking" // the subject's peers (or children) ranked by completion rate
	GoalTrend   = "goal_trend"   // the subject's actual, target and completion rate over past periods
	GoalList    = "goal_list"    // the subject's completion in every rule whose grid holds it
)

// Types lists the widget types.
var Types = []string{KPI, Line, Bar, StackedBar, Funnel, Pie, Gauge, Table, Pivot, Map, GoalGauge, GoalRanking, GoalTrend, GoalList}

// GoalTypes lists the goal widget types.
var GoalTypes = []string{GoalGauge, GoalRanking, GoalTrend, GoalList}

// IsGoal says whether a widget type shows goal completion.
func IsGoal(typ string) bool { return slices.Contains(GoalTypes, typ) }

// dimsOf is how many dimensions a widget type takes: [min, max].
var dimsOf = map[string][2]int{
	KPI: {0, 0}, Gauge: {0, 0}, Line: {1, 1}, Bar: {1, 1}, Funnel: {1, 1}, Pie: {1, 1}, Map: {1, 1},
	StackedBar: {1, 2}, Pivot: {2, 2}, Table: {0, metrics.MaxDimensions},
	GoalGauge: {0, 0}, GoalRanking: {0, 0}, GoalTrend: {0, 0}, GoalList: {0, 0},
}

// Subjects of a goal widget that stand for the viewer.
const (
	SubjectMe           = "me"            // the viewer (person:<id>)
	SubjectMyDepartment = "my_department" // the viewer's department
)

// Periods of a goal widget relative to today.
const (
	PeriodCurrent     = "current"      // the period of the rule's cycle holding today (its month, week, quarter or year)
	PeriodCurrentYear = "current_year" // the fiscal year holding today
)

// Rows of a goal ranking.
const (
	RowsPeers    = "peers"    // the subjects of the same kind under the same parent
	RowsChildren = "children" // the subject's children in the grid
)

// GoalBinding binds a goal widget to a goal rule, a subject and a period.
type GoalBinding struct {
	// Rule is a goal rule; null picks, by name, the first rule (of
	// SubjectType, when set) whose grid holds the subject, one where it
	// has a target in the period first.
	Rule cohort.ID `json:"rule"`
	// SubjectType narrows the rule picked (person, department, product,
	// segment ...); "" takes any.
	SubjectType string `json:"subject_type" example:"person"`
	// Subject is a subject key (person:<id>, department:<id>, company,
	// product:<id>, segment:<name> ...), me or my_department.
	Subject string `json:"subject" example:"me"`
	// Period is current, current_year or a period key (FY2026,
	// FY2026-Q1, 2026-04, W2026-12-28).
	Period string `json:"period" example:"current"`
	// Rows of a ranking: peers (default) or children.
	Rows string `json:"rows" example:"peers"`
	// Trend is how many past periods a trend shows (1 to 12, default 6).
	Trend int `json:"trend" example:"6"`
}

// Limits.
const (
	MaxWidgets = 40
	MaxShared  = 200
	GridCols   = 12
	maxName    = 100
)

// Cockpit is a named layout of widgets.
type Cockpit struct {
	ID      cohort.ID `json:"id"`
	OwnerID cohort.ID `json:"owner_id"`
	Name    string    `json:"name" example:"销售管理"`
	// Visibility is personal, department or company.
	Visibility string `json:"visibility" example:"personal"`
	// DepartmentID is the department of a department cockpit.
	DepartmentID cohort.ID `json:"department_id"`
	// SharedWith are users who may view a personal cockpit too.
	SharedWith []cohort.ID `json:"shared_with"`
	// Preset is the key of the preset it was copied from ("" for none).
	Preset    string    `json:"preset"`
	Layout    []Widget  `json:"layout"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// CanEdit says whether the caller may change it.
	CanEdit bool `json:"can_edit"`
}

// Widget is one chart of a cockpit at a place of the 12-column grid.
type Widget struct {
	// ID is the widget's key in its cockpit (letters, digits, - and _).
	ID    string      `json:"id" example:"w1"`
	Type  string      `json:"type" example:"kpi"`
	Title string      `json:"title" example:"本月签约金额"`
	Query WidgetQuery `json:"query"`
	X     int         `json:"x"`
	Y     int         `json:"y"`
	W     int         `json:"w" example:"3"`
	H     int         `json:"h" example:"2"`
	// Target is a gauge's full scale (0: 1 for a ratio, else twice the value).
	Target float64 `json:"target,omitempty"`
	// Goal binds a goal widget (goal_gauge, goal_ranking, goal_trend,
	// goal_list); it has no query.
	Goal *GoalBinding `json:"goal,omitempty"`
}

// WidgetQuery is a metric query whose period is a preset relative to today
// (this_month, last_12_months ...) or, with period "custom" or "", the fixed
// dates From and To. Reading a cockpit fills From and To of a preset period
// with today's dates in the tenant's zone.
type WidgetQuery struct {
	Metrics        []string         `json:"metrics" example:"[\"signed_amount\"]"`
	Dimensions     []string         `json:"dimensions" example:"[]"`
	Filters        []metrics.Filter `json:"filters"`
	Period         string           `json:"period" example:"this_month"`
	From           string           `json:"from" example:"2026-12-01"`
	To             string           `json:"to" example:"2027-01-01"`
	Role           string           `json:"role" example:""`
	Compare        []string         `json:"compare" example:"[\"previous\", \"year_ago\"]"`
	DepartmentRoot string           `json:"department_root" example:""`
}

// Period presets.
var Periods = []string{"today", "this_week", "last_7_days", "this_month", "last_month", "last_30_days", "this_quarter", "last_quarter",
	"this_year", "last_year", "this_fiscal_year", "last_fiscal_year", "last_12_months"}

// Custom is the period of fixed dates.
const Custom = "custom"

// Calendar is what period presets need of the tenant.
type Calendar struct {
	// Today is the local date (at 00:00 UTC).
	Today                time.Time
	FiscalYearStartMonth int
	WeekStart            int // ISO 1 Monday .. 7 Sunday
}

// CalendarOf is tenant t's calendar at now.
func CalendarOf(t *cohort.Tenant, now time.Time) Calendar {
	l := now.In(t.Location())
	return Calendar{Today: time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC),
		FiscalYearStartMonth: t.FiscalYearStartMonth, WeekStart: t.WeekStart}
}

// Range is preset period's local dates [from, to) on cal; ok is false for
// an unknown preset. Periods that are "this ..." end with the current
// bucket (this_month is the whole month); last_12_months is the 12 whole
// months ending with the current one; last_N_days ends today inclusive.
func Range(period string, cal Calendar) (from, to time.Time, ok bool) {
	d := cal.Today
	month := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	quarter := time.Date(d.Year(), time.Month((int(d.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
	year := time.Date(d.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	fy := cal.FiscalYearStartMonth
	if fy < 1 || fy > 12 {
		fy = 1
	}
	fiscal := time.Date(d.Year(), time.Month(fy), 1, 0, 0, 0, 0, time.UTC)
	if fiscal.After(d) {
		fiscal = fiscal.AddDate(-1, 0, 0)
	}
	ws := cal.WeekStart % 7 // as time.Weekday
	if cal.WeekStart < 1 || cal.WeekStart > 7 {
		ws = int(time.Monday)
	}
	week := d.AddDate(0, 0, -((int(d.Weekday()) - ws + 7) % 7))
	switch period {
	case "today":
		return d, d.AddDate(0, 0, 1), true
	case "this_week":
		return week, week.AddDate(0, 0, 7), true
	case "last_7_days":
		return d.AddDate(0, 0, -6), d.AddDate(0, 0, 1), true
	case "last_30_days":
		return d.AddDate(0, 0, -29), d.AddDate(0, 0, 1), true
	case "this_month":
		return month, month.AddDate(0, 1, 0), true
	case "last_month":
		return month.AddDate(0, -1, 0), month, true
	case "this_quarter":
		return quarter, quarter.AddDate(0, 3, 0), true
	case "last_quarter":
		return quarter.AddDate(0, -3, 0), quarter, true
	case "this_year":
		return year, year.AddDate(1, 0, 0), true
	case "last_year":
		return year.AddDate(-1, 0, 0), year, true
	case "this_fiscal_year":
		return fiscal, fiscal.AddDate(1, 0, 0), true
	case "last_fiscal_year":
		return fiscal.AddDate(-1, 0, 0), fiscal, true
	case "last_12_months":
		return month.AddDate(0, -11, 0), month.AddDate(0, 1, 0), true
	}
	return from, to, false
}

// PeriodRange is a preset period and its dates today.
type PeriodRange struct {
	Period string `json:"period" example:"this_month"`
	From   string `json:"from" example:"2026-12-01"`
	To     string `json:"to" example:"2027-01-01"`
}

// PeriodRanges lists every preset period's dates on cal.
func PeriodRanges(cal Calendar) []PeriodRange {
	out := make([]PeriodRange, 0, len(Periods))
	for _, p := range Periods {
		f, t, _ := Range(p, cal)
		out = append(out, PeriodRange{Period: p, From: f.Format(time.DateOnly), To: t.Format(time.DateOnly)})
	}
	return out
}

// Resolve fills From and To of a preset period from cal.
func (q *WidgetQuery) Resolve(cal Calendar) {
	if f, t, ok := Range(q.Period, cal); ok {
		q.From, q.To = f.Format(time.DateOnly), t.Format(time.DateOnly)
	}
}

// Metric is the query for the metric engine (call Resolve first).
func (q *WidgetQuery) Metric() metrics.Query {
	return metrics.Query{Metrics: q.Metrics, Dimensions: q.Dimensions, Filters: q.Filters, From: q.From, To: q.To, Role: q.Role,
		Compare: q.Compare, DepartmentRootID: q.DepartmentRoot}
}

// Resolve fills every widget's period dates.
func (c *Cockpit) Resolve(cal Calendar) {
	for i := range c.Layout {
		c.Layout[i].Query.Resolve(cal)
	}
}

func validKey(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Check validates a cockpit's own fields and its widgets' shapes; the
// metric engine checks each widget's query (see Queries). Every problem
// names its field.
func (c *Cockpit) Check(v *cohort.Validation) {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > maxName {
		v.Add("name", "must be 1 to %d characters", maxName)
	}
	switch c.Visibility {
	case Personal, Company:
		c.DepartmentID = 0
	case Department:
		if c.DepartmentID == 0 {
			v.Add("department_id", "a department cockpit names its department")
		}
	default:
		v.Add("visibility", "must be personal, department or company")
	}
	if len(c.SharedWith) > MaxShared {
		v.Add("shared_with", "at most %d users", MaxShared)
	}
	if c.SharedWith == nil {
		c.SharedWith = []cohort.ID{}
	}
	if len(c.Layout) > MaxWidgets {
		v.Add("layout", "at most %d widgets", MaxWidgets)
	}
	if c.Layout == nil {
		c.Layout = []Widget{}
	}
	for i := range c.Layout {
		w := &c.Layout[i]
		f := fmt.Sprintf("layout[%d]", i)
		if !validKey(w.ID) {
			v.Add(f+".id", "must be 1 to 40 letters, digits, - or _")
		} else if slices.IndexFunc(c.Layout, func(o Widget) bool { return o.ID == w.ID }) < i {
			v.Add(f+".id", "%q is used twice", w.ID)
		}
		w.Title = strings.TrimSpace(w.Title)
		if utf8.RuneCountInString(w.Title) > maxName {
			v.Add(f+".title", "at most %d characters", maxName)
		}
		lim, ok := dimsOf[w.Type]
		if !ok {
			v.Add(f+".type", "must be one of %s", strings.Join(Types, ", "))
		} else if n := len(w.Query.Dimensions); n < lim[0] || n > lim[1] {
			if lim[0] == lim[1] {
				v.Add(f+".query.dimensions", "a %s widget takes %d dimensions", w.Type, lim[0])
			} else {
				v.Add(f+".query.dimensions", "a %s widget takes %d to %d dimensions", w.Type, lim[0], lim[1])
			}
		}
		if w.Type == Map && len(w.Query.Dimensions) == 1 && w.Query.Dimensions[0] != "region" {
			v.Add(f+".query.dimensions", "a map widget's dimension is region")
		}
		if w.X < 0 || w.W < 1 || w.X+w.W > GridCols {
			v.Add(f+".w", "x and w must fit the %d columns (0 ≤ x, 1 ≤ w, x + w ≤ %d)", GridCols, GridCols)
		}
		if w.Y < 0 || w.Y > 1000 || w.H < 1 || w.H > 20 {
			v.Add(f+".h", "y must be 0 to 1000 and h 1 to 20")
		}
		if w.Target < 0 {
			v.Add(f+".target", "must not be negative")
		}
		if IsGoal(w.Type) {
			w.Query = WidgetQuery{Metrics: []string{}, Dimensions: []string{}, Filters: []metrics.Filter{}, Compare: []string{}, Period: Custom}
			w.Goal.Check(v, f+".goal", w.Type)
			continue
		}
		w.Goal = nil
		switch {
		case w.Query.Period == "" || w.Query.Period == Custom:
			w.Query.Period = Custom
		case slices.Contains(Periods, w.Query.Period):
		default:
			v.Add(f+".query.period", "must be custom or one of %s", strings.Join(Periods, ", "))
		}
	}
}

// Check validates a goal binding's own fields (the service checks the
// rule and the subject against the rule).
func (g *GoalBinding) Check(v *cohort.Validation, f, typ string) {
	if g == nil {
		v.Add(f, "a %s widget names its goal: {\"subject\": \"me\", \"period\": \"current\"}", typ)
		return
	}
	if g.SubjectType != "" && !slices.Contains([]string{"company", "department", "person", "product", "product_category", "region", "segment"}, g.SubjectType) {
		v.Add(f+".subject_type", "must be company, department, person, product, product_category, region or segment")
	}
	kind, _, _ := strings.Cut(g.Subject, ":")
	switch {
	case g.Subject == "":
		g.Subject = SubjectMe
	case g.Subject == SubjectMe || g.Subject == SubjectMyDepartment || g.Subject == "company":
	case slices.Contains([]string{"department", "person", "product", "product_category", "region", "segment"}, kind) && len(g.Subject) > len(kind)+1 && utf8.RuneCountInString(g.Subject) <= 220:
	default:
		v.Add(f+".subject", "must be me, my_department, company or a subject key such as person:<id>, department:<id>, segment:<name>")
	}
	if g.Period == "" {
		g.Period = PeriodCurrent
	}
	if utf8.RuneCountInString(g.Period) > 20 {
		v.Add(f+".period", "must be current, current_year or a period key such as FY2026-Q1")
	}
	switch g.Rows {
	case "":
		g.Rows = RowsPeers
	case RowsPeers, RowsChildren:
	default:
		v.Add(f+".rows", "must be peers or children")
	}
	switch {
	case g.Trend == 0:
		g.Trend = 6
	case g.Trend < 1 || g.Trend > 12:
		v.Add(f+".trend", "must be 1 to 12")
	}
}

// Prefix renames the field errors of err (from the metric engine) to sit
// under prefix: metrics[0] becomes layout[2].query.metrics[0].
func Prefix(err error, prefix string) error {
	var e *cohort.Error
	if !errors.As(err, &e) || e.Code != cohort.EINVALID {
		return err
	}
	out := &cohort.Error{Code: e.Code, Message: prefix + "." + e.Message}
	for _, fe := range e.Fields {
		out.Fields = append(out.Fields, cohort.FieldError{Field: prefix + "." + fe.Field, Message: fe.Message})
	}
	return out
}

// Storage.

const cols = "id, owner_id, name, visibility, department_id, shared_with, preset, layout, version, created_at, updated_at"

func scan(row interface{ Scan(...any) error }) (*Cockpit, error) {
	var c Cockpit
	var id, owner, dept, created, updated int64
	var shared, layout string
	if err := row.Scan(&id, &owner, &c.Name, &c.Visibility, &dept, &shared, &c.Preset, &layout, &c.Version, &created, &updated); err != nil {
		return nil, err
	}
	c.ID, c.OwnerID, c.DepartmentID = cohort.ID(id), cohort.ID(owner), cohort.ID(dept)
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	if err := json.Unmarshal([]byte(shared), &c.SharedWith); err != nil {
		return nil, fmt.Errorf("cockpit %d shared_with: %w", id, err)
	}
	if err := json.Unmarshal([]byte(layout), &c.Layout); err != nil {
		return nil, fmt.Errorf("cockpit %d layout: %w", id, err)
	}
	if c.SharedWith == nil {
		c.SharedWith = []cohort.ID{}
	}
	if c.Layout == nil {
		c.Layout = []Widget{}
	}
	return &c, nil
}

// List returns the tenant's cockpits a user may be able to see: their own,
// the department and company ones, and those shared with them (the caller
// filters further), by name.
func List(ctx context.Context, db store.Queryer, tenantID, userID cohort.ID) ([]*Cockpit, error) {
	rows, err := db.QueryContext(ctx, "SELECT "+cols+` FROM cockpits WHERE tenant_id = ? AND (owner_id = ? OR visibility <> ? OR shared_with LIKE ?)
		ORDER BY name, id`, int64(tenantID), int64(userID), Personal, `%"`+userID.String()+`"%`)
	if err != nil {
		return nil, fmt.Errorf("list cockpits: %w", err)
	}
	defer rows.Close()
	out := []*Cockpit{}
	for rows.Next() {
		c, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Find returns one of the tenant's cockpits.
func Find(ctx context.Context, db store.Queryer, tenantID, id cohort.ID) (*Cockpit, error) {
	c, err := scan(db.QueryRowContext(ctx, "SELECT "+cols+" FROM cockpits WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "cockpit not found")
	}
	return c, err
}

func layoutJSON(c *Cockpit) (string, string) {
	// Stored without the dates a preset period is read with.
	l := slices.Clone(c.Layout)
	for i := range l {
		if l[i].Query.Period != Custom {
			l[i].Query.From, l[i].Query.To = "", ""
		}
	}
	lb, _ := json.Marshal(l)
	sb, _ := json.Marshal(c.SharedWith)
	return string(lb), string(sb)
}

// Insert stores a new cockpit of the tenant.
func Insert(ctx context.Context, tx *store.Tx, tenantID cohort.ID, c *Cockpit, now time.Time) error {
	c.ID, c.Version, c.CreatedAt, c.UpdatedAt = cohort.ID(tx.DB().NewID()), 1, now, now
	layout, shared := layoutJSON(c)
	_, err := tx.ExecContext(ctx, "INSERT INTO cockpits (tenant_id, "+cols+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
		int64(tenantID), int64(c.ID), int64(c.OwnerID), c.Name, c.Visibility, int64(c.DepartmentID), shared, c.Preset, layout, c.Version,
		now.UnixMilli(), now.UnixMilli())
	return err
}

// Update writes c, bumping its version.
func Update(ctx context.Context, tx *store.Tx, tenantID cohort.ID, c *Cockpit, now time.Time) error {
	c.Version++
	c.UpdatedAt = now
	layout, shared := layoutJSON(c)
	_, err := tx.ExecContext(ctx, `UPDATE cockpits SET name = ?, visibility = ?, department_id = ?, shared_with = ?, layout = ?, version = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`, c.Name, c.Visibility, int64(c.DepartmentID), shared, layout, c.Version, now.UnixMilli(),
		int64(tenantID), int64(c.ID))
	return err
}

// Delete deletes a cockpit.
func Delete(ctx context.Context, tx *store.Tx, tenantID, id cohort.ID) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM cockpits WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id))
	return err
}
