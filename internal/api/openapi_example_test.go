package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/obs"
)

func testDocument(t *testing.T) (*Server, map[string]any) {
	t.Helper()
	s := New(nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), obs.NewRegistry(), Options{})
	// Through JSON, as a client reads it.
	b, err := json.Marshal(s.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return s, doc
}

// TestOpenAPIRequestExamples: for every route that takes a JSON body, the
// example the document shows decodes into the route's request type with the
// handlers' strict decoder, and holds every field the schema requires.
func TestOpenAPIRequestExamples(t *testing.T) {
	s, doc := testDocument(t)
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	n := 0
	for _, rt := range s.Routes() {
		if rt.Req == nil {
			continue
		}
		op := paths[rt.Path].(map[string]any)[strings.ToLower(rt.Method)].(map[string]any)
		media := op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)
		ex, ok := media["example"]
		if !ok {
			t.Errorf("%s %s: no request example", rt.Method, rt.Path)
			continue
		}
		body, _ := json.Marshal(ex)
		r := httptest.NewRequest(rt.Method, rt.Path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		v := reflect.New(reflect.TypeOf(rt.Req)).Interface()
		if err := decode(r, v); err != nil {
			t.Errorf("%s %s: the example %s does not decode: %v", rt.Method, rt.Path, body, err)
			continue
		}
		ref, _ := media["schema"].(map[string]any)["$ref"].(string)
		schema, _ := schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		if obj, ok := ex.(map[string]any); ok && schema != nil {
			req, _ := schema["required"].([]any)
			for _, f := range req {
				if _, ok := obj[f.(string)]; !ok {
					t.Errorf("%s %s: required field %v missing from the example", rt.Method, rt.Path, f)
				}
			}
			for k := range obj {
				if _, ok := schema["properties"].(map[string]any)[k]; !ok {
					t.Errorf("%s %s: example field %s is not in the schema", rt.Method, rt.Path, k)
				}
			}
		}
		n++
	}
	if n < 50 {
		t.Fatalf("only %d request examples checked", n)
	}
}

// TestOpenAPITimesAndRequired: every *_at property of every schema is a
// date-time string (or null), and request schemas require only fields
// tagged so; a new optional time field of any request is described as such.
func TestOpenAPITimesAndRequired(t *testing.T) {
	_, doc := testDocument(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	isDateTime := func(p map[string]any) bool {
		if p["type"] == "string" && p["format"] == "date-time" {
			return true
		}
		if one, ok := p["oneOf"].([]any); ok && len(one) == 2 {
			a := one[0].(map[string]any)
			return a["type"] == "string" && a["format"] == "date-time" && one[1].(map[string]any)["type"] == "null"
		}
		return false
	}
	for name, sc := range schemas {
		props, _ := sc.(map[string]any)["properties"].(map[string]any)
		for k, p := range props {
			if strings.HasSuffix(k, "_at") && !isDateTime(p.(map[string]any)) {
				t.Errorf("%s.%s = %v, want a date-time string", name, k, p)
			}
		}
	}
	for _, name := range []string{"StatusRequest", "FollowUpInput", "TicketInput"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("schema %s missing", name)
		}
	}
	if req, _ := schemas["CustomerUpdate"].(map[string]any)["required"]; req != nil {
		t.Errorf("CustomerUpdate (a patch) requires %v", req)
	}
	if req, _ := schemas["LoginRequest"].(map[string]any)["required"].([]any); len(req) != 2 {
		t.Errorf("LoginRequest requires %v, want email and password", req)
	}

	// The generator alone, on a request type such as the ones business time adds.
	type lateInput struct {
		Name       string      `json:"name" openapi:"required"`
		OccurredAt *time.Time  `json:"occurred_at,omitempty"`
		CreatedAt  *cohortTime `json:"created_at"`
		SignedAt   cohortTime  `json:"signed_at"`
		Owner      cohort.ID   `json:"owner_id"`
		Lines      []struct {
			Amount int64 `json:"amount" example:"1200"`
		} `json:"lines"`
	}
	g := newSchemaGen()
	g.req = true
	g.schema(reflect.TypeOf(lateInput{}))
	def := g.defs["LateInput"].(map[string]any)
	if req := def["required"]; !reflect.DeepEqual(req, []string{"name"}) {
		t.Errorf("required = %v, want [name]", req)
	}
	for _, k := range []string{"occurred_at", "created_at", "signed_at"} {
		b, _ := json.Marshal(def["properties"].(map[string]any)[k])
		var p map[string]any
		_ = json.Unmarshal(b, &p)
		if !isDateTime(p) {
			t.Errorf("%s: %s", k, b)
		}
	}
	body, _ := json.Marshal(exampleOf(reflect.TypeOf(lateInput{})))
	r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	var in lateInput
	if err := decode(r, &in); err != nil || in.OccurredAt == nil || in.CreatedAt == nil || in.SignedAt.IsZero() || in.Owner != 1 ||
		len(in.Lines) != 1 || in.Lines[0].Amount != 1200 {
		t.Errorf("example %s: %v %+v", body, err, in)
	}
}
