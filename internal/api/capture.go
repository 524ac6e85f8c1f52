package api

import (
	"net/http"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
)

type captureBatch struct {
	Items []service.CaptureInput `json:"items"`
}

type captureResults struct {
	Results []service.CaptureResult `json:"results"`
}

func (s *Server) captureBatch(w http.ResponseWriter, r *http.Request) {
	var req captureBatch
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.svc.Capture(r.Context(), req.Items)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, captureResults{Results: res})
}

func (s *Server) captureInbox(w http.ResponseWriter, r *http.Request) {
	items, err := s.svc.CaptureInbox(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.CommItem]{Items: items})
}

type linkRequest struct {
	CustomerID cohort.ID `json:"customer_id"`
	ContactID  cohort.ID `json:"contact_id"`
}

func (s *Server) linkCaptured(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req linkRequest
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.LinkCaptured(r.Context(), id, req.CustomerID, req.ContactID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, c)
}

func (s *Server) dismissCaptured(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.svc.DismissCaptured(r.Context(), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
