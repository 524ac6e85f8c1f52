package cohort

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// ObjExpense names expenses in the audit log and the fact ledger.
const ObjExpense ObjectType = "expense"

// Expense is a sales expense a person incurred (travel, entertainment,
// gifts ...), optionally for a customer and an opportunity: METRICS.md
// "sales expenses" are the expenses incurred in a period, credited to the
// person who incurred them.
type Expense struct {
	ID       ID `json:"id"`
	TenantID ID `json:"tenant_id"`
	// UserID is the person who incurred it (default: the one recording it).
	UserID ID `json:"user_id"`
	// DepartmentID is the person's department on IncurredOn.
	DepartmentID  ID `json:"department_id"`
	CustomerID    ID `json:"customer_id"`
	OpportunityID ID `json:"opportunity_id"`
	// CustomerName and OpportunityName name the linked records ("" when
	// none), for lists.
	CustomerName    string `json:"customer_name"`
	OpportunityName string `json:"opportunity_name"`
	Type            string `json:"type"`
	// Amount is positive, in minor units of Currency.
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	// IncurredOn is the business date (local, YYYY-MM-DD); CreatedAt is
	// when the expense was recorded.
	IncurredOn string    `json:"incurred_on"`
	Note       string    `json:"note"`
	CreatedBy  ID        `json:"created_by"`
	Version    int       `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ExpenseUpdate changes an expense; absent fields stay. customer_id or
// opportunity_id given as null unlinks the expense from it.
type ExpenseUpdate struct {
	CustomerID    *ID     `json:"customer_id,omitempty"`
	OpportunityID *ID     `json:"opportunity_id,omitempty"`
	Type          *string `json:"type,omitempty" example:"travel"`
	Amount        *int64  `json:"amount,omitempty" example:"38000"`
	Currency      *string `json:"currency,omitempty" example:"CNY"`
	IncurredOn    *string `json:"incurred_on,omitempty" example:"2026-03-02"`
	Note          *string `json:"note,omitempty"`
}

// UnmarshalJSON reads an update as encoding/json does (unknown fields
// refused), and reads a null customer_id or opportunity_id as "unlink",
// which a plain pointer cannot tell from an absent field.
func (upd *ExpenseUpdate) UnmarshalJSON(b []byte) error {
	type plain ExpenseUpdate
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode((*plain)(upd)); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for key, field := range map[string]**ID{"customer_id": &upd.CustomerID, "opportunity_id": &upd.OpportunityID} {
		if v, ok := raw[key]; ok && string(v) == "null" {
			*field = new(ID)
		}
	}
	return nil
}

// Apply returns e with upd applied, not yet validated.
func (upd ExpenseUpdate) Apply(e Expense) Expense {
	if upd.CustomerID != nil {
		e.CustomerID = *upd.CustomerID
	}
	if upd.OpportunityID != nil {
		e.OpportunityID = *upd.OpportunityID
	}
	if upd.Type != nil {
		e.Type = *upd.Type
	}
	if upd.Amount != nil {
		e.Amount = *upd.Amount
	}
	if upd.Currency != nil {
		e.Currency = *upd.Currency
	}
	if upd.IncurredOn != nil {
		e.IncurredOn = *upd.IncurredOn
	}
	if upd.Note != nil {
		e.Note = *upd.Note
	}
	return e
}

// Validate checks e's own fields; today is the tenant's local date
// (YYYY-MM-DD): an expense is not incurred in the future.
func (e *Expense) Validate(today string) error {
	var v Validation
	e.Type = strings.TrimSpace(e.Type)
	checkName(&v, "type", e.Type, 50)
	if e.Amount <= 0 || e.Amount > MaxMoney {
		v.Add("amount", "must be a positive amount in minor units (at most 10^15)")
	}
	if !ValidCurrencyCode(e.Currency) {
		v.Add("currency", "must be an ISO 4217 currency code such as CNY")
	}
	if _, err := time.Parse(time.DateOnly, e.IncurredOn); err != nil {
		v.Add("incurred_on", "must be a date YYYY-MM-DD")
	} else if e.IncurredOn > today {
		v.Add("incurred_on", "%s is in the future", e.IncurredOn)
	}
	if utf8.RuneCountInString(e.Note) > 2000 {
		v.Add("note", "must be at most 2000 characters")
	}
	return v.Err()
}
