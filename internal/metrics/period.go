package metrics

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Days are local dates counted from 1970-01-01, as facts.day stores them.

const maxPeriodYears = 10

func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}

func dayNum(t time.Time) int64 { return t.Unix() / 86400 }

func dateOf(day int64) time.Time { return time.Unix(day*86400, 0).UTC() }

func fmtDate(t time.Time) string { return t.Format("2006-01-02") }

// timeDims are the time dimensions, finest first.
var timeDims = []string{"day", "week", "month", "quarter", "year", "fiscal_year"}

// calendar is the tenant's: the fiscal year's first month (1..12) and the
// week's first day (ISO: 1 Monday .. 7 Sunday).
type calendar struct{ fy, week int }

// weekStart is the first day of the week on or before t.
func (c calendar) weekStart(t time.Time) time.Time {
	first := c.week % 7 // as time.Weekday: Sunday 0
	if c.week < 1 || c.week > 7 {
		first = int(time.Monday)
	}
	return t.AddDate(0, 0, -((int(t.Weekday()) - first + 7) % 7))
}

// bucketSQL is the SQL of the bucket key of f.day for a time dimension over
// the period [from, to): an integer (day number, Monday's day number,
// yyyymm, yyyy*10+q, yyyy, fiscal year). Calendar buckets are a binary
// CASE over the period's bucket boundaries: plain integer comparisons, the
// same on both engines and cheaper than a date function per fact.
func bucketSQL(dim string, cal calendar, from, to time.Time) string {
	switch dim {
	case "day":
		return "f.day"
	case "week":
		// Day 0 was a Thursday (ISO 4): the week's first day (ISO w) was
		// (4 - w) mod 7 days before it.
		w := cal.week
		if w < 1 || w > 7 {
			w = 1
		}
		return fmt.Sprintf("(f.day - ((f.day + %d) %% 7))", 11-w)
	}
	type bucket struct{ start, key int64 }
	var bs []bucket
	s, _, _ := bucketRange(dim, bucketOf(dim, from, cal), cal)
	step := map[string]int{"month": 1, "quarter": 3, "year": 12, "fiscal_year": 12}[dim]
	for ; s.Before(to); s = s.AddDate(0, step, 0) {
		y, m := int64(s.Year()), int64(s.Month())
		k := map[string]int64{"month": y*100 + m, "quarter": y*10 + (m+2)/3, "year": y, "fiscal_year": y}[dim]
		bs = append(bs, bucket{dayNum(s), k})
	}
	var build func(bs []bucket) string
	build = func(bs []bucket) string {
		if len(bs) == 1 {
			return strconv.FormatInt(bs[0].key, 10)
		}
		mid := len(bs) / 2
		return fmt.Sprintf("CASE WHEN f.day < %d THEN %s ELSE %s END", bs[mid].start, build(bs[:mid]), build(bs[mid:]))
	}
	return build(bs)
}

// bucketLabel turns a bucket key from bucketSQL into its label: 2026-03-05,
// 2026-03 (month), 2026-Q1, 2026, FY2026 (the fiscal year starting in 2026).
func bucketLabel(dim string, key int64) string {
	switch dim {
	case "day", "week":
		return fmtDate(dateOf(key))
	case "month":
		return fmt.Sprintf("%04d-%02d", key/100, key%100)
	case "quarter":
		return fmt.Sprintf("%04d-Q%d", key/10, key%10)
	case "year":
		return strconv.FormatInt(key, 10)
	case "fiscal_year":
		return "FY" + strconv.FormatInt(key, 10)
	}
	return strconv.FormatInt(key, 10)
}

// bucketRange parses a bucket label into its local dates [start, end).
func bucketRange(dim, s string, cal calendar) (start, end time.Time, ok bool) {
	fyStart := cal.fy
	if fyStart < 1 || fyStart > 12 {
		fyStart = 1
	}
	switch dim {
	case "day":
		t, ok := parseDate(s)
		return t, t.AddDate(0, 0, 1), ok
	case "week":
		t, ok := parseDate(s)
		t = cal.weekStart(t)
		return t, t.AddDate(0, 0, 7), ok
	case "month":
		t, err := time.Parse("2006-01", s)
		return t, t.AddDate(0, 1, 0), err == nil
	case "quarter":
		y, q, found := strings.Cut(s, "-Q")
		yy, err1 := strconv.Atoi(y)
		qq, err2 := strconv.Atoi(q)
		if !found || err1 != nil || err2 != nil || qq < 1 || qq > 4 || yy < 1900 || yy > 9999 {
			return start, end, false
		}
		t := time.Date(yy, time.Month((qq-1)*3+1), 1, 0, 0, 0, 0, time.UTC)
		return t, t.AddDate(0, 3, 0), true
	case "year", "fiscal_year":
		m := 1
		if dim == "fiscal_year" {
			var found bool
			if s, found = strings.CutPrefix(s, "FY"); !found {
				return start, end, false
			}
			m = fyStart
		}
		yy, err := strconv.Atoi(s)
		if err != nil || yy < 1900 || yy > 9999 {
			return start, end, false
		}
		t := time.Date(yy, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		return t, t.AddDate(1, 0, 0), true
	}
	return start, end, false
}

// bucketOf is the label of the bucket holding local date t.
func bucketOf(dim string, t time.Time, cal calendar) string {
	fyStart := cal.fy
	y, m := int64(t.Year()), int64(t.Month())
	switch dim {
	case "day":
		return fmtDate(t)
	case "week":
		return fmtDate(cal.weekStart(t))
	case "month":
		return bucketLabel(dim, y*100+m)
	case "quarter":
		return bucketLabel(dim, y*10+(m+2)/3)
	case "year":
		return bucketLabel(dim, y)
	case "fiscal_year":
		if fyStart > 1 && int(m) < fyStart {
			y--
		}
		return bucketLabel(dim, y)
	}
	return ""
}

// Comparisons.
const (
	ComparePrevious = "previous"
	CompareYearAgo  = "year_ago"
)

// comparePeriod is the period compared with [from, to) and the function
// moving a date of it onto the asked period.
func comparePeriod(kind string, from, to time.Time) (time.Time, time.Time, func(time.Time) time.Time) {
	if kind == CompareYearAgo {
		return from.AddDate(-1, 0, 0), to.AddDate(-1, 0, 0), func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }
	}
	if from.Day() == 1 && to.Day() == 1 {
		// Whole months: the months before (a quarter's previous quarter).
		n := (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month())
		return from.AddDate(0, -n, 0), from, func(t time.Time) time.Time { return t.AddDate(0, n, 0) }
	}
	n := int(dayNum(to) - dayNum(from))
	return from.AddDate(0, 0, -n), from, func(t time.Time) time.Time { return t.AddDate(0, 0, n) }
}
