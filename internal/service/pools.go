package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// ListPools lists the tenant's pools.
func (s *Service) ListPools(ctx context.Context) ([]*cohort.Pool, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.ListPools(ctx, s.db.Read(), p.Tenant.ID)
}

// SavePool creates (id 0) or changes a pool; it needs customer:administer.
func (s *Service) SavePool(ctx context.Context, pool *cohort.Pool, ifVersion int) error {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActAdminister)
	if err != nil {
		return err
	}
	pool.TenantID = p.Tenant.ID
	now := s.now()
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if pool.ID != 0 {
			// Existence first: another tenant's pool is not found.
			if _, err := store.FindPool(ctx, tx, p.Tenant.ID, pool.ID); err != nil {
				return err
			}
		}
		if err := pool.Validate(); err != nil {
			return err
		}
		for _, id := range pool.AdminIDs {
			if _, err := store.FindUser(ctx, tx, p.Tenant.ID, id); err != nil {
				return cohort.Errorf(cohort.EINVALID, "admin_ids: no such user %s", id)
			}
		}
		for _, id := range pool.DepartmentIDs {
			if _, err := store.FindDepartment(ctx, tx, p.Tenant.ID, id); err != nil {
				return cohort.Errorf(cohort.EINVALID, "department_ids: no such department %s", id)
			}
		}
		if pool.ID == 0 {
			if err := store.InsertPool(ctx, tx, pool, now); err != nil {
				return err
			}
			return s.audit(ctx, tx, "create", "pool", pool.ID, diff(nil, pool))
		}
		if err := store.LockRow(ctx, tx, "pools", p.Tenant.ID, pool.ID); err != nil {
			return err
		}
		prev, err := store.FindPool(ctx, tx, p.Tenant.ID, pool.ID)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "pool"); err != nil {
			return err
		}
		if err := store.UpdatePool(ctx, tx, pool, prev.Version, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, "update", "pool", pool.ID, diff(prev, pool))
	})
}

// poolRole says whether the caller is a member or an administrator of pool.
func (s *Service) poolRole(ctx context.Context, q store.Queryer, p *cohort.Principal, pool *cohort.Pool) (member, admin bool) {
	if p.System || p.Permissions.Can(cohort.ObjCustomer, cohort.ActAdminister) || slices.Contains(pool.AdminIDs, p.User.ID) {
		return true, true
	}
	if len(pool.DepartmentIDs) == 0 {
		return true, false
	}
	for _, d := range pool.DepartmentIDs {
		dep, err := store.FindDepartment(ctx, q, p.Tenant.ID, d)
		if err == nil && strings.HasPrefix(p.DepartmentPath, dep.Path) {
			return true, false
		}
	}
	return false, false
}

// PoolCustomers lists the customers waiting in a pool the caller belongs to.
func (s *Service) PoolCustomers(ctx context.Context, poolID cohort.ID, q cohort.ListQuery) ([]*cohort.Customer, string, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, "", err
	}
	pool, err := store.FindPool(ctx, s.db.Read(), p.Tenant.ID, poolID)
	if err != nil {
		return nil, "", err
	}
	if member, _ := s.poolRole(ctx, s.db.Read(), p, pool); !member {
		return nil, "", cohort.Errorf(cohort.ENOTFOUND, "pool not found")
	}
	return store.ListCustomers(ctx, s.db.Read(), p.Tenant.ID, store.Where{SQL: "c.pool_id = ?", Args: []any{int64(poolID)}}, q, p.Tenant.Location())
}

// defaultPool returns the tenant's default pool.
func defaultPool(ctx context.Context, q store.Queryer, tenantID cohort.ID) (*cohort.Pool, error) {
	pools, err := store.ListPools(ctx, q, tenantID)
	if err != nil {
		return nil, err
	}
	for _, p := range pools {
		if p.IsDefault {
			return p, nil
		}
	}
	if len(pools) > 0 {
		return pools[0], nil
	}
	return nil, cohort.Errorf(cohort.EINVALID, "there is no pool yet; an administrator creates one first")
}

