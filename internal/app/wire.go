package app

import (
	"context"
	"time"

	"github.com/cohortcrm/cohort/internal/api"
)

// wire builds the HTTP server (and, once the job runner is in, the inbox).
func (a *App) wire(ctx context.Context) error {
	a.API = api.New(a.Service, nil, a.Log, a.Metrics, a.apiOptions())
	a.API.SetReady(a.ready)
	return nil
}

// background runs periodic upkeep until ctx ends.
func (a *App) background(ctx context.Context) {
	defer close(a.done)
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.DB.Checkpoint(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("checkpoint", "err", err)
			}
		}
	}
}
