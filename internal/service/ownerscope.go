package service

import (
	"context"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Whoever a write makes a record's owner must be inside the caller's data
// scope for that kind of record: a salesperson whose scope is their own
// records cannot hand a record to someone they would then not see. One
// check serves every such write (create with owner_id, transfer, a team
// whose owner changes, a pool assignment) and the imports.

// ownersInScope returns which users the caller may make owner of an obj
// record when doing act. With ids, only those are looked at.
func (s *Service) ownersInScope(ctx context.Context, q store.Queryer, obj cohort.ObjectType, act cohort.Action, ids ...cohort.ID) (map[cohort.ID]bool, error) {
	a, err := s.Access(ctx, obj, act)
	if err != nil {
		return nil, err
	}
	return store.UsersInScope(ctx, q, a.TenantID, a, ids...)
}

// checkOwnerInScope refuses to make userID the owner of an obj record when
// they are outside the caller's scope for act; field names the input.
func (s *Service) checkOwnerInScope(ctx context.Context, q store.Queryer, obj cohort.ObjectType, act cohort.Action, field string, userID cohort.ID) error {
	p := cohort.PrincipalFrom(ctx)
	if p == nil || p.System || (p.User != nil && p.User.ID == userID) {
		return nil
	}
	in, err := s.ownersInScope(ctx, q, obj, act, userID)
	if err != nil {
		return err
	}
	if !in[userID] {
		msg := msgOutOfScope.in(s.callerZh(p))
		return &cohort.Error{Code: cohort.EINVALID, Message: field + ": " + msg, Fields: []cohort.FieldError{{Field: field, Message: msg}}}
	}
	return nil
}
