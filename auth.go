package cohort

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/trustelem/zxcvbn/frequency"
)

// APIToken authenticates an integration. The secret is shown once at creation
// and stored only as a hash.
type APIToken struct {
	ID         ID         `json:"id"`
	TenantID   ID         `json:"tenant_id"`
	UserID     ID         `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	PermRoleID ID         `json:"perm_role_id"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
	// Secret is set only in the response that creates the token.
	Secret string `json:"secret,omitempty"`
}

// AuthService authenticates people and integrations.
//
// Errors: EUNAUTHORIZED for wrong credentials, disabled users and expired or
// revoked sessions (never saying which); ERATELIMIT after too many failures.
type AuthService interface {
	// Login checks credentials and starts a session; it returns the secret
	// session token for the cookie.
	Login(ctx context.Context, email, password, tenantSlug string) (token string, p *Principal, err error)
	Logout(ctx context.Context) error
	// Authenticate turns a session token or an API token into a Principal.
	AuthenticateSession(ctx context.Context, token string) (*Principal, error)
	AuthenticateToken(ctx context.Context, token string) (*Principal, error)
	ChangePassword(ctx context.Context, current, next string) error
	CreateToken(ctx context.Context, t *APIToken, ttl time.Duration) error
	ListTokens(ctx context.Context) ([]*APIToken, error)
	RevokeToken(ctx context.Context, id ID) error
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// ValidatePasswordFor checks a new password and refuses one equal to the
// account's email (or the email's name part) or the company's name, or any
// other personal string given, ignoring case and spaces (ASVS V6.2).
func ValidatePasswordFor(pw, email, company string, more ...string) error {
	if err := ValidatePassword(pw); err != nil {
		return err
	}
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }
	p := norm(pw)
	local, _, _ := strings.Cut(email, "@")
	for _, s := range append([]string{email, local, company}, more...) {
		if s = norm(s); s != "" && p == s {
			var v Validation
			v.Add("password", "must not be your email or your company's name")
			return v.Err()
		}
	}
	return nil
}

// ValidatePassword checks a new password: 8 characters to 256 bytes, and
// not one of the 30,000 most common passwords (ignoring case).
func ValidatePassword(pw string) error {
	var v Validation
	if len([]rune(pw)) < MinPasswordLength {
		v.Add("password", "must be at least %d characters", MinPasswordLength)
	} else if CommonPassword(pw) {
		v.Add("password", "is one of the most common passwords; choose another")
	}
	if len(pw) > 256 {
		v.Add("password", "must be at most 256 bytes")
	}
	return v.Err()
}

// CommonPassword reports whether pw, ignoring case, is one of the 30,000
// most common passwords (zxcvbn's list, embedded in the binary).
func CommonPassword(pw string) bool {
	commonOnce.Do(func() {
		list := frequency.FrequencyLists["passwords"]
		common = make(map[string]struct{}, len(list))
		for _, p := range list {
			common[strings.ToLower(p)] = struct{}{}
		}
	})
	_, ok := common[strings.ToLower(pw)]
	return ok
}

var (
	commonOnce sync.Once
	common     map[string]struct{}
)
