package api

import (
	"net/http"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
)

// scorecardRoutes are the routes of KPI scorecards (service/scorecards.go).
func (s *Server) scorecardRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/scorecard-templates", Summary: "The tenant's KPI scorecard templates", Perm: "customer:view", Resp: listOf[service.ScorecardTemplate]{}, Handler: listAll(s, s.svc.ScorecardTemplates)},
		{Method: "POST", Path: "/api/v1/scorecard-templates", Summary: "Create a scorecard template: weighted items (count, percentage, time progress, score) with targets and scoring curves, for departments or people, on a cycle", Perm: "tenant:administer", Idempotent: true, Req: scorecardTemplateInput{}, Resp: service.ScorecardTemplate{}, Status: 201, Handler: s.createScorecardTemplate},
		{Method: "GET", Path: "/api/v1/scorecard-templates/{id}", Summary: "One scorecard template", Perm: "customer:view", Resp: service.ScorecardTemplate{}, Handler: getByID(s, s.svc.FindScorecardTemplate, scorecardTemplateVersion)},
		{Method: "PATCH", Path: "/api/v1/scorecard-templates/{id}", Summary: "Change a scorecard template (If-Match: its version); items are replaced whole", Perm: "tenant:administer", Req: service.ScorecardTemplateUpdate{}, Resp: service.ScorecardTemplate{}, Handler: patchByID(s, s.svc.UpdateScorecardTemplate, scorecardTemplateVersion)},
		{Method: "DELETE", Path: "/api/v1/scorecard-templates/{id}", Summary: "Delete a scorecard template with its manual scores (not one with a frozen period)", Perm: "tenant:administer", Status: 204, Handler: s.deleteScorecardTemplate},
		{Method: "POST", Path: "/api/v1/scorecard-templates/{id}/freeze", Summary: "Freeze a period's scorecards: every card is stored and never recomputed (a period not ended yet only with force)", Perm: "tenant:administer", Req: service.ScorecardFreezeInput{}, Resp: service.ScorecardTeam{}, Handler: s.freezeScorecards},
		{Method: "POST", Path: "/api/v1/scorecard-templates/{id}/unfreeze", Summary: "Unfreeze a period's scorecards (audited): they are computed again", Perm: "tenant:administer", Req: service.ScorecardUnfreezeInput{}, Status: 204, Handler: s.unfreezeScorecards},
		{Method: "GET", Path: "/api/v1/scorecards", Summary: "A template's scorecards of a period for the people in my scope, ranked by total (?template=&period=2026-04&as_of=)", Perm: "customer:view", Resp: service.ScorecardTeam{}, Handler: s.listScorecards},
		{Method: "GET", Path: "/api/v1/scorecards/{id}", Summary: "One person's scorecard with its parts (?template=&period=&as_of=)", Perm: "customer:view", Resp: service.ScorecardDetail{}, Handler: s.personScorecard},
		{Method: "PUT", Path: "/api/v1/scorecards/{id}/scores", Summary: "Enter manual scores of a person's card, all or nothing (their manager or an administrator; 409 when frozen)", Perm: "customer:view", Req: service.ScorecardScoresInput{}, Resp: service.ScorecardDetail{}, Handler: s.setScorecardScores},
	}
}

func scorecardTemplateVersion(t *service.ScorecardTemplate) int { return t.Version }

type scorecardTemplateInput struct {
	Name        string                  `json:"name" openapi:"required" example:"销售月度考核"`
	Cycle       string                  `json:"cycle" openapi:"required" example:"month"`
	Departments []cohort.ID             `json:"departments" example:"[]"`
	People      []cohort.ID             `json:"people" example:"[\"7302115418349862912\"]"`
	Items       []service.ScorecardItem `json:"items" openapi:"required"`
}

func (s *Server) createScorecardTemplate(w http.ResponseWriter, r *http.Request) {
	var in scorecardTemplateInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	t := service.ScorecardTemplate{Name: in.Name, Cycle: in.Cycle, Departments: in.Departments, People: in.People, Items: in.Items}
	if err := s.svc.CreateScorecardTemplate(r.Context(), &t); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, t, t.Version)
}

func (s *Server) deleteScorecardTemplate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var ver int
	if err == nil {
		ver, err = ifMatch(r)
	}
	if err == nil {
		err = s.svc.DeleteScorecardTemplate(r.Context(), id, ver)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) freezeScorecards(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var in service.ScorecardFreezeInput
	if err == nil {
		err = decode(r, &in)
	}
	var team *service.ScorecardTeam
	if err == nil {
		team, err = s.svc.FreezeScorecards(r.Context(), id, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, team)
}

func (s *Server) unfreezeScorecards(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var in service.ScorecardUnfreezeInput
	if err == nil {
		err = decode(r, &in)
	}
	if err == nil {
		err = s.svc.UnfreezeScorecards(r.Context(), id, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// templateParam reads ?template=; anything but an id is 0, which the
// service refuses after it has checked what the path names.
func templateParam(r *http.Request) cohort.ID {
	id, _ := cohort.ParseID(r.URL.Query().Get("template"))
	return id
}

func (s *Server) listScorecards(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	team, err := s.svc.Scorecards(r.Context(), templateParam(r), q.Get("period"), q.Get("as_of"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, team)
}

func (s *Server) personScorecard(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var card *service.ScorecardDetail
	if err == nil {
		q := r.URL.Query()
		card, err = s.svc.PersonScorecard(r.Context(), id, templateParam(r), q.Get("period"), q.Get("as_of"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, card)
}

func (s *Server) setScorecardScores(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var in service.ScorecardScoresInput
	if err == nil {
		err = decode(r, &in)
	}
	var card *service.ScorecardDetail
	if err == nil {
		card, err = s.svc.SetScorecardScores(r.Context(), id, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, card)
}
