package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
)

var _ cohort.OrgService = (*Service)(nil)

// NewTenant is what creating a tenant needs: the tenant and its first
// administrator.
type NewTenant struct {
	Tenant        cohort.Tenant
	AdminName     string
	AdminEmail    string
	AdminPassword string
}

// CreateTenant creates a tenant with its built-in business and permission
// roles, a root department and its administrator. It runs as the system.
func (s *Service) CreateTenant(ctx context.Context, nt NewTenant) (*cohort.Tenant, *cohort.User, error) {
	t := nt.Tenant
	if t.BackdateWindowDays == 0 { // a new tenant starts with the default; 0 is set afterwards
		t.BackdateWindowDays = cohort.DefaultBackdateWindowDays
	}
	if err := t.Validate(); err != nil {
		return nil, nil, err
	}
	if err := cohort.ValidatePasswordFor(nt.AdminPassword, nt.AdminEmail, t.Name, t.Slug); err != nil {
		return nil, nil, err
	}
	admin := &cohort.User{Name: nt.AdminName, Email: nt.AdminEmail, Locale: t.Locale}
	if err := admin.Validate(); err != nil {
		return nil, nil, err
	}
	hash := s.hashPassword(nt.AdminPassword)
	now := s.now()
	err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.InsertTenant(ctx, tx, &t, now); err != nil {
			return err
		}
		sys := cohort.NewContext(ctx, &cohort.Principal{Tenant: &t, System: true, Meta: metaOf(ctx)})
		for _, br := range cohort.BuiltinBusinessRoles {
			br.TenantID = t.ID
			if err := store.InsertBusinessRole(ctx, tx, &br, now); err != nil {
				return err
			}
		}
		var adminRole cohort.ID
		for i, pr := range cohort.BuiltinPermRoles() {
			pr.TenantID = t.ID
			if err := store.InsertPermRole(ctx, tx, &pr, now); err != nil {
				return err
			}
			if i == 0 {
				adminRole = pr.ID
			}
		}
		for _, sp := range cohort.BuiltinProcesses() {
			sp.TenantID = t.ID
			if err := store.InsertProcess(ctx, tx, &sp, now); err != nil {
				return err
			}
		}
		root := &cohort.Department{TenantID: t.ID, Name: t.Name}
		if err := store.InsertDepartment(ctx, tx, root, now); err != nil {
			return err
		}
		admin.TenantID, admin.DepartmentID, admin.PermRoleIDs = t.ID, root.ID, []cohort.ID{adminRole}
		if err := store.InsertUser(ctx, tx, admin, hash, now); err != nil {
			return err
		}
		if err := s.audit(sys, tx, "create", cohort.ObjTenant, t.ID, diff(nil, t)); err != nil {
			return err
		}
		return s.notify(sys, tx, t.ID, admin.ID, "welcome", map[string]any{"name": admin.Name}, "/")
	})
	if err != nil {
		return nil, nil, err
	}
	return &t, admin, nil
}

func metaOf(ctx context.Context) cohort.RequestMeta {
	if p := cohort.PrincipalFrom(ctx); p != nil {
		return p.Meta
	}
	return cohort.RequestMeta{}
}

// CountTenants reports how many tenants exist (first-run detection).
func (s *Service) CountTenants(ctx context.Context) (int, error) {
	return store.CountTenants(ctx, s.db.Read())
}

// SystemContext returns ctx acting as Cohort itself inside tenant t, for
// operator commands and jobs.
func (s *Service) SystemContext(ctx context.Context, tenantID cohort.ID) (context.Context, error) {
	t, err := store.FindTenant(ctx, s.db.Read(), tenantID)
	if err != nil {
		return nil, err
	}
	return cohort.NewContext(ctx, &cohort.Principal{Tenant: t, System: true}), nil
}

// --- users

