package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
)

const importCols = `i.id, i.tenant_id, i.object_type, i.format, i.file_name, i.file_path, i.file_size, i.dry_run, i.status, i.locale,
	i.permissions, i.rows_done, i.rows_ok, i.rows_failed, i.rows_skipped, i.errors_path, i.errors_size, i.error, i.created_by, i.created_at,
	i.started_at, i.finished_at, i.updated_at`

func importDest(i *cohort.Import) []any {
	return []any{idScanner{&i.ID}, idScanner{&i.TenantID}, (*string)(&i.ObjectType), &i.Format, &i.FileName, &i.FilePath, &i.FileSize,
		&i.DryRun, &i.Status, &i.Locale, jsonScanner{&i.Permissions}, &i.RowsRead, &i.RowsOK, &i.RowsFailed, &i.RowsSkipped, &i.ErrorsPath, &i.ErrorsSize,
		&i.Error, idScanner{&i.CreatedBy}, msScanner{&i.CreatedAt}, nullMsScanner{&i.StartedAt}, nullMsScanner{&i.FinishedAt}, msScanner{&i.UpdatedAt}}
}

// InsertImport records a queued import; i.ID must be set (the file is named
// after it before the row exists).
func InsertImport(ctx context.Context, tx *Tx, i *cohort.Import, now time.Time) error {
	perms, err := json.Marshal(i.Permissions)
	if err != nil {
		return fmt.Errorf("insert import: %w", err)
	}
	i.Status, i.CreatedAt, i.UpdatedAt = cohort.ImportQueued, now, now
	_, err = tx.ExecContext(ctx, `INSERT INTO imports (tenant_id, id, object_type, format, file_name, file_path, file_size, dry_run, status,
		locale, permissions, errors_path, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		int64(i.TenantID), int64(i.ID), string(i.ObjectType), i.Format, i.FileName, i.FilePath, i.FileSize, i.DryRun, i.Status,
		i.Locale, string(perms), i.ErrorsPath, int64(i.CreatedBy), ms(now), ms(now))
	if err != nil {
		return fmt.Errorf("insert import: %w", err)
	}
	return nil
}

// FindImport returns an import of a tenant.
func FindImport(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.Import, error) {
	i := &cohort.Import{}
	err := q.QueryRowContext(ctx, "SELECT "+importCols+" FROM imports i WHERE i.tenant_id = ? AND i.id = ?", int64(tenantID), int64(id)).Scan(importDest(i)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("import")
	}
	if err != nil {
		return nil, fmt.Errorf("find import: %w", err)
	}
	return i, nil
}

// SaveImportProgress records an import's committed progress, in the
// transaction that commits the rows it counts.
func SaveImportProgress(ctx context.Context, tx *Tx, i *cohort.Import, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE imports SET status = ?, rows_done = ?, rows_ok = ?, rows_failed = ?, rows_skipped = ?, errors_size = ?, error = ?,
		started_at = ?, finished_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`, i.Status, i.RowsRead, i.RowsOK, i.RowsFailed, i.RowsSkipped,
		i.ErrorsSize, truncate(i.Error, 2000), nullMs(i.StartedAt), nullMs(i.FinishedAt), ms(now), int64(i.TenantID), int64(i.ID))
	if err != nil {
		return fmt.Errorf("save import progress: %w", err)
	}
	i.UpdatedAt = now
	return nil
}

// --- bulk writes of imported records. Each mirrors the one-record insert
// of its table (InsertCustomer, OpenMembership, InsertAudit, ...) column for
// column; a test holds imported records equal to created ones.

var customerInsertCols = []string{"id", "tenant_id", "name", "name_key", "credit_code", "industry", "province", "city", "source", "grade",
	"segment", "value_quality", "deal_size", "expected_sign_date", "expected_amount", "currency", "milestones", "status", "lost_reason", "lost_at",
	"first_signed_at", "owner_id", "department_id", "last_followup_at", "custom", "created_by", "version", "created_at", "updated_at", "external_id", "recorded_at"}

