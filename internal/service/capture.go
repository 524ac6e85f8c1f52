package service

import (
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// CaptureInput is one item of a capture batch: a call record, an SMS, or an
// email (given as fields, or raw as an RFC 5322 message / .eml).
type CaptureInput struct {
	Kind       string `json:"kind"`
	Source     string `json:"source"`
	ExternalID string `json:"external_id"`
	Direction  string `json:"direction"`
	From       string `json:"from"`
	To         string `json:"to"`
	// The salesperson's side: an id, or their email or phone.
	UserID       cohort.ID  `json:"user_id"`
	UserEmail    string     `json:"user_email"`
	UserPhone    string     `json:"user_phone"`
	StartedAt    *time.Time `json:"started_at"`
	DurationS    int        `json:"duration_s"`
	Subject      string     `json:"subject"`
	Body         string     `json:"body"`
	RecordingURL string     `json:"recording_url"`
	Raw          string     `json:"raw"`
}

// CaptureResult says what became of one item.
type CaptureResult struct {
	ExternalID string    `json:"external_id"`
	Status     string    `json:"status"` // matched, unmatched, duplicate, invalid
	Reason     string    `json:"reason,omitempty"`
	ItemID     cohort.ID `json:"item_id,omitempty"`
	FollowUpID cohort.ID `json:"followup_id,omitempty"`
}

// MaxCaptureBatch is the most items one batch may carry.
const MaxCaptureBatch = 1000

// Capture ingests a batch of communication records. Each item is settled in
// its own transaction: matched to exactly one customer through a contact's
// normalised phone or email it becomes a follow-up of that customer by the
// salesperson named; otherwise it waits in the inbox with the reason. An
// item already received (same source and external id) is reported as a
// duplicate and changes nothing; an invalid item is reported and not kept.
func (s *Service) Capture(ctx context.Context, items []CaptureInput) ([]CaptureResult, error) {
	p, err := require(ctx, cohort.ObjFollowUp, cohort.ActImport)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 || len(items) > MaxCaptureBatch {
		return nil, cohort.Errorf(cohort.EINVALID, "items: a batch carries 1 to %d items", MaxCaptureBatch)
	}
	out := make([]CaptureResult, len(items))
	for i, in := range items {
		out[i] = s.captureOne(ctx, p, in)
	}
	return out, nil
}

func (s *Service) captureOne(ctx context.Context, p *cohort.Principal, in CaptureInput) CaptureResult {
	res := CaptureResult{ExternalID: in.ExternalID}
	item, err := captureItem(in, s.now())
	if err != nil {
		res.Status, res.Reason = "invalid", cohort.ErrorMessage(err)
		return res
	}
	item.TenantID = p.Tenant.ID
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if prior, err := store.FindCommByExternal(ctx, tx, p.Tenant.ID, item.Source, item.ExternalID); err != nil {
			return err
		} else if prior != nil {
			res.Status, res.ItemID, res.FollowUpID = "duplicate", prior.ID, prior.FollowUpID
			return nil
		}
		s.matchItem(ctx, tx, item, in)
		if err := store.InsertComm(ctx, tx, item, s.now()); err != nil {
			return err
		}
		if item.Status == cohort.CommMatched {
			if err := s.followUpFromItem(ctx, tx, item); err != nil {
				return err
			}
			if err := store.SetCommStatus(ctx, tx, item); err != nil {
				return err
			}
		}
		res.Status, res.Reason, res.ItemID, res.FollowUpID = item.Status, item.Reason, item.ID, item.FollowUpID
		return nil
	})
	if err != nil {
		res.Status, res.Reason = "invalid", cohort.ErrorMessage(err)
	}
	return res
}