// checkUserRefs makes sure the department, manager and roles of u exist in the
// tenant and that the manager chain has no cycle.
func (s *Service) checkUserRefs(ctx context.Context, q store.Queryer, u *cohort.User) error {
	var v cohort.Validation
	if u.DepartmentID != 0 {
		if _, err := store.FindDepartment(ctx, q, u.TenantID, u.DepartmentID); err != nil {
			v.Add("department_id", "no such department")
		}
	}
	if u.ManagerID != 0 {
		// Walk up from the new manager; meeting u means a cycle.
		seen := map[cohort.ID]bool{}
		for m := u.ManagerID; m != 0; {
			if m == u.ID {
				v.Add("manager_id", "would make a reporting cycle")
				break
			}
			if seen[m] || len(seen) > 1000 {
				break
			}
			seen[m] = true
			mu, err := store.FindUser(ctx, q, u.TenantID, m)
			if err != nil {
				v.Add("manager_id", "no such user")
				break
			}
			m = mu.ManagerID
		}
	}
	for _, r := range u.PermRoleIDs {
		if _, err := store.FindPermRole(ctx, q, u.TenantID, r); err != nil {
			v.Add("perm_role_ids", "no such permission role %s", r)
		}
	}
	return v.Err()
}

// CreateUser creates a user with a password.
func (s *Service) CreateUser(ctx context.Context, u *cohort.User, password string) error {
	p, err := require(ctx, cohort.ObjUser, cohort.ActCreate)
	if err != nil {
		return err
	}
	u.ID, u.TenantID = 0, p.Tenant.ID
	if u.PermRoleIDs == nil {
		u.PermRoleIDs = []cohort.ID{}
	}
	var v cohort.Validation
	if err := u.Validate(); err != nil {
		return err
	}
	if err := cohort.ValidatePasswordFor(password, u.Email, p.Tenant.Name, p.Tenant.Slug); err != nil {
		return err
	}
	if len(u.PermRoleIDs) > 0 && !p.System && !p.Permissions.Can(cohort.ObjRole, cohort.ActAdminister) {
		v.Add("perm_role_ids", "only administrators of roles may give permission roles")
		return v.Err()
	}
	now := s.now()
	since, err := eventTime(p, cohort.ObjUser, "org_since", &u.OrgSince, now, time.Time{})
	if err != nil {
		return err
	}
	u.OrgSince = since.At
	hash := s.hashPassword(password)
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := s.checkUserRefs(ctx, tx, u); err != nil {
			return err
		}
		if err := store.InsertUser(ctx, tx, u, hash, now); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, "create", cohort.ObjUser, u.ID, diff(nil, u)); err != nil {
			return err
		}
		if err := s.auditTimes(ctx, tx, cohort.ObjUser, u.ID, now, since); err != nil {
			return err
		}
		return s.notify(ctx, tx, u.TenantID, u.ID, "welcome", map[string]any{"name": u.Name}, "/")
	})
}

// orgChangeTime resolves the business time of a user's department or
// manager change. Moves are dated in order: not before the current span
// began. Without a change, an effective time moves the start of a user's
// only span (their first department), earlier only.
func (s *Service) orgChangeTime(ctx context.Context, tx *store.Tx, p *cohort.Principal, prev, u *cohort.User, at *time.Time, now time.Time) (bizTime, error) {
	start, spans, err := store.OrgSpanStart(ctx, tx, p.Tenant.ID, u.ID)
	if err != nil {
		return bizTime{}, err
	}
	moved := u.DepartmentID != prev.DepartmentID || u.ManagerID != prev.ManagerID
	if at == nil || (!moved && at.IsZero()) {
		return bizTime{At: now, field: "org_effective_at"}, nil
	}
	if moved {
		if !at.IsZero() && at.Before(start) {
			return bizTime{}, cohort.Errorf(cohort.EINVALID, "org_effective_at: the current department and manager took effect at %s; moves are dated in order (date the first department earlier first)",
				start.UTC().Format(time.RFC3339))
		}
		t, err := eventTime(p, cohort.ObjUser, "org_effective_at", at, now, start)
		if err != nil || u.DepartmentID == prev.DepartmentID || !t.At.Before(now) {
			return t, err
		}
		if err := store.RedateDepartment(ctx, tx, p.Tenant.ID, u.ID, u.DepartmentID, t.At); err != nil {
			return t, err
		}
		return t, facts.RedateDepartment(ctx, tx, p.Tenant.ID, u.ID, u.DepartmentID, t.At)
	}
	t, err := eventTime(p, cohort.ObjUser, "org_effective_at", at, now, time.Time{})
	if err != nil {
		return bizTime{}, err
	}
	if spans != 1 {
		return bizTime{}, cohort.Errorf(cohort.EINVALID, "org_effective_at: without a change of department or manager it dates the first department, and this user has moved since")
	}
	if !t.At.Before(start) {
		return bizTime{}, cohort.Errorf(cohort.EINVALID, "org_effective_at: the first department can only be dated earlier than %s", start.UTC().Format(time.RFC3339))
	}
	if err := store.MoveOrgStart(ctx, tx, p.Tenant.ID, u.ID, t.At); err != nil {
		return bizTime{}, err
	}
	t.audited = true
	return t, nil
}

