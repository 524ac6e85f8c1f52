package service

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
)

// TestJSONFieldsAsUnmarshal checks that jsonFields splits a value's JSON
// into the same fields, byte for byte, as json.Unmarshal into a map of
// json.RawMessage does.
func TestJSONFieldsAsUnmarshal(t *testing.T) {
	when := time.Date(2026, 12, 7, 8, 30, 0, 123e6, time.UTC)
	type inner struct {
		A []int           `json:"a"`
		B map[string]any  `json:"b"`
		C *string         `json:"c"`
		D json.RawMessage `json:"d"`
	}
	quote := `他说 "你好" \ <b>&</b>` + "\n\t}{],["
	values := []any{
		cohort.Customer{ID: 7, Name: "上海 \"某某\" 有限公司", Industry: "制造业", CreatedAt: when,
			Custom: json.RawMessage(`{"级别":"A","nested":{"x":[1,"}",null,true]},"q":"\\\" ]"}`)},
		&cohort.Opportunity{ID: 9, Name: "商机 {1}", Amount: 120000, Stage: "qualify", CreatedAt: when},
		inner{A: []int{1, 2, 3}, B: map[string]any{"k": map[string]any{}, "e": []any{}}, C: &quote, D: json.RawMessage(`{"z":[{"y":"]"}]}`)},
		inner{},
		map[string]any{},
		map[string]any{"k\"ey": 1, "plain": "v"}, // an escaped key: the fallback
		[]int{1, 2},                              // not an object: the fallback
		"text",
		nil,
	}
	for i, v := range values {
		want := map[string]json.RawMessage{}
		if v != nil {
			b, _ := json.Marshal(v)
			_ = json.Unmarshal(b, &want)
		}
		got := jsonFields(v)
		if !maps.EqualFunc(got, want, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
			t.Errorf("value %d: got %q, want %q", i, got, want)
		}
	}
	for _, bad := range []string{`{"a":1,}`, `{"a" :1}`, `{"a":}`, `{"a":1 }`, `{"a":[1}`, `{`, `{}x`, `{"a":"x}`} {
		if splitObject([]byte(bad), map[string]json.RawMessage{}) {
			t.Errorf("splitObject(%s) = true, want false", bad)
		}
	}
}

// BenchmarkAuditDiff times the audit diff of a create and of an edit.
func BenchmarkAuditDiff(b *testing.B) {
	when := time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)
	prev := cohort.Opportunity{ID: 9, TenantID: 1, Name: "压测商机 1", Amount: 120000, Stage: "qualify", CreatedAt: when, UpdatedAt: when, Version: 3}
	next := prev
	next.Stage, next.Version = "quote", 4
	b.Run("create", func(b *testing.B) {
		for range b.N {
			diff(nil, next)
		}
	})
	b.Run("edit", func(b *testing.B) {
		for range b.N {
			diff(prev, next)
		}
	})
	// The fields of both sides as json.Unmarshal splits them (the way
	// before jsonFields), for comparison with "split".
	for _, way := range []string{"unmarshal", "split"} {
		b.Run(way, func(b *testing.B) {
			for range b.N {
				for _, v := range []any{prev, next} {
					if way == "split" {
						jsonFields(v)
						continue
					}
					m := map[string]json.RawMessage{}
					bs, _ := json.Marshal(v)
					_ = json.Unmarshal(bs, &m)
				}
			}
		})
	}
}
