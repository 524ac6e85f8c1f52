package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/sheet"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// upload posts a file to /api/v1/imports.
func (c *client) upload(object string, dryRun bool, name string, body []byte) response {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("object", object)
	_ = mw.WriteField("dry_run", fmt.Sprint(dryRun))
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(body)
	_ = mw.Close()
	return c.do("POST", "/api/v1/imports", buf.String(), map[string]string{"Content-Type": mw.FormDataContentType()})
}

// importFile uploads a file, works the import and returns it.
func (c *client) importFile(object string, dryRun bool, name string, body []byte) cohort.Import {
	c.e.t.Helper()
	res := c.upload(object, dryRun, name, body)
	if res.status != 202 {
		c.e.t.Fatalf("upload %s: %d %s", name, res.status, res.body)
	}
	var imp cohort.Import
	res.json(c.e.t, &imp)
	c.e.runJobs()
	c.must(200, "GET", "/api/v1/imports/"+imp.ID.String(), nil, &imp)
	if imp.Status != cohort.ImportDone {
		c.e.t.Fatalf("import %s: %+v", name, imp)
	}
	return imp
}

// rawCSV writes rows as CSV exactly, without neutralising anything.
func rawCSV(rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(rows)
	return buf.Bytes()
}

func xlsxBytes(t testing.TB, rows [][]string) []byte {
	var buf bytes.Buffer
	w, err := sheet.NewWriter(&buf, sheet.XLSX, "Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		cells := make([]any, len(r))
		for i, c := range r {
			cells[i] = c
		}
		if err := w.WriteRow(cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readRows reads a downloaded file back into rows.
func readRows(t testing.TB, format string, body []byte) [][]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f."+format)
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := sheet.Open(path, format)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out [][]string
	for r.Next() {
		out = append(out, slices.Clone(r.Row()))
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	return out
}

// byHeader maps each data row to header → cell.
func byHeader(rows [][]string) []map[string]string {
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out
}

func count(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportTemplateRoundTrip downloads each template, fills it, imports it
// and exports what it made, in both languages and formats.
func TestImportTemplateRoundTrip(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		o.admin.must(201, "POST", "/api/v1/custom-fields", map[string]any{"object_type": "customer", "key": "budget", "label_zh": "预算",
			"label_en": "Budget", "type": "money"}, nil)
		o.admin.must(201, "POST", "/api/v1/custom-fields", map[string]any{"object_type": "customer", "key": "tier", "label_zh": "层级",
			"label_en": "Tier", "type": "single", "options": []string{"金牌", "银牌"}}, nil)
		for _, tc := range []struct{ lang, format string }{{"zh-CN", sheet.XLSX}, {"en", sheet.CSV}} {
			res := o.admin.do("GET", "/api/v1/import/templates/customer."+tc.format+"?lang="+tc.lang, nil, nil)
			if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), strings.Split(sheet.ContentType(tc.format), ";")[0]) {
				t.Fatalf("template: %d %s", res.status, res.header)
			}
			tpl := readRows(t, tc.format, res.body)
			if len(tpl) != 2 || !slices.Contains(tpl[0], map[string]string{"zh-CN": "客户名称", "en": "Name"}[tc.lang]) ||
				!slices.Contains(tpl[0], map[string]string{"zh-CN": "预算", "en": "Budget"}[tc.lang]) {
				t.Fatalf("%s template %v", tc.lang, tpl)
			}
			// Fill three rows from the example, each its own company.
			rows := [][]string{tpl[0]}
			for i := 0; i < 3; i++ {
				r := slices.Clone(tpl[1])
				for j, h := range tpl[0] {
					switch h {
					case "客户名称", "Name":
						r[j] = fmt.Sprintf("%s 测试公司 %d", tc.format, i)
					case "统一社会信用代码", "Credit code":
						r[j] = ""
					case "负责人", "Owner":
						r[j] = "alice@acme.test"
					case "预算", "Budget":
						r[j] = "1234.5"
					case "层级", "Tier":
						r[j] = "银牌"
					}
				}
				rows = append(rows, r)
			}
			var file []byte
			if tc.format == sheet.XLSX {
				file = xlsxBytes(t, rows)
			} else {
				file = rawCSV(rows)
			}
			imp := o.admin.importFile("customer", false, "filled."+tc.format, file)
			if imp.RowsOK != 3 || imp.RowsFailed != 0 || imp.RowsRead != 3 {
				t.Fatalf("import %+v", imp)
			}
			exp := o.admin.do("GET", "/api/v1/exports/customer."+tc.format+"?filter=name:like:"+tc.format, nil, nil)
			if exp.status != 200 {
				t.Fatalf("export: %d %s", exp.status, exp.body)
			}
			got := byHeader(readRows(t, tc.format, exp.body))
			if len(got) != 3 {
				t.Fatalf("exported %d rows: %v", len(got), got)
			}
			// Headers are in the admin's language (zh-CN); every filled cell
			// of the template's columns comes back as given.
			want := byHeader(rows)
			zhOf := map[string]string{"Name": "客户名称", "Industry": "行业", "Province": "省份", "City": "城市", "Source": "来源", "Grade": "等级",
				"Segment": "客户分群", "Value": "定性", "Deal size": "定级", "Expected sign date": "预计签约日期", "Expected amount (yuan)": "预计金额（元）",
				"Owner": "负责人", "Budget": "预算", "Tier": "层级", "Credit code": "统一社会信用代码"}
			for _, w := range want {
				var g map[string]string
				for _, x := range got {
					if x["客户名称"] == w[map[bool]string{true: "客户名称", false: "Name"}[tc.lang == "zh-CN"]] {
						g = x
					}
				}
				if g == nil {
					t.Fatalf("row %v not exported", w)
				}
				for h, v := range w {
					zh := h
					if tc.lang == "en" {
						zh = zhOf[h]
					}
					gv := g[zh]
					switch zh {
					case "负责人":
						v = "Alice"
					case "定性":
						v = "有价值"
					case "定级":
						v = "大单"
					case "预计金额（元）", "预算":
						a, _ := strconv.ParseFloat(v, 64)
						b, _ := strconv.ParseFloat(gv, 64)
						v, gv = fmt.Sprint(a), fmt.Sprint(b)
					}
					if gv != v {
						t.Errorf("%s %s: exported %q, imported %q", tc.format, h, gv, v)
					}
				}
			}
		}
	})
}

