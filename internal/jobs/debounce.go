package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort/internal/store"
)

// debounced is a job waiting in memory for its delay to pass.
type debounced struct {
	kind    string
	payload any
	due     time.Time
}

// Debounce asks for a job of kind with payload, enqueued once delay has
// passed since the first call for key that is still waiting: the calls
// for key in the meantime fold into that one job. It never blocks and
// never touches the database; Run enqueues what is due at each poll
// (FlushDebounced does it at once). What waits is in memory only, so a
// server that stops loses it: debounce work that a periodic job also
// covers.
func (r *Runner) Debounce(kind, key string, payload any, delay time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.waiting[key]; ok {
		return
	}
	if r.waiting == nil {
		r.waiting = map[string]debounced{}
	}
	r.waiting[key] = debounced{kind, payload, r.cfg.Clock.Now().Add(delay)}
}

// FlushDebounced enqueues the debounced jobs whose delay has passed, or
// with all every one waiting, and returns how many it enqueued. What fails
// to enqueue waits for the next flush.
func (r *Runner) FlushDebounced(ctx context.Context, all bool) (int, error) {
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	due := map[string]debounced{}
	for k, d := range r.waiting {
		if all || !d.due.After(now) {
			due[k] = d
			delete(r.waiting, k)
		}
	}
	r.mu.Unlock()
	if len(due) == 0 {
		return 0, nil
	}
	err := r.db.WriteTx(ctx, func(tx *store.Tx) error {
		for _, d := range due {
			if _, err := r.Enqueue(ctx, tx, d.kind, d.payload, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		r.mu.Lock()
		for k, d := range due {
			if _, ok := r.waiting[k]; !ok {
				r.waiting[k] = d
			}
		}
		r.mu.Unlock()
		return 0, fmt.Errorf("enqueue debounced jobs: %w", err)
	}
	return len(due), nil
}
