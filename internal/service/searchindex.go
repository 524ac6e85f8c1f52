package service

import (
	"context"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
)

// Every write of a searchable record re-indexes it in the same transaction,
// so search never shows a record that rolled back and never misses one that
// committed. The index carries each document's owner and department for the
// data scope.

func joinText(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			b.WriteString(p)
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// reindexCustomer indexes a customer and its contacts (whose scope follows
// the customer's).
func (s *Service) reindexCustomer(ctx context.Context, tx *store.Tx, tenantID, id cohort.ID) error {
	c, err := store.FindCustomer(ctx, tx, tenantID, id, store.Where{})
	if err != nil {
		return err
	}
	if err := search.Upsert(ctx, tx, customerDoc(c)); err != nil {
		return err
	}
	contacts, err := store.ListContacts(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	for _, k := range contacts {
		if err := s.indexContact(ctx, tx, c, k); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) indexContact(ctx context.Context, tx *store.Tx, c *cohort.Customer, k *cohort.Contact) error {
	return search.Upsert(ctx, tx, search.Doc{TenantID: c.TenantID, ObjectType: string(cohort.ObjContact), ObjectID: k.ID, OwnerID: c.OwnerID,
		DepartmentID: c.DepartmentID, Title: k.Name, Text: joinText(c.Name, k.Title, k.Phone, k.Email, k.WeChat), UpdatedAt: k.UpdatedAt})
}

func (s *Service) reindexOpportunity(ctx context.Context, tx *store.Tx, tenantID, id cohort.ID) error {
	o, err := store.FindOpportunity(ctx, tx, tenantID, id, store.Where{})
	if err != nil {
		return err
	}
	c, err := store.FindCustomer(ctx, tx, tenantID, o.CustomerID, store.Where{})
	if err != nil {
		return err
	}
	return search.Upsert(ctx, tx, search.Doc{TenantID: tenantID, ObjectType: string(cohort.ObjOpportunity), ObjectID: o.ID, OwnerID: o.OwnerID,
		DepartmentID: o.DepartmentID, Title: o.Name, Text: joinText(c.Name, o.Competitor, o.Source), UpdatedAt: o.UpdatedAt})
}

// customerDoc is what the index holds of a customer (imports index it too).
func customerDoc(c *cohort.Customer) search.Doc {
	return search.Doc{TenantID: c.TenantID, ObjectType: string(cohort.ObjCustomer), ObjectID: c.ID, OwnerID: c.OwnerID,
		DepartmentID: c.DepartmentID, Title: c.Name, Text: joinText(c.CreditCode, c.Industry, c.Province, c.City, c.Source, c.Segment), UpdatedAt: c.UpdatedAt}
}

func (s *Service) indexLead(ctx context.Context, tx *store.Tx, l *cohort.Lead) error {
	return search.Upsert(ctx, tx, leadDoc(l))
}

// leadDoc is what the index holds of a lead.
func leadDoc(l *cohort.Lead) search.Doc {
	return search.Doc{TenantID: l.TenantID, ObjectType: string(cohort.ObjLead), ObjectID: l.ID, OwnerID: l.OwnerID,
		DepartmentID: l.DepartmentID, Title: l.Name, Text: joinText(l.Company, l.Title, l.Phone, l.Email, l.Province, l.City, l.Source), UpdatedAt: l.UpdatedAt}
}

// searchable maps each searchable type to the permission object that governs
// it (contacts follow their customer's scope).
var searchable = []struct {
	typ  cohort.ObjectType
	perm cohort.ObjectType
	team cohort.ObjectType
}{
	{cohort.ObjCustomer, cohort.ObjCustomer, cohort.ObjCustomer},
	{cohort.ObjContact, cohort.ObjCustomer, ""},
	{cohort.ObjOpportunity, cohort.ObjOpportunity, cohort.ObjOpportunity},
	{cohort.ObjLead, cohort.ObjLead, ""},
}

// Search finds records of the given types (all searchable types when
// empty) whose text contains every term of query, within the caller's data
// scope and record teams for each type.
func (s *Service) Search(ctx context.Context, query string, types []string, limit int) ([]search.Hit, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, t := range types {
		want[t] = true
	}
	var ors []string
	var args []any
	var allowed []string
	for _, st := range searchable {
		if len(want) > 0 && !want[string(st.typ)] {
			continue
		}
		a, err := s.Access(ctx, st.perm, cohort.ActView)
		if err != nil {
			continue // no view permission: the type is left out
		}
		allowed = append(allowed, string(st.typ))
		w := store.AccessWhere(a, "d.owner_id", "d.department_id")
		if w.SQL != "" && st.team != "" {
			w.SQL = "(" + w.SQL + `) OR EXISTS (SELECT 1 FROM record_team t WHERE t.tenant_id = d.tenant_id AND t.record_type = ?
				AND t.record_id = d.object_id AND t.user_id = ? AND t.valid_to IS NULL)`
			w.Args = append(w.Args, string(st.team), int64(a.UserID))
		}
		if w.SQL == "" {
			w.SQL = "1 = 1"
		}
		ors = append(ors, "(d.object_type = ? AND ("+w.SQL+"))")
		args = append(append(args, string(st.typ)), w.Args...)
	}
	for t := range want {
		found := false
		for _, st := range searchable {
			found = found || string(st.typ) == t
		}
		if !found {
			return nil, cohort.Errorf(cohort.EBADREQUEST, "types: %q is not searchable", t)
		}
	}
	if len(allowed) == 0 {
		return []search.Hit{}, nil
	}
	scope := store.Where{SQL: strings.Join(ors, " OR "), Args: args}
	return search.Search(ctx, s.db.Read(), s.db.Engine, p.Tenant.ID, query, allowed, scope, limit)
}