// TestImportBadRows imports a file with good and bad rows: the good rows
// are written whole, each bad row is in the error file with its reason.
func TestImportBadRows(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		o.admin.must(201, "POST", "/api/v1/customers", map[string]any{"name": "已有客户股份有限公司"}, nil)
		rows := [][]string{
			{"Name", "Credit code", "Province", "Owner", "Expected sign date"},
			{"Good One Ltd", "", "Zhejiang", "alice@acme.test", "2026-05-01"},
			{"", "", "Jiangsu", "", ""},                                       // 3: missing name
			{"Good One Co., Ltd.", "", "", "", ""},                            // 4: same company as row 2
			{"已有客户有限公司", "", "", "", ""},                                      // 5: existing customer
			{"Nobody's Customer", "", "", "nobody@acme.test", ""},             // 6: unknown owner
			{"Formula Inc", "", `=HYPERLINK("http://evil.test","x")`, "", ""}, // 7: formula
			{"Bad Code Inc", "91350100M000100Y44", "", "", ""},                // 8: bad check character
			{"Bad Date Inc", "", "", "", "31/31/2026"},                        // 9: bad date
			{"Good Two", "91350100M000100Y43", "-", "Bob", "2026/7/1"},        // 10: good; "-" is no formula
			{"'=Quoted Inc", "", "", "", ""},                                  // 11: good: the apostrophe says text
		}
		imp := o.admin.importFile("customer", false, "customers.csv", rawCSV(rows))
		if imp.RowsRead != 10 || imp.RowsOK != 3 || imp.RowsFailed != 7 {
			t.Fatalf("import %+v", imp)
		}
		res := o.admin.do("GET", "/api/v1/imports/"+imp.ID.String()+"/errors.csv", nil, nil)
		if res.status != 200 {
			t.Fatalf("errors.csv: %d %s", res.status, res.body)
		}
		errs := readRows(t, sheet.CSV, res.body)
		if !slices.Equal(errs[0][:3], []string{"行号", "错误原因", "Name"}) || len(errs) != 8 {
			t.Fatalf("error file %q", errs)
		}
		want := map[string]string{"3": "客户名称: 必填", "4": "与本文件第 2 行重复", "5": "与已有客户“已有客户股份有限公司”重复", "6": "负责人: 找不到该用户",
			"7": "省份: 以 = + - @ 开头", "8": "统一社会信用代码: 不是有效的", "9": "预计签约日期: 不是有效的日期"}
		for _, e := range errs[1:] {
			if !strings.Contains(e[1], want[e[0]]) || want[e[0]] == "" {
				t.Errorf("row %s: reason %q, want %q", e[0], e[1], want[e[0]])
			}
		}
		// The formula cell is neutralised in the error file too.
		if !strings.Contains(string(res.body), `'=HYPERLINK`) {
			t.Errorf("error file does not neutralise the formula: %s", res.body)
		}
		xres := o.admin.do("GET", "/api/v1/imports/"+imp.ID.String()+"/errors.xlsx", nil, nil)
		if xres.status != 200 || len(readRows(t, sheet.XLSX, xres.body)) != 8 {
			t.Fatalf("errors.xlsx: %d", xres.status)
		}
		// Every customer is whole: a team with its owner, an index document
		// and an audit entry.
		tenant := int64(o.tenant.ID)
		if n := count(t, db, "SELECT count(*) FROM customers WHERE tenant_id = ?", tenant); n != 4 {
			t.Fatalf("%d customers, want 4", n)
		}
		for _, q := range []string{
			`SELECT count(*) FROM customers c WHERE c.tenant_id = ? AND NOT EXISTS (SELECT 1 FROM record_team t WHERE t.tenant_id = c.tenant_id
				AND t.record_type = 'customer' AND t.record_id = c.id AND t.user_id = c.owner_id AND t.role_key = 'owner' AND t.valid_to IS NULL)`,
			`SELECT count(*) FROM customers c WHERE c.tenant_id = ? AND NOT EXISTS (SELECT 1 FROM search_docs d WHERE d.tenant_id = c.tenant_id
				AND d.object_type = 'customer' AND d.object_id = c.id)`,
			`SELECT count(*) FROM customers c WHERE c.tenant_id = ? AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.tenant_id = c.tenant_id
				AND a.object_type = 'customer' AND a.object_id = c.id)`,
		} {
			if n := count(t, db, q, tenant); n != 0 {
				t.Errorf("%d customers half-written: %s", n, q)
			}
		}
		var list cohort.Page[cohort.Customer]
		o.admin.must(200, "GET", "/api/v1/customers?sort=name", nil, &list)
		var names []string
		for _, c := range list.Items {
			names = append(names, c.Name+"/"+c.Province)
		}
		if !slices.Equal(names, []string{"=Quoted Inc/", "Good One Ltd/Zhejiang", "Good Two/-", "已有客户股份有限公司/"}) {
			t.Errorf("customers %v", names)
		}
		var hits cohort.Page[map[string]any]
		o.admin.must(200, "GET", "/api/v1/search?q=Good+Two", nil, &hits)
		if len(hits.Items) != 1 {
			t.Errorf("imported customer not searchable: %v", hits.Items)
		}

		// Contacts: linked by name or credit code; bad phone, taken and
		// repeated phones refused.
		crow := [][]string{
			{"客户", "姓名", "电话", "邮箱", "主要联系人"},
			{"Good Two", "王五", "13900139000", "ww@good.test", "是"},
			{"91350100M000100Y43", "赵六", "call me", "", ""},
			{"Good One Ltd", "钱七", "13900139000", "", ""},
			{"No Such Company", "孙八", "", "", ""},
			{"Good One Ltd", "周九", "+86 139-0013-9001", "", "否"},
		}
		cimp := o.admin.importFile("contact", false, "contacts.csv", rawCSV(crow))
		if cimp.RowsOK != 2 || cimp.RowsFailed != 3 {
			t.Fatalf("contacts %+v", cimp)
		}
		cerrs := readRows(t, sheet.CSV, o.admin.do("GET", "/api/v1/imports/"+cimp.ID.String()+"/errors.csv", nil, nil).body)
		for i, want := range []string{"电话: 不是有效的电话号码", "电话: 与本文件第 2 行重复", "客户: 找不到该客户"} {
			if !strings.Contains(cerrs[i+1][1], want) {
				t.Errorf("contact error %d: %q, want %q", i, cerrs[i+1], want)
			}
		}
		// Again: now the phone is taken by a stored contact.
		again := o.admin.importFile("contact", false, "contacts.csv", rawCSV(crow[:2]))
		if again.RowsFailed != 1 {
			t.Errorf("taken phone: %+v", again)
		}
	})
}

