package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
)

func notFound(what string) error { return cohort.Errorf(cohort.ENOTFOUND, "%s not found", what) }

// --- tenants

const tenantCols = "id, name, slug, time_zone, fiscal_year_start_month, currency, locale, week_start, backdate_window_days, churn_grace_days, quote_tolerance_bp, version, created_at, updated_at, disabled_at"

func tenantDest(t *cohort.Tenant) []any {
	return []any{idScanner{&t.ID}, &t.Name, &t.Slug, &t.TimeZone, &t.FiscalYearStartMonth, &t.Currency, &t.Locale,
		&t.WeekStart, &t.BackdateWindowDays, &t.ChurnGraceDays, &t.QuoteToleranceBP, &t.Version, msScanner{&t.CreatedAt}, msScanner{&t.UpdatedAt}, nullMsScanner{&t.DisabledAt}}
}

// InsertTenant inserts t, setting its id and times.
func InsertTenant(ctx context.Context, tx *Tx, t *cohort.Tenant, now time.Time) error {
	t.ID = cohort.ID(tx.db.NewID())
	t.CreatedAt, t.UpdatedAt, t.Version = now, now, 1
	_, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, name, slug, time_zone, fiscal_year_start_month, currency, locale, week_start,
		backdate_window_days, churn_grace_days, quote_tolerance_bp, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		int64(t.ID), t.Name, t.Slug, t.TimeZone, t.FiscalYearStartMonth, t.Currency, t.Locale, t.WeekStart, t.BackdateWindowDays,
		t.ChurnGraceDays, t.QuoteToleranceBP,
		t.Version, ms(now), ms(now))
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a tenant with slug %q exists already", t.Slug)
	}
	return err
}

