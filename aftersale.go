package cohort

import (
	"slices"
	"strings"
	"time"
)

// Record types of the work after a sale.
const (
	ObjProject ObjectType = "project"
	ObjTicket  ObjectType = "ticket"
)

// Project statuses: planned → in_progress ⇄ on_hold → completed, and
// cancelled from any open status.
const (
	ProjectPlanned    = "planned"
	ProjectInProgress = "in_progress"
	ProjectOnHold     = "on_hold"
	ProjectCompleted  = "completed"
	ProjectCancelled  = "cancelled"
)

// ProjectTransitions lists the statuses a project may move to.
var ProjectTransitions = map[string][]string{
	ProjectPlanned:    {ProjectInProgress, ProjectCancelled},
	ProjectInProgress: {ProjectOnHold, ProjectCompleted, ProjectCancelled},
	ProjectOnHold:     {ProjectInProgress, ProjectCancelled},
}

// CheckProjectTransition refuses a move that ProjectTransitions does not
// list, naming the allowed ones.
func CheckProjectTransition(from, to string) error {
	if slices.Contains(ProjectTransitions[from], to) {
		return nil
	}
	return transitionError("project", from, to, ProjectTransitions[from])
}

// Project is delivery work after a signing (交付项目), for a customer and
// usually a signed contract or order. Its team names the project manager,
// implementers and others.
type Project struct {
	ID           ID                 `json:"id"`
	TenantID     ID                 `json:"tenant_id"`
	Number       string             `json:"number"`
	Name         string             `json:"name"`
	CustomerID   ID                 `json:"customer_id"`
	CustomerName string             `json:"customer_name"`
	DealID       ID                 `json:"deal_id"`
	Status       string             `json:"status"`
	StartDate    string             `json:"start_date"`
	DueDate      string             `json:"due_date"`
	StartedAt    *time.Time         `json:"started_at"`
	CompletedAt  *time.Time         `json:"completed_at"`
	Note         string             `json:"note"`
	OwnerID      ID                 `json:"owner_id"`
	DepartmentID ID                 `json:"department_id"`
	CreatedBy    ID                 `json:"created_by"`
	Milestones   []ProjectMilestone `json:"milestones"`
	Version      int                `json:"version"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

// Validate checks p's own fields.
func (p *Project) Validate() error {
	var v Validation
	p.Name = strings.TrimSpace(p.Name)
	checkName(&v, "name", p.Name, 200)
	p.Number = strings.TrimSpace(p.Number)
	if len(p.Number) > 50 {
		v.Add("number", "must be at most 50 characters")
	}
	if p.CustomerID == 0 && p.DealID == 0 {
		v.Add("customer_id", "is required (or deal_id)")
	}
	checkDate(&v, "start_date", p.StartDate)
	checkDate(&v, "due_date", p.DueDate)
	if p.StartDate != "" && p.DueDate != "" && p.DueDate < p.StartDate {
		v.Add("due_date", "must not be before start_date")
	}
	if len([]rune(p.Note)) > 5000 {
		v.Add("note", "must be at most 5000 characters")
	}
	return v.Err()
}

// ProjectUpdate holds the fields a PATCH may change.
type ProjectUpdate struct {
	Name      *string `json:"name"`
	StartDate *string `json:"start_date"`
	DueDate   *string `json:"due_date"`
	Note      *string `json:"note"`
}

// ProjectMilestone is a delivery milestone of a project; marking it done records
// when and by whom.
type ProjectMilestone struct {
	ID        ID         `json:"id"`
	ProjectID ID         `json:"project_id"`
	Name      string     `json:"name"`
	DueDate   string     `json:"due_date"`
	DoneAt    *time.Time `json:"done_at"`
	DoneBy    ID         `json:"done_by"`
	CreatedAt time.Time  `json:"created_at"`
}

// Validate checks m.
func (m *ProjectMilestone) Validate() error {
	var v Validation
	m.Name = strings.TrimSpace(m.Name)
	checkName(&v, "name", m.Name, 200)
	checkDate(&v, "due_date", m.DueDate)
	return v.Err()
}

// Ticket kinds, priorities and statuses.
var (
	TicketKinds      = []string{"request", "complaint", "fault"}
	TicketPriorities = []string{"low", "normal", "high", "urgent"}
)

// Ticket statuses: open → in_progress → resolved → closed; a resolved or
// closed ticket may be reopened.
const (
	TicketOpen       = "open"
	TicketInProgress = "in_progress"
	TicketResolved   = "resolved"
	TicketClosed     = "closed"
)

// TicketActions lists, per status, the actions a ticket allows.
var TicketActions = map[string][]string{
	TicketOpen:       {"respond", "resolve"},
	TicketInProgress: {"respond", "resolve"},
	TicketResolved:   {"close", "reopen", "rate"},
	TicketClosed:     {"reopen", "rate"},
}

// CheckTicketAction refuses an action the ticket's status does not allow,
// naming the allowed ones.
func CheckTicketAction(status, action string) error {
	allowed := TicketActions[status]
	if slices.Contains(allowed, action) {
		return nil
	}
	msg := "a " + status + " ticket cannot " + action + "; allowed: " + strings.Join(allowed, ", ")
	return &Error{Code: EINVALID, Message: "status: " + msg, Fields: []FieldError{{Field: "status", Message: msg}}}
}

// Ticket is a service request, complaint or fault after a sale (工单).
type Ticket struct {
	ID ID `json:"id"`
	// ExternalID is the record's id in the system it was migrated from
	// (unique per tenant and type when set).
	ExternalID      string     `json:"external_id"`
	TenantID        ID         `json:"tenant_id"`
	Number          string     `json:"number"`
	CustomerID      ID         `json:"customer_id"`
	CustomerName    string     `json:"customer_name"`
	ContactID       ID         `json:"contact_id"`
	DealID          ID         `json:"deal_id"`
	Kind            string     `json:"kind"`
	Priority        string     `json:"priority"`
	Status          string     `json:"status"`
	Subject         string     `json:"subject"`
	Description     string     `json:"description"`
	OpenedAt        time.Time  `json:"opened_at"`
	FirstResponseAt *time.Time `json:"first_response_at"`
	FirstResponseBy ID         `json:"first_response_by"`
	ResolvedAt      *time.Time `json:"resolved_at"`
	ResolvedBy      ID         `json:"resolved_by"`
	Resolution      string     `json:"resolution"`
	ClosedAt        *time.Time `json:"closed_at"`
	// Cost is the service cost in minor units of Currency.
	Cost             int64     `json:"cost"`
	Currency         string    `json:"currency"`
	Satisfaction     int       `json:"satisfaction"`
	SatisfactionNote string    `json:"satisfaction_note"`
	OwnerID          ID        `json:"owner_id"`
	DepartmentID     ID        `json:"department_id"`
	CreatedBy        ID        `json:"created_by"`
	Version          int       `json:"version"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// Validate checks t's own fields and fills defaults.
func (t *Ticket) Validate() error {
	var v Validation
	t.Subject = strings.TrimSpace(t.Subject)
	checkName(&v, "subject", t.Subject, 200)
	t.Number = strings.TrimSpace(t.Number)
	if len(t.Number) > 50 {
		v.Add("number", "must be at most 50 characters")
	}
	if t.CustomerID == 0 {
		v.Add("customer_id", "is required")
	}
	if t.Kind == "" {
		t.Kind = "request"
	}
	if !slices.Contains(TicketKinds, t.Kind) {
		v.Add("kind", "must be one of %s", strings.Join(TicketKinds, ", "))
	}
	if t.Priority == "" {
		t.Priority = "normal"
	}
	if !slices.Contains(TicketPriorities, t.Priority) {
		v.Add("priority", "must be one of %s", strings.Join(TicketPriorities, ", "))
	}
	if len([]rune(t.Description)) > 20000 || len([]rune(t.Resolution)) > 20000 {
		v.Add("description", "description and resolution are at most 20000 characters")
	}
	if t.Cost < 0 || t.Cost > MaxMoney {
		v.Add("cost", "must be 0 to 10^15 minor units")
	}
	if t.Satisfaction != 0 && (t.Satisfaction < 1 || t.Satisfaction > 5) {
		v.Add("satisfaction", "must be 1 to 5")
	}
	return v.Err()
}

// TicketUpdate holds the fields a PATCH may change; the status changes
// through the ticket's actions.
type TicketUpdate struct {
	Subject     *string `json:"subject"`
	Description *string `json:"description"`
	Kind        *string `json:"kind"`
	Priority    *string `json:"priority"`
	ContactID   *ID     `json:"contact_id"`
	Cost        *int64  `json:"cost"`
}
