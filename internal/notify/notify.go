// Package notify is the in-app inbox. Services call Notify inside their
// transaction; that writes an outbox message (topic "notification"), and the
// outbox deliverer, after commit, stores the notification and publishes it to
// the Hub, from which the user's open event streams (ServeSSE) receive it.
// A rolled-back transaction therefore notifies nobody, and a crash after
// commit delays a notification but never loses it.
//
// Every read and write is scoped by tenant and user: a user sees and marks
// only their own notifications, and another user's notification id is
// ENOTFOUND. Titles and bodies are rendered from kind and params in the
// reader's locale at read time (see Render), so a user who switches language
// sees the whole inbox in the new one.
package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/jobs"
	"github.com/cohortcrm/cohort/internal/outbox"
	"github.com/cohortcrm/cohort/internal/store"
)

// Topic is the outbox topic that feeds the inbox.
const Topic = "notification"

// Options tune a Service. Zero fields take the defaults in brackets.
type Options struct {
	Clock cohort.Clock // [cohort.SystemClock]
	Log   *slog.Logger // [slog.Default()]
	// Hub receives delivered notifications. [NewHub(16)]
	Hub *Hub
	// Heartbeat is the interval of the comment lines that keep an idle event
	// stream open through proxies. [25s]
	Heartbeat time.Duration
}

// Service reads and writes the inbox and serves the event stream.
type Service struct {
	db        *store.DB
	outbox    *outbox.Outbox
	hub       *Hub
	clock     cohort.Clock
	log       *slog.Logger
	heartbeat time.Duration
	// origin marks this service's fan-out announcements, so that it skips
	// its own (already published locally) when they come back.
	origin string
	facts  factsAnnouncer
}

// New returns a Service on db and registers its delivery handler for Topic
// on ob, whose Run (or DeliverOnce) then fills the inbox.
func New(db *store.DB, ob *outbox.Outbox, opt Options) *Service {
	if opt.Clock == nil {
		opt.Clock = cohort.SystemClock{}
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Hub == nil {
		opt.Hub = NewHub(0)
	}
	if opt.Heartbeat <= 0 {
		opt.Heartbeat = 25 * time.Second
	}
	s := &Service{db: db, outbox: ob, hub: opt.Hub, clock: opt.Clock,
		log: opt.Log.With("component", "notify"), heartbeat: opt.Heartbeat, origin: jobs.OwnerName()}
	ob.Handle(Topic, s.deliver)
	return s
}

// Hub returns the hub that live streams subscribe to.
func (s *Service) Hub() *Hub { return s.hub }

// payload is the outbox message of Topic.
type payload struct {
	TenantID cohort.ID       `json:"tenant_id"`
	UserID   cohort.ID       `json:"user_id"`
	Kind     string          `json:"kind"`
	Params   json.RawMessage `json:"params"`
	Link     string          `json:"link"`
}

// Notify queues a notification of kind for user userID, in the caller's
// transaction tx: it appears in the inbox (and on the user's live streams)
// shortly after tx commits, and never if tx rolls back. params (a JSON object,
// or nil) fill the kind's text; link is the in-app path it opens. It returns
// the ID the notification will have.
//
// Errors: EINVALID when tenant, user or kind is missing or params is not an
// object.
func (s *Service) Notify(ctx context.Context, tx *store.Tx, tenantID, userID cohort.ID, kind string, params any, link string) (cohort.ID, error) {
	var v cohort.Validation
	if tenantID == 0 {
		v.Add("tenant_id", "is required")
	}
	if userID == 0 {
		v.Add("user_id", "is required")
	}
	if kind == "" {
		v.Add("kind", "is required")
	}
	raw := json.RawMessage("{}")
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return 0, fmt.Errorf("notify: params: %w", err)
		}
		if len(b) == 0 || b[0] != '{' {
			v.Add("params", "must be a JSON object")
		} else {
			raw = b
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	id, err := s.outbox.Add(ctx, tx, tenantID, Topic, payload{tenantID, userID, kind, raw, link})
	if err != nil {
		return 0, fmt.Errorf("notify: %w", err)
	}
	return id, nil
}

// deliver stores the notification of one outbox message and, once stored,
// publishes it. The notification takes the message's ID, so a repeated
// delivery inserts nothing and publishes nothing.
func (s *Service) deliver(ctx context.Context, m outbox.Message) error {
	var p payload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return jobs.Permanent(fmt.Errorf("notification payload: %w", err))
	}
	if p.TenantID != m.TenantID || p.UserID == 0 {
		return jobs.Permanent(fmt.Errorf("notification payload for tenant %d user %d in a message of tenant %d",
			p.TenantID, p.UserID, m.TenantID))
	}
	if len(p.Params) == 0 {
		p.Params = json.RawMessage("{}")
	}
	n := cohort.Notification{ID: m.ID, TenantID: p.TenantID, UserID: p.UserID, Kind: p.Kind,
		Params: p.Params, Link: p.Link, CreatedAt: m.CreatedAt}
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO notifications (tenant_id, id, user_id, kind, params, link, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			n.TenantID, n.ID, n.UserID, n.Kind, string(n.Params), n.Link, n.CreatedAt.UnixMilli())
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			return nil // delivered before
		}
		tx.AfterCommit(func() { s.hub.Publish(n) })
		// Other servers' hubs learn of it at commit (PostgreSQL only).
		return tx.Notify(ctx, fanoutChannel, fmt.Sprintf("%s %d %d %d", s.origin, n.TenantID, n.UserID, n.ID))
	})
	if err != nil {
		return fmt.Errorf("store notification: %w", err)
	}
	return nil
}

