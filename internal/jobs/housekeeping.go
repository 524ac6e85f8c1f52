package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort/internal/store"
)

// HousekeepingKind is the periodic job that deletes what has expired.
const HousekeepingKind = "housekeeping"

// Retention of finished work.
const (
	IdempotencyKeyTTL = 24 * time.Hour
	DoneRetention     = 7 * 24 * time.Hour  // done jobs, delivered outbox messages
	FailedRetention   = 30 * 24 * time.Hour // failed ones, kept longer for inspection
)

// housekeepingBatch bounds each DELETE so that a large backlog never holds
// SQLite's write lock for long.
const housekeepingBatch = 1000

// Cleaned counts the rows Housekeep deleted, per table.
type Cleaned struct {
	Sessions        int64
	IdempotencyKeys int64
	Jobs            int64
	Outbox          int64
}

// RegisterHousekeeping registers the housekeeping job and runs it every
// interval (an hour is a good default).
func (r *Runner) RegisterHousekeeping(interval time.Duration) {
	r.Register(HousekeepingKind, func(ctx context.Context, j Job) error {
		c, err := Housekeep(ctx, r.db, r.cfg.Clock.Now())
		if err != nil {
			return err
		}
		r.log.Info("housekeeping done", "sessions", c.Sessions, "idempotency_keys", c.IdempotencyKeys,
			"jobs", c.Jobs, "outbox", c.Outbox)
		return nil
	})
	r.Every(HousekeepingKind, interval)
}

// Housekeep deletes, as of now: sessions that have expired, idempotency keys
// older than IdempotencyKeyTTL, and jobs and outbox messages finished longer
// ago than their retention. Every statement is idempotent, so two servers
// running it at once do no harm.
func Housekeep(ctx context.Context, db *store.DB, now time.Time) (Cleaned, error) {
	var c Cleaned
	steps := []struct {
		n    *int64
		what string
		q    string
		arg  int64
	}{
		{&c.Sessions, "expired sessions",
			`DELETE FROM sessions WHERE (tenant_id, id) IN (
				SELECT tenant_id, id FROM sessions WHERE expires_at <= ? LIMIT ?)`,
			ms(now)},
		{&c.IdempotencyKeys, "old idempotency keys",
			`DELETE FROM idempotency_keys WHERE (tenant_id, id) IN (
				SELECT tenant_id, id FROM idempotency_keys WHERE created_at < ? LIMIT ?)`,
			ms(now.Add(-IdempotencyKeyTTL))},
		{&c.Jobs, "done jobs",
			`DELETE FROM jobs WHERE id IN (
				SELECT id FROM jobs WHERE status = 'done' AND updated_at < ? LIMIT ?)`,
			ms(now.Add(-DoneRetention))},
		{&c.Jobs, "failed jobs",
			`DELETE FROM jobs WHERE id IN (
				SELECT id FROM jobs WHERE status = 'failed' AND updated_at < ? LIMIT ?)`,
			ms(now.Add(-FailedRetention))},
		{&c.Outbox, "delivered outbox messages",
			`DELETE FROM outbox WHERE (tenant_id, id) IN (
				SELECT tenant_id, id FROM outbox WHERE delivered_at < ? LIMIT ?)`,
			ms(now.Add(-DoneRetention))},
		{&c.Outbox, "failed outbox messages",
			`DELETE FROM outbox WHERE (tenant_id, id) IN (
				SELECT tenant_id, id FROM outbox WHERE failed_at < ? LIMIT ?)`,
			ms(now.Add(-FailedRetention))},
	}
	for _, s := range steps {
		for {
			var n int64
			err := db.WriteTx(ctx, func(tx *store.Tx) error {
				res, err := tx.ExecContext(ctx, s.q, s.arg, housekeepingBatch)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return c, fmt.Errorf("delete %s: %w", s.what, err)
			}
			*s.n += n
			if n < housekeepingBatch {
				break
			}
		}
	}
	return c, nil
}