// BulkInsertCustomers inserts new customers, giving each its id. A
// customer's creation time, if set, is kept (a migrated history); it is now
// otherwise.
func BulkInsertCustomers(ctx context.Context, tx *Tx, cs []*cohort.Customer, now time.Time) error {
	rows := make([][]any, 0, len(cs))
	for _, c := range cs {
		if c.ID == 0 {
			c.ID = cohort.ID(tx.db.NewID())
		}
		c.Version, c.CreatedAt, c.UpdatedAt = 1, createdAt(c.CreatedAt, now), now
		ms1, _ := json.Marshal(c.Milestones)
		rows = append(rows, []any{int64(c.ID), int64(c.TenantID), c.Name, cohort.CompanyKey(c.Name), c.CreditCode, c.Industry, c.Province, c.City,
			c.Source, c.Grade, c.Segment, c.ValueQuality, c.DealSize, c.ExpectedSignDate, c.ExpectedAmount, c.Currency, string(ms1), c.Status,
			c.LostReason, nullMs(c.LostAt), nullMs(c.FirstSignedAt), nullID(c.OwnerID), nullID(c.DepartmentID), nullMs(c.LastFollowUpAt),
			string(c.Custom), nullID(c.CreatedBy), c.Version, ms(c.CreatedAt), ms(now), c.ExternalID, ms(now)})
	}
	return BulkInsert(ctx, tx, "customers", customerInsertCols, rows)
}

// BulkOpenMemberships adds team members from their ValidFrom on (now when
// unset: a migrated record's first team is in force from its business
// start), giving each its id.
func BulkOpenMemberships(ctx context.Context, tx *Tx, tenantID cohort.ID, ms1 []cohort.TeamMember, now time.Time) error {
	rows := make([][]any, 0, len(ms1))
	for i := range ms1 {
		m := &ms1[i]
		m.ID, m.ValidFrom, m.ValidTo = cohort.ID(tx.db.NewID()), createdAt(m.ValidFrom, now), nil
		rows = append(rows, []any{int64(tenantID), int64(m.ID), string(m.RecordType), int64(m.RecordID), int64(m.UserID), m.Role, m.Access,
			m.ShareBP, nullMs(m.ExpiresAt), ms(m.ValidFrom), nil, nullID(m.AddedBy), ms(now)})
	}
	return BulkInsert(ctx, tx, "record_team", []string{"tenant_id", "id", "record_type", "record_id", "user_id", "role_key", "access",
		"share_bp", "expires_at", "valid_from", "valid_to", "added_by", "recorded_at"}, rows)
}

// BulkInsertAudit appends audit entries.
func BulkInsertAudit(ctx context.Context, tx *Tx, es []*cohort.AuditEntry) error {
	rows := make([][]any, 0, len(es))
	for _, e := range es {
		e.ID = cohort.ID(tx.db.NewID())
		if e.Changes == nil {
			e.Changes = []cohort.FieldChange{}
		}
		ch, err := encodeChanges(e.Changes)
		if err != nil {
			return err
		}
		rows = append(rows, []any{int64(e.TenantID), int64(e.ID), ms(e.At), nullID(e.ActorID), e.Action, string(e.ObjectType), nullID(e.ObjectID),
			string(ch), truncate(e.IP, 64), truncate(e.UserAgent, 300), truncate(e.RequestID, 64)})
	}
	return BulkInsert(ctx, tx, "audit_log", []string{"tenant_id", "id", "at", "actor_id", "action", "object_type", "object_id", "changes",
		"ip", "user_agent", "request_id"}, rows)
}

