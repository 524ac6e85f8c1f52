package metrics_test

import (
	"testing"
	"time"

	"github.com/cohortcrm/cohort/internal/metrics"
)

func TestPeriodOf(t *testing.T) {
	for _, c := range []struct {
		label    string
		fy       int
		from, to string
		ok       bool
	}{
		{"2026-Q4", 1, "2026-10-01", "2027-01-01", true},
		{"2026-12", 1, "2026-12-01", "2027-01-01", true},
		{"2026", 1, "2026-01-01", "2027-01-01", true},
		{"FY2026", 4, "2026-04-01", "2027-04-01", true},
		{"2026-Q5", 1, "", "", false},
		{"Q4", 1, "", "", false},
		{"2026-13", 1, "", "", false},
	} {
		from, to, ok := metrics.PeriodOf(c.label, c.fy)
		if from != c.from || to != c.to || ok != c.ok {
			t.Errorf("PeriodOf(%q, %d) = %s, %s, %v", c.label, c.fy, from, to, ok)
		}
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	// 2026-12-31 20:00 UTC is already 2027-01-01 in Shanghai.
	if q := metrics.QuarterOf(time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC), shanghai); q != "2027-Q1" {
		t.Errorf("QuarterOf = %s", q)
	}
}
