package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Code      string              `json:"code"`
	Detail    string              `json:"detail"`
	RequestID string              `json:"request_id"`
	Errors    []cohort.FieldError `json:"errors,omitempty"`
	// Choices are the values to pick from and retry with (the companies of
	// a login that matches several).
	Choices []cohort.Choice `json:"choices,omitempty"`
}

// codes maps each error code to its HTTP status and its problem title and
// stable code in the body. This is the one place that does so.
var codes = map[string]struct {
	status int
	code   string
	title  string
}{
	cohort.EINVALID:         {http.StatusUnprocessableEntity, "validation", "Validation failed"},
	cohort.EBADREQUEST:      {http.StatusBadRequest, "bad_request", "Bad request"},
	"invalid_json":          {http.StatusBadRequest, "invalid_json", "Malformed JSON"},
	cohort.EUNAUTHORIZED:    {http.StatusUnauthorized, "unauthorized", "Authentication required"},
	cohort.EFORBIDDEN:       {http.StatusForbidden, "forbidden", "Forbidden"},
	cohort.ENOTFOUND:        {http.StatusNotFound, "not_found", "Not found"},
	"method_not_allowed":    {http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed"},
	cohort.ECONFLICT:        {http.StatusConflict, "conflict", "Conflict"},
	cohort.EPRECONDITION:    {http.StatusPreconditionFailed, "precondition_failed", "Precondition failed"},
	cohort.ETOOLARGE:        {http.StatusRequestEntityTooLarge, "too_large", "Request body too large"},
	cohort.EUNSUPPORTEDTYPE: {http.StatusUnsupportedMediaType, "unsupported_media_type", "Unsupported media type"},
	cohort.ERATELIMIT:       {http.StatusTooManyRequests, "rate_limited", "Too many requests"},
	cohort.EINTERNAL:        {http.StatusInternalServerError, "internal", "Internal error"},
	"busy":                  {http.StatusServiceUnavailable, "busy", "Database busy"},
}

// busyRetry is the Retry-After of an answer the database was too busy to give.
const busyRetry = 2 * time.Second

// writeError answers with the problem for err. Errors without a code are
// logged with the request id and shown only as "Internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The client went away mid-request: nobody reads the answer, and it
		// is not a server error. (Whatever was committed stays committed.)
		s.log.DebugContext(r.Context(), "client gone", "err", err, "method", r.Method, "path", r.URL.Path)
		w.WriteHeader(499)
		return
	}
	code := cohort.ErrorCode(err)
	if code == cohort.EINTERNAL && store.IsBusy(err) {
		// Another connection (a long job: a fact rebuild, an import) held
		// the lock past the wait allowed: the request changed nothing and
		// may be sent again.
		msg := "The database is busy with a long job (a fact rebuild or an import); nothing was changed. Try again in a moment."
		if strings.HasPrefix(r.Header.Get("Accept-Language"), "zh") {
			msg = "数据库正忙于一项长任务（重算指标事实或导入），本次操作未做任何更改，请稍后重试。"
		}
		err = &cohort.Error{Code: "busy", RetryAfter: busyRetry, Message: msg}
		code = "busy"
	}
	c, ok := codes[code]
	if !ok {
		c = codes[cohort.EINTERNAL]
	}
	p := Problem{
		Type: "https://cohort.dev/problems/" + c.code, Title: c.title, Status: c.status, Code: c.code,
		Detail: cohort.ErrorMessage(err), RequestID: requestID(r.Context()),
	}
	var e *cohort.Error
	if errors.As(err, &e) {
		p.Errors, p.Choices = e.Fields, e.Choices
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
		}
	}
	if c.status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "err", err, "method", r.Method, "path", r.URL.Path)
	} else {
		s.log.DebugContext(r.Context(), "request refused", "code", c.code, "detail", p.Detail)
	}
	if c.status == http.StatusUnauthorized && r.Header.Get("Authorization") != "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cohort"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(c.status)
	_ = json.NewEncoder(w).Encode(p)
}

// errorf builds an error with one of the HTTP-only codes.
func errorf(code, msg string) error { return &cohort.Error{Code: code, Message: msg} }

var _ = slog.Default
