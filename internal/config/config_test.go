package config_test

import (
	"bytes"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort/internal/config"
)

// env returns a getenv over m, with {dir} in values replaced by dir.
func env(m map[string]string, dir string) func(string) string {
	return func(k string) string { return strings.ReplaceAll(m[k], "{dir}", dir) }
}

// writeFiles writes files (name → content) into a temp folder and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDefaults(t *testing.T) {
	c, err := config.Load(nil, env(nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"DB", c.DB, "./cohort-data/cohort.db"},
		{"Addr", c.Addr, ":8080"},
		{"BaseURL", c.BaseURL, "http://localhost:8080"},
		{"LogLevel", c.LogLevel, "info"},
		{"LogFormat", c.LogFormat, "text"},
		{"SQLiteSync", c.SQLiteSync, "FULL"},
		{"DBReadConns", c.DBReadConns, 0},
		{"AdminEmail", c.AdminEmail, ""},
		{"AdminPassword", c.AdminPassword, ""},
		{"SessionTTL", c.SessionTTL, 12 * time.Hour},
		{"SessionIdleTTL", c.SessionIdleTTL, 2 * time.Hour},
		{"SecureCookies", c.SecureCookies, false},
		{"LoginMaxFailures", c.LoginMaxFailures, 5},
		{"LoginLockout", c.LoginLockout, 15 * time.Minute},
		{"LoginAddressMaxFailures", c.LoginAddressMaxFailures, 50},
		{"LoginAddressWindow", c.LoginAddressWindow, 15 * time.Minute},
		{"RateLimit", c.RateLimit, 1200},
		{"RateBurst", c.RateBurst, 200},
		{"Signup", c.Signup, false},
		{"MaxBodyBytes", c.MaxBodyBytes, int64(1 << 20)},
		{"ReadTimeout", c.ReadTimeout, 15 * time.Second},
		{"WriteTimeout", c.WriteTimeout, 30 * time.Second},
		{"IdleTimeout", c.IdleTimeout, 120 * time.Second},
		{"ShutdownTimeout", c.ShutdownTimeout, 20 * time.Second},
		{"AttachmentsDir", c.AttachmentsDir, "./cohort-data/files"},
		{"Demo", c.Demo, false},
		{"TrustedProxies", len(c.TrustedProxies), 0},
		{"MetricsToken", c.MetricsToken, ""},
		{"Args", len(c.Args), 0},
		{"Source(COHORT_DB)", c.Source("COHORT_DB"), config.SourceDefault},
		{"Source(COHORT_BASE_URL)", c.Source("COHORT_BASE_URL"), config.SourceDerived},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if err := config.Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		files map[string]string
		args  []string
		check func(t *testing.T, c *config.Config)
	}{
		{
			name: "env",
			env: map[string]string{
				"COHORT_DB":                 "postgres://cohort:s3cret@db:5432/cohort?sslmode=disable",
				"COHORT_ADDR":               "127.0.0.1:9090",
				"COHORT_LOG_LEVEL":          "DEBUG",
				"COHORT_LOG_FORMAT":         "json",
				"COHORT_SQLITE_SYNC":        "normal",
				"COHORT_DB_READ_CONNS":      "8",
				"COHORT_SESSION_TTL":        "24h",
				"COHORT_SESSION_IDLE_TTL":   "0",
				"COHORT_LOGIN_MAX_FAILURES": "3",
				"COHORT_LOGIN_LOCKOUT":      "1h",
				"COHORT_MAX_BODY_BYTES":     "4MiB",
				"COHORT_READ_TIMEOUT":       "5s",
				"COHORT_WRITE_TIMEOUT":      "1m",
				"COHORT_IDLE_TIMEOUT":       "0",
				"COHORT_SHUTDOWN_TIMEOUT":   "45s",
				"COHORT_ATTACHMENTS_DIR":    "/srv/files",
				"COHORT_DEMO":               "yes",
				"COHORT_TRUSTED_PROXIES":    "10.0.0.0/8, 192.168.1.7 ,fd00::/8",
			},
			check: func(t *testing.T, c *config.Config) {
				if c.DB != "postgres://cohort:s3cret@db:5432/cohort?sslmode=disable" || c.Addr != "127.0.0.1:9090" {
					t.Errorf("DB, Addr = %q, %q", c.DB, c.Addr)
				}
				if c.BaseURL != "http://127.0.0.1:9090" {
					t.Errorf("BaseURL = %q", c.BaseURL)
				}
				if c.LogLevel != "debug" || c.LogFormat != "json" || c.SQLiteSync != "NORMAL" || c.DBReadConns != 8 {
					t.Errorf("LogLevel %q LogFormat %q SQLiteSync %q DBReadConns %d", c.LogLevel, c.LogFormat, c.SQLiteSync, c.DBReadConns)
				}
				if c.SessionTTL != 24*time.Hour || c.SessionIdleTTL != 0 || c.LoginMaxFailures != 3 || c.LoginLockout != time.Hour {
					t.Errorf("sessions/logins: %v %v %d %v", c.SessionTTL, c.SessionIdleTTL, c.LoginMaxFailures, c.LoginLockout)
				}
				if c.MaxBodyBytes != 4<<20 {
					t.Errorf("MaxBodyBytes = %d", c.MaxBodyBytes)
				}
				if c.ReadTimeout != 5*time.Second || c.WriteTimeout != time.Minute || c.IdleTimeout != 0 || c.ShutdownTimeout != 45*time.Second {
					t.Errorf("timeouts %v %v %v %v", c.ReadTimeout, c.WriteTimeout, c.IdleTimeout, c.ShutdownTimeout)
				}
				if c.AttachmentsDir != "/srv/files" || !c.Demo {
					t.Errorf("AttachmentsDir %q Demo %v", c.AttachmentsDir, c.Demo)
				}
				if len(c.TrustedProxies) != 3 || c.TrustedProxies[1] != netip.MustParsePrefix("192.168.1.7/32") {
					t.Errorf("TrustedProxies = %v", c.TrustedProxies)
				}
				if c.Source("COHORT_DB") != config.SourceEnv {
					t.Errorf("Source(COHORT_DB) = %v", c.Source("COHORT_DB"))
				}
			},
		},
		{
			name: "flag overrides env",
			env:  map[string]string{"COHORT_ADDR": ":9000", "COHORT_LOG_LEVEL": "warn", "COHORT_DEMO": "false", "COHORT_DB_READ_CONNS": "2"},
			args: []string{"--addr", ":7000", "-log-level=error", "--demo", "--db-read-conns=6", "--session-ttl", "30m", "--session-idle-ttl=10m", "extra", "args"},
			check: func(t *testing.T, c *config.Config) {
				if c.Addr != ":7000" || c.LogLevel != "error" || !c.Demo || c.DBReadConns != 6 || c.SessionTTL != 30*time.Minute {
					t.Errorf("Addr %q LogLevel %q Demo %v DBReadConns %d SessionTTL %v", c.Addr, c.LogLevel, c.Demo, c.DBReadConns, c.SessionTTL)
				}
				if c.BaseURL != "http://localhost:7000" {
					t.Errorf("BaseURL = %q", c.BaseURL)
				}
				if got := strings.Join(c.Args, " "); got != "extra args" {
					t.Errorf("Args = %q", got)
				}
				if c.Source("COHORT_ADDR") != config.SourceFlag || c.Source("COHORT_DEMO") != config.SourceFlag {
					t.Errorf("sources %v %v", c.Source("COHORT_ADDR"), c.Source("COHORT_DEMO"))
				}
			},
		},
		{
			name: "a flag replaces a bad env value",
			env:  map[string]string{"COHORT_DB_READ_CONNS": "lots"},
			args: []string{"--db-read-conns=3"},
			check: func(t *testing.T, c *config.Config) {
				if c.DBReadConns != 3 {
					t.Errorf("DBReadConns = %d", c.DBReadConns)
				}
			},
		},
		{
			name:  "secrets from _FILE",
			files: map[string]string{"pw": "  correct horse battery\n", "token": "0123456789abcdef0123\n", "dsn": "postgres://u:p%40ss@h/db\n"},
			env: map[string]string{
				"COHORT_ADMIN_EMAIL":         "admin@example.com",
				"COHORT_ADMIN_PASSWORD_FILE": "{dir}/pw",
				"COHORT_METRICS_TOKEN_FILE":  "{dir}/token",
				"COHORT_DB_FILE":             "{dir}/dsn",
			},
			check: func(t *testing.T, c *config.Config) {
				if c.AdminPassword != "correct horse battery" || c.MetricsToken != "0123456789abcdef0123" || c.DB != "postgres://u:p%40ss@h/db" {
					t.Errorf("AdminPassword %q MetricsToken %q DB %q", c.AdminPassword, c.MetricsToken, c.DB)
				}
				if c.Source("COHORT_ADMIN_PASSWORD") != config.SourceFile || c.Source("COHORT_DB") != config.SourceFile {
					t.Errorf("sources %v %v", c.Source("COHORT_ADMIN_PASSWORD"), c.Source("COHORT_DB"))
				}
			},
		},
		{
			name:  "secret from a --*-file flag",
			files: map[string]string{"pw": "from-the-flag-file\n"},
			env:   map[string]string{"COHORT_ADMIN_EMAIL": "a@b.cn", "COHORT_ADMIN_PASSWORD": "from-the-env"},
			args:  []string{"--admin-password-file={dir}/pw"},
			check: func(t *testing.T, c *config.Config) {
				if c.AdminPassword != "from-the-flag-file" || c.Source("COHORT_ADMIN_PASSWORD") != config.SourceFile {
					t.Errorf("AdminPassword %q from %v", c.AdminPassword, c.Source("COHORT_ADMIN_PASSWORD"))
				}
			},
		},
		{
			name: "https base URL makes cookies secure",
			env:  map[string]string{"COHORT_BASE_URL": "https://crm.example.com/"},
			check: func(t *testing.T, c *config.Config) {
				if c.BaseURL != "https://crm.example.com" || !c.SecureCookies || c.Source("COHORT_SECURE_COOKIES") != config.SourceDerived {
					t.Errorf("BaseURL %q SecureCookies %v (%v)", c.BaseURL, c.SecureCookies, c.Source("COHORT_SECURE_COOKIES"))
				}
			},
		},
		{
			name: "secure cookies set explicitly",
			env:  map[string]string{"COHORT_BASE_URL": "https://crm.example.com", "COHORT_SECURE_COOKIES": "false"},
			check: func(t *testing.T, c *config.Config) {
				if c.SecureCookies {
					t.Error("SecureCookies = true, want false as set")
				}
			},
		},
		{
			name: "base URL derived from an IPv6 address",
			args: []string{"--addr=[::1]:8443"},
			check: func(t *testing.T, c *config.Config) {
				if c.BaseURL != "http://[::1]:8443" {
					t.Errorf("BaseURL = %q", c.BaseURL)
				}
			},
		},
		{
			name: "sizes",
			args: []string{"--max-body-bytes=2048"},
			check: func(t *testing.T, c *config.Config) {
				if c.MaxBodyBytes != 2048 {
					t.Errorf("MaxBodyBytes = %d", c.MaxBodyBytes)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "{dir}", dir)
			}
			c, err := config.Load(args, env(tt.env, dir))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		files map[string]string
		args  []string
		want  []string // each must be in the error
		never []string // none may be in the error (secrets)
	}{
		{name: "not a number", env: map[string]string{"COHORT_DB_READ_CONNS": "many"}, want: []string{"COHORT_DB_READ_CONNS", `"many"`}},
		{name: "negative", env: map[string]string{"COHORT_DB_READ_CONNS": "-1"}, want: []string{"COHORT_DB_READ_CONNS", "from 0"}},
		{name: "log level", env: map[string]string{"COHORT_LOG_LEVEL": "verbose"}, want: []string{"COHORT_LOG_LEVEL", "debug, info, warn, error", `"verbose"`}},
		{name: "log level by flag", args: []string{"--log-level", "loud"}, want: []string{"--log-level", `"loud"`}},
		{name: "log format", env: map[string]string{"COHORT_LOG_FORMAT": "xml"}, want: []string{"COHORT_LOG_FORMAT"}},
		{name: "sqlite sync", env: map[string]string{"COHORT_SQLITE_SYNC": "OFF"}, want: []string{"COHORT_SQLITE_SYNC", "FULL, NORMAL"}},
		{name: "duration", env: map[string]string{"COHORT_SESSION_TTL": "12 hours"}, want: []string{"COHORT_SESSION_TTL", "not a duration"}},
		{name: "zero duration", env: map[string]string{"COHORT_READ_TIMEOUT": "0"}, want: []string{"COHORT_READ_TIMEOUT", "more than 0"}},
		{name: "idle longer than session", env: map[string]string{"COHORT_SESSION_IDLE_TTL": "24h"}, want: []string{"COHORT_SESSION_IDLE_TTL", "longer than"}},
		{name: "bool", env: map[string]string{"COHORT_DEMO": "maybe"}, want: []string{"COHORT_DEMO", "true or false"}},
		{name: "size", env: map[string]string{"COHORT_MAX_BODY_BYTES": "1 lot"}, want: []string{"COHORT_MAX_BODY_BYTES", "not a size"}},
		{name: "tiny size", env: map[string]string{"COHORT_MAX_BODY_BYTES": "10"}, want: []string{"COHORT_MAX_BODY_BYTES", "at least 1KiB"}},
		{name: "login failures", env: map[string]string{"COHORT_LOGIN_MAX_FAILURES": "0"}, want: []string{"COHORT_LOGIN_MAX_FAILURES"}},
		{name: "common admin password", env: map[string]string{"COHORT_ADMIN_EMAIL": "a@b.test", "COHORT_ADMIN_PASSWORD": "password1"}, want: []string{"COHORT_ADMIN_PASSWORD"}},
		{name: "address limit below the account's", env: map[string]string{"COHORT_LOGIN_ADDRESS_MAX_FAILURES": "3"}, want: []string{"COHORT_LOGIN_ADDRESS_MAX_FAILURES"}},
		{name: "negative rate limit", env: map[string]string{"COHORT_RATE_LIMIT": "-1"}, want: []string{"COHORT_RATE_LIMIT"}},
		{name: "no burst", env: map[string]string{"COHORT_RATE_BURST": "0"}, want: []string{"COHORT_RATE_BURST"}},
		{name: "trusted proxies", env: map[string]string{"COHORT_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, want: []string{"COHORT_TRUSTED_PROXIES", `"proxy.local"`}},
		{name: "addr", env: map[string]string{"COHORT_ADDR": "8080"}, want: []string{"COHORT_ADDR", "host:port"}},
		{name: "addr port", args: []string{"--addr=:http-alt"}, want: []string{"--addr", "port"}},
		{name: "base URL", env: map[string]string{"COHORT_BASE_URL": "crm.example.com"}, want: []string{"COHORT_BASE_URL", "http://"}},
		{name: "other database", env: map[string]string{"COHORT_DB": "mysql://root@db/cohort"}, want: []string{"COHORT_DB", "postgres://"}},
		{name: "email without password", env: map[string]string{"COHORT_ADMIN_EMAIL": "a@b.cn"}, want: []string{"COHORT_ADMIN_EMAIL", "COHORT_ADMIN_PASSWORD"}},
		{name: "bad email", env: map[string]string{"COHORT_ADMIN_EMAIL": "admin", "COHORT_ADMIN_PASSWORD": "long enough"}, want: []string{"COHORT_ADMIN_EMAIL", "not an email"}},
		{
			name:  "short password",
			env:   map[string]string{"COHORT_ADMIN_EMAIL": "a@b.cn", "COHORT_ADMIN_PASSWORD": "pw1234"},
			want:  []string{"COHORT_ADMIN_PASSWORD", "at least 8"},
			never: []string{"pw1234"},
		},
		{
			name:  "short token from file",
			files: map[string]string{"tok": "shorttoken\n"},
			env:   map[string]string{"COHORT_METRICS_TOKEN_FILE": "{dir}/tok"},
			want:  []string{"COHORT_METRICS_TOKEN_FILE", "at least 16"},
			never: []string{"shorttoken"},
		},
		{
			name:  "both value and file",
			files: map[string]string{"pw": "secret-one"},
			env:   map[string]string{"COHORT_ADMIN_PASSWORD": "secret-two", "COHORT_ADMIN_PASSWORD_FILE": "{dir}/pw"},
			want:  []string{"COHORT_ADMIN_PASSWORD and COHORT_ADMIN_PASSWORD_FILE"},
			never: []string{"secret-one", "secret-two"},
		},
		{name: "missing file", env: map[string]string{"COHORT_ADMIN_PASSWORD_FILE": "{dir}/nope"}, want: []string{"COHORT_ADMIN_PASSWORD_FILE", "no such file"}},
		{name: "empty file", files: map[string]string{"pw": " \n"}, env: map[string]string{"COHORT_METRICS_TOKEN_FILE": "{dir}/pw"}, want: []string{"COHORT_METRICS_TOKEN_FILE", "empty"}},
		{name: "missing file by flag", args: []string{"--metrics-token-file={dir}/nope"}, want: []string{"-metrics-token-file", "no such file"}},
		{name: "no secret on the command line", args: []string{"--admin-password=hunter22"}, want: []string{"--admin-password-file", "COHORT_ADMIN_PASSWORD_FILE"}, never: []string{"hunter22"}},
		{name: "unknown flag", args: []string{"--colour"}, want: []string{"colour"}},
		{name: "flag value", args: []string{"--session-ttl=forever"}, want: []string{"-session-ttl", "not a duration"}},
		{
			name:  "postgres URL that does not parse",
			env:   map[string]string{"COHORT_DB": "postgres://u:pa ss@h:port/db"},
			want:  []string{"COHORT_DB", "not a valid URL"},
			never: []string{"pa ss"},
		},
		{
			name: "every problem at once",
			env:  map[string]string{"COHORT_LOG_LEVEL": "x", "COHORT_LOG_FORMAT": "y"},
			want: []string{"COHORT_LOG_LEVEL", "COHORT_LOG_FORMAT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "{dir}", dir)
			}
			c, err := config.Load(args, env(tt.env, dir))
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q reveals %q", err, n)
				}
			}
		})
	}
}

