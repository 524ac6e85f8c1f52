package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/cohortcrm/cohort"
)

// External ids (migration 0019): the id a record had in the system it was
// migrated from, unique per tenant and record type when set (deals: per
// kind). Imports find records by them; lists filter on them.

// externalIDLists are the lists that filter on external_id.
var externalIDLists = []*ListSpec{CustomerList, LeadList, OpportunityList, DealList, FollowUpList, TicketList}

func init() {
	for _, s := range externalIDLists {
		alias, _, _ := strings.Cut(s.IDColumn, ".")
		s.Fields["external_id"] = Field{Column: alias + ".external_id"}
	}
}

// SetExternalID gives a record just inserted in table its external id (a
// no-op for none). A taken id is a conflict naming the field.
func SetExternalID(ctx context.Context, tx *Tx, table string, tenantID, id cohort.ID, ext string) error {
	if ext == "" {
		return nil
	}
	if msg := cohort.CheckExternalID(ext); msg != "" {
		return &cohort.Error{Code: cohort.EINVALID, Message: "external_id " + msg, Fields: []cohort.FieldError{{Field: "external_id", Message: msg}}}
	}
	_, err := tx.ExecContext(ctx, "UPDATE "+table+" SET external_id = ? WHERE tenant_id = ? AND id = ?", ext, int64(tenantID), int64(id))
	if isUniqueViolation(err) {
		return &cohort.Error{Code: cohort.ECONFLICT, Message: fmt.Sprintf("a record with external id %q exists already", ext),
			Fields: []cohort.FieldError{{Field: "external_id", Message: "is taken"}}}
	}
	if err != nil {
		return fmt.Errorf("set external id: %w", err)
	}
	return nil
}

// ExternalRef is a record found by its external id: what an import needs
// to link a row to it.
type ExternalRef struct {
	ID         cohort.ID
	ExternalID string
	// DealID is the document of a payment or an installment.
	DealID       cohort.ID
	Name         string
	CustomerID   cohort.ID
	OwnerID      cohort.ID
	DepartmentID cohort.ID
	// Status and Kind, of opportunities and deals.
	Status string
	Kind   string
	// At is the record's business start (created_at; deals: signed_at when
	// signed).
	At int64
}

// externalRefSelect is, per table, the columns of an ExternalRef and the
// alias the data scopes name (c for customers; the customer of the record
// otherwise, joined as c).
var externalRefSelect = map[string]string{
	"customers": "SELECT c.id, 0, c.external_id, c.name, c.id, COALESCE(c.owner_id, 0), COALESCE(c.department_id, 0), c.status, '', c.created_at FROM customers c",
	"contacts": `SELECT k.id, 0, k.external_id, '', k.customer_id, COALESCE(c.owner_id, 0), COALESCE(c.department_id, 0), '', '', k.created_at
		FROM contacts k JOIN customers c ON c.tenant_id = k.tenant_id AND c.id = k.customer_id`,
	"opportunities": `SELECT o.id, 0, o.external_id, '', o.customer_id, COALESCE(o.owner_id, 0), COALESCE(o.department_id, 0), o.status, '', o.created_at
		FROM opportunities o JOIN customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id`,
	"deals": `SELECT d.id, 0, d.external_id, '', d.customer_id, COALESCE(d.owner_id, 0), COALESCE(d.department_id, 0), d.status, d.kind,
		COALESCE(d.signed_at, d.created_at) FROM deals d JOIN customers c ON c.tenant_id = d.tenant_id AND c.id = d.customer_id`,
	"leads":         "SELECT l.id, 0, l.external_id, '', 0, COALESCE(l.owner_id, 0), COALESCE(l.department_id, 0), l.status, '', l.created_at FROM leads l",
	"followups":     "SELECT f.id, 0, f.external_id, '', f.customer_id, f.author_id, COALESCE(f.department_id, 0), '', '', f.occurred_at FROM followups f",
	"tickets":       "SELECT k.id, 0, k.external_id, '', k.customer_id, COALESCE(k.owner_id, 0), COALESCE(k.department_id, 0), k.status, '', k.opened_at FROM tickets k",
	"payments":      "SELECT p.id, p.deal_id, p.external_id, '', 0, 0, 0, '', '', p.created_at FROM payments p",
	"payment_plans": "SELECT p.id, p.deal_id, p.external_id, '', 0, 0, 0, '', '', p.created_at FROM payment_plans p",
}

// externalAlias is the alias of each table in externalRefSelect.
var externalAlias = map[string]string{"customers": "c", "contacts": "k", "opportunities": "o", "deals": "d", "leads": "l",
	"followups": "f", "tickets": "k", "payments": "p", "payment_plans": "p"}

// ExternalRefs returns the records of table of a tenant whose external id
// is one of ids, by external id. scope (over the customer, alias c; only
// for tables joined to their customer) narrows them to what the caller may
// reach: a record outside it is not found. kind, if set, narrows deals to
// one kind.
func ExternalRefs(ctx context.Context, q Queryer, table string, tenantID cohort.ID, ids []string, kind string, scope Where) (map[string]ExternalRef, error) {
	out := map[string]ExternalRef{}
	head, ok := externalRefSelect[table]
	if !ok {
		return nil, fmt.Errorf("external refs: no table %q", table)
	}
	if len(ids) == 0 {
		return out, nil
	}
	a := externalAlias[table]
	in, inArgs := inList(q.Engine(), a+".external_id", ids)
	// external_id <> '' lets both engines use the partial unique index (an
	// IN list alone does not imply its condition: each batch read the whole
	// table).
	w := Where{a + ".tenant_id = ? AND " + a + ".external_id <> '' AND " + in, append([]any{int64(tenantID)}, inArgs...)}
	if kind != "" {
		w = And(w, Where{a + ".kind = ?", []any{kind}})
	}
	w = And(w, scope)
	rows, err := q.QueryContext(ctx, head+" WHERE "+w.SQL, w.Args...)
	if err != nil {
		return nil, fmt.Errorf("external refs of %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r ExternalRef
		if err := rows.Scan(idScanner{&r.ID}, idScanner{&r.DealID}, &r.ExternalID, &r.Name, idScanner{&r.CustomerID}, idScanner{&r.OwnerID}, idScanner{&r.DepartmentID},
			&r.Status, &r.Kind, &r.At); err != nil {
			return nil, err
		}
		out[r.ExternalID] = r
	}
	return out, rows.Err()
}