// TestImportDryRunGBK reads a GBK-encoded CSV (what Chinese Excel saves)
// with Chinese headers: a dry run writes nothing, the real run writes.
func TestImportDryRunGBK(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		utf := rawCSV([][]string{{"客户名称", "省份", "负责人"}, {"杭州西湖软件有限公司", "浙江", "Alice"}, {"苏州园林设计院", "江苏", ""}})
		gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(utf)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(gbk, utf) {
			t.Fatal("GBK encoding changed nothing")
		}
		dry := o.mgr.importFile("customer", true, "客户.csv", gbk)
		if !dry.DryRun || dry.RowsOK != 2 || dry.RowsFailed != 0 {
			t.Fatalf("dry run %+v", dry)
		}
		if n := count(t, db, "SELECT count(*) FROM customers WHERE tenant_id = ?", int64(o.tenant.ID)); n != 0 {
			t.Fatalf("dry run wrote %d customers", n)
		}
		o.mgr.importFile("customer", false, "客户.csv", gbk)
		var list cohort.Page[cohort.Customer]
		o.mgr.must(200, "GET", "/api/v1/customers?sort=name", nil, &list)
		if len(list.Items) != 2 || list.Items[0].Name != "杭州西湖软件有限公司" || list.Items[0].Province != "浙江" ||
			list.Items[0].OwnerID != o.aliceU.ID || list.Items[1].OwnerID != o.mgrU.ID {
			t.Fatalf("imported %+v", list.Items)
		}
		// UTF-8 with a byte-order mark reads the same.
		bom := append([]byte("\xEF\xBB\xBF"), rawCSV([][]string{{"客户名称"}, {"宁波港口物流"}})...)
		if imp := o.mgr.importFile("customer", false, "bom.csv", bom); imp.RowsOK != 1 {
			t.Fatalf("BOM file %+v", imp)
		}
	})
}

