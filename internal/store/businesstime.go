package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/cohortcrm/cohort"
)

// QueryIDs runs a query of one id column and returns the ids.
func QueryIDs(ctx context.Context, q Queryer, query string, args ...any) ([]cohort.ID, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cohort.ID
	for rows.Next() {
		var id cohort.ID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// createdAt is a new row's business creation time: the one the service set
// (a record entered after the fact), or now.
func createdAt(set, now time.Time) time.Time {
	if set.IsZero() {
		return now
	}
	return set
}

// DepartmentAt returns the department and manager a user had at business
// time at, from their effective-dated organisation spans. A time before the
// user's first span answers the first span: people are credited somewhere.
func DepartmentAt(ctx context.Context, q Queryer, tenantID, userID cohort.ID, at time.Time) (department, manager cohort.ID, err error) {
	var d, m sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT department_id, manager_id FROM user_org_history
		WHERE tenant_id = ? AND user_id = ? AND (valid_from <= ? OR valid_to IS NULL OR valid_to > ?)
		ORDER BY CASE WHEN valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) THEN 0 ELSE 1 END, valid_from, id LIMIT 1`,
		int64(tenantID), int64(userID), ms(at), ms(at), ms(at), ms(at)).Scan(&d, &m)
	if err == sql.ErrNoRows {
		return 0, 0, nil
	}
	return cohort.ID(d.Int64), cohort.ID(m.Int64), err
}

// OrgSpanStart returns when a user's current organisation span began and
// how many spans they have.
func OrgSpanStart(ctx context.Context, q Queryer, tenantID, userID cohort.ID) (time.Time, int, error) {
	var from sql.NullInt64
	var n int
	err := q.QueryRowContext(ctx, `SELECT max(valid_from), count(*) FROM user_org_history WHERE tenant_id = ? AND user_id = ?`,
		int64(tenantID), int64(userID)).Scan(&from, &n)
	return fromMs(from.Int64), n, err
}

// MoveOrgStart moves the start of a user's only organisation span to at:
// the first department is effective-dated too.
func MoveOrgStart(ctx context.Context, tx *Tx, tenantID, userID cohort.ID, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE user_org_history SET valid_from = ?, recorded_at = COALESCE(recorded_at, valid_from)
		WHERE tenant_id = ? AND user_id = ? AND valid_to IS NULL`, ms(at), int64(tenantID), int64(userID))
	return err
}

// RedateDepartment gives the events of userID from business time from on
// the department they belong to since then: a department move dated in the
// past re-credits what happened after it. Moves are dated in order, so the
// move's span is the user's last one and covers everything from from on.
func RedateDepartment(ctx context.Context, tx *Tx, tenantID, userID, department cohort.ID, from time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE deals SET signing_department_id = ? WHERE tenant_id = ? AND owner_id = ? AND signed_at >= ?`,
		nullID(department), int64(tenantID), int64(userID), ms(from)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE followups SET department_id = ? WHERE tenant_id = ? AND author_id = ? AND occurred_at >= ?`,
		nullID(department), int64(tenantID), int64(userID), ms(from)); err != nil {
		return err
	}
	// The facts follow in facts.RedateDepartment, with their rollups.
	return nil
}
