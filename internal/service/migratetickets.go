package service

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
)

// Migration of service tickets with their times: opened, first response,
// resolved, closed, in this order.

var (
	ticketKinds      = []option{{"request", "需求", "request"}, {"complaint", "投诉", "complaint"}, {"fault", "故障", "fault"}}
	ticketPriorities = []option{{"low", "低", "low"}, {"normal", "普通", "normal"}, {"high", "高", "high"}, {"urgent", "紧急", "urgent"}}
	msgTicketOrder   = text{"不能早于%s", "must not be before the %s"}
	msgNoResolution  = text{"已解决的工单需要填写解决方案", "a resolved ticket needs its resolution"}
	msgClosedNotDone = text{"关闭的工单需要解决时间", "a closed ticket needs its resolution time"}
)

// ticketRow is a ticket row with the cells the importer resolves.
type ticketRow struct {
	cohort.Ticket
	customerRef string
	customerExt string
	dealExt     string
	responded   time.Time
	resolved    time.Time
	closed      time.Time
}

var ticketSheet = sheetSpec[ticketRow]{
	name:  text{"工单", "Tickets"},
	anyOf: []string{"customer", "customer_external_id"},
	cols: []column[ticketRow]{
		func() column[ticketRow] {
			c := extIDCol(func(r *ticketRow) *string { return &r.ExternalID })
			c.example = "T-1001"
			return c
		}(),
		textCol("number", text{"编号", "Number"}, "", 50, func(r *ticketRow) *string { return &r.Number }),
		func() column[ticketRow] {
			c := extRefCol("customer_external_id", text{"客户外部编号", "Customer external ID"}, func(r *ticketRow) *string { return &r.customerExt })
			c.example = "C-1001"
			return c
		}(),
		func() column[ticketRow] {
			c := customerRefCol(func(r *ticketRow) cohort.ID { return r.CustomerID }, func(r *ticketRow) *string { return &r.customerRef })
			c.example = ""
			return c
		}(),
		extRefCol("contract_external_id", text{"合同外部编号", "Contract external ID"}, func(r *ticketRow) *string { return &r.dealExt }),
		func() column[ticketRow] {
			c := textCol("subject", text{"主题", "Subject"}, "系统登录报错", 200, func(r *ticketRow) *string { return &r.Subject })
			c.required = true
			return c
		}(),
		textCol("description", text{"描述", "Description"}, "", 20000, func(r *ticketRow) *string { return &r.Description }),
		choiceCol("kind", text{"类型", "Kind"}, "故障", ticketKinds, func(r *ticketRow) *string { return &r.Kind }),
		choiceCol("priority", text{"优先级", "Priority"}, "高", ticketPriorities, func(r *ticketRow) *string { return &r.Priority }),
		userCol("owner", text{"负责人", "Owner"}, exampleOwner, func(r *ticketRow) *cohort.ID { return &r.OwnerID }),
		func() column[ticketRow] {
			c := bizTimeCol("opened_at", text{"创建时间", "Opened at"}, "2024-06-01 09:00", func(r *ticketRow) *time.Time { return &r.OpenedAt })
			c.required = true
			return c
		}(),
		bizTimeCol("first_response_at", text{"首次响应时间", "First response at"}, "2024-06-01 09:30", func(r *ticketRow) *time.Time { return &r.responded }),
		bizTimeCol("resolved_at", text{"解决时间", "Resolved at"}, "2024-06-02 17:00", func(r *ticketRow) *time.Time { return &r.resolved }),
		bizTimeCol("closed_at", text{"关闭时间", "Closed at"}, "", func(r *ticketRow) *time.Time { return &r.closed }),
		textCol("resolution", text{"解决方案", "Resolution"}, "重置了证书", 20000, func(r *ticketRow) *string { return &r.Resolution }),
		{key: "satisfaction", label: text{"满意度（1-5）", "Satisfaction (1-5)"}, example: "5",
			get: func(_ *sheetCtx, r *ticketRow) any { return int64(r.Satisfaction) },
			set: func(_ *sheetCtx, r *ticketRow, v string) *cellError {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 5 {
					return fail(msgBadInt, 5)
				}
				r.Satisfaction = n
				return nil
			}},
	},
}

