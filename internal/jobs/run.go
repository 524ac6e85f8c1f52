package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/cohortcrm/cohort/internal/store"
)

// Run claims and runs due jobs, and enqueues periodic ones, until ctx is
// done. It then stops claiming, waits up to StopTimeout for running handlers
// (cancelling their context after that) and returns nil. Errors talking to
// the database are logged and retried at the next poll, so a database that
// is briefly away does not stop the runner.
func (r *Runner) Run(ctx context.Context) error {
	// Handlers run under their own context so that stopping the runner lets
	// them finish instead of cutting them off mid-write.
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()

	var wg sync.WaitGroup
	r.mu.Lock()
	hasPeriodic := len(r.periodic) > 0
	r.mu.Unlock()
	if hasPeriodic {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.schedule(ctx)
		}()
	}

	// finished has room for every running handler, so a handler's send never
	// blocks even after the loop below has stopped receiving.
	finished := make(chan struct{}, r.cfg.Concurrency)
	running := 0
	ticker := time.NewTicker(r.cfg.PollInterval)
	defer ticker.Stop()
	r.log.Info("job runner started", "concurrency", r.cfg.Concurrency, "poll", r.cfg.PollInterval)
	for ctx.Err() == nil {
		if _, err := r.FlushDebounced(ctx, false); err != nil && ctx.Err() == nil {
			r.log.Error("debounced jobs", "err", err)
		}
		if free := r.cfg.Concurrency - running; free > 0 {
			jobs, err := r.claimDue(ctx, free)
			if err != nil && ctx.Err() == nil {
				r.log.Error("claim jobs", "err", err)
			}
			for _, j := range jobs {
				running++
				wg.Add(1)
				go func() {
					defer wg.Done()
					r.execute(hctx, j)
					finished <- struct{}{}
				}()
			}
		}
		select {
		case <-ctx.Done():
		case <-r.wake:
		case <-ticker.C:
		case <-finished:
			running--
		}
	}

	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(r.cfg.StopTimeout):
		r.log.Warn("job runner: handlers still running at stop timeout; cancelling them")
		hcancel()
		<-done
	}
	r.log.Info("job runner stopped")
	return nil
}

// RunOnce claims the jobs due now (up to Concurrency), runs them and waits
// for them. It returns how many ran. Tests and one-shot commands use it; a
// server uses Run.
func (r *Runner) RunOnce(ctx context.Context) (int, error) {
	jobs, err := r.claimDue(ctx, r.cfg.Concurrency)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.execute(ctx, j)
		}()
	}
	wg.Wait()
	return len(jobs), nil
}

// claimDue claims up to n due jobs, after a cheap check on the read pool:
// most polls find nothing, and on SQLite a claim takes the one write lock.
func (r *Runner) claimDue(ctx context.Context, n int) ([]Job, error) {
	now := ms(r.cfg.Clock.Now())
	var one int
	err := r.db.Read().QueryRowContext(ctx, `SELECT 1 FROM jobs
		WHERE (status = 'queued' AND run_at <= ?) OR (status = 'running' AND lease_until <= ?) LIMIT 1`,
		now, now).Scan(&one)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("look for due jobs: %w", err)
	}
	return r.claim(ctx, n)
}

