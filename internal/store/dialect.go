package store

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cohortcrm/cohort"
)

// The two engines' differences in one place.

// isUniqueViolation reports whether err is a unique-key violation.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// IsBusy reports whether err is the database refusing a statement because
// another connection holds the lock it needs past the wait allowed (SQLite's
// busy timeout; PostgreSQL's lock timeout): a long job such as a fact
// rebuild, not a fault of the request. The API answers it with 503 and
// Retry-After.
func IsBusy(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "55P03" // lock_not_available
	}
	msg := err.Error()
	return strings.Contains(msg, "(SQLITE_BUSY)") || strings.Contains(msg, "(SQLITE_LOCKED)") || strings.Contains(msg, "database is locked")
}

// isForeignKeyViolation reports whether err is a foreign-key violation.
func isForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	return strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// LockRow takes the row lock of (tenantID, id) in table for the rest of the
// transaction, so that read-modify-write updates queue instead of failing
// their version check. SQLite needs nothing: its one writer holds the whole
// database.
func LockRow(ctx context.Context, tx *Tx, table string, tenantID, id cohort.ID) error {
	if tx.db.Engine != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT 1 FROM "+table+" WHERE tenant_id = ? AND id = ? FOR UPDATE", int64(tenantID), int64(id))
	return err
}

// greatest is the SQL of the larger of two non-null values: max(a, b) on
// SQLite, greatest(a, b) on PostgreSQL.
func greatest(e Engine, a, b string) string {
	if e == Postgres {
		return "greatest(" + a + ", " + b + ")"
	}
	return "max(" + a + ", " + b + ")"
}

// inList is "col IN (the values)". On PostgreSQL the values go as one
// array: an IN list of a thousand parameters is compared value by value
// against every row the plan reads (no hashing, unlike a constant list),
// which made an import's duplicate check grow with the table (0.7 s per
// batch at 40 k customers); a subquery over the array is hashed or drives
// the index.
func inList(e Engine, col string, vals []string) (string, []any) {
	if e == Postgres {
		return col + " IN (SELECT unnest(CAST(? AS text[])))", []any{vals}
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return col + " IN (" + placeholders(len(vals)) + ")", args
}
