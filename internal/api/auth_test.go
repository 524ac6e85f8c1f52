package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func TestSessionsAreRevoked(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.login("admin@acme.test", adminPassword)
		var u cohort.User
		admin.must(201, "POST", "/api/v1/users", map[string]any{"name": "李娜", "email": "li.na@acme.test", "password": "sales-pass-2026"}, &u)

		// Changing one's password ends the other sessions, not this one.
		laptop := e.login("li.na@acme.test", "sales-pass-2026")
		phone := e.login("li.na@acme.test", "sales-pass-2026")
		laptop.must(204, "POST", "/api/v1/me/password", map[string]any{"current_password": "sales-pass-2026", "new_password": "sales-pass-2027"}, nil)
		laptop.must(200, "GET", "/api/v1/me", nil, nil)
		if res := phone.do("GET", "/api/v1/me", nil, nil); res.status != 401 {
			t.Fatalf("other session after password change: %d", res.status)
		}
		if res := laptop.do("POST", "/api/v1/me/password", map[string]any{"current_password": "wrong-one", "new_password": "secret789"}, nil); res.status != 422 {
			t.Fatalf("wrong current password: %d", res.status)
		}

		// An administrator disabling the user ends all their sessions.
		admin.must(200, "PATCH", "/api/v1/users/"+u.ID.String(), map[string]any{"status": "disabled"}, nil)
		if res := laptop.do("GET", "/api/v1/me", nil, nil); res.status != 401 {
			t.Fatalf("session of a disabled user: %d", res.status)
		}
		anon := &client{e: e, http: &http.Client{}}
		if res := anon.do("POST", "/api/v1/auth/login", map[string]any{"email": "li.na@acme.test", "password": "sales-pass-2027"}, nil); res.status != 401 {
			t.Fatalf("disabled user logs in: %d", res.status)
		}
		// An administrator cannot disable themselves.
		if res := admin.do("PATCH", "/api/v1/users/"+e.admin.ID.String(), map[string]any{"status": "disabled"}, nil); res.status != 422 {
			t.Fatalf("self-disable: %d", res.status)
		}
	})
}

func TestAPITokens(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.login("admin@acme.test", adminPassword)
		var roles cohort.Page[cohort.PermRole]
		admin.must(200, "GET", "/api/v1/perm-roles", nil, &roles)
		var viewer cohort.PermRole
		admin.must(201, "POST", "/api/v1/perm-roles", map[string]any{"name": "read users",
			"grants": map[string]any{"user": map[string]any{"actions": []string{"view"}, "scope": "all"}}}, &viewer)
		var tok cohort.APIToken
		admin.must(201, "POST", "/api/v1/me/tokens", map[string]any{"name": "ERP sync", "perm_role_id": viewer.ID, "ttl_days": 30}, &tok)
		if tok.Secret == "" || tok.ExpiresAt == nil {
			t.Fatalf("token %+v", tok)
		}
		bearer := func(method, path string, body any) response {
			c := &client{e: e, http: &http.Client{}}
			return c.do(method, path, body, map[string]string{"Authorization": "Bearer " + tok.Secret})
		}
		if res := bearer("GET", "/api/v1/users", nil); res.status != 200 {
			t.Fatalf("token reads users: %d %s", res.status, res.body)
		}
		// The token's role narrows the administrator's permissions.
		if res := bearer("POST", "/api/v1/departments", map[string]any{"name": "x", "parent_id": e.admin.DepartmentID}); res.status != 403 {
			t.Fatalf("token beyond its role: %d", res.status)
		}
		var list cohort.Page[cohort.APIToken]
		admin.must(200, "GET", "/api/v1/me/tokens", nil, &list)
		if len(list.Items) != 1 || list.Items[0].Secret != "" {
			t.Fatalf("token list leaks or misses: %+v", list.Items)
		}
		admin.must(204, "DELETE", "/api/v1/me/tokens/"+tok.ID.String(), nil, nil)
		if res := bearer("GET", "/api/v1/users", nil); res.status != 401 {
			t.Fatalf("revoked token: %d", res.status)
		}
		if res := bearer("GET", "/api/v1/users", nil); res.header.Get("WWW-Authenticate") == "" {
			t.Fatalf("401 without WWW-Authenticate")
		}
	})
}

func TestFirstRun(t *testing.T) {
	// On an empty database the first run makes a tenant; a second does nothing.
	fresh := newEnvEmpty(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	made, err := fresh.svc.EnsureFirstRun(ctx, "boss@first.test", "first-run-password")
	if err != nil || !made {
		t.Fatalf("first run: %v %v", made, err)
	}
	made, err = fresh.svc.EnsureFirstRun(ctx, "other@first.test", "first-run-password")
	if err != nil || made {
		t.Fatalf("second first run: %v %v", made, err)
	}
	fresh.login("boss@first.test", "first-run-password").must(200, "GET", "/api/v1/me", nil, nil)
}