// TestImportEqualsCreate holds an imported customer to one created through
// the API: the same columns, team and index document.
func TestImportEqualsCreate(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		o.admin.must(201, "POST", "/api/v1/custom-fields", map[string]any{"object_type": "customer", "key": "budget", "label_zh": "预算",
			"label_en": "Budget", "type": "money"}, nil)
		var made cohort.Customer
		o.mgr.must(201, "POST", "/api/v1/customers", map[string]any{"name": "甲", "credit_code": "91350100M000100Y43", "industry": "软件",
			"province": "上海", "city": "上海", "source": "展会", "grade": "A", "segment": "中型", "value_quality": "valuable", "deal_size": "big",
			"expected_sign_date": "2026-06-30", "expected_amount": 50000000, "owner_id": o.aliceU.ID, "custom": map[string]any{"budget": 123450}}, &made)
		imp := o.mgr.importFile("customer", false, "one.csv", rawCSV([][]string{
			{"Name", "Credit code", "Industry", "Province", "City", "Source", "Grade", "Segment", "Value", "Deal size", "Expected sign date",
				"Expected amount (yuan)", "Owner", "Budget"},
			{"乙", "", "软件", "上海", "上海", "展会", "A", "中型", "valuable", "big", "2026-06-30", "500000", "Alice", "1234.50"}}))
		if imp.RowsOK != 1 {
			t.Fatalf("import %+v", imp)
		}
		var list cohort.Page[cohort.Customer]
		o.mgr.must(200, "GET", "/api/v1/customers?filter=name:eq:乙", nil, &list)
		if len(list.Items) != 1 {
			t.Fatalf("imported customer not listed")
		}
		got := list.Items[0]
		norm := func(c cohort.Customer) cohort.Customer {
			c.ID, c.Name, c.CreditCode, c.CreatedAt, c.UpdatedAt = 0, "", "", c.CreatedAt.Round(0), c.UpdatedAt.Round(0)
			c.CreatedAt, c.UpdatedAt = cohort.Customer{}.CreatedAt, cohort.Customer{}.UpdatedAt
			return c
		}
		a, b := fmt.Sprintf("%+v %s", norm(made), made.Custom), fmt.Sprintf("%+v %s", norm(got), got.Custom)
		if a != b {
			t.Errorf("created  %s\nimported %s", a, b)
		}
		team := func(id cohort.ID) string {
			var page cohort.Page[cohort.TeamMember]
			o.mgr.must(200, "GET", "/api/v1/customers/"+id.String()+"/team", nil, &page)
			var out []string
			for _, m := range page.Items {
				out = append(out, fmt.Sprint(m.UserID, m.Role, m.Access, m.ShareBP, m.ExpiresAt, m.ValidTo, m.AddedBy))
			}
			return strings.Join(out, ";")
		}
		if a, b := team(made.ID), team(got.ID); a != b {
			t.Errorf("team: created %s, imported %s", a, b)
		}
		doc := func(id cohort.ID) string {
			var owner, dept int64
			var title, body string
			err := db.Read().QueryRowContext(context.Background(), `SELECT owner_id, department_id, title, body FROM search_docs
				WHERE tenant_id = ? AND object_type = 'customer' AND object_id = ?`, int64(o.tenant.ID), int64(id)).Scan(&owner, &dept, &title, &body)
			if err != nil {
				t.Fatal(err)
			}
			// Both bodies without the name and credit code that differ.
			body = strings.NewReplacer("甲", "", "乙", "", "91350100m000100y43 ", "").Replace(body)
			return fmt.Sprint(owner, dept, body)
		}
		if a, b := doc(made.ID), doc(got.ID); a != b {
			t.Errorf("index: created %q, imported %q", a, b)
		}
	})
}

