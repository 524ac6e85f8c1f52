package api_test

import (
	"bytes"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/cockpits"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

func kpiWidget(id, metric string) map[string]any {
	return map[string]any{"id": id, "type": "kpi", "title": "KPI " + metric, "x": 0, "y": 0, "w": 3, "h": 2,
		"query": map[string]any{"metrics": []string{metric}, "period": "this_month", "compare": []string{"previous"}}}
}

func TestCockpitsAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		count := func() int {
			var n int
			if err := db.Read().QueryRowContext(t.Context(), "SELECT count(*) FROM cockpits").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// Presets are listed in the asker's language with today's dates.
		var presets cohort.Page[cockpits.Preset]
		o.alice.must(200, "GET", "/api/v1/cockpits/presets", nil, &presets)
		if len(presets.Items) != len(cockpits.Presets) || presets.Items[0].Name != "销售管理" || presets.Items[0].Layout[0].Query.From == "" {
			t.Fatalf("presets: %+v", presets.Items)
		}
		// Every preset's every widget is a query the engine accepts (a goal
		// widget: a binding goal completion accepts).
		for _, p := range presets.Items {
			for _, w := range p.Layout {
				if cockpits.IsGoal(w.Type) {
					o.alice.must(200, "POST", "/api/v1/cockpits/goal-widget", map[string]any{"type": w.Type, "goal": w.Goal}, nil)
					continue
				}
				q := w.Query
				o.alice.must(200, "POST", "/api/v1/metrics/query", map[string]any{"metrics": q.Metrics, "dimensions": q.Dimensions,
					"from": q.From, "to": q.To, "compare": q.Compare}, nil)
			}
		}

		// Alice copies the sales preset: a personal cockpit of hers.
		var mine cockpits.Cockpit
		o.alice.must(201, "POST", "/api/v1/cockpits/presets/sales/copy", map[string]any{}, &mine)
		if mine.OwnerID != o.aliceU.ID || mine.Visibility != "personal" || len(mine.Layout) != len(cockpits.Presets[0].Layout) || !mine.CanEdit ||
			mine.Preset != "sales" || mine.Layout[0].Query.Period != "this_month" || mine.Layout[0].Query.From == "" {
			t.Fatalf("copy: %+v", mine)
		}
		if res := o.alice.do("POST", "/api/v1/cockpits/presets/nope/copy", map[string]any{}, nil); res.status != 404 {
			t.Fatalf("unknown preset: %d %s", res.status, res.body)
		}
		id := mine.ID.String()
		// Bob, a salesperson too, neither sees nor lists it.
		if res := o.bob.do("GET", "/api/v1/cockpits/"+id, nil, nil); res.status != 404 {
			t.Fatalf("bob reads alice's cockpit: %d", res.status)
		}
		if res := o.bob.do("GET", "/api/v1/cockpits/"+id+"/export.xlsx", nil, nil); res.status != 404 {
			t.Fatalf("bob exports alice's cockpit: %d", res.status)
		}
		var list cohort.Page[cockpits.Cockpit]
		o.bob.must(200, "GET", "/api/v1/cockpits", nil, &list)
		if len(list.Items) != 0 {
			t.Fatalf("bob lists %+v", list.Items)
		}
		o.alice.must(200, "GET", "/api/v1/cockpits", nil, &list)
		if len(list.Items) != 1 || list.Items[0].ID != mine.ID {
			t.Fatalf("alice lists %+v", list.Items)
		}
		// Another tenant's administrator: not found.
		o.newTenant("other", "admin@other.test")
		other := o.login("admin@other.test", adminPassword)
		if res := other.do("GET", "/api/v1/cockpits/"+id, nil, nil); res.status != 404 {
			t.Fatalf("cross-tenant read: %d", res.status)
		}
		if res := other.do("DELETE", "/api/v1/cockpits/"+id, nil, nil); res.status != 404 {
			t.Fatalf("cross-tenant delete: %d", res.status)
		}

		// Bad input: a clear 422 naming the field, nothing stored.
		before := count()
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "x", "layout": []any{kpiWidget("a", "no_such_metric")}}, "layout[0].query.metrics[0]"},
			{map[string]any{"name": "", "layout": []any{}}, "name"},
			{map[string]any{"name": "x", "visibility": "world"}, "visibility"},
			{map[string]any{"name": "x", "layout": []any{map[string]any{"id": "a", "type": "radar", "w": 3, "h": 2,
				"query": map[string]any{"metrics": []string{"calls"}, "period": "this_month"}}}}, "layout[0].type"},
			{map[string]any{"name": "x", "layout": []any{map[string]any{"id": "a", "type": "pivot", "w": 3, "h": 2,
				"query": map[string]any{"metrics": []string{"calls"}, "dimensions": []string{"person"}, "period": "this_month"}}}}, "layout[0].query.dimensions"},
			{map[string]any{"name": "x", "layout": []any{map[string]any{"id": "a", "type": "kpi", "w": 3, "h": 2,
				"query": map[string]any{"metrics": []string{"calls"}, "period": "next_century"}}}}, "layout[0].query.period"},
			{map[string]any{"name": "x", "layout": []any{map[string]any{"id": "a", "type": "kpi", "w": 3, "h": 2,
				"query": map[string]any{"metrics": []string{"calls"}, "period": "custom", "from": "2026-02-01", "to": "2026-01-01"}}}}, "layout[0].query.to"},
			{map[string]any{"name": "x", "layout": []any{map[string]any{"id": "a", "type": "kpi", "x": 10, "w": 3, "h": 2,
				"query": map[string]any{"metrics": []string{"calls"}, "period": "this_month"}}}}, "layout[0].w"},
			{map[string]any{"name": "x", "layout": []any{kpiWidget("a", "calls"), kpiWidget("a", "sms")}}, "layout[1].id"},
			{map[string]any{"name": "x", "shared_with": []string{"123456"}}, "shared_with[0]"},
		} {
			res := o.alice.do("POST", "/api/v1/cockpits", tc.body, nil)
			if res.status != 422 {
				t.Errorf("%v: status %d %s", tc.body, res.status, res.body)
				continue
			}
			p := res.problem(t)
			if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
				t.Errorf("%v: errors %+v, want field %s", tc.body, p.Errors, tc.field)
			}
		}
		if count() != before {
			t.Fatalf("bad input stored a cockpit")
		}

		// Edits take the current version; a stale one is refused.
		var upd cockpits.Cockpit
		res := o.alice.do("PATCH", "/api/v1/cockpits/"+id, map[string]any{"name": "我的销售", "layout": []any{kpiWidget("k", "signed_amount")}},
			map[string]string{"If-Match": `"v1"`})
		if res.status != 200 {
			t.Fatalf("patch: %d %s", res.status, res.body)
		}
		res.json(t, &upd)
		if upd.Version != 2 || upd.Name != "我的销售" || len(upd.Layout) != 1 || res.header.Get("ETag") != `"v2"` {
			t.Fatalf("patched %+v %s", upd, res.header.Get("ETag"))
		}
		if res := o.alice.do("PATCH", "/api/v1/cockpits/"+id, map[string]any{"name": "stale"}, map[string]string{"If-Match": `"v1"`}); res.status != 412 {
			t.Fatalf("stale patch: %d", res.status)
		}
		if res := o.alice.do("PATCH", "/api/v1/cockpits/"+id, map[string]any{"layout": []any{kpiWidget("k", "nope")}}, nil); res.status != 422 {
			t.Fatalf("patch bad metric: %d", res.status)
		}
		// A salesperson may not make a company cockpit.
		if res := o.alice.do("PATCH", "/api/v1/cockpits/"+id, map[string]any{"visibility": "company"}, nil); res.status != 403 {
			t.Fatalf("alice makes a company cockpit: %d %s", res.status, res.body)
		}
		// Sharing lets Bob view, not edit.
		o.alice.must(200, "PATCH", "/api/v1/cockpits/"+id, map[string]any{"shared_with": []cohort.ID{o.bobU.ID}}, nil)
		var seen cockpits.Cockpit
		o.bob.must(200, "GET", "/api/v1/cockpits/"+id, nil, &seen)
		if seen.CanEdit || seen.Layout[0].Query.From == "" {
			t.Fatalf("bob sees %+v", seen)
		}
		if res := o.bob.do("PATCH", "/api/v1/cockpits/"+id, map[string]any{"name": "bob's"}, nil); res.status != 403 {
			t.Fatalf("bob edits a shared cockpit: %d", res.status)
		}

		// Company cockpits: administrators make them, everyone views.
		var company cockpits.Cockpit
		o.admin.must(201, "POST", "/api/v1/cockpits", map[string]any{"name": "公司", "visibility": "company", "layout": []any{kpiWidget("k", "calls")}}, &company)
		o.pre.must(200, "GET", "/api/v1/cockpits/"+company.ID.String(), nil, &seen)
		if seen.CanEdit {
			t.Fatalf("a salesperson may edit the company cockpit")
		}
		if res := o.pre.do("DELETE", "/api/v1/cockpits/"+company.ID.String(), nil, nil); res.status != 403 {
			t.Fatalf("pre deletes the company cockpit: %d", res.status)
		}

		// Department cockpits: the department's manager makes them, its
		// members view, others do not.
		dept := o.aliceU.DepartmentID
		deptBody := map[string]any{"name": "华东", "visibility": "department", "department_id": dept, "layout": []any{kpiWidget("k", "calls")}}
		if res := o.mgr.do("POST", "/api/v1/cockpits", deptBody, nil); res.status != 403 {
			t.Fatalf("a manager who does not manage the department: %d %s", res.status, res.body)
		}
		o.admin.must(200, "PATCH", "/api/v1/departments/"+dept.String(), map[string]any{"manager_id": o.mgrU.ID}, nil)
		var dc cockpits.Cockpit
		o.mgr.must(201, "POST", "/api/v1/cockpits", deptBody, &dc)
		o.alice.must(200, "GET", "/api/v1/cockpits/"+dc.ID.String(), nil, &seen)
		if seen.CanEdit {
			t.Fatalf("alice may edit the department cockpit")
		}
		if res := o.pre.do("GET", "/api/v1/cockpits/"+dc.ID.String(), nil, nil); res.status != 404 {
			t.Fatalf("another department reads it: %d", res.status)
		}
		o.mgr.must(200, "PATCH", "/api/v1/cockpits/"+dc.ID.String(), map[string]any{"name": "华东销售"}, nil)

		// The export: every widget's figures, read back from the workbook.
		loc := o.tenant.Location()
		today := time.Now().In(loc).Format(time.DateOnly)
		addFact(t, db, o.tenant.ID, "contract.signed", today, 901, o.aliceU, 123456, "")
		addFact(t, db, o.tenant.ID, "contract.signed", today, 902, o.bobU, 100000, "")
		two := []any{kpiWidget("k", "signed_amount"), map[string]any{"id": "p", "type": "bar", "title": "按人员", "x": 3, "w": 9, "h": 4,
			"query": map[string]any{"metrics": []string{"signed_count", "signed_amount"}, "dimensions": []string{"person"}, "period": "this_month"}}}
		o.alice.must(200, "PATCH", "/api/v1/cockpits/"+id, map[string]any{"layout": two}, nil)
		res = o.alice.do("GET", "/api/v1/cockpits/"+id+"/export.xlsx", nil, nil)
		if res.status != 200 || !strings.Contains(res.header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("export: %d %s", res.status, res.header.Get("Content-Type"))
		}
		f, err := excelize.OpenReader(bytes.NewReader(res.body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) != 2 || sheets[0] != "1 KPI signed_amount" || sheets[1] != "2 按人员" {
			t.Fatalf("sheets %v", sheets)
		}
		rows, _ := f.GetRows(sheets[1])
		// Title, period, header, Alice's row (her scope: only her), total.
		if len(rows) != 5 || rows[2][0] != "person" || rows[2][1] != "签约数" && rows[2][1] != "signed_count" || rows[3][0] != "Alice" ||
			rows[3][1] != "1" || rows[3][2] != "1,234.56" || rows[4][0] != "合计" {
			t.Fatalf("sheet 2: %q", rows)
		}
		rows, _ = f.GetRows(sheets[0])
		last := rows[len(rows)-1]
		if last[0] != "1,234.56" {
			t.Fatalf("sheet 1: %q", rows)
		}
		// The manager sees both in the same widget of his own.
		o.mgr.must(200, "PATCH", "/api/v1/cockpits/"+dc.ID.String(), map[string]any{"layout": two}, nil)
		res = o.mgr.do("GET", "/api/v1/cockpits/"+dc.ID.String()+"/export.xlsx", nil, nil)
		f2, err := excelize.OpenReader(bytes.NewReader(res.body))
		if err != nil {
			t.Fatal(err)
		}
		defer f2.Close()
		rows, _ = f2.GetRows("2 按人员")
		if len(rows) != 6 || rows[5][2] != "2,234.56" {
			t.Fatalf("manager's sheet 2: %q", rows)
		}

		o.alice.must(204, "DELETE", "/api/v1/cockpits/"+id, nil, nil)
		if res := o.alice.do("GET", "/api/v1/cockpits/"+id, nil, nil); res.status != 404 {
			t.Fatalf("deleted cockpit: %d", res.status)
		}
		// Hand-written facts are not a record's: drop them before the
		// cleanup compares the facts with a rebuild.
		if err := db.WriteTx(t.Context(), func(tx *store.Tx) error {
			if _, err := tx.ExecContext(t.Context(), "DELETE FROM facts WHERE source_type = 'x'"); err != nil {
				return err
			}
			return facts.RebuildRollups(t.Context(), tx, o.tenant.ID)
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// A transaction that rewrites facts tells the listener once, after commit.
func TestFactsChangedEvent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var n atomic.Int32
		var tenant atomic.Int64
		o.svc.SetFactsListener(func(id cohort.ID) { n.Add(1); tenant.Store(int64(id)) })
		o.alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "杭州云帆网络科技有限公司", "province": "浙江"}, nil)
		if n.Load() != 1 || cohort.ID(tenant.Load()) != o.tenant.ID {
			t.Fatalf("after a customer: %d events for tenant %d", n.Load(), tenant.Load())
		}
		// A refused write commits nothing and tells nothing.
		o.alice.do("POST", "/api/v1/customers", map[string]any{"name": ""}, nil)
		if n.Load() != 1 {
			t.Fatalf("after a refused write: %d events", n.Load())
		}
	})
}
