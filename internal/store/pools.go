package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort"
)

const poolCols = `id, tenant_id, name, admin_ids, department_ids, no_followup_days, no_followup_by_grade, no_signing_days, warn_days,
	daily_claim_limit, max_owned, reclaim_block_days, is_default, no_opportunity_days, version, created_at, updated_at`

func poolDest(p *cohort.Pool) []any {
	return []any{idScanner{&p.ID}, idScanner{&p.TenantID}, &p.Name, jsonScanner{&p.AdminIDs}, jsonScanner{&p.DepartmentIDs}, &p.NoFollowUpDays,
		jsonScanner{&p.NoFollowUpByGrade}, &p.NoSigningDays, &p.WarnDays, &p.DailyClaimLimit, &p.MaxOwned, &p.ReclaimBlockDays, &p.IsDefault,
		&p.NoOpportunityDays, &p.Version, msScanner{&p.CreatedAt}, msScanner{&p.UpdatedAt}}
}

func poolArgs(p *cohort.Pool) []any {
	a, _ := json.Marshal(p.AdminIDs)
	d, _ := json.Marshal(p.DepartmentIDs)
	g, _ := json.Marshal(p.NoFollowUpByGrade)
	return []any{p.Name, string(a), string(d), p.NoFollowUpDays, string(g), p.NoSigningDays, p.WarnDays, p.DailyClaimLimit, p.MaxOwned,
		p.ReclaimBlockDays, p.IsDefault, p.NoOpportunityDays}
}

// ListPools returns a tenant's pools.
func ListPools(ctx context.Context, q Queryer, tenantID cohort.ID) ([]*cohort.Pool, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+poolCols+" FROM pools WHERE tenant_id = ? ORDER BY is_default DESC, name", int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("list pools: %w", err)
	}
	defer rows.Close()
	out := []*cohort.Pool{}
	for rows.Next() {
		p := &cohort.Pool{}
		if err := rows.Scan(poolDest(p)...); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FindPool returns one pool.
func FindPool(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.Pool, error) {
	p := &cohort.Pool{}
	err := q.QueryRowContext(ctx, "SELECT "+poolCols+" FROM pools WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)).Scan(poolDest(p)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("pool")
	}
	return p, err
}

// InsertPool inserts p; a default pool makes the others non-default.
func InsertPool(ctx context.Context, tx *Tx, p *cohort.Pool, now time.Time) error {
	p.ID, p.Version, p.CreatedAt, p.UpdatedAt = cohort.ID(tx.db.NewID()), 1, now, now
	if p.IsDefault {
		if _, err := tx.ExecContext(ctx, "UPDATE pools SET is_default = FALSE WHERE tenant_id = ?", int64(p.TenantID)); err != nil {
			return err
		}
	}
	args := append([]any{int64(p.ID), int64(p.TenantID)}, poolArgs(p)...)
	args = append(args, p.Version, ms(now), ms(now))
	_, err := tx.ExecContext(ctx, "INSERT INTO pools ("+poolCols+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", args...)
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a pool named %q exists already", p.Name)
	}
	return err
}

// UpdatePool writes p if its version is still prevVersion.
func UpdatePool(ctx context.Context, tx *Tx, p *cohort.Pool, prevVersion int, now time.Time) error {
	if p.IsDefault {
		if _, err := tx.ExecContext(ctx, "UPDATE pools SET is_default = FALSE WHERE tenant_id = ? AND id <> ?", int64(p.TenantID), int64(p.ID)); err != nil {
			return err
		}
	}
	args := append(poolArgs(p), ms(now), int64(p.TenantID), int64(p.ID), prevVersion)
	res, err := tx.ExecContext(ctx, `UPDATE pools SET name = ?, admin_ids = ?, department_ids = ?, no_followup_days = ?, no_followup_by_grade = ?,
		no_signing_days = ?, warn_days = ?, daily_claim_limit = ?, max_owned = ?, reclaim_block_days = ?, is_default = ?, no_opportunity_days = ?,
		version = version + 1,
		updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`, args...)
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a pool named %q exists already", p.Name)
	}
	if err := checkOne(res, err, "pool"); err != nil {
		return err
	}
	p.Version, p.UpdatedAt = prevVersion+1, now
	return nil
}

// SetCustomerPool puts a customer in a pool (poolID 0: out of every pool)
// with an owner (0: none); it resets the rule warning.
func SetCustomerPool(ctx context.Context, tx *Tx, tenantID, customerID, poolID, ownerID, departmentID cohort.ID, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE customers SET pool_id = ?, owner_id = ?, owned_since = ?, department_id = ?, pool_warned_at = NULL,
		version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ?`, nullID(poolID), nullID(ownerID), ownedSince(ownerID, now),
		nullID(departmentID), ms(now), int64(tenantID), int64(customerID))
	return err
}

// CustomerPoolID returns the pool a customer waits in (0 when owned).
func CustomerPoolID(ctx context.Context, q Queryer, tenantID, customerID cohort.ID) (cohort.ID, error) {
	var id cohort.ID
	err := q.QueryRowContext(ctx, "SELECT pool_id FROM customers WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(customerID)).Scan(idScanner{&id})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("customer")
	}
	return id, err
}

// InsertPoolEvent records a movement.
func InsertPoolEvent(ctx context.Context, tx *Tx, tenantID cohort.ID, e *cohort.PoolEvent) error {
	e.ID = cohort.ID(tx.db.NewID())
	_, err := tx.ExecContext(ctx, `INSERT INTO pool_events (tenant_id, id, pool_id, customer_id, kind, user_id, actor_id, reason, at)
		VALUES (?,?,?,?,?,?,?,?,?)`, int64(tenantID), int64(e.ID), int64(e.PoolID), int64(e.CustomerID), e.Kind, nullID(e.UserID),
		nullID(e.ActorID), e.Reason, ms(e.At))
	return err
}

// CountClaims counts a user's claims since since.
func CountClaims(ctx context.Context, q Queryer, tenantID, userID cohort.ID, since time.Time) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM pool_events WHERE tenant_id = ? AND user_id = ? AND kind = 'claimed' AND at >= ?",
		int64(tenantID), int64(userID), ms(since)).Scan(&n)
	return n, err
}

// LastLeft returns when a user last lost a customer to a pool (zero if never).
func LastLeft(ctx context.Context, q Queryer, tenantID, userID, customerID cohort.ID) (time.Time, error) {
	var at sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT max(at) FROM pool_events WHERE tenant_id = ? AND user_id = ? AND customer_id = ?
		AND kind IN ('returned', 'released')`, int64(tenantID), int64(userID), int64(customerID)).Scan(&at)
	if err != nil || !at.Valid {
		return time.Time{}, err
	}
	return fromMs(at.Int64), nil
}

