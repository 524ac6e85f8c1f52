package service

import (
	"context"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
)

// Migration of contracts and orders: each with its amount, its team with
// shares, its signing and its void, all at their business times.

// Reasons of contract and order rows.
var (
	msgNoNumber     = text{"编号或外部编号至少填一个", "give the number or the external id"}
	msgNumberTaken  = text{"已有同编号的单据", "another document has this number"}
	msgVoidUnsigned = text{"未签约的单据不能作废", "a document that was never signed is not voided"}
	msgVoidNoReason = text{"作废需要填写原因", "say why it is void"}
	msgVoidOrder    = text{"不能早于签约时间", "must not be before the signing"}
	msgSignNoAmount = text{"签约的单据需要金额", "a signed document needs its amount"}
	msgOppOtherCust = text{"该商机不属于此客户", "the opportunity is not of this customer"}
)

// dealRow is a contract or order row with the cells the importer resolves.
type dealRow struct {
	cohort.Deal
	customerRef string
	customerExt string
	oppExt      string
	teamRaw     []teamCell
	signedAt    time.Time
	voidedAt    time.Time
	// resolved
	team     []cohort.TeamMember
	customer string
}

var dealSheet = sheetSpec[dealRow]{
	name:  text{"合同订单", "Contracts and orders"},
	anyOf: []string{"customer", "customer_external_id"},
	cols: []column[dealRow]{
		func() column[dealRow] {
			c := extIDCol(func(r *dealRow) *string { return &r.ExternalID })
			c.example = "CT-1001"
			return c
		}(),
		textCol("number", text{"编号", "Number"}, "HT-2024-001", 50, func(r *dealRow) *string { return &r.Number }),
		textCol("name", text{"名称", "Name"}, "星河科技 ERP 合同", 200, func(r *dealRow) *string { return &r.Name }),
		func() column[dealRow] {
			c := extRefCol("customer_external_id", text{"客户外部编号", "Customer external ID"}, func(r *dealRow) *string { return &r.customerExt })
			c.example = "C-1001"
			return c
		}(),
		func() column[dealRow] {
			c := customerRefCol(func(r *dealRow) cohort.ID { return r.CustomerID }, func(r *dealRow) *string { return &r.customerRef })
			c.example = ""
			return c
		}(),
		func() column[dealRow] {
			c := extRefCol("opportunity_external_id", text{"商机外部编号", "Opportunity external ID"}, func(r *dealRow) *string { return &r.oppExt })
			c.example = "OPP-1001"
			return c
		}(),
		{key: "amount", label: text{"金额（元）", "Amount (yuan)"}, example: "500000.00",
			get: func(_ *sheetCtx, r *dealRow) any { return r.Total },
			set: func(_ *sheetCtx, r *dealRow, v string) *cellError {
				n, ok := parseCent(v)
				if !ok || n < 0 || n > cohort.MaxMoney {
					return fail(msgBadMoney)
				}
				r.Total = n
				return nil
			}},
		dateCol("start_date", text{"开始日期", "Start date"}, "2024-04-01", func(r *dealRow) *string { return &r.StartDate }),
		dateCol("end_date", text{"结束日期", "End date"}, "2025-03-31", func(r *dealRow) *string { return &r.EndDate }),
		userCol("owner", text{"负责人", "Owner"}, exampleOwner, func(r *dealRow) *cohort.ID { return &r.OwnerID }),
		{key: "team", label: text{"团队", "Team"}, example: "owner:zhang.wei@example.com:60%; owner:li.na@example.com:40%; presales:wang.fang@example.com",
			get: func(_ *sheetCtx, _ *dealRow) any { return nil },
			set: func(x *sheetCtx, r *dealRow, v string) *cellError {
				t, e := parseTeam(x, v)
				r.teamRaw = t
				return e
			}},
		bizTimeCol("created_at", text{"创建时间", "Created at"}, "2024-03-20 10:00", func(r *dealRow) *time.Time { return &r.CreatedAt }),
		bizTimeCol("signed_at", text{"签约时间", "Signed at"}, "2024-03-28 15:00", func(r *dealRow) *time.Time { return &r.signedAt }),
		bizTimeCol("voided_at", text{"作废时间", "Voided at"}, "", func(r *dealRow) *time.Time { return &r.voidedAt }),
		textCol("void_reason", text{"作废原因", "Void reason"}, "", 500, func(r *dealRow) *string { return &r.VoidReason }),
		textCol("note", text{"备注", "Note"}, "", 5000, func(r *dealRow) *string { return &r.Note }),
	},
}

