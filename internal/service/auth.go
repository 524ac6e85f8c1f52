package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

var _ cohort.AuthService = (*Service)(nil)

// Tokens are "<prefix><tenant id>.<secret>": the tenant id routes the lookup
// (every key includes tenant_id), and only SHA-256(secret) is stored.
const (
	sessionPrefix = "s."
	tokenPrefix   = "coh_"
)

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func splitToken(tok, prefix string) (cohort.ID, string, bool) {
	rest, ok := strings.CutPrefix(tok, prefix)
	if !ok {
		return 0, "", false
	}
	tid, secret, ok := strings.Cut(rest, ".")
	if !ok || len(secret) < 20 || len(secret) > 100 {
		return 0, "", false
	}
	n, err := strconv.ParseInt(tid, 10, 64)
	if err != nil || n <= 0 {
		return 0, "", false
	}
	return cohort.ID(n), secret, true
}

var errBadLogin = cohort.Errorf(cohort.EUNAUTHORIZED, "wrong email or password")

// Login checks an email and password and starts a session. Failures are
// counted per email and per client address in the database, so that the limit
// holds across servers; past the limit the key is locked for a while.
func (s *Service) Login(ctx context.Context, email, password, tenantSlug string) (string, *cohort.Principal, error) {
	meta := metaOf(ctx)
	email, _ = cohort.NormalizeEmail(email)
	now := s.now()
	keys := []string{"email:" + email}
	if meta.IP != "" {
		keys = append(keys, "ip:"+meta.IP)
	}
	for _, k := range keys {
		until, err := store.LoginLocked(ctx, s.db.Read(), k, now)
		if err != nil {
			return "", nil, err
		}
		if !until.IsZero() {
			return "", nil, cohort.Errorf(cohort.ERATELIMIT, "too many failed logins; try again after %s", until.Sub(now).Round(time.Second))
		}
	}
	creds, err := store.FindCredentialsByEmail(ctx, s.db.Read(), email)
	if err != nil {
		return "", nil, err
	}
	if tenantSlug != "" {
		t, err := store.FindTenantBySlug(ctx, s.db.Read(), tenantSlug)
		var keep []store.UserCredentials
		for _, c := range creds {
			if err == nil && c.TenantID == t.ID {
				keep = append(keep, c)
			}
		}
		creds = keep
	}
	var match *store.UserCredentials
	switch len(creds) {
	case 0:
		checkPassword(s.dummyHash(), password)
	case 1:
		if checkPassword(creds[0].PasswordHash, password) && creds[0].Status == cohort.UserActive {
			match = &creds[0]
		}
	default:
		// Several tenants share this email: the password must match exactly one.
		for i := range creds {
			if checkPassword(creds[i].PasswordHash, password) && creds[i].Status == cohort.UserActive {
				if match != nil {
					return "", nil, cohort.Errorf(cohort.EINVALID, "this email belongs to several companies; name yours in the tenant field")
				}
				match = &creds[i]
			}
		}
	}
	if match == nil {
		err := s.db.WriteTx(ctx, func(tx *store.Tx) error {
			for _, k := range keys {
				if _, err := store.RecordLoginFailure(ctx, tx, k, now, s.opt.LoginWindow, s.opt.LoginMaxFailures, s.opt.LoginLockout); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return "", nil, err
		}
		return "", nil, errBadLogin
	}
	secret := newSecret()
	var sid cohort.ID
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.ClearLoginFailures(ctx, tx, keys...); err != nil {
			return err
		}
		var err error
		sid, err = store.InsertSession(ctx, tx, match.TenantID, match.UserID, hashSecret(secret), now, now.Add(s.opt.SessionTTL), meta.IP, meta.UserAgent)
		if err != nil {
			return err
		}
		if err := store.TouchLogin(ctx, tx, match.TenantID, match.UserID, now); err != nil {
			return err
		}
		p, err := s.loadPrincipal(ctx, tx, match.TenantID, match.UserID, 0)
		if err != nil {
			return err
		}
		p.Meta = meta
		return s.audit(cohort.NewContext(ctx, p), tx, "login", cohort.ObjUser, match.UserID, nil)
	})
	if err != nil {
		return "", nil, err
	}
	token := sessionPrefix + match.TenantID.String() + "." + secret
	p, err := s.loadPrincipal(ctx, s.db.Read(), match.TenantID, match.UserID, 0)
	if err != nil {
		return "", nil, err
	}
	p.SessionID = strconv.FormatInt(int64(sid), 10)
	return token, p, nil
}

