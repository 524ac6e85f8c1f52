package api

import (
	"net/http"

	"github.com/cohortcrm/cohort"
)

type poolInput struct {
	Name              string         `json:"name"`
	AdminIDs          []cohort.ID    `json:"admin_ids"`
	DepartmentIDs     []cohort.ID    `json:"department_ids"`
	NoFollowUpDays    int            `json:"no_followup_days"`
	NoFollowUpByGrade map[string]int `json:"no_followup_days_by_grade"`
	NoSigningDays     int            `json:"no_signing_days"`
	NoOpportunityDays int            `json:"no_opportunity_days"`
	WarnDays          int            `json:"warn_days"`
	DailyClaimLimit   int            `json:"daily_claim_limit"`
	MaxOwned          int            `json:"max_owned"`
	ReclaimBlockDays  int            `json:"reclaim_block_days"`
	IsDefault         bool           `json:"is_default"`
}

func (in poolInput) pool(id cohort.ID) *cohort.Pool {
	return &cohort.Pool{ID: id, Name: in.Name, AdminIDs: in.AdminIDs, DepartmentIDs: in.DepartmentIDs, NoFollowUpDays: in.NoFollowUpDays,
		NoFollowUpByGrade: in.NoFollowUpByGrade, NoSigningDays: in.NoSigningDays, NoOpportunityDays: in.NoOpportunityDays, WarnDays: in.WarnDays, DailyClaimLimit: in.DailyClaimLimit,
		MaxOwned: in.MaxOwned, ReclaimBlockDays: in.ReclaimBlockDays, IsDefault: in.IsDefault}
}

func (s *Server) listPools(w http.ResponseWriter, r *http.Request) {
	ps, err := s.svc.ListPools(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.Pool]{Items: ps})
}

func (s *Server) createPool(w http.ResponseWriter, r *http.Request) {
	var in poolInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := in.pool(0)
	if err := s.svc.SavePool(r.Context(), p, 0); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, p, p.Version)
}

// updatePool replaces a pool's settings (every field is sent).
func (s *Server) updatePool(w http.ResponseWriter, r *http.Request) {
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
	var in poolInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := in.pool(id)
	if err := s.svc.SavePool(r.Context(), p, ver); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusOK, p, p.Version)
}

func (s *Server) poolCustomers(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	lq, err := listQuery(r, "grade", "province", "industry")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.svc.PoolCustomers(r.Context(), id, lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.Customer]{Items: nonNil(items), NextCursor: next, Total: lq.Total})
}

type releaseRequest struct {
	PoolID cohort.ID `json:"pool_id"`
	Reason string    `json:"reason"`
}

func (s *Server) releaseCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req releaseRequest
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.Release(r.Context(), id, req.PoolID, req.Reason); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) claimCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.Claim(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusOK, c, c.Version)
}

type assignRequest struct {
	UserID cohort.ID `json:"user_id"`
}

func (s *Server) assignCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req assignRequest
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.Assign(r.Context(), id, req.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusOK, c, c.Version)
}
