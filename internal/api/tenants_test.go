package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestDisabledTenantStops: disabling a tenant stops its sessions and API
// tokens at once, although their principals are cached, and its people
// cannot log in; another tenant goes on. Enabled again, people log in and
// the tokens work; the sessions stay ended.
func TestDisabledTenantStops(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.newTenant("other", "admin@other.test")
		a := e.login("admin@acme.test", adminPassword)
		other := e.login("admin@other.test", adminPassword)
		var tok struct{ Secret string }
		a.must(201, "POST", "/api/v1/me/tokens", map[string]any{"name": "script"}, &tok)
		anon := &client{e: e, http: &http.Client{}}
		bearer := map[string]string{"Authorization": "Bearer " + tok.Secret}
		a.must(200, "GET", "/api/v1/me", nil, nil) // both principals cached now
		if r := anon.do("GET", "/api/v1/me", nil, bearer); r.status != 200 {
			t.Fatalf("token: %d", r.status)
		}
		if _, err := e.svc.SetTenantDisabled(context.Background(), "acme", true); err != nil {
			t.Fatal(err)
		}
		if r := a.do("GET", "/api/v1/me", nil, nil); r.status != 401 {
			t.Fatalf("session of a disabled tenant: %d", r.status)
		}
		if r := anon.do("GET", "/api/v1/me", nil, bearer); r.status != 401 {
			t.Fatalf("token of a disabled tenant: %d", r.status)
		}
		if r := anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "admin@acme.test", "password": adminPassword}, nil); r.status != 401 {
			t.Fatalf("login to a disabled tenant: %d %s", r.status, r.body)
		}
		other.must(200, "GET", "/api/v1/me", nil, nil)
		if _, err := e.svc.SetTenantDisabled(context.Background(), "acme", false); err != nil {
			t.Fatal(err)
		}
		if r := a.do("GET", "/api/v1/me", nil, nil); r.status != 401 {
			t.Fatalf("a session ended by the disable came back: %d", r.status)
		}
		if r := anon.do("GET", "/api/v1/me", nil, bearer); r.status != 200 {
			t.Fatalf("token after enable: %d", r.status)
		}
		e.login("admin@acme.test", adminPassword)
	})
}
