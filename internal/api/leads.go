package api

import (
	"encoding/json"
	"net/http"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
)

type leadInput struct {
	Name     string          `json:"name" openapi:"required"`
	Company  string          `json:"company"`
	Title    string          `json:"title"`
	Phone    string          `json:"phone"`
	Email    string          `json:"email"`
	Province string          `json:"province"`
	City     string          `json:"city"`
	Industry string          `json:"industry"`
	Source   string          `json:"source"`
	Status   string          `json:"status"`
	Note     string          `json:"note"`
	Custom   json.RawMessage `json:"custom,omitempty"`
	// CreatedAt enters a record after the fact (default now); it needs the
	// backdate permission.
	CreatedAt *cohortTime `json:"created_at,omitempty"`
	// ExternalID is the lead's id in the system it was migrated from.
	ExternalID string `json:"external_id"`
}

func (s *Server) listLeads(w http.ResponseWriter, r *http.Request) {
	lq, err := listQuery(r, "status", "source", "owner_id", "external_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Leads have no views: one rule for every list, an unknown view is 400.
	if v := r.URL.Query().Get("view"); v != "" && v != "all" {
		s.writeError(w, r, cohort.Errorf(cohort.EBADREQUEST, "unknown view %q; leads have only all", v))
		return
	}
	items, next, err := s.svc.ListLeads(r.Context(), lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.Lead]{Items: nonNil(items), NextCursor: next, Total: lq.Total})
}

func (s *Server) createLead(w http.ResponseWriter, r *http.Request) {
	var in leadInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	l := &cohort.Lead{Name: in.Name, Company: in.Company, Title: in.Title, Phone: in.Phone, Email: in.Email, Province: in.Province,
		City: in.City, Industry: in.Industry, Source: in.Source, Status: in.Status, Note: in.Note, Custom: in.Custom, CreatedAt: in.CreatedAt.zeroOr(), ExternalID: in.ExternalID}
	if err := s.svc.CreateLead(r.Context(), l); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, l, l.Version)
}

func (s *Server) convertLead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req service.ConvertLead
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	l, err := s.svc.Convert(r.Context(), id, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusOK, l, l.Version)
}

func (s *Server) getLeadMapping(w http.ResponseWriter, r *http.Request) {
	m, err := s.svc.LeadMapping(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, m)
}

func (s *Server) setLeadMapping(w http.ResponseWriter, r *http.Request) {
	var m cohort.LeadMapping
	if err := decode(r, &m); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.SetLeadMapping(r.Context(), m); err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, m)
}

type followUpTypesBody struct {
	// Builtin are the types every tenant has; Types are the tenant's own.
	Builtin []string              `json:"builtin"`
	Types   []cohort.FollowUpType `json:"types"`
}

func (s *Server) getFollowUpTypes(w http.ResponseWriter, r *http.Request) {
	ts, err := s.svc.FollowUpTypes(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, followUpTypesBody{Builtin: cohort.FollowUpTypes, Types: ts})
}

func (s *Server) setFollowUpTypes(w http.ResponseWriter, r *http.Request) {
	var in followUpTypesBody
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	ts, err := s.svc.SetFollowUpTypes(r.Context(), in.Types)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, followUpTypesBody{Builtin: cohort.FollowUpTypes, Types: ts})
}