// Release puts an owned customer the caller may edit into a pool (the
// default pool when poolID is 0). Its whole team is closed.
func (s *Service) Release(ctx context.Context, customerID, poolID cohort.ID, reason string) error {
	scope, p, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActEdit, "c")
	if err != nil {
		return err
	}
	if len([]rune(reason)) > 500 {
		return cohort.Errorf(cohort.EINVALID, "reason: must be at most 500 characters")
	}
	now := s.now()
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "customers", p.Tenant.ID, customerID); err != nil {
			return err
		}
		c, err := store.FindCustomer(ctx, tx, p.Tenant.ID, customerID, scope)
		if err != nil {
			return err
		}
		if c.PoolID != 0 {
			return cohort.Errorf(cohort.ECONFLICT, "the customer is in a pool already")
		}
		var pool *cohort.Pool
		if poolID == 0 {
			pool, err = defaultPool(ctx, tx, p.Tenant.ID)
		} else {
			pool, err = store.FindPool(ctx, tx, p.Tenant.ID, poolID)
			if err != nil {
				err = cohort.Errorf(cohort.EINVALID, "pool_id: no such pool")
			}
		}
		if err != nil {
			return err
		}
		return s.toPool(ctx, tx, c, pool, cohort.PoolReleased, reason, now)
	})
}

// toPool moves an owned customer into pool, closing its team.
func (s *Service) toPool(ctx context.Context, tx *store.Tx, c *cohort.Customer, pool *cohort.Pool, kind, reason string, now time.Time) error {
	team, err := store.CurrentTeam(ctx, tx, c.TenantID, cohort.ObjCustomer, c.ID)
	if err != nil {
		return err
	}
	for _, m := range team {
		if err := store.CloseMembership(ctx, tx, c.TenantID, m.ID, now); err != nil {
			return err
		}
	}
	if err := s.projectOpenActions(ctx, tx, c.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE next_actions SET status = 'cancelled' WHERE tenant_id = ? AND customer_id = ? AND status = 'open'",
		int64(c.TenantID), int64(c.ID)); err != nil {
		return err
	}
	if err := store.SetCustomerPool(ctx, tx, c.TenantID, c.ID, pool.ID, 0, 0, now); err != nil {
		return err
	}
	if err := s.reindexCustomer(ctx, tx, c.TenantID, c.ID); err != nil {
		return err
	}
	p := cohort.PrincipalFrom(ctx)
	e := &cohort.PoolEvent{PoolID: pool.ID, CustomerID: c.ID, Kind: kind, UserID: c.OwnerID, ActorID: actorID(p), Reason: reason, At: now}
	if err := store.InsertPoolEvent(ctx, tx, c.TenantID, e); err != nil {
		return err
	}
	if kind == cohort.PoolReturned && c.OwnerID != 0 {
		if err := s.notify(ctx, tx, c.TenantID, c.OwnerID, "pool_returned", map[string]any{"customer": c.Name, "pool": pool.Name, "reason": reason}, "/pools"); err != nil {
			return err
		}
	}
	return s.audit(ctx, tx, kind, cohort.ObjCustomer, c.ID, diff(map[string]any{"owner_id": c.OwnerID, "pool_id": nil},
		map[string]any{"owner_id": nil, "pool_id": pool.ID}))
}

