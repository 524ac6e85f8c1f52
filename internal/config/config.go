// Package config holds the settings of a Cohort server: their defaults, how
// they are read from flags and COHORT_* environment variables (secrets also
// from files), their validation, and a dump with secrets masked for the log.
//
// Every setting is declared once, in the settings table below; the flags, the
// environment variables, the dump and the README's configuration table are
// all generated from it, so they cannot drift apart.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cohortcrm/cohort"
)

// EnvPrefix starts the name of every environment variable Cohort reads.
const EnvPrefix = "COHORT_"

// Config is the configuration of one Cohort server. Build it with Load (or
// Default in tests); it is not changed after that.
type Config struct {
	// DB is a SQLite file path or a postgres:// URL.
	DB string
	// Addr is the address the HTTP server listens on.
	Addr string
	// BaseURL is the public URL of the server, without a trailing slash, used
	// in links that leave the browser (emails, webhooks). Derived from Addr when
	// not set.
	BaseURL string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is text or json.
	LogFormat string
	// SQLiteSync is SQLite's synchronous pragma: FULL or NORMAL.
	SQLiteSync string
	// DBReadConns caps the read pool; 0 lets the store choose per engine.
	DBReadConns int
	// SQLiteReadCacheMB is the SQLite page cache of the whole read pool, in
	// MiB, shared out among its connections.
	SQLiteReadCacheMB int
	// SQLiteBatch is the most write requests one SQLite commit holds (group
	// commit); 1 turns batching off.
	SQLiteBatch int
	// SQLiteBatchWait bounds how long a SQLite batch waits for more requests.
	SQLiteBatchWait time.Duration
	// AdminEmail and AdminPassword name the first administrator, created when
	// the database has no user yet.
	AdminEmail    string
	AdminPassword string
	// SessionTTL is the longest a browser session lives; SessionIdleTTL ends it
	// earlier when it is not used for that long (0: no idle limit).
	SessionTTL     time.Duration
	SessionIdleTTL time.Duration
	// SecureCookies marks session cookies Secure. Defaults to true when BaseURL
	// is https.
	SecureCookies bool
	// LoginMaxFailures failed logins within LoginLockout lock an account (and
	// source address) for LoginLockout.
	LoginMaxFailures int
	LoginLockout     time.Duration
	// LoginAddressMaxFailures failed logins from one client address lock the
	// address for LoginLockout; the count decays by that many every
	// LoginAddressWindow. 0 turns the address limit off.
	LoginAddressMaxFailures int
	LoginAddressWindow      time.Duration
	// RateLimit is the requests a minute one session or API token may make,
	// with bursts of up to RateBurst; past it a request is answered 429. 0
	// turns the limit off.
	RateLimit int
	RateBurst int
	// Signup shows the self-service sign-up page that creates a company.
	Signup bool
	// MaxBodyBytes caps a request body (attachments have their own limit).
	MaxBodyBytes int64
	// HTTP server timeouts. WriteTimeout does not suit long-lived streams; the
	// event stream lifts it per request with http.ResponseController.
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	// AttachmentsDir is where uploaded files are kept.
	AttachmentsDir string
	// Demo creates the demo tenant when the database is empty.
	Demo bool
	// TrustedProxies lists the networks whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string

	// Args are the command-line arguments left after the flags.
	Args []string

	sources map[string]Source // by environment variable name
	origins map[string]string // by environment variable name: where the value came from, for messages
}

// Source says where a setting's value came from.
type Source string

// Sources.
const (
	SourceDefault Source = "default"
	SourceEnv     Source = "env"
	SourceFlag    Source = "flag"
	SourceFile    Source = "file"    // COHORT_<NAME>_FILE or --<name>-file
	SourceDerived Source = "derived" // computed from other settings
)

// Default returns the configuration used when nothing is set, before the
// values derived from other settings (BaseURL, SecureCookies) are filled in.
func Default() *Config {
	return &Config{
		DB:                      "./cohort-data/cohort.db",
		Addr:                    ":8080",
		LogLevel:                "info",
		LogFormat:               "text",
		SQLiteSync:              "FULL",
		SQLiteBatch:             64,
		SQLiteReadCacheMB:       96,
		SQLiteBatchWait:         200 * time.Microsecond,
		SessionTTL:              12 * time.Hour,
		SessionIdleTTL:          2 * time.Hour,
		LoginMaxFailures:        5,
		LoginLockout:            15 * time.Minute,
		LoginAddressMaxFailures: 50,
		LoginAddressWindow:      15 * time.Minute,
		RateLimit:               1200,
		RateBurst:               200,
		MaxBodyBytes:            1 << 20,
		ReadTimeout:             15 * time.Second,
		WriteTimeout:            30 * time.Second,
		IdleTimeout:             120 * time.Second,
		ShutdownTimeout:         20 * time.Second,
		AttachmentsDir:          "./cohort-data/files",
	}
}