// BulkInsertContacts inserts new contacts. A primary contact makes its
// customer's earlier contacts non-primary, as InsertContact does.
func BulkInsertContacts(ctx context.Context, tx *Tx, cs []*cohort.Contact, now time.Time) error {
	rows := make([][]any, 0, len(cs))
	for _, c := range cs {
		c.ID, c.Version, c.CreatedAt, c.UpdatedAt = cohort.ID(tx.db.NewID()), 1, createdAt(c.CreatedAt, now), now
		if c.IsPrimary {
			if err := clearPrimary(ctx, tx, c.TenantID, c.CustomerID); err != nil {
				return err
			}
			// A later primary row of the same customer in this batch wins.
			for _, r := range rows {
				if r[2] == int64(c.CustomerID) {
					r[8] = false
				}
			}
		}
		rows = append(rows, []any{int64(c.ID), int64(c.TenantID), int64(c.CustomerID), c.Name, c.Title, c.Phone, c.Email, c.WeChat, c.IsPrimary,
			string(c.Custom), c.Version, ms(c.CreatedAt), ms(now), c.ExternalID, ms(now)})
	}
	return BulkInsert(ctx, tx, "contacts", []string{"id", "tenant_id", "customer_id", "name", "title", "phone", "email", "wechat", "is_primary",
		"custom", "version", "created_at", "updated_at", "external_id", "recorded_at"}, rows)
}

// BulkInsertLeads inserts new leads.
func BulkInsertLeads(ctx context.Context, tx *Tx, ls []*cohort.Lead, now time.Time) error {
	rows := make([][]any, 0, len(ls))
	for _, l := range ls {
		l.ID, l.Version, l.CreatedAt, l.UpdatedAt = cohort.ID(tx.db.NewID()), 1, now, now
		rows = append(rows, []any{int64(l.ID), int64(l.TenantID), l.Name, l.Company, l.Title, l.Phone, l.Email, l.Province, l.City, l.Industry,
			l.Source, l.Status, l.Note, nullID(l.OwnerID), nullID(l.DepartmentID), string(l.Custom), l.Version, ms(now), ms(now), l.ExternalID})
	}
	return BulkInsert(ctx, tx, "leads", []string{"id", "tenant_id", "name", "company", "title", "phone", "email", "province", "city", "industry",
		"source", "status", "note", "owner_id", "department_id", "custom", "version", "created_at", "updated_at", "external_id"}, rows)
}

// BulkInsertFollowUps inserts follow-ups. It leaves the customers' last
// follow-up times to MoveLastFollowUps: moving them batch by batch rewrote
// every customer of a batch again and again, and on PostgreSQL each rewrite
// leaves a dead row version in every index of customers (the time is
// indexed), which slowed the foreign-key checks of later batches — a
// million follow-ups of 1,000 customers took 223 s instead of about 60.
func BulkInsertFollowUps(ctx context.Context, tx *Tx, fs []*cohort.FollowUp, now time.Time) error {
	rows := make([][]any, 0, len(fs))
	for _, f := range fs {
		f.ID, f.CreatedAt = cohort.ID(tx.db.NewID()), now
		rows = append(rows, []any{int64(f.TenantID), int64(f.ID), int64(f.CustomerID), nullID(f.ContactID), string(f.RecordType), nullID(f.RecordID),
			f.Type, f.Direction, ms(f.OccurredAt), f.DurationS, f.Content, int64(f.AuthorID), nullID(f.DepartmentID), ms(now), f.ExternalID})
	}
	return BulkInsert(ctx, tx, "followups", []string{"tenant_id", "id", "customer_id", "contact_id", "record_type", "record_id", "type",
		"direction", "occurred_at", "duration_s", "content", "author_id", "department_id", "created_at", "external_id"}, rows)
}

// MoveLastFollowUpsTo moves each customer's last follow-up time forward to
// the time latest gives it.
func MoveLastFollowUpsTo(ctx context.Context, tx *Tx, tenantID cohort.ID, latest map[cohort.ID]int64) error {
	return moveCustomerTimes(ctx, tx, tenantID, "last_followup_at", "<", latest)
}

