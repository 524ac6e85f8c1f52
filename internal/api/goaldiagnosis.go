package api

import (
	"net/http"

	"github.com/cohortcrm/cohort/internal/service"
)

// goalDiagnosisRoutes are the routes of the gap diagnosis
// (service/goaldiagnosis.go).
func (s *Server) goalDiagnosisRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/goal-rules/{id}/diagnosis", Summary: "Gap diagnosis (?period=FY2026-Q2&subject=person:1&against=previous|peers&as_of=): the gap split into opportunities, win rate, order value and cycle against the previous period or the peers' median, the top factor and an action", Perm: "customer:view", Resp: service.GoalDiagnosis{}, Handler: s.goalDiagnosis},
	}
}

func (s *Server) goalDiagnosis(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	q := r.URL.Query()
	var res *service.GoalDiagnosis
	if err == nil {
		res, err = s.svc.GoalDiagnosis(r.Context(), id, service.GoalDiagnosisQuery{Period: q.Get("period"), AsOf: q.Get("as_of"), Subject: q.Get("subject"), Against: q.Get("against")})
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, res)
}
