package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cohortcrm/cohort"
)

// Attachment is a stored file's metadata.
type Attachment struct {
	ID          cohort.ID         `json:"id"`
	RecordType  cohort.ObjectType `json:"record_type"`
	RecordID    cohort.ID         `json:"record_id"`
	Name        string            `json:"name"`
	ContentType string            `json:"content_type"`
	Size        int64             `json:"size"`
	StorageKey  string            `json:"-"`
	UploadedBy  cohort.ID         `json:"uploaded_by"`
	CreatedAt   time.Time         `json:"created_at"`
}

const attachmentCols = "id, record_type, record_id, name, content_type, size, storage_key, uploaded_by, created_at"

func attachmentDest(a *Attachment) []any {
	return []any{idScanner{&a.ID}, (*string)(&a.RecordType), idScanner{&a.RecordID}, &a.Name, &a.ContentType, &a.Size, &a.StorageKey,
		idScanner{&a.UploadedBy}, msScanner{&a.CreatedAt}}
}

// InsertAttachment records a stored file.
func InsertAttachment(ctx context.Context, tx *Tx, tenantID cohort.ID, a *Attachment, now time.Time) error {
	a.ID, a.CreatedAt = cohort.ID(tx.db.NewID()), now
	_, err := tx.ExecContext(ctx, "INSERT INTO attachments (tenant_id, "+attachmentCols+") VALUES (?,?,?,?,?,?,?,?,?,?)", int64(tenantID),
		int64(a.ID), string(a.RecordType), int64(a.RecordID), a.Name, a.ContentType, a.Size, a.StorageKey, int64(a.UploadedBy), ms(now))
	return err
}

// FindAttachment returns one attachment's metadata.
func FindAttachment(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*Attachment, error) {
	a := &Attachment{}
	err := q.QueryRowContext(ctx, "SELECT "+attachmentCols+" FROM attachments WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)).Scan(attachmentDest(a)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("attachment")
	}
	return a, err
}

// ListAttachments returns a record's attachments, oldest first.
func ListAttachments(ctx context.Context, q Queryer, tenantID cohort.ID, obj cohort.ObjectType, id cohort.ID) ([]*Attachment, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+attachmentCols+" FROM attachments WHERE tenant_id = ? AND record_type = ? AND record_id = ? ORDER BY id",
		int64(tenantID), string(obj), int64(id))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Attachment{}
	for rows.Next() {
		a := &Attachment{}
		if err := rows.Scan(attachmentDest(a)...); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// DeleteAttachment removes an attachment's row.
func DeleteAttachment(ctx context.Context, tx *Tx, tenantID, id cohort.ID) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM attachments WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id))
	return err
}

// FindFollowUp returns one follow-up.
func FindFollowUp(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.FollowUp, error) {
	f := &cohort.FollowUp{}
	err := q.QueryRowContext(ctx, "SELECT "+followUpCols+followUpFrom+" WHERE f.tenant_id = ? AND f.id = ?", int64(tenantID), int64(id)).Scan(followUpDest(f)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("follow-up")
	}
	return f, err
}
