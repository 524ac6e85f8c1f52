package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
)

// OpenAPI builds the OpenAPI 3.1 document from the route table: paths from
// the routes, schemas by reflection over their request and response types.
//
// Response schemas list in `required` the fields every response carries.
// Request schemas are generated apart (a type used both ways gets an "Input"
// twin): they list in `required` only fields tagged `openapi:"required"`,
// which the server refuses a request without, and carry an example built
// from `example:"..."` tags and the field types (TestOpenAPIRequestExamples
// decodes every one into its route's request type).
func (s *Server) OpenAPI() map[string]any {
	g := newSchemaGen()
	// Responses first, so that a type used by both learns it has a twin.
	okResps := make([]map[string]any, len(s.routes))
	for i, rt := range s.routes {
		status := rt.Status
		if status == 0 {
			status = 200
		}
		okResp := map[string]any{"description": http.StatusText(status)}
		if rt.Resp != nil && status != 204 {
			okResp["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Resp))}}
		}
		okResps[i] = okResp
	}
	problem := g.schema(reflect.TypeOf(Problem{}))
	g.req = true
	paths := map[string]map[string]any{}
	ops := map[string]bool{}
	usedResponses := map[int]bool{}
	for i, rt := range s.routes {
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt, ops),
			"tags":        []string{tagOf(rt.Path)},
		}
		if rt.Perm != "" {
			op["description"] = "Requires permission `" + rt.Perm + "`; rows outside the caller's data scope are not found."
		}
		if rt.Public {
			op["security"] = []any{}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
				"schema": map[string]any{"type": "string", "pattern": "^[0-9]+$"}})
		}
		if rt.List {
			for _, p := range []struct{ name, desc string }{
				{"filter", "field:op:value (op: " + strings.Join(cohort.FilterOps, ", ") + "); repeatable"},
				{"sort", "comma-separated fields, '-' for descending"},
				{"q", "free-text match"},
				{"cursor", "next_cursor of the previous page"},
				{"limit", "page size, 1 to 200"},
				{"count", "true adds total {n, exact}: the rows matching the filters, search and scope (exact up to 100000, else n is that bound and exact is false)"},
			} {
				params = append(params, map[string]any{"name": p.name, "in": "query", "description": p.desc, "schema": map[string]any{"type": "string"}})
			}
		}
		if rt.Method == "PATCH" || rt.Method == "DELETE" {
			params = append(params, map[string]any{"name": "If-Match", "in": "header", "description": "ETag of the version you changed; a stale one gets 412",
				"schema": map[string]any{"type": "string"}})
		}
		if rt.Idempotent {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "description": "a retry with the same key and body returns the first response",
				"schema": map[string]any{"type": "string", "maxLength": 200}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Req != nil {
			t := reflect.TypeOf(rt.Req)
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(t), "example": exampleOf(t)}}}
		}
		responses := map[string]any{itoa(okStatus(rt)): okResps[i],
			"default": map[string]any{"description": "a problem (RFC 9457)", "content": map[string]any{
				"application/problem+json": map[string]any{"schema": problem}}}}
		for _, st := range problemStatuses(rt) {
			responses[itoa(st)] = map[string]any{"$ref": "#/components/responses/" + problemResponseName(st)}
			usedResponses[st] = true
		}
		op["responses"] = responses
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	responses := map[string]any{}
	for st := range usedResponses {
		responses[problemResponseName(st)] = map[string]any{"description": http.StatusText(st) + " (a problem, RFC 9457)",
			"content": map[string]any{"application/problem+json": map[string]any{"schema": problem}}}
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Cohort API", "version": "1", "description": "The JSON API of Cohort, a sales-performance CRM. " +
			"IDs are strings of digits; times are RFC 3339 strings; errors are RFC 9457 problem details with a stable `code`. " +
			"In response schemas, `required` lists the fields every response carries; in request schemas, it lists the fields " +
			"the server refuses a request without (it validates the rest too and names any field it refuses)."},
		"servers": []any{map[string]any{"url": "/", "description": "the Cohort server that serves this document"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":   g.defs,
			"responses": responses,
			"securitySchemes": map[string]any{
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie},
				"token":   map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
		"security": []any{map[string]any{"session": []any{}}, map[string]any{"token": []any{}}},
	}
}

