package notify_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/notify"
	"github.com/cohortcrm/cohort/internal/outbox"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

const (
	tenant = cohort.ID(1)
	alice  = cohort.ID(10)
	bob    = cohort.ID(11)
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// setup returns a database with one tenant and two users, an outbox and the
// service on it.
func setup(t *testing.T, db *store.DB) (*outbox.Outbox, *notify.Service) {
	t.Helper()
	for _, q := range []string{
		`INSERT INTO tenants (id, name, slug, time_zone, fiscal_year_start_month, currency, locale, created_at, updated_at)
			VALUES (1, 'Acme', 'acme', 'Asia/Shanghai', 1, 'CNY', 'zh-CN', 0, 0)`,
		`INSERT INTO users (tenant_id, id, email, name, status, locale, created_at, updated_at) VALUES
			(1, 10, 'alice@example.com', 'Alice', 'active', 'zh-CN', 0, 0),
			(1, 11, 'bob@example.com', 'Bob', 'active', 'en', 0, 0)`,
	} {
		if err := db.ExecForTest(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	ob := outbox.New(db, outbox.Config{Log: quiet()})
	return ob, notify.New(db, ob, notify.Options{Log: quiet(), Heartbeat: 50 * time.Millisecond})
}

func send(t *testing.T, db *store.DB, s *notify.Service, user cohort.ID, kind string, params any) cohort.ID {
	t.Helper()
	var id cohort.ID
	err := db.WriteTx(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = s.Notify(context.Background(), tx, tenant, user, kind, params, "/me")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func deliver(t *testing.T, ob *outbox.Outbox, want int) {
	t.Helper()
	if n, err := ob.DeliverOnce(context.Background()); err != nil || n != want {
		t.Fatalf("DeliverOnce = %d, %v; want %d", n, err, want)
	}
}

// stream is a client of the event stream; a goroutine parses its blocks
// into events.
type stream struct {
	events chan map[string]string
}

func openStream(t *testing.T, url string, header http.Header) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, ct)
	}
	s := &stream{events: make(chan map[string]string, 100)}
	go func() {
		defer close(s.events)
		r := bufio.NewReader(resp.Body)
		ev := map[string]string{}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			if line == "" {
				s.events <- ev
				ev = map[string]string{}
				continue
			}
			if c, ok := strings.CutPrefix(line, ":"); ok {
				ev["comment"] = strings.TrimSpace(c)
				continue
			}
			k, v, _ := strings.Cut(line, ": ")
			ev[k] = v
		}
	}()
	// The opening comment proves the subscription is in place.
	if ev := s.next(t, true, 5*time.Second); ev["comment"] != "connected" {
		t.Fatalf("stream opened with %v", ev)
	}
	return s
}

// next returns the next event within timeout, or nil; heartbeats are
// skipped unless comments is set.
func (s *stream) next(t *testing.T, comments bool, timeout time.Duration) map[string]string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatal("stream ended")
			}
			if ev["comment"] == "ping" && !comments {
				continue
			}
			return ev
		case <-deadline:
			return nil
		}
	}
}

func TestNotifyToInboxAndStream(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ob, s := setup(t, db)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.ServeSSE(w, r, tenant, alice, r.URL.Query().Get("locale"))
		}))
		t.Cleanup(srv.Close) // after the streams' cleanups, which end their requests
		live := openStream(t, srv.URL+"?locale=zh-CN", nil)

		// A rolled-back transaction notifies nobody.
		rollback := errors.New("rolled back")
		err := db.WriteTx(ctx, func(tx *store.Tx) error {
			if _, err := s.Notify(ctx, tx, tenant, alice, notify.KindWelcome, nil, ""); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		deliver(t, ob, 0)
		if n, _ := s.UnreadCount(ctx, tenant, alice); n != 0 {
			t.Fatalf("unread after rollback = %d", n)
		}

		id := send(t, db, s, alice, notify.KindPermRolesChanged,
			map[string]any{"actor": "王经理", "roles": []string{"销售", "经理"}})
		if items, _, _ := s.List(ctx, tenant, alice, false, "", 0, "zh-CN"); len(items) != 0 {
			t.Fatal("notification visible before delivery")
		}
		deliver(t, ob, 1)

		// The stream gets it, rendered in the stream's locale.
		ev := live.next(t, false, 5*time.Second)
		if ev["event"] != "notification" || ev["id"] != id.String() {
			t.Fatalf("stream event %v", ev)
		}
		var got cohort.Notification
		if err := json.Unmarshal([]byte(ev["data"]), &got); err != nil {
			t.Fatal(err)
		}
		if got.ID != id || got.UserID != alice || got.Title != "权限角色已变更" || got.Body != "王经理将你的权限角色调整为：销售、经理。" || got.Link != "/me" || got.ReadAt != nil {
			t.Fatalf("streamed %+v", got)
		}
		// Heartbeats keep the idle stream alive.
		if hb := live.next(t, true, 5*time.Second); hb["comment"] != "ping" {
			t.Fatalf("expected a heartbeat, got %v", hb)
		}

		items, next, err := s.List(ctx, tenant, alice, true, "", 0, "en")
		if err != nil || len(items) != 1 || next != "" {
			t.Fatalf("List = %v, %q, %v", items, next, err)
		}
		if items[0].ID != id || items[0].Title != "Your permission roles changed" || items[0].Body != "王经理 set your permission roles to: 销售, 经理." {
			t.Fatalf("listed %+v", items[0])
		}
		if n, _ := s.UnreadCount(ctx, tenant, alice); n != 1 {
			t.Fatalf("unread = %d, want 1", n)
		}

		// Bob can neither see nor mark Alice's notification.
		if items, _, _ := s.List(ctx, tenant, bob, false, "", 0, "en"); len(items) != 0 {
			t.Fatalf("bob sees %v", items)
		}
		if err := s.MarkRead(ctx, tenant, bob, id); cohort.ErrorCode(err) != cohort.ENOTFOUND {
			t.Fatalf("bob marking alice's notification: %v", err)
		}
		if err := s.MarkRead(ctx, 2, alice, id); cohort.ErrorCode(err) != cohort.ENOTFOUND {
			t.Fatalf("marking from another tenant: %v", err)
		}
		if err := s.MarkRead(ctx, tenant, alice, id); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkRead(ctx, tenant, alice, id); err != nil {
			t.Fatalf("marking twice: %v", err)
		}
		if n, _ := s.UnreadCount(ctx, tenant, alice); n != 0 {
			t.Fatalf("unread after MarkRead = %d", n)
		}
		items, _, _ = s.List(ctx, tenant, alice, false, "", 0, "zh-CN")
		if len(items) != 1 || items[0].ReadAt == nil {
			t.Fatalf("after MarkRead: %+v", items)
		}
	})
}

