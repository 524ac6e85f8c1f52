package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cohortcrm/cohort"
)

// Session is a stored browser session.
type Session struct {
	TenantID  cohort.ID
	ID        cohort.ID
	UserID    cohort.ID
	ExpiresAt time.Time
	LastSeen  time.Time
}

// InsertSession stores a session whose secret hashes to tokenHash.
func InsertSession(ctx context.Context, tx *Tx, tenantID, userID cohort.ID, tokenHash string, now, expires time.Time, ip, ua string) (cohort.ID, error) {
	id := cohort.ID(tx.db.NewID())
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (tenant_id, id, token_hash, user_id, created_at, expires_at, last_seen_at, ip, user_agent)
		VALUES (?,?,?,?,?,?,?,?,?)`, int64(tenantID), int64(id), tokenHash, int64(userID), ms(now), ms(expires), ms(now), ip, truncate(ua, 300))
	return id, err
}

// FindSession returns the live session with tokenHash.
func FindSession(ctx context.Context, q Queryer, tenantID cohort.ID, tokenHash string, now time.Time) (*Session, error) {
	s := &Session{TenantID: tenantID}
	err := q.QueryRowContext(ctx, `SELECT id, user_id, expires_at, last_seen_at FROM sessions
		WHERE tenant_id = ? AND token_hash = ? AND expires_at > ?`, int64(tenantID), tokenHash, ms(now)).
		Scan(idScanner{&s.ID}, idScanner{&s.UserID}, msScanner{&s.ExpiresAt}, msScanner{&s.LastSeen})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "the session has ended; please log in again")
	}
	return s, err
}

// TouchSession records a session's last use.
func TouchSession(ctx context.Context, tx *Tx, tenantID, id cohort.ID, now time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE sessions SET last_seen_at = ? WHERE tenant_id = ? AND id = ?", ms(now), int64(tenantID), int64(id))
	return err
}

// DeleteSession ends one session.
func DeleteSession(ctx context.Context, tx *Tx, tenantID, id cohort.ID) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id))
	return err
}

// DeleteUserSessions ends every session of a user except keep (0 for none).
func DeleteUserSessions(ctx context.Context, tx *Tx, tenantID, userID, keep cohort.ID) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE tenant_id = ? AND user_id = ? AND id <> ?", int64(tenantID), int64(userID), int64(keep))
	return err
}

// DeleteExpiredSessions removes sessions past their expiry; it returns how many.
func DeleteExpiredSessions(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at <= ?", ms(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// --- API tokens

const tokenCols = "id, tenant_id, user_id, name, prefix, perm_role_id, expires_at, last_used_at, created_at"

func tokenDest(t *cohort.APIToken) []any {
	return []any{idScanner{&t.ID}, idScanner{&t.TenantID}, idScanner{&t.UserID}, &t.Name, &t.Prefix, idScanner{&t.PermRoleID},
		nullMsScanner{&t.ExpiresAt}, nullMsScanner{&t.LastUsedAt}, msScanner{&t.CreatedAt}}
}

// InsertToken stores t with the hash of its secret.
func InsertToken(ctx context.Context, tx *Tx, t *cohort.APIToken, hash string, now time.Time) error {
	t.CreatedAt = now
	_, err := tx.ExecContext(ctx, "INSERT INTO api_tokens ("+tokenCols+", token_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
		int64(t.ID), int64(t.TenantID), int64(t.UserID), t.Name, t.Prefix, nullID(t.PermRoleID), nullMs(t.ExpiresAt), nil, ms(now), hash)
	if isForeignKeyViolation(err) {
		return cohort.Errorf(cohort.EINVALID, "permission role does not exist")
	}
	return err
}

// FindTokenByHash returns the unexpired token with hash.
func FindTokenByHash(ctx context.Context, q Queryer, tenantID cohort.ID, hash string, now time.Time) (*cohort.APIToken, error) {
	t := &cohort.APIToken{}
	err := q.QueryRowContext(ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE tenant_id = ? AND token_hash = ? AND (expires_at IS NULL OR expires_at > ?)",
		int64(tenantID), hash, ms(now)).Scan(tokenDest(t)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "the API token is not valid")
	}
	return t, err
}

// ListTokens lists a user's tokens, newest first.
func ListTokens(ctx context.Context, q Queryer, tenantID, userID cohort.ID) ([]*cohort.APIToken, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE tenant_id = ? AND user_id = ? ORDER BY id DESC", int64(tenantID), int64(userID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*cohort.APIToken{}
	for rows.Next() {
		t := &cohort.APIToken{}
		if err := rows.Scan(tokenDest(t)...); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteToken revokes a user's token.
func DeleteToken(ctx context.Context, tx *Tx, tenantID, userID, id cohort.ID) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM api_tokens WHERE tenant_id = ? AND user_id = ? AND id = ?", int64(tenantID), int64(userID), int64(id))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("token")
	}
	return nil
}

// TouchToken records a token's use (at most once a minute per token, by the caller).
func TouchToken(ctx context.Context, tx *Tx, tenantID, id cohort.ID, now time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE tenant_id = ? AND id = ?", ms(now), int64(tenantID), int64(id))
	return err
}

// --- login failures

// LoginLocked reports until when key is locked (zero when it is not).
func LoginLocked(ctx context.Context, q Queryer, key string, now time.Time) (time.Time, error) {
	var until int64
	err := q.QueryRowContext(ctx, "SELECT locked_until FROM login_failures WHERE key = ?", key).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) || until <= ms(now) {
		return time.Time{}, nil
	}
	return fromMs(until), err
}

// RecordLoginFailure counts a failure of key within window; after max
// failures the key is locked for lockout. It returns whether it is now locked.
func RecordLoginFailure(ctx context.Context, tx *Tx, key string, now time.Time, window time.Duration, max int, lockout time.Duration) (bool, error) {
	var failures int
	var start int64
	err := tx.QueryRowContext(ctx, "SELECT failures, window_start FROM login_failures WHERE key = ?", key).Scan(&failures, &start)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && ms(now)-start > window.Milliseconds()) {
		failures, start = 0, ms(now)
	} else if err != nil {
		return false, err
	}
	failures++
	var locked int64
	if failures >= max {
		locked = ms(now.Add(lockout))
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO login_failures (key, failures, window_start, locked_until) VALUES (?,?,?,?)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until`,
		key, failures, start, locked)
	return locked > 0, err
}

