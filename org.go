package cohort

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Tenant is one company. Every other row belongs to exactly one tenant.
type Tenant struct {
	ID   ID     `json:"id"`
	Name string `json:"name"`
	// Slug names the tenant at login when an email exists in several tenants.
	Slug string `json:"slug"`
	// TimeZone is an IANA zone; every period bucket is computed in it.
	TimeZone string `json:"time_zone"`
	// FiscalYearStartMonth is 1..12.
	FiscalYearStartMonth int    `json:"fiscal_year_start_month"`
	Currency             string `json:"currency"`
	Locale               string `json:"locale"`
	// WeekStart is the first day of the week as ISO 8601 numbers it:
	// 1 = Monday ... 7 = Sunday (FirstWeekday gives the time.Weekday).
	WeekStart int `json:"week_start"`
	// BackdateWindowDays is how many days in the past an event may be dated
	// without the permission to backdate further (0..3650; default 7).
	BackdateWindowDays int `json:"backdate_window_days"`
	// ChurnGraceDays is how many days after a contract's end a renewal may
	// start for the customer not to count as churned (0..3650; default 30).
	ChurnGraceDays int `json:"churn_grace_days"`
	// QuoteToleranceBP is how far (basis points of the last quote) a won
	// opportunity's final contract amount may lie from its last quote for
	// the quote to count as accurate (0..10000; default 500 = 5 %).
	QuoteToleranceBP int       `json:"quote_tolerance_bp"`
	Version          int       `json:"version"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	// DisabledAt is when the tenant was disabled: nobody of it logs in, and
	// its sessions and tokens stop. Nil while it is enabled.
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
}

// Tenant defaults.
const (
	DefaultTimeZone           = "Asia/Shanghai"
	DefaultCurrency           = "CNY"
	DefaultLocale             = "zh-CN"
	DefaultWeekStart          = 1 // Monday
	DefaultBackdateWindowDays = 7
	MaxBackdateWindowDays     = 3650
	DefaultChurnGraceDays     = 30
	DefaultQuoteToleranceBP   = 500
)

// TenantUpdate is a change of the tenant's settings; nil fields stay.
type TenantUpdate struct {
	Name                 *string `json:"name,omitempty" example:"Hangzhou Lianxin Technology"`
	TimeZone             *string `json:"time_zone,omitempty" example:"Asia/Shanghai"`
	FiscalYearStartMonth *int    `json:"fiscal_year_start_month,omitempty" example:"4"`
	Currency             *string `json:"currency,omitempty" example:"CNY"`
	WeekStart            *int    `json:"week_start,omitempty" example:"1"`
	BackdateWindowDays   *int    `json:"backdate_window_days,omitempty" example:"7"`
	ChurnGraceDays       *int    `json:"churn_grace_days,omitempty" example:"30"`
	QuoteToleranceBP     *int    `json:"quote_tolerance_bp,omitempty" example:"500"`
}

// Apply returns t with upd applied (strings trimmed), not yet validated.
func (upd TenantUpdate) Apply(t Tenant) Tenant {
	if upd.Name != nil {
		t.Name = strings.TrimSpace(*upd.Name)
	}
	if upd.TimeZone != nil {
		t.TimeZone = strings.TrimSpace(*upd.TimeZone)
	}
	if upd.FiscalYearStartMonth != nil {
		t.FiscalYearStartMonth = *upd.FiscalYearStartMonth
	}
	if upd.Currency != nil {
		t.Currency = strings.TrimSpace(*upd.Currency)
	}
	if upd.WeekStart != nil {
		t.WeekStart = *upd.WeekStart
	}
	if upd.BackdateWindowDays != nil {
		t.BackdateWindowDays = *upd.BackdateWindowDays
	}
	if upd.ChurnGraceDays != nil {
		t.ChurnGraceDays = *upd.ChurnGraceDays
	}
	if upd.QuoteToleranceBP != nil {
		t.QuoteToleranceBP = *upd.QuoteToleranceBP
	}
	return t
}

// FirstWeekday is the first day of the tenant's week.
func (t *Tenant) FirstWeekday() time.Weekday { return time.Weekday(t.WeekStart % 7) }

// ValidTimeZone reports whether name is an IANA time zone name ("UTC"
// included; "Local", the server's own zone, is not one).
func ValidTimeZone(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// Locales the product speaks.
var Locales = []string{"zh-CN", "en"}

// ValidLocale reports whether l is one of Locales.
func ValidLocale(l string) bool {
	for _, x := range Locales {
		if x == l {
			return true
		}
	}
	return false
}

// Validate checks t and fills defaults.
func (t *Tenant) Validate() error {
	if t.TimeZone == "" {
		t.TimeZone = DefaultTimeZone
	}
	if t.Currency == "" {
		t.Currency = DefaultCurrency
	}
	if t.Locale == "" {
		t.Locale = DefaultLocale
	}
	if t.FiscalYearStartMonth == 0 {
		t.FiscalYearStartMonth = 1
	}
	if t.WeekStart == 0 {
		t.WeekStart = DefaultWeekStart
	}
	return t.Check()
}

// Check validates t as it is, filling nothing: a settings change sends zero
// values on purpose.
func (t *Tenant) Check() error {
	var v Validation
	checkName(&v, "name", t.Name, 200)
	if !validSlug(t.Slug) {
		v.Add("slug", "must be 2 to 63 lower-case letters, digits or '-'")
	}
	if !ValidTimeZone(t.TimeZone) {
		v.Add("time_zone", "unknown time zone %q; use an IANA name such as Asia/Shanghai", t.TimeZone)
	}
	if t.FiscalYearStartMonth < 1 || t.FiscalYearStartMonth > 12 {
		v.Add("fiscal_year_start_month", "must be 1 to 12")
	}
	if !ValidCurrencyCode(t.Currency) {
		v.Add("currency", "must be an ISO 4217 currency code such as CNY")
	}
	if t.WeekStart < 1 || t.WeekStart > 7 {
		v.Add("week_start", "must be 1 (Monday) to 7 (Sunday)")
	}
	if t.BackdateWindowDays < 0 || t.BackdateWindowDays > MaxBackdateWindowDays {
		v.Add("backdate_window_days", "must be 0 to %d days", MaxBackdateWindowDays)
	}
	if t.ChurnGraceDays < 0 || t.ChurnGraceDays > 3650 {
		v.Add("churn_grace_days", "must be 0 to 3650 days")
	}
	if t.QuoteToleranceBP < 0 || t.QuoteToleranceBP > 10000 {
		v.Add("quote_tolerance_bp", "must be 0 to 10000 basis points (0 to 100 %%)")
	}
	if !ValidLocale(t.Locale) {
		v.Add("locale", "must be zh-CN or en")
	}
	return v.Err()
}

// Location returns the tenant's time zone.
func (t *Tenant) Location() *time.Location {
	if loc, ok := zones.Load(t.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return time.UTC
	}
	zones.Store(t.TimeZone, loc)
	return loc
}

// zones keeps the time zones loaded (LoadLocation reads the zone database
// on every call): name → *time.Location.
var zones sync.Map

// User statuses.
const (
	UserActive   = "active"
	UserDisabled = "disabled"
)

// User is a person who works in Cohort.
type User struct {
	ID           ID         `json:"id"`
	TenantID     ID         `json:"tenant_id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Phone        string     `json:"phone"`
	DepartmentID ID         `json:"department_id"`
	ManagerID    ID         `json:"manager_id"`
	Status       string     `json:"status"`
	Locale       string     `json:"locale"`
	PermRoleIDs  []ID       `json:"perm_role_ids"`
	LastLoginAt  *time.Time `json:"last_login_at"`
	Version      int        `json:"version"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	// OrgSince is when the first department and manager took effect (zero:
	// at creation); set on create only.
	OrgSince time.Time `json:"-"`
}

// Validate checks u's own fields (references are checked by the service).
func (u *User) Validate() error {
	var v Validation
	checkName(&v, "name", u.Name, 100)
	email, ok := NormalizeEmail(u.Email)
	if !ok {
		v.Add("email", "is not a valid email address")
	}
	u.Email = email
	if u.Phone != "" {
		p, ok := NormalizePhone(u.Phone)
		if !ok {
			v.Add("phone", "is not a valid phone number")
		}
		u.Phone = p
	}
	if u.Status == "" {
		u.Status = UserActive
	}
	if u.Status != UserActive && u.Status != UserDisabled {
		v.Add("status", "must be active or disabled")
	}
	if u.Locale == "" {
		u.Locale = DefaultLocale
	}
	if !ValidLocale(u.Locale) {
		v.Add("locale", "must be zh-CN or en")
	}
	if u.ManagerID != 0 && u.ManagerID == u.ID {
		v.Add("manager_id", "a user cannot be their own manager")
	}
	return v.Err()
}

// UserUpdate holds the fields a PATCH may change; nil means unchanged.
type UserUpdate struct {
	Name         *string `json:"name"`
	Email        *string `json:"email"`
	Phone        *string `json:"phone"`
	DepartmentID *ID     `json:"department_id"`
	ManagerID    *ID     `json:"manager_id"`
	Status       *string `json:"status"`
	Locale       *string `json:"locale"`
	PermRoleIDs  *[]ID   `json:"perm_role_ids"`
	// OrgEffectiveAt dates a department or manager change (default now); on
	// its own, it moves the start of a user's only span (the first
	// department). A date beyond the backdate window needs user:backdate.
	OrgEffectiveAt *time.Time `json:"org_effective_at,omitempty"`
}

// OrgAssignment is one span of a user's department and manager. Figures are
// credited to the department a person was in when the event happened.
type OrgAssignment struct {
	UserID       ID         `json:"user_id"`
	DepartmentID ID         `json:"department_id"`
	ManagerID    ID         `json:"manager_id"`
	ValidFrom    time.Time  `json:"valid_from"`
	ValidTo      *time.Time `json:"valid_to"`
	// ValidFrom and ValidTo are business times; RecordedAt is when the span
	// was written.
	RecordedAt time.Time `json:"recorded_at"`
}

// Department is a node of the tenant's organisation tree.
type Department struct {
	ID        ID     `json:"id"`
	TenantID  ID     `json:"tenant_id"`
	Name      string `json:"name"`
	ParentID  ID     `json:"parent_id"`
	ManagerID ID     `json:"manager_id"`
	// Path is the materialised path of ids from the root, "/1/5/9/", which
	// makes a subtree one indexed prefix match.
	Path      string    `json:"path"`
	Depth     int       `json:"depth"`
	SortOrder int       `json:"sort_order"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks d's own fields.
func (d *Department) Validate() error {
	var v Validation
	checkName(&v, "name", d.Name, 100)
	return v.Err()
}

// DepartmentUpdate holds the fields a PATCH may change.
type DepartmentUpdate struct {
	Name      *string `json:"name"`
	ParentID  *ID     `json:"parent_id"`
	ManagerID *ID     `json:"manager_id"`
	SortOrder *int    `json:"sort_order"`
}

// BusinessRole is the part a person plays on a record (owner, presales, ...).
type BusinessRole struct {
	ID       ID     `json:"id"`
	TenantID ID     `json:"tenant_id"`
	Key      string `json:"key"`
	NameZh   string `json:"name_zh"`
	NameEn   string `json:"name_en"`
	Builtin  bool   `json:"builtin"`
	// Revenue roles' credit shares on a record add up to 100 %; other roles
	// are overlays that carry their own share.
	Revenue   bool      `json:"revenue"`
	SortOrder int       `json:"sort_order"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Built-in business role keys.
const (
	RoleOwner           = "owner"
	RolePresales        = "presales"
	RoleProjectManager  = "project_manager"
	RoleImplementer     = "implementer"
	RoleCustomerSuccess = "customer_success"
)

// BuiltinBusinessRoles are created with every tenant.
var BuiltinBusinessRoles = []BusinessRole{
	{Key: RoleOwner, NameZh: "负责人", NameEn: "Owner", Builtin: true, Revenue: true, SortOrder: 1},
	{Key: RolePresales, NameZh: "售前", NameEn: "Presales", Builtin: true, SortOrder: 2},
	{Key: RoleProjectManager, NameZh: "项目经理", NameEn: "Project manager", Builtin: true, SortOrder: 3},
	{Key: RoleImplementer, NameZh: "实施", NameEn: "Implementer", Builtin: true, SortOrder: 4},
	{Key: RoleCustomerSuccess, NameZh: "客户成功", NameEn: "Customer success", Builtin: true, SortOrder: 5},
}

// Validate checks r's own fields.
func (r *BusinessRole) Validate() error {
	var v Validation
	if !validKey(r.Key) {
		v.Add("key", "must be 2 to 40 lower-case letters, digits or '_'")
	}
	checkName(&v, "name_zh", r.NameZh, 50)
	checkName(&v, "name_en", r.NameEn, 50)
	return v.Err()
}

// BusinessRoleUpdate holds the fields a PATCH may change.
type BusinessRoleUpdate struct {
	NameZh    *string `json:"name_zh"`
	NameEn    *string `json:"name_en"`
	Revenue   *bool   `json:"revenue"`
	SortOrder *int    `json:"sort_order"`
}

// OrgService manages tenants, users, departments and roles. Every method acts
// as the Principal in ctx and within its tenant.
//
// Errors: ENOTFOUND when an id is not in the caller's tenant or not visible in
// the caller's data scope; EFORBIDDEN when the action is not granted; EINVALID
// for validation failures; ECONFLICT for duplicates and non-empty deletes;
// EPRECONDITION when ifVersion is non-zero and stale.
type OrgService interface {
	CreateUser(ctx context.Context, u *User, password string) error
	FindUser(ctx context.Context, id ID) (*User, error)
	ListUsers(ctx context.Context, q ListQuery) ([]*User, string, error)
	UpdateUser(ctx context.Context, id ID, upd UserUpdate, ifVersion int) (*User, error)
	SetUserPassword(ctx context.Context, id ID, password string) error
	UserOrgHistory(ctx context.Context, id ID) ([]OrgAssignment, error)

	ListDepartments(ctx context.Context) ([]*Department, error)
	CreateDepartment(ctx context.Context, d *Department) error
	UpdateDepartment(ctx context.Context, id ID, upd DepartmentUpdate, ifVersion int) (*Department, error)
	DeleteDepartment(ctx context.Context, id ID, ifVersion int) error

	ListPermRoles(ctx context.Context) ([]*PermRole, error)
	FindPermRole(ctx context.Context, id ID) (*PermRole, error)
	CreatePermRole(ctx context.Context, r *PermRole) error
	UpdatePermRole(ctx context.Context, id ID, upd PermRoleUpdate, ifVersion int) (*PermRole, error)
	DeletePermRole(ctx context.Context, id ID, ifVersion int) error

	ListBusinessRoles(ctx context.Context) ([]*BusinessRole, error)
	CreateBusinessRole(ctx context.Context, r *BusinessRole) error
	UpdateBusinessRole(ctx context.Context, id ID, upd BusinessRoleUpdate, ifVersion int) (*BusinessRole, error)
	DeleteBusinessRole(ctx context.Context, id ID, ifVersion int) error
}
