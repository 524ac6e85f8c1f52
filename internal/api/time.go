package api

import (
	"time"

	"github.com/cohortcrm/cohort"
)

// cohortTime is an RFC 3339 instant in a request body, with a clear error.
type cohortTime struct{ time.Time }

// at returns the instant, or nil when the request did not give one.
func (t *cohortTime) at() *time.Time {
	if t == nil {
		return nil
	}
	return &t.Time
}

// zeroOr returns the instant, or the zero time when the request did not
// give one (the service's "now").
func (t *cohortTime) zeroOr() time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func (t *cohortTime) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) < 2 || s[0] != '"' {
		return cohort.Errorf(cohort.EINVALID, "a time must be an RFC 3339 string such as 2026-11-25T08:30:00+08:00")
	}
	v, err := time.Parse(time.RFC3339, s[1:len(s)-1])
	if err != nil {
		return cohort.Errorf(cohort.EINVALID, "a time must be an RFC 3339 string such as 2026-11-25T08:30:00+08:00")
	}
	t.Time = v.UTC()
	return nil
}