func TestPagingAndMarkAllRead(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ob, s := setup(t, db)
		var ids []cohort.ID
		for i := 0; i < 5; i++ {
			ids = append(ids, send(t, db, s, alice, notify.KindTest, map[string]any{"message": i}))
		}
		send(t, db, s, bob, notify.KindTest, nil)
		deliver(t, ob, 6)
		// Delivering again (as after a crash) adds nothing.
		if err := db.ExecForTest(ctx, "UPDATE outbox SET delivered_at = NULL, next_attempt_at = 0"); err != nil {
			t.Fatal(err)
		}
		deliver(t, ob, 6)

		var seen []cohort.ID
		cursor := ""
		for page := 0; ; page++ {
			items, next, err := s.List(ctx, tenant, alice, false, cursor, 2, "en")
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range items {
				seen = append(seen, n.ID)
			}
			if next == "" {
				break
			}
			if page > 3 {
				t.Fatal("paging does not end")
			}
			cursor = next
		}
		if len(seen) != 5 {
			t.Fatalf("paged through %v", seen)
		}
		for i := range seen {
			if seen[i] != ids[4-i] {
				t.Fatalf("order %v, want newest first of %v", seen, ids)
			}
		}

		if err := s.MarkRead(ctx, tenant, alice, ids[2]); err != nil {
			t.Fatal(err)
		}
		unread, _, _ := s.List(ctx, tenant, alice, true, "", 50, "en")
		if len(unread) != 4 {
			t.Fatalf("unread list has %d, want 4", len(unread))
		}
		if n, err := s.MarkAllRead(ctx, tenant, alice); err != nil || n != 4 {
			t.Fatalf("MarkAllRead = %d, %v", n, err)
		}
		if n, _ := s.UnreadCount(ctx, tenant, alice); n != 0 {
			t.Fatalf("alice unread = %d", n)
		}
		if n, _ := s.UnreadCount(ctx, tenant, bob); n != 1 {
			t.Fatalf("bob unread = %d, want 1 (untouched)", n)
		}
		if _, _, err := s.List(ctx, tenant, alice, false, "x1", 10, "en"); cohort.ErrorCode(err) != cohort.EBADREQUEST {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

// TestStreamReplaysMissed: a client reconnecting with Last-Event-ID first
// gets what it missed.
func TestStreamReplaysMissed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ob, s := setup(t, db)
		first := send(t, db, s, alice, notify.KindTest, nil)
		second := send(t, db, s, alice, notify.KindWelcome, map[string]any{"name": "Alice", "tenant": "Acme"})
		deliver(t, ob, 2)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.ServeSSE(w, r, tenant, alice, "en")
		}))
		t.Cleanup(srv.Close) // after the streams' cleanups, which end their requests
		st := openStream(t, srv.URL, http.Header{"Last-Event-Id": {first.String()}})
		ev := st.next(t, false, 5*time.Second)
		var got cohort.Notification
		json.Unmarshal([]byte(ev["data"]), &got)
		if ev["id"] != second.String() || got.Title != "Welcome to Acme" || got.Body != "Hi Alice, your account is ready." {
			t.Fatalf("replayed %v", ev)
		}
	})
}

