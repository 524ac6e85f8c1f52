package cohort

import (
	"context"
	"slices"
	"time"
)

// ObjectType names a kind of object that permissions are granted on.
type ObjectType string

// Object types of the foundation; later record types add theirs to
// ObjectTypes.
const (
	ObjTenant     ObjectType = "tenant"
	ObjUser       ObjectType = "user"
	ObjDepartment ObjectType = "department"
	ObjRole       ObjectType = "role"
	ObjAudit      ObjectType = "audit"
)

// ObjectTypes lists every object type a permission role can grant on.
var ObjectTypes = []ObjectType{ObjTenant, ObjUser, ObjDepartment, ObjRole, ObjAudit, ObjCustomer, ObjContact, ObjFollowUp, ObjOpportunity, ObjProduct, ObjLead,
	ObjQuote, ObjContract, ObjOrder, ObjProject, ObjTicket}

// Action is something a user may do to an object type.
type Action string

// Actions.
const (
	ActView       Action = "view"
	ActCreate     Action = "create"
	ActEdit       Action = "edit"
	ActDelete     Action = "delete"
	ActTransfer   Action = "transfer"
	ActImport     Action = "import"
	ActExport     Action = "export"
	ActApprove    Action = "approve"
	ActAdminister Action = "administer"
	// ActBackdate dates an event further in the past than the tenant's
	// backdate window, or sets a record's creation time (设置历史时间, like
	// Salesforce's "Set Audit Fields upon Record Creation"). Administering
	// an object type implies it.
	ActBackdate Action = "backdate"
)

// Actions lists every action.
var Actions = []Action{ActView, ActCreate, ActEdit, ActDelete, ActTransfer, ActImport, ActExport, ActApprove, ActAdminister, ActBackdate}

// Scope is how much of an object type a grant reaches.
type Scope string

// Data scopes, narrowest first.
const (
	ScopeOwn                   Scope = "own"
	ScopeOwnAndSubordinates    Scope = "own_and_subordinates"
	ScopeDepartment            Scope = "department"
	ScopeDepartmentAndChildren Scope = "department_and_children"
	ScopeAll                   Scope = "all"
)

// Scopes lists the data scopes, narrowest first.
var Scopes = []Scope{ScopeOwn, ScopeOwnAndSubordinates, ScopeDepartment, ScopeDepartmentAndChildren, ScopeAll}

func scopeRank(s Scope) int { return slices.Index(Scopes, s) }

// Wider returns the wider of a and b. "department" and "own_and_subordinates"
// are not nested; the rank order is a documented simplification: the wider
// rank wins.
func Wider(a, b Scope) Scope {
	if scopeRank(b) > scopeRank(a) {
		return b
	}
	return a
}

// Grant is what a permission role allows on one object type.
type Grant struct {
	Actions []Action `json:"actions"`
	Scope   Scope    `json:"scope"`
}

// PermRole is a named set of grants. A user holds one or more; their
// permissions are the union, with the widest scope per object type.
type PermRole struct {
	ID          ID                   `json:"id"`
	TenantID    ID                   `json:"tenant_id"`
	Name        string               `json:"name"`
	Description string               `json:"description"`
	Builtin     bool                 `json:"builtin"`
	Grants      map[ObjectType]Grant `json:"grants"`
	Version     int                  `json:"version"`
	CreatedAt   time.Time            `json:"created_at"`
	UpdatedAt   time.Time            `json:"updated_at"`
}

// Validate checks r's grants against the catalogue.
func (r *PermRole) Validate() error {
	var v Validation
	checkName(&v, "name", r.Name, 100)
	if len(r.Description) > 500 {
		v.Add("description", "must be at most 500 characters")
	}
	if r.Grants == nil {
		r.Grants = map[ObjectType]Grant{}
	}
	for obj, g := range r.Grants {
		if !slices.Contains(ObjectTypes, obj) {
			v.Add("grants."+string(obj), "unknown object type")
			continue
		}
		for _, a := range g.Actions {
			if !slices.Contains(Actions, a) {
				v.Add("grants."+string(obj), "unknown action %q", a)
			}
		}
		if g.Scope == "" {
			g.Scope = ScopeOwn
			r.Grants[obj] = g
		}
		if scopeRank(g.Scope) < 0 {
			v.Add("grants."+string(obj), "unknown scope %q", g.Scope)
		}
	}
	return v.Err()
}

