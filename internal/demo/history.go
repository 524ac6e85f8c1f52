package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
)

// Scale is how much history the demo makes.
type Scale struct {
	Name string
	// People is the head count to reach (the base company has 59).
	People    int
	Customers int
	// Per customer, on average.
	Contacts, Opportunities, FollowUps float64
	// Goals makes the demo's goal rules with this fiscal year's targets.
	Goals bool
}

// Scales, "L" as in DESIGN.md section 8: 500 people, 200 k customers,
// 400 k contacts, 300 k opportunities, 5 M follow-ups.
var Scales = map[string]Scale{
	"S": {Name: "S", People: 59, Customers: 2000, Contacts: 2, Opportunities: 1.5, FollowUps: 12, Goals: true},
	"M": {Name: "M", People: 150, Customers: 20000, Contacts: 2, Opportunities: 1.5, FollowUps: 20, Goals: true},
	"L": {Name: "L", People: 500, Customers: 200000, Contacts: 2, Opportunities: 1.5, FollowUps: 25, Goals: true},
}

// seasonality weighs each month of the year: Spring Festival in February and
// the National Day holiday in October are quiet, quarter and year ends busy.
var seasonality = [12]float64{0.9, 0.45, 1.2, 1.1, 1.1, 1.25, 0.9, 0.85, 1.2, 0.75, 1.2, 1.35}

var (
	cities = []struct{ province, city string }{{"上海", "上海"}, {"北京", "北京"}, {"广东", "深圳"}, {"广东", "广州"}, {"浙江", "杭州"}, {"江苏", "南京"},
		{"江苏", "苏州"}, {"四川", "成都"}, {"湖北", "武汉"}, {"陕西", "西安"}, {"山东", "青岛"}, {"福建", "厦门"}, {"重庆", "重庆"}, {"天津", "天津"},
		{"湖南", "长沙"}, {"河南", "郑州"}, {"安徽", "合肥"}, {"辽宁", "沈阳"}}
	brands     = []rune("华恒通达信远鼎盛瑞泰宏博安邦科嘉德诚新锐星辰云海天合金鹏昌隆明润中联众创永兴启航")
	industries = []struct{ word, industry string }{{"智能制造", "制造业"}, {"软件", "软件与信息服务"}, {"医疗器械", "医疗健康"}, {"生物科技", "医疗健康"},
		{"物流", "交通物流"}, {"新能源", "能源"}, {"电子", "电子"}, {"教育科技", "教育"}, {"食品", "消费品"}, {"建材", "建筑"}, {"环保科技", "环保"},
		{"汽车零部件", "汽车"}, {"网络科技", "互联网"}, {"金融服务", "金融"}}
	sources       = []string{"官网", "展会", "转介绍", "电话营销", "合作伙伴", "广告投放", "老客户"}
	grades        = []string{"A", "B", "B", "C", "C", "C"}
	titles        = []string{"总经理", "采购经理", "IT总监", "财务总监", "销售总监", "技术负责人", "运营经理", "董事长助理"}
	lossReasons   = []string{"价格过高", "选择了竞品", "预算取消", "需求变化", "决策延期"}
	competitors   = []string{"纷享销客", "销售易", "Salesforce", "用友", "金蝶", ""}
	followUpTypes = []struct {
		typ    string
		weight float64
	}{{"call", 0.46}, {"wechat", 0.2}, {"visit", 0.1}, {"email", 0.07}, {"meeting", 0.05}, {"sms", 0.05}, {"proposal_sent", 0.04}, {"quote_sent", 0.03}}
	contents = map[string][]string{
		"call":          {"电话沟通需求，客户关注报表功能", "电话跟进，确认预算在审批中", "回访使用情况，反馈良好", "约下周上门拜访"},
		"wechat":        {"微信发送产品资料", "微信确认会议时间", "节日问候"},
		"visit":         {"上门拜访，见到IT负责人和业务部门", "现场演示系统，客户提出定制需求", "拜访决策人，讨论合作方式"},
		"email":         {"邮件发送方案初稿", "邮件确认合同条款"},
		"meeting":       {"线上会议，评审方案", "与客户高层会议，对齐项目目标"},
		"sms":           {"短信提醒会议时间"},
		"proposal_sent": {"发送解决方案书"},
		"quote_sent":    {"发送正式报价单"},
	}
)

