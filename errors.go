package cohort

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Every error a client can act on carries one; anything else is
// internal and shown only as "Internal error".
const (
	EINVALID         = "invalid"      // the request is malformed or fails validation
	EBADREQUEST      = "bad_request"  // the request cannot be understood (bad query parameter, unknown filter)
	EUNAUTHORIZED    = "unauthorized" // no valid credentials
	EFORBIDDEN       = "forbidden"    // authenticated but not allowed
	ENOTFOUND        = "not_found"    // no such object in the caller's tenant
	ECONFLICT        = "conflict"     // the request conflicts with the current state
	EPRECONDITION    = "precondition_failed"
	ERATELIMIT       = "rate_limited"
	ETOOLARGE        = "too_large"
	EINTERNAL        = "internal"
	EUNSUPPORTEDTYPE = "unsupported_media_type"
)

// Error is an application error with a stable code.
type Error struct {
	Code    string
	Message string
	// Fields names the offending fields of a validation error.
	Fields []FieldError
	// RetryAfter tells a rate-limited client when to try again (0: not said).
	RetryAfter time.Duration
	// Choices are the values a client may pick from to retry (the companies
	// of a login whose email and password match several).
	Choices []Choice
}

// Choice is one value a client may pick, with its label.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// FieldError is one field's validation failure.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("cohort: code=%s message=%s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or
// "Internal error" for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error"
}

// Validation collects field errors and turns them into one EINVALID error.
type Validation struct{ fields []FieldError }

// Add records a failure of field.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing failed, else an EINVALID *Error listing the fields.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msg := v.fields[0].Field + ": " + v.fields[0].Message
	if len(v.fields) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(v.fields)-1)
	}
	return &Error{Code: EINVALID, Message: msg, Fields: v.fields}
}
