package api

import (
	"context"
	"net/http"

	"github.com/cohortcrm/cohort"
)

type priceListInput struct {
	Name      string                 `json:"name" openapi:"required"`
	Currency  string                 `json:"currency"`
	ValidFrom string                 `json:"valid_from"`
	ValidTo   string                 `json:"valid_to"`
	Items     []cohort.PriceListItem `json:"items"`
}

func (s *Server) listPriceLists(w http.ResponseWriter, r *http.Request) {
	lq, err := listQuery(r, "active", "currency")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.svc.ListPriceLists(r.Context(), lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.PriceList]{Items: nonNil(items), NextCursor: next, Total: lq.Total})
}

func (s *Server) createPriceList(w http.ResponseWriter, r *http.Request) {
	var in priceListInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	l := &cohort.PriceList{Name: in.Name, Currency: in.Currency, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo, Items: in.Items}
	if err := s.svc.CreatePriceList(r.Context(), l); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/price-lists/"+l.ID.String())
	respondVersioned(w, http.StatusCreated, l, l.Version)
}

// dealInput is the body that creates a quote, contract or order.
type dealInput struct {
	Number        string             `json:"number"`
	Name          string             `json:"name"`
	CustomerID    cohort.ID          `json:"customer_id" openapi:"required"`
	ContactID     cohort.ID          `json:"contact_id"`
	OpportunityID cohort.ID          `json:"opportunity_id"`
	QuoteID       cohort.ID          `json:"quote_id"`
	Currency      string             `json:"currency"`
	Discount      int64              `json:"discount"`
	ValidUntil    string             `json:"valid_until"`
	StartDate     string             `json:"start_date"`
	EndDate       string             `json:"end_date"`
	Note          string             `json:"note"`
	Lines         []cohort.DealLine  `json:"lines"`
	Team          []cohort.TeamInput `json:"team"`
	// CreatedAt enters a record after the fact (default now); it needs the
	// backdate permission.
	CreatedAt *cohortTime `json:"created_at,omitempty"`
	// ExternalID is the document's id in the system it was migrated from.
	ExternalID string `json:"external_id"`
}

func (s *Server) listDeals(kind cohort.ObjectType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lq, err := listQuery(r, "status", "customer_id", "opportunity_id", "owner_id", "external_id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		items, next, err := s.svc.ListDeals(r.Context(), kind, r.URL.Query().Get("view"), lq)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respond(w, http.StatusOK, cohort.Page[*cohort.Deal]{Items: nonNil(items), NextCursor: next, Total: lq.Total})
	}
}

func (s *Server) createDeal(kind cohort.ObjectType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in dealInput
		if err := decode(r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		d := &cohort.Deal{Kind: kind, Number: in.Number, Name: in.Name, CustomerID: in.CustomerID, ContactID: in.ContactID,
			OpportunityID: in.OpportunityID, QuoteID: in.QuoteID, Currency: in.Currency, Discount: in.Discount, ValidUntil: in.ValidUntil,
			StartDate: in.StartDate, EndDate: in.EndDate, Note: in.Note, Lines: in.Lines, CreatedAt: in.CreatedAt.zeroOr(), ExternalID: in.ExternalID}
		if err := s.svc.CreateDeal(r.Context(), d, in.Team); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("Location", "/api/v1/"+string(kind)+"s/"+d.ID.String())
		respondVersioned(w, http.StatusCreated, d, d.Version)
	}
}

type statusRequest struct {
	Status string `json:"status" openapi:"required" example:"signed"`
	// SignedAt dates a signing (contracts and orders); default now.
	SignedAt *cohortTime `json:"signed_at,omitempty"`
	// OccurredAt dates any other change of status; default now.
	OccurredAt *cohortTime `json:"occurred_at,omitempty"`
}

type voidRequest struct {
	// Reason says why the document is void.
	Reason string `json:"reason"`
	// VoidedAt dates the void (default now).
	VoidedAt *cohortTime `json:"voided_at,omitempty"`
}

func (s *Server) voidDeal(kind cohort.ObjectType) func(context.Context, cohort.ID, voidRequest, int) (*cohort.Deal, error) {
	return func(ctx context.Context, id cohort.ID, req voidRequest, ver int) (*cohort.Deal, error) {
		return s.svc.VoidDeal(ctx, kind, id, req.Reason, req.VoidedAt.at(), ver)
	}
}

