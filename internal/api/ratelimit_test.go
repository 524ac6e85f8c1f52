package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/cohortcrm/cohort/internal/api"
	"github.com/cohortcrm/cohort/internal/obs"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestRequestRateLimit: each session and each API token has its own bucket;
// past it the answer is 429 with Retry-After, and the others go on.
func TestRequestRateLimit(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		base := newEnv(t, db)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		e := *base
		e.srv = httptest.NewServer(api.New(base.svc, nil, log, obs.NewRegistry(), api.Options{RateLimit: 60, RateBurst: 5}))
		defer e.srv.Close()
		a := e.login("admin@acme.test", adminPassword) // the login itself is not counted
		var tok struct{ Secret string }
		a.must(201, "POST", "/api/v1/me/tokens", map[string]any{"name": "script"}, &tok)
		for i := 1; i < 5; i++ {
			a.must(200, "GET", "/api/v1/me", nil, nil)
		}
		res := a.do("GET", "/api/v1/me", nil, nil)
		if res.status != 429 || res.problem(t).Code != "rate_limited" {
			t.Fatalf("6th request in a burst of 5: %d %s", res.status, res.body)
		}
		if s, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || s < 1 || s > 2 {
			t.Fatalf("Retry-After %q", res.header.Get("Retry-After"))
		}
		// Another session of the same user, and the token, have their own.
		b := e.login("admin@acme.test", adminPassword)
		b.must(200, "GET", "/api/v1/me", nil, nil)
		anon := &client{e: &e, http: &http.Client{}}
		for i := 0; i < 5; i++ {
			if r := anon.do("GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + tok.Secret}); r.status != 200 {
				t.Fatalf("token request %d: %d %s", i, r.status, r.body)
			}
		}
		if r := anon.do("GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + tok.Secret}); r.status != 429 {
			t.Fatalf("token past its burst: %d", r.status)
		}
	})
}
