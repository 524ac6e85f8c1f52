package search_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func newTenant(t testing.TB, db *store.DB, slug string) cohort.ID {
	t.Helper()
	ten := &cohort.Tenant{Name: slug, Slug: slug, TimeZone: "Asia/Shanghai", FiscalYearStartMonth: 1, Currency: "CNY", Locale: "zh-CN",
		WeekStart: cohort.DefaultWeekStart, BackdateWindowDays: cohort.DefaultBackdateWindowDays}
	if err := db.WriteTx(context.Background(), func(tx *store.Tx) error { return store.InsertTenant(context.Background(), tx, ten, t0) }); err != nil {
		t.Fatal(err)
	}
	return ten.ID
}

func index(t testing.TB, db *store.DB, docs ...search.Doc) {
	t.Helper()
	ctx := context.Background()
	err := db.WriteTx(ctx, func(tx *store.Tx) error {
		for _, d := range docs {
			if err := search.Upsert(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func find(t testing.TB, db *store.DB, tenant cohort.ID, q string, types []string, scope store.Where, limit int) []search.Hit {
	t.Helper()
	hits, err := search.Search(context.Background(), db.Read(), db.Engine, tenant, q, types, scope, limit)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return hits
}

// findFirst is find through the scope-first plan: docs names the documents
// read, scope still decides.
func findFirst(t testing.TB, db *store.DB, tenant cohort.ID, q string, types []string, scope, docs store.Where, limit int) []search.Hit {
	t.Helper()
	search.AlwaysScopeFirst(true)
	defer search.AlwaysScopeFirst(false)
	hits, err := search.SearchScoped(context.Background(), db.Read(), db.Engine, tenant, q, types,
		search.Scope{Where: scope, Docs: docs}, limit)
	if err != nil {
		t.Fatalf("search %q scope first: %v", q, err)
	}
	return hits
}

// findDepts is find through the index narrowed to the documents of
// departments depts and those team names (see search.Scope.Departments):
// scope still decides.
func findDepts(t testing.TB, db *store.DB, tenant cohort.ID, q string, types []string, scope, depts, team store.Where, limit int) []search.Hit {
	t.Helper()
	search.AlwaysDepartments(true)
	defer search.AlwaysDepartments(false)
	hits, err := search.SearchScoped(context.Background(), db.Read(), db.Engine, tenant, q, types,
		search.Scope{Where: scope, Departments: depts, Team: team}, limit)
	if err != nil {
		t.Fatalf("search %q narrowed to departments: %v", q, err)
	}
	return hits
}

// tenantDocs names every document of a tenant, for the scope-first plan.
func tenantDocs(tenant cohort.ID) store.Where {
	return store.Where{SQL: "SELECT s.id FROM search_docs s WHERE s.tenant_id = ?", Args: []any{int64(tenant)}}
}

func ids(hits []search.Hit) []cohort.ID {
	var out []cohort.ID
	for _, h := range hits {
		out = append(out, h.ObjectID)
	}
	return out
}

func sorted(s []cohort.ID) []cohort.ID {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newTenant(t, db, "tenant-a"), newTenant(t, db, "tenant-b")
		doc := func(tenant cohort.ID, typ string, id cohort.ID, title, text string, age time.Duration) search.Doc {
			return search.Doc{TenantID: tenant, ObjectType: typ, ObjectID: id, OwnerID: 7, Title: title, Text: text, UpdatedAt: t0.Add(-age)}
		}
		index(t, db,
			doc(a, "customer", 1, "华东科技有限公司", "上海市浦东新区 电话 021-6888-1234", time.Hour),
			doc(a, "customer", 2, "北京华东贸易", "华为供应商 项目", 2*time.Hour),
			doc(a, "customer", 3, "Cohort客户管理CRM系统", "sales@CohortCRM.com", 3*time.Hour),
			doc(a, "contact", 4, "张伟", "手机 138-0013-8000 zhang.wei@example.com", 4*time.Hour),
			doc(a, "contact", 5, "Ｌｉ　Ｎａ 李娜", "备注：科技公司的采购负责人", 5*time.Hour),
			doc(a, "opportunity", 6, "东科新项目", "华东区域 的 科技项目", 6*time.Hour),
			doc(b, "customer", 101, "华东科技有限公司", "another tenant", time.Hour),
		)
		for _, c := range []struct {
			q       string
			types   []string
			want    []cohort.ID // sorted, or in rank order if ordered
			ordered bool
		}{
			{"华", nil, []cohort.ID{1, 2, 6}, false},
			{"华东", nil, []cohort.ID{1, 2, 6}, false},
			{"华东科技", nil, []cohort.ID{1}, false}, // 6 has every bigram but not the phrase
			{"东科", nil, []cohort.ID{1, 6}, false},
			{"项目", nil, []cohort.ID{6, 2}, true},          // title beats a newer text
			{"科技 华东", nil, []cohort.ID{1, 6}, false},      // terms anywhere, in any order
			{"华东科技有限公司", nil, []cohort.ID{1}, false},      // many bigrams
			{"客户管理crm", nil, []cohort.ID{3}, false},       // mixed
			{"ｃｒｍ系统", nil, []cohort.ID{3}, false},         // full-width query
			{"rt客户", nil, []cohort.ID{3}, false},          // a word's end, then CJK
			{"coh", nil, []cohort.ID{3}, false},           // prefix
			{"hortcrm", nil, []cohort.ID{3}, false},       // inside a word
			{"cohortcrm.com", nil, []cohort.ID{3}, false}, // an address's domain
			{"zhang.wei", nil, []cohort.ID{4}, false},     // an address's local part
			{"13800138000", nil, []cohort.ID{4}, false},   // written with dashes
			{"0013-8000", nil, []cohort.ID{4}, false},
			{"8000", nil, []cohort.ID{4}, false},
			{"68881234", nil, []cohort.ID{1}, false},
			{"li na", nil, []cohort.ID{5}, false},
			{"LI", nil, []cohort.ID{5}, false},
			{"华东", []string{"customer"}, []cohort.ID{1, 2}, false},
			{"华东", []string{"contact", "opportunity"}, []cohort.ID{6}, false},
			{"华东科技有限公司 上海", nil, []cohort.ID{1}, false},
			{"华东科技有限公司 北京", nil, nil, false},
			{"东华", nil, nil, false},
			{"q", nil, nil, false},
			{`li'na" c:*&|! 张伟'); --`, nil, nil, false}, // query syntax of either engine is only text
		} {
			got := ids(find(t, db, a, c.q, c.types, store.Where{}, 0))
			if !c.ordered {
				// bm25 and ts_rank weigh length and frequency differently;
				// only clear cases are ordered the same on both engines.
				got = sorted(got)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("search %q %v = %v, want %v", c.q, c.types, got, c.want)
			}
		}
		if got := ids(find(t, db, b, "华东", nil, store.Where{}, 0)); !slices.Equal(got, []cohort.ID{101}) {
			t.Errorf("tenant b: %v, want [101]", got)
		}

		hits := find(t, db, a, "华东科技", nil, store.Where{}, 0)
		if len(hits) != 1 || hits[0].Title != "华东科技有限公司" || hits[0].ObjectType != "customer" ||
			!strings.Contains(hits[0].Snippet, "华东科技") {
			t.Errorf("hit = %+v", hits)
		}
		if got := ids(find(t, db, a, "华", nil, store.Where{}, 2)); len(got) != 2 {
			t.Errorf("limit 2: %v", got)
		}

		// Re-indexing replaces the text; deleting removes the record.
		index(t, db, doc(a, "customer", 1, "华南科技", "", 0))
		if got := sorted(ids(find(t, db, a, "华东", nil, store.Where{}, 0))); !slices.Equal(got, []cohort.ID{2, 6}) {
			t.Errorf("after update 华东: %v", got)
		}
		if got := ids(find(t, db, a, "华南", nil, store.Where{}, 0)); !slices.Equal(got, []cohort.ID{1}) {
			t.Errorf("after update 华南: %v", got)
		}
		index(t, db, doc(a, "customer", 1, "华南科技", "", 0)) // same text again
		err := db.WriteTx(ctx, func(tx *store.Tx) error {
			if err := search.Delete(ctx, tx, a, "customer", 2); err != nil {
				return err
			}
			return search.Delete(ctx, tx, a, "customer", 999) // not indexed
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(find(t, db, a, "华东", nil, store.Where{}, 0)); !slices.Equal(got, []cohort.ID{6}) {
			t.Errorf("after delete: %v", got)
		}

		for _, c := range []struct {
			q     string
			limit int
		}{{"", 0}, {"  ", 0}, {"!?", 0}, {"😀", 0}, {strings.Repeat("华", 201), 0}, {"华", 101}, {"华", -1}} {
			_, err := search.Search(ctx, db.Read(), db.Engine, a, c.q, nil, store.Where{}, c.limit)
			if cohort.ErrorCode(err) != cohort.EINVALID {
				t.Errorf("search %.10q limit %d: %v, want EINVALID", c.q, c.limit, err)
			}
		}
	})
}

// TestSearchScope checks that the caller's data scope limits the hits.
func TestSearchScope(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		a := newTenant(t, db, "tenant-a")
		var docs []search.Doc
		for i := 1; i <= 6; i++ {
			docs = append(docs, search.Doc{TenantID: a, ObjectType: "customer", ObjectID: cohort.ID(i),
				OwnerID: cohort.ID(10 + i%3), DepartmentID: cohort.ID(20 + i%2), Title: fmt.Sprintf("上海客户%d", i), UpdatedAt: t0})
		}
		docs[0].OwnerID = 0 // in the public pool
		index(t, db, docs...)
		for _, c := range []struct {
			access cohort.Access
			want   []cohort.ID
		}{
			{cohort.Access{TenantID: a, Scope: cohort.ScopeAll, UserID: 11}, []cohort.ID{1, 2, 3, 4, 5, 6}},
			{cohort.Access{TenantID: a, Scope: cohort.ScopeOwn, UserID: 11}, []cohort.ID{4}},
			{cohort.Access{TenantID: a, Scope: cohort.ScopeOwn, UserID: 12}, []cohort.ID{2, 5}},
			{cohort.Access{TenantID: a, Scope: cohort.ScopeDepartment, UserID: 12, DepartmentID: 20}, []cohort.ID{2, 4, 6}},
		} {
			scope := store.AccessWhere(c.access, "d.owner_id", "d.department_id")
			if got := sorted(ids(find(t, db, a, "上海", nil, scope, 0))); !slices.Equal(got, c.want) {
				t.Errorf("%+v: %v, want %v", c.access, got, c.want)
			}
			// Scope first: the documents read may be more than the scope.
			if got := sorted(ids(findFirst(t, db, a, "上海", nil, scope, tenantDocs(a), 0))); !slices.Equal(got, c.want) {
				t.Errorf("%+v scope first: %v, want %v", c.access, got, c.want)
			}
			docs := store.AccessWhere(c.access, "s.owner_id", "s.department_id")
			if docs.SQL != "" {
				docs = store.Where{SQL: "SELECT s.id FROM search_docs s WHERE s.tenant_id = ? AND (" + docs.SQL + ")",
					Args: append([]any{int64(a)}, docs.Args...)}
				if got := sorted(ids(findFirst(t, db, a, "上海", nil, scope, docs, 0))); !slices.Equal(got, c.want) {
					t.Errorf("%+v scope first, own documents: %v, want %v", c.access, got, c.want)
				}
			}
			// Narrowed to the scope's departments through the index.
			if depts, ok := store.AccessDepartments(c.access); ok {
				if got := sorted(ids(findDepts(t, db, a, "上海", nil, scope, depts, store.Where{}, 0))); !slices.Equal(got, c.want) {
					t.Errorf("%+v narrowed to departments: %v, want %v", c.access, got, c.want)
				}
			}
		}
		// A record team is OR-ed in by the caller over d.object_type and d.object_id.
		own := store.AccessWhere(cohort.Access{TenantID: a, Scope: cohort.ScopeOwn, UserID: 11}, "d.owner_id", "d.department_id")
		team := store.Where{SQL: own.SQL + " OR (d.object_type = ? AND d.object_id IN (?, ?))", Args: append(own.Args, "customer", 1, 3)}
		if got := sorted(ids(find(t, db, a, "上海", nil, team, 0))); !slices.Equal(got, []cohort.ID{1, 3, 4}) {
			t.Errorf("own or team: %v", got)
		}
	})
}

// Pieces of realistic CRM text for generated records.
var (
	cjkPieces = strings.Fields(`科技 有限 公司 有限公司 华东 华南 北京 上海 深圳 广州 杭州 南京 网络 信息 软件 电子 贸易
		集团 股份 实业 发展 医疗 教育 客户 管理 系统 销售 采购 经理 总监 项目 合同 回款 张 王 李 赵 刘 陈 杨 黄 伟 芳 娜 敏 静
		强 磊 军 洋 勇 艳 杰 东 科 技 京 海 的 了 和 是 在 中 国 华为 腾讯 阿里 字节 東京 タワー 서울`)
	latinPieces = strings.Fields(`Cohort CRM SaaS Tech Global Cloud Data AI ERP Pro Ltd Inc Co Ｃｌｏｕｄ ＣＲＭ Ｓｙｓ
		sales admin Zhang Wei Li Na 2024 2026 v2 A B x`)
	separators = []string{"", "", "", " ", " ", "，", "。", "-", "·", "(", ")", "\n", "、", "&", "😀", "／"}
)

func randomText(r *rand.Rand, pieces int) string {
	var b strings.Builder
	for range pieces {
		switch n := r.IntN(20); {
		case n < 12:
			b.WriteString(cjkPieces[r.IntN(len(cjkPieces))])
		case n < 17:
			b.WriteString(latinPieces[r.IntN(len(latinPieces))])
		case n < 18:
			fmt.Fprintf(&b, "1%02d-%04d-%04d", 30+r.IntN(60), r.IntN(10000), r.IntN(10000))
		case n < 19:
			fmt.Fprintf(&b, "%s.%s@%s.com", latinPieces[r.IntN(len(latinPieces))], latinPieces[r.IntN(len(latinPieces))], latinPieces[r.IntN(len(latinPieces))])
		default:
			fmt.Fprintf(&b, "%d", r.IntN(100000))
		}
		b.WriteString(separators[r.IntN(len(separators))])
	}
	return b.String()
}

// TestSearchProperty indexes generated records in two tenants and checks,
// against a brute-force oracle, that any substring of two or more characters
// of a record's text finds that record, that every hit contains the query
// (and exactly the records that do are hit), that single characters find
// exactly the records holding them, and that no tenant ever sees another's.
func TestSearchProperty(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		const n = 200 // records per tenant
		r := rand.New(rand.NewPCG(20261102, 1))
		types := []string{"customer", "contact", "opportunity", "lead"}
		tenants := []cohort.ID{newTenant(t, db, "tenant-a"), newTenant(t, db, "tenant-b")}
		type rec struct {
			doc       search.Doc
			original  string // what a user typed
			indexText string // what a hit must contain
		}
		var recs [2][]rec
		for ti, tenant := range tenants {
			var docs []search.Doc
			for i := range n {
				d := search.Doc{TenantID: tenant, ObjectType: types[r.IntN(len(types))],
					ObjectID: cohort.ID(ti*100000 + i + 1), OwnerID: cohort.ID(ti*100000 + i + 1), DepartmentID: cohort.ID(1 + i%3),
					Title: randomText(r, 1+r.IntN(4)), Text: randomText(r, r.IntN(10)),
					UpdatedAt: t0.Add(time.Duration(r.IntN(1e6)) * time.Second)}
				docs = append(docs, d)
				recs[ti] = append(recs[ti], rec{d, d.Title + "\n" + d.Text, search.IndexText(d.Title + "\n" + d.Text)})
			}
			index(t, db, docs...)
		}
		oracle := func(ti int, q search.Query, typ string) []cohort.ID {
			var out []cohort.ID
			for _, rc := range recs[ti] {
				if typ != "" && rc.doc.ObjectType != typ {
					continue
				}
				ok := true
				for _, term := range q.Terms {
					ok = ok && strings.Contains(rc.indexText, term.Text)
				}
				if ok {
					out = append(out, rc.doc.ObjectID)
				}
			}
			return out
		}
		// check compares the hits of q (per object type, so that no answer is
		// cut by the limit) with the oracle in both tenants.
		check := func(q string) {
			pq, err := search.ParseQuery(q)
			if err != nil {
				t.Fatalf("%q: %v", q, err)
			}
			for ti, tenant := range tenants {
				var got, want []cohort.ID
				for _, typ := range types {
					hits := find(t, db, tenant, q, []string{typ}, store.Where{}, search.MaxLimit)
					exp := oracle(ti, pq, typ)
					// The scope-first plan finds the same records.
					first := findFirst(t, db, tenant, q, []string{typ}, store.Where{}, tenantDocs(tenant), search.MaxLimit)
					if a, b := sorted(ids(first)), sorted(slices.Clone(exp)); !slices.Equal(a, b) {
						t.Errorf("tenant %d, %q, %s scope first: hits %v, want %v", ti, q, typ, a, b)
					}
					// Narrowed to departments 1 and 2 and a "team" of every
					// seventh record: the records of the scope, whichever
					// plan.
					deptOf := func(id cohort.ID) cohort.ID {
						for _, rc := range recs[ti] {
							if rc.doc.ObjectID == id {
								return rc.doc.DepartmentID
							}
						}
						return 0
					}
					inScope := func(id cohort.ID) bool { return deptOf(id) != 3 || id%7 == 0 }
					scope := store.Where{SQL: "d.department_id IN (1, 2) OR d.object_id % 7 = 0"}
					depts := store.Where{SQL: "SELECT CAST(? AS BIGINT) UNION ALL SELECT CAST(? AS BIGINT)", Args: []any{1, 2}}
					team := store.Where{SQL: "SELECT s.id FROM search_docs s WHERE s.tenant_id = ? AND s.object_id % 7 = 0", Args: []any{int64(tenant)}}
					var expScope []cohort.ID
					for _, id := range exp {
						if inScope(id) {
							expScope = append(expScope, id)
						}
					}
					for _, tm := range []store.Where{team, {}} {
						want := expScope
						if tm.SQL == "" { // no team: the departments alone
							want = nil
							for _, id := range exp {
								if deptOf(id) != 3 {
									want = append(want, id)
								}
							}
						}
						got := findDepts(t, db, tenant, q, []string{typ}, scope, depts, tm, search.MaxLimit)
						if a, b := sorted(ids(got)), sorted(slices.Clone(want)); !slices.Equal(a, b) {
							t.Errorf("tenant %d, %q, %s narrowed to departments (team %t): hits %v, want %v", ti, q, typ, tm.SQL != "", a, b)
						}
					}
					if len(exp) >= search.MaxLimit {
						t.Fatalf("%q: %d records of type %s match; the test needs fewer than %d", q, len(exp), typ, search.MaxLimit)
					}
					got, want = append(got, ids(hits)...), append(want, exp...)
				}
				if got, want := sorted(got), sorted(want); !slices.Equal(got, want) {
					t.Errorf("tenant %d, %q: hits %v, want %v", ti, q, got, want)
				}
			}
		}

		skipped, checked := 0, 0
		for range 250 {
			rc := recs[0][r.IntN(n)]
			runes := []rune(rc.original)
			if len(runes) < 2 {
				continue
			}
			start := r.IntN(len(runes) - 1)
			q := string(runes[start : start+2+r.IntN(min(11, len(runes)-start-1))])
			if _, err := search.ParseQuery(q); err != nil {
				// Only a query without a letter or digit may be refused.
				if cohort.ErrorCode(err) != cohort.EINVALID || strings.ContainsFunc(q, isAlnum) {
					t.Fatalf("%q: %v", q, err)
				}
				skipped++
				continue
			}
			checked++
			// The record is found: scoped to its owner so that the limit
			// cannot hide it among more relevant ones.
			scope := store.Where{SQL: "d.owner_id = ?", Args: []any{int64(rc.doc.OwnerID)}}
			if got := ids(find(t, db, tenants[0], q, nil, scope, 0)); !slices.Equal(got, []cohort.ID{rc.doc.ObjectID}) {
				t.Errorf("%q of record %d (%q): hits %v", q, rc.doc.ObjectID, rc.original, got)
			}
			owned := store.Where{SQL: "SELECT s.id FROM search_docs s WHERE s.tenant_id = ? AND s.owner_id = ?",
				Args: []any{int64(tenants[0]), int64(rc.doc.OwnerID)}}
			if got := ids(findFirst(t, db, tenants[0], q, nil, scope, owned, 0)); !slices.Equal(got, []cohort.ID{rc.doc.ObjectID}) {
				t.Errorf("%q of record %d (%q) scope first: hits %v", q, rc.doc.ObjectID, rc.original, got)
			}
			check(q)
		}
		if skipped > checked/10 {
			t.Errorf("%d of %d substrings were refused", skipped, skipped+checked)
		}
		// Single characters find exactly the records that hold them.
		for _, q := range []string{"华", "科", "司", "娜", "タ", "서", "c", "x", "7", "Ｃ"} {
			check(q)
		}
	})
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
