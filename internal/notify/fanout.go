package notify

import (
	"context"
	"fmt"
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

// remote publishes a notification announced by another server, when a
// stream of its user is open here.
func (s *Service) remote(ctx context.Context, payload string) {
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