// captureItem validates an input and turns it into an item, parsing raw
// emails.
func captureItem(in CaptureInput, now time.Time) (*cohort.CommItem, error) {
	var v cohort.Validation
	c := &cohort.CommItem{Kind: in.Kind, Source: strings.TrimSpace(in.Source), ExternalID: strings.TrimSpace(in.ExternalID), Direction: in.Direction,
		From: in.From, To: in.To, UserID: in.UserID, DurationS: in.DurationS, Subject: in.Subject, Body: in.Body, RecordingURL: in.RecordingURL}
	if in.StartedAt != nil {
		c.StartedAt = in.StartedAt.UTC()
	}
	if c.Kind == cohort.CommEmail && in.Raw != "" {
		if err := parseEmail(c, in.Raw); err != nil {
			v.Add("raw", "%s", err.Error())
		}
	}
	if c.Kind != cohort.CommCall && c.Kind != cohort.CommSMS && c.Kind != cohort.CommEmail {
		v.Add("kind", "must be call, sms or email")
	}
	if c.Source == "" {
		c.Source = "api"
	}
	if c.ExternalID == "" || len(c.ExternalID) > 200 {
		v.Add("external_id", "is required (at most 200 characters) so that a resent item is not taken twice")
	}
	if c.Direction != "inbound" && c.Direction != "outbound" {
		v.Add("direction", "must be inbound or outbound")
	}
	if c.StartedAt.IsZero() {
		v.Add("started_at", "is required")
	} else if c.StartedAt.After(now.Add(5 * time.Minute)) {
		v.Add("started_at", "must not be in the future")
	}
	if c.DurationS < 0 || c.DurationS > 24*3600 {
		v.Add("duration_s", "must be 0 to 86400")
	}
	if len(c.Body) > 100000 {
		c.Body = c.Body[:100000]
	}
	return c, v.Err()
}

// parseEmail fills an item from a raw RFC 5322 message: addresses, subject,
// date and the first text/plain part of the body.
func parseEmail(c *cohort.CommItem, raw string) error {
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return fmt.Errorf("not an RFC 5322 message: %w", err)
	}
	dec := &mime.WordDecoder{CharsetReader: charsetReader}
	h := msg.Header
	if a, err := mail.ParseAddress(h.Get("From")); err == nil && c.From == "" {
		c.From = a.Address
	}
	if as, err := mail.ParseAddressList(h.Get("To")); err == nil && len(as) > 0 && c.To == "" {
		c.To = as[0].Address
	}
	if subj, err := dec.DecodeHeader(h.Get("Subject")); err == nil && c.Subject == "" {
		c.Subject = subj
	}
	if d, err := h.Date(); err == nil && c.StartedAt.IsZero() {
		c.StartedAt = d.UTC()
	}
	if c.ExternalID == "" {
		c.ExternalID = strings.Trim(h.Get("Message-Id"), "<> ")
	}
	body, err := textBody(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	if err != nil {
		return err
	}
	if c.Body == "" {
		c.Body = body
	}
	return nil
}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "gb2312", "gbk", "gb18030":
		return simplifiedchinese.GB18030.NewDecoder().Reader(r), nil
	case "utf-8", "us-ascii", "":
		return r, nil
	}
	return nil, fmt.Errorf("unsupported charset %q", charset)
}