// FindUser returns a user visible to the caller.
func (s *Service) FindUser(ctx context.Context, id cohort.ID) (*cohort.User, error) {
	a, err := s.Access(ctx, cohort.ObjUser, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.FindVisibleUser(ctx, s.db.Read(), a.TenantID, id, a)
}

// ListUsers lists the users in the caller's scope.
func (s *Service) ListUsers(ctx context.Context, q cohort.ListQuery) ([]*cohort.User, string, error) {
	a, err := s.Access(ctx, cohort.ObjUser, cohort.ActView)
	if err != nil {
		return nil, "", err
	}
	p := cohort.PrincipalFrom(ctx)
	return store.ListUsers(ctx, s.db.Read(), a.TenantID, a, q, p.Tenant.Location())
}

// UpdateUser changes a user. Changing permission roles needs role:administer;
// disabling a user ends all their sessions.
func (s *Service) UpdateUser(ctx context.Context, id cohort.ID, upd cohort.UserUpdate, ifVersion int) (*cohort.User, error) {
	p, err := require(ctx, cohort.ObjUser, cohort.ActEdit)
	if err != nil {
		return nil, err
	}
	a, _ := s.Access(ctx, cohort.ObjUser, cohort.ActEdit)
	var out *cohort.User
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if ok, err := store.UserVisible(ctx, tx, p.Tenant.ID, id, a); err != nil || !ok {
			if err != nil {
				return err
			}
			return cohort.Errorf(cohort.ENOTFOUND, "user not found")
		}
		if err := store.LockRow(ctx, tx, "users", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindUser(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "user"); err != nil {
			return err
		}
		u := *prev
		applyUserUpdate(&u, upd)
		if err := u.Validate(); err != nil {
			return err
		}
		rolesChanged := upd.PermRoleIDs != nil && !sameIDs(*upd.PermRoleIDs, prev.PermRoleIDs)
		if rolesChanged && !p.System && !p.Permissions.Can(cohort.ObjRole, cohort.ActAdminister) {
			return cohort.Errorf(cohort.EFORBIDDEN, "only administrators of roles may change permission roles")
		}
		if !p.System && p.User.ID == id && u.Status == cohort.UserDisabled {
			return cohort.Errorf(cohort.EINVALID, "you cannot disable yourself")
		}
		if err := s.checkUserRefs(ctx, tx, &u); err != nil {
			return err
		}
		now := s.now()
		orgAt, err := s.orgChangeTime(ctx, tx, p, prev, &u, upd.OrgEffectiveAt, now)
		if err != nil {
			return err
		}
		if err := store.UpdateUser(ctx, tx, &u, prev, orgAt.At, now); err != nil {
			return err
		}
		if err := s.auditTimes(ctx, tx, cohort.ObjUser, u.ID, now, orgAt); err != nil {
			return err
		}
		if rolesChanged {
			if err := store.SetUserPermRoles(ctx, tx, u.TenantID, u.ID, u.PermRoleIDs); err != nil {
				return err
			}
			if err := s.notify(ctx, tx, u.TenantID, u.ID, "perm_roles_changed", map[string]any{"actor": actorName(p)}, "/profile"); err != nil {
				return err
			}
		}
		if u.DepartmentID != prev.DepartmentID || u.ManagerID != prev.ManagerID {
			if err := s.notify(ctx, tx, u.TenantID, u.ID, "org_changed", map[string]any{"actor": actorName(p)}, "/profile"); err != nil {
				return err
			}
		}
		if u.Status == cohort.UserDisabled && prev.Status != cohort.UserDisabled {
			if err := store.DeleteUserSessions(ctx, tx, u.TenantID, u.ID, 0); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, tx, "update", cohort.ObjUser, u.ID, diff(prev, u)); err != nil {
			return err
		}
		out = &u
		return nil
	})
	return out, err
}

