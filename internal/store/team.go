package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort"
)

const teamCols = `t.id, t.record_type, t.record_id, t.user_id, COALESCE(u.name, ''), t.role_key, t.access, t.share_bp,
	t.expires_at, t.valid_from, t.valid_to, t.added_by`

func teamDest(m *cohort.TeamMember) []any {
	return []any{idScanner{&m.ID}, (*string)(&m.RecordType), idScanner{&m.RecordID}, idScanner{&m.UserID}, &m.UserName, &m.Role,
		&m.Access, &m.ShareBP, nullMsScanner{&m.ExpiresAt}, msScanner{&m.ValidFrom}, nullMsScanner{&m.ValidTo}, idScanner{&m.AddedBy}}
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

// TeamAt returns the team as it was at instant at: credit goes to the team of
// the time of each event.
func TeamAt(ctx context.Context, q Queryer, tenantID cohort.ID, recordType cohort.ObjectType, recordID cohort.ID, at time.Time) ([]cohort.TeamMember, error) {
	return queryTeam(ctx, q, "t.tenant_id = ? AND t.record_type = ? AND t.record_id = ? AND t.valid_from <= ? AND (t.valid_to IS NULL OR t.valid_to > ?)",
		int64(tenantID), string(recordType), int64(recordID), ms(at), ms(at))
}

// OpenMembership adds m to its record's team from now on.
func OpenMembership(ctx context.Context, tx *Tx, tenantID cohort.ID, m *cohort.TeamMember, now time.Time) error {
	m.ID, m.ValidFrom, m.ValidTo = cohort.ID(tx.db.NewID()), now, nil
	_, err := tx.ExecContext(ctx, `INSERT INTO record_team (tenant_id, id, record_type, record_id, user_id, role_key, access, share_bp,
		expires_at, valid_from, valid_to, added_by) VALUES (?,?,?,?,?,?,?,?,?,?,NULL,?)`, int64(tenantID), int64(m.ID), string(m.RecordType),
		int64(m.RecordID), int64(m.UserID), m.Role, m.Access, m.ShareBP, nullMs(m.ExpiresAt), ms(now), nullID(m.AddedBy))
	if isForeignKeyViolation(err) {
		return cohort.Errorf(cohort.EINVALID, "team: no such user or business role")
	}
	return err
}

// CloseMembership ends a current membership at now.
func CloseMembership(ctx context.Context, tx *Tx, tenantID, id cohort.ID, now time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE record_team SET valid_to = ? WHERE tenant_id = ? AND id = ? AND valid_to IS NULL", ms(now), int64(tenantID), int64(id))
	return err
}

// recordTables maps the record types that carry a team to their tables.
var recordTables = map[cohort.ObjectType]string{cohort.ObjCustomer: "customers", cohort.ObjOpportunity: "opportunities"}

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