// PoolEvents returns a visible customer's movements into and out of pools,
// newest first, with the rule that returned it.
func (s *Service) PoolEvents(ctx context.Context, customerID cohort.ID) ([]cohort.PoolEvent, error) {
	p, err := s.visibleRecord(ctx, cohort.ObjCustomer, customerID, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.PoolEvents(ctx, s.db.Read(), p.Tenant.ID, customerID)
}

// Claim takes a customer out of a pool the caller belongs to, within the
// pool's daily claim limit, cap on owned customers and re-claim block.
func (s *Service) Claim(ctx context.Context, customerID cohort.ID) (*cohort.Customer, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	if p.User == nil {
		return nil, cohort.Errorf(cohort.EFORBIDDEN, "customers are claimed by people")
	}
	return s.takeFromPool(ctx, customerID, p.User, cohort.PoolClaimed)
}

// Assign gives a customer in a pool to a user; pool administrators only.
func (s *Service) Assign(ctx context.Context, customerID, userID cohort.ID) (*cohort.Customer, error) {
	if _, err := require(ctx, cohort.ObjCustomer, cohort.ActView); err != nil {
		return nil, err
	}
	return s.takeFromPool(ctx, customerID, &cohort.User{ID: userID}, cohort.PoolAssigned)
}

// takeFromPool gives a pooled customer to user to.ID (claimed by them, or
// assigned to them by a pool administrator).
func (s *Service) takeFromPool(ctx context.Context, customerID cohort.ID, to *cohort.User, kind string) (*cohort.Customer, error) {
	p := cohort.PrincipalFrom(ctx)
	now := s.now()
	var out *cohort.Customer
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "customers", p.Tenant.ID, customerID); err != nil {
			return err
		}
		c, err := store.FindCustomer(ctx, tx, p.Tenant.ID, customerID, store.Where{SQL: "c.pool_id IS NOT NULL"})
		if err != nil {
			return err
		}
		pool, err := store.FindPool(ctx, tx, p.Tenant.ID, c.PoolID)
		if err != nil {
			return err
		}
		member, admin := s.poolRole(ctx, tx, p, pool)
		if !member {
			return cohort.Errorf(cohort.ENOTFOUND, "customer not found")
		}
		if kind == cohort.PoolAssigned && !admin {
			return cohort.Errorf(cohort.EFORBIDDEN, "only the pool's administrators assign customers")
		}
		if u, err := store.FindUser(ctx, tx, p.Tenant.ID, to.ID); err != nil || u.Status != cohort.UserActive {
			return cohort.Errorf(cohort.EINVALID, "user_id: no such active user")
		} else {
			to = u
		}
		if kind == cohort.PoolClaimed {
			if err := s.checkClaim(ctx, tx, pool, c, to.ID, now); err != nil {
				return err
			}
		}
		if err := store.SetCustomerPool(ctx, tx, c.TenantID, c.ID, 0, to.ID, to.DepartmentID, now); err != nil {
			return err
		}
		if err := s.reindexCustomer(ctx, tx, c.TenantID, c.ID); err != nil {
			return err
		}
		full := cohort.FullShare
		m := &cohort.TeamMember{RecordType: cohort.ObjCustomer, RecordID: c.ID, UserID: to.ID, Role: cohort.RoleOwner, Access: cohort.AccessWrite,
			ShareBP: full, AddedBy: actorID(p)}
		if err := store.OpenMembership(ctx, tx, c.TenantID, m, now, now); err != nil {
			return err
		}
		if err := store.InsertPoolEvent(ctx, tx, c.TenantID, &cohort.PoolEvent{PoolID: pool.ID, CustomerID: c.ID, Kind: kind, UserID: to.ID,
			ActorID: actorID(p), At: now}); err != nil {
			return err
		}
		if kind == cohort.PoolAssigned {
			if err := s.notify(ctx, tx, c.TenantID, to.ID, "customer_assigned", map[string]any{"customer": c.Name}, "/customers/"+c.ID.String()); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, tx, kind, cohort.ObjCustomer, c.ID, diff(map[string]any{"owner_id": nil, "pool_id": pool.ID},
			map[string]any{"owner_id": to.ID, "pool_id": nil})); err != nil {
			return err
		}
		out, err = store.FindCustomer(ctx, tx, c.TenantID, c.ID, store.Where{})
		return err
	})
	return out, err
}

func (s *Service) checkClaim(ctx context.Context, q store.Queryer, pool *cohort.Pool, c *cohort.Customer, userID cohort.ID, now time.Time) error {
	p := cohort.PrincipalFrom(ctx)
	loc := p.Tenant.Location()
	t := now.In(loc)
	if pool.DailyClaimLimit > 0 {
		startOfDay := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		n, err := store.CountClaims(ctx, q, p.Tenant.ID, userID, startOfDay)
		if err != nil {
			return err
		}
		if n >= pool.DailyClaimLimit {
			return cohort.Errorf(cohort.ECONFLICT, "you have claimed %d customers today, the pool's daily limit", n)
		}
	}
	if pool.MaxOwned > 0 {
		n, err := store.CountOwned(ctx, q, p.Tenant.ID, userID)
		if err != nil {
			return err
		}
		if n >= pool.MaxOwned {
			return cohort.Errorf(cohort.ECONFLICT, "you own %d customers, the pool's cap", n)
		}
	}
	if pool.ReclaimBlockDays > 0 {
		left, err := store.LastLeft(ctx, q, p.Tenant.ID, userID, c.ID)
		if err != nil {
			return err
		}
		if !left.IsZero() && now.Sub(left) < time.Duration(pool.ReclaimBlockDays)*24*time.Hour {
			until := left.AddDate(0, 0, pool.ReclaimBlockDays).In(loc).Format("2006-01-02 15:04")
			return cohort.Errorf(cohort.ECONFLICT, "you lost this customer to the pool recently; you may claim it again from %s", until)
		}
	}
	return nil
}

