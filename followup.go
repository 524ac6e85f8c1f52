package cohort

import (
	"strings"
	"time"
)

// Follow-up types (跟进方式) built into every tenant.
var FollowUpTypes = []string{"call", "sms", "email", "wechat", "visit", "meeting", "proposal_sent", "quote_sent", "other"}

// Follow-up directions.
var Directions = []string{"outbound", "inbound"}

// FollowUp is one touch with a customer (跟进记录).
type FollowUp struct {
	ID ID `json:"id"`
	// ExternalID is the record's id in the system it was migrated from
	// (unique per tenant and type when set).
	ExternalID   string     `json:"external_id"`
	TenantID     ID         `json:"tenant_id"`
	CustomerID   ID         `json:"customer_id"`
	ContactID    ID         `json:"contact_id"`
	RecordType   ObjectType `json:"record_type"`
	RecordID     ID         `json:"record_id"`
	Type         string     `json:"type"`
	Direction    string     `json:"direction"`
	OccurredAt   time.Time  `json:"occurred_at"`
	DurationS    int        `json:"duration_s"`
	Content      string     `json:"content"`
	AuthorID     ID         `json:"author_id"`
	AuthorName   string     `json:"author_name"`
	DepartmentID ID         `json:"department_id"`
	CreatedAt    time.Time  `json:"created_at"`
}

// FollowUpType is a tenant's own kind of follow-up, beside the built-in ones.
type FollowUpType struct {
	Key    string `json:"key"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
}

// ValidateFollowUpTypes checks a tenant's own follow-up types.
func ValidateFollowUpTypes(ts []FollowUpType) error {
	var v Validation
	seen := map[string]bool{}
	if len(ts) > 50 {
		v.Add("types", "at most 50 types of your own")
	}
	for _, t := range ts {
		if !validKey(t.Key) || oneOf(t.Key, FollowUpTypes...) || seen[t.Key] {
			v.Add("types", "%q: a key of lower-case letters, digits or '_', not a built-in type, not repeated", t.Key)
		}
		seen[t.Key] = true
		checkName(&v, "types."+t.Key+".name_zh", t.NameZh, 30)
		checkName(&v, "types."+t.Key+".name_en", t.NameEn, 30)
	}
	return v.Err()
}

// Validate checks f's own fields; extra lists the tenant's own follow-up
// type keys beside the built-in ones.
func (f *FollowUp) Validate(now time.Time, extra ...string) error {
	var v Validation
	if f.CustomerID == 0 {
		v.Add("customer_id", "is required")
	}
	if !oneOf(f.Type, FollowUpTypes...) && !oneOf(f.Type, extra...) {
		v.Add("type", "must be one of %s", strings.Join(append(append([]string{}, FollowUpTypes...), extra...), ", "))
	}
	if f.Direction == "" {
		f.Direction = "outbound"
	}
	if !oneOf(f.Direction, Directions...) {
		v.Add("direction", "must be outbound or inbound")
	}
	if f.OccurredAt.IsZero() {
		f.OccurredAt = now
	}
	if f.OccurredAt.After(now.Add(5 * time.Minute)) {
		v.Add("occurred_at", "must not be in the future")
	}
	if f.DurationS < 0 || f.DurationS > 24*3600 {
		v.Add("duration_s", "must be 0 to 86400 seconds")
	}
	if len([]rune(f.Content)) > 20000 {
		v.Add("content", "must be at most 20000 characters")
	}
	return v.Err()
}

// Fuzzy times (模糊时间) of a next action.
var FuzzyTimes = []string{"later_today", "tonight", "tomorrow", "this_week", "next_week", "next_month"}

// Plan types (计划类型) of a next action.
var PlanTypes = []string{"keep_in_touch", "deepen_relationship", "cultivate_need", "explore_opportunity", "counter_competitor", "sign_and_collect", "greeting"}

// Next action statuses.
const (
	ActionOpen      = "open"
	ActionDone      = "done"
	ActionCancelled = "cancelled"
)

// NextAction is what a salesperson will do next and roughly when (下步事务).
type NextAction struct {
	ID           ID         `json:"id"`
	TenantID     ID         `json:"tenant_id"`
	CustomerID   ID         `json:"customer_id"`
	CustomerName string     `json:"customer_name,omitempty"`
	OwnerID      ID         `json:"owner_id"`
	PlanType     string     `json:"plan_type"`
	Fuzzy        string     `json:"fuzzy"`
	Note         string     `json:"note"`
	DueFrom      time.Time  `json:"due_from"`
	DueTo        time.Time  `json:"due_to"`
	Status       string     `json:"status"`
	DoneAt       *time.Time `json:"done_at"`
	FromFollowUp ID         `json:"from_followup"`
	DoneFollowUp ID         `json:"done_followup"`
	CreatedAt    time.Time  `json:"created_at"`
}

// NextActionInput is the next action asked for after a follow-up.
type NextActionInput struct {
	Fuzzy    string `json:"fuzzy"`
	PlanType string `json:"plan_type"`
	Note     string `json:"note"`
}

// Validate checks the input.
func (n *NextActionInput) Validate() error {
	var v Validation
	if !oneOf(n.Fuzzy, FuzzyTimes...) {
		v.Add("next_action.fuzzy", "must be one of %s", strings.Join(FuzzyTimes, ", "))
	}
	if !oneOf(n.PlanType, PlanTypes...) {
		v.Add("next_action.plan_type", "must be one of %s", strings.Join(PlanTypes, ", "))
	}
	if len([]rune(n.Note)) > 500 {
		v.Add("next_action.note", "must be at most 500 characters")
	}
	return v.Err()
}

// ResolveFuzzy turns a fuzzy time into a due window [from, to) in the
// tenant's time zone, seen from now. Weeks start on Monday; "tonight" is
// 18:00 to midnight (from now when it is already evening).
func ResolveFuzzy(fuzzy string, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	t := now.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	nextDay := day.AddDate(0, 0, 1)
	weekday := (int(t.Weekday()) + 6) % 7 // Monday = 0
	nextMonday := day.AddDate(0, 0, 7-weekday)
	later := func(a, b time.Time) time.Time {
		if a.After(b) {
			return a
		}
		return b
	}
	var from, to time.Time
	switch fuzzy {
	case "later_today":
		from, to = t, nextDay
	case "tonight":
		from, to = later(t, day.Add(18*time.Hour)), nextDay
	case "tomorrow":
		from, to = nextDay, nextDay.AddDate(0, 0, 1)
	case "this_week":
		from, to = t, nextMonday
	case "next_week":
		from, to = nextMonday, nextMonday.AddDate(0, 0, 7)
	case "next_month":
		first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, 1, 0)
		from, to = first, first.AddDate(0, 1, 0)
	default:
		return time.Time{}, time.Time{}, Errorf(EINVALID, "unknown fuzzy time %q", fuzzy)
	}
	return from.UTC(), to.UTC(), nil
}