func applyUserUpdate(u *cohort.User, upd cohort.UserUpdate) {
	if upd.Name != nil {
		u.Name = *upd.Name
	}
	if upd.Email != nil {
		u.Email = *upd.Email
	}
	if upd.Phone != nil {
		u.Phone = *upd.Phone
	}
	if upd.DepartmentID != nil {
		u.DepartmentID = *upd.DepartmentID
	}
	if upd.ManagerID != nil {
		u.ManagerID = *upd.ManagerID
	}
	if upd.Status != nil {
		u.Status = *upd.Status
	}
	if upd.Locale != nil {
		u.Locale = *upd.Locale
	}
	if upd.PermRoleIDs != nil {
		u.PermRoleIDs = slices.Clone(*upd.PermRoleIDs)
	}
}

func sameIDs(a, b []cohort.ID) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func actorName(p *cohort.Principal) string {
	if p.User != nil {
		return p.User.Name
	}
	return "Cohort"
}

// SetUserPassword sets another user's password (user:administer) and ends all
// their sessions.
func (s *Service) SetUserPassword(ctx context.Context, id cohort.ID, password string) error {
	a, err := s.Access(ctx, cohort.ObjUser, cohort.ActAdminister)
	if err != nil {
		return err
	}
	p := cohort.PrincipalFrom(ctx)
	// Existence first: an id outside the tenant or scope is not found,
	// whatever the body says.
	if ok, err := store.UserVisible(ctx, s.db.Read(), a.TenantID, id, a); err != nil || !ok {
		if err != nil {
			return err
		}
		return cohort.Errorf(cohort.ENOTFOUND, "user not found")
	}
	var email string
	if u, err := store.FindUser(ctx, s.db.Read(), a.TenantID, id); err == nil {
		email = u.Email
	}
	if err := cohort.ValidatePasswordFor(password, email, p.Tenant.Name, p.Tenant.Slug); err != nil {
		return err
	}
	hash := s.hashPassword(password)
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		u, err := store.FindUser(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := store.SetPasswordHash(ctx, tx, u.TenantID, u.ID, hash, s.now()); err != nil {
			return err
		}
		if err := store.DeleteUserSessions(ctx, tx, u.TenantID, u.ID, 0); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, "reset_password", cohort.ObjUser, u.ID, nil); err != nil {
			return err
		}
		return s.notify(ctx, tx, u.TenantID, u.ID, "password_reset", map[string]any{"actor": actorName(p)}, "/profile")
	})
}

// UserOrgHistory returns a visible user's department and manager history.
func (s *Service) UserOrgHistory(ctx context.Context, id cohort.ID) ([]cohort.OrgAssignment, error) {
	u, err := s.FindUser(ctx, id)
	if err != nil {
		return nil, err
	}
	return store.UserOrgHistory(ctx, s.db.Read(), u.TenantID, u.ID)
}

// --- departments

// ListDepartments returns the whole tree; the organisation is visible to
// everyone who may view departments.
func (s *Service) ListDepartments(ctx context.Context) ([]*cohort.Department, error) {
	p, err := require(ctx, cohort.ObjDepartment, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.ListDepartments(ctx, s.db.Read(), p.Tenant.ID)
}

// CreateDepartment creates a department under d.ParentID.
func (s *Service) CreateDepartment(ctx context.Context, d *cohort.Department) error {
	p, err := require(ctx, cohort.ObjDepartment, cohort.ActCreate)
	if err != nil {
		return err
	}
	d.TenantID = p.Tenant.ID
	d.Name = strings.TrimSpace(d.Name)
	if err := d.Validate(); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := s.checkManager(ctx, tx, d); err != nil {
			return err
		}
		if err := store.InsertDepartment(ctx, tx, d, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", cohort.ObjDepartment, d.ID, diff(nil, d))
	})
}

func (s *Service) checkManager(ctx context.Context, q store.Queryer, d *cohort.Department) error {
	if d.ManagerID == 0 {
		return nil
	}
	if _, err := store.FindUser(ctx, q, d.TenantID, d.ManagerID); err != nil {
		var v cohort.Validation
		v.Add("manager_id", "no such user")
		return v.Err()
	}
	return nil
}

