// Package outbox carries side effects (notifications, webhooks, e-mail) from
// a transaction to the outside world. A message is written to the outbox
// table in the same transaction as the change that causes it, so it exists
// exactly when the change commits: nothing is sent for a rolled-back
// transaction, and nothing is lost when the process dies after the commit,
// because the rows stay until some deliverer has handed them to their
// handler.
//
// Delivery runs after commit, claims messages with database leases (so two
// servers do not deliver the same message at once), retries failures with
// exponential backoff and is at least once: a deliverer that dies between the
// handler's success and recording it leaves the message to be delivered
// again. Handlers must be idempotent; the message ID is a natural key.
package outbox

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/jobs"
	"github.com/cohortcrm/cohort/internal/store"
)

// Message is one outbox row as a handler sees it.
type Message struct {
	ID       cohort.ID
	TenantID cohort.ID
	Topic    string
	Payload  json.RawMessage
	// CreatedAt is when the transaction that wrote the message ran.
	CreatedAt time.Time
	// Attempt counts deliveries including this one: 1 the first time.
	Attempt int
}

// Handler delivers one message. A nil error marks it delivered; an error
// schedules a retry, or gives up at once when wrapped with jobs.Permanent.
// ctx carries a deadline of half the lease.
type Handler func(ctx context.Context, m Message) error

// Config tunes an Outbox. Zero fields take the defaults in brackets.
type Config struct {
	Clock cohort.Clock // [cohort.SystemClock]
	Log   *slog.Logger // [slog.Default()]
	// Owner names this deliverer in lease_owner. [jobs.OwnerName()]
	Owner string
	// PollInterval is how often the table is checked when nothing woke the
	// deliverer. [1s]
	PollInterval time.Duration
	// Lease bounds one delivery; handlers get half of it. [1m]
	Lease time.Duration
	// Batch is how many messages one claim takes. [32]
	Batch int
	// Concurrency caps the handlers running at once. [4]
	Concurrency int
	// MaxAttempts before a message is marked failed. [20]
	MaxAttempts int
	// BackoffBase and BackoffMax shape the retry delay. [1s, 1h]
	BackoffBase time.Duration
	BackoffMax  time.Duration
}

