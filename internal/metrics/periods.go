package metrics

import "time"

// PeriodOf parses a period label — a quarter (2026-Q4), a month (2026-12), a
// year (2026) or a fiscal year (FY2026, with the fiscal year's first month)
// — into its local dates [from, to) as YYYY-MM-DD.
func PeriodOf(label string, fiscalYearStartMonth int) (from, to string, ok bool) {
	cal := calendar{fy: fiscalYearStartMonth}
	for _, dim := range []string{"quarter", "month", "fiscal_year", "year"} {
		if s, e, ok := bucketRange(dim, label, cal); ok && bucketOf(dim, s, cal) == label {
			return fmtDate(s), fmtDate(e), true
		}
	}
	return "", "", false
}

// QuarterOf is the label of the calendar quarter holding t's local date in
// loc (2026-Q4).
func QuarterOf(t time.Time, loc *time.Location) string {
	y, m, d := t.In(loc).Date()
	return bucketOf("quarter", time.Date(y, m, d, 0, 0, 0, 0, time.UTC), calendar{})
}
