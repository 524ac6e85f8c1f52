package cockpits

import (
	"testing"
	"time"
)

func TestRange(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	// A Wednesday in February; the fiscal year starts in April, weeks on Monday.
	cal := Calendar{Today: day("2026-02-11"), FiscalYearStartMonth: 4, WeekStart: 1}
	for _, tc := range []struct{ period, from, to string }{
		{"today", "2026-02-11", "2026-02-12"},
		{"this_week", "2026-02-09", "2026-02-16"},
		{"last_7_days", "2026-02-05", "2026-02-12"},
		{"this_month", "2026-02-01", "2026-03-01"},
		{"last_month", "2026-01-01", "2026-02-01"},
		{"this_quarter", "2026-01-01", "2026-04-01"},
		{"last_quarter", "2025-10-01", "2026-01-01"},
		{"this_year", "2026-01-01", "2027-01-01"},
		{"this_fiscal_year", "2025-04-01", "2026-04-01"},
		{"last_fiscal_year", "2024-04-01", "2025-04-01"},
		{"last_12_months", "2025-03-01", "2026-03-01"},
	} {
		f, to, ok := Range(tc.period, cal)
		if !ok || f.Format(time.DateOnly) != tc.from || to.Format(time.DateOnly) != tc.to {
			t.Errorf("%s: [%s, %s) %v, want [%s, %s)", tc.period, f.Format(time.DateOnly), to.Format(time.DateOnly), ok, tc.from, tc.to)
		}
	}
	// Sunday-first weeks; the fiscal year that started this April.
	cal = Calendar{Today: day("2026-05-10"), FiscalYearStartMonth: 4, WeekStart: 7}
	if f, _, _ := Range("this_week", cal); f.Format(time.DateOnly) != "2026-05-10" {
		t.Errorf("sunday week starts %s", f.Format(time.DateOnly))
	}
	if f, _, _ := Range("this_fiscal_year", cal); f.Format(time.DateOnly) != "2026-04-01" {
		t.Errorf("fiscal year starts %s", f.Format(time.DateOnly))
	}
	if _, _, ok := Range("next_decade", cal); ok {
		t.Error("unknown period accepted")
	}
	for _, p := range Periods {
		if _, _, ok := Range(p, cal); !ok {
			t.Errorf("period %s has no range", p)
		}
	}
}

func TestSheetName(t *testing.T) {
	if s := sheetName(2, "a/b:c[d]*?'e 这是一个非常长的标题，超过了三十一个字符的限制吧哈哈哈"); len([]rune(s)) > 31 || s[:9] != "3 a b c d" {
		t.Errorf("sheet name %q", s)
	}
}