// TestImportRefusesBadFiles: damaged workbooks, unknown columns, other
// formats and oversized uploads are refused at once and leave nothing.
func TestImportRefusesBadFiles(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		good := xlsxBytes(t, [][]string{{"客户名称"}, {"某公司"}})
		random := make([]byte, 4096)
		for i := range random {
			random[i] = byte(i*7919 + i/13)
		}
		cases := []struct {
			name   string
			file   []byte
			status int
			detail string
		}{
			{"random.xlsx", random, 422, "cannot be read"},
			{"truncated.xlsx", good[:len(good)/2], 422, "cannot be read"},
			{"empty.csv", nil, 422, "empty"},
			{"notes.txt", []byte("hello"), 422, ".xlsx or .csv"},
			{"columns.csv", rawCSV([][]string{{"Name", "Shoe size"}, {"x", "42"}}), 422, "unknown columns: Shoe size"},
			{"noname.csv", rawCSV([][]string{{"Province"}, {"x"}}), 422, "missing required columns: Name"},
			{"big.csv", bytes.Repeat([]byte("a,b\n"), testMaxUpload/4+100), 413, ""},
		}
		en := o.admin
		en.must(200, "PATCH", "/api/v1/me", map[string]any{"locale": "en"}, nil)
		for _, tc := range cases {
			res := en.upload("customer", false, tc.name, tc.file)
			if res.status != tc.status || !strings.Contains(res.problem(t).Detail, tc.detail) {
				t.Errorf("%s: %d %s", tc.name, res.status, res.body)
			}
		}
		if res := en.upload("opportunity", false, "x.csv", []byte("Name\nx\n")); res.status != 404 {
			t.Errorf("unknown object: %d", res.status)
		}
		if res := en.do("POST", "/api/v1/imports", `{"object":"customer"}`, nil); res.status != 415 {
			t.Errorf("JSON body: %d", res.status)
		}
		// A salesperson may not import.
		if res := o.alice.upload("customer", false, "x.csv", []byte("Name\nx\n")); res.status != 403 {
			t.Errorf("alice: %d", res.status)
		}
		if n := count(t, db, "SELECT count(*) FROM imports"); n != 0 {
			t.Errorf("%d imports recorded", n)
		}
		files, _ := filepath.Glob(filepath.Join(o.files, "imports", "*", "*"))
		if len(files) != 0 {
			t.Errorf("files kept: %v", files)
		}
	})
}

