package api

import (
	"math"
	"sync"
	"time"

	"github.com/cohortcrm/cohort"
)

// rateLimiter holds a token bucket per session and per API token: rate
// requests a minute, up to burst at once. It is per server process; behind a
// load balancer each server counts its own.
type rateLimiter struct {
	mu      sync.Mutex
	perSec  float64
	burst   float64
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// rateLimiterMax bounds the buckets kept; past it the full ones are dropped
// (a full bucket is what a new one would be).
const rateLimiterMax = 50000

func newRateLimiter(perMinute, burst int) *rateLimiter {
	if perMinute <= 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	return &rateLimiter{perSec: float64(perMinute) / 60, burst: float64(burst), buckets: map[string]*bucket{}}
}

// rateKey names the caller's bucket: their session or their token.
func rateKey(p *cohort.Principal) string {
	switch {
	case p.TokenID != 0:
		return "t" + p.TokenID.String()
	case p.SessionID != "":
		return "s" + p.SessionID
	}
	return ""
}

// take spends one request of key's bucket, or says how long to wait.
func (l *rateLimiter) take(key string, now time.Time) error {
	if l == nil || key == "" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= rateLimiterMax {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	if now.After(b.at) {
		b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.perSec)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return nil
	}
	wait := time.Duration((1 - b.tokens) / l.perSec * float64(time.Second))
	return &cohort.Error{Code: cohort.ERATELIMIT, RetryAfter: wait,
		Message: "too many requests from this session or token; try again after " + wait.Round(time.Second).String()}
}

// prune drops the buckets that have refilled.
func (l *rateLimiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.perSec >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= rateLimiterMax { // all busy: start over rather than grow
		l.buckets = map[string]*bucket{}
	}
}
