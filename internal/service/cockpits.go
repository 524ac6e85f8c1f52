package service

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/cockpits"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// objCockpit names cockpits in the audit log.
const objCockpit cohort.ObjectType = "cockpit"

// Cockpits (internal/cockpits) take customer:view, as metric queries do,
// and each widget's figures are computed in the viewer's own data scope.
// Who sees and changes a cockpit:
//   - personal: the owner views and edits; users in shared_with view;
//   - department: members of the department or a sub-department view; the
//     manager of the department or of a department above it, and
//     administrators (tenant:administer), edit;
//   - company: everyone views; administrators edit.
//
// A cockpit the caller may not view is "not found".

func isAdmin(p *cohort.Principal) bool {
	return p.System || p.Permissions.Can(cohort.ObjTenant, cohort.ActAdminister)
}

func userOf(p *cohort.Principal) cohort.ID {
	if p.User == nil {
		return 0
	}
	return p.User.ID
}

// cockpitAccess says whether p may view and edit c.
func (s *Service) cockpitAccess(ctx context.Context, q store.Queryer, p *cohort.Principal, c *cockpits.Cockpit) (view, edit bool, err error) {
	me := userOf(p)
	switch c.Visibility {
	case cockpits.Personal:
		edit = c.OwnerID == me && me != 0
		return edit || slices.Contains(c.SharedWith, me) && me != 0, edit, nil
	case cockpits.Company:
		return true, isAdmin(p), nil
	}
	d, err := store.FindDepartment(ctx, q, p.Tenant.ID, c.DepartmentID)
	if err != nil {
		if cohort.ErrorCode(err) == cohort.ENOTFOUND {
			// The department is gone: only administrators keep it.
			return isAdmin(p), isAdmin(p), nil
		}
		return false, false, err
	}
	edit = isAdmin(p)
	for _, part := range strings.Split(strings.Trim(d.Path, "/"), "/") {
		if edit || me == 0 {
			break
		}
		id, perr := cohort.ParseID(part)
		if perr != nil {
			continue
		}
		up := d
		if id != d.ID {
			if up, err = store.FindDepartment(ctx, q, p.Tenant.ID, id); err != nil {
				continue
			}
		}
		edit = up.ManagerID == me
	}
	view = edit || p.DepartmentPath != "" && strings.HasPrefix(p.DepartmentPath, d.Path)
	return view, edit, nil
}

// visibleCockpit returns cockpit id when the caller may view it (and edit it
// when edit), with its periods resolved to today's dates.
func (s *Service) visibleCockpit(ctx context.Context, q store.Queryer, id cohort.ID, edit bool) (*cohort.Principal, *cockpits.Cockpit, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, nil, err
	}
	c, err := cockpits.Find(ctx, q, p.Tenant.ID, id)
	if err != nil {
		return nil, nil, err
	}
	view, canEdit, err := s.cockpitAccess(ctx, q, p, c)
	if err != nil {
		return nil, nil, err
	}
	if !view {
		return nil, nil, cohort.Errorf(cohort.ENOTFOUND, "cockpit not found")
	}
	if edit && !canEdit {
		return nil, nil, cohort.Errorf(cohort.EFORBIDDEN, "only %s may change this cockpit", editorsOf(c.Visibility))
	}
	c.CanEdit = canEdit
	c.Resolve(cockpits.CalendarOf(p.Tenant, s.now()))
	return p, c, nil
}

func editorsOf(visibility string) string {
	switch visibility {
	case cockpits.Personal:
		return "its owner"
	case cockpits.Department:
		return "the department's managers and administrators"
	}
	return "administrators"
}

// Cockpits lists the cockpits the caller may view, by name.
func (s *Service) Cockpits(ctx context.Context) ([]*cockpits.Cockpit, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	all, err := cockpits.List(ctx, s.db.Read(), p.Tenant.ID, userOf(p))
	if err != nil {
		return nil, err
	}
	cal := cockpits.CalendarOf(p.Tenant, s.now())
	out := []*cockpits.Cockpit{}
	for _, c := range all {
		view, edit, err := s.cockpitAccess(ctx, s.db.Read(), p, c)
		if err != nil {
			return nil, err
		}
		if view {
			c.CanEdit = edit
			c.Resolve(cal)
			out = append(out, c)
		}
	}
	return out, nil
}

