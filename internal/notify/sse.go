package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cohortcrm/cohort"
)

// sseWriteTimeout bounds each write to a stream, so that a client that stops
// reading is dropped instead of holding the handler forever. It also
// overrides the server's WriteTimeout, which would otherwise end every stream
// after a fixed time.
const sseWriteTimeout = 15 * time.Second

// ServeSSE streams user userID's new notifications as server-sent events
// until the request's context ends:
//
//	id: <notification id>
//	event: notification
//	data: <the notification as JSON, title and body in locale>
//
// and, when a transaction rewrote the tenant's facts (coalesced: one event
// for a burst), "event: facts" with data {} so that live cockpits refresh.
//
// A comment line goes out every heartbeat interval to keep proxies from
// closing an idle stream. When the client reconnects with Last-Event-ID, the
// notifications it missed meanwhile are sent first (up to 100). When the
// stream falls behind and notifications were dropped, an "event: resync" tells
// the client to reload its inbox. The caller has authenticated the request;
// ServeSSE only writes.
func (s *Service) ServeSSE(w http.ResponseWriter, r *http.Request, tenantID, userID cohort.ID, locale string) {
	ctx := r.Context()
	rc := http.NewResponseController(w)
	// Subscribe before anything else, so that nothing published while the
	// missed notifications are read can fall between the two.
	sub := s.hub.Subscribe(tenantID, userID)
	defer sub.Close()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	write := func(format string, args ...any) error {
		if err := rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return err
		}
		return rc.Flush()
	}
	send := func(n cohort.Notification) error {
		n.Title, n.Body = Render(n.Kind, n.Params, locale)
		b, err := json.Marshal(n)
		if err != nil {
			return err
		}
		return write("id: %s\nevent: notification\ndata: %s\n\n", n.ID, b)
	}

	// The opening comment and retry hint tell the client the stream is live.
	if err := write(": connected\nretry: 5000\n\n"); err != nil {
		s.log.Debug("event stream not writable", "err", err)
		return
	}
	var replayed map[cohort.ID]bool
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		if after, err := cohort.ParseID(last); err == nil {
			missed, err := s.since(ctx, tenantID, userID, after, locale)
			if err != nil {
				s.log.Warn("replay missed notifications", "err", err)
			}
			replayed = map[cohort.ID]bool{}
			for _, n := range missed {
				if err := send(n); err != nil {
					return
				}
				replayed[n.ID] = true
			}
		}
	}

	hb := time.NewTicker(s.heartbeat)
	defer hb.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case n := <-sub.C:
			if replayed[n.ID] {
				continue
			}
			if d := sub.TakeDropped(); d > 0 {
				err = write("event: resync\ndata: {\"dropped\":%d}\n\n", d)
			}
			if err == nil {
				err = send(n)
			}
		case <-sub.Facts:
			err = write("event: facts\ndata: {}\n\n")
		case <-hb.C:
			if d := sub.TakeDropped(); d > 0 {
				err = write("event: resync\ndata: {\"dropped\":%d}\n\n", d)
			} else {
				err = write(": ping\n\n")
			}
		}
		if err != nil {
			s.log.Debug("event stream closed", "err", err)
			return
		}
	}
}