func okStatus(rt Route) int {
	if rt.Status == 0 {
		return 200
	}
	return rt.Status
}

// problemStatuses are the 4xx answers a route can give, from the problem
// codes of problem.go: who may call it, what it reads and what it writes.
func problemStatuses(rt Route) []int {
	var out []int
	add := func(st int) {
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	body := rt.Req != nil || rt.MaxBody != 0 // a JSON body, or a multipart upload
	write := rt.Method != "GET"
	if body || rt.List || (rt.Method == "PATCH" || rt.Method == "DELETE") || rt.Idempotent {
		add(http.StatusBadRequest) // invalid_json, bad_request: malformed body, filter, If-Match or key
	}
	if !rt.Public {
		add(http.StatusUnauthorized)
	}
	if !rt.Public && rt.Perm != "" {
		add(http.StatusForbidden)
	}
	if pathParam.MatchString(rt.Path) {
		add(http.StatusNotFound)
	}
	if write && !rt.Public && (body || rt.Idempotent || rt.Method == "DELETE") {
		add(http.StatusConflict) // a duplicate, a state that forbids it, or a retry still running
	}
	if rt.Method == "PATCH" || rt.Method == "DELETE" {
		add(http.StatusPreconditionFailed)
	}
	if body {
		add(http.StatusRequestEntityTooLarge)
		add(http.StatusUnsupportedMediaType)
	}
	if body || rt.List || rt.Idempotent {
		add(http.StatusUnprocessableEntity)
	}
	if rt.Public && body {
		add(http.StatusTooManyRequests) // login attempts are limited
	}
	if rt.Path == "/metrics" {
		add(http.StatusUnauthorized) // with a metrics token configured
	}
	sort.Ints(out)
	return out
}

func problemResponseName(st int) string {
	return strings.ReplaceAll(http.StatusText(st), " ", "")
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func tagOf(p string) string {
	parts := strings.Split(strings.TrimPrefix(p, "/api/v1/"), "/")
	if strings.HasPrefix(p, "/api/v1/") && len(parts) > 0 {
		return parts[0]
	}
	return "system"
}

func operationID(rt Route, seen map[string]bool) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, part := range strings.Split(strings.TrimPrefix(rt.Path, "/api/v1"), "/") {
		part = strings.Trim(part, "{}")
		for _, w := range strings.FieldsFunc(part, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	id := b.String()
	for seen[id] {
		id += "X"
	}
	seen[id] = true
	return id
}

type schemaGen struct {
	defs map[string]any
	// req is set while request bodies are described.
	req bool
	// names maps each named schema to its Go type, so that two types of one
	// name (api.ticketInput, service.TicketInput) get two schemas.
	names map[string]reflect.Type
	// byType maps a type (and mode) to its schema name.
	byType map[typeMode]string
}

type typeMode struct {
	t   reflect.Type
	req bool
}

func newSchemaGen() *schemaGen {
	return &schemaGen{defs: map[string]any{}, names: map[string]reflect.Type{}, byType: map[typeMode]string{}}
}

var (
	idType   = reflect.TypeOf(cohort.ID(0))
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

// isTime tells a type that travels as an RFC 3339 string: time.Time and any
// struct that only wraps one (cohortTime), which decode from such strings.
func isTime(t reflect.Type) bool {
	if t == timeType {
		return true
	}
	return t.Kind() == reflect.Struct && t.NumField() == 1 && t.Field(0).Anonymous && t.Field(0).Type == timeType
}

func schemaName(t reflect.Type) string {
	n := t.Name()
	if i := strings.IndexByte(n, '['); i >= 0 {
		// listOf[github.com/.../cohort.User] -> UserList
		inner := n[i+1 : len(n)-1]
		inner = inner[strings.LastIndexByte(inner, '.')+1:]
		inner = strings.TrimPrefix(inner, "*")
		return strings.ToUpper(inner[:1]) + inner[1:] + "List"
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

// nameFor gives the schema name of a named struct type in the current mode.
func (g *schemaGen) nameFor(t reflect.Type) string {
	if n, ok := g.byType[typeMode{t, g.req}]; ok {
		return n
	}
	name := schemaName(t)
	if g.req {
		if _, ok := g.byType[typeMode{t, false}]; ok {
			if strings.HasSuffix(name, "Input") {
				name += "Body" // the request twin of a response schema
			} else {
				name += "Input"
			}
		}
	}
	if other, ok := g.names[name]; ok && other != t {
		pkg := t.PkgPath()
		pkg = pkg[strings.LastIndexByte(pkg, '/')+1:]
		name = strings.ToUpper(pkg[:1]) + pkg[1:] + name
	}
	for base, i := name, 2; g.names[name] != nil && g.names[name] != t; i++ {
		name = base + itoa(i)
	}
	g.names[name] = t
	g.byType[typeMode{t, g.req}] = name
	return name
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == idType:
		return map[string]any{"type": "string", "pattern": "^[0-9]+$", "description": "id"}
	case isTime(t):
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := g.schema(t.Elem())
		if len(inner) == 0 { // any value, null included
			return inner
		}
		return map[string]any{"oneOf": []any{inner, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := ""
		if t.Name() != "" {
			name = g.nameFor(t)
		}
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		if _, ok := g.defs[name]; ok && name != "" {
			return ref
		}
		if name != "" {
			g.defs[name] = map[string]any{} // placeholder for recursion
		}
		props := map[string]any{}
		var required []string
		for _, f := range jsonFields(t) {
			props[f.name] = g.schema(f.Type)
			if g.req && f.required || !g.req && !f.omitempty && f.Type.Kind() != reflect.Pointer {
				required = append(required, f.name)
			}
		}
		sort.Strings(required)
		def := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			def["required"] = required
		}
		if name == "" { // an anonymous struct is described in place
			return def
		}
		g.defs[name] = def
		return ref
	}
	return map[string]any{}
}

type jsonField struct {
	reflect.StructField
	name                string
	omitempty, required bool
}

// jsonFields lists the fields of a struct as encoding/json sees them.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{StructField: f, name: name, omitempty: strings.Contains(opts, "omitempty"),
			required: f.Tag.Get("openapi") == "required"})
	}
	return out
}

// exampleOf builds an example value of a request type: each field from its
// `example:"..."` tag (JSON, or else a string), or a plausible value of its
// type. Pointers are followed, so that optional fields show their form too.
func exampleOf(t reflect.Type) any { return example(t, "", "", 0) }

func example(t reflect.Type, field, tag string, depth int) any {
	if tag != "" {
		var v any
		if t.Kind() != reflect.String && json.Unmarshal([]byte(tag), &v) == nil {
			return v
		}
		return tag
	}
	switch {
	case t == idType:
		return "1"
	case isTime(t):
		return "2026-11-25T08:30:00+08:00"
	case t == rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return example(t.Elem(), field, "", depth)
	case reflect.String:
		switch {
		case strings.HasSuffix(field, "_date") || field == "date":
			return "2026-11-25"
		case strings.Contains(field, "email"):
			return "ana@example.com"
		}
		return ""
	case reflect.Bool:
		return false
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint32, reflect.Uint64, reflect.Float64, reflect.Float32:
		return 0
	case reflect.Slice:
		if depth > 3 {
			return []any{}
		}
		return []any{example(t.Elem(), field, "", depth+1)}
	case reflect.Map:
		return map[string]any{}
	case reflect.Struct:
		obj := map[string]any{}
		if depth > 3 {
			return obj
		}
		for _, f := range jsonFields(t) {
			if f.Type.Kind() == reflect.Interface {
				continue
			}
			obj[f.name] = example(f.Type, f.name, f.Tag.Get("example"), depth+1)
		}
		return obj
	}
	return nil
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	respond(w, http.StatusOK, s.OpenAPI())
}
