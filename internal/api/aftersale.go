package api

import (
	"net/http"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
)

type projectInput struct {
	Number     string             `json:"number"`
	Name       string             `json:"name" openapi:"required"`
	CustomerID cohort.ID          `json:"customer_id"`
	DealID     cohort.ID          `json:"deal_id"`
	StartDate  string             `json:"start_date"`
	DueDate    string             `json:"due_date"`
	Note       string             `json:"note"`
	Team       []cohort.TeamInput `json:"team"`
	// CreatedAt enters a record after the fact (default now); it needs the
	// backdate permission.
	CreatedAt *cohortTime `json:"created_at,omitempty"`
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	lq, err := listQuery(r, "status", "customer_id", "deal_id", "owner_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.svc.ListProjects(r.Context(), r.URL.Query().Get("view"), lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.Project]{Items: nonNil(items), NextCursor: next, Total: lq.Total})
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	var in projectInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := &cohort.Project{Number: in.Number, Name: in.Name, CustomerID: in.CustomerID, DealID: in.DealID, StartDate: in.StartDate,
		DueDate: in.DueDate, Note: in.Note, CreatedAt: in.CreatedAt.zeroOr()}
	if err := s.svc.CreateProject(r.Context(), p, in.Team); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/projects/"+p.ID.String())
	respondVersioned(w, http.StatusCreated, p, p.Version)
}

type projectStatusRequest struct {
	Status string `json:"status" openapi:"required" example:"in_progress"`
	// OccurredAt dates the change (default now).
	OccurredAt *cohortTime `json:"occurred_at,omitempty"`
}

// milestoneDoneRequest is the optional body of marking a milestone done.
type milestoneDoneRequest struct {
	// DoneAt dates it (default now).
	DoneAt *cohortTime `json:"done_at,omitempty"`
}

type milestoneInput struct {
	Name    string `json:"name" openapi:"required"`
	DueDate string `json:"due_date"`
}

func (s *Server) addMilestone(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in milestoneInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.svc.AddMilestone(r.Context(), id, &cohort.ProjectMilestone{Name: in.Name, DueDate: in.DueDate})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, p, p.Version)
}

func (s *Server) milestoneDone(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	mid, err := pathID(r, "milestone_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req milestoneDoneRequest
	if r.ContentLength != 0 {
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	p, err := s.svc.MilestoneDone(r.Context(), id, mid, req.DoneAt.at())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusOK, p, p.Version)
}

type ticketInput struct {
	Number      string             `json:"number"`
	CustomerID  cohort.ID          `json:"customer_id"`
	ContactID   cohort.ID          `json:"contact_id"`
	DealID      cohort.ID          `json:"deal_id"`
	Kind        string             `json:"kind"`
	Priority    string             `json:"priority"`
	Subject     string             `json:"subject" openapi:"required"`
	Description string             `json:"description"`
	OpenedAt    *cohortTime        `json:"opened_at,omitempty"`
	OwnerID     cohort.ID          `json:"owner_id"`
	Team        []cohort.TeamInput `json:"team"`
	// ExternalID is the ticket's id in the system it was migrated from.
	ExternalID string `json:"external_id"`
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) {
	lq, err := listQuery(r, "status", "kind", "priority", "customer_id", "owner_id", "external_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.svc.ListTickets(r.Context(), r.URL.Query().Get("view"), lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.Ticket]{Items: nonNil(items), NextCursor: next, Total: lq.Total})
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request) {
	var in ticketInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	t := &cohort.Ticket{Number: in.Number, CustomerID: in.CustomerID, ContactID: in.ContactID, DealID: in.DealID, Kind: in.Kind,
		Priority: in.Priority, Subject: in.Subject, Description: in.Description, OwnerID: in.OwnerID,
		ExternalID: in.ExternalID}
	if in.OpenedAt != nil {
		t.OpenedAt = in.OpenedAt.Time
	}
	if err := s.svc.CreateTicket(r.Context(), t, in.Team); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/tickets/"+t.ID.String())
	respondVersioned(w, http.StatusCreated, t, t.Version)
}

// ticketAction serves the ticket action named action.
func (s *Server) ticketAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
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
		var in service.TicketInput
		if err := decode(r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		t, err := s.svc.TicketAction(r.Context(), id, action, in, ver)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respondVersioned(w, http.StatusOK, t, t.Version)
	}
}