// setting declares one configuration setting.
type setting struct {
	env  string // without EnvPrefix
	flag string // without dashes; a secret's flag takes a file: --<flag>-file
	// secret values are masked in the dump, may come from COHORT_<NAME>_FILE,
	// and are never given on the command line (where ps would show them).
	secret bool
	// fileOK lets a non-secret setting come from a file too (DB, whose URL
	// may hold a password).
	fileOK bool
	// def describes the default when it is not simply the default value.
	def   string
	desc  string
	value func(c *Config) value
}

func (s setting) envName() string { return EnvPrefix + s.env }
func (s setting) readsFile() bool { return s.secret || s.fileOK }

// settings is the one list of Cohort's settings, in the order of the dump and
// the README.
var settings = []setting{
	{env: "DB", flag: "db", fileOK: true, desc: "SQLite file path, or a `postgres://` URL for PostgreSQL. A URL's password is masked in logs.",
		value: func(c *Config) value { return (*dsnValue)(&c.DB) }},
	{env: "ADDR", flag: "addr", desc: "Address the HTTP server listens on.",
		value: func(c *Config) value { return (*stringValue)(&c.Addr) }},
	{env: "BASE_URL", flag: "base-url", def: "`http://localhost` + port of addr", desc: "Public URL of the server, used in links in emails and webhooks.",
		value: func(c *Config) value { return (*stringValue)(&c.BaseURL) }},
	{env: "LOG_LEVEL", flag: "log-level", desc: "`debug`, `info`, `warn` or `error`.",
		value: func(c *Config) value { return (*lowerValue)(&c.LogLevel) }},
	{env: "LOG_FORMAT", flag: "log-format", desc: "`text` or `json`.",
		value: func(c *Config) value { return (*lowerValue)(&c.LogFormat) }},
	{env: "SQLITE_SYNC", flag: "sqlite-sync", desc: "SQLite `synchronous` pragma: `FULL` (a confirmed write survives power loss) or `NORMAL` (faster; may lose the last writes on power loss).",
		value: func(c *Config) value { return (*upperValue)(&c.SQLiteSync) }},
	{env: "SQLITE_BATCH", flag: "sqlite-batch", desc: "Group commit on SQLite: the most concurrent write requests that share one durable commit, each in a savepoint of its own; `1` gives every request its own commit.",
		value: func(c *Config) value { return (*intValue)(&c.SQLiteBatch) }},
	{env: "SQLITE_BATCH_WAIT", flag: "sqlite-batch-wait", desc: "How long a SQLite batch waits for another request while writes arrive concurrently (`0s`: never).",
		value: func(c *Config) value { return (*durationValue)(&c.SQLiteBatchWait) }},
	{env: "DB_READ_CONNS", flag: "db-read-conns", def: "`0`: 4 per CPU for SQLite, 20 for PostgreSQL", desc: "Size of the read connection pool.",
		value: func(c *Config) value { return (*intValue)(&c.DBReadConns) }},
	{env: "SQLITE_READ_CACHE_MB", flag: "sqlite-read-cache-mb", desc: "SQLite page cache of the whole read pool in MiB, shared out among its connections (at least 4 MiB each). Each connection keeps its own cache, so this bounds most of the server's memory; the operating system's file cache serves the rest.",
		value: func(c *Config) value { return (*intValue)(&c.SQLiteReadCacheMB) }},
	{env: "ADMIN_EMAIL", flag: "admin-email", desc: "Email of the first administrator, created when the database has no user yet.",
		value: func(c *Config) value { return (*stringValue)(&c.AdminEmail) }},
	{env: "ADMIN_PASSWORD", flag: "admin-password", secret: true, desc: "Password of the first administrator (at least 8 characters, not one of the most common passwords).",
		value: func(c *Config) value { return (*stringValue)(&c.AdminPassword) }},
	{env: "SESSION_TTL", flag: "session-ttl", desc: "Longest life of a browser session.",
		value: func(c *Config) value { return (*durationValue)(&c.SessionTTL) }},
	{env: "SESSION_IDLE_TTL", flag: "session-idle-ttl", desc: "A session unused for this long ends; `0` turns the idle limit off.",
		value: func(c *Config) value { return (*durationValue)(&c.SessionIdleTTL) }},
	{env: "SECURE_COOKIES", flag: "secure-cookies", def: "`true` when base URL is `https://`", desc: "Mark session cookies `Secure`.",
		value: func(c *Config) value { return (*boolValue)(&c.SecureCookies) }},
	{env: "LOGIN_MAX_FAILURES", flag: "login-max-failures", desc: "Failed logins that lock an account for the lockout time.",
		value: func(c *Config) value { return (*intValue)(&c.LoginMaxFailures) }},
	{env: "LOGIN_LOCKOUT", flag: "login-lockout", desc: "How long a locked account stays locked.",
		value: func(c *Config) value { return (*durationValue)(&c.LoginLockout) }},
	{env: "LOGIN_ADDRESS_MAX_FAILURES", flag: "login-address-max-failures", desc: "Failed logins from one client address (over all accounts) that lock the address for the lockout time; the count goes down by this many every address window. `0` turns it off.",
		value: func(c *Config) value { return (*intValue)(&c.LoginAddressMaxFailures) }},
	{env: "LOGIN_ADDRESS_WINDOW", flag: "login-address-window", desc: "Time in which an address's count of failed logins decays by its limit.",
		value: func(c *Config) value { return (*durationValue)(&c.LoginAddressWindow) }},
	{env: "RATE_LIMIT", flag: "rate-limit", desc: "Requests a minute one session or API token may make (per server); past it the answer is `429` with `Retry-After`. `0` turns it off.",
		value: func(c *Config) value { return (*intValue)(&c.RateLimit) }},
	{env: "RATE_BURST", flag: "rate-burst", desc: "Requests one session or API token may make at once above the rate limit's pace.",
		value: func(c *Config) value { return (*intValue)(&c.RateBurst) }},
	{env: "SIGNUP", flag: "signup", desc: "Offer the self-service sign-up page, on which anyone may create a company and become its administrator.",
		value: func(c *Config) value { return (*boolValue)(&c.Signup) }},
	{env: "MAX_BODY_BYTES", flag: "max-body-bytes", desc: "Largest request body accepted; a number of bytes or e.g. `512KiB`, `4MiB`.",
		value: func(c *Config) value { return (*sizeValue)(&c.MaxBodyBytes) }},
	{env: "READ_TIMEOUT", flag: "read-timeout", desc: "Longest time to read a request, body included.",
		value: func(c *Config) value { return (*durationValue)(&c.ReadTimeout) }},
	{env: "WRITE_TIMEOUT", flag: "write-timeout", desc: "Longest time to write a response (the event stream is exempt).",
		value: func(c *Config) value { return (*durationValue)(&c.WriteTimeout) }},
	{env: "IDLE_TIMEOUT", flag: "idle-timeout", desc: "How long an idle keep-alive connection stays open.",
		value: func(c *Config) value { return (*durationValue)(&c.IdleTimeout) }},
	{env: "SHUTDOWN_TIMEOUT", flag: "shutdown-timeout", desc: "How long a stopping server waits for requests and jobs in flight.",
		value: func(c *Config) value { return (*durationValue)(&c.ShutdownTimeout) }},
	{env: "ATTACHMENTS_DIR", flag: "attachments-dir", desc: "Folder for uploaded files.",
		value: func(c *Config) value { return (*stringValue)(&c.AttachmentsDir) }},
	{env: "DEMO", flag: "demo", desc: "Create the demo tenant when the database is empty.",
		value: func(c *Config) value { return (*boolValue)(&c.Demo) }},
	{env: "TRUSTED_PROXIES", flag: "trusted-proxies", def: "none", desc: "Comma-separated networks (CIDR or single addresses) whose `X-Forwarded-For` is believed.",
		value: func(c *Config) value { return (*prefixesValue)(&c.TrustedProxies) }},
	{env: "METRICS_TOKEN", flag: "metrics-token", secret: true, def: "none: `/metrics` is open", desc: "Bearer token that `/metrics` requires (at least 16 characters).",
		value: func(c *Config) value { return (*stringValue)(&c.MetricsToken) }},
}

