// Package app assembles a Cohort server from its configuration: database,
// migrations, services, jobs and the HTTP server. The binary and the
// end-to-end tests share it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/api"
	"github.com/cohortcrm/cohort/internal/config"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/jobs"
	"github.com/cohortcrm/cohort/internal/notify"
	"github.com/cohortcrm/cohort/internal/obs"
	"github.com/cohortcrm/cohort/internal/outbox"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/web"
)

// Version is set at build time with -ldflags "-X .../internal/app.Version=...".
var Version = "dev"

// App is one running Cohort server.
type App struct {
	Config  *config.Config
	Log     *slog.Logger
	DB      *store.DB
	Service *service.Service
	API     *api.Server
	Metrics *obs.Registry
	Jobs    *jobs.Runner
	Outbox  *outbox.Outbox
	Inbox   *notify.Service

	http     *http.Server
	listener net.Listener
	stop     context.CancelFunc
	done     chan struct{}
}

// Open connects to the database, migrates it and builds the services. It
// starts nothing; Start does.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	db, err := store.Open(ctx, cfg.DB, store.Options{Synchronous: cfg.SQLiteSync, ReadConns: cfg.DBReadConns, ReadCacheMB: cfg.SQLiteReadCacheMB,
		GroupCommit: store.GroupCommit{MaxBatch: cfg.SQLiteBatch, MaxWait: gcWait(cfg.SQLiteBatchWait)}})
	if err != nil {
		return nil, err
	}
	n, err := db.Migrate(ctx, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("database migrated", "applied", n)
	}
	// Indexes of facts a rebuild from empty dropped and did not build again
	// (it was stopped half way).
	if err := facts.RestoreIndexes(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db, Metrics: obs.NewRegistry()}
	a.Service = service.New(db, cohort.SystemClock{}, log, service.Options{
		SessionTTL: cfg.SessionTTL, SessionIdleTTL: cfg.SessionIdleTTL,
		LoginMaxFailures: cfg.LoginMaxFailures, LoginWindow: cfg.LoginLockout, LoginLockout: cfg.LoginLockout,
		LoginAddressMaxFailures: addressLimit(cfg.LoginAddressMaxFailures), LoginAddressWindow: cfg.LoginAddressWindow,
		FilesDir: cfg.AttachmentsDir,
	})
	if err := a.wire(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// FirstRun creates the first tenant from COHORT_ADMIN_EMAIL and
// COHORT_ADMIN_PASSWORD on an empty database.
func (a *App) FirstRun(ctx context.Context) error {
	created, err := a.Service.EnsureFirstRun(ctx, a.Config.AdminEmail, a.Config.AdminPassword)
	if err != nil {
		return fmt.Errorf("first run: %w", err)
	}
	if created {
		a.Log.Info("first run: created tenant and administrator", "email", a.Config.AdminEmail)
	}
	return nil
}

// Start listens and serves in the background.
func (a *App) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	a.listener = ln
	a.http = &http.Server{
		Handler:           a.API,
		ReadTimeout:       a.Config.ReadTimeout,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      a.Config.WriteTimeout,
		IdleTimeout:       a.Config.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stop = stop
	a.done = make(chan struct{})
	go a.background(bg)
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("http server", "err", err)
		}
	}()
	return nil
}

// URL is where the server answers.
func (a *App) URL() string {
	if a.listener == nil {
		return a.Config.BaseURL
	}
	addr := a.listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// Shutdown stops taking requests, lets running ones finish within the
// shutdown timeout, stops background work and closes the database.
func (a *App) Shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.Config.ShutdownTimeout)
	defer cancel()
	var errs []error
	if a.http != nil {
		errs = append(errs, a.http.Shutdown(ctx))
	}
	if a.stop != nil {
		a.stop()
		select {
		case <-a.done:
		case <-ctx.Done():
			errs = append(errs, errors.New("background work did not stop in time"))
		}
	}
	errs = append(errs, a.DB.Close())
	return errors.Join(errs...)
}

// addressLimit is the service's form of the address limit: off is negative.
func addressLimit(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func (a *App) apiOptions() api.Options {
	return api.Options{
		MaxBodyBytes: a.Config.MaxBodyBytes, SecureCookies: a.Config.SecureCookies, SessionTTL: a.Config.SessionTTL,
		TrustedProxies: a.Config.TrustedProxies, MetricsToken: a.Config.MetricsToken, Version: Version, UI: web.Dist(),
		RateLimit: a.Config.RateLimit, RateBurst: a.Config.RateBurst, Signup: a.Config.Signup,
	}
}

func (a *App) ready(ctx context.Context) error {
	if err := a.DB.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	n, err := a.DB.Pending(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d migrations pending", n)
	}
	return nil
}

// gcWait turns the configured batch wait into the store's: 0 there means
// the default, so "never wait" is negative.
func gcWait(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
