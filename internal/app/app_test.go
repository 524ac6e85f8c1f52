package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/app"
	"github.com/cohortcrm/cohort/internal/config"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// start runs a whole server, as `cohort serve` does, on a fresh database.
func start(t *testing.T, engine store.Engine) *app.App {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.SQLiteSync = "NORMAL"
	cfg.AdminEmail, cfg.AdminPassword = "admin@app.test", "app-test-password"
	if engine == store.Postgres {
		cfg.DB = storetest.FreshSchema(t)
	} else {
		cfg.DB = filepath.Join(t.TempDir(), "cohort.db")
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.FirstRun(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	return a
}

type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func login(t *testing.T, a *app.App, email, password string) *client {
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: a.URL(), http: &http.Client{Jar: jar}}
	c.call("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, 200, nil)
	return c
}

func (c *client) call(method, path string, body any, want int, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatal(err)
		}
	}
}

// TestNotificationArrivesLive: an administrator changes a user's roles; the
// user's open event stream receives the notification, and the inbox has it.
func TestNotificationArrivesLive(t *testing.T) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			if engine == store.Postgres && storetest.PostgresDSN(t) == "" {
				t.Skip("COHORT_TEST_POSTGRES not set: PostgreSQL suite skipped")
			}
			a := start(t, engine)
			admin := login(t, a, "admin@app.test", "app-test-password")
			var roles cohort.Page[cohort.PermRole]
			admin.call("GET", "/api/v1/perm-roles", nil, 200, &roles)
			var u cohort.User
			admin.call("POST", "/api/v1/users", map[string]any{"name": "周敏", "email": "zhou@app.test", "password": "sales-pass-2026"}, 201, &u)
			user := login(t, a, "zhou@app.test", "sales-pass-2026")

			// The welcome message is in the inbox already.
			var count struct{ Count int }
			deadline := time.Now().Add(5 * time.Second)
			for count.Count == 0 && time.Now().Before(deadline) {
				user.call("GET", "/api/v1/notifications/unread-count", nil, 200, &count)
				time.Sleep(20 * time.Millisecond)
			}
			if count.Count != 1 {
				t.Fatalf("unread after welcome: %d", count.Count)
			}

			req, _ := http.NewRequest("GET", a.URL()+"/api/v1/events", nil)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := user.http.Do(req.WithContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
				t.Fatalf("events content type %q", ct)
			}
			got := make(chan string, 4)
			go func() {
				sc := bufio.NewScanner(res.Body)
				event := ""
				for sc.Scan() {
					line := sc.Text()
					if strings.HasPrefix(line, "event: ") {
						event = strings.TrimPrefix(line, "event: ")
					}
					if strings.HasPrefix(line, "data: ") && event == "notification" {
						got <- strings.TrimPrefix(line, "data: ")
					}
				}
			}()
			time.Sleep(100 * time.Millisecond) // let the stream subscribe
			admin.call("PATCH", "/api/v1/users/"+u.ID.String(), map[string]any{"perm_role_ids": []cohort.ID{roles.Items[len(roles.Items)-1].ID}}, 200, nil)
			for {
				select {
				case data := <-got:
					var n cohort.Notification
					if err := json.Unmarshal([]byte(data), &n); err != nil {
						t.Fatal(err)
					}
					if n.Kind != "perm_roles_changed" {
						continue // a replayed welcome
					}
					if n.Title != "权限角色已变更" || n.UserID != u.ID {
						t.Fatalf("notification %+v", n)
					}
					user.call("POST", "/api/v1/notifications/read-all", nil, 204, nil)
					user.call("GET", "/api/v1/notifications/unread-count", nil, 200, &count)
					if count.Count != 0 {
						t.Fatalf("unread after read-all: %d", count.Count)
					}
					return
				case <-ctx.Done():
					t.Fatal("no notification arrived on the event stream")
				}
			}
		})
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	a := start(t, store.SQLite)
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/", "/users"} {
		res, err := http.Get(a.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
		if p == "/metrics" && !bytes.Contains(b, []byte("cohort_http_requests_total")) {
			t.Errorf("metrics lack request counters:\n%s", b)
		}
		if (p == "/" || p == "/users") && !bytes.Contains(b, []byte("<html")) && !bytes.Contains(b, []byte("<!doctype")) && !bytes.Contains(b, []byte("<!DOCTYPE")) {
			t.Errorf("%s is not the web UI: %.100s", p, b)
		}
	}
}