// CountOwned counts the active customers a user owns.
func CountOwned(ctx context.Context, q Queryer, tenantID, userID cohort.ID) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM customers WHERE tenant_id = ? AND owner_id = ? AND status = 'active'",
		int64(tenantID), int64(userID)).Scan(&n)
	return n, err
}

// PoolEvents returns a customer's pool movements, newest first.
func PoolEvents(ctx context.Context, q Queryer, tenantID, customerID cohort.ID) ([]cohort.PoolEvent, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, pool_id, customer_id, kind, user_id, actor_id, reason, at FROM pool_events
		WHERE tenant_id = ? AND customer_id = ? ORDER BY at DESC, id DESC`, int64(tenantID), int64(customerID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []cohort.PoolEvent{}
	for rows.Next() {
		var e cohort.PoolEvent
		if err := rows.Scan(idScanner{&e.ID}, idScanner{&e.PoolID}, idScanner{&e.CustomerID}, &e.Kind, idScanner{&e.UserID},
			idScanner{&e.ActorID}, &e.Reason, msScanner{&e.At}); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// PoolRule names a pool return rule; each counts days from its own clock.
type PoolRule int

const (
	// RuleNoFollowUp: from the later of the last follow-up and the day the
	// owner got the customer.
	RuleNoFollowUp PoolRule = iota
	// RuleNoSigning: from the day the owner got a customer never signed.
	RuleNoSigning
	// RuleNoOpportunity: from the later of the newest opportunity's creation
	// and the day the owner got the customer.
	RuleNoOpportunity
)

// PoolCandidate is an owned customer a return rule looks at. LastTouch is
// the rule's clock; Warned says the owner was warned since it last moved.
type PoolCandidate struct {
	CustomerID cohort.ID
	Name       string
	OwnerID    cohort.ID
	Grade      string
	LastTouch  time.Time
	Warned     bool
}

// PoolCandidates returns the owned, active customers whose clock for rule is
// before cutoff, oldest clock first. A customer claimed, assigned or
// transferred is counted from that day: the gap before belonged to someone
// else.
func PoolCandidates(ctx context.Context, q Queryer, tenantID cohort.ID, rule PoolRule, cutoff time.Time, limit int) ([]PoolCandidate, error) {
	e := q.Engine()
	owned := "COALESCE(c.owned_since, c.created_at)"
	var clock, extra string
	switch rule {
	case RuleNoFollowUp:
		clock = greatest(e, "COALESCE(c.last_followup_at, c.created_at)", owned)
	case RuleNoSigning:
		clock, extra = owned, " AND c.first_signed_at IS NULL"
	case RuleNoOpportunity:
		clock = greatest(e, owned, "COALESCE((SELECT max(o.created_at) FROM opportunities o WHERE o.tenant_id = c.tenant_id AND o.customer_id = c.id), 0)")
	default:
		return nil, fmt.Errorf("pool candidates: unknown rule %d", rule)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, name, owner_id, grade, clock, pool_warned_at IS NOT NULL AND pool_warned_at >= clock
		FROM (SELECT c.id, c.name, c.owner_id, c.grade, c.pool_warned_at, `+clock+` AS clock FROM customers c
		WHERE c.tenant_id = ? AND c.owner_id IS NOT NULL AND c.status = 'active'`+extra+`) x
		WHERE clock <= ? ORDER BY clock, id LIMIT ?`, int64(tenantID), ms(cutoff), limit)
	if err != nil {
		return nil, fmt.Errorf("pool candidates: %w", err)
	}
	defer rows.Close()
	var out []PoolCandidate
	for rows.Next() {
		var c PoolCandidate
		var last int64
		if err := rows.Scan(idScanner{&c.CustomerID}, &c.Name, idScanner{&c.OwnerID}, &c.Grade, &last, &c.Warned); err != nil {
			return nil, err
		}
		c.LastTouch = fromMs(last)
		out = append(out, c)
	}
	return out, rows.Err()
}

// MarkPoolWarned records that the owner was warned.
func MarkPoolWarned(ctx context.Context, tx *Tx, tenantID, customerID cohort.ID, now time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE customers SET pool_warned_at = ? WHERE tenant_id = ? AND id = ?", ms(now), int64(tenantID), int64(customerID))
	return err
}

// TenantIDs lists every tenant (for jobs that run per tenant).
func TenantIDs(ctx context.Context, q Queryer) ([]cohort.ID, error) {
	rows, err := q.QueryContext(ctx, "SELECT id FROM tenants ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cohort.ID
	for rows.Next() {
		var id cohort.ID
		if err := rows.Scan(idScanner{&id}); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
