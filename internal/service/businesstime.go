package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Business time. Every write that records an event accepts the time it
// happened (the field's own name, or occurred_at), defaulting to now; the
// time it was written is kept beside it (recorded_at). Figures use the
// business time. Dating an event further back than the tenant's backdate
// window, or setting a record's creation time, needs the backdate
// permission, and such a write is audited with both times.

// clockSkew is how far in the future a client's "now" may be: clocks of
// phones and laptops are not exact.
const clockSkew = 2 * time.Minute

// backdateWindow is how far back the caller's tenant lets anyone date an
// event without the backdate permission.
func backdateWindow(p *cohort.Principal) time.Duration {
	return time.Duration(backdateDays(p)) * 24 * time.Hour
}

// backdateDays is the tenant's backdate window in days (tenant settings,
// backdate_window_days; the default of a principal without a tenant).
func backdateDays(p *cohort.Principal) int {
	if p.Tenant == nil {
		return cohort.DefaultBackdateWindowDays
	}
	return p.Tenant.BackdateWindowDays
}

// canBackdate reports whether p may date events on obj beyond the window
// and set creation times. Administering an object type implies it.
func canBackdate(p *cohort.Principal, obj cohort.ObjectType) bool {
	return p.System || p.Permissions.Can(obj, cohort.ActBackdate) || p.Permissions.Can(obj, cohort.ActAdminister)
}

// bizTime is the business time of one event being written: when it
// happened, and whether the write needs an audit entry with both times.
type bizTime struct {
	At      time.Time
	field   string
	audited bool
}

// eventTime resolves the business time of an event the caller records now.
// at nil means now. notBefore (zero for none) is when the record began: an
// event cannot precede it. An event cannot lie in the future.
func eventTime(p *cohort.Principal, obj cohort.ObjectType, field string, at *time.Time, now time.Time, notBefore time.Time) (bizTime, error) {
	if at == nil || at.IsZero() {
		return bizTime{At: now, field: field}, nil
	}
	t := at.UTC().Truncate(time.Millisecond)
	if t.After(now.Add(clockSkew)) {
		return bizTime{}, cohort.Errorf(cohort.EINVALID, "%s: %s is in the future; it must be a time that has passed", field, t.Format(time.RFC3339))
	}
	if t.After(now) {
		t = now
	}
	if !notBefore.IsZero() && t.Before(notBefore) {
		return bizTime{}, cohort.Errorf(cohort.EINVALID, "%s: %s is before the record began (%s)", field, t.Format(time.RFC3339), notBefore.UTC().Format(time.RFC3339))
	}
	bt := bizTime{At: t, field: field}
	if now.Sub(t) > backdateWindow(p) {
		if !canBackdate(p, obj) {
			return bizTime{}, cohort.Errorf(cohort.EFORBIDDEN, "%s: dating an event more than %d days back needs the backdate permission (设置历史时间)", field, backdateDays(p))
		}
		bt.audited = true
	}
	return bt, nil
}

// creationTime resolves a record's creation time: now, or the time the
// client sets, which needs the backdate permission whatever its age.
func creationTime(p *cohort.Principal, obj cohort.ObjectType, at *time.Time, now time.Time) (bizTime, error) {
	if at == nil || at.IsZero() {
		return bizTime{At: now, field: "created_at"}, nil
	}
	if !canBackdate(p, obj) {
		return bizTime{}, cohort.Errorf(cohort.EFORBIDDEN, "created_at: setting a record's creation time needs the backdate permission (设置历史时间)")
	}
	bt, err := eventTime(p, obj, "created_at", at, now, time.Time{})
	bt.audited = bt.audited || !bt.At.Equal(now)
	return bt, err
}

// auditTimes writes, for each business time that needs it, an audit entry
// "backdate" naming the field with the business time and the recorded time.
func (s *Service) auditTimes(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, id cohort.ID, now time.Time, times ...bizTime) error {
	var changes []cohort.FieldChange
	for _, t := range times {
		if !t.audited {
			continue
		}
		at, _ := json.Marshal(t.At)
		rec, _ := json.Marshal(now)
		changes = append(changes, cohort.FieldChange{Field: t.field, After: at}, cohort.FieldChange{Field: "recorded_at", After: rec})
	}
	if len(changes) == 0 {
		return nil
	}
	return s.audit(ctx, tx, "backdate", obj, id, changes)
}

// recordEventTime resolves the business time of an event of a record with
// events (a deal, project or ticket): not in the future, not before the
// record's previous event. An event dated before the record's start moves
// the start back — the record's created_at, its "created" event and its
// first team — so that the credit goes to the team the record began with.
// It returns the record's start after the move.
func (s *Service) recordEventTime(ctx context.Context, tx *store.Tx, p *cohort.Principal, obj cohort.ObjectType, id cohort.ID, start time.Time,
	field string, at *time.Time, now time.Time) (bizTime, time.Time, error) {
	last, err := store.LastEventAt(ctx, tx, p.Tenant.ID, obj, id)
	if err != nil {
		return bizTime{}, start, err
	}
	t, err := eventTime(p, obj, field, at, now, last)
	if err != nil {
		return bizTime{}, start, err
	}
	if !t.At.Before(start) {
		return t, start, nil
	}
	if err := store.MoveRecordStart(ctx, tx, obj, p.Tenant.ID, id, start, t.At); err != nil {
		return bizTime{}, start, err
	}
	return t, t.At, nil
}

// eventDate checks a local date (YYYY-MM-DD) on which an event happened, such
// as a payment's: not after today, not before notBefore (when set), and no
// further back than the backdate window without the backdate permission.
// An empty date is today.
func eventDate(p *cohort.Principal, obj cohort.ObjectType, field, date, notBefore string, now time.Time) (string, bizTime, error) {
	loc := p.Tenant.Location()
	today := now.In(loc).Format(time.DateOnly)
	if date == "" {
		date = today
	}
	d, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return "", bizTime{}, cohort.Errorf(cohort.EINVALID, "%s: must be a date YYYY-MM-DD", field)
	}
	if date > today {
		return "", bizTime{}, cohort.Errorf(cohort.EINVALID, "%s: %s is in the future", field, date)
	}
	if notBefore != "" && date < notBefore {
		return "", bizTime{}, cohort.Errorf(cohort.EINVALID, "%s: %s is before %s", field, date, notBefore)
	}
	bt := bizTime{At: d.UTC(), field: field}
	if date < now.In(loc).AddDate(0, 0, -backdateDays(p)).Format(time.DateOnly) {
		if !canBackdate(p, obj) {
			return "", bizTime{}, cohort.Errorf(cohort.EFORBIDDEN, "%s: dating an event more than %d days back needs the backdate permission (设置历史时间)", field, backdateDays(p))
		}
		bt.audited = true
	}
	return date, bt, nil
}
