package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort"
)

const followUpCols = `f.id, f.tenant_id, f.customer_id, f.contact_id, f.record_type, f.record_id, f.type, f.direction, f.occurred_at,
	f.duration_s, f.content, f.author_id, COALESCE(u.name, ''), f.department_id, f.created_at, f.external_id`

const followUpFrom = " FROM followups f LEFT JOIN users u ON u.tenant_id = f.tenant_id AND u.id = f.author_id"

func followUpDest(f *cohort.FollowUp) []any {
	return []any{idScanner{&f.ID}, idScanner{&f.TenantID}, idScanner{&f.CustomerID}, idScanner{&f.ContactID}, (*string)(&f.RecordType),
		idScanner{&f.RecordID}, &f.Type, &f.Direction, msScanner{&f.OccurredAt}, &f.DurationS, &f.Content, idScanner{&f.AuthorID},
		&f.AuthorName, idScanner{&f.DepartmentID}, msScanner{&f.CreatedAt}, &f.ExternalID}
}

// FollowUpList is the list spec of follow-ups.
var FollowUpList = &ListSpec{
	IDColumn: "f.id",
	Fields: map[string]Field{
		"customer_id": {Column: "f.customer_id", Type: TID},
		"contact_id":  {Column: "f.contact_id", Type: TID},
		"record_type": {Column: "f.record_type"},
		"record_id":   {Column: "f.record_id", Type: TID},
		"author_id":   {Column: "f.author_id", Type: TID},
		"type":        {Column: "f.type"},
		"direction":   {Column: "f.direction"},
		"occurred_at": {Column: "f.occurred_at", Type: TTime, Sortable: true},
		"duration_s":  {Column: "f.duration_s", Type: TInt},
	},
	QColumns:    []string{"f.content"},
	DefaultSort: []cohort.SortKey{{Field: "occurred_at", Desc: true}},
}

// InsertFollowUp inserts f and moves its customer's last-follow-up time.
func InsertFollowUp(ctx context.Context, tx *Tx, f *cohort.FollowUp, now time.Time) error {
	f.ID, f.CreatedAt = cohort.ID(tx.db.NewID()), now
	_, err := tx.ExecContext(ctx, `INSERT INTO followups (tenant_id, id, customer_id, contact_id, record_type, record_id, type, direction,
		occurred_at, duration_s, content, author_id, department_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		int64(f.TenantID), int64(f.ID), int64(f.CustomerID), nullID(f.ContactID), string(f.RecordType), nullID(f.RecordID), f.Type, f.Direction,
		ms(f.OccurredAt), f.DurationS, f.Content, int64(f.AuthorID), nullID(f.DepartmentID), ms(now))
	if err != nil {
		return fmt.Errorf("insert follow-up: %w", err)
	}
	if err := SetExternalID(ctx, tx, "followups", f.TenantID, f.ID, f.ExternalID); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE customers SET last_followup_at = ? WHERE tenant_id = ? AND id = ?
		AND (last_followup_at IS NULL OR last_followup_at < ?)`, ms(f.OccurredAt), int64(f.TenantID), int64(f.CustomerID), ms(f.OccurredAt))
	return err
}

// ListFollowUps lists follow-ups; scope (over the alias f) restricts them to
// the customers the caller may see (see RecordIDIn).
func ListFollowUps(ctx context.Context, q Queryer, tenantID cohort.ID, scope Where, lq cohort.ListQuery, loc *time.Location) ([]*cohort.FollowUp, string, error) {
	base := And(Where{"f.tenant_id = ?", []any{int64(tenantID)}}, scope)
	return List(ctx, q, FollowUpList, lq, loc, "SELECT "+followUpCols+followUpFrom, base, func() (*cohort.FollowUp, []any) {
		f := &cohort.FollowUp{}
		return f, followUpDest(f)
	})
}

// --- next actions

const nextActionCols = `n.id, n.tenant_id, n.customer_id, COALESCE(c.name, ''), n.owner_id, n.plan_type, n.fuzzy, n.note, n.due_from, n.due_to,
	n.status, n.done_at, n.from_followup, n.done_followup, n.created_at`

const nextActionFrom = " FROM next_actions n LEFT JOIN customers c ON c.tenant_id = n.tenant_id AND c.id = n.customer_id"

func nextActionDest(n *cohort.NextAction) []any {
	return []any{idScanner{&n.ID}, idScanner{&n.TenantID}, idScanner{&n.CustomerID}, &n.CustomerName, idScanner{&n.OwnerID}, &n.PlanType,
		&n.Fuzzy, &n.Note, msScanner{&n.DueFrom}, msScanner{&n.DueTo}, &n.Status, nullMsScanner{&n.DoneAt}, idScanner{&n.FromFollowUp},
		idScanner{&n.DoneFollowUp}, msScanner{&n.CreatedAt}}
}