// loadPrincipal builds the principal of an active user. A token may narrow
// the user's permissions to one role.
func (s *Service) loadPrincipal(ctx context.Context, q store.Queryer, tenantID, userID, roleID cohort.ID) (*cohort.Principal, error) {
	t, err := store.FindTenant(ctx, q, tenantID)
	if err != nil {
		return nil, errBadLogin
	}
	u, err := store.FindUser(ctx, q, tenantID, userID)
	if err != nil || u.Status != cohort.UserActive {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "the account is not active")
	}
	roles, err := store.UserPermRoles(ctx, q, tenantID, userID)
	if err != nil {
		return nil, err
	}
	perms := cohort.Merge(roles...)
	if roleID != 0 {
		r, err := store.FindPermRole(ctx, q, tenantID, roleID)
		if err != nil {
			return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "the token's role no longer exists")
		}
		perms = intersect(perms, cohort.Merge(r))
	}
	p := &cohort.Principal{Tenant: t, User: u, Permissions: perms}
	if u.DepartmentID != 0 {
		if d, err := store.FindDepartment(ctx, q, tenantID, u.DepartmentID); err == nil {
			p.DepartmentPath = d.Path
		}
	}
	return p, nil
}

// intersect keeps what both permission sets grant, with the narrower scope:
// a token never grants more than its user holds.
func intersect(a, b cohort.Permissions) cohort.Permissions {
	out := cohort.Permissions{}
	for obj, ga := range a {
		gb, ok := b[obj]
		if !ok {
			continue
		}
		var acts []cohort.Action
		for _, x := range ga.Actions {
			for _, y := range gb.Actions {
				if x == y {
					acts = append(acts, x)
				}
			}
		}
		scope := ga.Scope
		if cohort.Wider(ga.Scope, gb.Scope) == ga.Scope {
			scope = gb.Scope
		}
		out[obj] = cohort.Grant{Actions: acts, Scope: scope}
	}
	return out
}

// AuthenticateSession turns a session cookie into a principal, sliding the
// session's expiry at most once a minute.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (*cohort.Principal, error) {
	now := s.now()
	if p := s.auth.get(token, now); p != nil {
		return p, nil
	}
	tid, secret, ok := splitToken(token, sessionPrefix)
	if !ok {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "the session has ended; please log in again")
	}
	sess, err := store.FindSession(ctx, s.db.Read(), tid, hashSecret(secret), now)
	if err != nil {
		return nil, err
	}
	p, err := s.loadPrincipal(ctx, s.db.Read(), tid, sess.UserID, 0)
	if err != nil {
		return nil, err
	}
	if s.opt.SessionIdleTTL > 0 && now.Sub(sess.LastSeen) > s.opt.SessionIdleTTL {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "the session has ended after a time without use; please log in again")
	}
	p.SessionID = strconv.FormatInt(int64(sess.ID), 10)
	// Recording use costs a write, so it is done at most once a minute.
	if now.Sub(sess.LastSeen) > time.Minute {
		_ = s.db.WriteTx(ctx, func(tx *store.Tx) error { return store.TouchSession(ctx, tx, tid, sess.ID, now) })
	}
	s.auth.put(token, p, now)
	return p, nil
}

// AuthenticateToken turns an API token into a principal.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*cohort.Principal, error) {
	now := s.now()
	if p := s.auth.get(token, now); p != nil {
		return p, nil
	}
	tid, secret, ok := splitToken(token, tokenPrefix)
	if !ok {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "the API token is not valid")
	}
	t, err := store.FindTokenByHash(ctx, s.db.Read(), tid, hashSecret(secret), now)
	if err != nil {
		return nil, err
	}
	p, err := s.loadPrincipal(ctx, s.db.Read(), tid, t.UserID, t.PermRoleID)
	if err != nil {
		return nil, err
	}
	p.TokenID = t.ID
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		_ = s.db.WriteTx(ctx, func(tx *store.Tx) error { return store.TouchToken(ctx, tx, tid, t.ID, now) })
	}
	s.auth.put(token, p, now)
	return p, nil
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if p.SessionID == "" {
		return nil
	}
	sid, _ := strconv.ParseInt(p.SessionID, 10, 64)
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.DeleteSession(ctx, tx, p.Tenant.ID, cohort.ID(sid)); err != nil {
			return err
		}
		return s.audit(ctx, tx, "logout", cohort.ObjUser, p.User.ID, nil)
	})
}

