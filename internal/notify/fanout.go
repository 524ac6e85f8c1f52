package notify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// fanoutChannel is the PostgreSQL NOTIFY channel that announces delivered
// notifications to every server. The payload is "origin tenant user id";
// the notification itself is read from the table, since NOTIFY payloads are
// small and only servers holding a stream of that user need it.
const fanoutChannel = "cohort_notification"

// RunFanout makes this server's hub publish notifications delivered by other
// servers, until ctx is done; it returns nil then. It listens on PostgreSQL
// and reconnects with backoff when the connection drops. On SQLite, where
// one server delivers everything itself, it returns nil at once.
func (s *Service) RunFanout(ctx context.Context) error {
	if s.db.Engine != store.Postgres {
		return nil
	}
	wait := time.Second
	for {
		start := time.Now()
		err := s.db.Listen(ctx, fanoutChannel, func(payload string) { s.remote(ctx, payload) })
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > time.Minute {
			wait = time.Second
		}
		s.log.Warn("notification fan-out listener stopped; reconnecting", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// factsPrefix starts a fan-out payload that says a tenant's facts changed
// on another server: "facts <origin> <tenant>". Open cockpits of that
// tenant on every server then refresh, as they do for a write on their own.
const factsPrefix = "facts "

// FactsInterval is the least time between two announcements of one
// tenant's fact changes: a burst of writes is one announcement at its
// start and one at most an interval later.
const FactsInterval = 500 * time.Millisecond

// factsAnnouncer folds each tenant's announcements into one per interval.
type factsAnnouncer struct {
	mu      sync.Mutex
	tenants map[cohort.ID]*factsState
}

type factsState struct {
	last    time.Time
	pending bool
	timer   *time.Timer
}

// AnnounceFacts tells the other servers (on PostgreSQL) that tenantID's
// facts changed, at most once per FactsInterval for a tenant; the calls in
// between are folded into one announcement at the interval's end. It does
// not wait for the database. On SQLite, where one server holds every
// stream, it does nothing.
func (s *Service) AnnounceFacts(tenantID cohort.ID) {
	if s.db.Engine != store.Postgres {
		return
	}
	a := &s.facts
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tenants == nil {
		a.tenants = map[cohort.ID]*factsState{}
	}
	st := a.tenants[tenantID]
	if st == nil {
		st = &factsState{}
		a.tenants[tenantID] = st
	}
	if st.timer != nil {
		st.pending = true
		return
	}
	wait := FactsInterval - time.Since(st.last)
	if wait <= 0 {
		st.last = time.Now()
		go s.sendFacts(tenantID)
		wait = FactsInterval
	} else {
		st.pending = true
	}
	st.timer = time.AfterFunc(wait, func() { s.flushFacts(tenantID) })
}

// flushFacts sends a tenant's folded announcement, if any, and ends its
// interval.
func (s *Service) flushFacts(tenantID cohort.ID) {
	a := &s.facts
	a.mu.Lock()
	st := a.tenants[tenantID]
	send := st.pending
	st.pending, st.timer = false, nil
	if send {
		st.last = time.Now()
	} else {
		delete(a.tenants, tenantID) // quiet: forget it
	}
	a.mu.Unlock()
	if send {
		s.sendFacts(tenantID)
	}
}

func (s *Service) sendFacts(tenantID cohort.ID) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.db.NotifyNow(ctx, fanoutChannel, fmt.Sprintf("%s%s %d", factsPrefix, s.origin, tenantID)); err != nil {
		s.log.Warn("announce fact changes", "err", err)
	}
}

// remote publishes what another server announced: a tenant's fact changes,
// or a notification when a stream of its user is open here.
func (s *Service) remote(ctx context.Context, payload string) {
	if rest, ok := strings.CutPrefix(payload, factsPrefix); ok {
		var origin string
		var tenantID cohort.ID
		if _, err := fmt.Sscanf(rest, "%s %d", &origin, &tenantID); err != nil {
			s.log.Warn("malformed fan-out payload", "payload", payload)
			return
		}
		if origin != s.origin {
			s.hub.PublishFacts(tenantID)
		}
		return
	}
	var origin string
	var tenantID, userID, id cohort.ID
	if _, err := fmt.Sscanf(payload, "%s %d %d %d", &origin, &tenantID, &userID, &id); err != nil {
		s.log.Warn("malformed fan-out payload", "payload", payload)
		return
	}
	if origin == s.origin || !s.hub.HasSubscribers(tenantID, userID) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ns, err := s.query(ctx, tenantID, userID, "", `SELECT id, kind, params, link, read_at, created_at
		FROM notifications WHERE tenant_id = ? AND user_id = ? AND id = ?`, tenantID, userID, id)
	if err != nil {
		s.log.Warn("read fanned-out notification", "err", err)
		return
	}
	// Not found: another deployment on another schema of the same database.
	for _, n := range ns {
		s.hub.Publish(n)
	}
}
