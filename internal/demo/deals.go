package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
)

// demoProducts are what the demo company sells.
var demoProducts = []struct {
	code, name, unit string
	price            int64
}{
	{"CRM-STD", "销售管理系统 标准版", "套", 1980000},
	{"CRM-PRO", "销售管理系统 专业版", "套", 4980000},
	{"BI-CKPT", "数据驾驶舱", "套", 2680000},
	{"IMPL-DAY", "实施服务", "人天", 250000},
	{"SUPPORT-Y", "年度运维服务", "年", 1200000},
}

var (
	ticketSubjects = map[string][]string{
		"request":   {"新增销售报表需求", "增加用户账号", "导出数据格式调整", "培训新员工"},
		"fault":     {"系统登录缓慢", "报表数据不一致", "手机端无法同步", "导入失败"},
		"complaint": {"响应速度太慢", "实施延期", "功能与合同不符"},
	}
	milestoneNames = []string{"需求调研", "系统配置", "数据迁移", "上线验收"}
	methods        = []string{"bank_transfer", "bank_transfer", "bank_transfer", "alipay", "check"}
)

// wonDeal is a won opportunity the contract pass signs.
type wonDeal struct {
	oppID, customerID, ownerID, deptID int64
	amount                             int64
	closed                             time.Time
	name                               string
	// pooled: the customer is in the pool now.
	pooled bool
}

