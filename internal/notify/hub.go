package notify

import (
	"sync"
	"sync/atomic"

	"github.com/cohortcrm/cohort"
)

// Hub fans notifications out to the live event streams of their user.
// Publishing never blocks: each subscriber has a bounded buffer, and a
// subscriber that does not keep up loses messages (counted, so its stream can
// tell the client to reload the inbox) rather than slowing the publisher.
//
// A hub sees only what is published in its own process, that is what this
// server's outbox deliverer delivers. With several servers on PostgreSQL, run
// Service.RunFanout on each: deliveries are announced with NOTIFY, and every
// other server's hub publishes them to the streams it holds.
type Hub struct {
	buffer int

	mu   sync.Mutex
	subs map[subKey]map[*Subscription]struct{}
}

type subKey struct{ tenant, user cohort.ID }

// NewHub returns a hub whose subscribers buffer up to buffer notifications
// (16 when buffer ≤ 0).
func NewHub(buffer int) *Hub {
	if buffer <= 0 {
		buffer = 16
	}
	return &Hub{buffer: buffer, subs: map[subKey]map[*Subscription]struct{}{}}
}

// Subscription receives the notifications of one user. Close it when done.
type Subscription struct {
	// C delivers the notifications, in the order they were published.
	C <-chan cohort.Notification
	// Facts signals that the tenant's facts changed since the last
	// receive: one pending signal at most, so a burst of commits is one.
	Facts   <-chan struct{}
	facts   chan struct{}
	c       chan cohort.Notification
	dropped atomic.Int64
	hub     *Hub
	key     subKey
	once    sync.Once
}

// Subscribe starts a subscription to the notifications of user userID of
// tenant tenantID.
func (h *Hub) Subscribe(tenantID, userID cohort.ID) *Subscription {
	c := make(chan cohort.Notification, h.buffer)
	f := make(chan struct{}, 1)
	s := &Subscription{C: c, c: c, Facts: f, facts: f, hub: h, key: subKey{tenantID, userID}}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[s.key] == nil {
		h.subs[s.key] = map[*Subscription]struct{}{}
	}
	h.subs[s.key][s] = struct{}{}
	return s
}

// Close ends the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	s.once.Do(func() {
		h := s.hub
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[s.key], s)
		if len(h.subs[s.key]) == 0 {
			delete(h.subs, s.key)
		}
	})
}

// TakeDropped returns how many notifications were dropped since the last
// call because the buffer was full, and resets the count.
func (s *Subscription) TakeDropped() int64 { return s.dropped.Swap(0) }

// Publish hands n to every subscriber of its user without waiting.
func (h *Hub) Publish(n cohort.Notification) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[subKey{n.TenantID, n.UserID}] {
		select {
		case s.c <- n:
		default:
			s.dropped.Add(1)
		}
	}
}

// PublishFacts tells every stream of the tenant that its facts changed,
// without waiting; a stream with a signal pending already keeps that one.
// It sees the streams of this process only.
func (h *Hub) PublishFacts(tenantID cohort.ID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, subs := range h.subs {
		if k.tenant != tenantID {
			continue
		}
		for s := range subs {
			select {
			case s.facts <- struct{}{}:
			default:
			}
		}
	}
}

// HasSubscribers reports whether any stream of user userID is open here.
func (h *Hub) HasSubscribers(tenantID, userID cohort.ID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[subKey{tenantID, userID}]) > 0
}

// Subscribers returns the number of open subscriptions (for metrics).
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.subs {
		n += len(m)
	}
	return n
}
