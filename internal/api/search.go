package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/search"
)

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var types []string
	if t := q.Get("types"); t != "" {
		types = strings.Split(t, ",")
	}
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			s.writeError(w, r, cohort.Errorf(cohort.EBADREQUEST, "limit must be a number"))
			return
		}
		limit = n
	}
	hits, err := s.svc.Search(r.Context(), q.Get("q"), types, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[search.Hit]{Items: nonNil(hits)})
}