// UpdateDepartment renames or moves a department. A move under its own
// subtree is refused.
func (s *Service) UpdateDepartment(ctx context.Context, id cohort.ID, upd cohort.DepartmentUpdate, ifVersion int) (*cohort.Department, error) {
	p, err := require(ctx, cohort.ObjDepartment, cohort.ActEdit)
	if err != nil {
		return nil, err
	}
	var out *cohort.Department
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "departments", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindDepartment(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "department"); err != nil {
			return err
		}
		d := *prev
		if upd.Name != nil {
			d.Name = strings.TrimSpace(*upd.Name)
		}
		if upd.ManagerID != nil {
			d.ManagerID = *upd.ManagerID
		}
		if upd.SortOrder != nil {
			d.SortOrder = *upd.SortOrder
		}
		if upd.ParentID != nil {
			d.ParentID = *upd.ParentID
		}
		if err := d.Validate(); err != nil {
			return err
		}
		if d.ParentID != prev.ParentID {
			var v cohort.Validation
			if prev.ParentID == 0 {
				v.Add("parent_id", "the root department cannot be moved")
			} else if d.ParentID == 0 {
				v.Add("parent_id", "a department needs a parent; there is one root")
			} else if parent, err := store.FindDepartment(ctx, tx, d.TenantID, d.ParentID); err != nil {
				v.Add("parent_id", "no such department")
			} else if strings.HasPrefix(parent.Path, prev.Path) {
				v.Add("parent_id", "cannot move a department under itself or its own sub-department")
			}
			if err := v.Err(); err != nil {
				return err
			}
		}
		if err := s.checkManager(ctx, tx, &d); err != nil {
			return err
		}
		if err := store.UpdateDepartment(ctx, tx, &d, prev, s.now()); err != nil {
			return err
		}
		out = &d
		return s.audit(ctx, tx, "update", cohort.ObjDepartment, d.ID, diff(prev, d))
	})
	return out, err
}

// DeleteDepartment deletes an empty, non-root department.
func (s *Service) DeleteDepartment(ctx context.Context, id cohort.ID, ifVersion int) error {
	p, err := require(ctx, cohort.ObjDepartment, cohort.ActDelete)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "departments", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindDepartment(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "department"); err != nil {
			return err
		}
		if prev.ParentID == 0 {
			return cohort.Errorf(cohort.ECONFLICT, "the root department cannot be deleted")
		}
		if err := store.DeleteDepartment(ctx, tx, p.Tenant.ID, id, prev.Version); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", cohort.ObjDepartment, id, diff(prev, nil))
	})
}

// --- permission roles

// ListPermRoles lists the tenant's permission roles.
func (s *Service) ListPermRoles(ctx context.Context) ([]*cohort.PermRole, error) {
	p, err := require(ctx, cohort.ObjRole, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.ListPermRoles(ctx, s.db.Read(), p.Tenant.ID)
}

// FindPermRole returns one permission role.
func (s *Service) FindPermRole(ctx context.Context, id cohort.ID) (*cohort.PermRole, error) {
	p, err := require(ctx, cohort.ObjRole, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.FindPermRole(ctx, s.db.Read(), p.Tenant.ID, id)
}

// CreatePermRole creates a permission role.
func (s *Service) CreatePermRole(ctx context.Context, r *cohort.PermRole) error {
	p, err := require(ctx, cohort.ObjRole, cohort.ActAdminister)
	if err != nil {
		return err
	}
	r.TenantID, r.Builtin = p.Tenant.ID, false
	if err := r.Validate(); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.InsertPermRole(ctx, tx, r, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", cohort.ObjRole, r.ID, diff(nil, r))
	})
}

// UpdatePermRole changes a permission role. The built-in administrator role
// keeps its grants, so that a tenant cannot lock itself out.
func (s *Service) UpdatePermRole(ctx context.Context, id cohort.ID, upd cohort.PermRoleUpdate, ifVersion int) (*cohort.PermRole, error) {
	p, err := require(ctx, cohort.ObjRole, cohort.ActAdminister)
	if err != nil {
		return nil, err
	}
	return edit(ctx, s, permRoleRows, p.Tenant.ID, id, ifVersion, func(_ *store.Tx, prev, r *cohort.PermRole) error {
		if upd.Name != nil {
			r.Name = *upd.Name
		}
		if upd.Description != nil {
			r.Description = *upd.Description
		}
		if upd.Grants != nil {
			if prev.Builtin && isAdminRole(prev) {
				return cohort.Errorf(cohort.EINVALID, "the grants of the built-in administrator role cannot be changed")
			}
			r.Grants = *upd.Grants
		}
		return r.Validate()
	})
}

func isAdminRole(r *cohort.PermRole) bool {
	return r.Grants[cohort.ObjRole].Scope == cohort.ScopeAll && slices.Contains(r.Grants[cohort.ObjRole].Actions, cohort.ActAdminister) &&
		slices.Contains(r.Grants[cohort.ObjTenant].Actions, cohort.ActAdminister)
}

// DeletePermRole deletes a tenant-defined role nobody holds.
func (s *Service) DeletePermRole(ctx context.Context, id cohort.ID, ifVersion int) error {
	p, err := require(ctx, cohort.ObjRole, cohort.ActAdminister)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "perm_roles", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindPermRole(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "permission role"); err != nil {
			return err
		}
		if prev.Builtin {
			return cohort.Errorf(cohort.ECONFLICT, "built-in roles cannot be deleted")
		}
		if err := store.DeletePermRole(ctx, tx, p.Tenant.ID, id, prev.Version); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", cohort.ObjRole, id, diff(prev, nil))
	})
}

