// Package api serves Cohort's JSON API under /api/v1, the health and metrics
// endpoints and the embedded web UI. Handlers are thin: decode, call the
// service, respond. routes.go lists every route with its permission.
package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/obs"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/store"
)

// Inbox is the in-app notification inbox the API serves.
type Inbox interface {
	List(ctx context.Context, tenantID, userID cohort.ID, unreadOnly bool, cursor string, limit int, locale string) ([]cohort.Notification, string, error)
	UnreadCount(ctx context.Context, tenantID, userID cohort.ID) (int, error)
	MarkRead(ctx context.Context, tenantID, userID, id cohort.ID) error
	MarkAllRead(ctx context.Context, tenantID, userID cohort.ID) error
	ServeSSE(w http.ResponseWriter, r *http.Request, tenantID, userID cohort.ID, locale string)
}

// Options configure the server.
type Options struct {
	MaxBodyBytes int64
	// MaxUploadBytes caps a file upload's request body. [MaxImportBytes + 1 MiB]
	MaxUploadBytes int64
	SecureCookies  bool
	SessionTTL     time.Duration
	TrustedProxies []netip.Prefix
	MetricsToken   string
	// RateLimit is the requests a minute one session or API token may make,
	// in bursts of up to RateBurst. 0: no limit.
	RateLimit int
	RateBurst int
	// Signup offers the self-service sign-up (POST /api/v1/signup).
	Signup  bool
	Version string
	// UI is the built web app (web/dist); nil serves no UI.
	UI fs.FS
}

// Server is the HTTP face of Cohort.
type Server struct {
	svc     *service.Service
	inbox   Inbox
	log     *slog.Logger
	opt     Options
	metrics *obs.Registry
	routes  []Route
	handler http.Handler
	ready   func(ctx context.Context) error
	limits  *rateLimiter
}

// New returns a Server.
func New(svc *service.Service, inbox Inbox, log *slog.Logger, reg *obs.Registry, opt Options) *Server {
	if opt.MaxBodyBytes == 0 {
		opt.MaxBodyBytes = 1 << 20
	}
	if opt.SessionTTL == 0 {
		opt.SessionTTL = 12 * time.Hour
	}
	if opt.MaxUploadBytes == 0 {
		opt.MaxUploadBytes = service.MaxImportBytes + 1<<20
	}
	s := &Server{svc: svc, inbox: inbox, log: log, opt: opt, metrics: reg, limits: newRateLimiter(opt.RateLimit, opt.RateBurst)}
	s.routes = s.routeTable()
	s.handler = s.build()
	return s
}

// SetReady sets the readiness check behind /readyz.
func (s *Server) SetReady(f func(ctx context.Context) error) { s.ready = f }

// Routes returns the route table (for the OpenAPI document and tests).
func (s *Server) Routes() []Route { return s.routes }

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

const sessionCookie = "cohort_session"

func (s *Server) build() http.Handler {
	mux := http.NewServeMux()
	csrf := http.NewCrossOriginProtection()
	for _, rt := range s.routes {
		rt := rt
		h := http.Handler(rt.Handler)
		if rt.Idempotent {
			h = s.idempotent(h)
		}
		if !rt.Public {
			h = s.authenticate(h, csrf)
		}
		h = s.limitBody(h, rt.MaxBody)
		label := rt.Method + " " + rt.Path
		h = s.instrument(label, h)
		mux.Handle(rt.Method+" "+rt.Path, h)
	}
	// A path some route serves with another method is a 405; unknown API
	// paths are 404 problems; anything else is the UI.
	paths := http.NewServeMux()
	seen := map[string]bool{}
	for _, rt := range s.routes {
		if !seen[rt.Path] {
			seen[rt.Path] = true
			paths.Handle(rt.Path, http.NotFoundHandler())
		}
	}
	pathKnown := func(r *http.Request) bool {
		_, pattern := paths.Handler(r)
		return pattern != "" && pattern != "/"
	}
	ui := s.ui()
	mux.Handle("/", s.instrument("other", s.limitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case pathKnown(r):
			s.writeError(w, r, errorf("method_not_allowed", "method "+r.Method+" is not allowed on "+r.URL.Path))
		case strings.HasPrefix(r.URL.Path, "/api/"):
			s.writeError(w, r, cohort.Errorf(cohort.ENOTFOUND, "no such API route: %s %s", r.Method, r.URL.Path))
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			s.writeError(w, r, errorf("method_not_allowed", "method "+r.Method+" is not allowed on "+r.URL.Path))
		default:
			ui.ServeHTTP(w, r)
		}
	}), 0)))
	return s.base(mux)
}

