package api

import (
	"net/http"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/cockpits"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/sheet"
)

// cockpitRoutes are the routes of cockpits (internal/cockpits): who may see
// and change one is the service's business; a widget's figures come from
// POST /api/v1/metrics/query in the viewer's scope.
func (s *Server) cockpitRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/cockpits", Summary: "The cockpits I may view (mine, shared with me, my department's, the company's), preset periods resolved to today", Perm: "customer:view", Resp: listOf[cockpits.Cockpit]{}, Handler: listAll(s, s.svc.Cockpits)},
		{Method: "POST", Path: "/api/v1/cockpits", Summary: "Make a cockpit: personal, department (its managers) or company (administrators); every widget's query is checked by the metric engine", Perm: "customer:view", Idempotent: true, Req: cockpitInput{}, Resp: cockpits.Cockpit{}, Status: 201, Handler: s.createCockpit},
		{Method: "GET", Path: "/api/v1/cockpits/presets", Summary: "The built-in cockpits (sales management, funnel, personnel, forecast, service; my, department, product and customer goals) in my language", Perm: "customer:view", Resp: listOf[cockpits.Preset]{}, Handler: listAll(s, s.svc.CockpitPresets)},
		{Method: "POST", Path: "/api/v1/cockpits/presets/{key}/copy", Summary: "Copy a built-in cockpit into my personal cockpits", Perm: "customer:view", Req: copyPresetInput{}, Resp: cockpits.Cockpit{}, Status: 201, Handler: s.copyPreset},
		{Method: "POST", Path: "/api/v1/cockpits/goal-widget", Summary: "A goal widget's figures (goal_gauge, goal_ranking, goal_trend, goal_list): goal completion of a rule, subject (me, my_department, a subject key) and period (current, current_year, a period key), in my data scope", Perm: "customer:view", Req: service.GoalWidgetInput{}, Resp: service.GoalWidgetResult{}, Handler: s.goalWidget},
		{Method: "GET", Path: "/api/v1/cockpits/periods", Summary: "The period presets of widgets with today's dates [from, to) in the tenant's zone", Perm: "customer:view", Resp: listOf[cockpits.PeriodRange]{}, Handler: listAll(s, s.svc.CockpitPeriods)},
		{Method: "GET", Path: "/api/v1/cockpits/{id}", Summary: "A cockpit I may view, preset periods resolved to today", Perm: "customer:view", Resp: cockpits.Cockpit{}, Handler: getByID(s, s.svc.FindCockpit, cockpitVersion)},
		{Method: "PATCH", Path: "/api/v1/cockpits/{id}", Summary: "Change a cockpit I may edit: name, visibility, sharing, layout", Perm: "customer:view", Req: service.CockpitUpdate{}, Resp: cockpits.Cockpit{}, Handler: patchByID(s, s.svc.UpdateCockpit, cockpitVersion)},
		{Method: "DELETE", Path: "/api/v1/cockpits/{id}", Summary: "Delete a cockpit I may edit", Perm: "customer:view", Status: 204, Handler: s.deleteCockpit},
		{Method: "GET", Path: "/api/v1/cockpits/{id}/export.xlsx", Summary: "Every widget's figures in my data scope as an .xlsx workbook, a sheet per widget", Perm: "customer:view", Handler: s.exportCockpit},
	}
}

func cockpitVersion(c *cockpits.Cockpit) int { return c.Version }

type cockpitInput struct {
	Name         string            `json:"name" openapi:"required" example:"我的驾驶舱"`
	Visibility   string            `json:"visibility" example:"personal"`
	DepartmentID cohort.ID         `json:"department_id"`
	SharedWith   []cohort.ID       `json:"shared_with"`
	Layout       []cockpits.Widget `json:"layout"`
}

type copyPresetInput struct {
	// Name of the copy; the preset's name when "".
	Name string `json:"name" example:""`
}

func (s *Server) createCockpit(w http.ResponseWriter, r *http.Request) {
	var in cockpitInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Visibility == "" {
		in.Visibility = cockpits.Personal
	}
	c := &cockpits.Cockpit{Name: in.Name, Visibility: in.Visibility, DepartmentID: in.DepartmentID, SharedWith: in.SharedWith, Layout: in.Layout}
	if err := s.svc.CreateCockpit(r.Context(), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, c, c.Version)
}

func (s *Server) copyPreset(w http.ResponseWriter, r *http.Request) {
	var in copyPresetInput
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	c, err := s.svc.CopyPreset(r.Context(), r.PathValue("key"), in.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, c, c.Version)
}

func (s *Server) deleteCockpit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var ver int
	if err == nil {
		ver, err = ifMatch(r)
	}
	if err == nil {
		err = s.svc.DeleteCockpit(r.Context(), id, ver)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) exportCockpit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var buf buffered
	if err := s.svc.ExportCockpit(r.Context(), id, &buf); err != nil {
		s.writeError(w, r, err)
		return
	}
	download(w, "cockpit-"+id.String()+".xlsx", sheet.XLSX)
	_, _ = w.Write(buf.b)
}

func (s *Server) goalWidget(w http.ResponseWriter, r *http.Request) {
	var in service.GoalWidgetInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.svc.GoalWidget(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, res)
}
