package service

import (
	"context"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Tenant provisioning: the operator's commands (cohort tenant ...) and the
// optional self-service sign-up. Both create a tenant through CreateTenant,
// so they validate alike.

// ListTenants lists every tenant, for the operator.
func (s *Service) ListTenants(ctx context.Context) ([]*cohort.Tenant, error) {
	return store.ListTenants(ctx, s.db.Read())
}

// SetTenantDisabled disables (or enables again) the tenant with slug. A
// disabled tenant's people cannot log in; its sessions end and its API
// tokens stop at once in this process (the principal cache is cleared), and
// within the cache's life (two seconds) in other servers.
func (s *Service) SetTenantDisabled(ctx context.Context, slug string, disabled bool) (*cohort.Tenant, error) {
	var out *cohort.Tenant
	now := s.now()
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		t, err := store.FindTenantBySlug(ctx, tx, strings.TrimSpace(slug))
		if err != nil {
			return err
		}
		var when *time.Time
		if disabled {
			when = &now
		}
		if err := store.SetTenantDisabled(ctx, tx, t.ID, when, now); err != nil {
			return err
		}
		action := "enable"
		if disabled {
			action = "disable"
		}
		sys := cohort.NewContext(ctx, &cohort.Principal{Tenant: t, System: true, Meta: metaOf(ctx)})
		if err := s.audit(sys, tx, action, cohort.ObjTenant, t.ID, nil); err != nil {
			return err
		}
		out, err = store.FindTenant(ctx, tx, t.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.auth.clear()
	return out, nil
}

// errTenantDisabled is what the people of a disabled tenant are told.
var errTenantDisabled = cohort.Errorf(cohort.EUNAUTHORIZED, "your company's account is disabled; ask the operator of this server")