// limitBody caps the request body at max bytes, or at MaxBodyBytes when max
// is 0: the limit is per route, so that uploads may be larger than JSON.
func (s *Server) limitBody(next http.Handler, max int64) http.Handler {
	if max == 0 {
		max = s.opt.MaxBodyBytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// base adds the request id, secure headers, body limit and panic recovery.
func (s *Server) base(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rid := r.Header.Get("X-Request-Id")
		if rid == "" || len(rid) > 64 || strings.ContainsFunc(rid, func(c rune) bool { return c < '!' || c > '~' }) {
			rid = newRequestID()
		}
		ctx := obs.WithRequestID(r.Context(), rid)
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("X-Request-Id", rid)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")
		if s.opt.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func requestID(ctx context.Context) string { return obs.RequestID(ctx) }

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush lets server-sent events through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// instrument counts and times requests per route and logs them.
func (s *Server) instrument(route string, next http.Handler) http.Handler {
	hist := s.metrics.Histogram("cohort_http_request_duration_seconds", "HTTP request latency by route.", obs.DurationBuckets, "route", route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		d := time.Since(start)
		hist.Observe(d.Seconds())
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.metrics.Counter("cohort_http_requests_total", "HTTP requests by route and status.", "route", route, "status", strconv.Itoa(sw.status)).Add(1)
		if route != "GET /healthz" && route != "GET /metrics" {
			s.log.LogAttrs(r.Context(), slog.LevelDebug, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Duration("took", d), slog.Int("bytes", sw.bytes))
		}
	})
}

// clientIP is the peer address, or the last untrusted X-Forwarded-For hop
// when the peer is a trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(addr) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(a) {
			return a.String()
		}
	}
	return host
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opt.TrustedProxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

func (s *Server) meta(r *http.Request) cohort.RequestMeta {
	return cohort.RequestMeta{IP: s.clientIP(r), UserAgent: r.UserAgent(), RequestID: requestID(r.Context())}
}

// authenticate turns a bearer token or a session cookie into a Principal.
// Cookie-authenticated writes must pass the cross-origin check.
func (s *Server) authenticate(next http.Handler, csrf *http.CrossOriginProtection) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var p *cohort.Principal
		var err error
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.writeError(w, r, cohort.Errorf(cohort.EUNAUTHORIZED, "the Authorization header must be 'Bearer <token>'"))
				return
			}
			p, err = s.svc.AuthenticateToken(ctx, strings.TrimSpace(tok))
		} else if c, cerr := r.Cookie(sessionCookie); cerr == nil {
			if err := csrf.Check(r); err != nil {
				s.writeError(w, r, cohort.Errorf(cohort.EFORBIDDEN, "cross-origin request refused"))
				return
			}
			p, err = s.svc.AuthenticateSession(ctx, c.Value)
			if err != nil {
				s.clearCookie(w)
			}
		} else {
			err = cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required: log in or send a bearer token")
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := s.limits.take(rateKey(p), time.Now()); err != nil {
			s.writeError(w, r, err)
			return
		}
		p.Meta = s.meta(r)
		next.ServeHTTP(w, r.WithContext(cohort.NewContext(ctx, p)))
	})
}

func (s *Server) setCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.opt.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.opt.SessionTTL.Seconds())})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.opt.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// idempotent makes a create safe to retry: the first response to an
// Idempotency-Key is stored and replayed for a retry with the same body.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 200 {
			s.writeError(w, r, cohort.Errorf(cohort.EBADREQUEST, "Idempotency-Key must be at most 200 characters"))
			return
		}
		p := cohort.PrincipalFrom(r.Context())
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s.writeError(w, r, jsonError(err))
			return
		}
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
		hash := hex.EncodeToString(sum[:])
		db, now := s.svc.DB(), s.svc.Clock().Now()
		var prior *store.IdempotentResponse
		err = db.WriteTx(r.Context(), func(tx *store.Tx) error {
			prior, err = store.ClaimIdempotencyKey(r.Context(), tx, p.Tenant.ID, p.User.ID, key, hash, now)
			return err
		})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if prior != nil {
			switch {
			case prior.RequestHash != hash:
				s.writeError(w, r, cohort.Errorf(cohort.EINVALID, "this Idempotency-Key was used with a different request"))
			case prior.Status == 0:
				s.writeError(w, r, cohort.Errorf(cohort.ECONFLICT, "a request with this Idempotency-Key is still running"))
			default:
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(prior.Status)
				_, _ = w.Write(prior.Body)
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		err = db.WriteTx(context.WithoutCancel(r.Context()), func(tx *store.Tx) error {
			return store.CompleteIdempotencyKey(r.Context(), tx, p.Tenant.ID, p.User.ID, key, status, rec.body.Bytes())
		})
		if err != nil {
			s.log.ErrorContext(r.Context(), "store idempotent response", "err", err)
		}
	})
}

type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// ui serves the embedded single-page app: files as they are, anything else
// that is not a file gets index.html so that client-side routes reload.
func (s *Server) ui() http.Handler {
	if s.opt.UI == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "the web UI is not built into this binary", http.StatusNotFound)
		})
	}
	files := http.FileServerFS(s.opt.UI)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" {
			if st, err := fs.Stat(s.opt.UI, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
		}
		b, err := fs.ReadFile(s.opt.UI, "index.html")
		if err != nil {
			http.Error(w, "the web UI is not built into this binary", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	})
}
