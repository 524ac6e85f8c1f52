package service

import (
	"context"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

const settingFollowUpTypes = "followup_types"

// FollowUpTypes returns the tenant's own follow-up types (the built-in ones
// are cohort.FollowUpTypes).
func (s *Service) FollowUpTypes(ctx context.Context) ([]cohort.FollowUpType, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	return tenantFollowUpTypes(ctx, s.db.Read(), p.Tenant.ID)
}

func tenantFollowUpTypes(ctx context.Context, q store.Queryer, tenantID cohort.ID) ([]cohort.FollowUpType, error) {
	ts := []cohort.FollowUpType{}
	if _, err := store.Setting(ctx, q, tenantID, settingFollowUpTypes, &ts); err != nil {
		return nil, err
	}
	return ts, nil
}

// followUpTypeKeys lists the keys of the tenant's own types.
func followUpTypeKeys(ctx context.Context, q store.Queryer, tenantID cohort.ID) ([]string, error) {
	ts, err := tenantFollowUpTypes(ctx, q, tenantID)
	keys := make([]string, len(ts))
	for i, t := range ts {
		keys[i] = t.Key
	}
	return keys, err
}

// SetFollowUpTypes replaces the tenant's own follow-up types (followup:
// administer). Follow-ups already logged keep their type.
func (s *Service) SetFollowUpTypes(ctx context.Context, ts []cohort.FollowUpType) ([]cohort.FollowUpType, error) {
	p, err := require(ctx, cohort.ObjFollowUp, cohort.ActAdminister)
	if err != nil {
		return nil, err
	}
	if ts == nil {
		ts = []cohort.FollowUpType{}
	}
	if err := cohort.ValidateFollowUpTypes(ts); err != nil {
		return nil, err
	}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		before, _ := tenantFollowUpTypes(ctx, tx, p.Tenant.ID)
		if err := store.SetSetting(ctx, tx, p.Tenant.ID, settingFollowUpTypes, ts, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "update", cohort.ObjTenant, p.Tenant.ID, diff(map[string]any{"followup_types": before}, map[string]any{"followup_types": ts}))
	})
	return ts, err
}