// ticketImport: tickets on customers by external id or name within the
// uploader's scope, optionally of a contract by external id; numbered as
// given or after their external id; each time after the one before it.
func (s *Service) ticketImport(ctx context.Context, p *cohort.Principal, imp *cohort.Import, x *sheetCtx) (*objectImport[ticketRow], error) {
	scope, a, err := s.importScope(ctx, cohort.ObjTicket)
	if err != nil {
		return nil, err
	}
	owners, err := store.UsersInScope(ctx, s.db.Read(), p.Tenant.ID, a)
	if err != nil {
		return nil, err
	}
	byExt := newExtRefs(p.Tenant.ID, "customers", "", scope)
	byName := newCustomerRefs(p, scope, x)
	contracts := newExtRefs(p.Tenant.ID, "deals", string(cohort.ObjContract), store.Where{})
	since := importSince(imp)
	label := func(key string) string {
		for _, c := range ticketSheet.cols {
			if c.key == key {
				return c.label.in(x.zh)
			}
		}
		return key
	}
	say := func(key string, e *cellError) []string { return []string{label(key) + ": " + e.say(x.zh)} }
	seen := map[string]int{}
	return &objectImport[ticketRow]{
		spec: &ticketSheet,
		check: func(t *ticketRow, line int) []string {
			t.TenantID, t.Currency, t.CreatedBy = p.Tenant.ID, p.Tenant.Currency, p.User.ID
			if t.customerExt == "" && t.customerRef == "" {
				return say("customer_external_id", fail(msgRequired))
			}
			if t.Number == "" {
				t.Number = t.ExternalID
			}
			if t.Number == "" {
				return say("number", fail(msgNoNumber))
			}
			if prev, ok := seen[t.Number]; ok {
				return say("number", fail(msgDupRow, prev))
			}
			if t.OwnerID == 0 {
				t.OwnerID = p.User.ID
			}
			owner := x.users.byID[t.OwnerID]
			if owner == nil || !owners[t.OwnerID] {
				return say("owner", fail(msgOutOfScope))
			}
			t.DepartmentID = owner.DepartmentID
			// Each time after the one before it.
			prev, prevKey := t.OpenedAt, "opened_at"
			t.Status = cohort.TicketOpen
			for _, step := range []struct {
				key    string
				at     time.Time
				status string
				set    func(at *time.Time)
			}{
				{"first_response_at", t.responded, cohort.TicketInProgress, func(at *time.Time) { t.FirstResponseAt, t.FirstResponseBy = at, t.OwnerID }},
				{"resolved_at", t.resolved, cohort.TicketResolved, func(at *time.Time) { t.ResolvedAt, t.ResolvedBy = at, t.OwnerID }},
				{"closed_at", t.closed, cohort.TicketClosed, func(at *time.Time) { t.ClosedAt = at }},
			} {
				if step.at.IsZero() {
					continue
				}
				if step.at.Before(prev) {
					return say(step.key, fail(msgTicketOrder, label(prevKey)))
				}
				at := step.at
				step.set(&at)
				t.Status, prev, prevKey = step.status, step.at, step.key
			}
			switch {
			case t.ResolvedAt != nil && strings.TrimSpace(t.Resolution) == "":
				return say("resolution", fail(msgNoResolution))
			case t.ClosedAt != nil && t.ResolvedAt == nil:
				return say("resolved_at", fail(msgClosedNotDone))
			}
			t.CustomerID = -1 // resolved with the batch
			err := t.Validate()
			t.CustomerID = 0
			if err != nil {
				return validationReasons(err, x.zh)
			}
			seen[t.Number] = line
			return nil
		},
		match: func(ctx context.Context, q store.Queryer, batch []importRow[ticketRow]) (map[int][]string, error) {
			bad := map[int][]string{}
			if err := markExisting(ctx, q, p.Tenant.ID, "tickets", "", since, x.zh, batch,
				func(t *ticketRow) string { return t.ExternalID }, bad); err != nil {
				return nil, err
			}
			var exts, names, deals, numbers []string
			for i, r := range batch {
				if r.skip || len(bad[i]) > 0 {
					continue
				}
				if r.rec.customerExt != "" {
					exts = append(exts, r.rec.customerExt)
				} else {
					names = append(names, r.rec.customerRef)
				}
				deals = appendNonEmpty(deals, r.rec.dealExt)
				numbers = append(numbers, r.rec.Number)
			}
			if err := byExt.resolve(ctx, q, exts); err != nil {
				return nil, err
			}
			if err := byName.resolve(ctx, q, names); err != nil {
				return nil, err
			}
			if err := contracts.resolve(ctx, q, deals); err != nil {
				return nil, err
			}
			taken, err := store.TakenNumbers(ctx, q, "tickets", p.Tenant.ID, "", numbers)
			if err != nil {
				return nil, err
			}
			for i, r := range batch {
				t := r.rec
				if r.skip || len(bad[i]) > 0 {
					continue
				}
				if t.customerExt != "" {
					c, ok := byExt.find(t.customerExt)
					if !ok {
						bad[i] = say("customer_external_id", fail(msgNoExternal))
						continue
					}
					t.CustomerID, t.CustomerName = c.ID, c.Name
				} else if why := byName.reason(t.customerRef); why != nil {
					bad[i] = why
					continue
				} else {
					t.CustomerID, t.CustomerName = byName.known[t.customerRef].ID, byName.known[t.customerRef].Name
				}
				if t.dealExt != "" {
					d, ok := contracts.find(t.dealExt)
					if !ok || d.CustomerID != t.CustomerID {
						bad[i] = say("contract_external_id", fail(msgNoExternal))
						continue
					}
					t.DealID = d.ID
				}
				if taken[t.Number] {
					bad[i] = say("number", fail(msgNumberTaken))
				}
			}
			return bad, nil
		},
		write: func(ctx context.Context, tx *store.Tx, batch []importRow[ticketRow], now time.Time) error {
			ts := make([]*cohort.Ticket, len(batch))
			for i, r := range batch {
				ts[i] = &r.rec.Ticket
			}
			if err := store.BulkInsertTickets(ctx, tx, ts, now); err != nil {
				return err
			}
			team := make([]cohort.TeamMember, len(ts))
			docs := make([]search.Doc, len(ts))
			audit := make([]*cohort.AuditEntry, len(ts))
			for i, t := range ts {
				team[i] = cohort.TeamMember{RecordType: cohort.ObjTicket, RecordID: t.ID, UserID: t.OwnerID, Role: cohort.RoleOwner,
					Access: cohort.AccessWrite, ShareBP: cohort.FullShare, AddedBy: p.User.ID, ValidFrom: t.OpenedAt}
				docs[i] = search.Doc{TenantID: t.TenantID, ObjectType: string(cohort.ObjTicket), ObjectID: t.ID, OwnerID: t.OwnerID,
					DepartmentID: t.DepartmentID, Title: t.Number + " " + t.Subject, Text: joinText(t.CustomerName, t.Kind), UpdatedAt: t.UpdatedAt}
				audit[i] = s.importAudit(p, imp, cohort.ObjTicket, t.ID, now)
				audit[i].Changes = append(audit[i].Changes, change("opened_at", t.OpenedAt))
			}
			if err := store.BulkOpenMemberships(ctx, tx, p.Tenant.ID, team, now); err != nil {
				return err
			}
			if err := search.IndexNew(ctx, tx, docs); err != nil {
				return err
			}
			if err := madeFacts(ctx, tx, p, cohort.ObjTicket, ts, func(t *cohort.Ticket) cohort.ID { return t.ID }); err != nil {
				return err
			}
			return store.BulkInsertAudit(ctx, tx, audit)
		},
	}, nil
}
