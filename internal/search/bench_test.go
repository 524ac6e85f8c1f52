package search_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// Name parts for realistic generated records.
var (
	benchCities   = []string{"北京", "上海", "深圳", "广州", "杭州", "南京", "成都", "武汉", "西安", "苏州", "天津", "重庆", "华东", "华南", "华北"}
	benchCores    = []string{"科技", "网络", "信息", "软件", "电子", "贸易", "医疗", "教育", "智能", "数据", "云计算", "新能源", "物流", "制造", "咨询", "传媒", "金融", "生物", "环保", "建设"}
	benchNames    = []string{"华瑞", "恒通", "鼎盛", "博远", "汇丰", "星辰", "东方", "天成", "中和", "凯达", "宏图", "金石", "海纳", "明德", "嘉禾", "永信", "光华", "安泰", "瑞丰", "创新"}
	benchSuffixes = []string{"有限公司", "股份有限公司", "集团", "科技有限公司", "工作室", "研究院"}
	benchSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗"}
	benchGiven    = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "晓东"}
	benchLatin    = []string{"Cohort", "Tech", "Cloud", "Data", "Global", "Pro", "CRM", "ERP", "SaaS", "AI"}
	benchProjects = []string{"CRM 升级", "ERP 实施", "数据平台", "年度框架采购", "云迁移", "安全评估", "渠道合作", "二期扩容", "培训服务", "运维外包"}
)

func benchDoc(r *rand.Rand, tenant cohort.ID, i int) search.Doc {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	phone := fmt.Sprintf("1%d%d-%04d-%04d", 3+r.IntN(6), r.IntN(10), r.IntN(10000), r.IntN(10000))
	company := pick(benchCities) + pick(benchNames) + pick(benchCores) + pick(benchSuffixes)
	d := search.Doc{TenantID: tenant, ObjectID: cohort.ID(i + 1), OwnerID: cohort.ID(1 + r.IntN(500)),
		DepartmentID: cohort.ID(1 + r.IntN(40)), UpdatedAt: time.Unix(1.7e9+int64(r.IntN(1e8)), 0)}
	switch k := i % 9; {
	case k < 2: // 2 customers
		d.ObjectType, d.Title = "customer", company
		d.Text = pick(benchCities) + "市" + pick(benchNames) + "路" + strconv.Itoa(1+r.IntN(999)) + "号 " + phone
		if r.IntN(3) == 0 {
			d.Text += " " + pick(benchLatin) + " " + pick(benchLatin)
		}
	case k < 6: // 4 contacts
		d.ObjectType, d.Title = "contact", pick(benchSurnames)+pick(benchGiven)
		d.Text = company + " " + phone + fmt.Sprintf(" user%d@%s.com", r.IntN(100000), pick(benchLatin))
	default: // 3 opportunities
		d.ObjectType, d.Title = "opportunity", company+" "+pick(benchProjects)
		d.Text = "预计金额 " + strconv.Itoa(r.IntN(500)*1000) + " 元"
	}
	return d
}

// BenchmarkSearch measures searches over an index of COHORT_BENCH_DOCS
// (default 100,000) generated customers, contacts and opportunities of one
// tenant, in the proportions of the "L" scale. Set COHORT_BENCH_POSTGRES=1 to
// measure PostgreSQL (COHORT_TEST_POSTGRES) too.
func BenchmarkSearch(b *testing.B) {
	n := 100000
	if s := os.Getenv("COHORT_BENCH_DOCS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	engines := []store.Engine{store.SQLite}
	if os.Getenv("COHORT_BENCH_POSTGRES") != "" && storetest.PostgresDSN(b) != "" {
		engines = append(engines, store.Postgres)
	}
	ctx := context.Background()
	for _, e := range engines {
		db := storetest.Open(b, e)
		tenant := newTenant(b, db, "bench")
		other := newTenant(b, db, "other")
		r := rand.New(rand.NewPCG(1, 1))
		start := time.Now()
		const batch = 5000
		for i := 0; i < n; i += batch {
			err := db.WriteTx(ctx, func(tx *store.Tx) error {
				for j := i; j < min(i+batch, n); j++ {
					t := tenant
					if j%10 == 9 {
						t = other // a neighbour whose rows the search must skip
					}
					if err := search.Upsert(ctx, tx, benchDoc(r, t, j)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := db.Checkpoint(ctx); err != nil {
			b.Fatal(err)
		}
		if e == store.Postgres {
			// What autovacuum does after a load: flush the GIN pending list and
			// give the planner the token statistics it chooses plans by.
			if err := db.ExecForTest(ctx, "VACUUM ANALYZE search_docs"); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("%s: indexed %d records in %v", e, n, time.Since(start).Round(time.Millisecond))
		own := store.AccessWhere(cohort.Access{TenantID: tenant, Scope: cohort.ScopeOwn, UserID: 7}, "d.owner_id", "d.department_id")
		// The scope-first plan reads the owner's documents (about 200 here; a
		// salesperson of the L demo has 2 k of 900 k) and verifies the text.
		ownDocs := store.Where{SQL: "SELECT s.id FROM search_docs s WHERE s.tenant_id = ? AND s.owner_id = ?",
			Args: []any{int64(tenant), 7}}
		for _, c := range []struct {
			name, q string
			scope   store.Where
			docs    store.Where
		}{
			{"cjk1", "华", store.Where{}, store.Where{}},
			{"cjk1-own", "华", own, store.Where{}},
			{"cjk1-own-first", "华", own, ownDocs},
			{"city-own", "上海", own, store.Where{}},
			{"city-own-first", "上海", own, ownDocs},
			{"phone-own-first", "13800138000", own, ownDocs},
			{"cjk2", "恒通", store.Where{}, store.Where{}},
			{"cjk4", "上海恒通", store.Where{}, store.Where{}},
			{"company", "上海恒通科技有限公司", store.Where{}, store.Where{}},
			{"person", "王伟", store.Where{}, store.Where{}},
			{"two-terms", "王伟 上海", store.Where{}, store.Where{}},
			{"phone-part", "3800", store.Where{}, store.Where{}},
			{"phone", "13800138000", store.Where{}, store.Where{}},
			{"latin-prefix", "coh", store.Where{}, store.Where{}},
			{"latin1", "c", store.Where{}, store.Where{}},
			{"email", "user123@cohort", store.Where{}, store.Where{}},
		} {
			b.Run(fmt.Sprintf("%s/%s", e, c.name), func(b *testing.B) {
				var hits []search.Hit
				for b.Loop() {
					var err error
					hits, err = search.SearchScoped(ctx, db.Read(), db.Engine, tenant, c.q, nil, search.Scope{Where: c.scope, Docs: c.docs}, 20)
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(hits)), "hits")
			})
		}
	}
}
