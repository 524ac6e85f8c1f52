package api

import (
	"context"
	"net/http"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
)

// objectiveRoutes are the routes of objectives and key results, strategies
// and actions (service/objectives.go). Reading takes customer:view;
// changing takes customer:edit over the objective's owner (or
// tenant:administer).
func (s *Server) objectiveRoutes() []Route {
	const obj = "/api/v1/objectives/{id}"
	return []Route{
		{Method: "GET", Path: "/api/v1/objectives", Summary: "The objectives I may read (?period=FY2026-Q1&owner=person:1)", Perm: "customer:view", Resp: listOf[service.Objective]{}, Handler: s.listObjectives},
		{Method: "POST", Path: "/api/v1/objectives", Summary: "Create an objective for a person, a department or the company and a fiscal period (owner default: me)", Perm: "customer:edit", Idempotent: true, Req: service.ObjectiveInput{}, Resp: service.Objective{}, Status: 201, Handler: s.createObjective},
		{Method: "GET", Path: "/api/v1/objectives/tree", Summary: "A period's objectives with key results, formula factors, strategies and actions, every figure from the metric engine (?period=&owner=&as_of=)", Perm: "customer:view", Resp: service.ObjectiveTree{}, Handler: s.objectiveTree},
		{Method: "GET", Path: obj, Summary: "One objective", Perm: "customer:view", Resp: service.Objective{}, Handler: getByID(s, s.svc.FindObjective, objectiveVersion)},
		{Method: "PATCH", Path: obj, Summary: "Change an objective (If-Match: its version)", Perm: "customer:edit", Req: service.ObjectiveUpdate{}, Resp: service.Objective{}, Handler: patchByID(s, s.svc.UpdateObjective, objectiveVersion)},
		{Method: "DELETE", Path: obj, Summary: "Delete an objective with its key results, strategies and actions", Perm: "customer:edit", Status: 204, Handler: s.deleteObjective},
		{Method: "GET", Path: obj + "/tree", Summary: "One objective's tree with its figures (?as_of=)", Perm: "customer:view", Resp: service.ObjectiveTree{}, Handler: s.objectiveTreeOf},
		{Method: "POST", Path: obj + "/key-results", Summary: "Add a key result: a metric with a role and target, a goal rule's subject, or self-assessed", Perm: "customer:edit", Idempotent: true, Req: service.KeyResultInput{}, Resp: service.KeyResult{}, Status: 201, Handler: addChild(s, s.svc.AddKeyResult, keyResultVersion)},
		{Method: "PATCH", Path: obj + "/key-results/{kr_id}", Summary: "Change a key result, or self-assess it (self_score 0–1, self_note)", Perm: "customer:edit", Req: service.KeyResultInput{}, Resp: service.KeyResult{}, Handler: patchChild(s, "kr_id", s.svc.UpdateKeyResult, keyResultVersion)},
		{Method: "DELETE", Path: obj + "/key-results/{kr_id}", Summary: "Delete a key result", Perm: "customer:edit", Status: 204, Handler: deleteChild(s, "kr_id", s.svc.DeleteKeyResult)},
		{Method: "POST", Path: obj + "/strategies", Summary: "Add a strategy acting on a factor of the performance formula", Perm: "customer:edit", Idempotent: true, Req: service.StrategyInput{}, Resp: service.Strategy{}, Status: 201, Handler: addChild(s, s.svc.AddStrategy, strategyVersion)},
		{Method: "PATCH", Path: obj + "/strategies/{strategy_id}", Summary: "Change a strategy", Perm: "customer:edit", Req: service.StrategyInput{}, Resp: service.Strategy{}, Handler: patchChild(s, "strategy_id", s.svc.UpdateStrategy, strategyVersion)},
		{Method: "DELETE", Path: obj + "/strategies/{strategy_id}", Summary: "Delete a strategy with its actions", Perm: "customer:edit", Status: 204, Handler: deleteChild(s, "strategy_id", s.svc.DeleteStrategy)},
		{Method: "POST", Path: obj + "/strategies/{strategy_id}/actions", Summary: "Add an action: a quota of a metric per day, week, month or period, or a task ticked by hand", Perm: "customer:edit", Idempotent: true, Req: service.ActionInput{}, Resp: service.Action{}, Status: 201, Handler: s.addAction},
		{Method: "PATCH", Path: obj + "/actions/{action_id}", Summary: "Change an action, or tick a manual one done (done: true)", Perm: "customer:edit", Req: service.ActionInput{}, Resp: service.Action{}, Handler: patchChild(s, "action_id", s.svc.UpdateAction, actionVersion)},
		{Method: "DELETE", Path: obj + "/actions/{action_id}", Summary: "Delete an action", Perm: "customer:edit", Status: 204, Handler: deleteChild(s, "action_id", s.svc.DeleteAction)},
	}
}