// TestExportScopeAndFormulas: an export holds the data scope of the list,
// and formula text comes out inert.
func TestExportScopeAndFormulas(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		var role cohort.PermRole
		o.admin.must(201, "POST", "/api/v1/perm-roles", map[string]any{"name": "销售+导出", "grants": map[string]any{
			"customer": map[string]any{"actions": []string{"view", "create", "edit", "export"}, "scope": "own"},
			"followup": map[string]any{"actions": []string{"view", "create", "export", "import"}, "scope": "own"}}}, &role)
		o.admin.must(200, "PATCH", "/api/v1/users/"+o.aliceU.ID.String(), map[string]any{"perm_role_ids": []cohort.ID{role.ID}}, nil)
		alice := o.login("alice@acme.test", "secret123")
		alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": `=HYPERLINK("http://evil.test","点我")`, "expected_amount": 1234567}, nil)
		alice.must(201, "POST", "/api/v1/customers", map[string]any{"name": "@SUM(1+1)", "city": "+cmd|' /C calc'!A0"}, nil)
		o.bob.must(201, "POST", "/api/v1/customers", map[string]any{"name": "Bob's customer"}, nil)

		res := alice.do("GET", "/api/v1/exports/customer.csv?sort=name", nil, nil)
		if res.status != 200 || !strings.Contains(res.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %s", res.status, res.body)
		}
		rows := readRows(t, sheet.CSV, res.body)
		if len(rows) != 3 {
			t.Fatalf("alice exported %d rows: %q", len(rows)-1, rows)
		}
		body := string(res.body)
		for _, want := range []string{`'=HYPERLINK(`, `'@SUM(1+1)`, `'+cmd|`, "12345.67"} {
			if !strings.Contains(body, want) {
				t.Errorf("CSV export lacks %q: %s", want, body)
			}
		}
		if strings.Contains(body, "Bob's customer") {
			t.Error("alice exported bob's customer")
		}
		// xlsx: formula text is a plain string cell, never a formula.
		xres := alice.do("GET", "/api/v1/exports/customer.xlsx?sort=name", nil, nil)
		if xres.status != 200 {
			t.Fatalf("xlsx export: %d %s", xres.status, xres.body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(xres.body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sh := f.GetSheetList()[0]
		for _, cell := range []string{"A2", "A3"} {
			formula, _ := f.GetCellFormula(sh, cell)
			v, _ := f.GetCellValue(sh, cell)
			if typ, _ := f.GetCellType(sh, cell); formula != "" || typ == excelize.CellTypeFormula || (!strings.HasPrefix(v, "=") && !strings.HasPrefix(v, "@")) {
				t.Errorf("%s: value %q formula %q type %v", cell, v, formula, typ)
			}
		}
		// Without the export permission: 403; the manager sees all three.
		if res := o.bob.do("GET", "/api/v1/exports/customer.csv", nil, nil); res.status != 403 {
			t.Errorf("bob export: %d", res.status)
		}
		if rows := readRows(t, sheet.CSV, o.mgr.do("GET", "/api/v1/exports/customer.csv", nil, nil).body); len(rows) != 4 {
			t.Errorf("manager exported %d rows", len(rows)-1)
		}
		if res := alice.do("GET", "/api/v1/exports/customer.csv?filter=salary:eq:1", nil, nil); res.status != 400 {
			t.Errorf("bad filter: %d", res.status)
		}

		// Follow-ups: alice imports onto her own customer only, then exports;
		// the tenant's own type is read and written by its name.
		o.admin.must(200, "PUT", "/api/v1/settings/followup-types", map[string]any{"types": []map[string]string{{"key": "livestream", "name_zh": "直播", "name_en": "Livestream"}}}, nil)
		fimp := alice.importFile("followup", false, "f.csv", rawCSV([][]string{
			{"Customer", "Type", "Occurred at", "Duration (s)", "Content"},
			{"'@SUM(1+1)", "call", "2026-01-05 10:00", "300", "first call"},
			{"Bob's customer", "visit", "2026-01-06", "", "not mine"},
			{"'@SUM(1+1)", "电话", "2099-01-01 10:00", "", "future"},
			{"'@SUM(1+1)", "直播", "2026-01-07 20:00", "", "live demo"},
			{"'@SUM(1+1)", "podcast", "2026-01-08 20:00", "", "no such type"},
		}))
		if fimp.RowsOK != 2 || fimp.RowsFailed != 3 {
			t.Fatalf("follow-up import %+v", fimp)
		}
		frows := byHeader(readRows(t, sheet.CSV, alice.do("GET", "/api/v1/exports/followup.csv?sort=occurred_at", nil, nil).body))
		if len(frows) != 2 || frows[0]["客户"] != "'@SUM(1+1)" || frows[0]["跟进方式"] != "电话" || frows[0]["跟进时间"] != "2026-01-05 10:00" || frows[0]["跟进人"] != "Alice" ||
			frows[1]["跟进方式"] != "直播" {
			t.Errorf("follow-up export %v", frows)
		}
		// The import moved the customer's last follow-up time (its latest row, 01-07) when it ended.
		var list struct {
			Items []struct {
				Name           string  `json:"name"`
				LastFollowUpAt *string `json:"last_followup_at"`
			} `json:"items"`
		}
		alice.do("GET", "/api/v1/customers?view=mine&limit=50", nil, nil).json(t, &list)
		moved := false
		for _, c := range list.Items {
			if c.Name == "@SUM(1+1)" {
				moved = c.LastFollowUpAt != nil && strings.HasPrefix(*c.LastFollowUpAt, "2026-01-07")
			}
		}
		if !moved {
			t.Errorf("last follow-up not moved by the import: %+v", list.Items)
		}
	})
}

// TestImportOtherTenant: an import id of another tenant, or of another
// user, is not found.
func TestImportOtherTenant(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		imp := o.mgr.importFile("lead", false, "leads.csv", rawCSV([][]string{{"姓名", "公司", "电话"}, {"李娜", "某公司", "13700137000"}, {"王强", "", "13700137000"}}))
		if imp.RowsOK != 1 || imp.RowsFailed != 1 {
			t.Fatalf("lead import %+v", imp)
		}
		_, _ = o.newTenant("other", "admin@other.test")
		other := o.login("admin@other.test", adminPassword)
		for _, p := range []string{"", "/errors.csv", "/errors.xlsx"} {
			if res := other.do("GET", "/api/v1/imports/"+imp.ID.String()+p, nil, nil); res.status != 404 {
				t.Errorf("other tenant GET %s: %d", p, res.status)
			}
			if res := o.bob.do("GET", "/api/v1/imports/"+imp.ID.String()+p, nil, nil); res.status != 404 {
				t.Errorf("other user GET %s: %d", p, res.status)
			}
		}
		o.admin.must(200, "GET", "/api/v1/imports/"+imp.ID.String(), nil, nil)
		var leads cohort.Page[cohort.Lead]
		o.mgr.must(200, "GET", "/api/v1/leads", nil, &leads)
		if len(leads.Items) != 1 || leads.Items[0].OwnerID != o.mgrU.ID {
			t.Errorf("leads %+v", leads.Items)
		}
		if res := o.mgr.do("GET", "/api/v1/exports/lead.xlsx", nil, nil); res.status != 200 || len(readRows(t, sheet.XLSX, res.body)) != 2 {
			t.Errorf("lead export: %d", res.status)
		}
	})
}

