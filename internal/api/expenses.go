package api

import (
	"net/http"

	"github.com/cohortcrm/cohort"
)

// expenseInput is a new expense.
type expenseInput struct {
	// UserID is who incurred it (default: the caller).
	UserID        cohort.ID `json:"user_id"`
	CustomerID    cohort.ID `json:"customer_id"`
	OpportunityID cohort.ID `json:"opportunity_id"`
	Type          string    `json:"type" openapi:"required" example:"travel"`
	// Amount is positive, in minor units (fen).
	Amount     int64  `json:"amount" openapi:"required" example:"38000"`
	Currency   string `json:"currency" example:"CNY"`
	IncurredOn string `json:"incurred_on" openapi:"required" example:"2026-03-02"`
	Note       string `json:"note"`
}

func expenseVersion(e *cohort.Expense) int { return e.Version }

func (s *Server) listExpenses(w http.ResponseWriter, r *http.Request) {
	lq, err := listQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.svc.ListExpenses(r.Context(), lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.Expense]{Items: nonNil(items), NextCursor: next, Total: lq.Total})
}

func (s *Server) createExpense(w http.ResponseWriter, r *http.Request) {
	var in expenseInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	e := &cohort.Expense{UserID: in.UserID, CustomerID: in.CustomerID, OpportunityID: in.OpportunityID, Type: in.Type, Amount: in.Amount,
		Currency: in.Currency, IncurredOn: in.IncurredOn, Note: in.Note}
	if err := s.svc.CreateExpense(r.Context(), e); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/expenses/"+e.ID.String())
	respondVersioned(w, http.StatusCreated, e, e.Version)
}

func (s *Server) deleteExpense(w http.ResponseWriter, r *http.Request) {
	s.deleteByID(w, r, s.svc.DeleteExpense)
}
