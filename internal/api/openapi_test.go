package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// TestOpenAPIDocument checks the served document: OpenAPI 3.1, every route of
// the table present with a unique operationId, every $ref resolving, and
// every schema well-formed.
func TestOpenAPIDocument(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db)
	anon := &client{e: e, http: e.srv.Client()}
	res := anon.do("GET", "/api/v1/openapi.json", nil, nil)
	if res.status != 200 {
		t.Fatalf("openapi.json: %d", res.status)
	}
	var doc map[string]any
	res.json(t, &doc)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	responses := doc["components"].(map[string]any)["responses"].(map[string]any)
	opIDs := map[string]bool{}
	for _, rt := range e.api.Routes() {
		item, ok := paths[rt.Path].(map[string]any)
		if !ok {
			t.Errorf("path %s missing", rt.Path)
			continue
		}
		op, ok := item[strings.ToLower(rt.Method)].(map[string]any)
		if !ok {
			t.Errorf("%s %s missing", rt.Method, rt.Path)
			continue
		}
		id, _ := op["operationId"].(string)
		if id == "" || opIDs[id] {
			t.Errorf("%s %s: operationId %q empty or repeated", rt.Method, rt.Path, id)
		}
		opIDs[id] = true
		if _, ok := op["responses"].(map[string]any)["default"]; !ok {
			t.Errorf("%s %s: no problem response", rt.Method, rt.Path)
		}
		if !rt.Public {
			if _, ok := op["responses"].(map[string]any)["401"]; !ok {
				t.Errorf("%s %s: no 401 response", rt.Method, rt.Path)
			}
		}
		if strings.Contains(rt.Path, "{id}") {
			found := false
			for _, p := range op["parameters"].([]any) {
				found = found || p.(map[string]any)["name"] == "id"
			}
			if !found {
				t.Errorf("%s %s: path parameter id undeclared", rt.Method, rt.Path)
			}
		}
	}
	// Every $ref resolves; every schema has a known type or is a composition.
	var walk func(v any, where string)
	walk = func(v any, where string) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				found := false
				if name, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok {
					_, found = schemas[name]
				} else if name, ok := strings.CutPrefix(ref, "#/components/responses/"); ok {
					_, found = responses[name]
				}
				if !found {
					t.Errorf("%s: unresolved $ref %s", where, ref)
				}
			}
			if typ, ok := x["type"].(string); ok {
				switch typ {
				case "object", "array", "string", "integer", "number", "boolean", "null":
				default:
					t.Errorf("%s: unknown type %q", where, typ)
				}
				if typ == "array" && x["items"] == nil {
					t.Errorf("%s: array without items", where)
				}
			}
			for k, c := range x {
				if k == "example" { // a value, not a schema
					continue
				}
				walk(c, where+"/"+k)
			}
		case []any:
			for _, c := range x {
				walk(c, where)
			}
		}
	}
	walk(doc["paths"], "#/paths")
	walk(schemas, "#/components/schemas")
	walk(responses, "#/components/responses")
	for _, name := range []string{"User", "Department", "PermRole", "BusinessRole", "AuditEntry", "Problem", "UserList"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("schema %s missing", name)
		}
	}
	user := schemas["User"].(map[string]any)["properties"].(map[string]any)
	if id := user["id"].(map[string]any); id["type"] != "string" {
		t.Errorf("User.id schema %v: ids travel as strings", id)
	}
	b, _ := json.Marshal(doc)
	if len(b) < 5000 {
		t.Errorf("document suspiciously small: %d bytes", len(b))
	}
}

// TestOpenAPIRequiredFieldsAreRequired: for every route without path
// parameters, the example body less one field its request schema requires
// is refused; it names the field, or the whole example is accepted (so the
// field made the difference). `required` claims only what the server enforces.
func TestOpenAPIRequiredFieldsAreRequired(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db)
	c := e.login("admin@acme.test", adminPassword)
	anon := &client{e: e, http: e.srv.Client()}
	var doc map[string]any
	anon.must(200, "GET", "/api/v1/openapi.json", nil, &doc)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	checked := 0
	for _, rt := range e.api.Routes() {
		if rt.Req == nil || strings.Contains(rt.Path, "{") {
			continue
		}
		op := doc["paths"].(map[string]any)[rt.Path].(map[string]any)[strings.ToLower(rt.Method)].(map[string]any)
		media := op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)
		ref, _ := media["schema"].(map[string]any)["$ref"].(string)
		schema, _ := schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		req, _ := schema["required"].([]any)
		who := c
		if rt.Public {
			who = anon
		}
		var unnamed []string
		for _, f := range req {
			body := map[string]any{}
			for k, v := range media["example"].(map[string]any) {
				if k != f {
					body[k] = v
				}
			}
			res := who.do(rt.Method, rt.Path, body, nil)
			if res.status < 400 || res.status >= 500 {
				t.Errorf("%s %s without %s: %d %s", rt.Method, rt.Path, f, res.status, truncate(res.body))
				continue
			}
			p := res.problem(t)
			named := strings.Contains(p.Detail, f.(string))
			for _, fe := range p.Errors {
				named = named || fe.Field == f
			}
			if named {
				checked++
			} else {
				unnamed = append(unnamed, f.(string))
			}
		}
		if len(unnamed) > 0 { // did the field make the difference?
			if res := who.do(rt.Method, rt.Path, media["example"], nil); res.status < 400 {
				checked += len(unnamed)
			} else {
				t.Logf("%s %s: the example is refused too (%d), so %v is not shown to be required", rt.Method, rt.Path, res.status, unnamed)
			}
		}
	}
	t.Logf("%d required fields shown to be required", checked)
	if checked < 15 {
		t.Fatalf("only %d required fields shown to be required", checked)
	}
}
