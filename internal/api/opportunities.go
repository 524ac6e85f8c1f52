package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
)

type processInput struct {
	Key    string         `json:"key"`
	NameZh string         `json:"name_zh" openapi:"required"`
	NameEn string         `json:"name_en" openapi:"required"`
	Stages []cohort.Stage `json:"stages"`
	Active *bool          `json:"active"`
}

func (in processInput) process(id cohort.ID) *cohort.SalesProcess {
	active := in.Active == nil || *in.Active
	return &cohort.SalesProcess{ID: id, Key: in.Key, NameZh: in.NameZh, NameEn: in.NameEn, Stages: in.Stages, Active: active}
}

func (s *Server) listProcesses(w http.ResponseWriter, r *http.Request) {
	ps, err := s.svc.ListProcesses(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.SalesProcess]{Items: ps})
}

func (s *Server) saveProcess(w http.ResponseWriter, r *http.Request) {
	var id cohort.ID
	var err error
	status := http.StatusCreated
	if r.PathValue("id") != "" {
		if id, err = pathID(r, "id"); err != nil {
			s.writeError(w, r, err)
			return
		}
		status = http.StatusOK
	}
	ver, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in processInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	sp := in.process(id)
	if err := s.svc.SaveProcess(r.Context(), sp, ver); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, status, sp, sp.Version)
}

type productInput struct {
	Code       string    `json:"code"`
	Name       string    `json:"name" openapi:"required"`
	CategoryID cohort.ID `json:"category_id"`
	Unit       string    `json:"unit"`
	Price      int64     `json:"price"`
	Currency   string    `json:"currency"`
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	lq, err := listQuery(r, "category_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.svc.ListProducts(r.Context(), lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.Product]{Items: nonNil(items), NextCursor: next, Total: lq.Total})
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request) {
	var in productInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := &cohort.Product{Code: in.Code, Name: in.Name, CategoryID: in.CategoryID, Unit: in.Unit, Price: in.Price, Currency: in.Currency}
	if err := s.svc.CreateProduct(r.Context(), p); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, p, p.Version)
}

type opportunityInput struct {
	CustomerID        cohort.ID          `json:"customer_id" openapi:"required"`
	ContactID         cohort.ID          `json:"contact_id"`
	ProcessID         cohort.ID          `json:"process_id"`
	Name              string             `json:"name"`
	Amount            int64              `json:"amount"`
	Currency          string             `json:"currency"`
	ExpectedCloseDate string             `json:"expected_close_date"`
	ForecastCategory  string             `json:"forecast_category"`
	Competitor        string             `json:"competitor"`
	Source            string             `json:"source"`
	Lines             []cohort.OppLine   `json:"lines"`
	Custom            json.RawMessage    `json:"custom,omitempty"`
	Team              []cohort.TeamInput `json:"team"`
	// CreatedAt enters a record after the fact (default now); it needs the
	// backdate permission.
	CreatedAt *cohortTime `json:"created_at,omitempty"`
	// ExternalID is the opportunity's id in the system it was migrated from.
	ExternalID string `json:"external_id"`
}

func (s *Server) listOpportunities(w http.ResponseWriter, r *http.Request) {
	lq, err := listQuery(r, "status", "stage", "process_id", "customer_id", "owner_id", "forecast_category", "external_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.svc.ListOpportunities(r.Context(), r.URL.Query().Get("view"), lq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.Opportunity]{Items: nonNil(items), NextCursor: next, Total: lq.Total})
}

// stageTotals answers the board's column totals (?process_id=&view=&owner_id=&customer_id=).
func (s *Server) stageTotals(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := service.StageTotalsFilter{View: q.Get("view")}
	for _, p := range []struct {
		name string
		to   *cohort.ID
	}{{"process_id", &f.ProcessID}, {"owner_id", &f.OwnerID}, {"customer_id", &f.CustomerID}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		id, err := cohort.ParseID(v)
		if err != nil {
			s.writeError(w, r, cohort.Errorf(cohort.EBADREQUEST, "%s: not an id: %q", p.name, v))
			return
		}
		*p.to = id
	}
	out, err := s.svc.OpportunityStageTotals(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, out)
}

func (s *Server) createOpportunity(w http.ResponseWriter, r *http.Request) {
	var in opportunityInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	o := &cohort.Opportunity{CustomerID: in.CustomerID, ContactID: in.ContactID, ProcessID: in.ProcessID, Name: in.Name, Amount: in.Amount,
		Currency: in.Currency, ExpectedCloseDate: in.ExpectedCloseDate, ForecastCategory: in.ForecastCategory, Competitor: in.Competitor,
		Source: in.Source, Lines: in.Lines, Custom: in.Custom, CreatedAt: in.CreatedAt.zeroOr(), ExternalID: in.ExternalID}
	if err := s.svc.CreateOpportunity(r.Context(), o, in.Team); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/opportunities/"+o.ID.String())
	respondVersioned(w, http.StatusCreated, o, o.Version)
}

type stageRequest struct {
	Stage string `json:"stage" openapi:"required" example:"qualify"`
	// EnteredAt dates the stage entry (default now).
	EnteredAt *cohortTime `json:"entered_at,omitempty"`
}

type closeRequest struct {
	// Outcome is won, lost or invalid.
	Outcome    string `json:"outcome" openapi:"required" example:"won"`
	LossReason string `json:"loss_reason"`
	Competitor string `json:"competitor"`
	// ClosedAt dates the outcome (default now).
	ClosedAt *cohortTime `json:"closed_at,omitempty"`
}

func (s *Server) opportunityStages(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := s.svc.StageHistory(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[cohort.StageEntry]{Items: h})
}

// recordTeam serves GET and PUT of a record's team for the record type obj.
func (s *Server) recordTeam(obj cohort.ObjectType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var team []cohort.TeamMember
		switch {
		case r.Method == http.MethodPut:
			var req teamRequest
			if err := decode(r, &req); err != nil {
				s.writeError(w, r, err)
				return
			}
			team, err = s.svc.SetTeam(r.Context(), obj, id, req.Members, req.EffectiveAt.at())
		case r.URL.Query().Get("history") == "true":
			team, err = s.svc.TeamHistory(r.Context(), obj, id)
		case r.URL.Query().Get("at") != "":
			at, perr := time.Parse(time.RFC3339, r.URL.Query().Get("at"))
			if perr != nil {
				s.writeError(w, r, cohort.Errorf(cohort.EBADREQUEST, "at: must be an RFC 3339 time such as 2026-11-25T08:30:00Z"))
				return
			}
			team, err = s.svc.TeamAt(r.Context(), obj, id, at.UTC())
		default:
			team, err = s.svc.Team(r.Context(), obj, id)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respond(w, http.StatusOK, cohort.Page[cohort.TeamMember]{Items: team})
	}
}

type categoryInput struct {
	Name     string    `json:"name" openapi:"required"`
	ParentID cohort.ID `json:"parent_id"`
}

func (s *Server) listProductCategories(w http.ResponseWriter, r *http.Request) {
	cs, err := s.svc.ProductCategories(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[store.ProductCategory]{Items: cs})
}

func (s *Server) createProductCategory(w http.ResponseWriter, r *http.Request) {
	var in categoryInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c := &store.ProductCategory{Name: in.Name, ParentID: in.ParentID}
	if err := s.svc.CreateProductCategory(r.Context(), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusCreated, c)
}
