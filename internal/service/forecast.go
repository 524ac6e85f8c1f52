package service

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// The forecast analysis (docs/API.md, "Analyses"): for a period and a
// department subtree, won amount, open amounts by forecast category and the
// weighted pipeline per department and person, all from the metric engine
// inside the caller's data scope; and managers' adjustments of their
// subtree's category figures, kept with their history beside the original.

// ForecastMetrics are the metrics of a forecast row, in the order of
// ForecastFigures.
var forecastMetrics = []string{"won_amount", "open_pipeline_amount", "weighted_pipeline",
	"forecast_commit", "forecast_best_case", "forecast_pipeline", "forecast_omitted"}

// ForecastFigures are a subject's original figures (minor units).
type ForecastFigures struct {
	Won      float64            `json:"won"`
	Open     float64            `json:"open"`
	Weighted float64            `json:"weighted"`
	Category map[string]float64 `json:"category"`
}

// ForecastRow is one subject of the forecast: a department (with its
// subtree) or a person. Forecast is, per category, the adjusted figure when
// an adjustment is in force, else the original.
type ForecastRow struct {
	SubjectType string                         `json:"subject_type"`
	ID          cohort.ID                      `json:"id"`
	Name        string                         `json:"name"`
	Figures     ForecastFigures                `json:"figures"`
	Adjusted    map[string]*ForecastAdjustment `json:"adjusted"`
	Forecast    map[string]float64             `json:"forecast"`
	CanAdjust   bool                           `json:"can_adjust"`
}

// Forecast is the forecast analysis of a period and department subtree.
type Forecast struct {
	Period       string    `json:"period"`
	From         string    `json:"from"`
	To           string    `json:"to"`
	DepartmentID cohort.ID `json:"department_id"`
	Categories   []string  `json:"categories"`
	// Root is the department asked for (the company when 0), Departments
	// its child departments (each with its subtree) and People the people
	// credited in the subtree.
	Root        ForecastRow          `json:"root"`
	Departments []ForecastRow        `json:"departments"`
	People      []ForecastRow        `json:"people"`
	History     []ForecastAdjustment `json:"history"`
}

// ForecastAdjustment is a manager's replacement of one category figure of a
// subject in a period; the latest of a (period, subject, category) is in
// force, the earlier ones are its history.
type ForecastAdjustment struct {
	ID            cohort.ID `json:"id"`
	PeriodFrom    string    `json:"period_from"`
	PeriodTo      string    `json:"period_to"`
	SubjectType   string    `json:"subject_type" example:"department"`
	SubjectID     cohort.ID `json:"subject_id"`
	Category      string    `json:"category" example:"commit"`
	Amount        int64     `json:"amount" example:"12000000"`
	Original      int64     `json:"original"`
	Note          string    `json:"note" example:"两单推迟到下季度"`
	CreatedBy     cohort.ID `json:"created_by"`
	CreatedByName string    `json:"created_by_name"`
	CreatedAt     time.Time `json:"created_at"`
}

// ForecastQuery selects the forecast: a period label (default the current
// quarter) or from/to dates, and a department (0: the company).
type ForecastQuery struct {
	Period       string
	From, To     string
	DepartmentID string
}

// Subject types of forecast adjustments.
const (
	SubjectDepartment = "department"
	SubjectPerson     = "person"
	SubjectCompany    = "company"
)

// ForecastAdjustmentInput is a new adjustment.
// The subject is a department (with its subtree), a person, or the company
// (no subject_id).
type ForecastAdjustmentInput struct {
	Period       string    `json:"period" example:"2026-Q4"`
	From         string    `json:"from" example:""`
	To           string    `json:"to" example:""`
	SubjectType  string    `json:"subject_type" openapi:"required" example:"department"`
	SubjectID    cohort.ID `json:"subject_id" openapi:"required"`
	Category     string    `json:"category" openapi:"required" example:"commit"`
	Amount       *int64    `json:"amount" openapi:"required" example:"12000000"`
	Note         string    `json:"note" example:"两单推迟到下季度"`
	DepartmentID cohort.ID `json:"-"`
}

