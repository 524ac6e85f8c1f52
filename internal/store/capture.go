package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort"
)

const commCols = `id, tenant_id, kind, source, external_id, direction, from_addr, to_addr, user_id, started_at, duration_s, subject, body,
	recording_url, status, reason, followup_id, customer_id, contact_id, created_at`

func commDest(c *cohort.CommItem) []any {
	return []any{idScanner{&c.ID}, idScanner{&c.TenantID}, &c.Kind, &c.Source, &c.ExternalID, &c.Direction, &c.From, &c.To, idScanner{&c.UserID},
		msScanner{&c.StartedAt}, &c.DurationS, &c.Subject, &c.Body, &c.RecordingURL, &c.Status, &c.Reason, idScanner{&c.FollowUpID},
		idScanner{&c.CustomerID}, idScanner{&c.ContactID}, msScanner{&c.CreatedAt}}
}

// FindCommByExternal returns the item a source sent with external id, if any.
func FindCommByExternal(ctx context.Context, q Queryer, tenantID cohort.ID, source, externalID string) (*cohort.CommItem, error) {
	c := &cohort.CommItem{}
	err := q.QueryRowContext(ctx, "SELECT "+commCols+" FROM comm_items WHERE tenant_id = ? AND source = ? AND external_id = ?",
		int64(tenantID), source, externalID).Scan(commDest(c)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return c, err
}

// FindComm returns one captured item.
func FindComm(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.CommItem, error) {
	c := &cohort.CommItem{}
	err := q.QueryRowContext(ctx, "SELECT "+commCols+" FROM comm_items WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)).Scan(commDest(c)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("captured item")
	}
	return c, err
}

// InsertComm stores a captured item.
func InsertComm(ctx context.Context, tx *Tx, c *cohort.CommItem, now time.Time) error {
	c.ID, c.CreatedAt = cohort.ID(tx.db.NewID()), now
	_, err := tx.ExecContext(ctx, "INSERT INTO comm_items ("+commCols+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		int64(c.ID), int64(c.TenantID), c.Kind, c.Source, c.ExternalID, c.Direction, c.From, c.To, nullID(c.UserID), ms(c.StartedAt), c.DurationS,
		c.Subject, c.Body, c.RecordingURL, c.Status, c.Reason, nullID(c.FollowUpID), nullID(c.CustomerID), nullID(c.ContactID), ms(now))
	if err != nil {
		return fmt.Errorf("insert captured item: %w", err)
	}
	return nil
}

// SetCommStatus records how an item was settled.
func SetCommStatus(ctx context.Context, tx *Tx, c *cohort.CommItem) error {
	_, err := tx.ExecContext(ctx, `UPDATE comm_items SET status = ?, reason = ?, followup_id = ?, customer_id = ?, contact_id = ?, user_id = ?
		WHERE tenant_id = ? AND id = ?`, c.Status, c.Reason, nullID(c.FollowUpID), nullID(c.CustomerID), nullID(c.ContactID), nullID(c.UserID),
		int64(c.TenantID), int64(c.ID))
	return err
}

// CommInbox lists unmatched items, newest first. userID 0 lists everyone's.
func CommInbox(ctx context.Context, q Queryer, tenantID, userID cohort.ID, limit int) ([]*cohort.CommItem, error) {
	w := Where{"tenant_id = ? AND status = 'unmatched'", []any{int64(tenantID)}}
	if userID != 0 {
		w = And(w, Where{"user_id = ?", []any{int64(userID)}})
	}
	rows, err := q.QueryContext(ctx, "SELECT "+commCols+" FROM comm_items WHERE "+w.SQL+" ORDER BY id DESC LIMIT ?", append(w.Args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*cohort.CommItem{}
	for rows.Next() {
		c := &cohort.CommItem{}
		if err := rows.Scan(commDest(c)...); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ContactsByAddress returns the contacts of a tenant with this normalised
// phone or email, with their customers' status.
func ContactsByAddress(ctx context.Context, q Queryer, tenantID cohort.ID, phone, email string) ([]*cohort.Contact, error) {
	var w Where
	switch {
	case phone != "":
		w = Where{"k.tenant_id = ? AND k.phone = ?", []any{int64(tenantID), phone}}
	case email != "":
		w = Where{"k.tenant_id = ? AND k.email = ?", []any{int64(tenantID), email}}
	default:
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, "SELECT "+contactCols+" FROM contacts k WHERE "+w.SQL+" LIMIT 10", w.Args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*cohort.Contact
	for rows.Next() {
		c := &cohort.Contact{}
		if err := rows.Scan(contactDest(c)...); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UserByContact finds an active user of a tenant by email or phone.
func UserByContact(ctx context.Context, q Queryer, tenantID cohort.ID, email, phone string) (*cohort.User, error) {
	var id cohort.ID
	var err error
	switch {
	case email != "":
		err = q.QueryRowContext(ctx, "SELECT id FROM users WHERE tenant_id = ? AND email = ? AND status = 'active'", int64(tenantID), email).Scan(idScanner{&id})
	case phone != "":
		err = q.QueryRowContext(ctx, "SELECT id FROM users WHERE tenant_id = ? AND phone = ? AND status = 'active' LIMIT 1", int64(tenantID), phone).Scan(idScanner{&id})
	default:
		return nil, notFound("user")
	}
	if err != nil {
		return nil, notFound("user")
	}
	return FindUser(ctx, q, tenantID, id)
}