func TestHelp(t *testing.T) {
	_, err := config.Load([]string{"-h"}, env(nil, ""))
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load(-h) = %v, want flag.ErrHelp", err)
	}
	var b bytes.Buffer
	config.Usage(&b)
	for _, w := range []string{"--db", "COHORT_DB", "--admin-password-file", "COHORT_METRICS_TOKEN"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("usage lacks %q:\n%s", w, b.String())
		}
	}
}

func TestDump(t *testing.T) {
	dir := writeFiles(t, map[string]string{"token": "tok-0123456789abcdef-secret"})
	c, err := config.Load([]string{"--demo"}, env(map[string]string{
		"COHORT_DB":                 "postgres://cohort:hunter2pg@db.internal:5432/cohort?sslmode=require&password=qpass123",
		"COHORT_ADMIN_EMAIL":        "admin@example.com",
		"COHORT_ADMIN_PASSWORD":     "admin-pass-secret",
		"COHORT_METRICS_TOKEN_FILE": "{dir}/token",
	}, dir))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := c.Dump(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, secret := range []string{"hunter2pg", "qpass123", "admin-pass-secret", "tok-0123456789abcdef-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("dump reveals %q:\n%s", secret, out)
		}
	}
	lines := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		lines[f[0]] = f[1:]
	}
	want := map[string][]string{
		"COHORT_DB":              {"postgres://cohort:xxxxx@db.internal:5432/cohort?password=xxxxx&sslmode=require", "env"},
		"COHORT_ADDR":            {":8080", "default"},
		"COHORT_BASE_URL":        {"http://localhost:8080", "derived"},
		"COHORT_ADMIN_EMAIL":     {"admin@example.com", "env"},
		"COHORT_ADMIN_PASSWORD":  {"********", "env"},
		"COHORT_METRICS_TOKEN":   {"********", "file"},
		"COHORT_DEMO":            {"true", "flag"},
		"COHORT_SESSION_TTL":     {"12h", "default"},
		"COHORT_MAX_BODY_BYTES":  {"1MiB", "default"},
		"COHORT_ATTACHMENTS_DIR": {"./cohort-data/files", "default"},
		"COHORT_TRUSTED_PROXIES": {`""`, "default"},
	}
	for k, w := range want {
		if strings.Join(lines[k], " ") != strings.Join(w, " ") {
			t.Errorf("dump line %s = %q, want %q", k, lines[k], w)
		}
	}
	if len(lines) != len(config.Doc()) {
		t.Errorf("dump has %d lines, want one per setting (%d):\n%s", len(lines), len(config.Doc()), out)
	}
}

