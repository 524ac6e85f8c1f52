package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/cohortcrm/cohort"
)

// decode reads a JSON body into v: one object, no unknown fields, within the
// size limit.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errorf(cohort.EUNSUPPORTEDTYPE, "the body must be application/json")
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errorf("invalid_json", "the body must hold exactly one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf("invalid_json", "the body must hold exactly one JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var maxErr *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var ce *cohort.Error
	switch {
	case errors.As(err, &maxErr):
		return errorf(cohort.ETOOLARGE, fmt.Sprintf("the body is larger than %d bytes", maxErr.Limit))
	case errors.Is(err, io.EOF):
		return errorf("invalid_json", "the body is empty; send a JSON object")
	case errors.As(err, &syn):
		return errorf("invalid_json", fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf("invalid_json", "malformed JSON: the body ends early")
	case errors.As(err, &typ):
		return &cohort.Error{Code: "invalid_json", Message: fmt.Sprintf("%s: must be %s", typ.Field, jsonKind(typ.Type.Kind().String())),
			Fields: []cohort.FieldError{{Field: typ.Field, Message: "must be " + jsonKind(typ.Type.Kind().String())}}}
	case errors.As(err, &ce):
		return &cohort.Error{Code: "invalid_json", Message: ce.Message}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &cohort.Error{Code: "invalid_json", Message: fmt.Sprintf("unknown field %q", f),
			Fields: []cohort.FieldError{{Field: f, Message: "unknown field"}}}
	}
	return errorf("invalid_json", "malformed JSON")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "int32", "uint32", "float64":
		return "a number"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}

// respond writes v as JSON with status.
func respond(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"code":"internal"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// respondVersioned writes a single versioned object with its ETag.
func respondVersioned(w http.ResponseWriter, status int, v any, version int) {
	w.Header().Set("ETag", etag(version))
	respond(w, status, v)
}

func etag(version int) string { return `"v` + strconv.Itoa(version) + `"` }

// ifMatch returns the version named by If-Match (0 when absent). A
// malformed header is a 400; "*" matches any version.
func ifMatch(r *http.Request) (int, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	h = strings.TrimPrefix(h, "W/")
	n, err := strconv.Atoi(strings.TrimPrefix(strings.Trim(h, `"`), "v"))
	if err != nil || n <= 0 {
		return 0, errorf(cohort.EBADREQUEST, `If-Match must be an ETag such as "v3"`)
	}
	return n, nil
}

// pathID parses the {id} path value; a malformed id is a 404, like any id
// that is not there.
func pathID(r *http.Request, name string) (cohort.ID, error) {
	id, err := cohort.ParseID(r.PathValue(name))
	if err != nil {
		return 0, cohort.Errorf(cohort.ENOTFOUND, "not found: %q is not an id", r.PathValue(name))
	}
	return id, nil
}

// listQuery parses the shared filter, sort and paging syntax.
func listQuery(r *http.Request, extra ...string) (cohort.ListQuery, error) {
	q := r.URL.Query()
	lq := cohort.ListQuery{Q: q.Get("q"), Cursor: q.Get("cursor")}
	switch q.Get("count") {
	case "", "false", "0":
	case "true", "1":
		lq.Total = &cohort.Total{}
	default:
		return lq, cohort.Errorf(cohort.EBADREQUEST, "count must be true or false")
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > cohort.MaxLimit {
			return lq, cohort.Errorf(cohort.EBADREQUEST, "limit must be a number from 1 to %d", cohort.MaxLimit)
		}
		lq.Limit = n
	}
	for _, f := range q["filter"] {
		parts := strings.SplitN(f, ":", 3)
		if len(parts) < 2 {
			return lq, cohort.Errorf(cohort.EBADREQUEST, "filter %q must be field:op:value", f)
		}
		flt := cohort.Filter{Field: parts[0], Op: parts[1]}
		known := false
		for _, op := range cohort.FilterOps {
			known = known || op == flt.Op
		}
		if !known {
			return lq, cohort.Errorf(cohort.EBADREQUEST, "unknown filter operator %q; use one of %s", flt.Op, strings.Join(cohort.FilterOps, ", "))
		}
		if len(parts) == 3 {
			if flt.Op == "in" {
				flt.Values = strings.Split(parts[2], "|")
			} else {
				flt.Values = []string{parts[2]}
			}
		} else if flt.Op != "isnull" && flt.Op != "notnull" {
			return lq, cohort.Errorf(cohort.EBADREQUEST, "filter %q needs a value", f)
		}
		lq.Filters = append(lq.Filters, flt)
	}
	// Plain query parameters named in extra are shorthand for field:eq:value.
	for _, name := range extra {
		if v := q.Get(name); v != "" {
			lq.Filters = append(lq.Filters, cohort.Filter{Field: name, Op: "eq", Values: []string{v}})
		}
	}
	if s := q.Get("sort"); s != "" {
		for _, k := range strings.Split(s, ",") {
			k = strings.TrimSpace(k)
			desc := strings.HasPrefix(k, "-")
			k = strings.TrimLeft(k, "-+")
			if k == "" {
				return lq, cohort.Errorf(cohort.EBADREQUEST, "sort %q names no field", s)
			}
			lq.Sort = append(lq.Sort, cohort.SortKey{Field: k, Desc: desc})
		}
	}
	return lq, nil
}
