package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort"
)

const teamCols = `t.id, t.record_type, t.record_id, t.user_id, COALESCE(u.name, ''), t.role_key, t.access, t.share_bp,
	t.expires_at, t.valid_from, t.valid_to, t.added_by, COALESCE(t.recorded_at, t.valid_from)`

func teamDest(m *cohort.TeamMember) []any {
	return []any{idScanner{&m.ID}, (*string)(&m.RecordType), idScanner{&m.RecordID}, idScanner{&m.UserID}, &m.UserName, &m.Role,
		&m.Access, &m.ShareBP, nullMsScanner{&m.ExpiresAt}, msScanner{&m.ValidFrom}, nullMsScanner{&m.ValidTo}, idScanner{&m.AddedBy}, msScanner{&m.RecordedAt}}
}

func queryTeam(ctx context.Context, q Queryer, where string, args ...any) ([]cohort.TeamMember, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+teamCols+` FROM record_team t LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id
		WHERE `+where+" ORDER BY t.valid_from, t.id", args...)
	if err != nil {
		return nil, fmt.Errorf("read team: %w", err)
	}
	defer rows.Close()
	out := []cohort.TeamMember{}
	for rows.Next() {
		var m cohort.TeamMember
		if err := rows.Scan(teamDest(&m)...); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CurrentTeam returns the current members of a record's team.
func CurrentTeam(ctx context.Context, q Queryer, tenantID cohort.ID, recordType cohort.ObjectType, recordID cohort.ID) ([]cohort.TeamMember, error) {
	return queryTeam(ctx, q, "t.tenant_id = ? AND t.record_type = ? AND t.record_id = ? AND t.valid_to IS NULL",
		int64(tenantID), string(recordType), int64(recordID))
}

// TeamHistory returns every membership a record's team ever had, oldest first.
func TeamHistory(ctx context.Context, q Queryer, tenantID cohort.ID, recordType cohort.ObjectType, recordID cohort.ID) ([]cohort.TeamMember, error) {
	return queryTeam(ctx, q, "t.tenant_id = ? AND t.record_type = ? AND t.record_id = ?", int64(tenantID), string(recordType), int64(recordID))
}

// TeamAt returns the team in force at business time at: credit goes to the
// team of the time of each event. Memberships are effective-dated spans in
// business time; a record's first team is in force from the record's own
// business start.
func TeamAt(ctx context.Context, q Queryer, tenantID cohort.ID, recordType cohort.ObjectType, recordID cohort.ID, at time.Time) ([]cohort.TeamMember, error) {
	return queryTeam(ctx, q, "t.tenant_id = ? AND t.record_type = ? AND t.record_id = ? AND t.valid_from <= ? AND (t.valid_to IS NULL OR t.valid_to > ?)",
		int64(tenantID), string(recordType), int64(recordID), ms(at), ms(at))
}

// OpenMembership adds m to its record's team from business time from on,
// recorded at now.
func OpenMembership(ctx context.Context, tx *Tx, tenantID cohort.ID, m *cohort.TeamMember, from, now time.Time) error {
	m.ID, m.ValidFrom, m.ValidTo, m.RecordedAt = cohort.ID(tx.db.NewID()), from, nil, now
	_, err := tx.ExecContext(ctx, `INSERT INTO record_team (tenant_id, id, record_type, record_id, user_id, role_key, access, share_bp,
		expires_at, valid_from, valid_to, added_by, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,NULL,?,?)`, int64(tenantID), int64(m.ID), string(m.RecordType),
		int64(m.RecordID), int64(m.UserID), m.Role, m.Access, m.ShareBP, nullMs(m.ExpiresAt), ms(from), nullID(m.AddedBy), ms(now))
	if isForeignKeyViolation(err) {
		return cohort.Errorf(cohort.EINVALID, "team: no such user or business role")
	}
	return err
}

// CloseMembership ends a current membership at business time at.
func CloseMembership(ctx context.Context, tx *Tx, tenantID, id cohort.ID, at time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE record_team SET valid_to = ? WHERE tenant_id = ? AND id = ? AND valid_to IS NULL", ms(at), int64(tenantID), int64(id))
	return err
}

// TeamChangedAt returns the business time of the last change of a record's
// team (zero when it never had one): a later change cannot be dated before
// it.
func TeamChangedAt(ctx context.Context, q Queryer, tenantID cohort.ID, recordType cohort.ObjectType, recordID cohort.ID) (time.Time, error) {
	var from, to sql.NullInt64
	err := q.QueryRowContext(ctx, "SELECT max(valid_from), max(valid_to) FROM record_team WHERE tenant_id = ? AND record_type = ? AND record_id = ?",
		int64(tenantID), string(recordType), int64(recordID)).Scan(&from, &to)
	if err != nil || !from.Valid {
		return time.Time{}, err
	}
	return fromMs(max(from.Int64, to.Int64)), nil
}

// MoveRecordStart moves a record's business start back from old to start:
// its created_at, its "created" event and the valid_from of its first team
// (the memberships in force at old), so that an event
// entered for a time before the record was created credits the team the
// record began with.
func MoveRecordStart(ctx context.Context, tx *Tx, obj cohort.ObjectType, tenantID, id cohort.ID, old, start time.Time) error {
	table, ok := recordTables[obj]
	if !ok {
		table, ok = map[cohort.ObjectType]string{cohort.ObjQuote: "deals", cohort.ObjLead: "leads", cohort.ObjContact: "contacts"}[obj]
	}
	if !ok {
		return fmt.Errorf("move start: no table for %s", obj)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET created_at = ?, recorded_at = COALESCE(recorded_at, created_at) WHERE tenant_id = ? AND id = ?",
		ms(start), int64(tenantID), int64(id)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE record_events SET occurred_at = ? WHERE tenant_id = ? AND record_type = ? AND record_id = ? AND event = 'created'",
		ms(start), int64(tenantID), string(obj), int64(id)); err != nil {
		return err
	}
	// The first team is the one in force at old: a membership a change
	// dated at old itself ended (valid_to = old) held no instant and stays
	// where it is, or it and its successor would overlap from start on.
	_, err := tx.ExecContext(ctx, `UPDATE record_team SET valid_from = ? WHERE tenant_id = ? AND record_type = ? AND record_id = ? AND valid_from = ?
		AND (valid_to IS NULL OR valid_to > ?)`,
		ms(start), int64(tenantID), string(obj), int64(id), ms(old), ms(old))
	return err
}

// recordTables maps the record types that carry a team to their tables.
var recordTables = map[cohort.ObjectType]string{cohort.ObjCustomer: "customers", cohort.ObjOpportunity: "opportunities",
	cohort.ObjContract: "deals", cohort.ObjOrder: "deals", cohort.ObjProject: "projects", cohort.ObjTicket: "tickets"}

// RecordTable returns the table of a record type with a team.
func RecordTable(obj cohort.ObjectType) (string, bool) {
	t, ok := recordTables[obj]
	return t, ok
}

// RecordOwner returns a record's owner.
func RecordOwner(ctx context.Context, q Queryer, obj cohort.ObjectType, tenantID, id cohort.ID) (cohort.ID, error) {
	table, ok := recordTables[obj]
	if !ok {
		return 0, cohort.Errorf(cohort.ENOTFOUND, "no team on %s", obj)
	}
	var owner cohort.ID
	err := q.QueryRowContext(ctx, "SELECT owner_id FROM "+table+" WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)).Scan(idScanner{&owner})
	if err != nil {
		return 0, notFound(string(obj))
	}
	return owner, nil
}

// RecordStart returns a record's business start (its created_at).
func RecordStart(ctx context.Context, q Queryer, obj cohort.ObjectType, tenantID, id cohort.ID) (time.Time, error) {
	table, ok := recordTables[obj]
	if !ok {
		return time.Time{}, cohort.Errorf(cohort.ENOTFOUND, "no team on %s", obj)
	}
	var at time.Time
	if err := q.QueryRowContext(ctx, "SELECT created_at FROM "+table+" WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)).Scan(msScanner{&at}); err != nil {
		return time.Time{}, notFound(string(obj))
	}
	return at, nil
}

// SetRecordOwner points a record at its owner and the owner's department.
func SetRecordOwner(ctx context.Context, tx *Tx, obj cohort.ObjectType, tenantID, id, owner, department cohort.ID, now time.Time) error {
	table, ok := recordTables[obj]
	if !ok {
		return cohort.Errorf(cohort.ENOTFOUND, "no team on %s", obj)
	}
	_, err := tx.ExecContext(ctx, "UPDATE "+table+" SET owner_id = ?, department_id = ?, version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ?",
		nullID(owner), nullID(department), ms(now), int64(tenantID), int64(id))
	return err
}

// DefaultTeam returns the members of a user's default team.
func DefaultTeam(ctx context.Context, q Queryer, tenantID, userID cohort.ID) ([]cohort.TeamInput, error) {
	rows, err := q.QueryContext(ctx, "SELECT member_id, role_key, access, share_bp FROM default_team_members WHERE tenant_id = ? AND user_id = ? ORDER BY role_key, member_id",
		int64(tenantID), int64(userID))
	if err != nil {
		return nil, fmt.Errorf("default team: %w", err)
	}
	defer rows.Close()
	out := []cohort.TeamInput{}
	for rows.Next() {
		var m cohort.TeamInput
		var share int
		if err := rows.Scan(idScanner{&m.UserID}, &m.Role, &m.Access, &share); err != nil {
			return nil, err
		}
		m.ShareBP = &share
		out = append(out, m)
	}
	return out, rows.Err()
}

// SetDefaultTeam replaces a user's default team.
func SetDefaultTeam(ctx context.Context, tx *Tx, tenantID, userID cohort.ID, members []cohort.TeamInput) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM default_team_members WHERE tenant_id = ? AND user_id = ?", int64(tenantID), int64(userID)); err != nil {
		return err
	}
	for _, m := range members {
		share := cohort.FullShare
		if m.ShareBP != nil {
			share = *m.ShareBP
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO default_team_members (tenant_id, user_id, member_id, role_key, access, share_bp) VALUES (?,?,?,?,?,?)",
			int64(tenantID), int64(userID), int64(m.UserID), m.Role, m.Access, share)
		if isForeignKeyViolation(err) {
			return cohort.Errorf(cohort.EINVALID, "members: no such user %s or business role %q", m.UserID, m.Role)
		}
		if isUniqueViolation(err) {
			return cohort.Errorf(cohort.EINVALID, "members: user %s is in role %q twice", m.UserID, m.Role)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
