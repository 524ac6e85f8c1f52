package service

import (
	"context"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/store"
)

// Migration of the money of contracts and orders: installments of payment
// plans, payments and reversals (冲销), one file with a type column, each
// row naming its document by external id. A payment may name its
// installment and a reversal the payment it cancels, by external id, in an
// earlier row of the file or an earlier import.

// Payment row types.
const (
	payPlan     = "plan"
	payPayment  = "payment"
	payReversal = "reversal"
)

var (
	payTypes         = []option{{payPlan, "回款计划", "installment"}, {payPayment, "回款", "payment"}, {payReversal, "冲销", "reversal"}}
	payKinds         = []option{{string(cohort.ObjContract), "合同", "contract"}, {string(cohort.ObjOrder), "订单", "order"}}
	payMethods       = []option{{"bank_transfer", "银行转账", "bank transfer"}, {"cash", "现金", "cash"}, {"check", "支票", "check"}, {"alipay", "支付宝", "Alipay"}, {"wechat", "微信支付", "WeChat Pay"}, {"card", "刷卡", "card"}, {"other", "其他", "other"}}
	msgDealUnsigned  = text{"该单据未签约，不能回款", "the document is not signed; it receives no payments"}
	msgBeforeSigning = text{"不能早于签约日期 %s", "must not be before the signing date %s"}
	msgBeforePayment = text{"不能早于被冲销回款的日期 %s", "must not be before the date of the payment it reverses, %s"}
	msgReversedTwice = text{"该回款已被冲销", "the payment is reversed already"}
	msgNotAPayment   = text{"不是该单据的回款", "is not a payment of this document"}
	msgNotAPlan      = text{"不是该单据的回款计划", "is not an installment of this document"}
	msgOnlyReversal  = text{"只有冲销行才填写", "is for reversals only"}
	msgNoOrderImport = text{"你没有导入订单的权限", "you may not import orders"}
)

// paymentRow is an installment, payment or reversal row.
type paymentRow struct {
	cohort.Payment
	typ         string
	kind        string
	dealExt     string
	planExt     string
	reversesExt string
	date        string
	// resolved by match: the document, and the rows of this batch that
	// the row names (nil: a stored record, or none)
	deal     store.ExternalRef
	planRec  *paymentRow
	reverses *paymentRow
}

var paymentSheet = sheetSpec[paymentRow]{
	name: text{"回款", "Payments"},
	cols: []column[paymentRow]{
		func() column[paymentRow] {
			c := choiceCol("type", text{"类型", "Type"}, "回款", payTypes, func(r *paymentRow) *string { return &r.typ })
			c.required = true
			return c
		}(),
		func() column[paymentRow] {
			c := extIDCol(func(r *paymentRow) *string { return &r.ExternalID })
			c.example = "P-1001"
			return c
		}(),
		choiceCol("kind", text{"单据类型", "Document type"}, "合同", payKinds, func(r *paymentRow) *string { return &r.kind }),
		func() column[paymentRow] {
			c := extRefCol("deal_external_id", text{"单据外部编号", "Document external ID"}, func(r *paymentRow) *string { return &r.dealExt })
			c.example, c.required = "CT-1001", true
			return c
		}(),
		func() column[paymentRow] {
			c := dateCol("date", text{"日期", "Date"}, "2024-05-10", func(r *paymentRow) *string { return &r.date })
			c.required, c.backdate = true, true
			return c
		}(),
		{key: "amount", label: text{"金额（元）", "Amount (yuan)"}, example: "300000.00",
			get: func(_ *sheetCtx, r *paymentRow) any { return r.Amount },
			set: func(_ *sheetCtx, r *paymentRow, v string) *cellError {
				n, ok := parseCent(v)
				if !ok || n <= 0 || n > cohort.MaxMoney {
					return fail(msgBadMoney)
				}
				r.Amount = n
				return nil
			}},
		choiceCol("method", text{"方式", "Method"}, "银行转账", payMethods, func(r *paymentRow) *string { return &r.Method }),
		textCol("reference", text{"流水号", "Reference"}, "", 100, func(r *paymentRow) *string { return &r.Reference }),
		extRefCol("plan_external_id", text{"回款计划外部编号", "Installment external ID"}, func(r *paymentRow) *string { return &r.planExt }),
		extRefCol("reverses_external_id", text{"被冲销回款外部编号", "Reversed payment external ID"}, func(r *paymentRow) *string { return &r.reversesExt }),
		textCol("note", text{"备注（冲销原因）", "Note (reason of a reversal)"}, "", 500, func(r *paymentRow) *string { return &r.Note }),
	},
}