// TestImportChoiceLabels: a choice cell imports from its code, its zh-CN label
// and its en label as the UI shows them, and from earlier templates' words.
func TestImportChoiceLabels(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		rows := [][]string{{"客户名称", "定性", "定级"}}
		want := map[string][2]string{}
		for i, c := range []struct{ value, size, wantValue, wantSize string }{
			{"待确认", "普通单", "uncertain", "normal"},               // the zh-CN UI
			{"Uncertain", "Normal deal", "uncertain", "normal"}, // the en UI
			{"uncertain", "normal", "uncertain", "normal"},      // the codes
			{"不确定", "普通", "uncertain", "normal"},                // an earlier template
			{"无价值", "Big deal", "not_valuable", "big"},
		} {
			name := fmt.Sprintf("选项导入公司%d", i)
			rows = append(rows, []string{name, c.value, c.size})
			want[name] = [2]string{c.wantValue, c.wantSize}
		}
		imp := o.admin.importFile("customer", false, "choices.csv", rawCSV(rows))
		if imp.RowsOK != int64(len(want)) || imp.RowsFailed != 0 {
			t.Fatalf("import %+v", imp)
		}
		var list cohort.Page[cohort.Customer]
		o.admin.must(200, "GET", "/api/v1/customers?q=选项导入公司&limit=50", nil, &list)
		if len(list.Items) != len(want) {
			t.Fatalf("imported %d customers", len(list.Items))
		}
		for _, c := range list.Items {
			if w := want[c.Name]; c.ValueQuality != w[0] || c.DealSize != w[1] {
				t.Errorf("%s: value %q size %q, want %v", c.Name, c.ValueQuality, c.DealSize, w)
			}
		}
		// A word of no option is refused naming the options in the UI's words.
		bad := o.admin.importFile("customer", true, "bad.csv", rawCSV([][]string{{"客户名称", "定性"}, {"选项错误公司", "很好"}}))
		if bad.RowsFailed != 1 {
			t.Fatalf("a bad choice: %+v", bad)
		}
	})
}