// ChangePassword changes the caller's own password and ends their other
// sessions.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	hash, err := store.PasswordHash(ctx, s.db.Read(), p.Tenant.ID, p.User.ID)
	if err != nil {
		return err
	}
	if !checkPassword(hash, current) {
		return &cohort.Error{Code: cohort.EINVALID, Message: "current_password: is wrong",
			Fields: []cohort.FieldError{{Field: "current_password", Message: "is wrong"}}}
	}
	if err := cohort.ValidatePassword(next); err != nil {
		return err
	}
	newHash := s.hashPassword(next)
	sid, _ := strconv.ParseInt(p.SessionID, 10, 64)
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.SetPasswordHash(ctx, tx, p.Tenant.ID, p.User.ID, newHash, s.now()); err != nil {
			return err
		}
		if err := store.DeleteUserSessions(ctx, tx, p.Tenant.ID, p.User.ID, cohort.ID(sid)); err != nil {
			return err
		}
		return s.audit(ctx, tx, "change_password", cohort.ObjUser, p.User.ID, nil)
	})
}

// MeUpdate is what a user may change of themselves.
type MeUpdate struct {
	Name   *string `json:"name"`
	Phone  *string `json:"phone"`
	Locale *string `json:"locale"`
}

// UpdateMe changes the caller's own name, phone or language.
func (s *Service) UpdateMe(ctx context.Context, upd MeUpdate) (*cohort.User, error) {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	var out *cohort.User
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "users", p.Tenant.ID, p.User.ID); err != nil {
			return err
		}
		prev, err := store.FindUser(ctx, tx, p.Tenant.ID, p.User.ID)
		if err != nil {
			return err
		}
		u := *prev
		applyUserUpdate(&u, cohort.UserUpdate{Name: upd.Name, Phone: upd.Phone, Locale: upd.Locale})
		if err := u.Validate(); err != nil {
			return err
		}
		if err := store.UpdateUser(ctx, tx, &u, prev, s.now(), s.now()); err != nil {
			return err
		}
		out = &u
		return s.audit(ctx, tx, "update", cohort.ObjUser, u.ID, diff(prev, u))
	})
	return out, err
}

// CreateToken creates an API token for the caller. Its secret is in t.Secret
// only now. A token with a role gets at most what both the role and the user
// hold; ttl 0 means no expiry.
func (s *Service) CreateToken(ctx context.Context, t *cohort.APIToken, ttl time.Duration) error {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	if p.TokenID != 0 {
		return cohort.Errorf(cohort.EFORBIDDEN, "an API token cannot create tokens; log in")
	}
	var v cohort.Validation
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || len([]rune(t.Name)) > 100 {
		v.Add("name", "must be 1 to 100 characters")
	}
	if ttl < 0 || ttl > 5*365*24*time.Hour {
		v.Add("ttl_days", "must be 0 (no expiry) to 1825 days")
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := s.now()
	secret := newSecret()
	t.ID, t.TenantID, t.UserID = cohort.ID(s.db.NewID()), p.Tenant.ID, p.User.ID
	t.Prefix = secret[:6]
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if t.PermRoleID != 0 {
			if _, err := store.FindPermRole(ctx, tx, p.Tenant.ID, t.PermRoleID); err != nil {
				return cohort.Errorf(cohort.EINVALID, "perm_role_id: no such permission role")
			}
		}
		if err := store.InsertToken(ctx, tx, t, hashSecret(secret), now); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", "api_token", t.ID, diff(nil, t))
	})
	if err != nil {
		return err
	}
	t.Secret = tokenPrefix + p.Tenant.ID.String() + "." + secret
	return nil
}

// ListTokens lists the caller's tokens (without secrets).
func (s *Service) ListTokens(ctx context.Context) ([]*cohort.APIToken, error) {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	return store.ListTokens(ctx, s.db.Read(), p.Tenant.ID, p.User.ID)
}

// RevokeToken deletes one of the caller's tokens.
func (s *Service) RevokeToken(ctx context.Context, id cohort.ID) error {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.DeleteToken(ctx, tx, p.Tenant.ID, p.User.ID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", "api_token", id, nil)
	})
}

// EnsureFirstRun creates the first tenant and its administrator when the
// database has no tenant and an admin email and password are given. It
// reports whether it created one.
func (s *Service) EnsureFirstRun(ctx context.Context, email, password string) (bool, error) {
	if email == "" || password == "" {
		return false, nil
	}
	n, err := s.CountTenants(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	_, _, err = s.CreateTenant(ctx, NewTenant{
		Tenant:    cohort.Tenant{Name: "Cohort", Slug: "default"},
		AdminName: "Administrator", AdminEmail: email, AdminPassword: password,
	})
	if cohort.ErrorCode(err) == cohort.ECONFLICT {
		return false, nil // another server won the race
	}
	return err == nil, err
}