// UpdateTenantSettings writes t's settings and bumps its version, which must
// still be prev's.
func UpdateTenantSettings(ctx context.Context, tx *Tx, t *cohort.Tenant, prev *cohort.Tenant, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE tenants SET name = ?, time_zone = ?, fiscal_year_start_month = ?, currency = ?,
		week_start = ?, backdate_window_days = ?, churn_grace_days = ?, quote_tolerance_bp = ?, version = version + 1, updated_at = ?
		WHERE id = ? AND version = ?`,
		t.Name, t.TimeZone, t.FiscalYearStartMonth, t.Currency, t.WeekStart, t.BackdateWindowDays, t.ChurnGraceDays, t.QuoteToleranceBP, ms(now), int64(t.ID), prev.Version)
	if err := checkOne(res, err, "tenant"); err != nil {
		return err
	}
	t.Version, t.UpdatedAt = prev.Version+1, now.Truncate(time.Millisecond) // as stored
	return nil
}

// FindTenant returns the tenant with id.
func FindTenant(ctx context.Context, q Queryer, id cohort.ID) (*cohort.Tenant, error) {
	var t cohort.Tenant
	err := q.QueryRowContext(ctx, "SELECT "+tenantCols+" FROM tenants WHERE id = ?", int64(id)).Scan(tenantDest(&t)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("tenant")
	}
	return &t, err
}

// FindTenantBySlug returns the tenant with slug.
func FindTenantBySlug(ctx context.Context, q Queryer, slug string) (*cohort.Tenant, error) {
	var t cohort.Tenant
	err := q.QueryRowContext(ctx, "SELECT "+tenantCols+" FROM tenants WHERE slug = ?", slug).Scan(tenantDest(&t)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("tenant")
	}
	return &t, err
}

// ListTenants returns every tenant, by slug.
func ListTenants(ctx context.Context, q Queryer) ([]*cohort.Tenant, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+tenantCols+" FROM tenants ORDER BY slug")
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	var out []*cohort.Tenant
	for rows.Next() {
		var t cohort.Tenant
		if err := rows.Scan(tenantDest(&t)...); err != nil {
			return nil, err
		}
		out = append(out, &t)
	}
	return out, rows.Err()
}

// SetTenantDisabled disables a tenant at when (or enables it, when nil) and,
// on disabling, ends its sessions.
func SetTenantDisabled(ctx context.Context, tx *Tx, id cohort.ID, when *time.Time, now time.Time) error {
	res, err := tx.ExecContext(ctx, "UPDATE tenants SET disabled_at = ?, version = version + 1, updated_at = ? WHERE id = ?", nullMs(when), ms(now), int64(id))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("tenant")
	}
	if when != nil {
		_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE tenant_id = ?", int64(id))
	}
	return err
}

// CountTenants counts tenants (zero means first run).
func CountTenants(ctx context.Context, q Queryer) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM tenants").Scan(&n)
	return n, err
}

// --- users

const userCols = "u.id, u.tenant_id, u.email, u.name, u.phone, u.department_id, u.manager_id, u.status, u.locale, u.last_login_at, u.version, u.created_at, u.updated_at"

func userDest(u *cohort.User) []any {
	return []any{idScanner{&u.ID}, idScanner{&u.TenantID}, &u.Email, &u.Name, &u.Phone, idScanner{&u.DepartmentID}, idScanner{&u.ManagerID},
		&u.Status, &u.Locale, nullMsScanner{&u.LastLoginAt}, &u.Version, msScanner{&u.CreatedAt}, msScanner{&u.UpdatedAt}}
}

// UserList is the list spec of users.
var UserList = &ListSpec{
	IDColumn: "u.id",
	Fields: map[string]Field{
		"name":          {Column: "u.name", Sortable: true},
		"email":         {Column: "u.email", Sortable: true},
		"phone":         {Column: "u.phone"},
		"status":        {Column: "u.status", Sortable: true},
		"department_id": {Column: "u.department_id", Type: TID},
		"manager_id":    {Column: "u.manager_id", Type: TID},
		"created_at":    {Column: "u.created_at", Type: TTime, Sortable: true},
		"updated_at":    {Column: "u.updated_at", Type: TTime, Sortable: true},
	},
	QColumns:    []string{"u.name", "u.email", "u.phone"},
	DefaultSort: []cohort.SortKey{{Field: "created_at", Desc: true}},
}

// InsertUser inserts u with the given password hash and opens its first
// organisation span.
func InsertUser(ctx context.Context, tx *Tx, u *cohort.User, passwordHash string, now time.Time) error {
	if u.ID == 0 {
		u.ID = cohort.ID(tx.db.NewID())
	}
	u.CreatedAt, u.UpdatedAt, u.Version = now, now, 1
	_, err := tx.ExecContext(ctx, `INSERT INTO users (tenant_id, id, email, name, phone, department_id, manager_id, status, locale,
		password_hash, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		int64(u.TenantID), int64(u.ID), u.Email, u.Name, u.Phone, nullID(u.DepartmentID), nullID(u.ManagerID), u.Status, u.Locale,
		passwordHash, u.Version, ms(now), ms(now))
	if isUniqueViolation(err) {
		return &cohort.Error{Code: cohort.ECONFLICT, Message: fmt.Sprintf("a user with email %s exists already", u.Email),
			Fields: []cohort.FieldError{{Field: "email", Message: "is taken"}}}
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	if err := SetUserPermRoles(ctx, tx, u.TenantID, u.ID, u.PermRoleIDs); err != nil {
		return err
	}
	return openOrgSpan(ctx, tx, u, createdAt(u.OrgSince, now), now)
}

func openOrgSpan(ctx context.Context, tx *Tx, u *cohort.User, from, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO user_org_history (tenant_id, id, user_id, department_id, manager_id, valid_from, recorded_at)
		VALUES (?,?,?,?,?,?,?)`, int64(u.TenantID), tx.db.NewID(), int64(u.ID), nullID(u.DepartmentID), nullID(u.ManagerID), ms(from), ms(now))
	return err
}

// UpdateUser writes u's mutable fields and bumps its version, which must
// still be prevVersion. When the department or manager changed, the open
// organisation span is closed and a new one opened at business time orgAt.
func UpdateUser(ctx context.Context, tx *Tx, u *cohort.User, prev *cohort.User, orgAt, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET email = ?, name = ?, phone = ?, department_id = ?, manager_id = ?, status = ?,
		locale = ?, version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
		u.Email, u.Name, u.Phone, nullID(u.DepartmentID), nullID(u.ManagerID), u.Status, u.Locale, ms(now),
		int64(u.TenantID), int64(u.ID), prev.Version)
	if isUniqueViolation(err) {
		return &cohort.Error{Code: cohort.ECONFLICT, Message: fmt.Sprintf("a user with email %s exists already", u.Email),
			Fields: []cohort.FieldError{{Field: "email", Message: "is taken"}}}
	}
	if err := checkOne(res, err, "user"); err != nil {
		return err
	}
	u.Version, u.UpdatedAt = prev.Version+1, now
	if u.DepartmentID != prev.DepartmentID || u.ManagerID != prev.ManagerID {
		if _, err := tx.ExecContext(ctx, `UPDATE user_org_history SET valid_to = ? WHERE tenant_id = ? AND user_id = ? AND valid_to IS NULL`,
			ms(orgAt), int64(u.TenantID), int64(u.ID)); err != nil {
			return err
		}
		if err := openOrgSpan(ctx, tx, u, orgAt, now); err != nil {
			return err
		}
	}
	return nil
}

// checkOne turns "no row updated" into a precondition failure: the row exists
// (the caller has just read it) but its version moved.
func checkOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return cohort.Errorf(cohort.EPRECONDITION, "the %s was changed by someone else; reload and try again", what)
	}
	return nil
}

// SetUserPermRoles replaces the permission roles of a user.
func SetUserPermRoles(ctx context.Context, tx *Tx, tenantID, userID cohort.ID, roleIDs []cohort.ID) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM user_perm_roles WHERE tenant_id = ? AND user_id = ?", int64(tenantID), int64(userID)); err != nil {
		return err
	}
	seen := map[cohort.ID]bool{}
	for _, r := range roleIDs {
		if seen[r] {
			continue
		}
		seen[r] = true
		if _, err := tx.ExecContext(ctx, "INSERT INTO user_perm_roles (tenant_id, user_id, role_id) VALUES (?,?,?)",
			int64(tenantID), int64(userID), int64(r)); err != nil {
			if isForeignKeyViolation(err) {
				return cohort.Errorf(cohort.EINVALID, "permission role %s does not exist", r)
			}
			return fmt.Errorf("set roles: %w", err)
		}
	}
	return nil
}

// FindUser returns the user with id in tenant, with its permission roles.
func FindUser(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.User, error) {
	u, err := FindUserRow(ctx, q, tenantID, id)
	if err != nil {
		return nil, err
	}
	if err := loadPermRoleIDs(ctx, q, tenantID, []*cohort.User{u}); err != nil {
		return nil, err
	}
	return u, nil
}

// FindUserRow is FindUser without the user's permission roles (left nil):
// enough to check that someone is an active user and find their department.
func FindUserRow(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.User, error) {
	var u cohort.User
	err := q.QueryRowContext(ctx, "SELECT "+userCols+" FROM users u WHERE u.tenant_id = ? AND u.id = ?", int64(tenantID), int64(id)).Scan(userDest(&u)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return &u, nil
}

// FindVisibleUser returns the user with id when it is inside access.
func FindVisibleUser(ctx context.Context, q Queryer, tenantID, id cohort.ID, access cohort.Access) (*cohort.User, error) {
	w := And(Where{"u.tenant_id = ? AND u.id = ?", []any{int64(tenantID), int64(id)}}, AccessWhere(access, "u.id", "u.department_id"))
	var u cohort.User
	err := q.QueryRowContext(ctx, "SELECT "+userCols+" FROM users u WHERE "+w.SQL, w.Args...).Scan(userDest(&u)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	if err := loadPermRoleIDs(ctx, q, tenantID, []*cohort.User{&u}); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserCredentials is what login needs of a user.
type UserCredentials struct {
	TenantID     cohort.ID
	UserID       cohort.ID
	Status       string
	PasswordHash string
}

// FindCredentialsByEmail returns every user with email, across tenants.
func FindCredentialsByEmail(ctx context.Context, q Queryer, email string) ([]UserCredentials, error) {
	rows, err := q.QueryContext(ctx, "SELECT tenant_id, id, status, password_hash FROM users WHERE email = ? LIMIT 20", email)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []UserCredentials
	for rows.Next() {
		var c UserCredentials
		if err := rows.Scan(idScanner{&c.TenantID}, idScanner{&c.UserID}, &c.Status, &c.PasswordHash); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PasswordHash returns a user's stored password hash.
func PasswordHash(ctx context.Context, q Queryer, tenantID, userID cohort.ID) (string, error) {
	var h string
	err := q.QueryRowContext(ctx, "SELECT password_hash FROM users WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(userID)).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("user")
	}
	return h, err
}

// SetPasswordHash stores a new password hash.
func SetPasswordHash(ctx context.Context, tx *Tx, tenantID, userID cohort.ID, hash string, now time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
		hash, ms(now), int64(tenantID), int64(userID))
	return err
}

// TouchLogin records a successful login.
func TouchLogin(ctx context.Context, tx *Tx, tenantID, userID cohort.ID, now time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE users SET last_login_at = ? WHERE tenant_id = ? AND id = ?", ms(now), int64(tenantID), int64(userID))
	return err
}

// ListUsers lists users of a tenant within access.
func ListUsers(ctx context.Context, q Queryer, tenantID cohort.ID, access cohort.Access, lq cohort.ListQuery, loc *time.Location) ([]*cohort.User, string, error) {
	base := And(Where{"u.tenant_id = ?", []any{int64(tenantID)}}, AccessWhere(access, "u.id", "u.department_id"))
	users, next, err := List(ctx, q, UserList, lq, loc, "SELECT "+userCols+" FROM users u", base, func() (*cohort.User, []any) {
		u := &cohort.User{}
		return u, userDest(u)
	})
	if err != nil {
		return nil, "", err
	}
	if err := loadPermRoleIDs(ctx, q, tenantID, users); err != nil {
		return nil, "", err
	}
	return users, next, nil
}

// UserVisible reports whether user id is inside access.
func UserVisible(ctx context.Context, q Queryer, tenantID, id cohort.ID, access cohort.Access) (bool, error) {
	w := And(Where{"u.tenant_id = ? AND u.id = ?", []any{int64(tenantID), int64(id)}}, AccessWhere(access, "u.id", "u.department_id"))
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM users u WHERE "+w.SQL, w.Args...).Scan(&n)
	return n > 0, err
}

func loadPermRoleIDs(ctx context.Context, q Queryer, tenantID cohort.ID, users []*cohort.User) error {
	if len(users) == 0 {
		return nil
	}
	byID := map[cohort.ID]*cohort.User{}
	args := []any{int64(tenantID)}
	for _, u := range users {
		byID[u.ID] = u
		u.PermRoleIDs = []cohort.ID{}
		args = append(args, int64(u.ID))
	}
	rows, err := q.QueryContext(ctx, "SELECT user_id, role_id FROM user_perm_roles WHERE tenant_id = ? AND user_id IN ("+
		strings.TrimSuffix(strings.Repeat("?,", len(users)), ",")+") ORDER BY role_id", args...)
	if err != nil {
		return fmt.Errorf("load roles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid, rid cohort.ID
		if err := rows.Scan(idScanner{&uid}, idScanner{&rid}); err != nil {
			return err
		}
		if u := byID[uid]; u != nil {
			u.PermRoleIDs = append(u.PermRoleIDs, rid)
		}
	}
	return rows.Err()
}

// UserOrgHistory returns the organisation spans of a user, oldest first.
func UserOrgHistory(ctx context.Context, q Queryer, tenantID, userID cohort.ID) ([]cohort.OrgAssignment, error) {
	rows, err := q.QueryContext(ctx, `SELECT user_id, department_id, manager_id, valid_from, valid_to, COALESCE(recorded_at, valid_from)
		FROM user_org_history WHERE tenant_id = ? AND user_id = ? ORDER BY valid_from, id`, int64(tenantID), int64(userID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []cohort.OrgAssignment{}
	for rows.Next() {
		var a cohort.OrgAssignment
		if err := rows.Scan(idScanner{&a.UserID}, idScanner{&a.DepartmentID}, idScanner{&a.ManagerID}, msScanner{&a.ValidFrom}, nullMsScanner{&a.ValidTo}, msScanner{&a.RecordedAt}); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// --- departments

const deptCols = "id, tenant_id, name, parent_id, manager_id, path, depth, sort_order, version, created_at, updated_at"

func deptDest(d *cohort.Department) []any {
	return []any{idScanner{&d.ID}, idScanner{&d.TenantID}, &d.Name, idScanner{&d.ParentID}, idScanner{&d.ManagerID}, &d.Path, &d.Depth,
		&d.SortOrder, &d.Version, msScanner{&d.CreatedAt}, msScanner{&d.UpdatedAt}}
}

// ListDepartments returns a tenant's whole tree in path order (parents first).
func ListDepartments(ctx context.Context, q Queryer, tenantID cohort.ID) ([]*cohort.Department, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+deptCols+" FROM departments WHERE tenant_id = ? ORDER BY depth, sort_order, name, id", int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	defer rows.Close()
	out := []*cohort.Department{}
	for rows.Next() {
		d := &cohort.Department{}
		if err := rows.Scan(deptDest(d)...); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// FindDepartment returns one department.
func FindDepartment(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.Department, error) {
	d := &cohort.Department{}
	err := q.QueryRowContext(ctx, "SELECT "+deptCols+" FROM departments WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)).Scan(deptDest(d)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("department")
	}
	return d, err
}

// InsertDepartment inserts d under its parent (which must exist).
func InsertDepartment(ctx context.Context, tx *Tx, d *cohort.Department, now time.Time) error {
	d.ID = cohort.ID(tx.db.NewID())
	d.Path, d.Depth = "/"+d.ID.String()+"/", 0
	if d.ParentID != 0 {
		p, err := FindDepartment(ctx, tx, d.TenantID, d.ParentID)
		if err != nil {
			return cohort.Errorf(cohort.EINVALID, "parent department does not exist")
		}
		d.Path, d.Depth = p.Path+d.ID.String()+"/", p.Depth+1
	}
	d.Version, d.CreatedAt, d.UpdatedAt = 1, now, now
	_, err := tx.ExecContext(ctx, "INSERT INTO departments ("+deptCols+") VALUES (?,?,?,?,?,?,?,?,?,?,?)",
		int64(d.ID), int64(d.TenantID), d.Name, nullID(d.ParentID), nullID(d.ManagerID), d.Path, d.Depth, d.SortOrder, d.Version, ms(now), ms(now))
	return err
}

// UpdateDepartment writes d (name, manager, order) and, when its parent
// changed, moves its whole subtree by rewriting the path prefix in one
// statement. The service has checked that the new parent is not inside the
// subtree.
func UpdateDepartment(ctx context.Context, tx *Tx, d *cohort.Department, prev *cohort.Department, now time.Time) error {
	if d.ParentID != prev.ParentID {
		newPath, newDepth := "/"+d.ID.String()+"/", 0
		if d.ParentID != 0 {
			p, err := FindDepartment(ctx, tx, d.TenantID, d.ParentID)
			if err != nil {
				return cohort.Errorf(cohort.EINVALID, "parent department does not exist")
			}
			newPath, newDepth = p.Path+d.ID.String()+"/", p.Depth+1
		}
		_, err := tx.ExecContext(ctx, `UPDATE departments SET path = ? || substr(path, ?), depth = depth + ?
			WHERE tenant_id = ? AND path LIKE ?`,
			newPath, len(prev.Path)+1, newDepth-prev.Depth, int64(d.TenantID), prev.Path+"%")
		if err != nil {
			return fmt.Errorf("move department: %w", err)
		}
		d.Path, d.Depth = newPath, newDepth
	}
	res, err := tx.ExecContext(ctx, `UPDATE departments SET name = ?, parent_id = ?, manager_id = ?, sort_order = ?, version = version + 1,
		updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
		d.Name, nullID(d.ParentID), nullID(d.ManagerID), d.SortOrder, ms(now), int64(d.TenantID), int64(d.ID), prev.Version)
	if err := checkOne(res, err, "department"); err != nil {
		return err
	}
	d.Version, d.UpdatedAt = prev.Version+1, now
	return nil
}

