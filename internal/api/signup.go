package api

import (
	"net/http"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
)

// signupState tells the web app whether to offer the sign-up page.
type signupState struct {
	Enabled bool `json:"enabled"`
}

func (s *Server) getSignup(w http.ResponseWriter, r *http.Request) {
	respond(w, http.StatusOK, signupState{Enabled: s.opt.Signup})
}

// signup creates a company and its administrator and logs them in. Off
// (404) unless the server is configured for it (COHORT_SIGNUP).
func (s *Server) signup(w http.ResponseWriter, r *http.Request) {
	if !s.opt.Signup {
		s.writeError(w, r, cohort.Errorf(cohort.ENOTFOUND, "sign-up is not offered on this server; ask its operator for a company"))
		return
	}
	var req service.Signup
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := cohort.NewContext(r.Context(), &cohort.Principal{Meta: s.meta(r)})
	token, p, err := s.svc.SignUp(ctx, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.setCookie(w, token)
	respond(w, http.StatusCreated, meResponse{User: p.User, Tenant: p.Tenant, Permissions: p.Permissions})
}
