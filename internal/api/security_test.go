package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/api"
	"github.com/cohortcrm/cohort/internal/obs"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestSecureHeadersAndCrossOrigin(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	c := e.login("admin@acme.test", adminPassword)
	res := c.do("GET", "/api/v1/me", nil, nil)
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := res.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := res.header.Get("Content-Security-Policy"); csp == "" || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	if res.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
	// A cookie-authenticated write from another site is refused and changes nothing.
	cross := c.do("POST", "/api/v1/business-roles", map[string]any{"key": "evil", "name_zh": "坏", "name_en": "Evil"},
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	if cross.status != 403 {
		t.Fatalf("cross-site write: %d %s", cross.status, cross.body)
	}
	var roles cohort.Page[cohort.BusinessRole]
	c.must(200, "GET", "/api/v1/business-roles", nil, &roles)
	for _, r := range roles.Items {
		if r.Key == "evil" {
			t.Fatal("the cross-site write went through")
		}
	}
	// The same write from the same origin goes through.
	same := c.do("POST", "/api/v1/business-roles", map[string]any{"key": "good", "name_zh": "好", "name_en": "Good"},
		map[string]string{"Sec-Fetch-Site": "same-origin"})
	if same.status != 201 {
		t.Fatalf("same-origin write: %d %s", same.status, same.body)
	}
	// The session cookie is HttpOnly and SameSite.
	login := (&client{e: e, http: &http.Client{}}).do("POST", "/api/v1/auth/login", map[string]string{"email": "admin@acme.test", "password": adminPassword}, nil)
	ck := login.header.Get("Set-Cookie")
	if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
		t.Fatalf("cookie %q", ck)
	}
}

func TestSessionExpiry(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		clock := &fakeClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		svc := service.New(db, clock, log, service.Options{PasswordMemoryKiB: 64, PasswordTime: 1, SessionTTL: 8 * time.Hour, SessionIdleTTL: time.Hour})
		srv := httptest.NewServer(api.New(svc, nil, log, obs.NewRegistry(), api.Options{}))
		t.Cleanup(srv.Close)
		e := &env{t: t, db: db, svc: svc, srv: srv}
		e.tenant, e.admin = e.newTenant("acme", "admin@acme.test")

		c := e.login("admin@acme.test", adminPassword)
		// Used every 50 minutes, the session lives on past the idle limit...
		for i := 0; i < 5; i++ {
			clock.Add(50 * time.Minute)
			c.must(200, "GET", "/api/v1/me", nil, nil)
		}
		// ...until its absolute lifetime ends.
		clock.Add(4 * time.Hour)
		if res := c.do("GET", "/api/v1/me", nil, nil); res.status != 401 {
			t.Fatalf("after 8h: %d", res.status)
		}
		// Unused for longer than the idle limit, a session ends.
		c = e.login("admin@acme.test", adminPassword)
		clock.Add(61 * time.Minute)
		if res := c.do("GET", "/api/v1/me", nil, nil); res.status != 401 || res.problem(t).Code != "unauthorized" {
			t.Fatalf("after idle hour: %d", res.status)
		}
	})
}
