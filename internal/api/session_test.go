package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestSessionCheck: a page checks its session without an error — 200
// whether or not it is logged in; a stale cookie is cleared.
func TestSessionCheck(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		type session struct {
			Authenticated bool `json:"authenticated"`
			User          *struct {
				Email string `json:"email"`
			} `json:"user"`
		}
		read := func(c *client) session {
			t.Helper()
			res := c.do("GET", "/api/v1/auth/session", nil, nil)
			if res.status != 200 {
				t.Fatalf("session check: %d %s", res.status, res.body)
			}
			var s session
			if err := json.Unmarshal(res.body, &s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		jar, _ := cookiejar.New(nil)
		anon := &client{e: e, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
		if s := read(anon); s.Authenticated || s.User != nil {
			t.Fatalf("anonymous: %+v", s)
		}
		admin := e.login("admin@acme.test", adminPassword)
		if s := read(admin); !s.Authenticated || s.User == nil || s.User.Email != "admin@acme.test" {
			t.Fatalf("logged in: %+v", s)
		}
		u, _ := url.Parse(e.srv.URL)
		jar.SetCookies(u, []*http.Cookie{{Name: "cohort_session", Value: "s.1.stale", Path: "/"}})
		if s := read(anon); s.Authenticated {
			t.Fatalf("a stale cookie: %+v", s)
		}
		for _, c := range jar.Cookies(u) {
			if c.Name == "cohort_session" && c.Value != "" {
				t.Fatalf("the stale cookie was kept: %q", c.Value)
			}
		}
	})
}
