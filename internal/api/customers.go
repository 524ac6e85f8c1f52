package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
)

// customerInput is what a client may send to create a customer; the server
// owns ids, status, dates and versions.
type customerInput struct {
	Name             string             `json:"name" openapi:"required" example:"Hangzhou Lianxin Technology"`
	CreditCode       string             `json:"credit_code"`
	Industry         string             `json:"industry"`
	Province         string             `json:"province"`
	City             string             `json:"city"`
	Source           string             `json:"source"`
	Grade            string             `json:"grade"`
	Segment          string             `json:"segment"`
	ValueQuality     string             `json:"value_quality"`
	DealSize         string             `json:"deal_size"`
	ExpectedSignDate string             `json:"expected_sign_date"`
	ExpectedAmount   int64              `json:"expected_amount"`
	Currency         string             `json:"currency"`
	Milestones       []cohort.Milestone `json:"milestones"`
	OwnerID          cohort.ID          `json:"owner_id"`
	Custom           json.RawMessage    `json:"custom,omitempty"`
	Team             []cohort.TeamInput `json:"team"`
	// CreatedAt enters a record after the fact (default now); it needs the
	// backdate permission.
	CreatedAt *cohortTime `json:"created_at,omitempty"`
	// ExternalID is the customer's id in the system it was migrated from.
	ExternalID string `json:"external_id"`
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) {
	lq, err := listQuery(r, "status", "owner_id", "grade", "province", "industry", "external_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.svc.ListCustomers(r.Context(), r.URL.Query().Get("view"), lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.Customer]{Items: nonNil(items), NextCursor: next, Total: lq.Total})
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) {
	var in customerInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c := &cohort.Customer{Name: in.Name, CreditCode: in.CreditCode, Industry: in.Industry, Province: in.Province, City: in.City,
		Source: in.Source, Grade: in.Grade, Segment: in.Segment, ValueQuality: in.ValueQuality, DealSize: in.DealSize,
		ExpectedSignDate: in.ExpectedSignDate, ExpectedAmount: in.ExpectedAmount, Currency: in.Currency, Milestones: in.Milestones, OwnerID: in.OwnerID, Custom: in.Custom, CreatedAt: in.CreatedAt.zeroOr(), ExternalID: in.ExternalID}
	if err := s.svc.CreateCustomer(r.Context(), c, in.Team); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/customers/"+c.ID.String())
	respondVersioned(w, http.StatusCreated, c, c.Version)
}

type transferRequest struct {
	NewOwnerID cohort.ID `json:"new_owner_id" openapi:"required"`
	// KeepOldAs keeps the old owner on the team in this business role.
	KeepOldAs string `json:"keep_old_as"`
	// Carry hands the old owner's open opportunities on the customer along.
	Carry bool `json:"carry"`
}

func (s *Server) transferCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req transferRequest
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.Transfer(r.Context(), id, req.NewOwnerID, req.KeepOldAs, req.Carry)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusOK, c, c.Version)
}

type teamRequest struct {
	Members []cohort.TeamInput `json:"members"`
	// EffectiveAt dates the change (default now): credit of events before it
	// stays with the team of their time.
	EffectiveAt *cohortTime `json:"effective_at,omitempty"`
}

// timeline serves GET .../{id}/timeline of a record of type obj.
func (s *Server) timeline(obj cohort.ObjectType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		items, err := s.svc.Timeline(r.Context(), obj, id, limit)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respond(w, http.StatusOK, cohort.Page[service.TimelineItem]{Items: items})
	}
}

func (s *Server) customerContacts(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cs, err := s.svc.Contacts(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.Contact]{Items: cs})
}

type contactInput struct {
	Name      string          `json:"name" openapi:"required"`
	Title     string          `json:"title"`
	Phone     string          `json:"phone"`
	Email     string          `json:"email"`
	WeChat    string          `json:"wechat"`
	IsPrimary bool            `json:"is_primary"`
	Custom    json.RawMessage `json:"custom,omitempty"`
	// CreatedAt enters a record after the fact (default now); it needs the
	// backdate permission.
	CreatedAt *cohortTime `json:"created_at,omitempty"`
	// ExternalID is the contact's id in the system it was migrated from.
	ExternalID string `json:"external_id"`
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in contactInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c := &cohort.Contact{CustomerID: id, Name: in.Name, Title: in.Title, Phone: in.Phone, Email: in.Email, WeChat: in.WeChat, IsPrimary: in.IsPrimary, Custom: in.Custom, CreatedAt: in.CreatedAt.zeroOr(), ExternalID: in.ExternalID}
	if err := s.svc.CreateContact(r.Context(), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, c, c.Version)
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request) {
	s.deleteByID(w, r, s.svc.DeleteContact)
}

type followUpInput struct {
	CustomerID cohort.ID               `json:"customer_id" openapi:"required"`
	ContactID  cohort.ID               `json:"contact_id"`
	RecordType cohort.ObjectType       `json:"record_type"`
	RecordID   cohort.ID               `json:"record_id"`
	Type       string                  `json:"type"`
	Direction  string                  `json:"direction"`
	OccurredAt *cohortTime             `json:"occurred_at"`
	DurationS  int                     `json:"duration_s"`
	Content    string                  `json:"content"`
	NextAction *cohort.NextActionInput `json:"next_action"`
	// ExternalID is the follow-up's id in the system it was migrated from.
	ExternalID string `json:"external_id"`
}

type followUpResult struct {
	FollowUp   *cohort.FollowUp   `json:"followup"`
	NextAction *cohort.NextAction `json:"next_action"`
}

func (s *Server) logFollowUp(w http.ResponseWriter, r *http.Request) {
	var in followUpInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	f := &cohort.FollowUp{CustomerID: in.CustomerID, ContactID: in.ContactID, RecordType: in.RecordType, RecordID: in.RecordID, Type: in.Type, Direction: in.Direction,
		DurationS: in.DurationS, Content: in.Content, ExternalID: in.ExternalID}
	if in.OccurredAt != nil {
		f.OccurredAt = in.OccurredAt.Time
	}
	next, err := s.svc.LogFollowUp(r.Context(), f, in.NextAction)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusCreated, followUpResult{FollowUp: f, NextAction: next})
}

func (s *Server) listFollowUps(w http.ResponseWriter, r *http.Request) {
	lq, err := listQuery(r, "customer_id", "author_id", "type", "external_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.svc.ListFollowUps(r.Context(), lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.FollowUp]{Items: nonNil(items), NextCursor: next, Total: lq.Total})
}

func (s *Server) workbench(w http.ResponseWriter, r *http.Request) {
	wb, err := s.svc.Workbench(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, wb)
}

func (s *Server) customerDuplicates(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds, err := s.svc.Duplicates(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[service.Duplicate]{Items: ds})
}

// customerFigures serves a customer's figures from the metric engine.
func (s *Server) customerFigures(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.svc.CustomerFigures(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, f)
}

type mergeRequest struct {
	DuplicateID cohort.ID `json:"duplicate_id"`
	// KeepOwnerAs keeps the duplicate's owner on the survivor's team in this
	// (overlay) business role.
	KeepOwnerAs string `json:"keep_owner_as"`
}

func (s *Server) mergeCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req mergeRequest
	if err := decode(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.svc.Merge(r.Context(), id, req.DuplicateID, req.KeepOwnerAs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, res)
}