// --- business roles

// ListBusinessRoles lists the tenant's business roles.
func (s *Service) ListBusinessRoles(ctx context.Context) ([]*cohort.BusinessRole, error) {
	p, err := require(ctx, cohort.ObjRole, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.ListBusinessRoles(ctx, s.db.Read(), p.Tenant.ID)
}

// CreateBusinessRole adds a tenant-defined business role.
func (s *Service) CreateBusinessRole(ctx context.Context, r *cohort.BusinessRole) error {
	p, err := require(ctx, cohort.ObjRole, cohort.ActAdminister)
	if err != nil {
		return err
	}
	r.TenantID, r.Builtin = p.Tenant.ID, false
	if err := r.Validate(); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.InsertBusinessRole(ctx, tx, r, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", cohort.ObjRole, r.ID, diff(nil, r))
	})
}

// UpdateBusinessRole renames a business role or changes whether it earns
// revenue credit. The owner role always earns revenue credit.
func (s *Service) UpdateBusinessRole(ctx context.Context, id cohort.ID, upd cohort.BusinessRoleUpdate, ifVersion int) (*cohort.BusinessRole, error) {
	p, err := require(ctx, cohort.ObjRole, cohort.ActAdminister)
	if err != nil {
		return nil, err
	}
	return edit(ctx, s, businessRoleRows, p.Tenant.ID, id, ifVersion, func(_ *store.Tx, _, r *cohort.BusinessRole) error {
		if upd.NameZh != nil {
			r.NameZh = *upd.NameZh
		}
		if upd.NameEn != nil {
			r.NameEn = *upd.NameEn
		}
		if upd.Revenue != nil {
			if r.Key == cohort.RoleOwner && !*upd.Revenue {
				return cohort.Errorf(cohort.EINVALID, "the owner role always earns revenue credit")
			}
			r.Revenue = *upd.Revenue
		}
		if upd.SortOrder != nil {
			r.SortOrder = *upd.SortOrder
		}
		return r.Validate()
	})
}

// DeleteBusinessRole deletes a tenant-defined business role.
func (s *Service) DeleteBusinessRole(ctx context.Context, id cohort.ID, ifVersion int) error {
	p, err := require(ctx, cohort.ObjRole, cohort.ActAdminister)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "business_roles", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindBusinessRole(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "business role"); err != nil {
			return err
		}
		if prev.Builtin {
			return cohort.Errorf(cohort.ECONFLICT, "built-in business roles cannot be deleted")
		}
		if err := store.DeleteBusinessRole(ctx, tx, p.Tenant.ID, id, prev.Version); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", cohort.ObjRole, id, diff(prev, nil))
	})
}

// --- audit

// ListAudit lists the audit log (audit:view).
func (s *Service) ListAudit(ctx context.Context, q cohort.ListQuery) ([]*cohort.AuditEntry, string, error) {
	p, err := require(ctx, cohort.ObjAudit, cohort.ActView)
	if err != nil {
		return nil, "", err
	}
	return store.ListAudit(ctx, s.db.Read(), p.Tenant.ID, q, p.Tenant.Location())
}