// PermRoleUpdate holds the fields a PATCH may change.
type PermRoleUpdate struct {
	Name        *string               `json:"name"`
	Description *string               `json:"description"`
	Grants      *map[ObjectType]Grant `json:"grants"`
}

// Permissions is the merged grant set of a principal.
type Permissions map[ObjectType]Grant

// Merge folds the grants of roles into one set.
func Merge(roles ...*PermRole) Permissions {
	p := Permissions{}
	for _, r := range roles {
		for obj, g := range r.Grants {
			cur, ok := p[obj]
			if !ok {
				p[obj] = Grant{Actions: slices.Clone(g.Actions), Scope: g.Scope}
				continue
			}
			for _, a := range g.Actions {
				if !slices.Contains(cur.Actions, a) {
					cur.Actions = append(cur.Actions, a)
				}
			}
			cur.Scope = Wider(cur.Scope, g.Scope)
			p[obj] = cur
		}
	}
	return p
}

// Can reports whether p grants act on obj.
func (p Permissions) Can(obj ObjectType, act Action) bool {
	g, ok := p[obj]
	return ok && slices.Contains(g.Actions, act)
}

// Access is the answer to "which rows of an object type may this user act on":
// the filter every read path applies. The store renders it to SQL; it never
// decides policy itself.
type Access struct {
	TenantID ID
	Scope    Scope
	// UserID is the asker; "own" means rows whose owner is UserID.
	UserID ID
	// DepartmentID is the asker's primary department and DepartmentPath its
	// materialised path, for the department scopes.
	DepartmentID   ID
	DepartmentPath string
}

// Principal is who is acting: the authenticated user in their tenant, with the
// merged permissions and where the request came from.
type Principal struct {
	Tenant      *Tenant
	User        *User
	Permissions Permissions
	// DepartmentPath is the materialised path of the user's department, for
	// the department data scopes.
	DepartmentPath string
	// SessionID is set for browser sessions, TokenID for API tokens.
	SessionID string
	TokenID   ID
	// System marks work done by Cohort itself (jobs, first run).
	System bool
	Meta   RequestMeta
}

// RequestMeta says where a request came from, for the audit log.
type RequestMeta struct {
	IP        string
	UserAgent string
	RequestID string
}

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the Principal in ctx, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// BuiltinPermRoles returns the permission roles created with every tenant.
func BuiltinPermRoles() []PermRole {
	all := func(s Scope) map[ObjectType]Grant {
		m := map[ObjectType]Grant{}
		for _, o := range ObjectTypes {
			m[o] = Grant{Actions: slices.Clone(Actions), Scope: s}
		}
		return m
	}
	view := func(s Scope, objs ...ObjectType) map[ObjectType]Grant {
		m := map[ObjectType]Grant{}
		for _, o := range objs {
			m[o] = Grant{Actions: []Action{ActView}, Scope: s}
		}
		return m
	}
	with := func(m map[ObjectType]Grant, s Scope, acts []Action, objs ...ObjectType) map[ObjectType]Grant {
		for _, o := range objs {
			m[o] = Grant{Actions: slices.Clone(acts), Scope: s}
		}
		return m
	}
	records := []ObjectType{ObjCustomer, ObjContact, ObjFollowUp, ObjOpportunity, ObjLead, ObjQuote, ObjContract, ObjOrder, ObjProject, ObjTicket}
	return []PermRole{
		{Name: "管理员 Administrator", Description: "Everything, in the whole company.", Builtin: true, Grants: all(ScopeAll)},
		{Name: "销售经理 Sales manager", Description: "Sees the organisation; manages the records of own department and sub-departments.", Builtin: true,
			Grants: with(view(ScopeAll, ObjUser, ObjDepartment, ObjRole), ScopeDepartmentAndChildren,
				[]Action{ActView, ActCreate, ActEdit, ActTransfer, ActImport, ActExport}, records...)},
		{Name: "销售 Salesperson", Description: "Works own records and those whose team they are on.", Builtin: true,
			Grants: with(view(ScopeAll, ObjUser, ObjDepartment, ObjRole), ScopeOwn, []Action{ActView, ActCreate, ActEdit}, records...)},
	}
}
