package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/api"
	"github.com/cohortcrm/cohort/internal/obs"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// TestLoginEqualTime: a login with an unknown email takes as long as one with
// a wrong password (medians within 10 %), so that the time does not tell
// which emails have an account. The password hash has a real cost here, so
// that it, not the noise, is what the time measures.
func TestLoginEqualTime(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		svc := service.New(db, cohort.SystemClock{}, log, service.Options{PasswordMemoryKiB: 8 * 1024, PasswordTime: 2,
			LoginMaxFailures: 1 << 20, LoginAddressMaxFailures: 1 << 20})
		if _, _, err := svc.CreateTenant(t.Context(), service.NewTenant{Tenant: cohort.Tenant{Name: "Timing", Slug: "timing"},
			AdminName: "Admin", AdminEmail: "admin@timing.test", AdminPassword: adminPassword}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api.New(svc, nil, log, obs.NewRegistry(), api.Options{}))
		defer srv.Close()
		login := func(email string) time.Duration {
			body := `{"email":"` + email + `","password":"not the password"}`
			start := time.Now()
			res, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json", strings.NewReader(body))
			d := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 401 {
				t.Fatalf("login %s: %d", email, res.StatusCode)
			}
			return d
		}
		login("admin@timing.test") // warm up
		login("nobody@timing.test")
		// Other work on the machine only adds noise, which can push one
		// measurement apart; a real difference (one hash more or less)
		// shows in every one. So up to three measurements, one must agree.
		var ratio float64
		for attempt := 0; attempt < 3; attempt++ {
			var known, unknown []time.Duration
			// Interleaved, so that a load change hits both, and each first
			// every other time (the second of two is slower).
			for i := 0; i < 60; i++ {
				nobody := "nobody" + string(rune('a'+i%26)) + "@timing.test"
				if i%2 == 0 {
					known = append(known, login("admin@timing.test"))
					unknown = append(unknown, login(nobody))
				} else {
					unknown = append(unknown, login(nobody))
					known = append(known, login("admin@timing.test"))
				}
			}
			mk, mu := median(known), median(unknown)
			ratio = float64(mu) / float64(mk)
			t.Logf("median wrong password %v, unknown email %v, ratio %.3f", mk, mu, ratio)
			if ratio >= 0.9 && ratio <= 1.1 {
				return
			}
		}
		t.Fatalf("unknown email vs wrong password: median ratio %.2f, want within 10 %%", ratio)
	})
}

// TestLoginBoundsInput: an over-long email or password is refused before any
// lookup or write, naming the field; nothing reaches login_failures.
func TestLoginBoundsInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		anon := &client{e: e, http: &http.Client{}}
		for _, tc := range []struct{ field, email, password string }{
			{"email", strings.Repeat("a", 300) + "@acme.test", "whatever1"},
			{"email", strings.Repeat("a", 900_000) + "@acme.test", "whatever1"},
			{"password", "admin@acme.test", strings.Repeat("p", 1025)},
		} {
			res := anon.do("POST", "/api/v1/auth/login", map[string]string{"email": tc.email, "password": tc.password}, nil)
			if res.status != 422 {
				t.Fatalf("%s of %d bytes: %d %.200s", tc.field, len(tc.email)+len(tc.password), res.status, res.body)
			}
			if p := res.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				t.Fatalf("%s: %+v", tc.field, p)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM login_failures"); n != 0 {
			t.Fatalf("%d login failures recorded of refused input", n)
		}
	})
}

// TestLoginLimitsAccountAndAddress: five failures lock the account, not the
// address: a colleague behind the same address still logs in. The address
// has a limit of its own, higher, which a guesser trying many accounts meets;
// a 429 says when to retry.
func TestLoginLimitsAccountAndAddress(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		anon := &client{e: o.env, http: &http.Client{}}
		for i := 0; i < 5; i++ {
			anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "alice@acme.test", "password": "wrong password"}, nil)
		}
		res := anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "alice@acme.test", "password": "sales-pass-2026"}, nil)
		if res.status != 429 || res.header.Get("Retry-After") == "" {
			t.Fatalf("locked account: %d Retry-After %q", res.status, res.header.Get("Retry-After"))
		}
		o.login("bob@acme.test", "sales-pass-2026") // same address, another account
		// A guesser going through accounts meets the address's limit (50).
		status := 0
		for i := 0; i < 60 && status != 429; i++ {
			status = anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "guess" + strconv.Itoa(i) + "@acme.test", "password": "wrong password"}, nil).status
		}
		if status != 429 {
			t.Fatal("60 failures over many accounts from one address were not limited")
		}
	})
}
