// Package jobs runs background work stored in the jobs table. Handlers are
// registered by kind; a job is claimed with a lease in the database, so any
// number of runners (in one process or on many servers sharing one database)
// can work the same table without running a job twice at once. Failures are
// retried with exponential backoff up to a maximum number of attempts, a
// crashed runner's jobs are taken over when their lease expires, and a
// scheduler enqueues periodic work once per period across all servers.
//
// Delivery is at least once: a runner that dies after its handler finished
// but before it recorded so leaves the job to run again once the lease
// expires. Handlers must therefore be idempotent.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Job statuses.
const (
	StatusQueued  = "queued"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// Job is one claimed unit of work as a handler sees it.
type Job struct {
	ID      cohort.ID
	Kind    string
	Payload json.RawMessage
	// Attempt counts runs including this one: 1 the first time.
	Attempt     int
	MaxAttempts int
	RunAt       time.Time
	CreatedAt   time.Time
}

// Handler does the work of one job. A nil error marks the job done; an error
// schedules a retry (or fails the job when attempts are used up, or at once
// when the error is wrapped with Permanent). ctx is cancelled when the runner
// loses the job's lease or stops for good.
type Handler func(ctx context.Context, j Job) error

// Config tunes a Runner. Zero fields take the defaults in brackets.
type Config struct {
	Clock cohort.Clock // [cohort.SystemClock]
	Log   *slog.Logger // [slog.Default()]
	// Owner names this runner in lease_owner. [host-pid-random]
	Owner string
	// PollInterval is how often the table is checked for due work when
	// nothing woke the runner. [1s]
	PollInterval time.Duration
	// Lease is how long a claim holds before another runner may take the job
	// over; a running handler's lease is extended every Lease/3. [30s]
	Lease time.Duration
	// Concurrency caps the handlers running at once in this runner. [4]
	Concurrency int
	// MaxAttempts is the default for jobs enqueued without one. [10]
	MaxAttempts int
	// BackoffBase and BackoffMax shape the retry delay: base·2^(attempt−1),
	// capped at max. [2s, 1h]
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// StopTimeout is how long Run waits, once its context is done, for
	// running handlers before cancelling theirs. [30s]
	StopTimeout time.Duration
}

func (c *Config) defaults() {
	if c.Clock == nil {
		c.Clock = cohort.SystemClock{}
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Owner == "" {
		c.Owner = OwnerName()
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 2 * time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = time.Hour
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = 30 * time.Second
	}
}

// OwnerName returns a lease owner name unique to this process and call:
// host, process id and a random suffix, so that two runners in one process
// (as in tests) never mistake each other's leases for their own.
func OwnerName() string {
	host, _ := os.Hostname()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Runner claims and runs jobs. Register handlers and periodic jobs before
// calling Run.
type Runner struct {
	db   *store.DB
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	handlers map[string]Handler
	periodic []periodic
	// waiting are the debounced jobs not yet enqueued, by key.
	waiting map[string]debounced
}

// New returns a Runner working the jobs table of db.
func New(db *store.DB, cfg Config) *Runner {
	cfg.defaults()
	return &Runner{
		db:       db,
		cfg:      cfg,
		log:      cfg.Log.With("component", "jobs", "owner", cfg.Owner),
		wake:     make(chan struct{}, 1),
		handlers: map[string]Handler{},
	}
}

// Register sets the handler for jobs of kind.
func (r *Runner) Register(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

func (r *Runner) handler(kind string) Handler {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.handlers[kind]
}

// Wake makes a running Run look for due jobs now rather than at its next
// poll. It never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Options are the less common settings of a new job.
type Options struct {
	// RunAt is the earliest time the job may run; zero means now.
	RunAt time.Time
	// MaxAttempts overrides the runner's default.
	MaxAttempts int
	// DedupeKey, when set, makes the enqueue a no-op while another job with
	// the same key is queued or running.
	DedupeKey string
}

// Enqueue adds a job of kind with payload (marshalled with encoding/json) in
// the caller's transaction, so that the job exists exactly when the change
// that asked for it commits. runAt may be zero for "now". Once the
// transaction commits, a job due now wakes this process's Run at once.
func (r *Runner) Enqueue(ctx context.Context, tx *store.Tx, kind string, payload any, runAt time.Time) (cohort.ID, error) {
	return r.EnqueueWith(ctx, tx, kind, payload, Options{RunAt: runAt})
}

// EnqueueWith is Enqueue with Options. It returns 0 and no error when
// opt.DedupeKey is held by a live job.
func (r *Runner) EnqueueWith(ctx context.Context, tx *store.Tx, kind string, payload any, opt Options) (cohort.ID, error) {
	if kind == "" {
		return 0, errors.New("enqueue job: empty kind")
	}
	body := []byte("{}")
	if payload != nil {
		var err error
		if body, err = json.Marshal(payload); err != nil {
			return 0, fmt.Errorf("enqueue %s: payload: %w", kind, err)
		}
	}
	now := r.cfg.Clock.Now()
	runAt := opt.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	maxAttempts := opt.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = r.cfg.MaxAttempts
	}
	var dedupe any
	if opt.DedupeKey != "" {
		dedupe = opt.DedupeKey
	}
	id := tx.DB().NewID()
	// ON CONFLICT without a target covers the partial unique index on
	// dedupe_key (the only unique key besides the fresh id) on both engines.
	res, err := tx.ExecContext(ctx, `INSERT INTO jobs
		(id, kind, payload, status, run_at, attempts, max_attempts, dedupe_key, created_at, updated_at)
		VALUES (?, ?, ?, 'queued', ?, 0, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		id, kind, string(body), ms(runAt), maxAttempts, dedupe, ms(now), ms(now))
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", kind, err)
	} else if n == 0 {
		return 0, nil
	}
	if !runAt.After(now) {
		tx.AfterCommit(r.Wake)
	}
	return cohort.ID(id), nil
}

// Permanent marks err as not worth retrying: the job (or outbox message)
// fails at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err was wrapped with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Backoff returns the delay before retry number attempt (1 after the first
// failure): base·2^(attempt−1), capped at max.
func Backoff(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt; i++ {
		d *= 2
		if d >= max || d <= 0 {
			return max
		}
	}
	if d > max {
		return max
	}
	return d
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }
