package service

import (
	"context"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Failed logins are limited per account and per client address separately.
// The account's limit is low and counted in a fixed window (five tries, then
// a lockout); the address's is higher and decays, so that people behind one
// office NAT do not lock each other out and a slow guesser still stops.

// Login input bounds, checked before any lookup or write.
const (
	maxLoginEmailBytes    = 254
	maxLoginPasswordBytes = 256
	maxLoginTenantBytes   = 100
)

// checkLoginInput refuses an over-long email, password or tenant.
func checkLoginInput(email, password, tenant string) error {
	var v cohort.Validation
	if len(email) > maxLoginEmailBytes {
		v.Add("email", "must be at most %d bytes", maxLoginEmailBytes)
	}
	if len(password) > maxLoginPasswordBytes {
		v.Add("password", "must be at most %d bytes", maxLoginPasswordBytes)
	}
	if len(tenant) > maxLoginTenantBytes {
		v.Add("tenant", "must be at most %d bytes", maxLoginTenantBytes)
	}
	return v.Err()
}

// loginLimit is one counter of failed logins.
type loginLimit struct {
	key      string
	max      int
	window   time.Duration
	lockout  time.Duration
	decaying bool
}

// loginLimits are the counters of a login: the account's first, then the
// address's when it is known.
func (s *Service) loginLimits(email, ip string) []loginLimit {
	out := []loginLimit{{key: "email:" + email, max: s.opt.LoginMaxFailures, window: s.opt.LoginWindow, lockout: s.opt.LoginLockout}}
	if ip != "" && s.opt.LoginAddressMaxFailures > 0 {
		out = append(out, loginLimit{key: "ip:" + ip, max: s.opt.LoginAddressMaxFailures, window: s.opt.LoginAddressWindow,
			lockout: s.opt.LoginLockout, decaying: true})
	}
	return out
}

// loginLocked refuses a login while one of its counters is locked.
func (s *Service) loginLocked(ctx context.Context, limits []loginLimit, now time.Time) error {
	for _, l := range limits {
		until, err := store.LoginLocked(ctx, s.db.Read(), l.key, now)
		if err != nil {
			return err
		}
		if !until.IsZero() {
			return &cohort.Error{Code: cohort.ERATELIMIT, RetryAfter: until.Sub(now),
				Message: "too many failed logins; try again after " + until.Sub(now).Round(time.Second).String()}
		}
	}
	return nil
}

// recordLoginFailure counts a failure on every counter of the login.
func (s *Service) recordLoginFailure(ctx context.Context, limits []loginLimit, now time.Time) error {
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		for _, l := range limits {
			var err error
			if l.decaying {
				_, err = store.RecordDecayingLoginFailure(ctx, tx, l.key, now, l.window, l.max, l.lockout)
			} else {
				_, err = store.RecordLoginFailure(ctx, tx, l.key, now, l.window, l.max, l.lockout)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}