// textBody returns the first text/plain part of a body, decoded.
func textBody(contentType, encoding string, r io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return "", nil
			}
			if err != nil {
				return "", fmt.Errorf("multipart body: %w", err)
			}
			text, err := textBody(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part)
			if err != nil || text != "" {
				return text, err
			}
		}
	}
	if mt != "text/plain" {
		return "", nil
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = newQP(r)
	case "base64":
		r = newB64(r)
	}
	if cs := params["charset"]; cs != "" {
		if r2, err := charsetReader(cs, r); err == nil {
			r = r2
		}
	}
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return "", fmt.Errorf("body: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// matchItem finds the salesperson and the one customer an item belongs to,
// and sets its status and reason.
func (s *Service) matchItem(ctx context.Context, q store.Queryer, c *cohort.CommItem, in CaptureInput) {
	c.Status = cohort.CommUnmatched
	// The salesperson.
	if c.UserID != 0 {
		if u, err := store.FindUser(ctx, q, c.TenantID, c.UserID); err != nil || u.Status != cohort.UserActive {
			c.UserID = 0
		}
	}
	if c.UserID == 0 {
		email, _ := cohort.NormalizeEmail(in.UserEmail)
		phone, _ := cohort.NormalizePhone(in.UserPhone)
		if email == "" && c.Kind == cohort.CommEmail {
			own := c.From
			if c.Direction == "inbound" {
				own = c.To
			}
			email, _ = cohort.NormalizeEmail(own)
		}
		if u, err := store.UserByContact(ctx, q, c.TenantID, email, phone); err == nil {
			c.UserID = u.ID
		}
	}
	// The customer's side.
	other := c.To
	if c.Direction == "inbound" {
		other = c.From
	}
	var phone, email string
	if c.Kind == cohort.CommEmail {
		email, _ = cohort.NormalizeEmail(other)
	} else {
		phone, _ = cohort.NormalizePhone(other)
	}
	contacts, err := store.ContactsByAddress(ctx, q, c.TenantID, phone, email)
	switch {
	case err != nil || len(contacts) == 0:
		c.Reason = "no contact has " + other
		return
	case distinctCustomers(contacts) > 1:
		c.Reason = "several customers have a contact with " + other
		return
	}
	c.CustomerID, c.ContactID = contacts[0].CustomerID, contacts[0].ID
	if len(contacts) > 1 {
		c.ContactID = 0
	}
	if c.UserID == 0 {
		c.Reason = "the salesperson is not known"
		return
	}
	c.Status = cohort.CommMatched
}

func distinctCustomers(cs []*cohort.Contact) int {
	seen := map[cohort.ID]bool{}
	for _, c := range cs {
		seen[c.CustomerID] = true
	}
	return len(seen)
}

// followUpFromItem records a matched item as a follow-up of its customer.
func (s *Service) followUpFromItem(ctx context.Context, tx *store.Tx, c *cohort.CommItem) error {
	u, err := store.FindUser(ctx, tx, c.TenantID, c.UserID)
	if err != nil {
		return err
	}
	content := c.Body
	if c.Subject != "" {
		content = c.Subject + "\n\n" + content
	}
	if c.RecordingURL != "" {
		content = strings.TrimSpace(content + "\n" + c.RecordingURL)
	}
	f := &cohort.FollowUp{TenantID: c.TenantID, CustomerID: c.CustomerID, ContactID: c.ContactID, Type: c.Kind, Direction: c.Direction,
		OccurredAt: c.StartedAt, DurationS: c.DurationS, Content: content, AuthorID: u.ID, DepartmentID: u.DepartmentID}
	if err := store.InsertFollowUp(ctx, tx, f, s.now()); err != nil {
		return err
	}
	c.FollowUpID, c.Status, c.Reason = f.ID, cohort.CommMatched, ""
	s.project(ctx, tx, cohort.ObjCustomer, f.CustomerID) // its first-signing figures count follow-ups
	return s.audit(ctx, tx, "capture", cohort.ObjFollowUp, f.ID, nil)
}

// CaptureInbox lists the unmatched items: the caller's own, or everyone's for
// those who may import follow-ups.
func (s *Service) CaptureInbox(ctx context.Context) ([]*cohort.CommItem, error) {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	uid := p.User.ID
	if p.Permissions.Can(cohort.ObjFollowUp, cohort.ActImport) {
		uid = 0
	}
	return store.CommInbox(ctx, s.db.Read(), p.Tenant.ID, uid, cohort.MaxLimit)
}

// LinkCaptured settles an inbox item by hand: it becomes a follow-up of a
// customer the caller may see, by the item's salesperson (or the caller).
func (s *Service) LinkCaptured(ctx context.Context, id, customerID, contactID cohort.ID) (*cohort.CommItem, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActView, "c")
	if err != nil {
		return nil, err
	}
	var out *cohort.CommItem
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		c, err := s.inboxItem(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if _, err := store.FindCustomer(ctx, tx, p.Tenant.ID, customerID, scope); err != nil {
			return err
		}
		if contactID != 0 {
			if k, err := store.FindContact(ctx, tx, p.Tenant.ID, contactID); err != nil || k.CustomerID != customerID {
				return cohort.Errorf(cohort.EINVALID, "contact_id: not a contact of this customer")
			}
		}
		c.CustomerID, c.ContactID = customerID, contactID
		if c.UserID == 0 {
			c.UserID = p.User.ID
		}
		if err := s.followUpFromItem(ctx, tx, c); err != nil {
			return err
		}
		out = c
		return store.SetCommStatus(ctx, tx, c)
	})
	return out, err
}

// DismissCaptured drops an inbox item that belongs to no customer.
func (s *Service) DismissCaptured(ctx context.Context, id cohort.ID) error {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		c, err := s.inboxItem(ctx, tx, p, id)
		if err != nil {
			return err
		}
		c.Status = cohort.CommDismissed
		return store.SetCommStatus(ctx, tx, c)
	})
}

// inboxItem returns an unmatched item the caller may settle.
func (s *Service) inboxItem(ctx context.Context, q store.Queryer, p *cohort.Principal, id cohort.ID) (*cohort.CommItem, error) {
	c, err := store.FindComm(ctx, q, p.Tenant.ID, id)
	if err != nil {
		return nil, err
	}
	if c.UserID != p.User.ID && !p.Permissions.Can(cohort.ObjFollowUp, cohort.ActImport) {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "captured item not found")
	}
	if c.Status != cohort.CommUnmatched {
		return nil, cohort.Errorf(cohort.ECONFLICT, "the item is %s already", c.Status)
	}
	return c, nil
}