// FindCockpit returns a cockpit the caller may view, its preset periods
// resolved to today's dates.
func (s *Service) FindCockpit(ctx context.Context, id cohort.ID) (*cockpits.Cockpit, error) {
	_, c, err := s.visibleCockpit(ctx, s.db.Read(), id, false)
	return c, err
}

// checkCockpit validates c: its fields, its shared users, and every
// widget's query by the metric engine (an unknown metric is a field error
// under layout[i].query). It resolves the periods.
func (s *Service) checkCockpit(ctx context.Context, q store.Queryer, p *cohort.Principal, c *cockpits.Cockpit) error {
	var v cohort.Validation
	c.Check(&v)
	for i, id := range c.SharedWith {
		if slices.Index(c.SharedWith, id) < i {
			v.Add(fmt.Sprintf("shared_with[%d]", i), "is named twice")
		} else if _, err := store.FindUser(ctx, q, p.Tenant.ID, id); err != nil {
			v.Add(fmt.Sprintf("shared_with[%d]", i), "no such user")
		}
	}
	if c.Visibility == cockpits.Department && c.DepartmentID != 0 {
		if _, err := store.FindDepartment(ctx, q, p.Tenant.ID, c.DepartmentID); err != nil {
			v.Add("department_id", "no such department")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	env, err := s.metricEnv(ctx)
	if err != nil {
		return err
	}
	cal := cockpits.CalendarOf(p.Tenant, s.now())
	for i := range c.Layout {
		if cockpits.IsGoal(c.Layout[i].Type) {
			continue // goal completion, not a metric query (goalcockpits.go)
		}
		c.Layout[i].Query.Resolve(cal)
		if err := metrics.Check(ctx, q, env, c.Layout[i].Query.Metric()); err != nil {
			return cockpits.Prefix(err, fmt.Sprintf("layout[%d].query", i))
		}
	}
	return checkGoalWidgets(ctx, q, p.Tenant.ID, c.Layout)
}

// CreateCockpit stores a new cockpit of the caller's. A department cockpit
// takes a manager of that department (or an administrator), a company
// cockpit an administrator.
func (s *Service) CreateCockpit(ctx context.Context, c *cockpits.Cockpit) error {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return err
	}
	if p.User == nil {
		return cohort.Errorf(cohort.EFORBIDDEN, "a cockpit belongs to a user")
	}
	c.OwnerID = p.User.ID
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := s.checkCockpit(ctx, tx, p, c); err != nil {
			return err
		}
		if _, edit, err := s.cockpitAccess(ctx, tx, p, c); err != nil {
			return err
		} else if !edit {
			return cohort.Errorf(cohort.EFORBIDDEN, "only %s may make a %s cockpit", editorsOf(c.Visibility), c.Visibility)
		}
		if err := cockpits.Insert(ctx, tx, p.Tenant.ID, c, s.now()); err != nil {
			return err
		}
		c.CanEdit = true
		return s.audit(ctx, tx, "create", objCockpit, c.ID, diff(nil, c))
	})
}

// CockpitUpdate holds what a PATCH of a cockpit may change.
type CockpitUpdate struct {
	Name         *string            `json:"name" example:"我的驾驶舱"`
	Visibility   *string            `json:"visibility" example:"personal"`
	DepartmentID *cohort.ID         `json:"department_id"`
	SharedWith   *[]cohort.ID       `json:"shared_with"`
	Layout       *[]cockpits.Widget `json:"layout"`
}

