package api

import (
	"time"

	"github.com/cohortcrm/cohort"
)

// cohortTime is an RFC 3339 instant in a request body, with a clear error.
type cohortTime struct{ time.Time }

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