// moveCustomerTimes sets column col of each customer of times to its time
// where col is unset or cmp (< to move it forward, > back) that time, one
// statement per 5,000 customers.
func moveCustomerTimes(ctx context.Context, tx *Tx, tenantID cohort.ID, col, cmp string, times map[cohort.ID]int64) error {
	ids := make([]cohort.ID, 0, len(times))
	for id := range times {
		ids = append(ids, id)
	}
	slices.Sort(ids) // concurrent writers lock customers in the same order
	const per = 5000
	for start := 0; start < len(ids); start += per {
		chunk := ids[start:min(start+per, len(ids))]
		args := make([]any, 0, 2*len(chunk)+1)
		for _, id := range chunk {
			args = append(args, int64(id), times[id])
		}
		args = append(args, int64(tenantID))
		vals := strings.TrimSuffix(strings.Repeat("(CAST(? AS BIGINT), CAST(? AS BIGINT)),", len(chunk)), ",")
		_, err := tx.ExecContext(ctx, `WITH v (id, at) AS (VALUES `+vals+`)
			UPDATE customers SET `+col+` = v.at FROM v
			WHERE customers.tenant_id = ? AND customers.id = v.id
			AND (customers.`+col+` IS NULL OR customers.`+col+` `+cmp+` v.at)`, args...)
		if err != nil {
			return fmt.Errorf("move %s: %w", col, err)
		}
	}
	return nil
}

