package service

import (
	"sync"
	"time"

	"github.com/cohortcrm/cohort"
)

// authCache keeps the principals of recently seen session and API tokens for
// a short time, so that an authenticated request costs no database reads
// for who is asking. Any change to users, roles, sessions or tokens made
// through this process clears it at once; a change made by another server
// is seen within authCacheTTL.
type authCache struct {
	mu sync.Mutex
	m  map[string]authEntry
}

type authEntry struct {
	p  *cohort.Principal
	at time.Time
}

const (
	authCacheTTL = 2 * time.Second
	authCacheMax = 20000
)

func (c *authCache) get(token string, now time.Time) *cohort.Principal {
	c.mu.Lock()
	e, ok := c.m[token]
	c.mu.Unlock()
	if !ok || now.Sub(e.at) > authCacheTTL || now.Before(e.at) {
		return nil
	}
	cp := *e.p // callers set Meta on their copy
	return &cp
}

func (c *authCache) put(token string, p *cohort.Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= authCacheMax {
		c.m = map[string]authEntry{}
	}
	cp := *p
	c.m[token] = authEntry{p: &cp, at: now}
}

// clear forgets every cached principal.
func (c *authCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