// TestImportTemplateAsIs: every template imports as downloaded: its example
// row is skipped, not refused; the same row changed in one cell is a row.
func TestImportTemplateAsIs(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		o := newSalesOrg(t, db)
		for _, obj := range []string{"customer", "contact", "lead", "followup"} {
			for _, lang := range []string{"zh-CN", "en"} {
				res := o.admin.do("GET", "/api/v1/import/templates/"+obj+".csv?lang="+lang, nil, nil)
				if res.status != 200 {
					t.Fatalf("%s template: %d", obj, res.status)
				}
				imp := o.admin.importFile(obj, true, obj+".csv", res.body)
				if imp.RowsRead != 0 || imp.RowsFailed != 0 || imp.Status != "done" {
					errs := o.admin.do("GET", "/api/v1/imports/"+imp.ID.String()+"/errors.csv", nil, nil)
					t.Errorf("%s %s template as is: read %d, ok %d, failed %d: %s", obj, lang, imp.RowsRead, imp.RowsOK, imp.RowsFailed, errs.body)
				}
				changed := strings.Replace(string(res.body), "上海星河科技有限公司", "上海星河科技二厂", 1)
				if imp := o.admin.importFile(obj, true, obj+".csv", []byte(changed)); imp.RowsRead != 1 {
					t.Errorf("%s %s: a changed example row is read: %+v", obj, lang, imp)
				}
			}
		}
	})
}
