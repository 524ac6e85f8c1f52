package api

import (
	"context"
	"net/http"
	"time"

	"github.com/cohortcrm/cohort"
)

type userCreate struct {
	Name         string      `json:"name" openapi:"required"`
	Email        string      `json:"email" openapi:"required"`
	Phone        string      `json:"phone"`
	Password     string      `json:"password" openapi:"required"`
	DepartmentID cohort.ID   `json:"department_id"`
	ManagerID    cohort.ID   `json:"manager_id"`
	PermRoleIDs  []cohort.ID `json:"perm_role_ids"`
	Locale       string      `json:"locale"`
	Status       string      `json:"status"`
	// OrgSince dates the first department and manager (default now).
	OrgSince *time.Time `json:"org_since,omitempty"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	lq, err := listQuery(r, "status", "department_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	users, next, err := s.svc.ListUsers(r.Context(), lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.User]{Items: nonNil(users), NextCursor: next, Total: lq.Total})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var req userCreate
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	u := &cohort.User{Name: req.Name, Email: req.Email, Phone: req.Phone, DepartmentID: req.DepartmentID, ManagerID: req.ManagerID,
		PermRoleIDs: req.PermRoleIDs, Locale: req.Locale, Status: req.Status}
	if req.OrgSince != nil {
		u.OrgSince = *req.OrgSince
	}
	if err := s.svc.CreateUser(r.Context(), u, req.Password); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+u.ID.String())
	respondVersioned(w, http.StatusCreated, u, u.Version)
}

type passwordSet struct {
	Password string `json:"password" openapi:"required" example:"a-new-long-password"`
}

func (s *Server) setUserPassword(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req passwordSet
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.SetUserPassword(r.Context(), id, req.Password); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) userOrgHistory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := s.svc.UserOrgHistory(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[cohort.OrgAssignment]{Items: h})
}

type departmentCreate struct {
	Name      string    `json:"name" openapi:"required"`
	ParentID  cohort.ID `json:"parent_id"`
	ManagerID cohort.ID `json:"manager_id"`
	SortOrder int       `json:"sort_order"`
}

func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request) {
	ds, err := s.svc.ListDepartments(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.Department]{Items: ds})
}

func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request) {
	var req departmentCreate
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.ParentID == 0 {
		s.writeError(w, r, &cohort.Error{Code: cohort.EINVALID, Message: "parent_id: is required",
			Fields: []cohort.FieldError{{Field: "parent_id", Message: "is required"}}})
		return
	}
	d := &cohort.Department{Name: req.Name, ParentID: req.ParentID, ManagerID: req.ManagerID, SortOrder: req.SortOrder}
	if err := s.svc.CreateDepartment(r.Context(), d); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, d, d.Version)
}

func (s *Server) deleteDepartment(w http.ResponseWriter, r *http.Request) {
	s.deleteByID(w, r, s.svc.DeleteDepartment)
}

// deleteByID is the shape every DELETE /{id} shares.
func (s *Server) deleteByID(w http.ResponseWriter, r *http.Request, del func(ctx context.Context, id cohort.ID, ifVersion int) error) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ver, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := del(r.Context(), id, ver); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type catalog struct {
	ObjectTypes []cohort.ObjectType `json:"object_types"`
	Actions     []cohort.Action     `json:"actions"`
	Scopes      []cohort.Scope      `json:"scopes"`
}

func (s *Server) catalog(w http.ResponseWriter, r *http.Request) {
	respond(w, http.StatusOK, catalog{ObjectTypes: cohort.ObjectTypes, Actions: cohort.Actions, Scopes: cohort.Scopes})
}

type permRoleCreate struct {
	Name        string                             `json:"name" openapi:"required"`
	Description string                             `json:"description"`
	Grants      map[cohort.ObjectType]cohort.Grant `json:"grants"`
}

func (s *Server) listPermRoles(w http.ResponseWriter, r *http.Request) {
	rs, err := s.svc.ListPermRoles(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.PermRole]{Items: rs})
}

func (s *Server) createPermRole(w http.ResponseWriter, r *http.Request) {
	var req permRoleCreate
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	pr := &cohort.PermRole{Name: req.Name, Description: req.Description, Grants: req.Grants}
	if err := s.svc.CreatePermRole(r.Context(), pr); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, pr, pr.Version)
}

func (s *Server) deletePermRole(w http.ResponseWriter, r *http.Request) {
	s.deleteByID(w, r, s.svc.DeletePermRole)
}

type businessRoleCreate struct {
	Key       string `json:"key"`
	NameZh    string `json:"name_zh" openapi:"required"`
	NameEn    string `json:"name_en" openapi:"required"`
	Revenue   bool   `json:"revenue"`
	SortOrder int    `json:"sort_order"`
}

func (s *Server) listBusinessRoles(w http.ResponseWriter, r *http.Request) {
	rs, err := s.svc.ListBusinessRoles(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.BusinessRole]{Items: rs})
}

func (s *Server) createBusinessRole(w http.ResponseWriter, r *http.Request) {
	var req businessRoleCreate
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	br := &cohort.BusinessRole{Key: req.Key, NameZh: req.NameZh, NameEn: req.NameEn, Revenue: req.Revenue, SortOrder: req.SortOrder}
	if err := s.svc.CreateBusinessRole(r.Context(), br); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, br, br.Version)
}

func (s *Server) deleteBusinessRole(w http.ResponseWriter, r *http.Request) {
	s.deleteByID(w, r, s.svc.DeleteBusinessRole)
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	lq, err := listQuery(r, "object_type", "object_id", "actor_id", "action")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	if v := q.Get("from"); v != "" {
		lq.Filters = append(lq.Filters, cohort.Filter{Field: "at", Op: "gte", Values: []string{v}})
	}
	if v := q.Get("to"); v != "" {
		lq.Filters = append(lq.Filters, cohort.Filter{Field: "at", Op: "lt", Values: []string{v}})
	}
	es, next, err := s.svc.ListAudit(r.Context(), lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.AuditEntry]{Items: nonNil(es), NextCursor: next, Total: lq.Total})
}

func tenantVersion(t *cohort.Tenant) int { return t.Version }

func (s *Server) getTenantSettings(w http.ResponseWriter, r *http.Request) {
	t, err := s.svc.TenantSettings(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusOK, t, tenantVersion(t))
}

func (s *Server) updateTenantSettings(w http.ResponseWriter, r *http.Request) {
	ver, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var upd cohort.TenantUpdate
	if err := decode(r, &upd); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.svc.UpdateTenantSettings(r.Context(), upd, ver)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusOK, t, tenantVersion(t))
}