// sales turns the won opportunities into signed contracts (small ones into
// orders) with lines, payment plans, payments and invoices; big contracts
// into delivery projects with milestones; and gives signed customers service
// tickets. Numbers are set past the highest ones used, so that numbering
// continues from there.
func sales(ctx context.Context, db *store.DB, t *cohort.Tenant, ppl people, rng *rand.Rand, now time.Time) (int, error) {
	loc := t.Location()
	sctxProducts := make([]int64, 0, len(demoProducts))
	err := db.BulkTx(ctx, func(tx *store.Tx) error {
		for _, p := range demoProducts {
			pr := &cohort.Product{TenantID: t.ID, Code: p.code, Name: p.name, Unit: p.unit, Price: p.price, Currency: t.Currency, Active: true}
			if err := store.InsertProduct(ctx, tx, pr, now); err != nil {
				return err
			}
			sctxProducts = append(sctxProducts, int64(pr.ID))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var won []wonDeal
	rows, err := db.Read().QueryContext(ctx, `SELECT o.id, o.customer_id, o.owner_id, o.department_id, o.amount, o.closed_at, o.name,
		EXISTS (SELECT 1 FROM customers c WHERE c.tenant_id = o.tenant_id AND c.id = o.customer_id AND c.pool_id IS NOT NULL)
		FROM opportunities o WHERE o.tenant_id = ? AND o.status = 'won' ORDER BY o.closed_at, o.id`, int64(t.ID))
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var w wonDeal
		var closed int64
		if err := rows.Scan(&w.oppID, &w.customerID, &w.ownerID, &w.deptID, &w.amount, &closed, &w.name, &w.pooled); err != nil {
			rows.Close()
			return 0, err
		}
		w.closed = time.UnixMilli(closed).UTC()
		won = append(won, w)
	}
	rows.Close()
	counters := map[[2]any]int{}
	number := func(prefix string, at time.Time) string {
		year := at.In(loc).Year()
		counters[[2]any{prefix, year}]++
		return fmt.Sprintf("%s-%d-%06d", prefix, year, counters[[2]any{prefix, year}])
	}
	written := 0
	csJoined := map[int64]bool{}
	contracts := 0
	byDept := map[cohort.ID][]int64{}
	for _, u := range ppl.sales {
		byDept[u.DepartmentID] = append(byDept[u.DepartmentID], int64(u.ID))
	}
	const chunk = 2000
	for base := 0; base < len(won); base += chunk {
		part := won[base:min(base+chunk, len(won))]
		err := db.BulkTx(ctx, func(tx *store.Tx) error {
			deals := store.NewBulk(tx, "deals", "tenant_id", "id", "kind", "number", "name", "customer_id", "opportunity_id", "status", "currency",
				"subtotal", "discount", "total", "start_date", "end_date", "signed_at", "signed_date", "signed_by", "owner_id", "department_id",
				"created_by", "created_at", "updated_at", "recorded_at", "voided_at", "void_reason", "signing_department_id")
			lines := store.NewBulk(tx, "deal_lines", "tenant_id", "id", "deal_id", "product_id", "quantity", "unit_price", "discount_bp", "amount")
			plans := store.NewBulk(tx, "payment_plans", "tenant_id", "id", "deal_id", "due_date", "amount", "note", "created_by", "created_at")
			pays := store.NewBulk(tx, "payments", "tenant_id", "id", "deal_id", "plan_id", "received_date", "amount", "currency", "method", "recorded_by",
				"created_at", "reverses_id", "note")
			paidCount := 0
			invs := store.NewBulk(tx, "invoices", "tenant_id", "id", "deal_id", "number", "amount", "currency", "issued_date", "status", "created_by",
				"created_at", "updated_at")
			team := store.NewBulk(tx, "record_team", "tenant_id", "id", "record_type", "record_id", "user_id", "role_key", "access", "share_bp",
				"valid_from", "valid_to", "added_by", "recorded_at")
			events := store.NewBulk(tx, "record_events", "tenant_id", "id", "record_type", "record_id", "event", "from_status", "to_status",
				"occurred_at", "recorded_at", "user_id")
			projects := store.NewBulk(tx, "projects", "tenant_id", "id", "number", "name", "customer_id", "deal_id", "status", "start_date", "due_date",
				"started_at", "completed_at", "owner_id", "department_id", "created_by", "created_at", "updated_at")
			miles := store.NewBulk(tx, "project_milestones", "tenant_id", "id", "project_id", "name", "due_date", "done_at", "done_by", "created_at")
			tickets := store.NewBulk(tx, "tickets", "tenant_id", "id", "number", "customer_id", "deal_id", "kind", "priority", "status", "subject",
				"opened_at", "first_response_at", "first_response_by", "resolved_at", "resolved_by", "resolution", "closed_at", "cost", "currency",
				"satisfaction", "owner_id", "department_id", "created_by", "created_at", "updated_at")
			all := []*store.Bulk{deals, lines, plans, pays, invs, team, events, projects, miles, tickets}
			for _, b := range all {
				b.Hold = true
			}
			for _, w := range part {
				kind, prefix := "contract", "HT"
				if w.amount < 20000000 && rng.Float64() < 0.5 {
					kind, prefix = "order", "DD"
				}
				did := db.NewID()
				signed := w.closed
				day := func(t time.Time) string { return t.In(loc).Format(time.DateOnly) }
				status := "signed"
				end := signed.AddDate(1, 0, 0)
				if kind == "contract" && end.Before(now) {
					status = "ended"
				} else if kind == "order" && signed.AddDate(0, 1, 0).Before(now) {
					status = "delivered"
				}
				// Business time: one signing in five was entered days after it
				// happened; the draft was opened two days before it.
				opened := signed.Add(-48 * time.Hour)
				recorded := opened
				if rng.Float64() < 0.2 {
					recorded = signed.Add(time.Duration(1+rng.IntN(10*24)) * time.Hour)
					if recorded.After(now) {
						recorded = now
					}
				}
				// One contract in forty was voided (作废) some weeks later; it
				// collects nothing.
				var voidedAt, voidReason any = nil, ""
				if kind == "contract" {
					contracts++
				}
				if kind == "contract" && contracts%40 == 7 {
					if at := signed.AddDate(0, 0, 7+rng.IntN(40)); at.Before(now) {
						status, voidedAt, voidReason = cohort.DealVoided, at.UnixMilli(), voidReasons[rng.IntN(len(voidReasons))]
					}
				}
				if err := deals.Add(ctx, int64(t.ID), did, kind, number(prefix, signed), w.name, w.customerID, w.oppID, status, t.Currency,
					w.amount, 0, w.amount, day(signed), day(end), signed.UnixMilli(), day(signed), w.ownerID, w.ownerID, w.deptID, w.ownerID,
					opened.UnixMilli(), signed.UnixMilli(), recorded.UnixMilli(), voidedAt, voidReason, w.deptID); err != nil {
					return err
				}
				prod := sctxProducts[rng.IntN(len(sctxProducts))]
				if err := lines.Add(ctx, int64(t.ID), db.NewID(), did, prod, 1, w.amount, 0, w.amount); err != nil {
					return err
				}
				// One deal in ten is co-owned 60/40 with a colleague of the owner's
				// department; the first team is in force from the draft's opening.
				ownerShare := cohort.FullShare
				if co := colleague(byDept, w, rng); co != 0 && rng.Float64() < 0.1 {
					ownerShare = 6000
					if err := team.Add(ctx, int64(t.ID), db.NewID(), kind, did, co, cohort.RoleOwner, cohort.AccessWrite, 4000,
						opened.UnixMilli(), nil, w.ownerID, recorded.UnixMilli()); err != nil {
						return err
					}
				}
				if err := team.Add(ctx, int64(t.ID), db.NewID(), kind, did, w.ownerID, cohort.RoleOwner, cohort.AccessWrite, ownerShare,
					opened.UnixMilli(), nil, w.ownerID, recorded.UnixMilli()); err != nil {
					return err
				}
				if len(ppl.presales) > 0 && rng.Float64() < 0.4 {
					pre := ppl.presales[rng.IntN(len(ppl.presales))]
					// A presales colleague handed over a month after one signing
					// in five: the signing stays credited to the first one.
					var left any
					handover := signed.AddDate(0, 1, 0)
					next := ppl.presales[rng.IntN(len(ppl.presales))]
					handed := next.ID != pre.ID && handover.Before(now) && rng.Float64() < 0.2
					if handed {
						left = handover.UnixMilli()
					}
					if err := team.Add(ctx, int64(t.ID), db.NewID(), kind, did, int64(pre.ID), cohort.RolePresales, cohort.AccessRead, cohort.FullShare,
						opened.UnixMilli(), left, w.ownerID, recorded.UnixMilli()); err != nil {
						return err
					}
					if handed {
						if err := team.Add(ctx, int64(t.ID), db.NewID(), kind, did, int64(next.ID), cohort.RolePresales, cohort.AccessRead, cohort.FullShare,
							handover.UnixMilli(), nil, w.ownerID, handover.UnixMilli()); err != nil {
							return err
						}
					}
				}
				evs := []event{{"created", "", "draft", opened, w.ownerID}, {"signed", "draft", "signed", signed, w.ownerID}}
				if voidedAt != nil {
					evs = append(evs, event{"voided", "signed", cohort.DealVoided, time.UnixMilli(voidedAt.(int64)).UTC(), w.ownerID})
				}
				for _, e := range evs {
					rec := max(e.at.UnixMilli(), recorded.UnixMilli())
					if err := events.Add(ctx, int64(t.ID), db.NewID(), kind, did, e.ev, e.from, e.to, e.at.UnixMilli(), rec, e.by); err != nil {
						return err
					}
				}
				if voidedAt != nil {
					continue // a void contract collects, delivers and serves nothing
				}
				// After signing, customer success joins the customer's team
				// (not of a customer in the pool: it has no team).
				if len(ppl.success) > 0 && !w.pooled && !csJoined[w.customerID] && rng.Float64() < 0.5 {
					csJoined[w.customerID] = true
					cs := ppl.success[rng.IntN(len(ppl.success))]
					if err := team.Add(ctx, int64(t.ID), db.NewID(), "customer", w.customerID, int64(cs.ID), cohort.RoleCustomerSuccess,
						cohort.AccessRead, cohort.FullShare, signed.UnixMilli(), nil, w.ownerID, nil); err != nil {
						return err
					}
				}
				// Installments: 30 % at signing, 60 % after 90 days, 10 % after
				// a year; each paid some days after it fell due, most of them.
				shares := []int64{30, 60, 10}
				offsets := []int{0, 90, 365}
				if kind == "order" {
					shares, offsets = []int64{100}, []int{15}
				}
				var planned int64
				for k, sh := range shares {
					amt := w.amount * sh / 100
					if k == len(shares)-1 {
						amt = w.amount - planned
					}
					planned += amt
					due := signed.AddDate(0, 0, offsets[k])
					pid := db.NewID()
					if err := plans.Add(ctx, int64(t.ID), pid, did, day(due), amt, "", w.ownerID, signed.UnixMilli()); err != nil {
						return err
					}
					paid := due.AddDate(0, 0, rng.IntN(40)-5)
					if paid.Before(now) && rng.Float64() < 0.88 {
						payID, method := db.NewID(), methods[rng.IntN(len(methods))]
						if err := pays.Add(ctx, int64(t.ID), payID, did, pid, day(paid), amt, t.Currency, method,
							w.ownerID, paid.UnixMilli(), nil, ""); err != nil {
							return err
						}
						// One payment in a hundred was booked in error and reversed
						// (冲销) some days later, then received again.
						paidCount++
						if back := paid.AddDate(0, 0, 3+rng.IntN(20)); paidCount%100 == 42 && back.Before(now) {
							again := back.AddDate(0, 0, 1+rng.IntN(10))
							if err := pays.Add(ctx, int64(t.ID), db.NewID(), did, pid, day(back), -amt, t.Currency, method,
								w.ownerID, back.UnixMilli(), payID, "到账金额与合同不符，冲销后重新入账"); err != nil {
								return err
							}
							if again.Before(now) {
								if err := pays.Add(ctx, int64(t.ID), db.NewID(), did, pid, day(again), amt, t.Currency, method,
									w.ownerID, again.UnixMilli(), nil, ""); err != nil {
									return err
								}
							}
						}
						if err := invs.Add(ctx, int64(t.ID), db.NewID(), did, number("FP", paid), amt, t.Currency, day(paid), "issued", w.ownerID,
							paid.UnixMilli(), paid.UnixMilli()); err != nil {
							return err
						}
					}
				}
				// Big contracts become delivery projects.
				if kind == "contract" && w.amount >= 30000000 {
					pid := db.NewID()
					pm := w.ownerID
					if len(ppl.success) > 0 {
						pm = int64(ppl.success[rng.IntN(len(ppl.success))].ID)
					}
					start := signed.AddDate(0, 0, 7)
					pstatus, completed := "in_progress", any(nil)
					if start.AddDate(0, 4, 0).Before(now) {
						pstatus, completed = "completed", start.AddDate(0, 4, 0).UnixMilli()
					}
					if err := projects.Add(ctx, int64(t.ID), pid, number("XM", start), w.name+" 实施", w.customerID, did, pstatus, day(start),
						day(start.AddDate(0, 4, 0)), start.UnixMilli(), completed, pm, w.deptID, w.ownerID, signed.UnixMilli(), signed.UnixMilli()); err != nil {
						return err
					}
					if err := team.Add(ctx, int64(t.ID), db.NewID(), "project", pid, pm, cohort.RoleOwner, cohort.AccessWrite, cohort.FullShare,
						signed.UnixMilli(), nil, w.ownerID, nil); err != nil {
						return err
					}
					// The project manager and an implementer work it.
					if err := team.Add(ctx, int64(t.ID), db.NewID(), "project", pid, pm, cohort.RoleProjectManager, cohort.AccessWrite,
						cohort.FullShare, signed.UnixMilli(), nil, w.ownerID, nil); err != nil {
						return err
					}
					if len(ppl.success) > 1 {
						impl := ppl.success[rng.IntN(len(ppl.success))]
						if int64(impl.ID) != pm {
							if err := team.Add(ctx, int64(t.ID), db.NewID(), "project", pid, int64(impl.ID), cohort.RoleImplementer, cohort.AccessWrite,
								cohort.FullShare, signed.UnixMilli(), nil, w.ownerID, nil); err != nil {
								return err
							}
						}
					}
					// Its events, as the service records them: opened, started,
					// each milestone done, completed.
					pevents := []event{{"created", "", "planned", signed, w.ownerID}, {"in_progress", "planned", "in_progress", start, pm}}
					for k, mname := range milestoneNames {
						due := start.AddDate(0, k+1, 0)
						var done, by any
						if due.Before(now) {
							at := due.Add(-time.Duration(rng.IntN(5*24)) * time.Hour)
							done, by = at.UnixMilli(), pm
							pevents = append(pevents, event{"milestone_done", "in_progress", "in_progress", at, pm})
						}
						if err := miles.Add(ctx, int64(t.ID), db.NewID(), pid, mname, day(due), done, by, signed.UnixMilli()); err != nil {
							return err
						}
					}
					if pstatus == "completed" {
						pevents = append(pevents, event{"completed", "in_progress", "completed", start.AddDate(0, 4, 0), pm})
					}
					for _, e := range pevents {
						if err := events.Add(ctx, int64(t.ID), db.NewID(), "project", pid, e.ev, e.from, e.to, e.at.UnixMilli(), e.at.UnixMilli(), e.by); err != nil {
							return err
						}
					}
				}
				// Service tickets after signing.
				for k := poisson(rng, 1.2); k > 0; k-- {
					opened := signed.Add(time.Duration(rng.Int64N(int64(now.Sub(signed)) + 1)))
					kindT := "request"
					switch x := rng.Float64(); {
					case x < 0.1:
						kindT = "complaint"
					case x < 0.4:
						kindT = "fault"
					}
					subj := ticketSubjects[kindT][rng.IntN(len(ticketSubjects[kindT]))]
					first := opened.Add(time.Duration(20+rng.IntN(600)) * time.Minute)
					resolved := first.Add(time.Duration(1+rng.IntN(72)) * time.Hour)
					agent := w.ownerID
					if len(ppl.success) > 0 {
						agent = int64(ppl.success[rng.IntN(len(ppl.success))].ID)
					}
					tstatus := "closed"
					var fr, frBy, rs, rsBy, closed any = first.UnixMilli(), agent, resolved.UnixMilli(), agent, resolved.Add(24 * time.Hour).UnixMilli()
					sat := 3 + rng.IntN(3)
					if kindT == "complaint" {
						sat = 1 + rng.IntN(4)
					}
					if resolved.After(now) {
						tstatus, rs, rsBy, closed, sat = "in_progress", nil, nil, nil, 0
						if first.After(now) {
							tstatus, fr, frBy = "open", nil, nil
						}
					}
					tid := db.NewID()
					if err := tickets.Add(ctx, int64(t.ID), tid, number("GD", opened), w.customerID, did, kindT,
						[]string{"low", "normal", "normal", "high", "urgent"}[rng.IntN(5)], tstatus, subj, opened.UnixMilli(), fr, frBy, rs, rsBy,
						"", closed, int64(rng.IntN(50))*10000, t.Currency, sat, agent, w.deptID, w.ownerID, opened.UnixMilli(), opened.UnixMilli()); err != nil {
						return err
					}
					if err := team.Add(ctx, int64(t.ID), db.NewID(), "ticket", tid, agent, cohort.RoleOwner, cohort.AccessWrite, cohort.FullShare,
						opened.UnixMilli(), nil, w.ownerID, nil); err != nil {
						return err
					}
				}
			}
			for _, b := range all {
				if err := b.Flush(ctx); err != nil {
					return err
				}
				written += b.Rows
			}
			return nil
		})
		if err != nil {
			return written, err
		}
	}
	// Numbering continues after the demo's numbers; a customer whose first
	// contract was voided has its first signing in its next one, if any.
	err = db.BulkTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET first_signed_at = (SELECT min(d.signed_at) FROM deals d
			WHERE d.tenant_id = customers.tenant_id AND d.customer_id = customers.id AND d.kind IN ('contract', 'order')
			AND d.signed_at IS NOT NULL AND d.status <> 'voided') WHERE tenant_id = ? AND id IN
			(SELECT customer_id FROM deals WHERE tenant_id = ? AND status = 'voided')`, int64(t.ID), int64(t.ID)); err != nil {
			return err
		}
		for k, n := range counters {
			if _, err := tx.ExecContext(ctx, `INSERT INTO doc_counters (tenant_id, kind, year, last) VALUES (?,?,?,?)
				ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last = excluded.last`, int64(t.ID), k[0].(string), k[1].(int), n); err != nil {
				return err
			}
		}
		return nil
	})
	return written, err
}

// leads makes the lead pipeline: about one lead for every four customers,
// those behind existing customers converted into them, the rest new,
// contacted, qualified or disqualified.
func leads(ctx context.Context, db *store.DB, t *cohort.Tenant, ppl people, sc Scale, rng *rand.Rand, now time.Time) (int, error) {
	type link struct {
		customer, contact int64
		name              string
		created           time.Time
	}
	var links []link
	rows, err := db.Read().QueryContext(ctx, `SELECT c.id, k.id, c.name, c.created_at FROM customers c JOIN contacts k ON k.tenant_id = c.tenant_id
		AND k.customer_id = c.id AND k.is_primary WHERE c.tenant_id = ? ORDER BY c.id LIMIT ?`, int64(t.ID), sc.Customers/8)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var l link
		var created int64
		if err := rows.Scan(&l.customer, &l.contact, &l.name, &created); err != nil {
			rows.Close()
			return 0, err
		}
		l.created = time.UnixMilli(created).UTC()
		links = append(links, l)
	}
	rows.Close()
	total := sc.Customers / 4
	used := map[string]bool{}
	var docs []search.Doc
	err = db.BulkTx(ctx, func(tx *store.Tx) error {
		b := store.NewBulk(tx, "leads", "tenant_id", "id", "name", "company", "title", "phone", "province", "city", "industry", "source",
			"status", "owner_id", "department_id", "converted_at", "customer_id", "contact_id", "created_at", "updated_at")
		for i := 0; i < total; i++ {
			owner := ppl.sales[rng.IntN(len(ppl.sales))]
			name, _ := person(rng, map[string]bool{})
			city := cities[rng.IntN(len(cities))]
			ind := industries[rng.IntN(len(industries))]
			phone := uniquePhone(rng, used)
			id := db.NewID()
			var status string
			var convertedAt, customer, contact any
			company := ""
			created := now.Add(-time.Duration(rng.Int64N(int64(400 * 24 * time.Hour))))
			if i < len(links) {
				l := links[i]
				status, company, customer, contact = "converted", l.name, l.customer, l.contact
				created = l.created.Add(-time.Duration(1+rng.IntN(20)) * 24 * time.Hour)
				convertedAt = l.created.UnixMilli()
			} else {
				status = []string{"new", "new", "contacted", "contacted", "qualified", "disqualified"}[rng.IntN(6)]
				company = companyName(rng, city.city, ind.word, map[string]bool{})
			}
			if err := b.Add(ctx, int64(t.ID), id, name, company, titles[rng.IntN(len(titles))], phone, city.province, city.city, ind.industry,
				sources[rng.IntN(len(sources))], status, int64(owner.ID), int64(owner.DepartmentID), convertedAt, customer, contact,
				created.UnixMilli(), created.UnixMilli()); err != nil {
				return err
			}
			docs = append(docs, search.Doc{TenantID: t.ID, ObjectType: "lead", ObjectID: cohort.ID(id), OwnerID: owner.ID,
				DepartmentID: owner.DepartmentID, Title: name, Text: company + " " + phone + " " + city.city, UpdatedAt: created})
		}
		if err := b.Flush(ctx); err != nil {
			return err
		}
		return search.IndexNew(ctx, tx, docs)
	})
	return total, err
}

// event is a record event of the demo history.
type event struct {
	ev, from, to string
	at           time.Time
	by           int64
}

// voidReasons are why a signed contract was declared void (作废).
var voidReasons = []string{"客户主体变更，重新签订", "合同条款录入错误，作废重签", "客户撤销采购", "重复录入"}

// colleague picks another salesperson of the deal owner's department (0 when
// the owner is alone there).
func colleague(byDept map[cohort.ID][]int64, w wonDeal, rng *rand.Rand) int64 {
	ids := byDept[cohort.ID(w.deptID)]
	if len(ids) < 2 {
		return 0
	}
	for {
		if id := ids[rng.IntN(len(ids))]; id != w.ownerID {
			return id
		}
	}
}

// orgMoves dates department moves in the past: about one salesperson in
// twelve came from another sales department between six and fifteen months
// ago. Their organisation spans are split at the move, and what they signed
// and followed up before it keeps the department of its time, as the
// service does for a move dated in the past.
func orgMoves(ctx context.Context, db *store.DB, t *cohort.Tenant, ppl people, rng *rand.Rand, now time.Time) error {
	if len(ppl.sales) < 2 {
		return nil
	}
	return db.BulkTx(ctx, func(tx *store.Tx) error {
		for i, u := range ppl.sales {
			if i%12 != 5 {
				continue
			}
			var from *cohort.User
			for k := range len(ppl.sales) {
				if c := ppl.sales[(i+1+k+rng.IntN(len(ppl.sales)))%len(ppl.sales)]; c.DepartmentID != u.DepartmentID {
					from = c
					break
				}
			}
			if from == nil {
				continue
			}
			moved := now.AddDate(0, -6-rng.IntN(10), -rng.IntN(28))
			since := now.AddDate(-2, -2, 0)
			steps := []struct {
				sql  string
				args []any
			}{
				{"UPDATE user_org_history SET valid_from = ? WHERE tenant_id = ? AND user_id = ? AND valid_to IS NULL",
					[]any{moved.UnixMilli(), int64(t.ID), int64(u.ID)}},
				{`INSERT INTO user_org_history (tenant_id, id, user_id, department_id, manager_id, valid_from, valid_to, recorded_at)
					VALUES (?,?,?,?,?,?,?,?)`, []any{int64(t.ID), db.NewID(), int64(u.ID), int64(from.DepartmentID), int64(from.ManagerID),
					since.UnixMilli(), moved.UnixMilli(), moved.UnixMilli()}},
				{"UPDATE deals SET signing_department_id = ? WHERE tenant_id = ? AND owner_id = ? AND signed_at < ?",
					[]any{int64(from.DepartmentID), int64(t.ID), int64(u.ID), moved.UnixMilli()}},
				{"UPDATE followups SET department_id = ? WHERE tenant_id = ? AND author_id = ? AND occurred_at < ?",
					[]any{int64(from.DepartmentID), int64(t.ID), int64(u.ID), moved.UnixMilli()}},
			}
			for _, st := range steps {
				if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
					return fmt.Errorf("demo: department move: %w", err)
				}
			}
		}
		return nil
	})
}