// UpdateCockpit changes a cockpit the caller may edit; a change of
// visibility takes the right to edit the cockpit as it becomes too.
func (s *Service) UpdateCockpit(ctx context.Context, id cohort.ID, upd CockpitUpdate, ifVersion int) (*cockpits.Cockpit, error) {
	var out *cockpits.Cockpit
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		p, prev, err := s.visibleCockpit(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "cockpit"); err != nil {
			return err
		}
		c := *prev
		if upd.Name != nil {
			c.Name = *upd.Name
		}
		if upd.Visibility != nil {
			c.Visibility = *upd.Visibility
		}
		if upd.DepartmentID != nil {
			c.DepartmentID = *upd.DepartmentID
		}
		if upd.SharedWith != nil {
			c.SharedWith = *upd.SharedWith
		}
		if upd.Layout != nil {
			c.Layout = *upd.Layout
		}
		if err := s.checkCockpit(ctx, tx, p, &c); err != nil {
			return err
		}
		if c.Visibility != prev.Visibility || c.DepartmentID != prev.DepartmentID {
			if _, edit, err := s.cockpitAccess(ctx, tx, p, &c); err != nil {
				return err
			} else if !edit {
				return cohort.Errorf(cohort.EFORBIDDEN, "only %s may make a %s cockpit", editorsOf(c.Visibility), c.Visibility)
			}
		}
		if err := cockpits.Update(ctx, tx, p.Tenant.ID, &c, s.now()); err != nil {
			return err
		}
		out = &c
		return s.audit(ctx, tx, "update", objCockpit, id, diff(prev, &c))
	})
	return out, err
}

// DeleteCockpit deletes a cockpit the caller may edit.
func (s *Service) DeleteCockpit(ctx context.Context, id cohort.ID, ifVersion int) error {
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		p, prev, err := s.visibleCockpit(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "cockpit"); err != nil {
			return err
		}
		if err := cockpits.Delete(ctx, tx, p.Tenant.ID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", objCockpit, id, diff(prev, nil))
	})
}

// CockpitPresets lists the built-in cockpits in the caller's language,
// their periods resolved to today's dates.
func (s *Service) CockpitPresets(ctx context.Context) ([]cockpits.Preset, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	cal := cockpits.CalendarOf(p.Tenant, s.now())
	out := make([]cockpits.Preset, 0, len(cockpits.Presets))
	for _, pr := range cockpits.Presets {
		l := pr.Localized(metricLang(p))
		for i := range l.Layout {
			l.Layout[i].Query.Resolve(cal)
		}
		out = append(out, l)
	}
	return out, nil
}

// CopyPreset makes a personal cockpit of the caller's from preset key,
// named name (the preset's name when "").
func (s *Service) CopyPreset(ctx context.Context, key, name string) (*cockpits.Cockpit, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	pr, ok := cockpits.FindPreset(key)
	if !ok {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "no preset %q", key)
	}
	l := pr.Localized(metricLang(p))
	if name == "" {
		name = l.Name
	}
	c := &cockpits.Cockpit{Name: name, Visibility: cockpits.Personal, Preset: key, Layout: l.Layout}
	if err := s.CreateCockpit(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// CockpitPeriods lists the period presets with today's dates in the
// tenant's zone.
func (s *Service) CockpitPeriods(ctx context.Context) ([]cockpits.PeriodRange, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return cockpits.PeriodRanges(cockpits.CalendarOf(p.Tenant, s.now())), nil
}

// ExportCockpit writes cockpit id's figures as an .xlsx workbook to w: every
// widget's query computed in the caller's data scope, one sheet each.
func (s *Service) ExportCockpit(ctx context.Context, id cohort.ID, w io.Writer) error {
	p, c, err := s.visibleCockpit(ctx, s.db.Read(), id, false)
	if err != nil {
		return err
	}
	results := make([]*metrics.Result, len(c.Layout))
	for i, wd := range c.Layout {
		if cockpits.IsGoal(wd.Type) {
			g, err := s.GoalWidget(ctx, GoalWidgetInput{Type: wd.Type, Goal: wd.Goal})
			if err != nil {
				return cockpits.Prefix(err, fmt.Sprintf("layout[%d]", i))
			}
			results[i] = g.metricResult(metricLang(p))
			continue
		}
		if results[i], err = s.QueryMetrics(ctx, wd.Query.Metric()); err != nil {
			return cockpits.Prefix(err, fmt.Sprintf("layout[%d].query", i))
		}
	}
	return cockpits.WriteXLSX(w, c, results, metricLang(p))
}