func objectiveVersion(o *service.Objective) int { return o.Version }
func keyResultVersion(k *service.KeyResult) int { return k.Version }
func strategyVersion(st *service.Strategy) int  { return st.Version }
func actionVersion(a *service.Action) int       { return a.Version }

func (s *Server) listObjectives(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	items, err := s.svc.Objectives(r.Context(), service.ObjectiveFilter{Period: q.Get("period"), Owner: q.Get("owner")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[service.Objective]{Items: items})
}

func (s *Server) createObjective(w http.ResponseWriter, r *http.Request) {
	var in service.ObjectiveInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	o, err := s.svc.CreateObjective(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, o, o.Version)
}

func (s *Server) deleteObjective(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var ver int
	if err == nil {
		ver, err = ifMatch(r)
	}
	if err == nil {
		err = s.svc.DeleteObjective(r.Context(), id, ver)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) objectiveTree(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	t, err := s.svc.ObjectiveTree(r.Context(), service.ObjectiveTreeQuery{Period: q.Get("period"), Owner: q.Get("owner"), AsOf: q.Get("as_of")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, t)
}

func (s *Server) objectiveTreeOf(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var t *service.ObjectiveTree
	if err == nil {
		t, err = s.svc.ObjectiveTreeOf(r.Context(), id, r.URL.Query().Get("as_of"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, t)
}

func (s *Server) addAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var st cohort.ID
	if err == nil {
		st, err = pathID(r, "strategy_id")
	}
	var in service.ActionInput
	if err == nil {
		err = decode(r, &in)
	}
	var a *service.Action
	if err == nil {
		a, err = s.svc.AddAction(r.Context(), id, st, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, a, a.Version)
}

// addChild serves POST on an objective's sub-collection: 201 with what was
// added and its ETag.
func addChild[In, T any](s *Server, add func(context.Context, cohort.ID, In) (*T, error), version func(*T) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		var in In
		if err == nil {
			err = decode(r, &in)
		}
		var v *T
		if err == nil {
			v, err = add(r.Context(), id, in)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respondVersioned(w, http.StatusCreated, v, version(v))
	}
}

// patchChild serves PATCH of one of an objective's parts (path value
// child) with If-Match.
func patchChild[U, T any](s *Server, child string, update func(context.Context, cohort.ID, cohort.ID, U, int) (*T, error), version func(*T) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		var cid cohort.ID
		if err == nil {
			cid, err = pathID(r, child)
		}
		var ver int
		if err == nil {
			ver, err = ifMatch(r)
		}
		var upd U
		if err == nil {
			err = decode(r, &upd)
		}
		var v *T
		if err == nil {
			v, err = update(r.Context(), id, cid, upd, ver)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respondVersioned(w, http.StatusOK, v, version(v))
	}
}

// deleteChild serves DELETE of one of an objective's parts with If-Match.
func deleteChild(s *Server, child string, del func(context.Context, cohort.ID, cohort.ID, int) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		var cid cohort.ID
		if err == nil {
			cid, err = pathID(r, child)
		}
		var ver int
		if err == nil {
			ver, err = ifMatch(r)
		}
		if err == nil {
			err = del(r.Context(), id, cid, ver)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
