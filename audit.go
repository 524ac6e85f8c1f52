package cohort

import (
	"context"
	"encoding/json"
	"time"
)

// AuditEntry is one append-only line of the audit log.
type AuditEntry struct {
	ID         ID            `json:"id"`
	TenantID   ID            `json:"tenant_id"`
	At         time.Time     `json:"at"`
	ActorID    ID            `json:"actor_id"`
	ActorName  string        `json:"actor_name"`
	Action     string        `json:"action"`
	ObjectType ObjectType    `json:"object_type"`
	ObjectID   ID            `json:"object_id"`
	Changes    []FieldChange `json:"changes"`
	IP         string        `json:"ip"`
	UserAgent  string        `json:"user_agent"`
	RequestID  string        `json:"request_id"`
}

// FieldChange is one field's value before and after a write.
type FieldChange struct {
	Field  string          `json:"field"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// AuditService reads the audit log (writes happen inside every service
// transaction).
type AuditService interface {
	ListAudit(ctx context.Context, q ListQuery) ([]*AuditEntry, string, error)
}

// Notification is one message in a user's in-app inbox.
type Notification struct {
	ID        ID              `json:"id"`
	TenantID  ID              `json:"tenant_id"`
	UserID    ID              `json:"user_id"`
	Kind      string          `json:"kind"`
	Title     string          `json:"title"`
	Body      string          `json:"body"`
	Link      string          `json:"link"`
	Params    json.RawMessage `json:"params"`
	ReadAt    *time.Time      `json:"read_at"`
	CreatedAt time.Time       `json:"created_at"`
}
