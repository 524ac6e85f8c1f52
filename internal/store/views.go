package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cohortcrm/cohort"
)

// SavedView is a user's own named list query.
type SavedView struct {
	ID         cohort.ID         `json:"id"`
	ObjectType cohort.ObjectType `json:"object_type"`
	Name       string            `json:"name"`
	// Query is the list's query string: filter, sort, q and view.
	Query     string    `json:"query"`
	CreatedAt time.Time `json:"created_at"`
}

// SetFollow starts (on) or stops following a record.
func SetFollow(ctx context.Context, tx *Tx, tenantID, userID cohort.ID, obj cohort.ObjectType, id cohort.ID, on bool, now time.Time) error {
	if !on {
		_, err := tx.ExecContext(ctx, "DELETE FROM follows WHERE tenant_id = ? AND user_id = ? AND record_type = ? AND record_id = ?",
			int64(tenantID), int64(userID), string(obj), int64(id))
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO follows (tenant_id, user_id, record_type, record_id, created_at) VALUES (?,?,?,?,?)
		ON CONFLICT (tenant_id, user_id, record_type, record_id) DO NOTHING`, int64(tenantID), int64(userID), string(obj), int64(id), ms(now))
	return err
}

// FollowedWhere restricts a list of obj (alias) to the records userID follows.
func FollowedWhere(obj cohort.ObjectType, alias string, userID cohort.ID) Where {
	return Where{`EXISTS (SELECT 1 FROM follows f WHERE f.tenant_id = ` + alias + `.tenant_id AND f.user_id = ? AND f.record_type = ?
		AND f.record_id = ` + alias + `.id)`, []any{int64(userID), string(obj)}}
}

// ListSavedViews returns a user's views of an object type.
func ListSavedViews(ctx context.Context, q Queryer, tenantID, userID cohort.ID, obj cohort.ObjectType) ([]SavedView, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, object_type, name, query, created_at FROM saved_views WHERE tenant_id = ? AND user_id = ?
		AND object_type = ? ORDER BY name`, int64(tenantID), int64(userID), string(obj))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SavedView{}
	for rows.Next() {
		var v SavedView
		if err := rows.Scan(idScanner{&v.ID}, (*string)(&v.ObjectType), &v.Name, &v.Query, msScanner{&v.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// InsertSavedView stores a user's view.
func InsertSavedView(ctx context.Context, tx *Tx, tenantID, userID cohort.ID, v *SavedView, now time.Time) error {
	v.ID, v.CreatedAt = cohort.ID(tx.db.NewID()), now
	_, err := tx.ExecContext(ctx, "INSERT INTO saved_views (tenant_id, id, user_id, object_type, name, query, created_at) VALUES (?,?,?,?,?,?,?)",
		int64(tenantID), int64(v.ID), int64(userID), string(v.ObjectType), v.Name, v.Query, ms(now))
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "you have a view named %q already", v.Name)
	}
	return err
}

// DeleteSavedView deletes one of a user's views.
func DeleteSavedView(ctx context.Context, tx *Tx, tenantID, userID, id cohort.ID) error {
	var n int64
	res, err := tx.ExecContext(ctx, "DELETE FROM saved_views WHERE tenant_id = ? AND user_id = ? AND id = ?", int64(tenantID), int64(userID), int64(id))
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err == nil && n == 0 {
		err = notFound("view")
	}
	if errors.Is(err, sql.ErrNoRows) {
		err = notFound("view")
	}
	return err
}