func (s *Server) recordEvents(obj cohort.ObjectType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		evs, err := s.svc.Events(r.Context(), obj, id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respond(w, http.StatusOK, cohort.Page[cohort.RecordEvent]{Items: evs})
	}
}

// planList is a payment plan with the document's balance.
type planList struct {
	Items   []cohort.PaymentPlan `json:"items"`
	Balance *cohort.Balance      `json:"balance"`
}

type installmentInput struct {
	DueDate string `json:"due_date"`
	Amount  int64  `json:"amount"`
	Note    string `json:"note"`
}

func (s *Server) paymentPlans(kind cohort.ObjectType) http.HandlerFunc {
	return nested(s, func(ctx context.Context, id cohort.ID) (any, error) {
		plans, bal, err := s.svc.PaymentPlans(ctx, kind, id)
		return planList{Items: plans, Balance: bal}, err
	}, func(ctx context.Context, id cohort.ID, in installmentInput) (*cohort.PaymentPlan, error) {
		pl := &cohort.PaymentPlan{DueDate: in.DueDate, Amount: in.Amount, Note: in.Note}
		return pl, s.svc.AddInstallment(ctx, kind, id, pl)
	}, nil)
}
func (s *Server) deleteInstallment(kind cohort.ObjectType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		planID, err := pathID(r, "plan_id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := s.svc.DeleteInstallment(r.Context(), kind, id, planID); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

type paymentInput struct {
	PlanID       cohort.ID `json:"plan_id"`
	ReceivedDate string    `json:"received_date"`
	Amount       int64     `json:"amount"`
	Method       string    `json:"method"`
	Reference    string    `json:"reference"`
	Note         string    `json:"note"`
}

func (s *Server) payments(kind cohort.ObjectType) http.HandlerFunc {
	return nested(s, func(ctx context.Context, id cohort.ID) (any, error) {
		pays, err := s.svc.Payments(ctx, kind, id)
		return cohort.Page[cohort.Payment]{Items: pays}, err
	}, func(ctx context.Context, id cohort.ID, in paymentInput) (*cohort.Payment, error) {
		pay := &cohort.Payment{PlanID: in.PlanID, ReceivedDate: in.ReceivedDate, Amount: in.Amount, Method: in.Method, Reference: in.Reference, Note: in.Note}
		return pay, s.svc.RecordPayment(ctx, kind, id, pay)
	}, nil)
}

type reverseRequest struct {
	Reason string `json:"reason" openapi:"required" example:"paid twice"`
	// Date is the local date of the reversal (default today): a reversal
	// counts in the period of its own date.
	Date string `json:"date,omitempty"`
}

func (s *Server) reversePayment(kind cohort.ObjectType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		payID, err := pathID(r, "payment_id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var in reverseRequest
		if err := decode(r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		rev, err := s.svc.ReversePayment(r.Context(), kind, id, payID, in.Reason, in.Date)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respond(w, http.StatusCreated, rev)
	}
}

type invoiceInput struct {
	Number     string `json:"number"`
	Amount     int64  `json:"amount"`
	IssuedDate string `json:"issued_date"`
	Note       string `json:"note"`
}

func (s *Server) invoices(kind cohort.ObjectType) http.HandlerFunc {
	return nested(s, func(ctx context.Context, id cohort.ID) (any, error) {
		invs, err := s.svc.Invoices(ctx, kind, id)
		return cohort.Page[cohort.Invoice]{Items: invs}, err
	}, func(ctx context.Context, id cohort.ID, in invoiceInput) (*cohort.Invoice, error) {
		inv := &cohort.Invoice{Number: in.Number, Amount: in.Amount, IssuedDate: in.IssuedDate, Note: in.Note}
		return inv, s.svc.IssueInvoice(ctx, kind, id, inv)
	}, func(i *cohort.Invoice) int { return i.Version })
}
func (s *Server) voidInvoice(kind cohort.ObjectType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		invID, err := pathID(r, "invoice_id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		inv, err := s.svc.VoidInvoice(r.Context(), kind, id, invID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respondVersioned(w, http.StatusOK, inv, inv.Version)
	}
}