// List returns user userID's notifications, newest first, rendered in
// locale: at most limit (default cohort.DefaultLimit, at most
// cohort.MaxLimit), only unread ones when unreadOnly. cursor is "" for the
// first page or the nextCursor of the previous page; nextCursor is "" on the
// last page. Paging is by id, so it is stable when notifications arrive.
//
// Errors: EBADREQUEST for a malformed cursor.
func (s *Service) List(ctx context.Context, tenantID, userID cohort.ID, unreadOnly bool, cursor string, limit int, locale string) ([]cohort.Notification, string, error) {
	if limit <= 0 {
		limit = cohort.DefaultLimit
	}
	limit = min(limit, cohort.MaxLimit)
	q := `SELECT id, kind, params, link, read_at, created_at FROM notifications WHERE tenant_id = ? AND user_id = ?`
	args := []any{tenantID, userID}
	if unreadOnly {
		q += ` AND read_at IS NULL`
	}
	if cursor != "" {
		before, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || before <= 0 {
			return nil, "", cohort.Errorf(cohort.EBADREQUEST, "invalid cursor %q", cursor)
		}
		q += ` AND id < ?`
		args = append(args, before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit+1) // one more tells whether there is a next page
	out, err := s.query(ctx, tenantID, userID, locale, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list notifications: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID.String()
	}
	return out, next, nil
}

// since returns up to 100 of the user's notifications with ids above after,
// oldest first: what an event stream missed while disconnected.
func (s *Service) since(ctx context.Context, tenantID, userID, after cohort.ID, locale string) ([]cohort.Notification, error) {
	return s.query(ctx, tenantID, userID, locale, `SELECT id, kind, params, link, read_at, created_at
		FROM notifications WHERE tenant_id = ? AND user_id = ? AND id > ? ORDER BY id LIMIT 100`,
		tenantID, userID, after)
}

func (s *Service) query(ctx context.Context, tenantID, userID cohort.ID, locale, q string, args ...any) ([]cohort.Notification, error) {
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []cohort.Notification{}
	for rows.Next() {
		n := cohort.Notification{TenantID: tenantID, UserID: userID}
		var params []byte
		var readAt sql.NullInt64
		var created int64
		if err := rows.Scan(&n.ID, &n.Kind, &params, &n.Link, &readAt, &created); err != nil {
			return nil, err
		}
		n.Params = params
		n.CreatedAt = time.UnixMilli(created).UTC()
		if readAt.Valid {
			t := time.UnixMilli(readAt.Int64).UTC()
			n.ReadAt = &t
		}
		n.Title, n.Body = Render(n.Kind, n.Params, locale)
		out = append(out, n)
	}
	return out, rows.Err()
}

// UnreadCount returns how many of user userID's notifications are unread.
func (s *Service) UnreadCount(ctx context.Context, tenantID, userID cohort.ID) (int, error) {
	var n int
	err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM notifications
		WHERE tenant_id = ? AND user_id = ? AND read_at IS NULL`, tenantID, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return n, nil
}

// MarkRead marks notification id of user userID read. Marking a read
// notification again changes nothing.
//
// Errors: ENOTFOUND when the user has no notification id (including one that
// belongs to somebody else).
func (s *Service) MarkRead(ctx context.Context, tenantID, userID, id cohort.ID) error {
	now := s.clock.Now().UnixMilli()
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = ?
			WHERE tenant_id = ? AND user_id = ? AND id = ? AND read_at IS NULL`, now, tenantID, userID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM notifications WHERE tenant_id = ? AND user_id = ? AND id = ?`,
			tenantID, userID, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return cohort.Errorf(cohort.ENOTFOUND, "notification %s not found", id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("mark notification read: %w", err)
	}
	return nil
}

// MarkAllRead marks every unread notification of user userID read and
// returns how many it marked.
func (s *Service) MarkAllRead(ctx context.Context, tenantID, userID cohort.ID) (int, error) {
	now := s.clock.Now().UnixMilli()
	var n int64
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = ?
			WHERE tenant_id = ? AND user_id = ? AND read_at IS NULL`, now, tenantID, userID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mark all notifications read: %w", err)
	}
	return int(n), nil
}