// InsertNextAction inserts n.
func InsertNextAction(ctx context.Context, tx *Tx, n *cohort.NextAction, now time.Time) error {
	n.ID, n.Status, n.CreatedAt = cohort.ID(tx.db.NewID()), cohort.ActionOpen, now
	_, err := tx.ExecContext(ctx, `INSERT INTO next_actions (tenant_id, id, customer_id, owner_id, plan_type, fuzzy, note, due_from, due_to,
		status, from_followup, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, int64(n.TenantID), int64(n.ID), int64(n.CustomerID),
		int64(n.OwnerID), n.PlanType, n.Fuzzy, n.Note, ms(n.DueFrom), ms(n.DueTo), n.Status, nullID(n.FromFollowUp), ms(now))
	return err
}

// CloseNextActions marks the open next actions of owner on a customer done by
// a follow-up; it returns those it closed as written (id, customer, owner,
// plan type, due, status and done time), for their facts.
func CloseNextActions(ctx context.Context, tx *Tx, tenantID, customerID, ownerID, followUpID cohort.ID, now time.Time) ([]*cohort.NextAction, error) {
	rows, err := tx.QueryContext(ctx, `UPDATE next_actions SET status = 'done', done_at = ?, done_followup = ?
		WHERE tenant_id = ? AND customer_id = ? AND owner_id = ? AND status = 'open'
		RETURNING id, customer_id, owner_id, plan_type, due_to, status, done_at`, ms(now), int64(followUpID), int64(tenantID),
		int64(customerID), int64(ownerID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*cohort.NextAction
	for rows.Next() {
		n := &cohort.NextAction{TenantID: tenantID, DoneFollowUp: followUpID}
		if err := rows.Scan(idScanner{&n.ID}, idScanner{&n.CustomerID}, idScanner{&n.OwnerID}, &n.PlanType, msScanner{&n.DueTo}, &n.Status,
			nullMsScanner{&n.DoneAt}); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// OpenNextActionIDs returns the ids of a customer's open next actions.
func OpenNextActionIDs(ctx context.Context, q Queryer, tenantID, customerID cohort.ID) ([]cohort.ID, error) {
	return QueryIDs(ctx, q, "SELECT id FROM next_actions WHERE tenant_id = ? AND customer_id = ? AND status = 'open'", int64(tenantID), int64(customerID))
}

// FindNextAction returns one next action.
func FindNextAction(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.NextAction, error) {
	n := &cohort.NextAction{}
	err := q.QueryRowContext(ctx, "SELECT "+nextActionCols+nextActionFrom+" WHERE n.tenant_id = ? AND n.id = ?", int64(tenantID), int64(id)).Scan(nextActionDest(n)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("next action")
	}
	return n, err
}

// NextActions returns open next actions of owner whose window starts before
// before, soonest first (the workbench's "today" and "overdue").
func NextActions(ctx context.Context, q Queryer, tenantID, ownerID cohort.ID, customerID cohort.ID, before time.Time, limit int) ([]*cohort.NextAction, error) {
	w := Where{"n.tenant_id = ? AND n.status = 'open'", []any{int64(tenantID)}}
	if ownerID != 0 {
		w = And(w, Where{"n.owner_id = ?", []any{int64(ownerID)}})
	}
	if customerID != 0 {
		w = And(w, Where{"n.customer_id = ?", []any{int64(customerID)}})
	}
	if !before.IsZero() {
		w = And(w, Where{"n.due_from < ?", []any{ms(before)}})
	}
	rows, err := q.QueryContext(ctx, "SELECT "+nextActionCols+nextActionFrom+" WHERE "+w.SQL+" ORDER BY n.due_to, n.id LIMIT ?", append(w.Args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("next actions: %w", err)
	}
	defer rows.Close()
	out := []*cohort.NextAction{}
	for rows.Next() {
		n := &cohort.NextAction{}
		if err := rows.Scan(nextActionDest(n)...); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ReassignNextActions moves the open next actions on a customer from one
// owner to another (a transfer carries them along).
func ReassignNextActions(ctx context.Context, tx *Tx, tenantID, customerID, from, to cohort.ID) error {
	_, err := tx.ExecContext(ctx, "UPDATE next_actions SET owner_id = ? WHERE tenant_id = ? AND customer_id = ? AND owner_id = ? AND status = 'open'",
		int64(to), int64(tenantID), int64(customerID), int64(from))
	return err
}

// ForgottenCustomers lists active customers of owner with no follow-up since
// since (or never), longest forgotten first.
func ForgottenCustomers(ctx context.Context, q Queryer, tenantID, ownerID cohort.ID, since time.Time, limit int) ([]*cohort.Customer, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+customerCols+` FROM customers c WHERE c.tenant_id = ? AND c.owner_id = ? AND c.status = 'active'
		AND COALESCE(c.last_followup_at, c.created_at) < ? ORDER BY COALESCE(c.last_followup_at, c.created_at), c.id LIMIT ?`,
		int64(tenantID), int64(ownerID), ms(since), limit)
	if err != nil {
		return nil, fmt.Errorf("forgotten customers: %w", err)
	}
	defer rows.Close()
	out := []*cohort.Customer{}
	for rows.Next() {
		c := &cohort.Customer{}
		if err := rows.Scan(customerDest(c)...); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CountForgotten counts active customers of owner not followed up since since.
func CountForgotten(ctx context.Context, q Queryer, tenantID, ownerID cohort.ID, since time.Time) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM customers c WHERE c.tenant_id = ? AND c.owner_id = ? AND c.status = 'active'
		AND COALESCE(c.last_followup_at, c.created_at) < ?`, int64(tenantID), int64(ownerID), ms(since)).Scan(&n)
	return n, err
}

// FollowUpsByID returns the follow-ups of a tenant with the given ids (those
// that exist), for projecting many at once.
func FollowUpsByID(ctx context.Context, q Queryer, tenantID cohort.ID, ids []cohort.ID) ([]*cohort.FollowUp, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, int64(tenantID))
	for _, id := range ids {
		args = append(args, int64(id))
	}
	rows, err := q.QueryContext(ctx, "SELECT "+followUpCols+followUpFrom+" WHERE f.tenant_id = ? AND f.id IN ("+placeholders(len(ids))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("follow-ups: %w", err)
	}
	defer rows.Close()
	var out []*cohort.FollowUp
	for rows.Next() {
		f := &cohort.FollowUp{}
		if err := rows.Scan(followUpDest(f)...); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
