package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/jobs"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// clock is a settable cohort.Clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func enqueue(t *testing.T, r *jobs.Runner, db *store.DB, kind string, payload any, runAt time.Time) cohort.ID {
	t.Helper()
	var id cohort.ID
	err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = r.Enqueue(context.Background(), tx, kind, payload, runAt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type jobRow struct {
	Status   string
	Attempts int
	RunAt    int64
	Owner    *string
	LastErr  string
}

func readJob(t *testing.T, db *store.DB, id cohort.ID) jobRow {
	t.Helper()
	var r jobRow
	err := db.Read().QueryRowContext(context.Background(),
		"SELECT status, attempts, run_at, lease_owner, last_error FROM jobs WHERE id = ?", id).
		Scan(&r.Status, &r.Attempts, &r.RunAt, &r.Owner, &r.LastErr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEachJobRunsOnce works 1,000 jobs with two runners on two handles of
// one database, as two servers would, and checks that every job ran exactly
// once and never twice at the same time.
func TestEachJobRunsOnce(t *testing.T) {
	storetest.EnginesShared(t, 2, func(t *testing.T, dbs []*store.DB) {
		const total = 1000
		var (
			mu      sync.Mutex
			runs    = map[cohort.ID]int{}
			active  = map[cohort.ID]int{}
			overlap atomic.Int64
			done    = make(chan struct{})
			count   atomic.Int64
			perRun  [2]atomic.Int64
		)
		handler := func(i int) jobs.Handler {
			return func(ctx context.Context, j jobs.Job) error {
				mu.Lock()
				runs[j.ID]++
				active[j.ID]++
				if active[j.ID] > 1 {
					overlap.Add(1)
				}
				mu.Unlock()
				time.Sleep(100 * time.Microsecond)
				mu.Lock()
				active[j.ID]--
				mu.Unlock()
				perRun[i].Add(1)
				if count.Add(1) == total {
					close(done)
				}
				return nil
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var runners []*jobs.Runner
		for i, db := range dbs {
			r := jobs.New(db, jobs.Config{Log: quiet(), PollInterval: 20 * time.Millisecond, Concurrency: 4})
			r.Register("count", handler(i))
			runners = append(runners, r)
		}
		var wg sync.WaitGroup
		for _, r := range runners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.Run(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		// Enqueue in batches from both sides while the runners work.
		for b := 0; b < 10; b++ {
			err := dbs[b%2].WriteTx(ctx, func(tx *store.Tx) error {
				for i := 0; i < total/10; i++ {
					if _, err := runners[b%2].Enqueue(ctx, tx, "count", map[string]int{"n": b*100 + i}, time.Time{}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("only %d of %d jobs ran", count.Load(), total)
		}
		cancel()
		wg.Wait()

		if len(runs) != total {
			t.Fatalf("%d distinct jobs ran, want %d", len(runs), total)
		}
		for id, n := range runs {
			if n != 1 {
				t.Errorf("job %d ran %d times", id, n)
			}
		}
		if overlap.Load() != 0 {
			t.Errorf("%d concurrent runs of one job", overlap.Load())
		}
		var notDone int
		if err := dbs[0].Read().QueryRowContext(context.Background(),
			"SELECT count(*) FROM jobs WHERE status <> 'done'").Scan(&notDone); err != nil {
			t.Fatal(err)
		}
		if notDone != 0 {
			t.Errorf("%d jobs not done", notDone)
		}
		t.Logf("runner 0 ran %d, runner 1 ran %d", perRun[0].Load(), perRun[1].Load())
	})
}

// TestExpiredLeaseTakenOver simulates a runner that claimed a job and died:
// another runner takes the job over once the lease has expired, not before.
func TestExpiredLeaseTakenOver(t *testing.T) {
	storetest.EnginesShared(t, 2, func(t *testing.T, dbs []*store.DB) {
		ctx := context.Background()
		clk := newClock()
		var ran atomic.Int64
		h := func(ctx context.Context, j jobs.Job) error {
			ran.Add(1)
			if j.Attempt != 2 {
				return fmt.Errorf("attempt %d, want 2", j.Attempt)
			}
			return nil
		}
		cfg := jobs.Config{Clock: clk, Log: quiet(), Lease: time.Minute}
		dead := jobs.New(dbs[0], cfg)
		id := enqueue(t, dead, dbs[0], "work", nil, time.Time{})
		// The dead runner claims the job (its handler blocks forever, as if
		// the process had hung) ...
		block := make(chan struct{})
		defer close(block)
		dead.Register("work", func(ctx context.Context, j jobs.Job) error { <-block; return nil })
		go dead.RunOnce(context.Background())
		waitFor(t, func() bool { return readJob(t, dbs[0], id).Status == jobs.StatusRunning })

		live := jobs.New(dbs[1], cfg)
		live.Register("work", h)
		if n, err := live.RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("RunOnce under a live lease ran %d, %v", n, err)
		}
		clk.Add(time.Minute + time.Millisecond)
		if n, err := live.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RunOnce after the lease expired ran %d, %v", n, err)
		}
		if got := readJob(t, dbs[1], id); got.Status != jobs.StatusDone || got.Attempts != 2 {
			t.Fatalf("job after takeover: %+v", got)
		}
		if ran.Load() != 1 {
			t.Fatalf("live handler ran %d times", ran.Load())
		}
	})
}

// TestHeartbeatKeepsLease runs a job longer than its lease: the heartbeat
// keeps extending it, so a second runner never takes it over.
func TestHeartbeatKeepsLease(t *testing.T) {
	storetest.EnginesShared(t, 2, func(t *testing.T, dbs []*store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var runs atomic.Int64
		h := func(ctx context.Context, j jobs.Job) error {
			runs.Add(1)
			select {
			case <-time.After(3 * time.Second): // three leases
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		var rs []*jobs.Runner
		for _, db := range dbs {
			// A lease of a second: long enough that a heartbeat starved
			// for a few hundred milliseconds on a loaded machine still
			// renews it, short enough that the job outlives three.
			r := jobs.New(db, jobs.Config{Log: quiet(), Lease: time.Second, PollInterval: 10 * time.Millisecond})
			r.Register("long", h)
			rs = append(rs, r)
		}
		id := enqueue(t, rs[0], dbs[0], "long", nil, time.Time{})
		var wg sync.WaitGroup
		for _, r := range rs {
			wg.Add(1)
			go func() { defer wg.Done(); r.Run(ctx) }()
		}
		waitFor(t, func() bool { return readJob(t, dbs[0], id).Status == jobs.StatusDone })
		cancel()
		wg.Wait()
		if got := readJob(t, dbs[0], id); runs.Load() != 1 || got.Attempts != 1 {
			t.Fatalf("long job ran %d times, attempts %d", runs.Load(), got.Attempts)
		}
	})
}

func TestRetryBackoff(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		r := jobs.New(db, jobs.Config{Clock: clk, Log: quiet(), BackoffBase: time.Second, BackoffMax: 3 * time.Second, MaxAttempts: 4})
		var calls atomic.Int64
		r.Register("flaky", func(ctx context.Context, j jobs.Job) error {
			if calls.Add(1) < 4 {
				return errors.New("boom")
			}
			return nil
		})
		id := enqueue(t, r, db, "flaky", nil, time.Time{})

		// Failures back off 1 s, 2 s, then 3 s (the cap); the fourth try works.
		for i, wait := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
			if n, err := r.RunOnce(ctx); err != nil || n != 1 {
				t.Fatalf("try %d: ran %d, %v", i+1, n, err)
			}
			got := readJob(t, db, id)
			want := clk.Now().Add(wait).UnixMilli()
			if got.Status != jobs.StatusQueued || got.Attempts != i+1 || got.RunAt != want || got.LastErr != "boom" || got.Owner != nil {
				t.Fatalf("after try %d: %+v, want queued, attempts %d, run_at %d", i+1, got, i+1, want)
			}
			clk.Add(wait - time.Millisecond)
			if n, _ := r.RunOnce(ctx); n != 0 {
				t.Fatalf("retry %d ran before its backoff", i+1)
			}
			clk.Add(time.Millisecond)
		}
		if n, err := r.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("last try: ran %d, %v", n, err)
		}
		if got := readJob(t, db, id); got.Status != jobs.StatusDone || got.Attempts != 4 {
			t.Fatalf("after success: %+v", got)
		}

		// Out of attempts, and permanent errors, fail the job.
		r.Register("broken", func(ctx context.Context, j jobs.Job) error { return errors.New("always") })
		r.Register("fatal", func(ctx context.Context, j jobs.Job) error { return jobs.Permanent(errors.New("bad payload")) })
		var broken, fatal cohort.ID
		err := db.WriteTx(ctx, func(tx *store.Tx) error {
			var err error
			if broken, err = r.EnqueueWith(ctx, tx, "broken", nil, jobs.Options{MaxAttempts: 2}); err != nil {
				return err
			}
			fatal, err = r.Enqueue(ctx, tx, "fatal", nil, time.Time{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if _, err := r.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Add(time.Minute)
		}
		if got := readJob(t, db, broken); got.Status != jobs.StatusFailed || got.Attempts != 2 {
			t.Fatalf("broken job: %+v", got)
		}
		if got := readJob(t, db, fatal); got.Status != jobs.StatusFailed || got.Attempts != 1 || got.LastErr != "bad payload" {
			t.Fatalf("fatal job: %+v", got)
		}
	})
}

func TestDedupeKey(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := jobs.New(db, jobs.Config{Log: quiet()})
		r.Register("rebuild", func(ctx context.Context, j jobs.Job) error { return nil })
		add := func() cohort.ID {
			var id cohort.ID
			err := db.WriteTx(ctx, func(tx *store.Tx) error {
				var err error
				id, err = r.EnqueueWith(ctx, tx, "rebuild", nil, jobs.Options{DedupeKey: "rebuild:7"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		if first := add(); first == 0 {
			t.Fatal("first enqueue was deduplicated")
		}
		if again := add(); again != 0 {
			t.Fatalf("second enqueue while the first is queued gave job %d", again)
		}
		if n, err := r.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("ran %d, %v", n, err)
		}
		if after := add(); after == 0 {
			t.Fatal("enqueue after the first finished was deduplicated")
		}
	})
}

// TestPeriodicOncePerPeriod has two schedulers, as on two servers, race to
// enqueue each period's run: each period runs once.
func TestPeriodicOncePerPeriod(t *testing.T) {
	storetest.EnginesShared(t, 2, func(t *testing.T, dbs []*store.DB) {
		ctx := context.Background()
		clk := newClock()
		var mu sync.Mutex
		slots := map[int64]int{}
		var rs []*jobs.Runner
		for _, db := range dbs {
			r := jobs.New(db, jobs.Config{Clock: clk, Log: quiet()})
			r.Register("tick", func(ctx context.Context, j jobs.Job) error {
				var p jobs.PeriodicPayload
				if err := json.Unmarshal(j.Payload, &p); err != nil {
					return err
				}
				mu.Lock()
				slots[p.SlotAt]++
				mu.Unlock()
				return nil
			})
			r.Every("tick", time.Minute)
			rs = append(rs, r)
		}
		for period := 0; period < 3; period++ {
			for try := 0; try < 3; try++ {
				var wg sync.WaitGroup
				for _, r := range rs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := r.EnqueuePeriodic(ctx); err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
				for _, r := range rs {
					if _, err := r.RunOnce(ctx); err != nil {
						t.Fatal(err)
					}
				}
				clk.Add(10 * time.Second)
			}
			clk.Add(30 * time.Second)
		}
		if len(slots) != 3 {
			t.Fatalf("runs per period: %v, want 3 periods", slots)
		}
		for slot, n := range slots {
			if n != 1 || slot%time.Minute.Milliseconds() != 0 {
				t.Errorf("period %d ran %d times", slot, n)
			}
		}
	})
}

// TestRunPeriodicAndWake checks the Run loop end to end: the scheduler
// enqueues at start-up, an enqueue after commit wakes the runner long before
// its poll, and a stop waits for the running handler.
func TestRunPeriodicAndWake(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		r := jobs.New(db, jobs.Config{Log: quiet(), PollInterval: time.Hour})
		ticks := make(chan struct{}, 10)
		r.Register("tick", func(ctx context.Context, j jobs.Job) error { ticks <- struct{}{}; return nil })
		r.Every("tick", time.Hour)
		started := make(chan struct{})
		var finished atomic.Bool
		r.Register("slow", func(ctx context.Context, j jobs.Job) error {
			close(started)
			time.Sleep(200 * time.Millisecond)
			finished.Store(true)
			return nil
		})
		stopped := make(chan struct{})
		go func() { r.Run(ctx); close(stopped) }()

		select {
		case <-ticks:
		case <-time.After(5 * time.Second):
			t.Fatal("periodic job did not run at start-up")
		}
		// The schedule's first poll happened at start; the next is an hour
		// away, so only the wake-up can start this job.
		id := enqueue(t, r, db, "slow", nil, time.Time{})
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("enqueue did not wake the runner")
		}
		cancel()
		<-stopped
		if !finished.Load() {
			t.Fatal("Run returned before its handler finished")
		}
		if got := readJob(t, db, id); got.Status != jobs.StatusDone {
			t.Fatalf("slow job after stop: %+v", got)
		}
	})
}

func TestHousekeeping(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := newClock().Now()
		at := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
		stmts := []string{
			`INSERT INTO tenants (id, name, slug, time_zone, fiscal_year_start_month, currency, locale, created_at, updated_at)
				VALUES (1, 'Acme', 'acme', 'Asia/Shanghai', 1, 'CNY', 'zh-CN', 0, 0)`,
			`INSERT INTO users (tenant_id, id, email, name, status, locale, created_at, updated_at)
				VALUES (1, 10, 'a@example.com', 'A', 'active', 'zh-CN', 0, 0)`,
			fmt.Sprintf(`INSERT INTO sessions (tenant_id, id, token_hash, user_id, created_at, expires_at, last_seen_at) VALUES
				(1, 1, 'h1', 10, 0, %d, 0), (1, 2, 'h2', 10, 0, %d, 0), (1, 3, 'h3', 10, 0, %d, 0)`,
				at(-time.Hour), at(-time.Millisecond), at(time.Millisecond)),
			fmt.Sprintf(`INSERT INTO idempotency_keys (tenant_id, id, user_id, key, request_hash, created_at) VALUES
				(1, 1, 10, 'k1', 'x', %d), (1, 2, 10, 'k2', 'x', %d)`,
				at(-25*time.Hour), at(-23*time.Hour)),
			fmt.Sprintf(`INSERT INTO jobs (id, kind, payload, status, run_at, max_attempts, created_at, updated_at) VALUES
				(1, 'x', '{}', 'done', 0, 1, 0, %d), (2, 'x', '{}', 'done', 0, 1, 0, %d),
				(3, 'x', '{}', 'failed', 0, 1, 0, %d), (4, 'x', '{}', 'queued', 0, 1, 0, 0)`,
				at(-8*24*time.Hour), at(-time.Hour), at(-8*24*time.Hour)),
		}
		for _, s := range stmts {
			if err := db.ExecForTest(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		got, err := jobs.Housekeep(ctx, db, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := (jobs.Cleaned{Sessions: 2, IdempotencyKeys: 1, Jobs: 1}); got != want {
			t.Fatalf("cleaned %+v, want %+v", got, want)
		}
		ids := func(q string) (out []int64) {
			rows, err := db.Read().QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				out = append(out, id)
			}
			return out
		}
		if s := ids("SELECT id FROM sessions ORDER BY id"); len(s) != 1 || s[0] != 3 {
			t.Errorf("sessions left: %v, want [3]", s)
		}
		if k := ids("SELECT id FROM idempotency_keys ORDER BY id"); len(k) != 1 || k[0] != 2 {
			t.Errorf("idempotency keys left: %v, want [2]", k)
		}
		if j := ids("SELECT id FROM jobs ORDER BY id"); len(j) != 3 || j[0] != 2 {
			t.Errorf("jobs left: %v, want [2 3 4]", j)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStopTimeoutRequeues: a handler still running when the stop timeout
// runs out is cancelled, and its job goes back to the queue without using
// up an attempt.
func TestStopTimeoutRequeues(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		r := jobs.New(db, jobs.Config{Log: quiet(), PollInterval: 10 * time.Millisecond, StopTimeout: 50 * time.Millisecond})
		started := make(chan struct{})
		r.Register("endless", func(ctx context.Context, j jobs.Job) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
		id := enqueue(t, r, db, "endless", nil, time.Time{})
		stopped := make(chan struct{})
		go func() { r.Run(ctx); close(stopped) }()
		<-started
		cancel()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after the stop timeout")
		}
		if got := readJob(t, db, id); got.Status != jobs.StatusQueued || got.Attempts != 0 || got.Owner != nil {
			t.Fatalf("interrupted job: %+v", got)
		}
	})
}

// TestDebounce folds the calls for a key within the delay into one job,
// enqueued once the delay has passed, with the first call's payload.
func TestDebounce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		r := jobs.New(db, jobs.Config{Clock: clk, Log: quiet()})
		var got []map[string]int
		r.Register("bands", func(ctx context.Context, j jobs.Job) error {
			var p map[string]int
			if err := json.Unmarshal(j.Payload, &p); err != nil {
				return err
			}
			got = append(got, p)
			return nil
		})
		for i := 0; i < 5; i++ {
			r.Debounce("bands", "bands:1", map[string]int{"tenant": 1, "call": i}, 30*time.Second)
			clk.Add(time.Second)
		}
		r.Debounce("bands", "bands:2", map[string]int{"tenant": 2}, 30*time.Second)
		if n, err := r.FlushDebounced(ctx, false); err != nil || n != 0 {
			t.Fatalf("flushed %d before the delay, %v", n, err)
		}
		clk.Add(25 * time.Second)
		if n, err := r.FlushDebounced(ctx, false); err != nil || n != 1 {
			t.Fatalf("flushed %d at 30 s, %v", n, err)
		}
		if n, err := r.RunOnce(ctx); err != nil || n != 1 || len(got) != 1 || got[0]["call"] != 0 || got[0]["tenant"] != 1 {
			t.Fatalf("ran %d (%v): %v", n, err, got)
		}
		// A call after the flush waits again; all flushes everything.
		r.Debounce("bands", "bands:1", map[string]int{"tenant": 1, "call": 9}, 30*time.Second)
		if n, err := r.FlushDebounced(ctx, true); err != nil || n != 2 {
			t.Fatalf("flushed all: %d, %v", n, err)
		}
		if n, err := r.RunOnce(ctx); err != nil || n != 2 {
			t.Fatalf("ran %d, %v", n, err)
		}
	})
}