// forecastPeriod resolves a period label or from/to into dates.
func forecastPeriod(p *cohort.Principal, label, from, to string, now time.Time, v *cohort.Validation) (string, string, string) {
	switch {
	case from != "" || to != "":
		f, err1 := time.Parse(time.DateOnly, from)
		t, err2 := time.Parse(time.DateOnly, to)
		switch {
		case err1 != nil:
			v.Add("from", "must be a date YYYY-MM-DD")
		case err2 != nil:
			v.Add("to", "must be a date YYYY-MM-DD")
		case !t.After(f) || t.After(f.AddDate(2, 0, 0)):
			v.Add("to", "must be after from, within two years")
		}
		return "", from, to
	case label == "":
		label = metrics.QuarterOf(now, p.Tenant.Location())
	}
	f, t, ok := metrics.PeriodOf(label, p.Tenant.FiscalYearStartMonth)
	if !ok {
		v.Add("period", "must be a quarter (2026-Q4), a month (2026-12), a year (2026) or a fiscal year (FY2026)")
	}
	return label, f, t
}

func figuresOf(vals map[string]*float64) ForecastFigures {
	get := func(n string) float64 {
		if v := vals[n]; v != nil {
			return *v
		}
		return 0
	}
	f := ForecastFigures{Won: get("won_amount"), Open: get("open_pipeline_amount"), Weighted: get("weighted_pipeline"), Category: map[string]float64{}}
	for _, c := range cohort.ForecastCategories {
		f.Category[c] = get("forecast_" + c)
	}
	return f
}

// ForecastAnalysis computes the forecast of a period and department subtree
// in the caller's scope, with the adjustments in force.
func (s *Service) ForecastAnalysis(ctx context.Context, fq ForecastQuery) (*Forecast, error) {
	p, err := require(ctx, cohort.ObjOpportunity, cohort.ActView)
	if err != nil {
		return nil, err
	}
	var v cohort.Validation
	label, from, to := forecastPeriod(p, fq.Period, fq.From, fq.To, s.now(), &v)
	var dept cohort.ID
	if fq.DepartmentID != "" && fq.DepartmentID != "0" {
		if dept, err = cohort.ParseID(fq.DepartmentID); err != nil {
			v.Add("department_id", "must be a department id")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var root *cohort.Department
	if dept != 0 {
		if root, err = store.FindDepartment(ctx, s.db.Read(), p.Tenant.ID, dept); err != nil {
			return nil, err
		}
	}
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	q := metrics.Query{Metrics: forecastMetrics, From: from, To: to}
	var inDept []metrics.Filter
	if dept != 0 {
		inDept = []metrics.Filter{{Dimension: "department", Values: []string{dept.String()}}}
	}
	db := s.db.Read()
	run := func(dims []string, rootID cohort.ID) (*metrics.Result, error) {
		qq := q
		qq.Dimensions, qq.Filters = dims, inDept
		if rootID != 0 {
			qq.DepartmentRootID, qq.Filters = rootID.String(), nil
		}
		return metrics.Run(ctx, db, env, qq)
	}
	out := &Forecast{Period: label, From: from, To: to, DepartmentID: dept, Categories: cohort.ForecastCategories,
		Departments: []ForecastRow{}, People: []ForecastRow{}}
	total, err := run(nil, 0)
	if err != nil {
		return nil, err
	}
	out.Root = ForecastRow{SubjectType: SubjectCompany, Name: p.Tenant.Name, Figures: figuresOf(total.Total.Values)}
	if root != nil {
		out.Root.SubjectType, out.Root.ID, out.Root.Name = SubjectDepartment, root.ID, root.Name
	}
	byDept, err := run([]string{"department"}, dept)
	if err != nil {
		return nil, err
	}
	for _, r := range byDept.Rows {
		id, _ := strconv.ParseInt(r.Keys[0], 10, 64)
		if id == 0 || cohort.ID(id) == dept {
			continue // facts of no department, or of the root's own people (listed under People)
		}
		out.Departments = append(out.Departments, ForecastRow{SubjectType: SubjectDepartment, ID: cohort.ID(id), Name: r.Labels[0], Figures: figuresOf(r.Values)})
	}
	byPerson, err := run([]string{"person"}, 0)
	if err != nil {
		return nil, err
	}
	for _, r := range byPerson.Rows {
		id, _ := strconv.ParseInt(r.Keys[0], 10, 64)
		if id == 0 {
			continue
		}
		out.People = append(out.People, ForecastRow{SubjectType: SubjectPerson, ID: cohort.ID(id), Name: r.Labels[0], Figures: figuresOf(r.Values)})
	}
	if err := s.applyAdjustments(ctx, db, env, p, out); err != nil {
		return nil, err
	}
	return out, nil
}

// applyAdjustments puts the adjustments in force beside the figures. A
// department's forecast of a category is its own adjustment when it has
// one; else its original plus, for each adjusted department below it (the
// outermost ones), the adjusted figure minus that department's original: an
// adjustment replaces its subtree's figure wherever the subtree is counted.
// A person's adjustment replaces only the person's figure.
func (s *Service) applyAdjustments(ctx context.Context, db store.Queryer, env metrics.Env, p *cohort.Principal, out *Forecast) error {
	hist, err := s.forecastAdjustments(ctx, db, p.Tenant.ID, out.From, out.To)
	if err != nil {
		return err
	}
	depts, err := store.ListDepartments(ctx, db, p.Tenant.ID)
	if err != nil {
		return err
	}
	path := map[cohort.ID]string{}
	for _, d := range depts {
		path[d.ID] = d.Path
	}
	// within reports whether department d is in the subtree of root (0: the
	// company), strictly below it when strict.
	within := func(d, root cohort.ID, strict bool) bool {
		if strict && d == root {
			return false
		}
		return root == 0 || path[d] != "" && strings.HasPrefix(path[d], path[root])
	}
	people := map[cohort.ID]bool{}
	for _, r := range out.People {
		people[r.ID] = true
	}
	inForce := map[string]*ForecastAdjustment{}
	out.History = []ForecastAdjustment{}
	for i := range hist { // newest first
		a := &hist[i]
		if a.SubjectType == SubjectPerson && !people[a.SubjectID] || a.SubjectType == SubjectDepartment && !within(a.SubjectID, out.DepartmentID, false) ||
			a.SubjectType == SubjectCompany && out.DepartmentID != 0 {
			continue
		}
		out.History = append(out.History, *a)
		k := a.SubjectType + "/" + a.SubjectID.String() + "/" + a.Category
		if _, ok := inForce[k]; !ok {
			inForce[k] = a
		}
	}
	// The current original of every adjusted department, in the caller's
	// scope.
	originals := map[cohort.ID]ForecastFigures{}
	for _, a := range inForce {
		if a.SubjectType != SubjectDepartment {
			continue
		}
		if _, ok := originals[a.SubjectID]; ok {
			continue
		}
		res, err := metrics.Run(ctx, db, env, metrics.Query{Metrics: forecastMetrics, From: out.From, To: out.To,
			Filters: []metrics.Filter{{Dimension: "department", Values: []string{a.SubjectID.String()}}}})
		if err != nil {
			return err
		}
		originals[a.SubjectID] = figuresOf(res.Total.Values)
	}
	rows := append([]*ForecastRow{&out.Root}, ptrs(out.Departments)...)
	rows = append(rows, ptrs(out.People)...)
	for _, r := range rows {
		r.Adjusted, r.Forecast = map[string]*ForecastAdjustment{}, map[string]float64{}
		for _, c := range cohort.ForecastCategories {
			r.Forecast[c] = r.Figures.Category[c]
			if a := inForce[r.SubjectType+"/"+r.ID.String()+"/"+c]; a != nil {
				r.Adjusted[c], r.Forecast[c] = a, float64(a.Amount)
				continue
			}
			if r.SubjectType == SubjectPerson {
				continue
			}
			for _, a := range inForce {
				if a.Category != c || a.SubjectType != SubjectDepartment || !within(a.SubjectID, r.ID, true) {
					continue
				}
				outer := true // no adjusted department between r and a's
				for _, b := range inForce {
					if b != a && b.Category == c && b.SubjectType == SubjectDepartment && within(b.SubjectID, r.ID, true) && within(a.SubjectID, b.SubjectID, true) {
						outer = false
						break
					}
				}
				if outer {
					r.Forecast[c] += float64(a.Amount) - originals[a.SubjectID].Category[c]
				}
			}
		}
		if r.CanAdjust, err = s.mayAdjust(ctx, db, p, r.SubjectType, r.ID); err != nil {
			return err
		}
	}
	return nil
}

func ptrs(rs []ForecastRow) []*ForecastRow {
	out := make([]*ForecastRow, len(rs))
	for i := range rs {
		out[i] = &rs[i]
	}
	return out
}

// forecastAdjustments lists a period's adjustments, newest first.
func (s *Service) forecastAdjustments(ctx context.Context, q store.Queryer, tenantID cohort.ID, from, to string) ([]ForecastAdjustment, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.period_from, a.period_to, a.subject_type, a.subject_id, a.category, a.amount, a.original, a.note,
		a.created_by, COALESCE(u.name, ''), a.created_at FROM forecast_adjustments a LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.created_by
		WHERE a.tenant_id = ? AND a.period_from = ? AND a.period_to = ? ORDER BY a.created_at DESC, a.id DESC`, int64(tenantID), from, to)
	if err != nil {
		return nil, fmt.Errorf("forecast adjustments: %w", err)
	}
	defer rows.Close()
	out := []ForecastAdjustment{}
	for rows.Next() {
		var a ForecastAdjustment
		var at int64
		if err := rows.Scan(&a.ID, &a.PeriodFrom, &a.PeriodTo, &a.SubjectType, &a.SubjectID, &a.Category, &a.Amount, &a.Original, &a.Note,
			&a.CreatedBy, &a.CreatedByName, &at); err != nil {
			return nil, err
		}
		a.CreatedAt = time.UnixMilli(at).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// mayAdjust reports whether the caller manages the subject: an
// administrator (tenant:administer) manages everything; otherwise the
// manager of a department (departments.manager_id) manages it and its
// subtree, and a person whose opportunity:edit data scope is a department
// (and its children) manages that department (and its subtree). A person is
// managed by whoever manages their current department, and by their
// managers (users.manager_id, upwards). The company as a whole (department
// 0) only by an administrator or an opportunity:edit scope of all.
func (s *Service) mayAdjust(ctx context.Context, q store.Queryer, p *cohort.Principal, subjectType string, id cohort.ID) (bool, error) {
	if p.System || p.Permissions.Can(cohort.ObjTenant, cohort.ActAdminister) {
		return true, nil
	}
	if p.User == nil || !p.Permissions.Can(cohort.ObjOpportunity, cohort.ActEdit) {
		return false, nil
	}
	scope := p.Permissions[cohort.ObjOpportunity].Scope
	if scope == cohort.ScopeAll {
		return true, nil
	}
	dept := id
	if subjectType == SubjectPerson {
		u, err := store.FindUser(ctx, q, p.Tenant.ID, id)
		if err != nil {
			return false, err
		}
		for m, hops := u.ManagerID, 0; m != 0 && hops < 50; hops++ {
			if m == p.User.ID {
				return true, nil
			}
			mu, err := store.FindUser(ctx, q, p.Tenant.ID, m)
			if err != nil {
				break
			}
			m = mu.ManagerID
		}
		dept = u.DepartmentID
	}
	if dept == 0 {
		return false, nil
	}
	d, err := store.FindDepartment(ctx, q, p.Tenant.ID, dept)
	if err != nil {
		return false, err
	}
	switch {
	case scope == cohort.ScopeDepartment && d.ID == p.User.DepartmentID,
		scope == cohort.ScopeDepartmentAndChildren && p.DepartmentPath != "" && strings.HasPrefix(d.Path, p.DepartmentPath):
		return true, nil
	}
	for x, hops := d, 0; x != nil && hops < 50; hops++ {
		if x.ManagerID == p.User.ID {
			return true, nil
		}
		if x.ParentID == 0 {
			break
		}
		if x, err = store.FindDepartment(ctx, q, p.Tenant.ID, x.ParentID); err != nil {
			return false, err
		}
	}
	return false, nil
}

// AdjustForecast records a manager's adjustment of a category figure of a
// department subtree or a person in a period. The figure it replaces is
// kept with it.
func (s *Service) AdjustForecast(ctx context.Context, in ForecastAdjustmentInput) (*ForecastAdjustment, error) {
	p, err := require(ctx, cohort.ObjOpportunity, cohort.ActView)
	if err != nil {
		return nil, err
	}
	var v cohort.Validation
	label, from, to := forecastPeriod(p, in.Period, in.From, in.To, s.now(), &v)
	switch in.SubjectType {
	case SubjectDepartment, SubjectPerson:
		if in.SubjectID == 0 {
			v.Add("subject_id", "is required")
		}
	case SubjectCompany:
		in.SubjectID = 0
	default:
		v.Add("subject_type", "must be department, person or company")
	}
	if !slices.Contains(cohort.ForecastCategories, in.Category) {
		v.Add("category", "must be one of %s", strings.Join(cohort.ForecastCategories, ", "))
	}
	switch {
	case in.Amount == nil:
		v.Add("amount", "is required")
	case *in.Amount < 0 || *in.Amount > 1e15:
		v.Add("amount", "must be 0 to 10^15 minor units")
	}
	in.Note = strings.TrimSpace(in.Note)
	if len([]rune(in.Note)) > 500 {
		v.Add("note", "must be at most 500 characters")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	db := s.db.Read()
	// The subject must exist in the tenant (else 404) and be the caller's to
	// manage (else 403).
	switch {
	case in.SubjectType == SubjectCompany:
	case in.SubjectType == SubjectDepartment:
		_, err = store.FindDepartment(ctx, db, p.Tenant.ID, in.SubjectID)
	default:
		_, err = store.FindUser(ctx, db, p.Tenant.ID, in.SubjectID)
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.mayAdjust(ctx, db, p, in.SubjectType, in.SubjectID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, cohort.Errorf(cohort.EFORBIDDEN, "only a manager of this %s (or an administrator) may adjust its forecast", in.SubjectType)
	}
	// The original figure, in the caller's scope.
	fq := ForecastQuery{Period: label, From: from, To: to}
	if label != "" {
		fq.From, fq.To = "", ""
	}
	var original float64
	if in.SubjectType != SubjectPerson {
		if in.SubjectID != 0 {
			fq.DepartmentID = in.SubjectID.String()
		}
		f, err := s.ForecastAnalysis(ctx, fq)
		if err != nil {
			return nil, err
		}
		original = f.Root.Figures.Category[in.Category]
	} else {
		env, err := s.metricEnv(ctx)
		if err != nil {
			return nil, err
		}
		res, err := metrics.Run(ctx, db, env, metrics.Query{Metrics: []string{"forecast_" + in.Category}, From: from, To: to,
			Filters: []metrics.Filter{{Dimension: "person", Values: []string{in.SubjectID.String()}}}})
		if err != nil {
			return nil, err
		}
		original = figuresOf(res.Total.Values).Category[in.Category]
	}
	if p.User == nil {
		return nil, cohort.Errorf(cohort.EFORBIDDEN, "an adjustment is made by a person")
	}
	a := &ForecastAdjustment{PeriodFrom: from, PeriodTo: to, SubjectType: in.SubjectType, SubjectID: in.SubjectID, Category: in.Category,
		Amount: *in.Amount, Original: int64(original + 0.5), Note: in.Note, CreatedBy: p.User.ID, CreatedByName: p.User.Name, CreatedAt: s.now()}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		a.ID = cohort.ID(tx.DB().NewID())
		if _, err := tx.ExecContext(ctx, `INSERT INTO forecast_adjustments (tenant_id, id, period_from, period_to, subject_type, subject_id, category,
			amount, original, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, int64(p.Tenant.ID), int64(a.ID), a.PeriodFrom,
			a.PeriodTo, a.SubjectType, int64(a.SubjectID), a.Category, a.Amount, a.Original, a.Note, int64(a.CreatedBy), a.CreatedAt.UnixMilli()); err != nil {
			return fmt.Errorf("forecast adjustment: %w", err)
		}
		return s.audit(ctx, tx, "create", "forecast_adjustment", a.ID, diff(nil, a))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// WinProbability estimates an opportunity's chance to be won, with the
// factors behind it (metrics.WinOdds says how), for a caller who may see
// the opportunity. The frequency tables are the department's closed
// opportunities whatever the caller's scope: only their counts show.
func (s *Service) WinProbability(ctx context.Context, id cohort.ID) (*metrics.WinProbability, error) {
	o, err := s.FindOpportunity(ctx, id)
	if err != nil {
		return nil, err
	}
	p := cohort.PrincipalFrom(ctx)
	db := s.db.Read()
	c, err := store.FindCustomer(ctx, db, p.Tenant.ID, o.CustomerID, store.Where{})
	if err != nil {
		return nil, err
	}
	w, err := metrics.WinOdds(ctx, db, p.Tenant.ID, o.DepartmentID, metrics.OpportunityFeatures(o, c.Industry, c.Source, s.now()))
	if err != nil {
		return nil, err
	}
	w.OpportunityID = o.ID
	return w, nil
}

// Segmentation computes the RFM value tiers at an as-of date (YYYY-MM-DD,
// default today in the tenant's zone) and the top customers by value, in
// the caller's scope.
func (s *Service) Segmentation(ctx context.Context, asOf, top string) (*metrics.Segmentation, error) {
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	p := cohort.PrincipalFrom(ctx)
	var v cohort.Validation
	y, m, d := s.now().In(p.Tenant.Location()).Date()
	at := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if asOf != "" {
		if at, err = time.Parse(time.DateOnly, asOf); err != nil || at.Year() < 1972 || at.Year() > 9998 {
			v.Add("as_of", "must be a date YYYY-MM-DD")
		}
	}
	n := 20
	if top != "" {
		if n, err = strconv.Atoi(top); err != nil || n < 1 || n > 100 {
			v.Add("top", "must be 1 to 100")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return metrics.RunSegmentation(ctx, s.db.Read(), env, at, n)
}
