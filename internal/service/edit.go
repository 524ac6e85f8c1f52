package service

import (
	"context"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// versioned is how edit reads the parts every versioned row shares.
type versioned[T any] struct {
	table   string // for the row lock
	what    string // for messages
	obj     cohort.ObjectType
	find    func(ctx context.Context, q store.Queryer, tenantID, id cohort.ID) (*T, error)
	version func(*T) int
	id      func(*T) cohort.ID
	save    func(ctx context.Context, tx *store.Tx, next *T, prevVersion int, now time.Time) error
}

// edit is the one shape of a versioned update: in one transaction, lock the
// row, read it, refuse a stale If-Match version, let change alter a copy
// (and refuse), save it and audit the difference.
func edit[T any](ctx context.Context, s *Service, v versioned[T], tenantID, id cohort.ID, ifVersion int, change func(tx *store.Tx, prev, next *T) error) (*T, error) {
	var out *T
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, v.table, tenantID, id); err != nil {
			return err
		}
		prev, err := v.find(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, v.version(prev), v.what); err != nil {
			return err
		}
		next := *prev
		if err := change(tx, prev, &next); err != nil {
			return err
		}
		if err := v.save(ctx, tx, &next, v.version(prev), s.now()); err != nil {
			return err
		}
		out = &next
		return s.audit(ctx, tx, "update", v.obj, v.id(&next), diff(prev, next))
	})
	return out, err
}

var (
	permRoleRows = versioned[cohort.PermRole]{table: "perm_roles", what: "permission role", obj: cohort.ObjRole,
		find: store.FindPermRole, version: func(r *cohort.PermRole) int { return r.Version }, id: func(r *cohort.PermRole) cohort.ID { return r.ID },
		save: store.UpdatePermRole}
	businessRoleRows = versioned[cohort.BusinessRole]{table: "business_roles", what: "business role", obj: cohort.ObjRole,
		find: store.FindBusinessRole, version: func(r *cohort.BusinessRole) int { return r.Version }, id: func(r *cohort.BusinessRole) cohort.ID { return r.ID },
		save: store.UpdateBusinessRole}
)
