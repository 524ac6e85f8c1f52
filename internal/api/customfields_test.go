package api_test

import (
	"strings"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func TestCustomFields(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		def := func(body map[string]any) {
			body["object_type"] = "customer"
			o.admin.must(201, "POST", "/api/v1/custom-fields", body, nil)
		}
		if res := o.alice.do("POST", "/api/v1/custom-fields", map[string]any{"object_type": "customer", "key": "x1", "label_zh": "甲", "label_en": "X", "type": "text"}, nil); res.status != 403 {
			t.Fatalf("salesperson declares a field: %d", res.status)
		}
		def(map[string]any{"key": "staff", "label_zh": "员工数", "label_en": "Staff", "type": "number"})
		def(map[string]any{"key": "tier", "label_zh": "客户层级", "label_en": "Tier", "type": "single", "options": []string{"战略", "重点", "普通"}})
		def(map[string]any{"key": "interests", "label_zh": "关注产品", "label_en": "Interests", "type": "multi", "options": []string{"CRM", "ERP", "BI"}})
		def(map[string]any{"key": "tech_contact", "label_zh": "技术对接人", "label_en": "Tech contact", "type": "user"})
		def(map[string]any{"key": "budget", "label_zh": "预算", "label_en": "Budget", "type": "money"})
		if res := o.admin.do("POST", "/api/v1/custom-fields", map[string]any{"object_type": "customer", "key": "staff", "label_zh": "重复", "label_en": "Dup", "type": "text"}, nil); res.status != 409 {
			t.Fatalf("duplicate key: %d", res.status)
		}
		mk := func(name string, custom map[string]any) cohort.Customer {
			var c cohort.Customer
			o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": name, "custom": custom}, &c)
			return c
		}
		a := mk("甲公司", map[string]any{"staff": 1200, "tier": "战略", "interests": []string{"CRM", "BI"}, "tech_contact": o.preU.ID, "budget": 50000000})
		mk("乙公司", map[string]any{"staff": 80, "tier": "普通", "interests": []string{"ERP"}})
		mk("丙公司", map[string]any{"staff": 450, "tier": "重点", "interests": []string{"CRM"}})
		mk("丁公司", nil)
		for name, custom := range map[string]map[string]any{
			"unknown key":   {"salary": 1},
			"wrong type":    {"staff": "many"},
			"bad option":    {"tier": "VIP"},
			"bad multi":     {"interests": []string{"CRM", "OA"}},
			"missing user":  {"tech_contact": "12345"},
			"float money":   {"budget": 1.5},
			"not an object": nil,
		} {
			body := map[string]any{"name": "坏数据" + name, "custom": custom}
			if name == "not an object" {
				body["custom"] = []int{1}
			}
			if res := o.alice.do("POST", "/api/v1/customers", body, nil); res.status != 422 && res.status != 400 {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		names := func(query string) []string {
			var page cohort.Page[cohort.Customer]
			o.alice.must(200, "GET", "/api/v1/customers?"+query, nil, &page)
			var out []string
			for _, c := range page.Items {
				out = append(out, c.Name)
			}
			return out
		}
		eq := func(got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("got %v, want %v", got, want)
				}
			}
		}
		eq(names("filter=custom.tier:eq:重点"), "丙公司")
		eq(names("filter=custom.staff:gte:400&sort=-custom.staff"), "甲公司", "丙公司")
		eq(names("filter=custom.interests:eq:CRM&sort=name"), "丙公司", "甲公司")
		eq(names("filter=custom.tech_contact:eq:"+o.preU.ID.String()), "甲公司")
		eq(names("filter=custom.staff:isnull"), "丁公司")
		// Keyset paging through a custom sort key with a NULL in it.
		var seen []string
		cursor := ""
		for {
			var page cohort.Page[cohort.Customer]
			o.alice.must(200, "GET", "/api/v1/customers?sort=custom.staff&limit=1&cursor="+cursor, nil, &page)
			for _, c := range page.Items {
				seen = append(seen, c.Name)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		eq(seen, "丁公司", "乙公司", "丙公司", "甲公司")
		if res := o.alice.do("GET", "/api/v1/customers?filter=custom.nope:eq:1", nil, nil); res.status != 400 {
			t.Fatalf("unknown custom filter: %d", res.status)
		}
		// A PATCH merges: set one key, remove another with null.
		var c cohort.Customer
		o.alice.must(200, "PATCH", "/api/v1/customers/"+a.ID.String(), map[string]any{"custom": map[string]any{"tier": "重点", "budget": nil}}, &c)
		if string(c.Custom) == "" || !strings.Contains(string(c.Custom), `"tier":"重点"`) || strings.Contains(string(c.Custom), "budget") || !strings.Contains(string(c.Custom), "staff") {
			t.Fatalf("merged custom %s", c.Custom)
		}
	})
}
