package service

import (
	"context"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// DefaultTeam returns the caller's default team: people who join every new
// customer, opportunity, contract, order, project and ticket the caller owns.
func (s *Service) DefaultTeam(ctx context.Context) ([]cohort.TeamInput, error) {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	return store.DefaultTeam(ctx, s.db.Read(), p.Tenant.ID, p.User.ID)
}

// SetDefaultTeam replaces the caller's default team. Members hold overlay
// roles only (the owner of a new record is its creator or assignee), are
// active users other than the caller, with read or write access.
func (s *Service) SetDefaultTeam(ctx context.Context, members []cohort.TeamInput) ([]cohort.TeamInput, error) {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	var v cohort.Validation
	if len(members) > 20 {
		v.Add("members", "at most 20 people")
	}
	for i := range members {
		m := &members[i]
		if m.Role == cohort.RoleOwner {
			v.Add("members", "the owner is not part of a default team")
		}
		if m.UserID == p.User.ID {
			v.Add("members", "you own your records already")
		}
		if m.Access == "" {
			m.Access = cohort.AccessRead
		}
		if m.Access != cohort.AccessRead && m.Access != cohort.AccessWrite {
			v.Add("members", "access must be read or write")
		}
		if m.ShareBP != nil && (*m.ShareBP < 0 || *m.ShareBP > cohort.FullShare) {
			v.Add("members", "share_bp must be 0 to 10000")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		roles, err := store.ListBusinessRoles(ctx, tx, p.Tenant.ID)
		if err != nil {
			return err
		}
		for _, m := range members {
			for _, r := range roles {
				if r.Key == m.Role && r.Revenue {
					return cohort.Errorf(cohort.EINVALID, "members: %s is a revenue role; a default team holds overlay roles", m.Role)
				}
			}
			if u, err := store.FindUserRow(ctx, tx, p.Tenant.ID, m.UserID); err != nil || u.Status != cohort.UserActive {
				return cohort.Errorf(cohort.EINVALID, "members: no such active user %s", m.UserID)
			}
		}
		before, _ := store.DefaultTeam(ctx, tx, p.Tenant.ID, p.User.ID)
		if err := store.SetDefaultTeam(ctx, tx, p.Tenant.ID, p.User.ID, members); err != nil {
			return err
		}
		return s.audit(ctx, tx, "default_team", cohort.ObjUser, p.User.ID, diff(map[string]any{"default_team": before}, map[string]any{"default_team": members}))
	})
	if err != nil {
		return nil, err
	}
	return s.DefaultTeam(ctx)
}

// withDefaultTeam adds the owner's default team to the members of a new
// record, skipping anyone already given in the same role.
func withDefaultTeam(ctx context.Context, q store.Queryer, tenantID, owner cohort.ID, team []cohort.TeamInput) ([]cohort.TeamInput, error) {
	return withDefaultTeamOf(ctx, q, tenantID, owner, team, nil)
}

// withDefaultTeamOf is withDefaultTeam keeping the user rows it reads in
// users (when not nil), for newTeam.
func withDefaultTeamOf(ctx context.Context, q store.Queryer, tenantID, owner cohort.ID, team []cohort.TeamInput,
	users map[cohort.ID]*cohort.User) ([]cohort.TeamInput, error) {
	defaults, err := store.DefaultTeam(ctx, q, tenantID, owner)
	if err != nil {
		return nil, err
	}
	out := append([]cohort.TeamInput(nil), team...)
	for _, d := range defaults {
		dup := d.UserID == owner
		for _, m := range team {
			dup = dup || (m.UserID == d.UserID && m.Role == d.Role)
		}
		u := users[d.UserID]
		if u == nil {
			var err error
			if u, err = store.FindUserRow(ctx, q, tenantID, d.UserID); err == nil && users != nil {
				users[d.UserID] = u
			}
		}
		if u == nil || u.Status != cohort.UserActive {
			dup = true // a member who left no longer joins
		}
		if !dup {
			out = append(out, d)
		}
	}
	return out, nil
}
