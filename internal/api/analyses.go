package api

import (
	"context"
	"net/http"

	"github.com/cohortcrm/cohort/internal/service"
)

// analysisRoutes are the standard analyses (docs/API.md "Analyses"): each
// asks the metric engine in the caller's data scope.
func (s *Server) analysisRoutes() []Route {
	r := func(name, summary string, run func(context.Context, service.AnalysisParams) (*service.Analysis, error)) Route {
		return Route{Method: "POST", Path: "/api/v1/analyses/" + name, Summary: summary, Perm: "customer:view",
			Req: service.AnalysisParams{}, Resp: service.Analysis{}, Handler: s.analysis(run)}
	}
	return []Route{
		r("funnel", "Sales funnel of a process: entries, amount, conversion and days per stage, win rate, losses by reason and competitor", s.svc.Funnel),
		r("kpis", "Macro KPIs (conversion, first-order average value, follow-up cycle, follow-ups per signed customer) with changes and a 12-period trend", s.svc.KPIs),
		r("personnel", "Personnel summary: each person's signed amount, collections, calls, SMS, call minutes, new opportunity value and customers, in a business role", s.svc.Personnel),
		r("roles", "Role analysis: each person's figures in each business role", s.svc.Roles),
		r("leaderboard", "Top people by a metric, with their rank in the previous period", s.svc.Leaderboard),
		r("service", "After-sales service over time and by ticket kind: response, resolution, cost, complaints", s.svc.ServiceAnalysis),
		r("coaching", "Coaching signals: stage-conversion outliers (Wilson 95 % interval) and many actions with few results", s.svc.Coaching),
	}
}

func (s *Server) analysis(run func(context.Context, service.AnalysisParams) (*service.Analysis, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var p service.AnalysisParams
		if err := decode(r, &p); err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := run(r.Context(), p)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respond(w, http.StatusOK, res)
	}
}
