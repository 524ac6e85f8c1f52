package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/api"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/jobs"
	"github.com/cohortcrm/cohort/internal/obs"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// env is one running server on a fresh database with one tenant.
type env struct {
	t      testing.TB
	db     *store.DB
	svc    *service.Service
	srv    *httptest.Server
	api    *api.Server
	tenant *cohort.Tenant
	admin  *cohort.User
	// jobs works imports when the test calls runJobs.
	jobs  *jobs.Runner
	files string
}

const adminPassword = "correct horse battery"

func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	e := newEnvEmpty(t, db)
	e.tenant, e.admin = e.newTenant("acme", "admin@acme.test")
	return e
}

// newEnvEmpty is a server on db with no tenant.
func newEnvEmpty(t testing.TB, db *store.DB) *env {
	t.Helper()
	return newEnvUpload(t, db, testMaxUpload)
}

// newEnvUpload is newEnvEmpty with uploads of up to maxUpload bytes.
func newEnvUpload(t testing.TB, db *store.DB, maxUpload int64) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	files := t.TempDir()
	svc := service.New(db, cohort.SystemClock{}, log, service.Options{PasswordMemoryKiB: 64, PasswordTime: 1, FilesDir: files, MaxImportBytes: maxUpload})
	runner := jobs.New(db, jobs.Config{Log: log, MaxAttempts: 2})
	svc.SetJobs(runner)
	runner.Register(service.JobImport, func(ctx context.Context, j jobs.Job) error {
		var p service.ImportJob
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return err
		}
		return svc.RunImport(ctx, p, j.Attempt >= j.MaxAttempts)
	})
	a := api.New(svc, nil, log, obs.NewRegistry(), api.Options{MaxUploadBytes: maxUpload + 64<<10})
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	// Whatever a test did through the API, the facts kept by its writes are
	// the facts a rebuild would make (checked before the database closes).
	t.Cleanup(func() { verifyFacts(t, db) })
	return &env{t: t, db: db, svc: svc, srv: srv, api: a, jobs: runner, files: files}
}

// verifyFacts fails t when any tenant's stored facts differ from a fresh
// projection of its records.
func verifyFacts(t testing.TB, db *store.DB) {
	t.Helper()
	if t.Failed() {
		return
	}
	ctx := context.Background()
	rows, err := db.Read().QueryContext(ctx, "SELECT id FROM tenants")
	if err != nil {
		t.Fatal(err)
	}
	var ids []cohort.ID
	for rows.Next() {
		var id cohort.ID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		tn, err := store.FindTenant(ctx, db.Read(), id)
		if err != nil {
			t.Fatal(err)
		}
		diffs, err := facts.Verify(ctx, db, tn, 10, nil)
		if err != nil {
			t.Fatalf("verify facts: %v", err)
		}
		if len(diffs) > 0 {
			t.Errorf("tenant %s: stored facts differ from a rebuild:\n%s", tn.Slug, strings.Join(diffs, "\n"))
		}
	}
}

// testMaxUpload is the tests' upload limit, small enough to exceed cheaply.
const testMaxUpload = 4 << 20

// runJobs works queued jobs until none is due.
func (e *env) runJobs() {
	e.t.Helper()
	for {
		n, err := e.jobs.RunOnce(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func (e *env) newTenant(slug, email string) (*cohort.Tenant, *cohort.User) {
	e.t.Helper()
	t, u, err := e.svc.CreateTenant(context.Background(), service.NewTenant{
		Tenant: cohort.Tenant{Name: "Tenant " + slug, Slug: slug}, AdminName: "Admin " + slug, AdminEmail: email, AdminPassword: adminPassword})
	if err != nil {
		e.t.Fatal(err)
	}
	return t, u
}

// client is a cookie-session client of env.
type client struct {
	e    *env
	http *http.Client
}

func (e *env) login(email, password string) *client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{e: e, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	res := c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, nil)
	if res.status != 200 {
		e.t.Fatalf("login %s: %d %s", email, res.status, res.body)
	}
	return c
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) problem(t testing.TB) api.Problem {
	t.Helper()
	var p api.Problem
	r.json(t, &p)
	if r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("problem content type %q", r.header.Get("Content-Type"))
	}
	return p
}

// do sends body (a string is sent as is, anything else as JSON).
func (c *client) do(method, path string, body any, hdr map[string]string) response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (c *client) must(status int, method, path string, body any, out any) {
	c.e.t.Helper()
	res := c.do(method, path, body, nil)
	if res.status != status {
		c.e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.status, status, res.body)
	}
	if out != nil {
		res.json(c.e.t, out)
	}
}

