package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Who may write goal values. An administrator (tenant:administer) writes
// every value of every rule. The manager of a department
// (departments.manager_id) with customer:view writes the values of that
// department, of every department below it and of the people now in them,
// in the rules whose grid holds them: typing cells, splitting and importing
// sheets. Rules, locks and every other value (the parent department's,
// other departments', the company's, products', regions', segments') stay
// with administrators; a lock stops managers too.

// goalWriter is what the caller may write.
type goalWriter struct {
	all bool
	// depts are the departments the caller manages with their subtrees.
	depts map[cohort.ID]bool
}

// errGoalWriter refuses a caller who may write no goal value.
var errGoalWriter = cohort.Errorf(cohort.EFORBIDDEN,
	"setting goal values takes tenant:administer, or managing a department (its goals, those of the departments below it and of their people)")

// goalWriter returns what the caller may write, or EFORBIDDEN when nothing.
func (s *Service) goalWriter(ctx context.Context, q store.Queryer) (*goalWriter, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if isAdmin(p) {
		return &goalWriter{all: true}, nil
	}
	if p.User == nil || !p.Permissions.Can(cohort.ObjCustomer, cohort.ActView) {
		return nil, errGoalWriter
	}
	depts, err := store.ListDepartments(ctx, q, p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	var roots []string
	for _, d := range depts {
		if d.ManagerID == p.User.ID {
			roots = append(roots, d.Path)
		}
	}
	w := &goalWriter{depts: map[cohort.ID]bool{}}
	for _, d := range depts {
		for _, r := range roots {
			if strings.HasPrefix(d.Path, r) {
				w.depts[d.ID] = true
				break
			}
		}
	}
	if len(w.depts) == 0 {
		return nil, errGoalWriter
	}
	return w, nil
}

// may says whether the caller may write subject's values in gc's rule: a
// department they manage (or one below it), or a person now in one.
func (w *goalWriter) may(gc *goalContext, subject string) bool {
	if w.all {
		return true
	}
	sub := gc.tree.byKey[subject]
	if sub == nil {
		return false
	}
	dept := sub.Key
	if sub.Kind == GoalPerson {
		dept = sub.Parent
	}
	idText, ok := strings.CutPrefix(dept, GoalDepartment+":")
	if !ok {
		return false
	}
	id, err := cohort.ParseID(idText)
	return err == nil && w.depts[id]
}

// goalTarget is a cell a write names, with the field that named it.
type goalTarget struct {
	field string
	goalWrite
}

// check refuses, naming each, the cells outside what the caller may write
// that the write would change (a sheet exported whole and imported with
// only one's own rows changed is fine); then nothing is written.
func (w *goalWriter) check(gc *goalContext, cells []goalTarget) error {
	if w.all {
		return nil
	}
	var out []cohort.FieldError
	seen := map[string]bool{}
	for _, c := range cells {
		old := gc.vals.get(c.subject, c.period)
		same := old == nil && c.value == nil || old != nil && c.value != nil && *old == *c.value
		if same || w.may(gc, c.subject) || seen[c.field] {
			continue
		}
		seen[c.field] = true
		out = append(out, cohort.FieldError{Field: c.field, Message: fmt.Sprintf("%s is outside the departments you manage", c.subject)})
	}
	if len(out) == 0 {
		return nil
	}
	return &cohort.Error{Code: cohort.EFORBIDDEN, Fields: out, Message: fmt.Sprintf(
		"you may set the goals of the departments you manage, those below them and their people only: %d cell(s) are outside them, nothing was changed", len(out))}
}
