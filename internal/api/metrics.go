package api

import (
	"net/http"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/service"
)

// metricRoutes are the metric engine's routes (internal/metrics).
func (s *Server) metricRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/metrics", Summary: "The metric catalogue: built-in metrics and the tenant's own, in my language", Perm: "customer:view", Resp: listOf[metrics.CatalogEntry]{}, Handler: s.metricCatalog},
		{Method: "POST", Path: "/api/v1/metrics/query", Summary: "Compute metrics by dimensions over a period [from, to) with filters and comparisons, in my data scope", Perm: "customer:view", Req: metrics.Query{}, Resp: metrics.Result{}, Handler: s.queryMetrics},
		{Method: "POST", Path: "/api/v1/metrics/drill", Summary: "The facts behind one cell of a metric query, in my data scope", Perm: "customer:view", Req: metrics.DrillQuery{}, Resp: metrics.Drill{}, Handler: s.drillMetric},
		{Method: "GET", Path: "/api/v1/metrics/custom", Summary: "The tenant's own metrics", Perm: "customer:view", Resp: listOf[metrics.Custom]{}, Handler: s.listTenantMetrics},
		{Method: "POST", Path: "/api/v1/metrics/custom", Summary: "Define a metric: an aggregate over fact kinds with a role and filters, or a formula over other metrics", Perm: "tenant:administer", Idempotent: true, Req: metricInput{}, Resp: metrics.Custom{}, Status: 201, Handler: s.createTenantMetric},
		{Method: "GET", Path: "/api/v1/metrics/custom/{id}", Summary: "One of the tenant's metrics", Perm: "customer:view", Resp: metrics.Custom{}, Handler: getByID(s, s.svc.FindTenantMetric, metricVersion)},
		{Method: "PATCH", Path: "/api/v1/metrics/custom/{id}", Summary: "Change a tenant metric's labels, unit or definition (its name stays)", Perm: "tenant:administer", Req: service.MetricUpdate{}, Resp: metrics.Custom{}, Handler: patchByID(s, s.svc.UpdateTenantMetric, metricVersion)},
		{Method: "DELETE", Path: "/api/v1/metrics/custom/{id}", Summary: "Delete a tenant metric no other formula names", Perm: "tenant:administer", Status: 204, Handler: s.deleteTenantMetric},
	}
}

func metricVersion(m *metrics.Custom) int { return m.Version }

type metricInput struct {
	Name       string       `json:"name" openapi:"required" example:"presales_rate"`
	LabelZh    string       `json:"label_zh" openapi:"required" example:"售前参与率"`
	LabelEn    string       `json:"label_en" openapi:"required" example:"Presales participation"`
	Unit       string       `json:"unit" openapi:"required" example:"ratio"`
	Definition string       `json:"definition" example:"contracts and orders with a presales member ÷ all signed"`
	Aggregate  *metrics.Agg `json:"aggregate" example:"null"`
	Formula    string       `json:"formula" example:"won_opportunities / closed_opportunities"`
}

func (s *Server) metricCatalog(w http.ResponseWriter, r *http.Request) {
	items, err := s.svc.MetricCatalog(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[metrics.CatalogEntry]{Items: items})
}

func (s *Server) queryMetrics(w http.ResponseWriter, r *http.Request) {
	var q metrics.Query
	if err := decode(r, &q); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.svc.QueryMetrics(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, res)
}

func (s *Server) drillMetric(w http.ResponseWriter, r *http.Request) {
	var d metrics.DrillQuery
	if err := decode(r, &d); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.svc.DrillMetric(r.Context(), d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, res)
}

func (s *Server) listTenantMetrics(w http.ResponseWriter, r *http.Request) {
	items, err := s.svc.TenantMetrics(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[metrics.Custom]{Items: items})
}

func (s *Server) createTenantMetric(w http.ResponseWriter, r *http.Request) {
	var in metricInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c := &metrics.Custom{Metric: metrics.Metric{Name: in.Name, LabelZh: in.LabelZh, LabelEn: in.LabelEn, Unit: in.Unit, Definition: in.Definition,
		Agg: in.Aggregate, Formula: in.Formula}}
	if err := s.svc.CreateTenantMetric(r.Context(), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, c, c.Version)
}

func (s *Server) deleteTenantMetric(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.svc.DeleteTenantMetric(r.Context(), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
