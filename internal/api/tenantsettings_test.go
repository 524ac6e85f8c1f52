package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestTenantSettings: anyone signed in reads the settings; an administrator
// changes them with If-Match; the change is audited with its field diff and
// seen at once by every session (the principal cache is dropped); a bad
// value is a 422 naming the field and changes nothing; a non-administrator
// gets 403; a stale version gets 412.
func TestTenantSettings(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.login("admin@acme.test", adminPassword)
		admin.must(201, "POST", "/api/v1/users", map[string]any{"name": "李娜", "email": "li.na@acme.test", "password": "secret123"}, nil)
		rep := e.login("li.na@acme.test", "secret123")

		const path = "/api/v1/tenant/settings"
		var st cohort.Tenant
		res := rep.do("GET", path, nil, nil)
		if res.status != 200 || res.header.Get("ETag") != `"v1"` {
			t.Fatalf("GET as a salesperson: %d %s %q", res.status, res.body, res.header.Get("ETag"))
		}
		res.json(t, &st)
		if st.ID != e.tenant.ID || st.Name != "Tenant acme" || st.TimeZone != "Asia/Shanghai" || st.FiscalYearStartMonth != 1 ||
			st.Currency != "CNY" || st.WeekStart != 1 || st.BackdateWindowDays != 7 || st.Version != 1 {
			t.Fatalf("defaults: %+v", st)
		}
		// Warm both sessions' cached principals.
		var me struct{ Tenant cohort.Tenant }
		admin.must(200, "GET", "/api/v1/me", nil, &me)
		rep.must(200, "GET", "/api/v1/me", nil, &me)

		// A salesperson may not change them.
		res = rep.do("PATCH", path, map[string]any{"time_zone": "UTC"}, nil)
		if res.status != 403 || res.problem(t).Code != "forbidden" {
			t.Fatalf("PATCH as a salesperson: %d %s", res.status, res.body)
		}

		// Bad input: 400/422 naming the field, nothing changed.
		for _, tc := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"unknown zone", map[string]any{"time_zone": "Mars/Olympus_Mons"}, 422, "time_zone"},
			{"server-local zone", map[string]any{"time_zone": "Local"}, 422, "time_zone"},
			{"month 13", map[string]any{"fiscal_year_start_month": 13}, 422, "fiscal_year_start_month"},
			{"month 0", map[string]any{"fiscal_year_start_month": 0}, 422, "fiscal_year_start_month"},
			{"currency usd1", map[string]any{"currency": "usd1"}, 422, "currency"},
			{"currency lower case", map[string]any{"currency": "usd"}, 422, "currency"},
			{"currency not in ISO 4217", map[string]any{"currency": "ABC"}, 422, "currency"},
			{"negative window", map[string]any{"backdate_window_days": -1}, 422, "backdate_window_days"},
			{"window too long", map[string]any{"backdate_window_days": 3651}, 422, "backdate_window_days"},
			{"week start 0", map[string]any{"week_start": 0}, 422, "week_start"},
			{"week start 8", map[string]any{"week_start": 8}, 422, "week_start"},
			{"empty name", map[string]any{"name": "  "}, 422, "name"},
			{"window as text", `{"backdate_window_days": "seven"}`, 400, "backdate_window_days"},
			{"unknown field", map[string]any{"slug": "other"}, 400, "slug"},
			// One bad field refuses the good ones beside it.
			{"good and bad", map[string]any{"currency": "USD", "time_zone": "Nowhere/Else"}, 422, "time_zone"},
		} {
			res := admin.do("PATCH", path, tc.body, map[string]string{"If-Match": `"v1"`})
			p := res.problem(t)
			named := false
			for _, f := range p.Errors {
				named = named || f.Field == tc.field
			}
			if res.status != tc.status || !named {
				t.Errorf("%s: %d %s, want %d naming %s", tc.name, res.status, res.body, tc.status, tc.field)
			}
		}
		var after cohort.Tenant
		admin.must(200, "GET", path, nil, &after)
		if after != st {
			t.Fatalf("bad input changed the settings: %+v", after)
		}

		// A good change.
		var got cohort.Tenant
		res = admin.do("PATCH", path, map[string]any{"name": " Acme 中国 ", "time_zone": "Europe/Berlin", "fiscal_year_start_month": 4,
			"currency": "EUR", "week_start": 7, "backdate_window_days": 0}, map[string]string{"If-Match": `"v1"`})
		if res.status != 200 || res.header.Get("ETag") != `"v2"` {
			t.Fatalf("PATCH: %d %s", res.status, res.body)
		}
		res.json(t, &got)
		if got.Name != "Acme 中国" || got.TimeZone != "Europe/Berlin" || got.FiscalYearStartMonth != 4 || got.Currency != "EUR" ||
			got.WeekStart != 7 || got.BackdateWindowDays != 0 || got.Version != 2 || got.Slug != "acme" || got.Locale != "zh-CN" {
			t.Fatalf("after PATCH: %+v", got)
		}
		// Both sessions see it at once, through /me as through the settings.
		for _, c := range []*client{admin, rep} {
			c.must(200, "GET", "/api/v1/me", nil, &me)
			if me.Tenant.TimeZone != "Europe/Berlin" || me.Tenant.Currency != "EUR" || me.Tenant.WeekStart != 7 || me.Tenant.BackdateWindowDays != 0 {
				t.Fatalf("/me after the change: %+v", me.Tenant)
			}
		}
		rep.must(200, "GET", path, nil, &after)
		if after != got {
			t.Fatalf("GET after PATCH: %+v, want %+v", after, got)
		}

		// A stale version: 412, nothing changed.
		res = admin.do("PATCH", path, map[string]any{"currency": "USD"}, map[string]string{"If-Match": `"v1"`})
		if res.status != 412 || res.problem(t).Code != "precondition_failed" {
			t.Fatalf("stale PATCH: %d %s", res.status, res.body)
		}
		admin.must(200, "GET", path, nil, &after)
		if after.Currency != "EUR" || after.Version != 2 {
			t.Fatalf("a stale PATCH changed the settings: %+v", after)
		}

		// Audited with the field diff.
		var audit cohort.Page[cohort.AuditEntry]
		admin.must(200, "GET", "/api/v1/audit?object_type=tenant&action=update", nil, &audit)
		if len(audit.Items) != 1 {
			t.Fatalf("audit entries: %+v", audit.Items)
		}
		changed := map[string]string{}
		for _, ch := range audit.Items[0].Changes {
			changed[ch.Field] = string(ch.Before) + "→" + string(ch.After)
		}
		want := map[string]string{"name": `"Tenant acme"→"Acme 中国"`, "time_zone": `"Asia/Shanghai"→"Europe/Berlin"`,
			"fiscal_year_start_month": "1→4", "currency": `"CNY"→"EUR"`, "week_start": "1→7", "backdate_window_days": "7→0"}
		if len(changed) != len(want) {
			t.Fatalf("audit changes %v, want %v", changed, want)
		}
		for k, v := range want {
			if changed[k] != v {
				t.Errorf("audit %s: %s, want %s", k, changed[k], v)
			}
		}

		// Another tenant's settings are its own.
		e.newTenant("other", "admin@other.test")
		other := e.login("admin@other.test", adminPassword)
		var theirs cohort.Tenant
		other.must(200, "GET", path, nil, &theirs)
		if theirs.Slug != "other" || theirs.Currency != "CNY" || theirs.BackdateWindowDays != 7 {
			t.Fatalf("other tenant: %+v", theirs)
		}
		if res := (&client{e: e, http: e.srv.Client()}).do("GET", path, nil, nil); res.status != 401 {
			t.Fatalf("anonymous GET: %d", res.status)
		}
	})
}