// Load reads the configuration from the environment (through getenv; nil
// means os.Getenv) and then from args, the command-line flags, which win. It
// fills in derived values and validates the result. The arguments left after
// the flags are in Args. A -h or --help flag gives an error that is
// flag.ErrHelp; print Usage then.
func Load(args []string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Default()
	c.sources = map[string]Source{}
	c.origins = map[string]string{}
	// Errors by variable, so that a flag can override a bad environment value.
	envErrs := map[string]error{}
	for _, s := range settings {
		name := s.envName()
		raw, origin, src := getenv(name), name, SourceEnv
		if s.readsFile() {
			if path := getenv(name + "_FILE"); path != "" {
				if raw != "" {
					envErrs[name] = fmt.Errorf("%s and %s_FILE are both set; set one", name, name)
					continue
				}
				b, err := os.ReadFile(path)
				if err != nil {
					envErrs[name] = fmt.Errorf("%s_FILE: %w", name, err)
					continue
				}
				raw, origin, src = strings.TrimSpace(string(b)), name+"_FILE", SourceFile
				if raw == "" {
					envErrs[name] = fmt.Errorf("%s_FILE: %s is empty", name, path)
					continue
				}
			}
		}
		if raw == "" {
			continue
		}
		if err := s.value(c).Set(raw); err != nil {
			envErrs[name] = fmt.Errorf("%s: %w", origin, err)
			continue
		}
		c.sources[name], c.origins[name] = src, origin
	}

	fs := c.flagSet(func(s setting, src Source, origin string) {
		delete(envErrs, s.envName())
		c.sources[s.envName()], c.origins[s.envName()] = src, origin
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		for _, s := range settings {
			if s.secret && strings.HasSuffix(err.Error(), "not defined: -"+s.flag) {
				return nil, fmt.Errorf("command line: --%s: secrets are not taken on the command line, where other users can see them; use --%s-file, %s or %s_FILE", s.flag, s.flag, s.envName(), s.envName())
			}
		}
		return nil, fmt.Errorf("command line: %w", err)
	}
	c.Args = fs.Args()

	if len(envErrs) > 0 {
		var errs []error
		for _, s := range settings { // in a stable order
			if err := envErrs[s.envName()]; err != nil {
				errs = append(errs, err)
			}
		}
		return nil, errors.Join(errs...)
	}
	c.derive()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// flagSet returns the flags of every setting, bound to c. set is called for
// each flag given.
func (c *Config) flagSet(set func(s setting, src Source, origin string)) *flag.FlagSet {
	fs := flag.NewFlagSet("cohort", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // the caller prints Usage on flag.ErrHelp
	for _, s := range settings {
		if s.secret {
			fs.Var(&fileFlag{v: s.value(c), done: func() { set(s, SourceFile, "--"+s.flag+"-file") }},
				s.flag+"-file", "file holding "+strings.TrimSuffix(lowerFirst(s.desc), "."))
			continue
		}
		fs.Var(&flagValue{v: s.value(c), done: func() { set(s, SourceFlag, "--"+s.flag) }}, s.flag, s.desc)
	}
	return fs
}

// Usage writes the flags with their environment variables and defaults.
func Usage(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Flags (each also read from its environment variable; flags win):")
	for _, d := range Doc() {
		env, desc := d.Env, d.Description
		if d.File != "" {
			env += "[_FILE]"
		}
		if d.Secret {
			desc = "File holding the " + lowerFirst(desc)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s (default %s)\n", d.Flag, env, stripTicks(desc), stripTicks(d.Default))
	}
	tw.Flush()
}

// derive fills in the settings whose default depends on others.
func (c *Config) derive() {
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.BaseURL == "" {
		c.BaseURL = baseURLFromAddr(c.Addr)
		c.setSource("BASE_URL", SourceDerived)
	}
	if c.Source(EnvPrefix+"SECURE_COOKIES") == SourceDefault {
		c.SecureCookies = strings.HasPrefix(strings.ToLower(c.BaseURL), "https://")
		c.setSource("SECURE_COOKIES", SourceDerived)
	}
}

func (c *Config) setSource(env string, s Source) {
	if c.sources == nil {
		c.sources = map[string]Source{}
	}
	c.sources[EnvPrefix+env] = s
}

func baseURLFromAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	if port == "80" {
		port = ""
	}
	if port == "" {
		if strings.Contains(host, ":") {
			return "http://[" + host + "]"
		}
		return "http://" + host
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Source reports where the setting with environment variable env (e.g.
// "COHORT_DB") got its value.
func (c *Config) Source(env string) Source {
	if s, ok := c.sources[env]; ok {
		return s
	}
	return SourceDefault
}

// origin names where a setting came from, for error messages: the flag or
// the environment variable that set it, or the variable that would have.
func (c *Config) origin(env string) string {
	if o := c.origins[EnvPrefix+env]; o != "" {
		return o
	}
	return EnvPrefix + env
}

// Validate checks every setting and reports all problems at once, each
// naming the variable or flag to fix.
func (c *Config) Validate() error {
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", c.origin(env), fmt.Sprintf(format, args...)))
	}

	switch {
	case c.DB == "":
		bad("DB", "must name a SQLite file or a postgres:// URL")
	case isPostgres(c.DB):
		if _, err := url.Parse(c.DB); err != nil {
			bad("DB", "not a valid URL: %v", maskURLError(err))
		}
	case strings.Contains(c.DB, "://"):
		bad("DB", "only SQLite file paths and postgres:// URLs are supported")
	}

	if host, port, err := net.SplitHostPort(c.Addr); err != nil {
		bad("ADDR", "%q is not host:port (e.g. :8080 or 127.0.0.1:8080)", c.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("ADDR", "port %q is not a number from 0 to 65535", port)
	} else if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		bad("ADDR", "%q is not a host name or IP address", host)
	}

	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		switch {
		case err != nil:
			bad("BASE_URL", "%q is not a URL", c.BaseURL)
		case u.Scheme != "http" && u.Scheme != "https":
			bad("BASE_URL", "must start with http:// or https://, not %q", c.BaseURL)
		case u.Host == "":
			bad("BASE_URL", "%q has no host", c.BaseURL)
		case u.RawQuery != "" || u.Fragment != "":
			bad("BASE_URL", "must not have a query or fragment")
		}
	}

	oneOf := func(env, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad(env, "must be one of %s, not %q", strings.Join(allowed, ", "), v)
	}
	oneOf("LOG_LEVEL", c.LogLevel, "debug", "info", "warn", "error")
	oneOf("LOG_FORMAT", c.LogFormat, "text", "json")
	oneOf("SQLITE_SYNC", c.SQLiteSync, "FULL", "NORMAL")

	if c.SQLiteBatch < 1 || c.SQLiteBatch > 1000 {
		bad("SQLITE_BATCH", "must be from 1 (no batching) to 1000, not %d", c.SQLiteBatch)
	}
	if c.SQLiteBatchWait < 0 || c.SQLiteBatchWait > 100*time.Millisecond {
		bad("SQLITE_BATCH_WAIT", "must be from 0s to 100ms, not %s", c.SQLiteBatchWait)
	}
	if c.SQLiteReadCacheMB < 1 || c.SQLiteReadCacheMB > 1<<20 {
		bad("SQLITE_READ_CACHE_MB", "must be from 1 to 1048576 MiB, not %d", c.SQLiteReadCacheMB)
	}
	if c.DBReadConns < 0 || c.DBReadConns > 1000 {
		bad("DB_READ_CONNS", "must be from 0 (engine default) to 1000, not %d", c.DBReadConns)
	}

	if c.AdminEmail != "" {
		if at := strings.LastIndexByte(c.AdminEmail, '@'); at < 1 || at == len(c.AdminEmail)-1 || strings.ContainsAny(c.AdminEmail, " \t<>") {
			bad("ADMIN_EMAIL", "%q is not an email address", c.AdminEmail)
		}
	}
	if c.AdminPassword != "" {
		if c.AdminEmail == "" {
			bad("ADMIN_PASSWORD", "is set but COHORT_ADMIN_EMAIL is not")
		}
		if n := len([]rune(c.AdminPassword)); n < cohort.MinPasswordLength {
			bad("ADMIN_PASSWORD", "must be at least %d characters, not %d", cohort.MinPasswordLength, n)
		} else if cohort.CommonPassword(c.AdminPassword) {
			bad("ADMIN_PASSWORD", "is one of the most common passwords; choose another")
		}
	} else if c.AdminEmail != "" {
		bad("ADMIN_EMAIL", "is set but COHORT_ADMIN_PASSWORD (or COHORT_ADMIN_PASSWORD_FILE) is not")
	}

	positive := func(env string, d time.Duration) {
		if d <= 0 {
			bad(env, "must be more than 0, not %s", d)
		}
	}
	positive("SESSION_TTL", c.SessionTTL)
	if c.SessionIdleTTL < 0 {
		bad("SESSION_IDLE_TTL", "must be 0 (off) or more, not %s", c.SessionIdleTTL)
	} else if c.SessionIdleTTL > c.SessionTTL && c.SessionTTL > 0 {
		bad("SESSION_IDLE_TTL", "%s is longer than COHORT_SESSION_TTL %s", c.SessionIdleTTL, c.SessionTTL)
	}
	if c.LoginMaxFailures < 1 {
		bad("LOGIN_MAX_FAILURES", "must be at least 1, not %d", c.LoginMaxFailures)
	}
	positive("LOGIN_LOCKOUT", c.LoginLockout)
	if c.LoginAddressMaxFailures < 0 {
		bad("LOGIN_ADDRESS_MAX_FAILURES", "must be 0 (off) or more, not %d", c.LoginAddressMaxFailures)
	} else if c.LoginAddressMaxFailures > 0 && c.LoginAddressMaxFailures < c.LoginMaxFailures {
		bad("LOGIN_ADDRESS_MAX_FAILURES", "%d is below COHORT_LOGIN_MAX_FAILURES %d; an address's limit is the higher one", c.LoginAddressMaxFailures, c.LoginMaxFailures)
	}
	positive("LOGIN_ADDRESS_WINDOW", c.LoginAddressWindow)
	if c.RateLimit < 0 {
		bad("RATE_LIMIT", "must be 0 (off) or more, not %d", c.RateLimit)
	}
	if c.RateBurst < 1 {
		bad("RATE_BURST", "must be at least 1, not %d", c.RateBurst)
	}
	if c.MaxBodyBytes < 1024 {
		bad("MAX_BODY_BYTES", "must be at least 1KiB, not %d bytes", c.MaxBodyBytes)
	}
	positive("READ_TIMEOUT", c.ReadTimeout)
	positive("WRITE_TIMEOUT", c.WriteTimeout)
	if c.IdleTimeout < 0 {
		bad("IDLE_TIMEOUT", "must be 0 (use the read timeout) or more, not %s", c.IdleTimeout)
	}
	positive("SHUTDOWN_TIMEOUT", c.ShutdownTimeout)
	if c.AttachmentsDir == "" {
		bad("ATTACHMENTS_DIR", "must name a folder")
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		bad("METRICS_TOKEN", "must be at least 16 characters, not %d", len(c.MetricsToken))
	}
	return errors.Join(errs...)
}

// SlogLevel returns LogLevel as a slog.Level.
func (c *Config) SlogLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// IsTrustedProxy reports whether a request from ip may set X-Forwarded-For.
func (c *Config) IsTrustedProxy(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range c.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Dump writes every setting, its value and where the value came from, one per
// line, with secrets masked. It is meant for the log at start.
func (c *Config) Dump(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range settings {
		v := s.value(c).String()
		switch {
		case s.secret && v != "":
			v = "********"
		case s.env == "DB":
			v = MaskDSN(v)
		}
		if v == "" {
			v = `""`
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.envName(), v, c.Source(s.envName()))
	}
	return tw.Flush()
}

// MaskDSN hides the password of a postgres:// URL; other values pass
// through.
func MaskDSN(dsn string) string {
	if !isPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable URL hidden)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// maskURLError drops the URL, which may hold a password, from a parse error.
func maskURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Setting describes one setting for documentation.
type Setting struct {
	Env         string // COHORT_DB
	File        string // COHORT_DB_FILE, when the value may come from a file
	Flag        string // --db; a secret's flag takes a file
	Default     string
	Description string
	Secret      bool
}

// Doc lists every setting in order, for the README and --help.
func Doc() []Setting {
	d := Default()
	out := make([]Setting, 0, len(settings))
	for _, s := range settings {
		st := Setting{Env: s.envName(), Flag: "--" + s.flag, Default: s.def, Description: s.desc, Secret: s.secret}
		if s.readsFile() {
			st.File = s.envName() + "_FILE"
		}
		if s.secret {
			st.Flag += "-file"
		}
		if st.Default == "" {
			st.Default = "none"
			if v := s.value(d).String(); v != "" {
				st.Default = "`" + v + "`"
			}
		}
		out = append(out, st)
	}
	return out
}

// Markdown renders Doc as the README's configuration table.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| environment variable | flag | default | meaning |\n")
	b.WriteString("| --- | --- | --- | --- |\n")
	for _, d := range Doc() {
		env := "`" + d.Env + "`"
		if d.File != "" {
			env += "<br>`" + d.File + "`"
		}
		desc := d.Description
		if d.Secret {
			desc += " Secret: masked in the dump; give it in a file rather than the environment where you can."
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", env, d.Flag, d.Default, strings.ReplaceAll(desc, "|", `\|`))
	}
	return b.String()
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func stripTicks(s string) string { return strings.ReplaceAll(s, "`", "") }