func TestNotifyValidates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, s := setup(t, db)
		err := db.WriteTx(ctx, func(tx *store.Tx) error {
			_, err := s.Notify(ctx, tx, tenant, 0, "", []int{1}, "")
			return err
		})
		var e *cohort.Error
		if !errors.As(err, &e) || e.Code != cohort.EINVALID || len(e.Fields) != 3 {
			t.Fatalf("Notify with no user, no kind and list params: %v", err)
		}
	})
}

// TestFanoutAcrossServers: a notification delivered by one server reaches a
// stream held by another, once (PostgreSQL only).
func TestFanoutAcrossServers(t *testing.T) {
	storetest.EnginesShared(t, 2, func(t *testing.T, dbs []*store.DB) {
		if dbs[0].Engine != store.Postgres {
			t.Skip("fan-out needs PostgreSQL LISTEN/NOTIFY")
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		obA, a := setup(t, dbs[0])
		b := notify.New(dbs[1], outbox.New(dbs[1], outbox.Config{Log: quiet()}), notify.Options{Log: quiet(), Heartbeat: time.Hour})
		done := make(chan struct{})
		go func() { b.RunFanout(ctx); close(done) }()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b.ServeSSE(w, r, tenant, alice, "en")
		}))
		t.Cleanup(srv.Close)
		st := openStream(t, srv.URL, nil)

		// The listener connects in the background: send until one arrives.
		sent := map[string]bool{}
		var ev map[string]string
		for i := 0; i < 50 && ev == nil; i++ {
			sent[send(t, dbs[0], a, alice, notify.KindTest, nil).String()] = true
			deliver(t, obA, 1)
			ev = st.next(t, false, 100*time.Millisecond)
		}
		if ev == nil || !sent[ev["id"]] {
			t.Fatalf("no fanned-out event: %v", ev)
		}
		// Drain stragglers from the start-up, then one notification must
		// arrive once.
		for st.next(t, false, 200*time.Millisecond) != nil {
		}
		id := send(t, dbs[0], a, alice, notify.KindPasswordReset, nil)
		deliver(t, obA, 1)
		ev = st.next(t, false, 5*time.Second)
		if ev == nil || ev["id"] != id.String() || !strings.Contains(ev["data"], "Your password was reset") {
			t.Fatalf("fanned-out event %v, want %s", ev, id)
		}
		if extra := st.next(t, false, 300*time.Millisecond); extra != nil {
			t.Fatalf("duplicate event %v", extra)
		}
		cancel()
		<-done
	})
}

// A burst of fact changes is one pending signal per stream of the tenant,
// and other tenants hear nothing.
func TestHubPublishFacts(t *testing.T) {
	h := notify.NewHub(4)
	a := h.Subscribe(1, 10)
	b := h.Subscribe(2, 20)
	defer a.Close()
	defer b.Close()
	for range 5 {
		h.PublishFacts(1)
	}
	select {
	case <-a.Facts:
	default:
		t.Fatal("no facts signal")
	}
	select {
	case <-a.Facts:
		t.Fatal("a burst gave more than one signal")
	case <-b.Facts:
		t.Fatal("another tenant was told")
	default:
	}
}

// A tenant's fact changes announced by one server reach the open streams of
// that tenant on another (open cockpits refresh there too): a burst is
// folded, another tenant hears nothing, and a server skips its own.
func TestFactsFanoutAcrossServers(t *testing.T) {
	storetest.EnginesShared(t, 2, func(t *testing.T, dbs []*store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, a := setup(t, dbs[0])
		b := notify.New(dbs[1], outbox.New(dbs[1], outbox.Config{Log: quiet()}), notify.Options{Log: quiet(), Heartbeat: time.Hour})
		if dbs[0].Engine != store.Postgres {
			// One SQLite server holds every stream: nothing to announce.
			a.AnnounceFacts(tenant)
			return
		}
		var wg sync.WaitGroup
		for _, s := range []*notify.Service{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); s.RunFanout(ctx) }()
		}
		onB, otherOnB, onA := b.Hub().Subscribe(tenant, alice), b.Hub().Subscribe(tenant+1, alice), a.Hub().Subscribe(tenant, alice)
		defer onB.Close()
		defer otherOnB.Close()
		defer onA.Close()
		got := func(s *notify.Subscription, wait time.Duration) bool {
			select {
			case <-s.Facts:
				return true
			case <-time.After(wait):
				return false
			}
		}
		// The listeners connect in the background: announce until one
		// arrives.
		arrived := false
		for i := 0; i < 50 && !arrived; i++ {
			a.AnnounceFacts(tenant)
			arrived = got(onB, 200*time.Millisecond)
		}
		if !arrived {
			t.Fatal("no fact change fanned out")
		}
		for got(onB, 2*notify.FactsInterval) {
		}
		// A burst: at least one signal, at most two announcements.
		for range 20 {
			a.AnnounceFacts(tenant)
		}
		if !got(onB, 3*time.Second) {
			t.Fatal("a burst of fact changes was not fanned out")
		}
		if got(otherOnB, 3*notify.FactsInterval) {
			t.Fatal("another tenant's streams were told")
		}
		if got(onA, 0) {
			t.Fatal("a server published its own announcement again")
		}
		cancel()
		wg.Wait()
	})
}
