package api

import (
	"net/http"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// follow serves PUT (follow) and DELETE (unfollow) of a record of type obj.
func (s *Server) follow(obj cohort.ObjectType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err == nil {
			err = s.svc.Follow(r.Context(), obj, id, r.Method == http.MethodPut)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

type viewInput struct {
	ObjectType cohort.ObjectType `json:"object_type"`
	Name       string            `json:"name" openapi:"required"`
	Query      string            `json:"query"`
}

func (s *Server) listViews(w http.ResponseWriter, r *http.Request) {
	vs, err := s.svc.SavedViews(r.Context(), cohort.ObjectType(r.URL.Query().Get("object_type")))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[store.SavedView]{Items: vs})
}

func (s *Server) createView(w http.ResponseWriter, r *http.Request) {
	var in viewInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	v := &store.SavedView{ObjectType: in.ObjectType, Name: in.Name, Query: in.Query}
	if err := s.svc.SaveView(r.Context(), v); err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusCreated, v)
}

func (s *Server) deleteView(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.svc.DeleteView(r.Context(), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
