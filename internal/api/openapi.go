package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cohortcrm/cohort"
)

// OpenAPI builds the OpenAPI 3.1 document from the route table: paths from
// the routes, schemas by reflection over their request and response types.
func (s *Server) OpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	ops := map[string]bool{}
	for _, rt := range s.routes {
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
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Req))}}}
		}
		status := rt.Status
		if status == 0 {
			status = 200
		}
		okResp := map[string]any{"description": http.StatusText(status)}
		if rt.Resp != nil && status != 204 {
			okResp["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Resp))}}
		}
		responses := map[string]any{itoa(status): okResp,
			"default": map[string]any{"description": "a problem (RFC 9457)", "content": map[string]any{
				"application/problem+json": map[string]any{"schema": g.schema(reflect.TypeOf(Problem{}))}}}}
		op["responses"] = responses
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Cohort API", "version": "1", "description": "The JSON API of Cohort, a sales-performance CRM. " +
			"IDs are strings of digits; errors are RFC 9457 problem details with a stable `code`. " +
			"In the schemas, `required` lists the fields every response carries; request bodies may leave out " +
			"any field (the server validates and names what is missing)."},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie},
				"token":   map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
		"security": []any{map[string]any{"session": []any{}}, map[string]any{"token": []any{}}},
	}
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
	mu   sync.Mutex
	defs map[string]any
}

var (
	idType   = reflect.TypeOf(cohort.ID(0))
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

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

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == idType:
		return map[string]any{"type": "string", "pattern": "^[0-9]+$", "description": "id"}
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := g.schema(t.Elem())
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
			name = schemaName(t)
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
			props[name] = g.schema(f.Type)
			if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
				required = append(required, name)
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

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	respond(w, http.StatusOK, s.OpenAPI())
}
