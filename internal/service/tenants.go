package service

import (
	"context"
	"errors"
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

// pickTenant is the answer to a login whose email and password match
// accounts in several companies: the companies to pick from. (Only someone
// who knows the password learns them.)
func (s *Service) pickTenant(ctx context.Context, matches []*store.UserCredentials) error {
	e := &cohort.Error{Code: cohort.EINVALID, Message: "tenant: this email belongs to several companies; pick yours",
		Fields: []cohort.FieldError{{Field: "tenant", Message: "pick one of the companies"}}}
	for _, m := range matches {
		t, err := store.FindTenant(ctx, s.db.Read(), m.TenantID)
		if err != nil {
			return err
		}
		if t.DisabledAt == nil {
			e.Choices = append(e.Choices, cohort.Choice{Value: t.Slug, Label: t.Name})
		}
	}
	return e
}

// errTenantDisabled is what the people of a disabled tenant are told.
var errTenantDisabled = cohort.Errorf(cohort.EUNAUTHORIZED, "your company's account is disabled; ask the operator of this server")

// Signup is what the self-service sign-up page sends.
type Signup struct {
	Company  string `json:"company"`
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// signupsPerHour is how many companies one client address may create an
// hour (a decaying count).
const signupsPerHour = 5

// SignUp creates a company and its administrator from the sign-up page, with
// the validation of `cohort tenant create`, and logs the administrator in.
// One address creates at most signupsPerHour companies an hour.
func (s *Service) SignUp(ctx context.Context, in Signup) (string, *cohort.Principal, error) {
	if err := checkLoginInput(in.Email, in.Password, in.Slug); err != nil {
		return "", nil, err
	}
	now := s.now()
	var limit []loginLimit
	if ip := metaOf(ctx).IP; ip != "" {
		limit = append(limit, loginLimit{key: "signup:" + ip, max: signupsPerHour, window: time.Hour, lockout: time.Hour, decaying: true})
	}
	if err := s.loginLocked(ctx, limit, now); err != nil {
		return "", nil, err
	}
	t := cohort.Tenant{Name: strings.TrimSpace(in.Company), Slug: strings.TrimSpace(in.Slug)}
	if err := t.Validate(); err != nil {
		return "", nil, renameField(err, "name", "company")
	}
	_, _, err := s.CreateTenant(ctx, NewTenant{Tenant: t, AdminName: strings.TrimSpace(in.Name), AdminEmail: in.Email, AdminPassword: in.Password})
	if cohort.ErrorCode(err) == cohort.ECONFLICT {
		return "", nil, &cohort.Error{Code: cohort.ECONFLICT, Message: "slug: is taken; choose another",
			Fields: []cohort.FieldError{{Field: "slug", Message: "is taken"}}}
	}
	if err != nil {
		return "", nil, err
	}
	if err := s.recordLoginFailure(ctx, limit, now); err != nil {
		return "", nil, err
	}
	return s.Login(ctx, in.Email, in.Password, t.Slug)
}

// renameField renames a field of a validation error.
func renameField(err error, from, to string) error {
	var e *cohort.Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Fields = nil
	for _, f := range e.Fields {
		if f.Field == from {
			f.Field = to
		}
		out.Fields = append(out.Fields, f)
	}
	out.Message = strings.ReplaceAll(out.Message, from+": ", to+": ")
	return &out
}
