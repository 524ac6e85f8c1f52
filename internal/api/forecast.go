package api

import (
	"net/http"

	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/service"
)

// forecastRoutes are the forecast, win probability and segmentation
// analyses (docs/API.md, "Analyses").
func (s *Server) forecastRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/analyses/forecast", Summary: "Forecast of a period (?period=2026-Q4, default this quarter, or ?from=&to=) and department subtree (?department_id=): won, open by forecast category and weighted pipeline per department and person, with managers' adjustments beside the originals", Perm: "opportunity:view", Resp: service.Forecast{}, Handler: s.forecast},
		{Method: "POST", Path: "/api/v1/analyses/forecast/adjustments", Summary: "Adjust a forecast category figure of a department subtree or a person in a period (managers of the subject and administrators); the history is kept", Perm: "opportunity:view", Req: service.ForecastAdjustmentInput{}, Resp: service.ForecastAdjustment{}, Status: 201, Handler: s.adjustForecast},
		{Method: "GET", Path: "/api/v1/opportunities/{id}/win-probability", Summary: "An opportunity's estimated win probability and the factors behind it (naive Bayes over its department's won and lost opportunities)", Perm: "opportunity:view", Resp: metrics.WinProbability{}, Handler: s.winProbability},
		{Method: "GET", Path: "/api/v1/analyses/segmentation", Summary: "RFM value tiers of the customers with a signing in the 365 days up to ?as_of= (default today) and the ?top= (default 20) most valuable, in my data scope", Perm: "customer:view", Resp: metrics.Segmentation{}, Handler: s.segmentation},
	}
}

func (s *Server) segmentation(w http.ResponseWriter, r *http.Request) {
	res, err := s.svc.Segmentation(r.Context(), r.URL.Query().Get("as_of"), r.URL.Query().Get("top"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, res)
}

func (s *Server) winProbability(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var res *metrics.WinProbability
	if err == nil {
		res, err = s.svc.WinProbability(r.Context(), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, res)
}

func (s *Server) forecast(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	res, err := s.svc.ForecastAnalysis(r.Context(), service.ForecastQuery{Period: q.Get("period"), From: q.Get("from"), To: q.Get("to"), DepartmentID: q.Get("department_id")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, res)
}

func (s *Server) adjustForecast(w http.ResponseWriter, r *http.Request) {
	var in service.ForecastAdjustmentInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.svc.AdjustForecast(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusCreated, a)
}
