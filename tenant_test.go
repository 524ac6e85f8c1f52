package cohort

import (
	"errors"
	"testing"
	"time"
)

func TestTenantCheck(t *testing.T) {
	ok := Tenant{Name: "Acme", Slug: "acme", TimeZone: "Asia/Shanghai", FiscalYearStartMonth: 4, Currency: "CNY", Locale: "zh-CN",
		WeekStart: 1, BackdateWindowDays: 7}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		edit  func(*Tenant)
	}{
		{"time_zone", func(t *Tenant) { t.TimeZone = "Mars/Olympus_Mons" }},
		{"time_zone", func(t *Tenant) { t.TimeZone = "Local" }},
		{"time_zone", func(t *Tenant) { t.TimeZone = "" }},
		{"fiscal_year_start_month", func(t *Tenant) { t.FiscalYearStartMonth = 13 }},
		{"fiscal_year_start_month", func(t *Tenant) { t.FiscalYearStartMonth = 0 }},
		{"currency", func(t *Tenant) { t.Currency = "usd1" }},
		{"currency", func(t *Tenant) { t.Currency = "usd" }},
		{"currency", func(t *Tenant) { t.Currency = "XAU" }}, // gold: no company's books
		{"week_start", func(t *Tenant) { t.WeekStart = 0 }},
		{"week_start", func(t *Tenant) { t.WeekStart = 8 }},
		{"backdate_window_days", func(t *Tenant) { t.BackdateWindowDays = -1 }},
		{"backdate_window_days", func(t *Tenant) { t.BackdateWindowDays = MaxBackdateWindowDays + 1 }},
	} {
		x := ok
		tc.edit(&x)
		err := x.Check()
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
			t.Errorf("%+v: %v, want one error on %s", x, err, tc.field)
		}
	}
	for _, c := range []string{"CNY", "USD", "EUR", "HKD", "JPY", "XOF", "GBP"} {
		if !ValidCurrencyCode(c) {
			t.Errorf("%s refused", c)
		}
	}
	// Week start: ISO 8601 numbers to Go weekdays.
	for ws, want := range map[int]time.Weekday{1: time.Monday, 6: time.Saturday, 7: time.Sunday} {
		x := ok
		x.WeekStart = ws
		if got := x.FirstWeekday(); got != want {
			t.Errorf("week_start %d: %v, want %v", ws, got, want)
		}
	}
	// Validate fills the defaults of a new tenant; Check does not.
	n := Tenant{Name: "New", Slug: "new", BackdateWindowDays: DefaultBackdateWindowDays}
	if err := n.Validate(); err != nil || n.WeekStart != 1 || n.TimeZone != DefaultTimeZone || n.Currency != "CNY" {
		t.Fatalf("defaults: %v %+v", err, n)
	}
}
