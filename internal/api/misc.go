package api

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/cohortcrm/cohort"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	respond(w, http.StatusOK, map[string]string{"status": "ok", "version": s.opt.Version})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if s.ready != nil {
		if err := s.ready(ctx); err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"unavailable","reason":` + strconv.Quote(err.Error()) + "}\n"))
			return
		}
	}
	respond(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) {
	if s.opt.MetricsToken != "" {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, []byte("Bearer "+s.opt.MetricsToken)) != 1 {
			s.writeError(w, r, cohort.Errorf(cohort.EUNAUTHORIZED, "metrics need the metrics token"))
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = s.metrics.WriteTo(w)
}

type countResponse struct {
	Count int `json:"count"`
}

func (s *Server) inboxOwner(w http.ResponseWriter, r *http.Request) (*cohort.Principal, bool) {
	p := cohort.PrincipalFrom(r.Context())
	if s.inbox == nil {
		s.writeError(w, r, cohort.Errorf(cohort.ENOTFOUND, "notifications are not enabled"))
		return nil, false
	}
	return p, true
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	p, ok := s.inboxOwner(w, r)
	if !ok {
		return
	}
	lq, err := listQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	unread := r.URL.Query().Get("unread") == "true"
	items, next, err := s.inbox.List(r.Context(), p.Tenant.ID, p.User.ID, unread, lq.Cursor, lq.Limit, p.User.Locale)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[cohort.Notification]{Items: nonNil(items), NextCursor: next})
}

func (s *Server) unreadCount(w http.ResponseWriter, r *http.Request) {
	p, ok := s.inboxOwner(w, r)
	if !ok {
		return
	}
	n, err := s.inbox.UnreadCount(r.Context(), p.Tenant.ID, p.User.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, countResponse{Count: n})
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request) {
	p, ok := s.inboxOwner(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id")
	if err == nil {
		err = s.inbox.MarkRead(r.Context(), p.Tenant.ID, p.User.ID, id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) markAllRead(w http.ResponseWriter, r *http.Request) {
	p, ok := s.inboxOwner(w, r)
	if !ok {
		return
	}
	if err := s.inbox.MarkAllRead(r.Context(), p.Tenant.ID, p.User.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// events streams live notifications. The stream outlives the server's write
// timeout, so its deadline is lifted here.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	p, ok := s.inboxOwner(w, r)
	if !ok {
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	s.inbox.ServeSSE(w, r, p.Tenant.ID, p.User.ID, p.User.Locale)
}
