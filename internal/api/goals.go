package api

import (
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/sheet"
)

// goalRoutes are the routes of goal management (service/goals.go).
func (s *Server) goalRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/goal-rules", Summary: "The tenant's goal rules", Perm: "customer:view", Resp: listOf[service.GoalRule]{}, Handler: s.listGoalRules},
		{Method: "POST", Path: "/api/v1/goal-rules", Summary: "Create a goal rule: a metric, the business role earning credit, the subject type, the cycle, departments and filters", Perm: "tenant:administer", Idempotent: true, Req: goalRuleInput{}, Resp: service.GoalRule{}, Status: 201, Handler: s.createGoalRule},
		{Method: "GET", Path: "/api/v1/goal-rules/{id}", Summary: "One goal rule", Perm: "customer:view", Resp: service.GoalRule{}, Handler: getByID(s, s.svc.FindGoalRule, goalRuleVersion)},
		{Method: "PATCH", Path: "/api/v1/goal-rules/{id}", Summary: "Change a goal rule (If-Match: its version)", Perm: "tenant:administer", Req: service.GoalRuleUpdate{}, Resp: service.GoalRule{}, Handler: patchByID(s, s.svc.UpdateGoalRule, goalRuleVersion)},
		{Method: "DELETE", Path: "/api/v1/goal-rules/{id}", Summary: "Delete a goal rule with its values (not one with a frozen period)", Perm: "tenant:administer", Status: 204, Handler: s.deleteGoalRule},
		{Method: "GET", Path: "/api/v1/goal-rules/{id}/grid", Summary: "A rule's goal values for a fiscal year (?year=2026): subjects down, periods across, roll-ups and alignment warnings", Perm: "customer:view", Resp: service.GoalGrid{}, Handler: s.goalGrid},
		{Method: "PUT", Path: "/api/v1/goal-rules/{id}/values", Summary: "Set goal values, all or nothing (a null value clears a cell); locked periods refuse with 409; a department's manager sets those of the departments they manage and their people (others: 403)", Perm: "tenant:administer, or customer:view and managing the subjects' departments", Req: goalCellsDoc{}, Resp: goalChanged{}, Handler: s.setGoalValues},
		{Method: "POST", Path: "/api/v1/goal-rules/{id}/split", Summary: "Split a cell's target along periods or subjects (even, weights, last_year); dry_run previews; a department's manager splits inside the departments they manage", Perm: "tenant:administer, or customer:view and managing the subjects' departments (a dry_run customer:view)", Req: service.GoalSplitInput{}, Resp: service.GoalSplitResult{}, Handler: s.splitGoal},
		{Method: "GET", Path: "/api/v1/goal-rules/{id}/changes", Summary: "The change log of a rule's values, newest first (?subject=&period=)", Perm: "customer:view", Resp: listOf[service.GoalChange]{}, Handler: s.goalChanges},
		{Method: "POST", Path: "/api/v1/goal-rules/{id}/locks", Summary: "Lock a period (and the periods inside it); freeze also keeps its actuals", Perm: "tenant:administer", Req: service.GoalLockInput{}, Status: 204, Handler: s.lockGoalPeriod},
		{Method: "DELETE", Path: "/api/v1/goal-rules/{id}/locks/{period}", Summary: "Unlock a period", Perm: "tenant:administer", Status: 204, Handler: s.unlockGoalPeriod},
		{Method: "GET", Path: "/api/v1/goal-rules/{id}/completion", Summary: "Completion through the metric engine (?period=2026-04&as_of=2026-04-15&subject=person:1&trend=6): actual, target, rate, time progress, gap, band, rank, trend", Perm: "customer:view", Resp: service.GoalCompletion{}, Handler: s.goalCompletion},
		{Method: "GET", Path: "/api/v1/goal-rules/{id}/sheet", Summary: "Export a rule's grid as a goal sheet (?year=2026&format=xlsx|csv)", Perm: "customer:view", Handler: s.exportGoalSheet},
		{Method: "POST", Path: "/api/v1/goal-rules/{id}/sheet", Summary: "Import a goal sheet in the grid's layout (multipart: file), all or nothing; a department's manager changes only the rows of the departments they manage and their people", Perm: "tenant:administer, or customer:view and managing the subjects' departments", MaxBody: s.opt.MaxUploadBytes, Resp: service.GoalSheetResult{}, Handler: s.importGoalSheet},
	}
}

func goalRuleVersion(r *service.GoalRule) int { return r.Version }

type goalRuleInput struct {
	Name        string           `json:"name" openapi:"required" example:"签约金额（销售）"`
	Metric      string           `json:"metric" openapi:"required" example:"signed_amount"`
	Role        string           `json:"role" example:"owner"`
	SubjectType string           `json:"subject_type" openapi:"required" example:"department"`
	Cycle       string           `json:"cycle" openapi:"required" example:"month"`
	Departments []cohort.ID      `json:"departments" example:"[]"`
	Filters     []metrics.Filter `json:"filters" example:"[]"`
}