func TestLoginSessionLogout(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		anon := &client{e: e, http: &http.Client{}}
		if res := anon.do("GET", "/api/v1/me", nil, nil); res.status != 401 || res.problem(t).Code != "unauthorized" {
			t.Fatalf("anonymous /me: %d %s", res.status, res.body)
		}
		bad := anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "admin@acme.test", "password": "wrong password"}, nil)
		if bad.status != 401 {
			t.Fatalf("wrong password: %d", bad.status)
		}
		c := e.login("ADMIN@acme.test ", adminPassword)
		var me struct {
			User        cohort.User
			Tenant      cohort.Tenant
			Permissions cohort.Permissions
		}
		c.must(200, "GET", "/api/v1/me", nil, &me)
		if me.User.ID != e.admin.ID || me.Tenant.TimeZone != "Asia/Shanghai" || me.Tenant.Currency != "CNY" || !me.Permissions.Can(cohort.ObjUser, cohort.ActAdminister) {
			t.Fatalf("me = %+v", me)
		}
		c.must(204, "POST", "/api/v1/auth/logout", nil, nil)
		if res := c.do("GET", "/api/v1/me", nil, nil); res.status != 401 {
			t.Fatalf("after logout: %d", res.status)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		anon := &client{e: e, http: &http.Client{}}
		for i := 0; i < 5; i++ {
			anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "admin@acme.test", "password": "nope nope"}, nil)
		}
		res := anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "admin@acme.test", "password": adminPassword}, nil)
		if res.status != 429 || res.problem(t).Code != "rate_limited" {
			t.Fatalf("after 5 failures the right password got %d %s", res.status, res.body)
		}
	})
}

func TestUsersAndOptimisticConcurrency(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.login("admin@acme.test", adminPassword)
		var depts cohort.Page[cohort.Department]
		c.must(200, "GET", "/api/v1/departments", nil, &depts)
		root := depts.Items[0]
		var sales cohort.Department
		c.must(201, "POST", "/api/v1/departments", map[string]any{"name": "华东销售部", "parent_id": root.ID}, &sales)

		var u cohort.User
		c.must(201, "POST", "/api/v1/users", map[string]any{"name": "张伟", "email": "zhang.wei@acme.test", "phone": "+86 138-0013-8000",
			"password": "secret123", "department_id": sales.ID}, &u)
		if u.Phone != "13800138000" || u.DepartmentID != sales.ID || u.Version != 1 {
			t.Fatalf("created %+v", u)
		}
		// Stale If-Match: 412 and nothing changes.
		c.must(200, "PATCH", "/api/v1/users/"+u.ID.String(), map[string]any{"name": "张伟伟"}, nil)
		res := c.do("PATCH", "/api/v1/users/"+u.ID.String(), map[string]any{"name": "Stale"}, map[string]string{"If-Match": `"v1"`})
		if res.status != 412 || res.problem(t).Code != "precondition_failed" {
			t.Fatalf("stale write: %d %s", res.status, res.body)
		}
		var got cohort.User
		c.must(200, "GET", "/api/v1/users/"+u.ID.String(), nil, &got)
		if got.Name != "张伟伟" || got.Version != 2 {
			t.Fatalf("after stale write: %+v", got)
		}
		// Moving the user opens a new org span.
		c.must(200, "PATCH", "/api/v1/users/"+u.ID.String(), map[string]any{"department_id": root.ID}, nil)
		var hist cohort.Page[cohort.OrgAssignment]
		c.must(200, "GET", "/api/v1/users/"+u.ID.String()+"/org-history", nil, &hist)
		if len(hist.Items) != 2 || hist.Items[0].ValidTo == nil || hist.Items[0].DepartmentID != sales.ID || hist.Items[1].DepartmentID != root.ID {
			t.Fatalf("org history %+v", hist.Items)
		}
		// The audit log has the change with before and after.
		var audit cohort.Page[cohort.AuditEntry]
		c.must(200, "GET", "/api/v1/audit?object_id="+u.ID.String()+"&action=update", nil, &audit)
		if len(audit.Items) != 2 {
			t.Fatalf("audit entries %d, want 2", len(audit.Items))
		}
		ch := audit.Items[1].Changes // oldest update: the name
		if len(ch) != 1 || ch[0].Field != "name" || string(ch[0].Before) != `"张伟"` || string(ch[0].After) != `"张伟伟"` || audit.Items[1].RequestID == "" {
			t.Fatalf("audit changes %+v", audit.Items[1])
		}
	})
}

func TestBadInputChangesNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.login("admin@acme.test", adminPassword)
		cases := []struct {
			name, body string
			status     int
			code       string
		}{
			{"malformed", `{"name": "x",`, 400, "invalid_json"},
			{"unknown field", `{"name":"x","email":"x@acme.test","password":"secret123","salary":1}`, 400, "invalid_json"},
			{"wrong type", `{"name":42,"email":"x@acme.test","password":"secret123"}`, 400, "invalid_json"},
			{"two values", `{"name":"x"} {"name":"y"}`, 400, "invalid_json"},
			{"empty", ``, 400, "invalid_json"},
			{"bad email", `{"name":"x","email":"not-an-email","password":"secret123"}`, 422, "validation"},
			{"bad phone", `{"name":"x","email":"x@acme.test","phone":"call me","password":"secret123"}`, 422, "validation"},
			{"short password", `{"name":"x","email":"x@acme.test","password":"short"}`, 422, "validation"},
			{"unknown department", `{"name":"x","email":"x@acme.test","password":"secret123","department_id":"123"}`, 422, "validation"},
			{"numeric id", `{"name":"x","email":"x@acme.test","password":"secret123","department_id":123}`, 400, "invalid_json"},
			{"oversized", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "too_large"},
		}
		for _, tc := range cases {
			res := c.do("POST", "/api/v1/users", tc.body, nil)
			if res.status != tc.status || res.problem(t).Code != tc.code {
				t.Errorf("%s: got %d %s, want %d %s", tc.name, res.status, truncate(res.body), tc.status, tc.code)
			}
		}
		var users cohort.Page[cohort.User]
		c.must(200, "GET", "/api/v1/users", nil, &users)
		if len(users.Items) != 1 {
			t.Fatalf("bad input created users: %d", len(users.Items))
		}
		for _, q := range []string{"?filter=salary:eq:1", "?filter=name:near:x", "?sort=password", "?limit=500", "?cursor=garbage"} {
			if res := c.do("GET", "/api/v1/users"+q, nil, nil); res.status != 400 {
				t.Errorf("GET users%s: %d, want 400", q, res.status)
			}
		}
		if res := c.do("PUT", "/api/v1/users", "{}", nil); res.status != 405 || res.problem(t).Code != "method_not_allowed" {
			t.Errorf("PUT users: %d %s", res.status, res.body)
		}
		if res := c.do("POST", "/api/v1/users", "name=x", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); res.status != 415 {
			t.Errorf("form body: %d", res.status)
		}
	})
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

func TestIdempotencyKey(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.login("admin@acme.test", adminPassword)
		var depts cohort.Page[cohort.Department]
		c.must(200, "GET", "/api/v1/departments", nil, &depts)
		body := map[string]any{"name": "Presales", "parent_id": depts.Items[0].ID}
		hdr := map[string]string{"Idempotency-Key": "k-1"}
		first := c.do("POST", "/api/v1/departments", body, hdr)
		second := c.do("POST", "/api/v1/departments", body, hdr)
		if first.status != 201 || second.status != 201 || !bytes.Equal(first.body, second.body) || second.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("first %d %s / second %d %s", first.status, first.body, second.status, second.body)
		}
		other := c.do("POST", "/api/v1/departments", map[string]any{"name": "Other", "parent_id": depts.Items[0].ID}, hdr)
		if other.status != 422 {
			t.Fatalf("same key, other body: %d", other.status)
		}
		c.must(200, "GET", "/api/v1/departments", nil, &depts)
		if len(depts.Items) != 2 {
			t.Fatalf("departments after retries: %d, want 2", len(depts.Items))
		}
	})
}

func TestDepartmentMoves(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.login("admin@acme.test", adminPassword)
		var depts cohort.Page[cohort.Department]
		c.must(200, "GET", "/api/v1/departments", nil, &depts)
		root := depts.Items[0]
		var a, b, a1 cohort.Department
		c.must(201, "POST", "/api/v1/departments", map[string]any{"name": "A", "parent_id": root.ID}, &a)
		c.must(201, "POST", "/api/v1/departments", map[string]any{"name": "B", "parent_id": root.ID}, &b)
		c.must(201, "POST", "/api/v1/departments", map[string]any{"name": "A1", "parent_id": a.ID}, &a1)
		// A under its own child: refused, nothing moves.
		res := c.do("PATCH", "/api/v1/departments/"+a.ID.String(), map[string]any{"parent_id": a1.ID}, nil)
		if res.status != 422 {
			t.Fatalf("cycle move: %d %s", res.status, res.body)
		}
		// A under B carries A1 along.
		c.must(200, "PATCH", "/api/v1/departments/"+a.ID.String(), map[string]any{"parent_id": b.ID}, nil)
		c.must(200, "GET", "/api/v1/departments", nil, &depts)
		byID := map[cohort.ID]cohort.Department{}
		for _, d := range depts.Items {
			byID[d.ID] = d
		}
		if got := byID[a1.ID]; got.Path != root.Path+b.ID.String()+"/"+a.ID.String()+"/"+a1.ID.String()+"/" || got.Depth != 3 {
			t.Fatalf("A1 after move: %+v", got)
		}
		if res := c.do("DELETE", "/api/v1/departments/"+a.ID.String(), nil, nil); res.status != 409 {
			t.Fatalf("delete non-empty: %d", res.status)
		}
		c.must(204, "DELETE", "/api/v1/departments/"+a1.ID.String(), nil, nil)
	})
}