// people is who the history is made of.
type people struct {
	sales    []*cohort.User
	presales []*cohort.User
	success  []*cohort.User
}

// The demo pool's no-follow-up rule: Create sets it, history follows it.
const (
	poolNoFollowUpDays = 90
	poolGradeADays     = 180
	poolLossReason     = "客户退回公海"
)

func poolDays(grade string) int {
	if grade == "A" {
		return poolGradeADays
	}
	return poolNoFollowUpDays
}

type openOpp struct {
	id      int64
	entered time.Time
}

type lostOpp struct {
	id int64
	at time.Time
}

// history writes two years and more of realistic history for a tenant:
// customers with contacts and teams, follow-up chains with next actions,
// opportunities through their stages to won or lost, and pool movements.
// It writes rows directly in large batches (the shapes the services write,
// checked by the demo test), so that scale L loads in minutes.
func history(ctx context.Context, db *store.DB, t *cohort.Tenant, ppl people, sc Scale, rng *rand.Rand, now time.Time, bar *bar) (int, error) {
	loc := t.Location()
	start := now.AddDate(-2, -1, 0)
	pickTime := func(from time.Time) time.Time {
		for {
			t := from.Add(time.Duration(rng.Int64N(int64(now.Sub(from)) + 1)))
			if rng.Float64()*1.4 < seasonality[t.In(loc).Month()-1] {
				return t
			}
		}
	}
	procs, err := store.ListProcesses(ctx, db.Read(), t.ID)
	if err != nil {
		return 0, err
	}
	pools, err := store.ListPools(ctx, db.Read(), t.ID)
	if err != nil || len(pools) == 0 {
		return 0, fmt.Errorf("demo: no pool: %v", err)
	}
	pool := pools[0]
	usedNames := map[string]bool{}
	usedPhones := map[string]bool{}
	const chunk = 1000
	written := 0
	for base := 0; base < sc.Customers; base += chunk {
		n := min(chunk, sc.Customers-base)
		err := db.BulkTx(ctx, func(tx *store.Tx) error {
			cust := store.NewBulk(tx, "customers", "tenant_id", "id", "name", "name_key", "industry", "province", "city", "source", "grade",
				"value_quality", "deal_size", "expected_amount", "currency", "status", "lost_reason", "lost_at", "first_signed_at", "owner_id",
				"department_id", "pool_id", "last_followup_at", "created_by", "created_at", "updated_at")
			team := store.NewBulk(tx, "record_team", "tenant_id", "id", "record_type", "record_id", "user_id", "role_key", "access", "share_bp",
				"valid_from", "valid_to", "added_by")
			contacts := store.NewBulk(tx, "contacts", "tenant_id", "id", "customer_id", "name", "title", "phone", "email", "is_primary", "created_at", "updated_at")
			opps := store.NewBulk(tx, "opportunities", "tenant_id", "id", "customer_id", "process_id", "stage", "name", "amount", "currency",
				"expected_close_date", "forecast_category", "status", "loss_reason", "competitor", "source", "closed_at", "owner_id", "department_id",
				"created_by", "created_at", "updated_at")
			stages := store.NewBulk(tx, "opportunity_stages", "tenant_id", "id", "opportunity_id", "stage", "entered_at", "left_at", "user_id")
			fus := store.NewBulk(tx, "followups", "tenant_id", "id", "customer_id", "contact_id", "record_type", "record_id", "type", "direction",
				"occurred_at", "duration_s", "content", "author_id", "department_id", "created_at")
			nas := store.NewBulk(tx, "next_actions", "tenant_id", "id", "customer_id", "owner_id", "plan_type", "fuzzy", "due_from", "due_to",
				"status", "done_at", "from_followup", "done_followup", "created_at")
			events := store.NewBulk(tx, "pool_events", "tenant_id", "id", "pool_id", "customer_id", "kind", "user_id", "actor_id", "reason", "at")
			for _, b := range []*store.Bulk{cust, team, contacts, opps, stages, fus, nas, events} {
				b.Hold = true
			}
			var docs []search.Doc
			var lostOpps []lostOpp
			for i := 0; i < n; i++ {
				created := pickTime(start)
				owner := ppl.sales[rng.IntN(len(ppl.sales))]
				city := cities[rng.IntN(len(cities))]
				ind := industries[rng.IntN(len(industries))]
				name := companyName(rng, city.city, ind.word, usedNames)
				cid := db.NewID()
				grade := grades[rng.IntN(len(grades))]
				// Contacts.
				nContacts := 1 + poisson(rng, sc.Contacts-1)
				contactIDs := make([]int64, nContacts)
				for k := range contactIDs {
					contactIDs[k] = db.NewID()
					cname, _ := person(rng, map[string]bool{})
					phone := uniquePhone(rng, usedPhones)
					if err := contacts.Add(ctx, int64(t.ID), contactIDs[k], cid, cname, titles[rng.IntN(len(titles))], phone, "",
						k == 0, created.UnixMilli(), created.UnixMilli()); err != nil {
						return err
					}
					docs = append(docs, search.Doc{TenantID: t.ID, ObjectType: "contact", ObjectID: cohort.ID(contactIDs[k]), OwnerID: owner.ID,
						DepartmentID: owner.DepartmentID, Title: cname, Text: name + " " + phone, UpdatedAt: created})
				}
				// Team: the owner, and presales or customer success on some.
				if err := team.Add(ctx, int64(t.ID), db.NewID(), "customer", cid, int64(owner.ID), cohort.RoleOwner, cohort.AccessWrite,
					cohort.FullShare, created.UnixMilli(), nil, int64(owner.ID)); err != nil {
					return err
				}
				if rng.Float64() < 0.3 && len(ppl.presales) > 0 {
					pre := ppl.presales[rng.IntN(len(ppl.presales))]
					if err := team.Add(ctx, int64(t.ID), db.NewID(), "customer", cid, int64(pre.ID), cohort.RolePresales, cohort.AccessRead,
						cohort.FullShare, created.Add(72*time.Hour).UnixMilli(), nil, int64(owner.ID)); err != nil {
						return err
					}
				}
				// Opportunities through their stages.
				var firstSigned *time.Time
				var openOpps []openOpp
				nOpps := poisson(rng, sc.Opportunities)
				for k := 0; k < nOpps; k++ {
					proc := procs[rng.IntN(len(procs))]
					oppCreated := pickTime(created)
					oid := db.NewID()
					amount := int64(math.Exp(rng.NormFloat64()*0.9+12.5)) * 100 // lognormal around ¥270k
					reach := rng.IntN(len(proc.Stages))
					entered := oppCreated
					status, reason, comp := cohort.OppOpen, "", ""
					var closed *time.Time
					for st := 0; st <= reach; st++ {
						next := entered.Add(time.Duration(3+rng.IntN(30)) * 24 * time.Hour)
						var left any
						if st < reach || next.Before(now) && rng.Float64() < 0.7 {
							if next.After(now) {
								next = now
							}
							left = next.UnixMilli()
						}
						if err := stages.Add(ctx, int64(t.ID), db.NewID(), oid, proc.Stages[st].Key, entered.UnixMilli(), left, int64(owner.ID)); err != nil {
							return err
						}
						if left == nil {
							break
						}
						entered = next
						if st == reach {
							// Closed after the last stage reached.
							if rng.Float64() < 0.15+0.1*float64(reach) {
								status = cohort.OppWon
							} else {
								status = cohort.OppLost
								reason = lossReasons[rng.IntN(len(lossReasons))]
								comp = competitors[rng.IntN(len(competitors))]
							}
							at := entered
							closed = &at
							if err := stages.Add(ctx, int64(t.ID), db.NewID(), oid, status, entered.UnixMilli(), nil, int64(owner.ID)); err != nil {
								return err
							}
						}
					}
					if status == cohort.OppWon && (firstSigned == nil || closed.Before(*firstSigned)) {
						firstSigned = closed
					}
					if status == cohort.OppOpen {
						openOpps = append(openOpps, openOpp{oid, entered})
					}
					updated := entered
					expected := oppCreated.AddDate(0, 2+rng.IntN(5), 0).In(loc).Format(time.DateOnly)
					oname := name + "-" + proc.NameZh + "项目"
					if err := opps.Add(ctx, int64(t.ID), oid, cid, int64(proc.ID), proc.Stages[min(reach, len(proc.Stages)-1)].Key, oname, amount,
						t.Currency, expected, forecastFor(rng, reach, len(proc.Stages)), status, reason, comp, sources[rng.IntN(len(sources))],
						msOrNil(closed), int64(owner.ID), int64(owner.DepartmentID), int64(owner.ID), oppCreated.UnixMilli(), updated.UnixMilli()); err != nil {
						return err
					}
					if err := team.Add(ctx, int64(t.ID), db.NewID(), "opportunity", oid, int64(owner.ID), cohort.RoleOwner, cohort.AccessWrite,
						cohort.FullShare, oppCreated.UnixMilli(), nil, int64(owner.ID)); err != nil {
						return err
					}
					docs = append(docs, search.Doc{TenantID: t.ID, ObjectType: "opportunity", ObjectID: cohort.ID(oid), OwnerID: owner.ID,
						DepartmentID: owner.DepartmentID, Title: oname, Text: name, UpdatedAt: updated})
				}
				// Follow-up chains: each closes the last next action and sets
				// another; the newest one is still open.
				nFus := 1 + poisson(rng, sc.FollowUps-1)
				times := make([]time.Time, nFus)
				for k := range times {
					times[k] = pickTime(created)
				}
				sortTimes(times)
				status := cohort.CustomerActive
				var lostAt *time.Time
				lostReason := ""
				if firstSigned == nil && rng.Float64() < 0.08 {
					status, lostReason = cohort.CustomerLost, lossReasons[rng.IntN(len(lossReasons))]
					at := times[len(times)-1].Add(24 * time.Hour)
					if at.After(now) {
						at = now
					}
					lostAt = &at
				}
				fids := make([]int64, len(times))
				for k := range fids {
					fids[k] = db.NewID()
				}
				var last time.Time
				for k, at := range times {
					typ := pickType(rng)
					author := owner
					if typ == "visit" && len(ppl.presales) > 0 && rng.Float64() < 0.2 {
						author = ppl.presales[rng.IntN(len(ppl.presales))]
					}
					dur := 0
					if typ == "call" {
						dur = 30 + rng.IntN(900)
					} else if typ == "visit" || typ == "meeting" {
						dur = 1800 + rng.IntN(5400)
					}
					texts := contents[typ]
					if err := fus.Add(ctx, int64(t.ID), fids[k], cid, contactIDs[rng.IntN(len(contactIDs))], "", nil, typ, "outbound", at.UnixMilli(),
						dur, texts[rng.IntN(len(texts))], int64(author.ID), int64(author.DepartmentID), at.UnixMilli()); err != nil {
						return err
					}
					last = at
					if status != cohort.CustomerActive && k == len(times)-1 {
						continue
					}
					// The owner's next action after each follow-up; the next
					// follow-up closes it, the newest is still open.
					fuzzy := cohort.FuzzyTimes[rng.IntN(len(cohort.FuzzyTimes))]
					from, to, _ := cohort.ResolveFuzzy(fuzzy, at, loc)
					naStatus, doneAt, doneFu := cohort.ActionOpen, any(nil), any(nil)
					if k < len(times)-1 {
						naStatus, doneAt, doneFu = cohort.ActionDone, times[k+1].UnixMilli(), fids[k+1]
					}
					if err := nas.Add(ctx, int64(t.ID), db.NewID(), cid, int64(owner.ID), cohort.PlanTypes[rng.IntN(len(cohort.PlanTypes))], fuzzy,
						from.UnixMilli(), to.UnixMilli(), naStatus, doneAt, fids[k], doneFu, at.UnixMilli()); err != nil {
						return err
					}
				}
				// The pool's no-follow-up rule (see Create: 90 days, 180 for
				// grade A) returned every active customer left that long, on the
				// day it came due, so that the hourly rule finds nothing to do
				// when the server starts. Its open opportunities were lost then.
				ownerID, deptID, poolID := any(int64(owner.ID)), any(int64(owner.DepartmentID)), any(nil)
				if due := last.AddDate(0, 0, poolDays(grade)); status == cohort.CustomerActive && !due.After(now) {
					ownerID, deptID, poolID = nil, nil, int64(pool.ID)
					if err := events.Add(ctx, int64(t.ID), db.NewID(), int64(pool.ID), cid, cohort.PoolReturned, int64(owner.ID), nil,
						fmt.Sprintf("no follow-up for %d days", poolDays(grade)), due.UnixMilli()); err != nil {
						return err
					}
					for _, o := range openOpps {
						at := due
						if o.entered.After(at) {
							at = o.entered.Add(time.Hour)
						}
						if at.After(now) {
							at = now
						}
						if err := stages.Add(ctx, int64(t.ID), db.NewID(), o.id, cohort.OppLost, at.UnixMilli(), nil, int64(owner.ID)); err != nil {
							return err
						}
						lostOpps = append(lostOpps, lostOpp{o.id, at})
					}
					last = due
				}
				if err := cust.Add(ctx, int64(t.ID), cid, name, cohort.CompanyKey(name), ind.industry, city.province, city.city,
					sources[rng.IntN(len(sources))], grade, []string{"", "valuable", "uncertain", "not_valuable"}[rng.IntN(4)],
					[]string{"", "big", "normal", "small"}[rng.IntN(4)], int64(rng.IntN(500))*1000000, t.Currency, status, lostReason,
					msOrNil(lostAt), msOrNil(firstSigned), ownerID, deptID, poolID, last.UnixMilli(), int64(owner.ID),
					created.UnixMilli(), last.UnixMilli()); err != nil {
					return err
				}
				docOwner, docDept := owner.ID, owner.DepartmentID
				if poolID != nil {
					docOwner, docDept = 0, 0
				}
				docs = append(docs, search.Doc{TenantID: t.ID, ObjectType: "customer", ObjectID: cohort.ID(cid), OwnerID: docOwner,
					DepartmentID: docDept, Title: name, Text: ind.industry + " " + city.province + " " + city.city, UpdatedAt: last})
				bar.Add(1)
			}
			for _, b := range []*store.Bulk{cust, contacts, team, opps, stages, fus, nas, events} { // foreign keys first
				if err := b.Flush(ctx); err != nil {
					return err
				}
				written += b.Rows
			}
			// The open opportunities of customers returned to the pool were
			// lost on that day.
			for _, o := range lostOpps {
				if _, err := tx.ExecContext(ctx, `UPDATE opportunities SET status = 'lost', loss_reason = ?, closed_at = ?, updated_at = ?
					WHERE tenant_id = ? AND id = ?`, poolLossReason, o.at.UnixMilli(), o.at.UnixMilli(), int64(t.ID), o.id); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE opportunity_stages SET left_at = ? WHERE tenant_id = ? AND opportunity_id = ?
					AND left_at IS NULL AND stage <> 'lost'`, o.at.UnixMilli(), int64(t.ID), o.id); err != nil {
					return err
				}
			}
			// Pooled customers have no current team and no open next action.
			if _, err := tx.ExecContext(ctx, `UPDATE next_actions SET status = 'cancelled' WHERE tenant_id = ? AND status = 'open' AND customer_id IN
				(SELECT id FROM customers WHERE tenant_id = ? AND pool_id IS NOT NULL)`, int64(t.ID), int64(t.ID)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE record_team SET valid_to = (SELECT c.updated_at FROM customers c WHERE c.tenant_id = record_team.tenant_id
				AND c.id = record_team.record_id) WHERE tenant_id = ? AND record_type = 'customer' AND valid_to IS NULL AND record_id IN
				(SELECT id FROM customers WHERE tenant_id = ? AND pool_id IS NOT NULL)`, int64(t.ID), int64(t.ID)); err != nil {
				return err
			}
			if err := search.IndexNew(ctx, tx, docs); err != nil {
				return err
			}
			written += len(docs)
			return nil
		})
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

func companyName(rng *rand.Rand, city, word string, used map[string]bool) string {
	for i := 0; ; i++ {
		b := string([]rune{brands[rng.IntN(len(brands))], brands[rng.IntN(len(brands))]})
		name := city + b + word + "有限公司"
		if i > 20 {
			name = fmt.Sprintf("%s%s%s%d有限公司", city, b, word, rng.IntN(1000))
		}
		if !used[name] {
			used[name] = true
			return name
		}
	}
}

func uniquePhone(rng *rand.Rand, used map[string]bool) string {
	for {
		p := fmt.Sprintf("1%d%d%08d", 3+rng.IntN(7), rng.IntN(10), rng.IntN(1e8))
		if !used[p] {
			used[p] = true
			return p
		}
	}
}

func poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	// Knuth's method is fine for the small means used here.
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func pickType(rng *rand.Rand) string {
	x := rng.Float64()
	for _, t := range followUpTypes {
		if x < t.weight {
			return t.typ
		}
		x -= t.weight
	}
	return "call"
}

func forecastFor(rng *rand.Rand, reach, n int) string {
	switch {
	case reach >= n-1:
		return "commit"
	case reach >= n/2 && rng.Float64() < 0.5:
		return "best_case"
	}
	return "pipeline"
}

func msOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}