// MoveLastFollowUps moves each customer's last follow-up time forward to
// the latest of its follow-ups whose id is sinceID or more (those an import
// created since it started), in one statement. Running it twice, or over
// follow-ups that already moved it, changes nothing. It aggregates all those
// follow-ups, so an import that saw all its batches commit uses
// MoveLastFollowUpsTo with what it remembered instead.
func MoveLastFollowUps(ctx context.Context, tx *Tx, tenantID cohort.ID, sinceID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE customers SET last_followup_at = m.at
		FROM (SELECT customer_id, max(occurred_at) AS at FROM followups WHERE tenant_id = ? AND id >= ? GROUP BY customer_id) m
		WHERE customers.tenant_id = ? AND customers.id = m.customer_id
		AND (customers.last_followup_at IS NULL OR customers.last_followup_at < m.at)`, int64(tenantID), sinceID, int64(tenantID))
	if err != nil {
		return fmt.Errorf("move last follow-up: %w", err)
	}
	return nil
}

// --- look-ups for matching imported rows

// CustomerRef is what an import needs of a customer to match or link a row.
type CustomerRef struct {
	ID           cohort.ID
	Name         string
	NameKey      string
	CreditCode   string
	OwnerID      cohort.ID
	DepartmentID cohort.ID
}

// CustomerRefs returns the customers of a tenant inside scope (aliased c)
// whose normalised name is one of nameKeys or whose credit code is one of
// codes.
func CustomerRefs(ctx context.Context, q Queryer, tenantID cohort.ID, nameKeys, codes []string, scope Where) ([]CustomerRef, error) {
	if len(nameKeys) == 0 && len(codes) == 0 {
		return nil, nil
	}
	// One SELECT per column, joined by UNION: each can use its index (an OR
	// of two IN lists read every customer of the tenant on PostgreSQL).
	var parts []string
	var args []any
	for _, part := range []struct {
		col  string
		vals []string
	}{{"c.name_key", nameKeys}, {"c.credit_code", codes}} {
		if len(part.vals) == 0 {
			continue
		}
		in, inArgs := inList(q.Engine(), part.col, part.vals)
		w := And(Where{"c.tenant_id = ? AND " + in, append([]any{int64(tenantID)}, inArgs...)}, scope)
		parts = append(parts, "SELECT c.id, c.name, c.name_key, c.credit_code, c.owner_id, c.department_id FROM customers c WHERE "+w.SQL)
		args = append(args, w.Args...)
	}
	rows, err := q.QueryContext(ctx, strings.Join(parts, " UNION "), args...)
	if err != nil {
		return nil, fmt.Errorf("match customers: %w", err)
	}
	defer rows.Close()
	var out []CustomerRef
	for rows.Next() {
		var r CustomerRef
		if err := rows.Scan(idScanner{&r.ID}, &r.Name, &r.NameKey, &r.CreditCode, idScanner{&r.OwnerID}, idScanner{&r.DepartmentID}); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ExistingPhonesEmails returns which of phones and emails are taken in
// table (contacts or leads) of a tenant.
func ExistingPhonesEmails(ctx context.Context, q Queryer, table string, tenantID cohort.ID, phones, emails []string) (map[string]bool, error) {
	found := map[string]bool{}
	for _, part := range []struct {
		col  string
		vals []string
	}{{"phone", phones}, {"email", emails}} {
		if len(part.vals) == 0 {
			continue
		}
		in, inArgs := inList(q.Engine(), part.col, part.vals)
		rows, err := q.QueryContext(ctx, "SELECT "+part.col+" FROM "+table+" WHERE tenant_id = ? AND "+in, append([]any{int64(tenantID)}, inArgs...)...)
		if err != nil {
			return nil, fmt.Errorf("match %s: %w", table, err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return nil, err
			}
			found[part.col+":"+v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// TenantUsers returns every user of a tenant, to match owners and authors
// by e-mail or name.
func TenantUsers(ctx context.Context, q Queryer, tenantID cohort.ID) ([]*cohort.User, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+userCols+" FROM users u WHERE u.tenant_id = ? ORDER BY u.id", int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []*cohort.User
	for rows.Next() {
		u := &cohort.User{}
		if err := rows.Scan(userDest(u)...); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UsersInScope returns the ids of the users of a tenant inside access
// (over the user as owner): whom the caller may make a record's owner. With
// ids, only those of them are looked at.
func UsersInScope(ctx context.Context, q Queryer, tenantID cohort.ID, access cohort.Access, ids ...cohort.ID) (map[cohort.ID]bool, error) {
	w := And(Where{"u.tenant_id = ?", []any{int64(tenantID)}}, AccessWhere(access, "u.id", "u.department_id"))
	if len(ids) > 0 {
		in := Where{SQL: "u.id IN (" + placeholders(len(ids)) + ")"}
		for _, id := range ids {
			in.Args = append(in.Args, int64(id))
		}
		w = And(w, in)
	}
	rows, err := q.QueryContext(ctx, "SELECT u.id FROM users u WHERE "+w.SQL, w.Args...)
	if err != nil {
		return nil, fmt.Errorf("users in scope: %w", err)
	}
	defer rows.Close()
	out := map[cohort.ID]bool{}
	for rows.Next() {
		var id cohort.ID
		if err := rows.Scan(idScanner{&id}); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// CustomerNames returns the names of customers by id.
func CustomerNames(ctx context.Context, q Queryer, tenantID cohort.ID, ids []cohort.ID) (map[cohort.ID]string, error) {
	out := map[cohort.ID]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{int64(tenantID)}
	for _, id := range ids {
		args = append(args, int64(id))
	}
	rows, err := q.QueryContext(ctx, "SELECT id, name FROM customers WHERE tenant_id = ? AND id IN ("+placeholders(len(ids))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("customer names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id cohort.ID
		var name string
		if err := rows.Scan(idScanner{&id}, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// ContactsOf returns the contacts of customers, by customer and primary
// first.
func ContactsOf(ctx context.Context, q Queryer, tenantID cohort.ID, customerIDs []cohort.ID) ([]*cohort.Contact, error) {
	if len(customerIDs) == 0 {
		return nil, nil
	}
	args := []any{int64(tenantID)}
	for _, id := range customerIDs {
		args = append(args, int64(id))
	}
	rows, err := q.QueryContext(ctx, "SELECT "+contactCols+" FROM contacts k WHERE k.tenant_id = ? AND k.customer_id IN ("+placeholders(len(customerIDs))+
		") ORDER BY k.customer_id, k.is_primary DESC, k.id", args...)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	defer rows.Close()
	var out []*cohort.Contact
	for rows.Next() {
		c := &cohort.Contact{}
		if err := rows.Scan(contactDest(c)...); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