// TestBackdateWindowSetting: business time reads the tenant's
// backdate_window_days at once: a salesperson signs three days back within
// the default 7-day window, and no longer once the window is 1 day.
func TestBackdateWindowSetting(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		now := time.Now().UTC().Truncate(time.Second)
		var prod cohort.Product
		o.admin.must(201, "POST", "/api/v1/products", map[string]any{"code": "BW-1", "name": "补录窗口", "price": 1000000}, &prod)
		var c cohort.Customer
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "宁波补录窗口科技有限公司"}, &c)
		sign := func(status int) {
			t.Helper()
			var k cohort.Deal
			o.alice.must(201, "POST", "/api/v1/contracts", map[string]any{"customer_id": c.ID, "name": "窗口合同",
				"lines": []map[string]any{{"product_id": prod.ID, "quantity": 1}}}, &k)
			res := o.alice.do("POST", "/api/v1/contracts/"+k.ID.String()+"/status",
				map[string]any{"status": "signed", "signed_at": now.Add(-72 * time.Hour).Format(time.RFC3339)}, nil)
			if res.status != status {
				t.Fatalf("signing 3 days back: %d %s, want %d", res.status, res.body, status)
			}
			if status == 403 && !strings.Contains(string(res.body), "more than 1 days") {
				t.Fatalf("refusal does not name the window: %s", res.body)
			}
		}
		sign(200)
		o.admin.must(200, "PATCH", "/api/v1/tenant/settings", map[string]any{"backdate_window_days": 1}, nil)
		sign(403)
	})
}