func (c *Config) defaults() {
	if c.Clock == nil {
		c.Clock = cohort.SystemClock{}
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Owner == "" {
		c.Owner = jobs.OwnerName()
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.Lease <= 0 {
		c.Lease = time.Minute
	}
	if c.Batch <= 0 {
		c.Batch = 32
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 20
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = time.Hour
	}
}

// Outbox writes messages and delivers them to the handler of their topic.
// Register handlers before calling Run.
type Outbox struct {
	db   *store.DB
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	handlers map[string]Handler
}

// New returns an Outbox on db.
func New(db *store.DB, cfg Config) *Outbox {
	cfg.defaults()
	return &Outbox{
		db:       db,
		cfg:      cfg,
		log:      cfg.Log.With("component", "outbox", "owner", cfg.Owner),
		wake:     make(chan struct{}, 1),
		handlers: map[string]Handler{},
	}
}

// Handle sets the handler for messages of topic.
func (o *Outbox) Handle(topic string, h Handler) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.handlers[topic] = h
}

func (o *Outbox) handler(topic string) Handler {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.handlers[topic]
}

// Wake makes a running Run deliver now rather than at its next poll.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Add writes a message for tenantID on topic, with payload marshalled with
// encoding/json, in the caller's transaction. Once the transaction commits,
// this process's Run is woken to deliver it at once.
func (o *Outbox) Add(ctx context.Context, tx *store.Tx, tenantID cohort.ID, topic string, payload any) (cohort.ID, error) {
	if tenantID == 0 || topic == "" {
		return 0, fmt.Errorf("outbox add: tenant and topic are required")
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("outbox add %s: payload: %w", topic, err)
	}
	now := ms(o.cfg.Clock.Now())
	id := tx.DB().NewID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (tenant_id, id, topic, payload, created_at, attempts, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, 0, ?)`, tenantID, id, topic, string(body), now, now); err != nil {
		return 0, fmt.Errorf("outbox add %s: %w", topic, err)
	}
	tx.AfterCommit(o.Wake)
	return cohort.ID(id), nil
}

// Run delivers messages until ctx is done, then finishes the batch in hand
// and returns nil. Database errors are logged and retried at the next poll.
func (o *Outbox) Run(ctx context.Context) error {
	t := time.NewTicker(o.cfg.PollInterval)
	defer t.Stop()
	o.log.Info("outbox deliverer started")
	for ctx.Err() == nil {
		n, err := o.DeliverOnce(ctx)
		if err != nil && ctx.Err() == nil {
			o.log.Error("deliver outbox", "err", err)
		}
		if n == o.cfg.Batch {
			continue // a full batch: there may be more waiting
		}
		select {
		case <-ctx.Done():
		case <-o.wake:
		case <-t.C:
		}
	}
	o.log.Info("outbox deliverer stopped")
	return nil
}

// DeliverOnce claims one batch of due messages, delivers them and records
// the outcomes. It returns how many it claimed.
func (o *Outbox) DeliverOnce(ctx context.Context) (int, error) {
	now := ms(o.cfg.Clock.Now())
	var one int
	err := o.db.Read().QueryRowContext(ctx, `SELECT 1 FROM outbox
		WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? LIMIT 1`, now).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look for due messages: %w", err)
	}
	msgs, err := o.claim(ctx)
	if err != nil {
		return 0, err
	}
	// Deliveries finish even when ctx ends meanwhile, so that a stop does not
	// turn work already done into a retry.
	dctx := context.WithoutCancel(ctx)
	sem := make(chan struct{}, o.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, m := range msgs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			o.deliver(dctx, m)
		}()
	}
	wg.Wait()
	return len(msgs), nil
}

// claim leases up to Batch due messages. The claim moves next_attempt_at to
// the lease's end, so a message whose deliverer died becomes due again by
// itself once the lease has run out, and "due" is one indexed condition.
// Concurrency between deliverers works as for jobs: FOR UPDATE SKIP LOCKED
// on PostgreSQL, the single write lock on SQLite.
func (o *Outbox) claim(ctx context.Context) ([]Message, error) {
	now := o.cfg.Clock.Now()
	until := ms(now.Add(o.cfg.Lease))
	var msgs []Message
	err := o.db.WriteTx(ctx, func(tx *store.Tx) error {
		const cols = "outbox.tenant_id, outbox.id, outbox.topic, outbox.payload, outbox.created_at, outbox.attempts"
		const due = `delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id LIMIT ?`
		var q string
		var args []any
		if o.db.Engine == store.Postgres {
			q = `WITH due AS (SELECT tenant_id, id FROM outbox WHERE ` + due + ` FOR UPDATE SKIP LOCKED)
			UPDATE outbox SET lease_owner = ?, lease_until = ?, next_attempt_at = ?, attempts = outbox.attempts + 1
			FROM due WHERE outbox.tenant_id = due.tenant_id AND outbox.id = due.id
			RETURNING ` + cols
			args = []any{ms(now), o.cfg.Batch, o.cfg.Owner, until, until}
		} else {
			q = `UPDATE outbox SET lease_owner = ?, lease_until = ?, next_attempt_at = ?, attempts = attempts + 1
			WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM outbox WHERE ` + due + `)
			RETURNING ` + cols
			args = []any{o.cfg.Owner, until, until, ms(now), o.cfg.Batch}
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Message
			var payload []byte
			var created int64
			if err := rows.Scan(&m.TenantID, &m.ID, &m.Topic, &payload, &created, &m.Attempt); err != nil {
				return err
			}
			m.Payload, m.CreatedAt = payload, time.UnixMilli(created).UTC()
			msgs = append(msgs, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox messages: %w", err)
	}
	// IDs are time-ordered: deliver oldest first.
	slices.SortFunc(msgs, func(a, b Message) int { return cmp.Compare(a.ID, b.ID) })
	return msgs, nil
}

// deliver hands m to its handler and records the outcome, fenced by lease
// owner and attempt so that a deliverer whose lease ran out cannot overwrite
// the outcome of the one that took over.
func (o *Outbox) deliver(ctx context.Context, m Message) {
	log := o.log.With("message_id", m.ID, "tenant_id", m.TenantID, "topic", m.Topic, "attempt", m.Attempt)
	var err error
	if m.Attempt > o.cfg.MaxAttempts {
		err = jobs.Permanent(errors.New("lease expired during the last attempt"))
	} else if h := o.handler(m.Topic); h == nil {
		// Retried: during a rolling upgrade another server may know the topic.
		err = fmt.Errorf("no handler registered for topic %q", m.Topic)
	} else {
		hctx, cancel := context.WithTimeout(ctx, o.cfg.Lease/2)
		err = call(hctx, h, m)
		cancel()
	}

	now := o.cfg.Clock.Now()
	const fence = " WHERE tenant_id = ? AND id = ? AND lease_owner = ? AND attempts = ?"
	var q string
	var args []any
	switch {
	case err == nil:
		q = `UPDATE outbox SET delivered_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ''` + fence
		args = []any{ms(now)}
	case jobs.IsPermanent(err) || m.Attempt >= o.cfg.MaxAttempts:
		q = `UPDATE outbox SET failed_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ?` + fence
		args = []any{ms(now), truncate(err.Error())}
		log.Error("outbox message failed for good", "err", err)
	default:
		next := now.Add(jobs.Backoff(m.Attempt, o.cfg.BackoffBase, o.cfg.BackoffMax))
		q = `UPDATE outbox SET next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ?` + fence
		args = []any{ms(next), truncate(err.Error())}
		log.Warn("outbox delivery failed; will retry", "err", err, "retry_at", next)
	}
	args = append(args, m.TenantID, m.ID, o.cfg.Owner, m.Attempt)
	var n int64
	werr := o.db.WriteTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	switch {
	case werr != nil:
		// The lease will run out and the message be delivered again.
		log.Error("record outbox outcome", "err", werr)
	case n == 0:
		log.Warn("outbox outcome not recorded: its lease was taken over")
	}
}

// call runs h, turning a panic into an error.
func call(ctx context.Context, h Handler, m Message) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return h(ctx, m)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000]
	}
	return s
}