// claim marks up to n due jobs as running under this runner's lease and
// returns them. A job is due when it is queued and its run_at has come, or
// running under a lease that expired (its runner died or hung).
//
// On PostgreSQL, FOR UPDATE SKIP LOCKED lets concurrent claims pass each
// other: a row another runner is claiming is skipped, and a row it has just
// claimed no longer matches when re-checked after the lock. On SQLite the
// transaction starts with BEGIN IMMEDIATE, so claims are serialised by the
// database's single write lock.
func (r *Runner) claim(ctx context.Context, n int) ([]Job, error) {
	now := r.cfg.Clock.Now()
	until := now.Add(r.cfg.Lease)
	var jobs []Job
	err := r.db.WriteTx(ctx, func(tx *store.Tx) error {
		var q string
		var args []any
		const cols = "jobs.id, jobs.kind, jobs.payload, jobs.attempts, jobs.max_attempts, jobs.run_at, jobs.created_at"
		if r.db.Engine == store.Postgres {
			q = `WITH due AS (
				SELECT id FROM jobs
				WHERE (status = 'queued' AND run_at <= ?) OR (status = 'running' AND lease_until <= ?)
				ORDER BY run_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
			UPDATE jobs SET status = 'running', lease_owner = ?, lease_until = ?, attempts = jobs.attempts + 1, updated_at = ?
			FROM due WHERE jobs.id = due.id
			RETURNING ` + cols
			args = []any{ms(now), ms(now), n, r.cfg.Owner, ms(until), ms(now)}
		} else {
			q = `UPDATE jobs SET status = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
			WHERE id IN (
				SELECT id FROM jobs
				WHERE (status = 'queued' AND run_at <= ?) OR (status = 'running' AND lease_until <= ?)
				ORDER BY run_at, id LIMIT ?)
			RETURNING ` + cols
			args = []any{r.cfg.Owner, ms(until), ms(now), ms(now), ms(now), n}
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var j Job
			var payload []byte
			var runAt, created int64
			if err := rows.Scan(&j.ID, &j.Kind, &payload, &j.Attempt, &j.MaxAttempts, &runAt, &created); err != nil {
				return err
			}
			j.Payload = payload
			j.RunAt, j.CreatedAt = fromMs(runAt), fromMs(created)
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	// RETURNING gives no order; run the oldest first.
	slices.SortFunc(jobs, func(a, b Job) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return jobs, nil
}

// execute runs one claimed job with its lease kept alive, then records the
// outcome. ctx is the runner's handler context.
func (r *Runner) execute(ctx context.Context, j Job) {
	log := r.log.With("job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt)
	if j.Attempt > j.MaxAttempts {
		// The last allowed attempt lost its lease (its runner died): running
		// it again would exceed the limit, and a job that kills its runner
		// should not be retried forever.
		r.finish(ctx, log, j, Permanent(errors.New("lease expired during the last attempt")), 0)
		return
	}
	h := r.handler(j.Kind)
	if h == nil {
		r.finish(ctx, log, j, fmt.Errorf("no handler registered for kind %q", j.Kind), 0)
		return
	}

	jctx, cancel := context.WithCancel(ctx)
	hbDone := make(chan struct{})
	var lost bool
	go func() {
		defer close(hbDone)
		lost = r.heartbeat(jctx, log, j, cancel)
	}()
	start := time.Now()
	err := call(jctx, h, j)
	cancel()
	<-hbDone
	if lost {
		// Another runner owns the job now and records its outcome; finish's
		// fence would refuse ours anyway.
		log.Warn("job ended after losing its lease", "err", err)
		return
	}
	r.finish(ctx, log, j, err, time.Since(start))
}

// call runs h, turning a panic into an error so that one bad job cannot take
// the runner down.
func call(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return h(ctx, j)
}

// heartbeat extends j's lease every Lease/3 until ctx is done. When the lease
// turns out to be gone (another runner took the job over after this one
// stalled for longer than the lease), it cancels the handler and reports
// true.
func (r *Runner) heartbeat(ctx context.Context, log *slog.Logger, j Job, cancel context.CancelFunc) (lost bool) {
	t := time.NewTicker(r.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		now := r.cfg.Clock.Now()
		var n int64
		err := r.db.WriteTx(ctx, func(tx *store.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE jobs SET lease_until = ?, updated_at = ?
				WHERE id = ? AND status = 'running' AND lease_owner = ? AND attempts = ?`,
				ms(now.Add(r.cfg.Lease)), ms(now), j.ID, r.cfg.Owner, j.Attempt)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("extend job lease", "err", err)
			}
			continue
		}
		if n == 0 {
			log.Warn("job lease lost; cancelling the handler")
			cancel()
			return true
		}
	}
}

// finish records a job's outcome. Every update is fenced by lease owner and
// attempt number, so a runner that lost the lease cannot overwrite the
// outcome of the runner that took the job over. ctx is the handler context:
// when it is done and the job failed, the runner was stopped under it.
func (r *Runner) finish(ctx context.Context, log *slog.Logger, j Job, jobErr error, took time.Duration) {
	interrupted := jobErr != nil && ctx.Err() != nil
	// Record the outcome even when the runner is stopping.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := r.cfg.Clock.Now()
	const fence = " WHERE id = ? AND lease_owner = ? AND attempts = ?"
	var q string
	var args []any
	switch {
	case jobErr == nil:
		q = `UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until = NULL, last_error = '', updated_at = ?` + fence
		args = []any{ms(now)}
	case interrupted:
		// Cut off by a stop: put it back without counting the attempt.
		q = `UPDATE jobs SET status = 'queued', run_at = ?, attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ?` + fence
		args = []any{ms(now), truncate("interrupted by shutdown: " + jobErr.Error()), ms(now)}
		log.Warn("job interrupted by shutdown; requeued", "err", jobErr)
	case IsPermanent(jobErr) || j.Attempt >= j.MaxAttempts:
		q = `UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ?` + fence
		args = []any{truncate(jobErr.Error()), ms(now)}
		log.Error("job failed for good", "err", jobErr, "took", took)
	default:
		next := now.Add(Backoff(j.Attempt, r.cfg.BackoffBase, r.cfg.BackoffMax))
		q = `UPDATE jobs SET status = 'queued', run_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ?` + fence
		args = []any{ms(next), truncate(jobErr.Error()), ms(now)}
		log.Warn("job failed; will retry", "err", jobErr, "retry_at", next, "took", took)
	}
	args = append(args, j.ID, r.cfg.Owner, j.Attempt)
	var n int64
	err := r.db.WriteTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	switch {
	case err != nil:
		// The lease will expire and the job will run again: at least once.
		log.Error("record job outcome", "err", err)
	case n == 0:
		log.Warn("job outcome not recorded: its lease was taken over")
	case jobErr == nil:
		log.Debug("job done", "took", took)
	}
}

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000]
	}
	return s
}
