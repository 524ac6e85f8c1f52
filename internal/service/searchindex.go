package service

import (
	"context"
	"fmt"
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
	o.CustomerName = c.Name
	return search.Upsert(ctx, tx, opportunityDoc(o))
}

// opportunityDoc is what the index holds of an opportunity: o.CustomerName
// must be its customer's name.
func opportunityDoc(o *cohort.Opportunity) search.Doc {
	return search.Doc{TenantID: o.TenantID, ObjectType: string(cohort.ObjOpportunity), ObjectID: o.ID, OwnerID: o.OwnerID,
		DepartmentID: o.DepartmentID, Title: o.Name, Text: joinText(o.CustomerName, o.Competitor, o.Source), UpdatedAt: o.UpdatedAt}
}

// prepareDoc makes the index text and tokens of doc before the transaction
// that writes its record, so that the single writer only runs the SQL; the
// write passes what the record then holds through Prepared.For, which drops
// the preparation when the text differs.
func (s *Service) prepareDoc(doc search.Doc) *search.Prepared {
	p := search.Prepare(s.db.Engine, doc)
	return &p
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

// reindexDeal indexes a contract or order by number, name and customer.
func (s *Service) reindexDeal(ctx context.Context, tx *store.Tx, d *cohort.Deal) error {
	return search.Upsert(ctx, tx, search.Doc{TenantID: d.TenantID, ObjectType: string(d.Kind), ObjectID: d.ID, OwnerID: d.OwnerID,
		DepartmentID: d.DepartmentID, Title: d.Number + " " + d.Name, Text: joinText(d.CustomerName, d.Note), UpdatedAt: d.UpdatedAt})
}

// reindexProject indexes a delivery project by number, name and customer.
func (s *Service) reindexProject(ctx context.Context, tx *store.Tx, p *cohort.Project) error {
	return search.Upsert(ctx, tx, search.Doc{TenantID: p.TenantID, ObjectType: string(cohort.ObjProject), ObjectID: p.ID, OwnerID: p.OwnerID,
		DepartmentID: p.DepartmentID, Title: p.Number + " " + p.Name, Text: joinText(p.CustomerName), UpdatedAt: p.UpdatedAt})
}

// reindexTicket indexes a ticket by number, subject and customer.
func (s *Service) reindexTicket(ctx context.Context, tx *store.Tx, t *cohort.Ticket) error {
	return search.Upsert(ctx, tx, search.Doc{TenantID: t.TenantID, ObjectType: string(cohort.ObjTicket), ObjectID: t.ID, OwnerID: t.OwnerID,
		DepartmentID: t.DepartmentID, Title: t.Number + " " + t.Subject, Text: joinText(t.CustomerName, t.Kind), UpdatedAt: t.UpdatedAt})
}

// reindexRecord re-reads and indexes a record with a team after its owner
// changed.
func (s *Service) reindexRecord(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, tenantID, id cohort.ID) error {
	switch obj {
	case cohort.ObjCustomer:
		return s.reindexCustomer(ctx, tx, tenantID, id)
	case cohort.ObjOpportunity:
		return s.reindexOpportunity(ctx, tx, tenantID, id)
	case cohort.ObjContract, cohort.ObjOrder:
		d, err := store.FindDeal(ctx, tx, tenantID, obj, id, store.Where{})
		if err != nil {
			return err
		}
		return s.reindexDeal(ctx, tx, d)
	case cohort.ObjProject:
		p, err := store.FindProject(ctx, tx, tenantID, id, store.Where{})
		if err != nil {
			return err
		}
		return s.reindexProject(ctx, tx, p)
	case cohort.ObjTicket:
		t, err := store.FindTicket(ctx, tx, tenantID, id, store.Where{})
		if err != nil {
			return err
		}
		return s.reindexTicket(ctx, tx, t)
	}
	return nil
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
	{cohort.ObjContract, cohort.ObjContract, cohort.ObjContract},
	{cohort.ObjOrder, cohort.ObjOrder, cohort.ObjOrder},
	{cohort.ObjProject, cohort.ObjProject, cohort.ObjProject},
	{cohort.ObjTicket, cohort.ObjTicket, cohort.ObjTicket},
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
	now := s.now()
	// docs names the documents of a narrow scope (see search.Scope): the
	// caller's own, their subordinates' or their department's, through the
	// indexes on owner and department, plus those of records whose team they
	// are on. Any wider scope of any type leaves it unset.
	var docs []string
	var docArgs []any
	seen := map[string]bool{}
	narrow, team := true, false
	// depts names the departments of a department-wide scope, when every
	// type has the same one (see search.Scope.Departments).
	var depts store.Where
	deptsKey, wide := "", true
	for _, st := range searchable {
		if len(want) > 0 && !want[string(st.typ)] {
			continue
		}
		a, err := s.Access(ctx, st.perm, cohort.ActView)
		if err != nil {
			continue // no view permission: the type is left out
		}
		allowed = append(allowed, string(st.typ))
		if dw, ok := store.AccessDepartments(a); !ok {
			wide = false
		} else if key := dw.SQL + fmt.Sprint(dw.Args...); deptsKey == "" {
			depts, deptsKey = dw, key
		} else if key != deptsKey {
			wide = false
		}
		if st.team != "" {
			team = true
		}
		switch a.Scope {
		case cohort.ScopeOwn, cohort.ScopeOwnAndSubordinates, cohort.ScopeDepartment:
			own := store.AccessWhere(a, "s.owner_id", "s.department_id")
			key := own.SQL + fmt.Sprint(own.Args...)
			if !seen[key] {
				seen[key] = true
				docs = append(docs, "SELECT s.id FROM search_docs s WHERE s.tenant_id = ? AND ("+own.SQL+")")
				docArgs = append(append(docArgs, int64(p.Tenant.ID)), own.Args...)
			}
		default:
			narrow = false
		}
		w := store.AccessWhere(a, "d.owner_id", "d.department_id")
		if w.SQL != "" && st.team != "" {
			w.SQL = "(" + w.SQL + `) OR EXISTS (SELECT 1 FROM record_team t WHERE t.tenant_id = d.tenant_id AND t.record_type = ?
				AND t.record_id = d.object_id AND t.user_id = ? AND t.valid_to IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?))`
			w.Args = append(w.Args, string(st.team), int64(a.UserID), now.UnixMilli())
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
	scope := search.Scope{Where: store.Where{SQL: strings.Join(ors, " OR "), Args: args}}
	if p.User != nil && (narrow || wide) {
		// The documents of records whose team the caller is on: CROSS JOIN
		// keeps SQLite reading the memberships first.
		var teamDocs store.Where
		if team {
			teamDocs = store.Where{SQL: `SELECT s.id FROM record_team t CROSS JOIN search_docs s
				WHERE t.tenant_id = ? AND t.user_id = ? AND t.valid_to IS NULL
				AND s.tenant_id = t.tenant_id AND s.object_type = t.record_type AND s.object_id = t.record_id`,
				Args: []any{int64(p.Tenant.ID), int64(p.User.ID)}}
		}
		if narrow {
			if team {
				docs = append(docs, teamDocs.SQL)
				docArgs = append(docArgs, teamDocs.Args...)
			}
			scope.Docs = store.Where{SQL: strings.Join(docs, " UNION "), Args: docArgs}
		}
		if wide {
			scope.Departments, scope.Team = depts, teamDocs
		}
	}
	return search.SearchScoped(ctx, s.db.Read(), s.db.Engine, p.Tenant.ID, query, allowed, scope, limit)
}
