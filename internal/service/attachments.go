package service

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/files"
	"github.com/cohortcrm/cohort/internal/store"
)

// MaxAttachmentBytes caps one attachment.
const MaxAttachmentBytes = 50 << 20

// SetFiles wires the file store for attachments.
func (s *Service) SetFiles(f files.Store) { s.files = f }

// followUpOf returns a follow-up whose customer the caller may act on with
// act; anything else is not found.
func (s *Service) followUpOf(ctx context.Context, id cohort.ID, act cohort.Action) (*cohort.Principal, *cohort.FollowUp, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, nil, err
	}
	f, err := store.FindFollowUp(ctx, s.db.Read(), p.Tenant.ID, id)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.visibleRecord(ctx, cohort.ObjCustomer, f.CustomerID, act); err != nil {
		if p.User == nil || f.AuthorID != p.User.ID || act != cohort.ActView {
			return nil, nil, cohort.Errorf(cohort.ENOTFOUND, "follow-up not found")
		}
	}
	return p, f, nil
}

// AddAttachment stores a file on a follow-up the caller wrote or whose
// customer they may edit. The contents go to the file store first; the row
// is written only when the file is safely stored, and the file is removed
// again if the row cannot be written.
func (s *Service) AddAttachment(ctx context.Context, followUpID cohort.ID, name, contentType string, r io.Reader) (*store.Attachment, error) {
	if s.files == nil {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "attachments are not enabled")
	}
	p, f, err := s.followUpOf(ctx, followUpID, cohort.ActView)
	if err != nil {
		return nil, err
	}
	if p.User == nil || (f.AuthorID != p.User.ID && !s.canEditCustomer(ctx, f.CustomerID)) {
		return nil, cohort.Errorf(cohort.EFORBIDDEN, "only the author or an editor of the customer attaches files")
	}
	name = filepath.Base(strings.TrimSpace(strings.ReplaceAll(name, "\\", "/")))
	if name == "" || name == "." || name == "/" || !utf8.ValidString(name) || len([]rune(name)) > 200 {
		return nil, cohort.Errorf(cohort.EINVALID, "file: a file name of 1 to 200 characters is required")
	}
	key, size, err := s.files.Put(ctx, p.Tenant.ID.String()+"/followups", io.LimitReader(r, MaxAttachmentBytes+1))
	if err != nil {
		return nil, err
	}
	if size > MaxAttachmentBytes {
		_ = s.files.Delete(context.WithoutCancel(ctx), key)
		return nil, cohort.Errorf(cohort.ETOOLARGE, "an attachment is at most %d MiB", MaxAttachmentBytes>>20)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	a := &store.Attachment{RecordType: cohort.ObjFollowUp, RecordID: f.ID, Name: name, ContentType: contentType, Size: size, StorageKey: key, UploadedBy: p.User.ID}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.InsertAttachment(ctx, tx, p.Tenant.ID, a, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "attach", cohort.ObjFollowUp, f.ID, diff(nil, map[string]any{"attachment": a.Name}))
	})
	if err != nil {
		_ = s.files.Delete(context.WithoutCancel(ctx), key)
		return nil, err
	}
	return a, nil
}

func (s *Service) canEditCustomer(ctx context.Context, id cohort.ID) bool {
	_, err := s.visibleRecord(ctx, cohort.ObjCustomer, id, cohort.ActEdit)
	return err == nil
}

// Attachments lists a visible follow-up's files.
func (s *Service) Attachments(ctx context.Context, followUpID cohort.ID) ([]*store.Attachment, error) {
	p, f, err := s.followUpOf(ctx, followUpID, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.ListAttachments(ctx, s.db.Read(), p.Tenant.ID, cohort.ObjFollowUp, f.ID)
}

// OpenAttachment returns a file whose follow-up the caller may see.
func (s *Service) OpenAttachment(ctx context.Context, id cohort.ID) (*store.Attachment, io.ReadCloser, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, nil, err
	}
	if s.files == nil {
		return nil, nil, cohort.Errorf(cohort.ENOTFOUND, "attachment not found")
	}
	a, err := store.FindAttachment(ctx, s.db.Read(), p.Tenant.ID, id)
	if err != nil {
		return nil, nil, err
	}
	if _, _, err := s.followUpOf(ctx, a.RecordID, cohort.ActView); err != nil {
		return nil, nil, cohort.Errorf(cohort.ENOTFOUND, "attachment not found")
	}
	rc, err := s.files.Open(ctx, a.StorageKey)
	if err != nil {
		return nil, nil, cohort.Errorf(cohort.ENOTFOUND, "the attachment's file is missing")
	}
	return a, rc, nil
}

// DeleteAttachment removes a file (its uploader or an editor of the customer).
func (s *Service) DeleteAttachment(ctx context.Context, id cohort.ID) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if s.files == nil {
		return cohort.Errorf(cohort.ENOTFOUND, "attachment not found")
	}
	a, err := store.FindAttachment(ctx, s.db.Read(), p.Tenant.ID, id)
	if err != nil {
		return err
	}
	_, f, err := s.followUpOf(ctx, a.RecordID, cohort.ActView)
	if err != nil {
		return cohort.Errorf(cohort.ENOTFOUND, "attachment not found")
	}
	if p.User == nil || (a.UploadedBy != p.User.ID && !s.canEditCustomer(ctx, f.CustomerID)) {
		return cohort.Errorf(cohort.EFORBIDDEN, "only the uploader or an editor of the customer deletes files")
	}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.DeleteAttachment(ctx, tx, p.Tenant.ID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, "detach", cohort.ObjFollowUp, f.ID, diff(map[string]any{"attachment": a.Name}, nil))
	})
	if err == nil {
		// The row is gone; a failed file removal leaves an orphan, not a
		// broken reference.
		_ = s.files.Delete(context.WithoutCancel(ctx), a.StorageKey)
	}
	return err
}