// PoolRun says what one run of the pool rules did in a tenant.
type PoolRun struct {
	Returned int `json:"returned"`
	Warned   int `json:"warned"`
}

// ApplyPoolRules runs the default pool's rules in one tenant: customers
// without a follow-up for the pool's number of days (by grade), without a
// new opportunity for no_opportunity_days, or not signed within
// no_signing_days return to the pool. Every rule counts from the later of
// its event and the day the current owner got the customer. Owners are
// warned warn_days before. It runs as the system; every move is audited and
// the people affected are told.
func (s *Service) ApplyPoolRules(ctx context.Context, tenantID cohort.ID) (PoolRun, error) {
	var run PoolRun
	sctx, err := s.SystemContext(ctx, tenantID)
	if err != nil {
		return run, err
	}
	pool, err := defaultPool(sctx, s.db.Read(), tenantID)
	if err != nil {
		return run, nil // no pool, no rules
	}
	now := s.now()
	minDays := pool.NoFollowUpDays
	for _, d := range pool.NoFollowUpByGrade {
		if d > 0 && (minDays == 0 || d < minDays) {
			minDays = d
		}
	}
	rules := []struct {
		rule    store.PoolRule
		minDays int
		days    func(grade string) int
		reason  string
	}{
		{store.RuleNoFollowUp, minDays, pool.ReturnDays, "no follow-up for %d days"},
		{store.RuleNoOpportunity, pool.NoOpportunityDays, func(string) int { return pool.NoOpportunityDays }, "no new opportunity for %d days"},
		{store.RuleNoSigning, pool.NoSigningDays, func(string) int { return pool.NoSigningDays }, "not signed within %d days"},
	}
	for _, r := range rules {
		if r.minDays <= 0 {
			continue
		}
		cutoff := now.AddDate(0, 0, -(r.minDays - pool.WarnDays))
		err := s.applyRule(sctx, pool, &run, now, func() ([]store.PoolCandidate, error) {
			return store.PoolCandidates(sctx, s.db.Read(), tenantID, r.rule, cutoff, 500)
		}, func(c store.PoolCandidate) (int, string) {
			days := r.days(c.Grade)
			return days, fmt.Sprintf(r.reason, days)
		})
		if err != nil {
			return run, err
		}
	}
	return run, nil
}

// applyRule returns to the pool every candidate whose days are up and warns
// the owners of those within the warning days, batch after batch.
func (s *Service) applyRule(ctx context.Context, pool *cohort.Pool, run *PoolRun, now time.Time,
	candidates func() ([]store.PoolCandidate, error), rule func(store.PoolCandidate) (days int, reason string)) error {
	tenantID := pool.TenantID
	for {
		cands, err := candidates()
		if err != nil {
			return err
		}
		acted := 0
		for _, c := range cands {
			days, reason := rule(c)
			if days == 0 {
				continue
			}
			due := c.LastTouch.AddDate(0, 0, days)
			switch {
			case !due.After(now):
				err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
					cust, err := store.FindCustomer(ctx, tx, tenantID, c.CustomerID, store.Where{})
					if err != nil || cust.OwnerID == 0 {
						return err
					}
					return s.toPool(ctx, tx, cust, pool, cohort.PoolReturned, reason, now)
				})
				run.Returned++
				acted++
			case pool.WarnDays > 0 && !c.Warned && !due.After(now.AddDate(0, 0, pool.WarnDays)):
				err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
					if err := store.MarkPoolWarned(ctx, tx, tenantID, c.CustomerID, now); err != nil {
						return err
					}
					return s.notify(ctx, tx, tenantID, c.OwnerID, "pool_warning", map[string]any{"customer": c.Name,
						"date": due.In(cohortLoc(ctx)).Format("2006-01-02")}, "/customers/"+c.CustomerID.String())
				})
				run.Warned++
			}
			if err != nil {
				return err
			}
		}
		// Returned customers leave the candidate set; warned ones stay, so
		// stop when a batch returned nothing new.
		if len(cands) < 500 || acted == 0 {
			return nil
		}
	}
}

func cohortLoc(ctx context.Context) *time.Location {
	if p := cohort.PrincipalFrom(ctx); p != nil {
		return p.Tenant.Location()
	}
	return time.UTC
}
