package app

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/api"
	"github.com/cohortcrm/cohort/internal/files"
	"github.com/cohortcrm/cohort/internal/jobs"
	"github.com/cohortcrm/cohort/internal/notify"
	"github.com/cohortcrm/cohort/internal/outbox"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
)

// Job kinds of the server.
const (
	jobRemind    = "next_action.remind"
	jobPoolRules = "pool.rules"
	// jobGoalBandsSweep evaluates every tenant's goal bands each hour;
	// service.JobGoalBands one tenant's, a little after its facts changed.
	jobGoalBandsSweep = "goal.bands.sweep"
)

// goalBandsDelay is how long after a change of a tenant's facts its goal
// bands are evaluated: the writes of that while fold into one evaluation.
const goalBandsDelay = 30 * time.Second

// wire builds the job runner, the outbox, the inbox and the HTTP server, and
// connects the services to them.
func (a *App) wire(ctx context.Context) error {
	a.Jobs = jobs.New(a.DB, jobs.Config{Log: a.Log})
	a.Jobs.RegisterHousekeeping(time.Hour)
	a.Outbox = outbox.New(a.DB, outbox.Config{Log: a.Log})
	a.Inbox = notify.New(a.DB, a.Outbox, notify.Options{Log: a.Log})
	a.Service.SetNotifier(notifier{a.Inbox})
	a.Service.SetFactsListener(func(tenantID cohort.ID) {
		a.Inbox.Hub().PublishFacts(tenantID)
		a.Inbox.AnnounceFacts(tenantID) // to the other servers, on PostgreSQL
		a.Jobs.Debounce(service.JobGoalBands, service.JobGoalBands+":"+tenantID.String(), service.GoalBandsJob{TenantID: tenantID}, goalBandsDelay)
	})
	a.Service.SetReminders(reminders{a.Jobs})
	a.Service.SetFiles(files.Local{Dir: a.Config.AttachmentsDir})
	a.Service.SetJobs(a.Jobs)
	a.Jobs.Register(service.JobImport, a.runImport)
	a.Jobs.Register(jobRemind, a.remind)
	a.Jobs.Register(jobPoolRules, a.poolRules)
	a.Jobs.Every(jobPoolRules, time.Hour)
	a.Jobs.Register(service.JobGoalBands, a.goalBands)
	a.Jobs.Register(jobGoalBandsSweep, a.goalBandsSweep)
	a.Jobs.Every(jobGoalBandsSweep, time.Hour)
	a.API = api.New(a.Service, inbox{a.Inbox}, a.Log, a.Metrics, a.apiOptions())
	a.API.SetReady(a.ready)
	return nil
}

// background runs the job runner, the outbox deliverer, the cross-server
// notification fan-out and periodic database upkeep until ctx ends.
func (a *App) background(ctx context.Context) {
	defer close(a.done)
	var wg sync.WaitGroup
	for name, run := range map[string]func(context.Context) error{
		"jobs": a.Jobs.Run, "outbox": a.Outbox.Run, "fanout": a.Inbox.RunFanout,
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil && ctx.Err() == nil {
				a.Log.Error("background task stopped", "task", name, "err", err)
			}
		}()
	}
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
			if err := a.DB.Checkpoint(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("checkpoint", "err", err)
			}
		}
	}
}

// notifier adapts the inbox to the service's Notifier.
type notifier struct{ n *notify.Service }

func (n notifier) Notify(ctx context.Context, tx *store.Tx, tenantID, userID cohort.ID, kind string, params map[string]any, link string) error {
	_, err := n.n.Notify(ctx, tx, tenantID, userID, kind, params, link)
	return err
}

// inbox adapts the inbox to the API's Inbox.
type inbox struct{ *notify.Service }

func (i inbox) MarkAllRead(ctx context.Context, tenantID, userID cohort.ID) error {
	_, err := i.Service.MarkAllRead(ctx, tenantID, userID)
	return err
}

func (i inbox) ServeSSE(w http.ResponseWriter, r *http.Request, tenantID, userID cohort.ID, locale string) {
	i.Service.ServeSSE(w, r, tenantID, userID, locale)
}

// reminders schedules a job at the opening of each next action's window.
type reminders struct{ r *jobs.Runner }

type remindPayload struct {
	TenantID cohort.ID `json:"tenant_id"`
	ActionID cohort.ID `json:"action_id"`
}

func (r reminders) Schedule(ctx context.Context, tx *store.Tx, n *cohort.NextAction) error {
	_, err := r.r.Enqueue(ctx, tx, jobRemind, remindPayload{TenantID: n.TenantID, ActionID: n.ID}, n.DueFrom)
	return err
}

// remind tells a next action's owner that its window has opened, unless it
// was done (or handed on) meanwhile.
func (a *App) remind(ctx context.Context, j jobs.Job) error {
	var p remindPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return jobs.Permanent(err)
	}
	return a.DB.WriteTx(ctx, func(tx *store.Tx) error {
		n, err := store.FindNextAction(ctx, tx, p.TenantID, p.ActionID)
		if cohort.ErrorCode(err) == cohort.ENOTFOUND {
			return nil
		}
		if err != nil || n.Status != cohort.ActionOpen {
			return err
		}
		_, err = a.Inbox.Notify(ctx, tx, n.TenantID, n.OwnerID, notify.KindNextActionDue,
			map[string]any{"customer": n.CustomerName, "plan": n.PlanType}, "/customers/"+n.CustomerID.String())
		return err
	})
}

// poolRules runs every tenant's pool rules.
func (a *App) poolRules(ctx context.Context, _ jobs.Job) error {
	tenants, err := store.TenantIDs(ctx, a.DB.Read())
	if err != nil {
		return err
	}
	for _, t := range tenants {
		run, err := a.Service.ApplyPoolRules(ctx, t)
		if err != nil {
			return err
		}
		if run.Returned+run.Warned > 0 {
			a.Log.Info("pool rules", "tenant", t, "returned", run.Returned, "warned", run.Warned)
		}
	}
	return nil
}

// goalBands evaluates one tenant's goal bands (service/goalbands.go).
func (a *App) goalBands(ctx context.Context, j jobs.Job) error {
	var p service.GoalBandsJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return jobs.Permanent(err)
	}
	run, err := a.Service.EvaluateGoalBands(ctx, p.TenantID)
	if cohort.ErrorCode(err) == cohort.ENOTFOUND {
		return nil // the tenant is gone
	}
	if run.Notified > 0 {
		a.Log.Info("goal bands", "tenant", p.TenantID, "changed", run.Changed, "notified", run.Notified)
	}
	return err
}

// goalBandsSweep evaluates every tenant's goal bands: targets changed and
// periods began since the last run, and debounced runs a stopped server
// lost.
func (a *App) goalBandsSweep(ctx context.Context, _ jobs.Job) error {
	tenants, err := store.TenantIDs(ctx, a.DB.Read())
	if err != nil {
		return err
	}
	for _, t := range tenants {
		run, err := a.Service.EvaluateGoalBands(ctx, t)
		if err != nil {
			return err
		}
		if run.Notified > 0 {
			a.Log.Info("goal bands", "tenant", t, "changed", run.Changed, "notified", run.Notified)
		}
	}
	return nil
}

// runImport works an import as its uploader.
func (a *App) runImport(ctx context.Context, j jobs.Job) error {
	var p service.ImportJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return jobs.Permanent(err)
	}
	return a.Service.RunImport(ctx, p, j.Attempt >= j.MaxAttempts)
}
