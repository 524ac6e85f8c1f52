package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort/internal/store"
)

// periodic is one job kind enqueued every interval.
type periodic struct {
	kind     string
	interval time.Duration
}

// PeriodicPayload is the payload of a job enqueued by the scheduler.
type PeriodicPayload struct {
	// SlotAt is the start of the period the run belongs to, in Unix
	// milliseconds.
	SlotAt int64 `json:"slot_at"`
}

// Every has Run enqueue a job of kind once per interval. Periods are aligned
// to the Unix epoch (a 24 h interval starts at 00:00 UTC), and a period's run
// is enqueued as soon as a scheduler sees the period has begun: at start-up
// for the current period if it has not run yet. With several servers, each
// period is enqueued once, whichever server gets there first; a run is
// skipped when the previous one of the kind is still queued or running.
// Register the handler for kind separately.
func (r *Runner) Every(kind string, interval time.Duration) {
	if interval < time.Second {
		panic("jobs: periodic interval below one second")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.periodic = append(r.periodic, periodic{kind, interval})
}

// schedule enqueues periodic jobs until ctx is done.
func (r *Runner) schedule(ctx context.Context) {
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	last := map[string]int64{}
	for {
		if _, err := r.enqueuePeriodic(ctx, last); err != nil && ctx.Err() == nil {
			r.log.Error("schedule periodic jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// EnqueuePeriodic enqueues the runs of periodic jobs whose current period has
// not been enqueued yet by any scheduler, and returns how many it enqueued.
// Run calls it every poll; tests and one-shot commands call it directly.
func (r *Runner) EnqueuePeriodic(ctx context.Context) (int, error) {
	return r.enqueuePeriodic(ctx, nil)
}

// enqueuePeriodic is EnqueuePeriodic with a memory of the periods this
// scheduler has already settled, so that the database is asked once per
// period and kind rather than every poll.
func (r *Runner) enqueuePeriodic(ctx context.Context, last map[string]int64) (int, error) {
	r.mu.Lock()
	ps := append([]periodic(nil), r.periodic...)
	r.mu.Unlock()
	now := r.cfg.Clock.Now()
	n := 0
	for _, p := range ps {
		iv := p.interval.Milliseconds()
		slot := ms(now) / iv * iv
		if last != nil && last[p.kind] >= slot {
			continue
		}
		ok, err := r.claimSlot(ctx, p, slot)
		if err != nil {
			return n, err
		}
		if last != nil {
			last[p.kind] = slot
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// claimSlot moves kind's last_slot_at forward to slot (a compare-and-set that
// only one scheduler can win per period) and, when it did, enqueues the run
// in the same transaction.
func (r *Runner) claimSlot(ctx context.Context, p periodic, slot int64) (bool, error) {
	now := r.cfg.Clock.Now()
	enqueued := false
	err := r.db.WriteTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO periodic_jobs (kind, interval_ms, last_slot_at, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (kind) DO NOTHING`, p.kind, p.interval.Milliseconds(), slot, ms(now))
		if err != nil {
			return err
		}
		won, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if won == 0 {
			// On PostgreSQL a concurrent scheduler's update blocks this one
			// until it commits, then the condition is re-checked on the new
			// row, so exactly one wins.
			res, err = tx.ExecContext(ctx, `UPDATE periodic_jobs SET last_slot_at = ?, interval_ms = ?, updated_at = ?
				WHERE kind = ? AND last_slot_at < ?`, slot, p.interval.Milliseconds(), ms(now), p.kind, slot)
			if err != nil {
				return err
			}
			if won, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		if won == 0 {
			return nil
		}
		id, err := r.EnqueueWith(ctx, tx, p.kind, PeriodicPayload{SlotAt: slot}, Options{DedupeKey: "periodic:" + p.kind})
		if err != nil {
			return err
		}
		if id == 0 {
			r.log.Warn("periodic job skipped: the previous run is still queued or running", "kind", p.kind)
			return nil
		}
		enqueued = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("enqueue periodic %s: %w", p.kind, err)
	}
	return enqueued, nil
}
