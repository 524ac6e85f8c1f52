package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
)

// InsertAudit appends an entry to the audit log.
func InsertAudit(ctx context.Context, tx *Tx, e *cohort.AuditEntry) error {
	e.ID = cohort.ID(tx.db.NewID())
	if e.Changes == nil {
		e.Changes = []cohort.FieldChange{}
	}
	ch, err := encodeChanges(e.Changes)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (tenant_id, id, at, actor_id, action, object_type, object_id, changes, ip, user_agent, request_id)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`, int64(e.TenantID), int64(e.ID), ms(e.At), nullID(e.ActorID), e.Action, string(e.ObjectType),
		nullID(e.ObjectID), string(ch), truncate(e.IP, 64), truncate(e.UserAgent, 300), truncate(e.RequestID, 64))
	return err
}

// AuditList is the list spec of the audit log. It is ordered by id, which is
// time-ordered.
var AuditList = &ListSpec{
	IDColumn: "a.id",
	Fields: map[string]Field{
		"at":          {Column: "a.at", Type: TTime},
		"actor_id":    {Column: "a.actor_id", Type: TID},
		"action":      {Column: "a.action"},
		"object_type": {Column: "a.object_type"},
		"object_id":   {Column: "a.object_id", Type: TID},
		"request_id":  {Column: "a.request_id"},
	},
	DefaultSort: nil,
}

// ListAudit lists a tenant's audit log, newest first.
func ListAudit(ctx context.Context, q Queryer, tenantID cohort.ID, lq cohort.ListQuery, loc *time.Location) ([]*cohort.AuditEntry, string, error) {
	if len(lq.Sort) == 0 {
		lq.Sort = nil
	}
	spec := *AuditList
	return List(ctx, q, &spec, lq, loc, `SELECT a.id, a.tenant_id, a.at, a.actor_id, COALESCE(u.name, ''), a.action, a.object_type, a.object_id,
		a.changes, a.ip, a.user_agent, a.request_id FROM audit_log a LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.actor_id`,
		Where{"a.tenant_id = ?", []any{int64(tenantID)}}, func() (*cohort.AuditEntry, []any) {
			e := &cohort.AuditEntry{}
			return e, []any{idScanner{&e.ID}, idScanner{&e.TenantID}, msScanner{&e.At}, idScanner{&e.ActorID}, &e.ActorName, &e.Action,
				(*string)(&e.ObjectType), idScanner{&e.ObjectID}, changesScanner{&e.Changes}, &e.IP, &e.UserAgent, &e.RequestID}
		})
}

// --- idempotency keys

// IdempotentResponse is a stored response to a create.
type IdempotentResponse struct {
	RequestHash string
	Status      int
	Body        []byte
}

// AbandonedClaim is how long an idempotency key may stay claimed without an
// answer before a retry may run again.
const AbandonedClaim = 2 * time.Minute

// ClaimIdempotencyKey records that (user, key) is being handled. It returns the
// stored response when the key was used before (Status 0 while the first
// request is still running), or nil when this call claimed it.
func ClaimIdempotencyKey(ctx context.Context, tx *Tx, tenantID, userID cohort.ID, key, hash string, now time.Time) (*IdempotentResponse, error) {
	r := &IdempotentResponse{}
	var body *string
	var created int64
	err := tx.QueryRowContext(ctx, "SELECT request_hash, status, response, created_at FROM idempotency_keys WHERE tenant_id = ? AND user_id = ? AND key = ?",
		int64(tenantID), int64(userID), key).Scan(&r.RequestHash, &r.Status, &body, &created)
	if err == nil && r.Status == 0 && now.Sub(fromMs(created)) > AbandonedClaim {
		// The first request died without an answer (a crash between its
		// commit and storing the response is the one case this cannot
		// tell from a failure): let this one run.
		_, err = tx.ExecContext(ctx, "UPDATE idempotency_keys SET request_hash = ?, created_at = ? WHERE tenant_id = ? AND user_id = ? AND key = ? AND status = 0",
			hash, ms(now), int64(tenantID), int64(userID), key)
		return nil, err
	}
	if err == nil {
		if body != nil {
			r.Body = []byte(*body)
		}
		return r, nil
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO idempotency_keys (tenant_id, id, user_id, key, request_hash, status, created_at) VALUES (?,?,?,?,?,0,?)",
		int64(tenantID), tx.db.NewID(), int64(userID), key, hash, ms(now))
	if isUniqueViolation(err) {
		return &IdempotentResponse{RequestHash: hash}, nil
	}
	return nil, err
}

// CompleteIdempotencyKey stores the response to a claimed key; a failed
// request releases the key instead so that a retry can run.
func CompleteIdempotencyKey(ctx context.Context, tx *Tx, tenantID, userID cohort.ID, key string, status int, body []byte) error {
	if status >= 300 {
		_, err := tx.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE tenant_id = ? AND user_id = ? AND key = ?", int64(tenantID), int64(userID), key)
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE idempotency_keys SET status = ?, response = ? WHERE tenant_id = ? AND user_id = ? AND key = ?",
		status, string(body), int64(tenantID), int64(userID), key)
	return err
}

// encodeChanges writes an entry's changes as one JSON object of
// "field": [before, after] — about half the bytes of a list of
// {"field","before","after"} objects (issue 12, "Size"). A list that names a
// field twice keeps the list form, which changesScanner reads too.
func encodeChanges(changes []cohort.FieldChange) ([]byte, error) {
	var b bytes.Buffer
	seen := make(map[string]bool, len(changes))
	b.WriteByte('{')
	for i, c := range changes {
		if seen[c.Field] {
			return json.Marshal(changes)
		}
		seen[c.Field] = true
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c.Field)
		b.Write(k)
		b.WriteString(":[")
		for j, v := range []json.RawMessage{c.Before, c.After} {
			if j > 0 {
				b.WriteByte(',')
			}
			if len(bytes.TrimSpace(v)) == 0 {
				b.WriteString("null")
			} else if err := json.Compact(&b, v); err != nil {
				return nil, fmt.Errorf("audit change %s: %w", c.Field, err)
			}
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// changesScanner reads an entry's changes in either stored form: the object
// of encodeChanges (its fields in name order: PostgreSQL's jsonb keeps no
// order) or the list of entries written before it.
type changesScanner struct{ dst *[]cohort.FieldChange }

func (s changesScanner) Scan(v any) error {
	var raw []byte
	switch x := v.(type) {
	case nil:
		*s.dst = []cohort.FieldChange{}
		return nil
	case string:
		raw = []byte(x)
	case []byte:
		raw = x
	default:
		return fmt.Errorf("audit changes: unexpected %T", v)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return json.Unmarshal(raw, s.dst)
	}
	var m map[string][2]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("audit changes: %w", err)
	}
	out := make([]cohort.FieldChange, 0, len(m))
	for f, ba := range m {
		out = append(out, cohort.FieldChange{Field: f, Before: ba[0], After: ba[1]})
	}
	slices.SortFunc(out, func(a, b cohort.FieldChange) int { return strings.Compare(a.Field, b.Field) })
	*s.dst = out
	return nil
}