// goalCellsDoc documents the body of PUT values.
type goalCellsDoc struct {
	Cells []struct {
		Subject string   `json:"subject" example:"person:1234"`
		Period  string   `json:"period" example:"2026-04"`
		Value   *float64 `json:"value" example:"1200000"`
	} `json:"cells" openapi:"required"`
}

type goalChanged struct {
	Changed int `json:"changed"`
}

func (s *Server) listGoalRules(w http.ResponseWriter, r *http.Request) {
	items, err := s.svc.GoalRules(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[service.GoalRule]{Items: items})
}

func (s *Server) createGoalRule(w http.ResponseWriter, r *http.Request) {
	var in goalRuleInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	g := service.GoalRule{Name: in.Name, Metric: in.Metric, Role: in.Role, SubjectType: in.SubjectType, Cycle: in.Cycle, Departments: in.Departments, Filters: in.Filters}
	if err := s.svc.CreateGoalRule(r.Context(), &g); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, g, g.Version)
}

func (s *Server) deleteGoalRule(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.svc.DeleteGoalRule(r.Context(), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// yearParam reads ?year=, an integer fiscal year; anything else is 0,
// which the service refuses after it has found the rule (another tenant's
// rule is a 404 whatever the parameters).
func yearParam(r *http.Request) (int, error) {
	y, _ := strconv.Atoi(r.URL.Query().Get("year"))
	return y, nil
}

func (s *Server) goalGrid(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var y int
	if err == nil {
		y, err = yearParam(r)
	}
	var g *service.GoalGrid
	if err == nil {
		g, err = s.svc.GoalGrid(r.Context(), id, y)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, g)
}

func (s *Server) setGoalValues(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var in service.GoalCellsInput
	if err == nil {
		err = decode(r, &in)
	}
	var n int
	if err == nil {
		n, err = s.svc.SetGoalValues(r.Context(), id, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, goalChanged{Changed: n})
}

func (s *Server) splitGoal(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var in service.GoalSplitInput
	if err == nil {
		err = decode(r, &in)
	}
	var res *service.GoalSplitResult
	if err == nil {
		res, err = s.svc.SplitGoal(r.Context(), id, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, res)
}

func (s *Server) goalChanges(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var items []service.GoalChange
	if err == nil {
		items, err = s.svc.GoalChanges(r.Context(), id, r.URL.Query().Get("subject"), r.URL.Query().Get("period"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[service.GoalChange]{Items: items})
}

func (s *Server) lockGoalPeriod(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var in service.GoalLockInput
	if err == nil {
		err = decode(r, &in)
	}
	if err == nil {
		err = s.svc.LockGoalPeriod(r.Context(), id, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) unlockGoalPeriod(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.svc.UnlockGoalPeriod(r.Context(), id, r.PathValue("period"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) goalCompletion(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	q := r.URL.Query()
	cq := service.GoalCompletionQuery{Period: q.Get("period"), AsOf: q.Get("as_of"), Subjects: q["subject"]}
	if t := q.Get("trend"); t != "" {
		var terr error
		if cq.Trend, terr = strconv.Atoi(t); terr != nil {
			cq.Trend = -1 // refused after the rule is found
		}
	}
	var res *service.GoalCompletion
	if err == nil {
		res, err = s.svc.GoalCompletion(r.Context(), id, cq)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondGoalCompletion(w, res)
}

func (s *Server) exportGoalSheet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var y int
	if err == nil {
		y, err = yearParam(r)
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = sheet.XLSX
	}
	if err == nil {
		// Check the rule (and the caller) before any byte is sent.
		_, err = s.svc.GoalGrid(r.Context(), id, y)
	}
	if err == nil && format != sheet.XLSX && format != sheet.CSV {
		err = &cohort.Error{Code: cohort.EINVALID, Message: "format: must be xlsx or csv", Fields: []cohort.FieldError{{Field: "format", Message: "must be xlsx or csv"}}}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	download(w, "goals-"+id.String()+"-FY"+strconv.Itoa(y)+"."+format, format)
	if err := s.svc.ExportGoalSheet(r.Context(), id, y, format, w); err != nil {
		s.log.Error("goal sheet export", "err", err)
	}
}

func (s *Server) importGoalSheet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.svc.FindGoalRule(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	part, body, err := filePart(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := sheet.FormatOf(part.FileName())
	if format == "" {
		s.writeError(w, r, &cohort.Error{Code: cohort.EINVALID, Message: "file: must be an .xlsx or .csv goal sheet", Fields: []cohort.FieldError{{Field: "file", Message: "must be .xlsx or .csv"}}})
		return
	}
	f, err := os.CreateTemp("", "goalsheet-*."+format)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer os.Remove(f.Name())
	_, err = io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.svc.ImportGoalSheet(r.Context(), id, f.Name(), format)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, res)
}