// DeleteDepartment deletes an empty department (no children, no users).
func DeleteDepartment(ctx context.Context, tx *Tx, tenantID, id cohort.ID, version int) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM departments WHERE tenant_id = ? AND parent_id = ?) +
		(SELECT count(*) FROM users WHERE tenant_id = ? AND department_id = ?)`, int64(tenantID), int64(id), int64(tenantID), int64(id)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return cohort.Errorf(cohort.ECONFLICT, "the department still has sub-departments or people; move them first")
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM departments WHERE tenant_id = ? AND id = ? AND version = ?", int64(tenantID), int64(id), version)
	return checkOne(res, err, "department")
}

// --- permission roles

const permRoleCols = "id, tenant_id, name, description, builtin, grants, version, created_at, updated_at"

func permRoleDest(r *cohort.PermRole) []any {
	return []any{idScanner{&r.ID}, idScanner{&r.TenantID}, &r.Name, &r.Description, &r.Builtin, jsonScanner{&r.Grants},
		&r.Version, msScanner{&r.CreatedAt}, msScanner{&r.UpdatedAt}}
}

// ListPermRoles returns a tenant's permission roles by name.
func ListPermRoles(ctx context.Context, q Queryer, tenantID cohort.ID) ([]*cohort.PermRole, error) {
	return queryPermRoles(ctx, q, "SELECT "+permRoleCols+" FROM perm_roles WHERE tenant_id = ? ORDER BY builtin DESC, name", int64(tenantID))
}

// UserPermRoles returns the permission roles a user holds.
func UserPermRoles(ctx context.Context, q Queryer, tenantID, userID cohort.ID) ([]*cohort.PermRole, error) {
	return queryPermRoles(ctx, q, "SELECT "+permRoleCols+` FROM perm_roles WHERE tenant_id = ? AND id IN
		(SELECT role_id FROM user_perm_roles WHERE tenant_id = ? AND user_id = ?)`, int64(tenantID), int64(tenantID), int64(userID))
}

func queryPermRoles(ctx context.Context, q Queryer, query string, args ...any) ([]*cohort.PermRole, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	out := []*cohort.PermRole{}
	for rows.Next() {
		r := &cohort.PermRole{}
		if err := rows.Scan(permRoleDest(r)...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindPermRole returns one permission role.
func FindPermRole(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.PermRole, error) {
	r := &cohort.PermRole{}
	err := q.QueryRowContext(ctx, "SELECT "+permRoleCols+" FROM perm_roles WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)).Scan(permRoleDest(r)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("permission role")
	}
	return r, err
}

// InsertPermRole inserts r.
func InsertPermRole(ctx context.Context, tx *Tx, r *cohort.PermRole, now time.Time) error {
	r.ID, r.Version, r.CreatedAt, r.UpdatedAt = cohort.ID(tx.db.NewID()), 1, now, now
	g, _ := json.Marshal(r.Grants)
	_, err := tx.ExecContext(ctx, "INSERT INTO perm_roles ("+permRoleCols+") VALUES (?,?,?,?,?,?,?,?,?)",
		int64(r.ID), int64(r.TenantID), r.Name, r.Description, r.Builtin, string(g), r.Version, ms(now), ms(now))
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a permission role named %q exists already", r.Name)
	}
	return err
}

// UpdatePermRole writes r if its version is still prevVersion.
func UpdatePermRole(ctx context.Context, tx *Tx, r *cohort.PermRole, prevVersion int, now time.Time) error {
	g, _ := json.Marshal(r.Grants)
	res, err := tx.ExecContext(ctx, `UPDATE perm_roles SET name = ?, description = ?, grants = ?, version = version + 1, updated_at = ?
		WHERE tenant_id = ? AND id = ? AND version = ?`, r.Name, r.Description, string(g), ms(now), int64(r.TenantID), int64(r.ID), prevVersion)
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a permission role named %q exists already", r.Name)
	}
	if err := checkOne(res, err, "permission role"); err != nil {
		return err
	}
	r.Version, r.UpdatedAt = prevVersion+1, now
	return nil
}

// DeletePermRole deletes a role no user or token holds.
func DeletePermRole(ctx context.Context, tx *Tx, tenantID, id cohort.ID, version int) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM user_perm_roles WHERE tenant_id = ? AND role_id = ?) +
		(SELECT count(*) FROM api_tokens WHERE tenant_id = ? AND perm_role_id = ?)`, int64(tenantID), int64(id), int64(tenantID), int64(id)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return cohort.Errorf(cohort.ECONFLICT, "the role is still held by %d users or tokens", n)
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM perm_roles WHERE tenant_id = ? AND id = ? AND version = ?", int64(tenantID), int64(id), version)
	return checkOne(res, err, "permission role")
}