func TestDataScope(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.login("admin@acme.test", adminPassword)
		var depts cohort.Page[cohort.Department]
		c.must(200, "GET", "/api/v1/departments", nil, &depts)
		root := depts.Items[0]
		var east, west, eastA cohort.Department
		c.must(201, "POST", "/api/v1/departments", map[string]any{"name": "East", "parent_id": root.ID}, &east)
		c.must(201, "POST", "/api/v1/departments", map[string]any{"name": "West", "parent_id": root.ID}, &west)
		c.must(201, "POST", "/api/v1/departments", map[string]any{"name": "East A", "parent_id": east.ID}, &eastA)
		mk := func(scope cohort.Scope) cohort.PermRole {
			var r cohort.PermRole
			c.must(201, "POST", "/api/v1/perm-roles", map[string]any{"name": "users " + string(scope),
				"grants": map[string]any{"user": map[string]any{"actions": []string{"view"}, "scope": scope}}}, &r)
			return r
		}
		var boss, sub, subsub, eastPeer, westPerson cohort.User
		newUser := func(out *cohort.User, email string, dept, manager cohort.ID, roles ...cohort.ID) {
			c.must(201, "POST", "/api/v1/users", map[string]any{"name": email, "email": email, "password": "secret123",
				"department_id": dept, "manager_id": manager, "perm_role_ids": roles}, out)
		}
		own, subs, dep, depKids := mk(cohort.ScopeOwn), mk(cohort.ScopeOwnAndSubordinates), mk(cohort.ScopeDepartment), mk(cohort.ScopeDepartmentAndChildren)
		newUser(&boss, "boss@acme.test", east.ID, 0, subs.ID)
		newUser(&sub, "sub@acme.test", eastA.ID, boss.ID, own.ID)
		newUser(&subsub, "subsub@acme.test", west.ID, sub.ID, dep.ID)
		newUser(&eastPeer, "peer@acme.test", east.ID, 0, depKids.ID)
		newUser(&westPerson, "west@acme.test", west.ID, 0)
		names := func(email string) map[string]bool {
			var page cohort.Page[cohort.User]
			e.login(email, "secret123").must(200, "GET", "/api/v1/users?limit=200", nil, &page)
			out := map[string]bool{}
			for _, u := range page.Items {
				out[u.Email] = true
			}
			return out
		}
		check := func(email string, want ...string) {
			t.Helper()
			got := names(email)
			if len(got) != len(want) {
				t.Errorf("%s sees %v, want %v", email, got, want)
			}
			for _, w := range want {
				if !got[w] {
					t.Errorf("%s does not see %s (sees %v)", email, w, got)
				}
			}
		}
		check("sub@acme.test", "sub@acme.test")
		check("boss@acme.test", "boss@acme.test", "sub@acme.test", "subsub@acme.test")
		check("subsub@acme.test", "subsub@acme.test", "west@acme.test")
		check("peer@acme.test", "boss@acme.test", "sub@acme.test", "peer@acme.test")
		// A detail outside the scope is not found; a user without the grant is forbidden.
		sc := e.login("sub@acme.test", "secret123")
		if res := sc.do("GET", "/api/v1/users/"+boss.ID.String(), nil, nil); res.status != 404 {
			t.Errorf("out-of-scope detail: %d", res.status)
		}
		if res := e.login("west@acme.test", "secret123").do("GET", "/api/v1/users", nil, nil); res.status != 403 {
			t.Errorf("no grant: %d", res.status)
		}
	})
}

func TestKeysetPaging(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.login("admin@acme.test", adminPassword)
		for i := 0; i < 7; i++ {
			c.must(201, "POST", "/api/v1/users", map[string]any{"name": "同名", "email": "u" + string(rune('a'+i)) + "@acme.test", "password": "secret123"}, nil)
		}
		seen := map[cohort.ID]bool{}
		cursor := ""
		pages := 0
		for {
			var page cohort.Page[cohort.User]
			c.must(200, "GET", "/api/v1/users?limit=3&sort=name,-email&cursor="+cursor, nil, &page)
			pages++
			for _, u := range page.Items {
				if seen[u.ID] {
					t.Fatalf("user %s twice", u.Email)
				}
				seen[u.ID] = true
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if len(seen) != 8 || pages != 3 {
			t.Fatalf("paged %d users in %d pages, want 8 in 3", len(seen), pages)
		}
	})
}