// paymentImport: installments, payments and reversals of the contracts and
// orders within the uploader's scope (orders need the import permission on
// orders too). A payment is dated from its document's signing on and not in
// the future; a reversal from the payment it reverses on, once per payment,
// for the opposite amount. An installment's due date may lie ahead.
func (s *Service) paymentImport(ctx context.Context, p *cohort.Principal, imp *cohort.Import, x *sheetCtx) (*objectImport[paymentRow], error) {
	deals := map[string]*extRefs{}
	for _, kind := range []cohort.ObjectType{cohort.ObjContract, cohort.ObjOrder} {
		scope, _, err := s.importScope(ctx, kind)
		if cohort.ErrorCode(err) == cohort.EFORBIDDEN {
			continue
		}
		if err != nil {
			return nil, err
		}
		deals[string(kind)] = newExtRefs(p.Tenant.ID, "deals", string(kind), scope)
	}
	since := importSince(imp)
	today := localDate(p, x.now)
	say := func(key string, e *cellError) []string {
		for _, c := range paymentSheet.cols {
			if c.key == key {
				return []string{c.label.in(x.zh) + ": " + e.say(x.zh)}
			}
		}
		return []string{key + ": " + e.say(x.zh)}
	}
	return &objectImport[paymentRow]{
		spec: &paymentSheet,
		check: func(r *paymentRow, line int) []string {
			if r.kind == "" {
				r.kind = string(cohort.ObjContract)
			}
			if deals[r.kind] == nil {
				return say("kind", fail(msgNoOrderImport))
			}
			switch {
			case r.typ != payReversal && r.reversesExt != "":
				return say("reverses_external_id", fail(msgOnlyReversal))
			case r.typ == payReversal && r.reversesExt == "":
				return say("reverses_external_id", fail(msgRequired))
			case r.typ != payReversal && r.Amount == 0:
				return say("amount", fail(msgRequired))
			case r.typ != payPlan && r.date > today:
				return say("date", fail(msgFuture))
			}
			if r.typ == payPlan {
				pl := cohort.PaymentPlan{DueDate: r.date, Amount: r.Amount, Note: r.Note}
				if err := pl.Validate(); err != nil {
					return validationReasons(err, x.zh)
				}
				return nil
			}
			r.ReceivedDate, r.RecordedBy = r.date, p.User.ID
			if r.typ == payReversal {
				return nil // the amount and method are the reversed payment's
			}
			if err := r.Payment.Validate(today); err != nil {
				return validationReasons(err, x.zh)
			}
			return nil
		},
		match: func(ctx context.Context, q store.Queryer, batch []importRow[paymentRow]) (map[int][]string, error) {
			bad := map[int][]string{}
			for _, table := range []string{"payment_plans", "payments"} {
				isPlan := table == "payment_plans"
				if err := markExisting(ctx, q, p.Tenant.ID, table, "", since, x.zh, batch, func(r *paymentRow) string {
					if (r.typ == payPlan) != isPlan {
						return ""
					}
					return r.ExternalID
				}, bad); err != nil {
					return nil, err
				}
			}
			byKind := map[string][]string{}
			var plans, pays []string
			for i, r := range batch {
				if r.skip || len(bad[i]) > 0 {
					continue
				}
				byKind[r.rec.kind] = append(byKind[r.rec.kind], r.rec.dealExt)
				plans, pays = appendNonEmpty(plans, r.rec.planExt), appendNonEmpty(pays, r.rec.reversesExt)
			}
			for kind, ids := range byKind {
				if err := deals[kind].resolve(ctx, q, ids); err != nil {
					return nil, err
				}
			}
			storedPlans, err := store.ExternalRefs(ctx, q, "payment_plans", p.Tenant.ID, plans, "", store.Where{})
			if err != nil {
				return nil, err
			}
			storedPays, err := store.PaymentRefs(ctx, q, p.Tenant.ID, pays)
			if err != nil {
				return nil, err
			}
			var origIDs []cohort.ID
			for _, o := range storedPays {
				origIDs = append(origIDs, o.ID)
			}
			reversed, err := store.ReversedPayments(ctx, q, p.Tenant.ID, origIDs)
			if err != nil {
				return nil, err
			}
			// Rows of this batch that later rows may name.
			planAt, payAt := map[string]*paymentRow{}, map[string]*paymentRow{}
			for i := range batch {
				r := batch[i].rec
				r.planRec, r.reverses = nil, nil
				if batch[i].skip || len(bad[i]) > 0 {
					continue
				}
				d, ok := deals[r.kind].find(r.dealExt)
				if !ok {
					bad[i] = say("deal_external_id", fail(msgNoExternal))
					continue
				}
				r.deal, r.DealID, r.Currency = d, d.ID, p.Tenant.Currency
				signed := localDate(p, time.UnixMilli(d.At))
				if r.typ != payPlan && d.Status == cohort.DealDraft {
					bad[i] = say("deal_external_id", fail(msgDealUnsigned))
					continue
				}
				if r.typ != payPlan && r.date < signed {
					bad[i] = say("date", fail(msgBeforeSigning, signed))
					continue
				}
				switch r.typ {
				case payPlan:
					if r.ExternalID != "" {
						planAt[r.ExternalID] = r
					}
				case payPayment:
					if r.planExt != "" {
						if pl, ok := planAt[r.planExt]; ok && pl.DealID == r.DealID {
							r.planRec = pl
						} else if pl, ok := storedPlans[r.planExt]; ok && pl.DealID == r.DealID {
							r.PlanID = pl.ID
						} else {
							bad[i] = say("plan_external_id", fail(msgNotAPlan))
							continue
						}
					}
					if r.ExternalID != "" {
						payAt[r.ExternalID] = r
					}
				case payReversal:
					var orig cohort.Payment
					if o, ok := payAt[r.reversesExt]; ok && o.DealID == r.DealID {
						r.reverses, orig = o, o.Payment
						delete(payAt, r.reversesExt) // reversed once
					} else if o, ok := storedPays[r.reversesExt]; ok && o.DealID == r.DealID && o.ReversesID == 0 {
						if reversed[o.ID] {
							bad[i] = say("reverses_external_id", fail(msgReversedTwice))
							continue
						}
						r.ReversesID, orig = o.ID, o
						reversed[o.ID] = true
					} else {
						bad[i] = say("reverses_external_id", fail(msgNotAPayment))
						continue
					}
					if r.date < orig.ReceivedDate {
						bad[i] = say("date", fail(msgBeforePayment, orig.ReceivedDate))
						continue
					}
					r.Amount, r.Method, r.Reference, r.PlanID = -orig.Amount, orig.Method, orig.Reference, orig.PlanID
				}
			}
			return bad, nil
		},
		write: func(ctx context.Context, tx *store.Tx, batch []importRow[paymentRow], now time.Time) error {
			// Every row gets its id first, so that a payment can name an
			// installment and a reversal a payment of the same batch.
			for _, row := range batch {
				row.rec.ID = cohort.ID(s.db.NewID())
			}
			var plans []*cohort.PaymentPlan
			var pays []*cohort.Payment
			for _, row := range batch {
				r := row.rec
				if r.planRec != nil {
					r.PlanID = r.planRec.ID
				}
				if r.reverses != nil {
					r.ReversesID, r.PlanID = r.reverses.ID, r.reverses.PlanID
				}
				if r.typ == payPlan {
					plans = append(plans, &cohort.PaymentPlan{ID: r.ID, ExternalID: r.ExternalID, DealID: r.DealID, DueDate: r.date,
						Amount: r.Amount, Note: r.Note, CreatedBy: p.User.ID})
				} else {
					pays = append(pays, &r.Payment)
				}
			}
			if err := store.BulkInsertPaymentPlans(ctx, tx, p.Tenant.ID, plans, now); err != nil {
				return err
			}
			if err := store.BulkInsertPayments(ctx, tx, p.Tenant.ID, pays, now); err != nil {
				return err
			}
			// The documents' facts hold their money.
			seen := map[cohort.ID]bool{}
			var changed []facts.Source
			for _, row := range batch {
				if r := row.rec; !seen[r.DealID] {
					seen[r.DealID] = true
					changed = append(changed, facts.Source{Type: cohort.ObjectType(r.kind), ID: r.DealID})
				}
			}
			if err := facts.RewriteMany(ctx, tx, p.Tenant, changed, nil); err != nil {
				return err
			}
			audit := make([]*cohort.AuditEntry, 0, len(batch))
			for _, row := range batch {
				r := row.rec
				e := s.importAudit(p, imp, cohort.ObjectType(r.kind), r.DealID, now)
				e.Changes = append(e.Changes, change(r.typ, r.ExternalID), change("date", r.date), change("amount", r.Amount))
				audit = append(audit, e)
			}
			return store.BulkInsertAudit(ctx, tx, audit)
		},
	}, nil
}