// RecordDecayingLoginFailure counts a failure of key in a leaky bucket: the
// count goes down by max every window, one at a time, and reaching max locks
// the key for lockout. (window_start holds the time the count was last
// decayed to.) It returns whether the key is now locked.
func RecordDecayingLoginFailure(ctx context.Context, tx *Tx, key string, now time.Time, window time.Duration, max int, lockout time.Duration) (bool, error) {
	var failures int
	var since int64
	err := tx.QueryRowContext(ctx, "SELECT failures, window_start FROM login_failures WHERE key = ?", key).Scan(&failures, &since)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		failures, since = 0, ms(now)
	case err != nil:
		return false, err
	}
	if per := window.Milliseconds() / int64(max); per > 0 && ms(now) > since {
		gone := (ms(now) - since) / per
		if gone >= int64(failures) {
			failures, since = 0, ms(now)
		} else {
			failures -= int(gone)
			since += gone * per
		}
	}
	failures++
	var locked int64
	if failures >= max {
		locked = ms(now.Add(lockout))
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO login_failures (key, failures, window_start, locked_until) VALUES (?,?,?,?)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until`,
		key, failures, since, locked)
	return locked > 0, err
}

// ClearLoginFailures forgets key's failures after a successful login.
func ClearLoginFailures(ctx context.Context, tx *Tx, keys ...string) error {
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, "DELETE FROM login_failures WHERE key = ?", k); err != nil {
			return err
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