// dateCol is a local date column.
func dateCol[T any](key string, label text, example string, field func(r *T) *string) column[T] {
	return column[T]{key: key, label: label, example: example,
		get: func(_ *sheetCtx, r *T) any { return *field(r) },
		set: func(x *sheetCtx, r *T, v string) *cellError {
			d, ok := parseDate(v, x.loc)
			if !ok {
				return fail(msgBadDate)
			}
			*field(r) = d
			return nil
		}}
}

// dealImport: contracts or orders (kind) on customers by external id or
// name, optionally of an opportunity by external id, within the uploader's
// scope; numbered as given or after their external id; signed and voided at
// their times (a void needs a signing before it and a reason); the team
// with shares in force from the business start (the creation or an earlier
// signing). The customers' first signing moves back to the earliest signing
// that is not void.
func (s *Service) dealImport(ctx context.Context, p *cohort.Principal, imp *cohort.Import, x *sheetCtx) (*objectImport[dealRow], error) {
	kind := imp.ObjectType
	scope, a, err := s.importScope(ctx, kind)
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	owners, err := store.UsersInScope(ctx, q, p.Tenant.ID, a)
	if err != nil {
		return nil, err
	}
	roles, err := store.ListBusinessRoles(ctx, q, p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	byExt := newExtRefs(p.Tenant.ID, "customers", "", scope)
	byName := newCustomerRefs(p, scope, x)
	opps := newExtRefs(p.Tenant.ID, "opportunities", "", scope)
	since := importSince(imp)
	say := func(key string, e *cellError) []string {
		for _, c := range dealSheet.cols {
			if c.key == key {
				return []string{c.label.in(x.zh) + ": " + e.say(x.zh)}
			}
		}
		return []string{key + ": " + e.say(x.zh)}
	}
	seenNumber := map[string]int{}
	first := map[cohort.ID]int64{}
	return &objectImport[dealRow]{
		spec: &dealSheet,
		check: func(d *dealRow, line int) []string {
			d.TenantID, d.Kind, d.Currency, d.CreatedBy = p.Tenant.ID, kind, p.Tenant.Currency, p.User.ID
			if d.customerExt == "" && d.customerRef == "" {
				return say("customer_external_id", fail(msgRequired))
			}
			if d.Number == "" {
				d.Number = d.ExternalID
			}
			if d.Number == "" {
				return say("number", fail(msgNoNumber))
			}
			if d.Name == "" {
				d.Name = d.Number
			}
			if prev, ok := seenNumber[d.Number]; ok {
				return say("number", fail(msgDupRow, prev))
			}
			// Business times: created, signed, voided, in this order; a
			// signing before the creation moves the start back.
			d.Status = cohort.DealDraft
			if !d.signedAt.IsZero() {
				signed := d.signedAt
				d.Status, d.SignedAt, d.SignedDate, d.SignedBy = cohort.DealSigned, &signed, localDate(p, signed), p.User.ID
				if d.CreatedAt.IsZero() || signed.Before(d.CreatedAt) {
					d.CreatedAt = signed
				}
				if d.Total <= 0 {
					return say("amount", fail(msgSignNoAmount))
				}
			}
			switch {
			case !d.voidedAt.IsZero() && d.SignedAt == nil:
				return say("voided_at", fail(msgVoidUnsigned))
			case !d.voidedAt.IsZero() && d.voidedAt.Before(*d.SignedAt):
				return say("voided_at", fail(msgVoidOrder))
			case !d.voidedAt.IsZero() && strings.TrimSpace(d.VoidReason) == "":
				return say("void_reason", fail(msgVoidNoReason))
			case d.voidedAt.IsZero() && d.VoidReason != "":
				return say("voided_at", fail(msgRequired))
			case !d.voidedAt.IsZero():
				voided := d.voidedAt
				d.Status, d.VoidedAt = cohort.DealVoided, &voided
			}
			// The team, as for opportunities.
			team, why := s.importTeam(x, p, d.teamRaw, &d.OwnerID, owners, roles, say)
			if why != nil {
				return why
			}
			d.DepartmentID = x.users.byID[d.OwnerID].DepartmentID
			total := d.Total
			d.CustomerID = -1 // resolved with the batch
			err := d.Validate()
			d.CustomerID, d.Subtotal, d.Total = 0, total, total
			if err != nil {
				return validationReasons(err, x.zh)
			}
			for i := range team {
				team[i].RecordType, team[i].ValidFrom = kind, d.CreatedAt
			}
			d.team = team
			seenNumber[d.Number] = line
			return nil
		},
		match: func(ctx context.Context, q store.Queryer, batch []importRow[dealRow]) (map[int][]string, error) {
			bad := map[int][]string{}
			if err := markExisting(ctx, q, p.Tenant.ID, "deals", string(kind), since, x.zh, batch,
				func(d *dealRow) string { return d.ExternalID }, bad); err != nil {
				return nil, err
			}
			var exts, names, oppIDs, numbers []string
			for i, r := range batch {
				if r.skip || len(bad[i]) > 0 {
					continue
				}
				if r.rec.customerExt != "" {
					exts = append(exts, r.rec.customerExt)
				} else {
					names = append(names, r.rec.customerRef)
				}
				oppIDs = appendNonEmpty(oppIDs, r.rec.oppExt)
				numbers = append(numbers, r.rec.Number)
			}
			if err := byExt.resolve(ctx, q, exts); err != nil {
				return nil, err
			}
			if err := byName.resolve(ctx, q, names); err != nil {
				return nil, err
			}
			if err := opps.resolve(ctx, q, oppIDs); err != nil {
				return nil, err
			}
			taken, err := store.TakenNumbers(ctx, q, "deals", p.Tenant.ID, kind, numbers)
			if err != nil {
				return nil, err
			}
			for i, r := range batch {
				d := r.rec
				if r.skip || len(bad[i]) > 0 {
					continue
				}
				if d.customerExt != "" {
					c, ok := byExt.find(d.customerExt)
					if !ok {
						bad[i] = say("customer_external_id", fail(msgNoExternal))
						continue
					}
					d.CustomerID, d.customer = c.ID, c.Name
				} else if why := byName.reason(d.customerRef); why != nil {
					bad[i] = why
					continue
				} else {
					d.CustomerID, d.customer = byName.known[d.customerRef].ID, byName.known[d.customerRef].Name
				}
				if d.oppExt != "" {
					o, ok := opps.find(d.oppExt)
					switch {
					case !ok:
						bad[i] = say("opportunity_external_id", fail(msgNoExternal))
						continue
					case o.CustomerID != d.CustomerID:
						bad[i] = say("opportunity_external_id", fail(msgOppOtherCust))
						continue
					}
					d.OpportunityID = o.ID
				}
				if taken[d.Number] {
					bad[i] = say("number", fail(msgNumberTaken))
				}
			}
			return bad, nil
		},
		write: func(ctx context.Context, tx *store.Tx, batch []importRow[dealRow], now time.Time) error {
			ds := make([]*cohort.Deal, len(batch))
			for i, r := range batch {
				d := &r.rec.Deal
				if d.SignedAt != nil {
					dept, _, err := store.DepartmentAt(ctx, tx, d.TenantID, d.OwnerID, *d.SignedAt)
					if err != nil {
						return err
					}
					d.SigningDepartmentID = dept
				}
				ds[i] = d
			}
			if err := store.BulkInsertDeals(ctx, tx, ds, now); err != nil {
				return err
			}
			var team []cohort.TeamMember
			docs := make([]search.Doc, len(ds))
			audit := make([]*cohort.AuditEntry, len(ds))
			batchFirst := map[cohort.ID]int64{}
			for i, r := range batch {
				d := ds[i]
				for _, m := range r.rec.team {
					m.RecordID = d.ID
					team = append(team, m)
				}
				docs[i] = search.Doc{TenantID: d.TenantID, ObjectType: string(kind), ObjectID: d.ID, OwnerID: d.OwnerID,
					DepartmentID: d.DepartmentID, Title: d.Number + " " + d.Name, Text: joinText(r.rec.customer, d.Note), UpdatedAt: d.UpdatedAt}
				audit[i] = s.importAudit(p, imp, kind, d.ID, now)
				audit[i].Changes = append(audit[i].Changes, change("created_at", d.CreatedAt), change("signed_at", d.SignedAt),
					change("voided_at", d.VoidedAt))
				if d.SignedAt != nil && d.VoidedAt == nil {
					if at := d.SignedAt.UnixMilli(); batchFirst[d.CustomerID] == 0 || at < batchFirst[d.CustomerID] {
						batchFirst[d.CustomerID] = at
					}
				}
			}
			if err := store.BulkOpenMemberships(ctx, tx, p.Tenant.ID, team, now); err != nil {
				return err
			}
			if err := search.IndexNew(ctx, tx, docs); err != nil {
				return err
			}
			if err := store.MoveFirstSigned(ctx, tx, p.Tenant.ID, batchFirst); err != nil {
				return err
			}
			// The customers whose first signing moved have new facts too.
			var changed []facts.Source
			for id := range batchFirst {
				changed = append(changed, facts.Source{Type: cohort.ObjCustomer, ID: id})
			}
			// A won opportunity's quote.won fact reads its final document.
			opps := map[cohort.ID]bool{}
			for _, d := range ds {
				if d.OpportunityID != 0 && !opps[d.OpportunityID] {
					opps[d.OpportunityID] = true
					changed = append(changed, facts.Source{Type: cohort.ObjOpportunity, ID: d.OpportunityID})
				}
			}
			if err := madeFacts(ctx, tx, p, kind, ds, func(d *cohort.Deal) cohort.ID { return d.ID }, changed...); err != nil {
				return err
			}
			tx.AfterCommit(func() {
				for id, at := range batchFirst {
					if first[id] == 0 || at < first[id] {
						first[id] = at
					}
				}
			})
			return store.BulkInsertAudit(ctx, tx, audit)
		},
	}, nil
}

// importTeam resolves a team cell (see parseTeam) for a record whose owner
// column is *owner: the owner column, or the first owner of the team, or
// the uploader is the record's owner; members must be within the
// uploader's scope; revenue roles' shares add up to 100 %.
func (s *Service) importTeam(x *sheetCtx, p *cohort.Principal, cells []teamCell, owner *cohort.ID, owners map[cohort.ID]bool,
	roles []*cohort.BusinessRole, say func(key string, e *cellError) []string) ([]cohort.TeamMember, []string) {
	var team []cohort.TeamMember
	ownerInTeam := false
	for i, m := range cells {
		var r *cohort.BusinessRole
		for _, br := range roles {
			if strings.EqualFold(m.role, br.Key) || m.role == br.NameZh || strings.EqualFold(m.role, br.NameEn) {
				r = br
			}
		}
		if r == nil {
			return nil, say("team", fail(msgBadEntry, i+1, m.role, fail(msgNoRole, m.role).say(x.zh)))
		}
		u, why := x.users.find(m.user)
		if why != nil {
			return nil, say("team", fail(msgBadEntry, i+1, m.user, why.in(x.zh)))
		}
		if !owners[u.ID] {
			return nil, say("team", fail(msgBadEntry, i+1, m.user, msgOutOfScope.in(x.zh)))
		}
		if r.Key == cohort.RoleOwner && *owner == 0 {
			*owner = u.ID
		}
		ownerInTeam = ownerInTeam || (r.Key == cohort.RoleOwner && u.ID == *owner)
		for _, t := range team {
			if t.UserID == u.ID && t.Role == r.Key {
				return nil, say("team", fail(msgTwiceInTeam, u.Name))
			}
		}
		team = append(team, cohort.TeamMember{UserID: u.ID, Role: r.Key, Access: cohort.AccessWrite, ShareBP: m.share, AddedBy: p.User.ID})
	}
	if *owner == 0 {
		*owner = p.User.ID
	}
	if u := x.users.byID[*owner]; u == nil || !owners[*owner] {
		return nil, say("owner", fail(msgOutOfScope))
	}
	if !ownerInTeam {
		team = append([]cohort.TeamMember{{UserID: *owner, Role: cohort.RoleOwner, Access: cohort.AccessWrite, ShareBP: -1, AddedBy: p.User.ID}}, team...)
	}
	if why := splitShares(team, roles); why != nil {
		return nil, say("team", why)
	}
	return team, nil
}
