package api

import (
	"net/http"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
)

type loginRequest struct {
	Email    string `json:"email" openapi:"required" example:"ana@example.com"`
	Password string `json:"password" openapi:"required" example:"a-long-password"`
	Tenant   string `json:"tenant,omitempty"`
}

type meResponse struct {
	User        *cohort.User       `json:"user"`
	Tenant      *cohort.Tenant     `json:"tenant"`
	Permissions cohort.Permissions `json:"permissions"`
}

// sessionResponse says whether the browser's session cookie names a live
// session, and who it is when it does.
type sessionResponse struct {
	Authenticated bool               `json:"authenticated"`
	User          *cohort.User       `json:"user,omitempty"`
	Tenant        *cohort.Tenant     `json:"tenant,omitempty"`
	Permissions   cohort.Permissions `json:"permissions,omitempty"`
}

// session answers 200 whether or not the caller is logged in, so that a
// page can check its session without an error (a stale cookie is cleared).
func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		respond(w, http.StatusOK, sessionResponse{})
		return
	}
	p, err := s.svc.AuthenticateSession(r.Context(), c.Value)
	if err != nil {
		s.clearCookie(w)
		respond(w, http.StatusOK, sessionResponse{})
		return
	}
	respond(w, http.StatusOK, sessionResponse{Authenticated: true, User: p.User, Tenant: p.Tenant, Permissions: p.Permissions})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Email == "" || req.Password == "" {
		s.writeError(w, r, cohort.Errorf(cohort.EINVALID, "email and password are required"))
		return
	}
	ctx := cohort.NewContext(r.Context(), &cohort.Principal{Meta: s.meta(r)})
	token, p, err := s.svc.Login(ctx, req.Email, req.Password, req.Tenant)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// A fresh token on every login: a session id planted before login is
	// never the one that is authenticated.
	s.setCookie(w, token)
	respond(w, http.StatusOK, meResponse{User: p.User, Tenant: p.Tenant, Permissions: p.Permissions})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Logout(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.clearCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p := cohort.PrincipalFrom(r.Context())
	respond(w, http.StatusOK, meResponse{User: p.User, Tenant: p.Tenant, Permissions: p.Permissions})
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) {
	var upd service.MeUpdate
	if err := decode(r, &upd); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.UpdateMe(r.Context(), upd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusOK, u, u.Version)
}

type passwordChange struct {
	CurrentPassword string `json:"current_password" openapi:"required"`
	NewPassword     string `json:"new_password" openapi:"required" example:"a-new-long-password"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	var req passwordChange
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.ChangePassword(r.Context(), req.CurrentPassword, req.NewPassword); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type tokenRequest struct {
	Name       string    `json:"name" openapi:"required"`
	PermRoleID cohort.ID `json:"perm_role_id"`
	// TTLDays is how long the token lives; 0 means until revoked.
	TTLDays int `json:"ttl_days"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	t := &cohort.APIToken{Name: req.Name, PermRoleID: req.PermRoleID}
	if err := s.svc.CreateToken(r.Context(), t, time.Duration(req.TTLDays)*24*time.Hour); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	respond(w, http.StatusCreated, t)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.svc.ListTokens(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.APIToken]{Items: ts})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.svc.RevokeToken(r.Context(), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type defaultTeam struct {
	Members []cohort.TeamInput `json:"members"`
}

func (s *Server) getDefaultTeam(w http.ResponseWriter, r *http.Request) {
	ms, err := s.svc.DefaultTeam(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, defaultTeam{Members: ms})
}

func (s *Server) setDefaultTeam(w http.ResponseWriter, r *http.Request) {
	var req defaultTeam
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	ms, err := s.svc.SetDefaultTeam(r.Context(), req.Members)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, defaultTeam{Members: ms})
}
