package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/api"
	"github.com/cohortcrm/cohort/internal/obs"
	"github.com/cohortcrm/cohort/internal/service"
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

// TestSignup: off by default (404, and GET says so); on, it validates like
// `cohort tenant create`, naming the field and creating nothing, logs the new
// administrator in, and one address creates at most five companies an hour.
func TestSignup(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		base := newEnv(t, db)
		anon := &client{e: base, http: &http.Client{}}
		var state struct{ Enabled bool }
		anon.must(200, "GET", "/api/v1/signup", nil, &state)
		if state.Enabled {
			t.Fatal("sign-up on by default")
		}
		ok := map[string]any{"company": "东方贸易", "slug": "east", "name": "王总", "email": "wang@east.test", "password": "a long enough password"}
		if r := anon.do("POST", "/api/v1/signup", ok, nil); r.status != 404 {
			t.Fatalf("sign-up while off: %d", r.status)
		}
		e := *base
		e.srv = httptest.NewServer(api.New(base.svc, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), obs.NewRegistry(), api.Options{Signup: true}))
		defer e.srv.Close()
		anon = &client{e: &e, http: &http.Client{}}
		anon.must(200, "GET", "/api/v1/signup", nil, &state)
		if !state.Enabled {
			t.Fatal("GET /signup says off")
		}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for kk, vv := range ok {
				m[kk] = vv
			}
			m[k] = v
			return m
		}
		for _, tc := range []struct {
			body   map[string]any
			status int
			field  string
		}{
			{with("company", ""), 422, "company"},
			{with("slug", "Not A Slug"), 422, "slug"},
			{with("slug", "acme"), 409, "slug"},
			{with("email", "not-an-email"), 422, "email"},
			{with("password", "short"), 422, "password"},
			{with("name", ""), 422, "name"},
		} {
			r := anon.do("POST", "/api/v1/signup", tc.body, nil)
			if r.status != tc.status {
				t.Fatalf("%v: %d %s", tc.body, r.status, r.body)
			}
			if p := r.problem(t); len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
				t.Fatalf("%v: problem names %+v, want %s", tc.body, p.Errors, tc.field)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM tenants"); n != 1 {
			t.Fatalf("%d tenants after refused sign-ups", n)
		}
		jar, _ := cookiejar.New(nil)
		c := &client{e: &e, http: &http.Client{Jar: jar}}
		c.must(201, "POST", "/api/v1/signup", ok, nil)
		var me struct{ Tenant cohort.Tenant }
		c.must(200, "GET", "/api/v1/me", nil, &me)
		if me.Tenant.Slug != "east" || me.Tenant.Name != "东方贸易" {
			t.Fatalf("signed up into %+v", me.Tenant)
		}
		status := 0
		for i := 0; i < 6 && status != 429; i++ {
			status = anon.do("POST", "/api/v1/signup", with("slug", "east"+strconv.Itoa(i)), nil).status
		}
		if status != 429 {
			t.Fatal("one address created six companies")
		}
	})
}

// TestLoginPicksTenant: an email and password that match accounts in two
// companies get the companies to pick from; a wrong password learns nothing.
func TestLoginPicksTenant(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.newTenant("other", "admin@acme.test") // the same email and password
		anon := &client{e: e, http: &http.Client{}}
		r := anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "admin@acme.test", "password": adminPassword}, nil)
		if r.status != 422 {
			t.Fatalf("ambiguous login: %d %s", r.status, r.body)
		}
		p := r.problem(t)
		if len(p.Errors) != 1 || p.Errors[0].Field != "tenant" || len(p.Choices) != 2 {
			t.Fatalf("problem %+v", p)
		}
		slugs := map[string]string{}
		for _, ch := range p.Choices {
			slugs[ch.Value] = ch.Label
		}
		if slugs["acme"] != "Tenant acme" || slugs["other"] != "Tenant other" {
			t.Fatalf("choices %+v", p.Choices)
		}
		r = anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "admin@acme.test", "password": "wrong password"}, nil)
		if r.status != 401 || len(r.problem(t).Choices) != 0 {
			t.Fatalf("wrong password: %d %s", r.status, r.body)
		}
		anon.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "admin@acme.test", "password": adminPassword, "tenant": "other"}, nil)
	})
}

// TestPasswordNotPersonal: a password equal to the email, its name part or
// the company's name, or one of the most common passwords, is refused
// wherever a password is set.
func TestPasswordNotPersonal(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.login("admin@acme.test", adminPassword)
		for _, pw := range []string{"carol@acme.test", "CAROL@acme.test", "carol.zhang", "Tenant acme", "tenantacme"} {
			email := "carol@acme.test"
			if pw == "carol.zhang" {
				email = "carol.zhang@acme.test"
			}
			r := a.do("POST", "/api/v1/users", map[string]any{"name": "Carol", "email": email, "password": pw}, nil)
			if r.status != 422 || r.problem(t).Errors[0].Field != "password" {
				t.Fatalf("password %q for %s: %d %s", pw, email, r.status, r.body)
			}
		}
		if r := a.do("POST", "/api/v1/me/password", map[string]any{"current_password": adminPassword, "new_password": "admin@acme.test"}, nil); r.status != 422 {
			t.Fatalf("own password = own email: %d", r.status)
		}
		if _, _, err := e.svc.CreateTenant(context.Background(), service.NewTenant{Tenant: cohort.Tenant{Name: "Blue Sky Trading", Slug: "bluesky"},
			AdminName: "Admin", AdminEmail: "boss@bluesky.test", AdminPassword: "blue sky trading"}); cohort.ErrorCode(err) != cohort.EINVALID {
			t.Fatalf("tenant whose admin password is its name: %v", err)
		}
		// The most common passwords are refused, whatever their case.
		for _, pw := range []string{"password", "12345678", "Password1", "QWERTYUIOP", "iloveyou", "secret123"} {
			r := a.do("POST", "/api/v1/users", map[string]any{"name": "Carol", "email": "carol@acme.test", "password": pw}, nil)
			if r.status != 422 || r.problem(t).Errors[0].Field != "password" {
				t.Fatalf("common password %q: %d %s", pw, r.status, r.body)
			}
		}
		if !cohort.CommonPassword("Dragon") || cohort.CommonPassword("carol's own secret") {
			t.Fatal("CommonPassword")
		}
		a.must(201, "POST", "/api/v1/users", map[string]any{"name": "Carol", "email": "carol@acme.test", "password": "carol's own secret"}, nil)
	})
}
