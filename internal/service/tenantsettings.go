package service

import (
	"context"
	"fmt"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
)

// TenantSettings returns the caller's tenant: its name, time zone, fiscal-year
// start, currency, week start and backdating window. Anyone signed in may
// read them (every figure is computed in them).
func (s *Service) TenantSettings(ctx context.Context) (*cohort.Tenant, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	return store.FindTenant(ctx, s.db.Read(), p.Tenant.ID)
}

// UpdateTenantSettings changes the caller's tenant settings; it needs
// tenant:administer. The change is audited field by field and every cached
// principal is dropped at commit, so the next request sees the new settings.
func (s *Service) UpdateTenantSettings(ctx context.Context, upd cohort.TenantUpdate, ifVersion int) (*cohort.Tenant, error) {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return nil, err
	}
	var out *cohort.Tenant
	zoneChanged := false
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		prev, err := store.FindTenant(ctx, tx, p.Tenant.ID)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "tenant settings"); err != nil {
			return err
		}
		t := upd.Apply(*prev)
		if err := t.Check(); err != nil {
			return err
		}
		if err := s.refuseIfFiguresFrozen(ctx, tx, prev, &t); err != nil {
			return err
		}
		if err := store.UpdateTenantSettings(ctx, tx, &t, prev, s.now()); err != nil {
			return err
		}
		out = &t
		zoneChanged = prev.TimeZone != t.TimeZone
		// ObjTenant: audit clears the principal cache after commit.
		return s.audit(ctx, tx, "update", cohort.ObjTenant, t.ID, diff(prev, t))
	})
	if err != nil || !zoneChanged {
		return out, err
	}
	// A fact's day (and its rollups' day and month) is the local day of its
	// business time in the tenant's zone: a new zone moves the events near
	// midnight to another day. The rebuild rewrites only the facts that
	// moved, then sums the rollups again; it takes as long as
	// `cohort facts rebuild` (about a minute at scale M).
	if _, _, err := facts.Rebuild(ctx, s.db, out, nil); err != nil {
		return out, fmt.Errorf("time zone changed; re-dating the facts failed (run cohort facts rebuild): %w", err)
	}
	return out, nil
}

// refuseIfFiguresFrozen is the one place that refuses a change of the time
// zone or the fiscal-year start once goals have frozen figures computed in
// the old ones (a period's bounds would move under a frozen figure): a
// frozen goal period (POST /api/v1/goal-rules/{id}/locks with freeze)
// keeps the actuals it was closed with.
func (s *Service) refuseIfFiguresFrozen(ctx context.Context, tx *store.Tx, prev, next *cohort.Tenant) error {
	if prev.TimeZone == next.TimeZone && prev.FiscalYearStartMonth == next.FiscalYearStartMonth {
		return nil
	}
	frozen, err := figuresFrozen(ctx, tx, prev.ID)
	if err != nil || !frozen {
		return err
	}
	field, what := "time_zone", "the time zone"
	if prev.FiscalYearStartMonth != next.FiscalYearStartMonth {
		field, what = "fiscal_year_start_month", "the fiscal-year start"
	}
	return &cohort.Error{Code: cohort.EINVALID, Message: fmt.Sprintf("%s: figures have been frozen by goals; %s can no longer change", field, what),
		Fields: []cohort.FieldError{{Field: field, Message: "figures have been frozen by goals; " + what + " can no longer change"}}}
}