func TestMaskDSN(t *testing.T) {
	for in, want := range map[string]string{
		"./cohort-data/cohort.db":              "./cohort-data/cohort.db",
		"postgres://u@h/db":                    "postgres://u@h/db",
		"postgresql://u:p@h:5432/db":           "postgresql://u:xxxxx@h:5432/db",
		"postgres://u:p%20q@h/db?sslmode=none": "postgres://u:xxxxx@h/db?sslmode=none",
	} {
		if got := config.MaskDSN(in); got != want {
			t.Errorf("MaskDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsTrustedProxy(t *testing.T) {
	c, err := config.Load([]string{"--trusted-proxies=10.1.0.0/16,::1"}, env(nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{
		"10.1.2.3": true, "10.2.0.1": false, "::1": true, "::ffff:10.1.0.9": true, "192.168.0.1": false,
	} {
		if got := c.IsTrustedProxy(netip.MustParseAddr(ip)); got != want {
			t.Errorf("IsTrustedProxy(%s) = %v, want %v", ip, got, want)
		}
	}
}

func TestSlogLevel(t *testing.T) {
	c := config.Default()
	c.LogLevel = "warn"
	if got := c.SlogLevel().String(); got != "WARN" {
		t.Errorf("SlogLevel = %s", got)
	}
}