// --- business roles

const bizRoleCols = "id, tenant_id, key, name_zh, name_en, builtin, revenue, sort_order, version, created_at, updated_at"

func bizRoleDest(r *cohort.BusinessRole) []any {
	return []any{idScanner{&r.ID}, idScanner{&r.TenantID}, &r.Key, &r.NameZh, &r.NameEn, &r.Builtin, &r.Revenue, &r.SortOrder,
		&r.Version, msScanner{&r.CreatedAt}, msScanner{&r.UpdatedAt}}
}

// ListBusinessRoles returns a tenant's business roles in display order.
func ListBusinessRoles(ctx context.Context, q Queryer, tenantID cohort.ID) ([]*cohort.BusinessRole, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+bizRoleCols+" FROM business_roles WHERE tenant_id = ? ORDER BY sort_order, key", int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("list business roles: %w", err)
	}
	defer rows.Close()
	out := []*cohort.BusinessRole{}
	for rows.Next() {
		r := &cohort.BusinessRole{}
		if err := rows.Scan(bizRoleDest(r)...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindBusinessRole returns one business role.
func FindBusinessRole(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.BusinessRole, error) {
	r := &cohort.BusinessRole{}
	err := q.QueryRowContext(ctx, "SELECT "+bizRoleCols+" FROM business_roles WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)).Scan(bizRoleDest(r)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("business role")
	}
	return r, err
}

// InsertBusinessRole inserts r.
func InsertBusinessRole(ctx context.Context, tx *Tx, r *cohort.BusinessRole, now time.Time) error {
	r.ID, r.Version, r.CreatedAt, r.UpdatedAt = cohort.ID(tx.db.NewID()), 1, now, now
	_, err := tx.ExecContext(ctx, "INSERT INTO business_roles ("+bizRoleCols+") VALUES (?,?,?,?,?,?,?,?,?,?,?)",
		int64(r.ID), int64(r.TenantID), r.Key, r.NameZh, r.NameEn, r.Builtin, r.Revenue, r.SortOrder, r.Version, ms(now), ms(now))
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a business role with key %q exists already", r.Key)
	}
	return err
}

// UpdateBusinessRole writes r if its version is still prevVersion.
func UpdateBusinessRole(ctx context.Context, tx *Tx, r *cohort.BusinessRole, prevVersion int, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE business_roles SET name_zh = ?, name_en = ?, revenue = ?, sort_order = ?, version = version + 1,
		updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
		r.NameZh, r.NameEn, r.Revenue, r.SortOrder, ms(now), int64(r.TenantID), int64(r.ID), prevVersion)
	if err := checkOne(res, err, "business role"); err != nil {
		return err
	}
	r.Version, r.UpdatedAt = prevVersion+1, now
	return nil
}

// DeleteBusinessRole deletes a tenant-defined business role.
func DeleteBusinessRole(ctx context.Context, tx *Tx, tenantID, id cohort.ID, version int) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM business_roles WHERE tenant_id = ? AND id = ? AND version = ? AND NOT builtin", int64(tenantID), int64(id), version)
	return checkOne(res, err, "business role")
}
