package cohort

import "time"

// Kinds of captured communication.
const (
	CommCall  = "call"
	CommSMS   = "sms"
	CommEmail = "email"
)

// Statuses of captured items.
const (
	CommMatched   = "matched"
	CommUnmatched = "unmatched"
	CommDismissed = "dismissed"
)

// CommItem is one captured call, SMS or email.
type CommItem struct {
	ID           ID        `json:"id"`
	TenantID     ID        `json:"tenant_id"`
	Kind         string    `json:"kind"`
	Source       string    `json:"source"`
	ExternalID   string    `json:"external_id"`
	Direction    string    `json:"direction"`
	From         string    `json:"from"`
	To           string    `json:"to"`
	UserID       ID        `json:"user_id"`
	StartedAt    time.Time `json:"started_at"`
	DurationS    int       `json:"duration_s"`
	Subject      string    `json:"subject"`
	Body         string    `json:"body"`
	RecordingURL string    `json:"recording_url"`
	Status       string    `json:"status"`
	// Reason says why an item was not matched.
	Reason     string    `json:"reason"`
	FollowUpID ID        `json:"followup_id"`
	CustomerID ID        `json:"customer_id"`
	ContactID  ID        `json:"contact_id"`
	CreatedAt  time.Time `json:"created_at"`
}
