package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Quotes, contracts and orders share one table and one code path; kind says
// which, and each kind has its own permissions, numbers and statuses.
//
// Events kept for the metric engine (record_events, with occurred_at,
// recorded_at and user): created, sent, accepted, rejected, expired, signed,
// activated (active), ended, terminated, delivered, cancelled. The credit of
// an event goes to the record team as it was at recorded_at (record_team
// keeps every membership with valid_from/valid_to), so neither signing nor a
// later team change rewrites who earned a signing.

// localDate is t's date in the caller's tenant time zone.
func localDate(p *cohort.Principal, t time.Time) string {
	return t.In(p.Tenant.Location()).Format(time.DateOnly)
}

// viewScope narrows a record list to a view: all, mine (owned by the caller)
// or team (the caller is on the record's current team).
func viewScope(scope store.Where, p *cohort.Principal, obj cohort.ObjectType, alias, view string) (store.Where, error) {
	switch view {
	case "", ViewAll:
		return scope, nil
	case ViewMine:
		return store.And(scope, store.Where{SQL: alias + ".owner_id = ?", Args: []any{int64(actorID(p))}}), nil
	case ViewTeam:
		return store.And(scope, store.Where{SQL: `EXISTS (SELECT 1 FROM record_team t WHERE t.tenant_id = ` + alias + `.tenant_id AND t.record_type = ?
			AND t.record_id = ` + alias + `.id AND t.user_id = ? AND t.valid_to IS NULL)`, Args: []any{string(obj), int64(actorID(p))}}), nil
	}
	return scope, cohort.Errorf(cohort.EBADREQUEST, "unknown view %q; use all, mine or team", view)
}

func checkKind(kind cohort.ObjectType) error {
	if !slices.Contains(cohort.DealKinds, kind) {
		return cohort.Errorf(cohort.ENOTFOUND, "no such document kind %s", kind)
	}
	return nil
}

// ListDeals lists the documents of kind in the caller's scope.
func (s *Service) ListDeals(ctx context.Context, kind cohort.ObjectType, view string, q cohort.ListQuery) ([]*cohort.Deal, string, error) {
	if err := checkKind(kind); err != nil {
		return nil, "", err
	}
	scope, p, err := s.recordScope(ctx, kind, cohort.ActView, "d")
	if err != nil {
		return nil, "", err
	}
	if scope, err = viewScope(scope, p, kind, "d", view); err != nil {
		return nil, "", err
	}
	walk, err := s.walkScope(ctx, kind, "d", view, q)
	if err != nil {
		return nil, "", err
	}
	return store.ListDeals(ctx, s.db.Read(), p.Tenant.ID, kind, scope, q, p.Tenant.Location(), walk)
}

// FindDeal returns a document the caller may see; a contract or order comes
// with its balance as of today.
func (s *Service) FindDeal(ctx context.Context, kind cohort.ObjectType, id cohort.ID) (*cohort.Deal, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	scope, p, err := s.recordScope(ctx, kind, cohort.ActView, "d")
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	d, err := store.FindDeal(ctx, q, p.Tenant.ID, kind, id, scope)
	if err != nil {
		return nil, err
	}
	if cohort.Signable(kind) {
		b, _, err := s.balance(ctx, q, p, d)
		if err != nil {
			return nil, err
		}
		d.Balance = &b
	}
	return d, nil
}

// balance computes a document's money position as of the tenant's today.
func (s *Service) balance(ctx context.Context, q store.Queryer, p *cohort.Principal, d *cohort.Deal) (cohort.Balance, []cohort.PaymentPlan, error) {
	plans, err := store.PaymentPlans(ctx, q, p.Tenant.ID, d.ID)
	if err != nil {
		return cohort.Balance{}, nil, err
	}
	pays, err := store.Payments(ctx, q, p.Tenant.ID, d.ID)
	if err != nil {
		return cohort.Balance{}, nil, err
	}
	invs, err := store.Invoices(ctx, q, p.Tenant.ID, d.ID)
	if err != nil {
		return cohort.Balance{}, nil, err
	}
	var invoiced int64
	for _, i := range invs {
		if i.Status == cohort.InvoiceIssued {
			invoiced += i.Amount
		}
	}
	b := cohort.Balances(d.Total, invoiced, plans, pays, localDate(p, s.now()))
	return b, plans, nil
}

// priceDealLines fills each line's product name and unit price: from its
// price list when it names one (the list must be active, valid today, in the
// document's currency and price the product), else the client's price, else
// the product's list price.
func priceDealLines(ctx context.Context, q store.Queryer, tenantID cohort.ID, d *cohort.Deal, today string) error {
	lists := map[cohort.ID]*cohort.PriceList{}
	for i := range d.Lines {
		l := &d.Lines[i]
		f := fmt.Sprintf("lines[%d]", i)
		pr, err := store.FindProduct(ctx, q, tenantID, l.ProductID)
		if err != nil {
			return cohort.Errorf(cohort.EINVALID, "%s.product_id: no such product", f)
		}
		l.ProductName = pr.Name
		switch {
		case l.PriceListID != 0:
			pl, ok := lists[l.PriceListID]
			if !ok {
				if pl, err = store.FindPriceList(ctx, q, tenantID, l.PriceListID); err != nil {
					return cohort.Errorf(cohort.EINVALID, "%s.price_list_id: no such price list", f)
				}
				lists[l.PriceListID] = pl
			}
			if !pl.ValidOn(today) {
				return cohort.Errorf(cohort.EINVALID, "%s.price_list_id: price list %s is not valid on %s", f, pl.Name, today)
			}
			if pl.Currency != d.Currency {
				return cohort.Errorf(cohort.EINVALID, "%s.price_list_id: price list %s is in %s, the document in %s", f, pl.Name, pl.Currency, d.Currency)
			}
			price, err := store.PriceListPrice(ctx, q, tenantID, pl.ID, l.ProductID)
			if err != nil {
				return cohort.Errorf(cohort.EINVALID, "%s.price_list_id: price list %s has no price for %s", f, pl.Name, pr.Name)
			}
			l.UnitPrice = price
		case l.UnitPrice == 0:
			if pr.Currency != d.Currency {
				return cohort.Errorf(cohort.EINVALID, "%s.unit_price: product %s is priced in %s; give a price in %s", f, pr.Name, pr.Currency, d.Currency)
			}
			l.UnitPrice = pr.Price
		}
	}
	return nil
}

// CreateDeal creates a draft quote, contract or order on a customer the
// caller may see, owned by the caller. Contracts and orders get a team: the
// caller as owner plus the members given.
func (s *Service) CreateDeal(ctx context.Context, d *cohort.Deal, team []cohort.TeamInput) error {
	if err := checkKind(d.Kind); err != nil {
		return err
	}
	if _, err := require(ctx, d.Kind, cohort.ActCreate); err != nil {
		return err
	}
	custScope, _, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActView, "c")
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error { return s.createDeal(ctx, tx, d, team, custScope) })
}

func (s *Service) createDeal(ctx context.Context, tx *store.Tx, d *cohort.Deal, team []cohort.TeamInput, custScope store.Where) error {
	p := cohort.PrincipalFrom(ctx)
	if p.User == nil {
		return cohort.Errorf(cohort.EFORBIDDEN, "documents are made by people")
	}
	now := s.now()
	created, err := creationTime(p, d.Kind, &d.CreatedAt, now)
	if err != nil {
		return err
	}
	d.CreatedAt = created.At
	today := localDate(p, now)
	d.ID, d.TenantID, d.Status = 0, p.Tenant.ID, cohort.DealDraft
	d.SentAt, d.DecidedAt, d.SignedAt, d.SignedDate, d.SignedBy, d.ClosedAt = nil, nil, nil, "", 0, nil
	d.VoidedAt, d.VoidReason, d.SigningDepartmentID = nil, "", 0
	d.OwnerID, d.DepartmentID, d.CreatedBy = p.User.ID, p.User.DepartmentID, p.User.ID
	if d.Currency == "" {
		d.Currency = p.Tenant.Currency
	}
	if !cohort.Signable(d.Kind) && len(team) > 0 {
		return cohort.Errorf(cohort.EINVALID, "team: quotes have no team; their owner works them")
	}
	if d.Kind == cohort.ObjQuote && d.QuoteID != 0 {
		return cohort.Errorf(cohort.EINVALID, "quote_id: a quote is not made from a quote")
	}
	c, err := store.FindCustomer(ctx, tx, p.Tenant.ID, d.CustomerID, custScope)
	if err != nil {
		return err
	}
	if d.ContactID != 0 {
		if k, err := store.FindContact(ctx, tx, p.Tenant.ID, d.ContactID); err != nil || k.CustomerID != c.ID {
			return cohort.Errorf(cohort.EINVALID, "contact_id: not a contact of this customer")
		}
	}
	if d.OpportunityID != 0 {
		if o, err := store.FindOpportunity(ctx, tx, p.Tenant.ID, d.OpportunityID, store.Where{}); err != nil || o.CustomerID != c.ID {
			return cohort.Errorf(cohort.EINVALID, "opportunity_id: not an opportunity of this customer")
		}
	}
	if d.QuoteID != 0 {
		qscope, _, err := s.recordScope(ctx, cohort.ObjQuote, cohort.ActView, "d")
		if err != nil {
			return cohort.Errorf(cohort.EINVALID, "quote_id: no such quote")
		}
		q, err := store.FindDeal(ctx, tx, p.Tenant.ID, cohort.ObjQuote, d.QuoteID, qscope)
		if err != nil || q.CustomerID != c.ID {
			return cohort.Errorf(cohort.EINVALID, "quote_id: not a quote of this customer")
		}
		if len(d.Lines) == 0 {
			// Made from a quote: its lines, prices and discount carry over.
			d.Lines, d.Discount, d.Currency = slices.Clone(q.Lines), q.Discount, q.Currency
			if d.OpportunityID == 0 {
				d.OpportunityID = q.OpportunityID
			}
		}
	}
	if err := priceDealLines(ctx, tx, p.Tenant.ID, d, today); err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return err
	}
	if d.Number == "" {
		if d.Number, err = s.nextNumber(ctx, tx, "deals", d.Kind, cohort.DealNumberPrefix[d.Kind], now); err != nil {
			return err
		}
	}
	d.CustomerName = c.Name
	if err := store.InsertDeal(ctx, tx, d, now); err != nil {
		return err
	}
	if cohort.Signable(d.Kind) {
		if team, err = withDefaultTeam(ctx, tx, d.TenantID, d.OwnerID, team); err != nil {
			return err
		}
		if err := s.replaceTeam(ctx, tx, d.Kind, d.ID, withOwner(d.OwnerID, team), d.CreatedAt, now); err != nil {
			return err
		}
		if err := s.reindexDeal(ctx, tx, d); err != nil {
			return err
		}
	}
	if err := s.event(ctx, tx, d.Kind, d.ID, "created", "", d.Status, d.CreatedAt); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "create", d.Kind, d.ID, diff(nil, d)); err != nil {
		return err
	}
	return s.auditTimes(ctx, tx, d.Kind, d.ID, now, created)
}

// nextNumber generates a number for table (and deal kind) in the tenant's
// current year, skipping numbers that clients chose by hand.
func (s *Service) nextNumber(ctx context.Context, tx *store.Tx, table string, kind cohort.ObjectType, prefix string, now time.Time) (string, error) {
	p := cohort.PrincipalFrom(ctx)
	year := now.In(p.Tenant.Location()).Year()
	for range 100 {
		n, err := store.NextNumber(ctx, tx, p.Tenant.ID, prefix, year)
		if err != nil {
			return "", err
		}
		taken, err := store.NumberTaken(ctx, tx, table, p.Tenant.ID, kind, n)
		if err != nil {
			return "", err
		}
		if !taken {
			return n, nil
		}
	}
	return "", fmt.Errorf("next number: 100 numbers in a row are taken")
}

// event appends a record event by the caller, occurring at business time at.
func (s *Service) event(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, id cohort.ID, event, from, to string, at time.Time) error {
	p := cohort.PrincipalFrom(ctx)
	return store.InsertEvent(ctx, tx, p.Tenant.ID, &cohort.RecordEvent{RecordType: obj, RecordID: id, Event: event, FromStatus: from, ToStatus: to,
		OccurredAt: at, RecordedAt: s.now(), UserID: actorID(p)})
}

// editDeal runs f on a document the caller may edit, then saves it with an
// audit entry of action.
func (s *Service) editDeal(ctx context.Context, kind cohort.ObjectType, id cohort.ID, ifVersion int, action string,
	f func(tx *store.Tx, d *cohort.Deal) (linesChanged bool, err error)) (*cohort.Deal, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	scope, p, err := s.recordScope(ctx, kind, cohort.ActEdit, "d")
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *cohort.Deal
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "deals", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindDeal(ctx, tx, p.Tenant.ID, kind, id, scope)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, string(kind)); err != nil {
			return err
		}
		d := *prev
		d.Lines = slices.Clone(prev.Lines)
		linesChanged, err := f(tx, &d)
		if err != nil {
			return err
		}
		if err := store.UpdateDeal(ctx, tx, &d, prev.Version, linesChanged, now); err != nil {
			return err
		}
		if cohort.Signable(kind) {
			if err := s.reindexDeal(ctx, tx, &d); err != nil {
				return err
			}
		}
		out = &d
		return s.audit(ctx, tx, action, kind, d.ID, diff(prev, d))
	})
	if err != nil {
		return nil, err
	}
	return s.FindDeal(ctx, kind, out.ID)
}

// UpdateDeal changes a document's fields. Lines, discount and number change
// only while it is a draft.
func (s *Service) UpdateDeal(ctx context.Context, kind cohort.ObjectType, id cohort.ID, upd cohort.DealUpdate, ifVersion int) (*cohort.Deal, error) {
	return s.editDeal(ctx, kind, id, ifVersion, "update", func(tx *store.Tx, d *cohort.Deal) (bool, error) {
		p := cohort.PrincipalFrom(ctx)
		money := upd.Lines != nil || upd.Discount != nil || upd.Number != nil
		if money && d.Status != cohort.DealDraft {
			return false, cohort.Errorf(cohort.ECONFLICT, "the %s is %s: its number, lines and discount changed only while a draft", kind, d.Status)
		}
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		set(&d.Name, upd.Name)
		set(&d.Number, upd.Number)
		set(&d.ValidUntil, upd.ValidUntil)
		set(&d.StartDate, upd.StartDate)
		set(&d.EndDate, upd.EndDate)
		set(&d.Note, upd.Note)
		if upd.ContactID != nil {
			d.ContactID = *upd.ContactID
		}
		if upd.OpportunityID != nil && *upd.OpportunityID != d.OpportunityID {
			// Both opportunities' quote.won facts read their quotes and
			// documents.
			for _, o := range []cohort.ID{d.OpportunityID, *upd.OpportunityID} {
				if o != 0 {
					s.project(ctx, tx, cohort.ObjOpportunity, o)
				}
			}
			d.OpportunityID = *upd.OpportunityID
		}
		if upd.Discount != nil {
			d.Discount = *upd.Discount
		}
		if upd.Lines != nil {
			d.Lines = slices.Clone(*upd.Lines)
		}
		if upd.Number != nil && strings.TrimSpace(d.Number) == "" {
			return false, cohort.Errorf(cohort.EINVALID, "number: must not be empty")
		}
		if upd.Lines != nil {
			if err := priceDealLines(ctx, tx, d.TenantID, d, localDate(p, s.now())); err != nil {
				return false, err
			}
		}
		if err := d.Validate(); err != nil {
			return false, err
		}
		if d.ContactID != 0 {
			if k, err := store.FindContact(ctx, tx, d.TenantID, d.ContactID); err != nil || k.CustomerID != d.CustomerID {
				return false, cohort.Errorf(cohort.EINVALID, "contact_id: not a contact of this customer")
			}
		}
		if d.OpportunityID != 0 {
			if o, err := store.FindOpportunity(ctx, tx, d.TenantID, d.OpportunityID, store.Where{}); err != nil || o.CustomerID != d.CustomerID {
				return false, cohort.Errorf(cohort.EINVALID, "opportunity_id: not an opportunity of this customer")
			}
		}
		return upd.Lines != nil, nil
	})
}

// MoveDeal moves a document to another status along its kind's transitions
// (a refused move is a 422 naming the allowed ones, and writes nothing) at
// business time at (nil: now; never in the future, not before the
// document's previous event). Sending a quote records sent_at. Signing a
// contract or order records signed_at, its local date, who signed and the
// owner's department at that time, sets the customer's first_signed_at when
// this signing is its earliest, and tells the team. A signing dated before
// the document was created moves its start back, so the credit goes to the
// team it was signed with.
func (s *Service) MoveDeal(ctx context.Context, kind cohort.ObjectType, id cohort.ID, to string, at *time.Time, ifVersion int) (*cohort.Deal, error) {
	return s.editDeal(ctx, kind, id, ifVersion, "status", func(tx *store.Tx, d *cohort.Deal) (bool, error) {
		p := cohort.PrincipalFrom(ctx)
		if err := cohort.CheckTransition(kind, d.Status, to); err != nil {
			if to == cohort.DealVoided && cohort.Signable(kind) {
				return false, cohort.Errorf(cohort.EINVALID, "status: a %s is voided with POST /%ss/{id}/void and a reason", kind, kind)
			}
			return false, err
		}
		now := s.now()
		field := "occurred_at"
		if to == cohort.DealSigned {
			field = "signed_at"
		}
		occurred, err := s.dealEventTime(ctx, tx, p, d, field, at, now)
		if err != nil {
			return false, err
		}
		from := d.Status
		d.Status = to
		switch to {
		case cohort.DealSent:
			d.SentAt = &occurred.At
			if err := s.logQuoteSent(ctx, tx, d, occurred.At, now); err != nil {
				return false, err
			}
		case cohort.DealAccepted, cohort.DealRejected, cohort.DealExpired:
			d.DecidedAt = &occurred.At
		case cohort.DealSigned:
			var missing []string
			if len(d.Lines) == 0 {
				missing = append(missing, "product lines")
			}
			if d.Total <= 0 {
				missing = append(missing, "a total above zero")
			}
			if len(missing) > 0 {
				return false, &cohort.Error{Code: cohort.EINVALID, Message: "status: cannot sign: missing " + strings.Join(missing, ", "),
					Fields: []cohort.FieldError{{Field: "status", Message: "missing " + strings.Join(missing, ", ")}}}
			}
			d.SignedAt, d.SignedDate, d.SignedBy = &occurred.At, localDate(p, occurred.At), actorID(p)
			if d.SigningDepartmentID, _, err = store.DepartmentAt(ctx, tx, d.TenantID, d.OwnerID, occurred.At); err != nil {
				return false, err
			}
			if err := s.markFirstSigned(ctx, tx, d.CustomerID, occurred.At); err != nil {
				return false, err
			}
			if err := s.notifyTeam(ctx, tx, kind, d.ID, "deal_signed", map[string]any{"kind": string(kind), "number": d.Number,
				"customer": d.CustomerName, "amount": formatMoney(d.Total, d.Currency)}, "/"+string(kind)+"s/"+d.ID.String()); err != nil {
				return false, err
			}
		case cohort.DealEnded, cohort.DealTerminated, cohort.DealDelivered, cohort.DealCancelled:
			d.ClosedAt = &occurred.At
		}
		if err := s.event(ctx, tx, kind, d.ID, to, from, to, occurred.At); err != nil {
			return false, err
		}
		return false, s.auditTimes(ctx, tx, kind, d.ID, now, occurred)
	})
}

// dealEventTime resolves the business time of a document's status event (see
// recordEventTime) and keeps d's start in step.
func (s *Service) dealEventTime(ctx context.Context, tx *store.Tx, p *cohort.Principal, d *cohort.Deal, field string, at *time.Time, now time.Time) (bizTime, error) {
	t, start, err := s.recordEventTime(ctx, tx, p, d.Kind, d.ID, d.CreatedAt, field, at, now)
	d.CreatedAt = start
	return t, err
}

// VoidDeal declares a signed contract or order void (作废) at business time
// at (nil: now), with a reason. It stays visible, tagged "voided", and
// counts in no signed figure: the customer's first signing is recomputed
// without it. Payments already recorded stay; reverse them to undo the money.
func (s *Service) VoidDeal(ctx context.Context, kind cohort.ObjectType, id cohort.ID, reason string, at *time.Time, ifVersion int) (*cohort.Deal, error) {
	if !cohort.Signable(kind) {
		return nil, cohort.Errorf(cohort.EINVALID, "kind: only contracts and orders are voided; a quote expires or is rejected")
	}
	reason = strings.TrimSpace(reason)
	return s.editDeal(ctx, kind, id, ifVersion, "void", func(tx *store.Tx, d *cohort.Deal) (bool, error) {
		p := cohort.PrincipalFrom(ctx)
		if reason == "" || len([]rune(reason)) > 500 {
			return false, &cohort.Error{Code: cohort.EINVALID, Message: "reason: say why the " + string(kind) + " is void (1 to 500 characters)",
				Fields: []cohort.FieldError{{Field: "reason", Message: "is required"}}}
		}
		if d.Status == cohort.DealVoided {
			return false, cohort.Errorf(cohort.ECONFLICT, "the %s is void already", kind)
		}
		if d.SignedAt == nil {
			return false, &cohort.Error{Code: cohort.EINVALID, Message: "status: a " + string(kind) + " that was never signed is not voided; cancel or delete the draft",
				Fields: []cohort.FieldError{{Field: "status", Message: "not signed"}}}
		}
		now := s.now()
		occurred, err := s.dealEventTime(ctx, tx, p, d, "voided_at", at, now)
		if err != nil {
			return false, err
		}
		from := d.Status
		d.Status, d.VoidedAt, d.VoidReason = cohort.DealVoided, &occurred.At, reason
		if err := s.event(ctx, tx, kind, d.ID, "voided", from, d.Status, occurred.At); err != nil {
			return false, err
		}
		if err := s.refreshFirstSigned(ctx, tx, d.CustomerID, d.ID); err != nil {
			return false, err
		}
		if err := s.notifyTeam(ctx, tx, kind, d.ID, "deal_voided", map[string]any{"kind": string(kind), "number": d.Number,
			"customer": d.CustomerName, "reason": reason}, "/"+string(kind)+"s/"+d.ID.String()); err != nil {
			return false, err
		}
		return false, s.auditTimes(ctx, tx, kind, d.ID, now, occurred)
	})
}

// logQuoteSent logs the sending of a quote as a quote_sent follow-up by the
// sender, on the quote's opportunity when it has one: the stage
// requirements that ask for a sent quote see it, and the customer counts as
// followed up. Like captured follow-ups it leaves next actions open.
func (s *Service) logQuoteSent(ctx context.Context, tx *store.Tx, d *cohort.Deal, at, now time.Time) error {
	p := cohort.PrincipalFrom(ctx)
	if p.User == nil {
		return nil // sent by an integration: no one to credit
	}
	content := fmt.Sprintf("Sent quote %s for %s", d.Number, formatMoney(d.Total, d.Currency))
	if p.Tenant.Locale == "zh-CN" {
		content = fmt.Sprintf("发送报价 %s，金额 %s", d.Number, formatMoney(d.Total, d.Currency))
	}
	f := &cohort.FollowUp{TenantID: d.TenantID, CustomerID: d.CustomerID, ContactID: d.ContactID, Type: "quote_sent",
		Direction: "outbound", OccurredAt: at, Content: content, AuthorID: p.User.ID, DepartmentID: p.User.DepartmentID}
	if d.OpportunityID != 0 {
		f.RecordType, f.RecordID = cohort.ObjOpportunity, d.OpportunityID
	}
	if err := store.InsertFollowUp(ctx, tx, f, now); err != nil {
		return err
	}
	s.project(ctx, tx, cohort.ObjCustomer, f.CustomerID)
	return s.audit(ctx, tx, "create", cohort.ObjFollowUp, f.ID, nil)
}

// markFirstSigned sets a customer's first_signed_at when at is earlier than
// it (or it is unset).
func (s *Service) markFirstSigned(ctx context.Context, tx *store.Tx, customerID cohort.ID, at time.Time) error {
	p := cohort.PrincipalFrom(ctx)
	if err := store.LockRow(ctx, tx, "customers", p.Tenant.ID, customerID); err != nil {
		return err
	}
	c, err := store.FindCustomer(ctx, tx, p.Tenant.ID, customerID, store.Where{})
	if err != nil {
		return err
	}
	if c.FirstSignedAt != nil && !at.Before(*c.FirstSignedAt) {
		return nil
	}
	prev := *c
	c.FirstSignedAt = &at
	if err := store.UpdateCustomer(ctx, tx, c, prev.Version, s.now()); err != nil {
		return err
	}
	return s.audit(ctx, tx, "first_signed", cohort.ObjCustomer, c.ID, diff(map[string]any{"first_signed_at": prev.FirstSignedAt},
		map[string]any{"first_signed_at": c.FirstSignedAt}))
}

// refreshFirstSigned recomputes a customer's first_signed_at from its
// signings that are not void, once deal (just voided) no longer counts.
func (s *Service) refreshFirstSigned(ctx context.Context, tx *store.Tx, customerID, deal cohort.ID) error {
	p := cohort.PrincipalFrom(ctx)
	if err := store.LockRow(ctx, tx, "customers", p.Tenant.ID, customerID); err != nil {
		return err
	}
	c, err := store.FindCustomer(ctx, tx, p.Tenant.ID, customerID, store.Where{})
	if err != nil {
		return err
	}
	first, err := store.FirstSigning(ctx, tx, p.Tenant.ID, customerID, deal)
	if err != nil {
		return err
	}
	if (first == nil) == (c.FirstSignedAt == nil) && (first == nil || first.Equal(*c.FirstSignedAt)) {
		return nil
	}
	prev := *c
	c.FirstSignedAt = first
	if err := store.UpdateCustomer(ctx, tx, c, prev.Version, s.now()); err != nil {
		return err
	}
	return s.audit(ctx, tx, "first_signed", cohort.ObjCustomer, c.ID, diff(map[string]any{"first_signed_at": prev.FirstSignedAt},
		map[string]any{"first_signed_at": c.FirstSignedAt}))
}

// notifyTeam tells a record's current team, except the caller, about kind.
func (s *Service) notifyTeam(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, id cohort.ID, kind string, params map[string]any, link string) error {
	p := cohort.PrincipalFrom(ctx)
	team, err := store.CurrentTeam(ctx, tx, p.Tenant.ID, obj, id)
	if err != nil {
		return err
	}
	seen := map[cohort.ID]bool{actorID(p): true}
	for _, m := range team {
		if seen[m.UserID] {
			continue
		}
		seen[m.UserID] = true
		if err := s.notify(ctx, tx, p.Tenant.ID, m.UserID, kind, params, link); err != nil {
			return err
		}
	}
	return nil
}

// zeroDecimal are the currencies without minor units.
var zeroDecimal = map[string]bool{"JPY": true, "KRW": true, "VND": true, "CLP": true, "ISK": true}

// formatMoney renders minor units for a message: "12345.67 CNY".
func formatMoney(minor int64, currency string) string {
	if zeroDecimal[currency] {
		return fmt.Sprintf("%d %s", minor, currency)
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, minor/100, minor%100, currency)
}

// Events returns the events of a deal, project or ticket the caller may see.
func (s *Service) Events(ctx context.Context, obj cohort.ObjectType, id cohort.ID) ([]cohort.RecordEvent, error) {
	if obj == cohort.ObjQuote {
		if _, err := s.FindDeal(ctx, obj, id); err != nil {
			return nil, err
		}
	} else if _, err := s.visibleRecord(ctx, obj, id, cohort.ActView); err != nil {
		return nil, err
	}
	p := cohort.PrincipalFrom(ctx)
	return store.Events(ctx, s.db.Read(), p.Tenant.ID, obj, id)
}

// --- payment plans, payments, invoices

// moneyDeal runs f on a contract or order the caller may act on with act,
// in a write transaction with the row locked (act edit) or a read (view).
func (s *Service) moneyDeal(ctx context.Context, kind cohort.ObjectType, id cohort.ID, act cohort.Action, f func(q store.Queryer, tx *store.Tx, p *cohort.Principal, d *cohort.Deal) error) error {
	if !cohort.Signable(kind) {
		return cohort.Errorf(cohort.ENOTFOUND, "%s has no payments", kind)
	}
	scope, p, err := s.recordScope(ctx, kind, act, "d")
	if err != nil {
		return err
	}
	if act == cohort.ActView {
		d, err := store.FindDeal(ctx, s.db.Read(), p.Tenant.ID, kind, id, scope)
		if err != nil {
			return err
		}
		return f(s.db.Read(), nil, p, d)
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "deals", p.Tenant.ID, id); err != nil {
			return err
		}
		d, err := store.FindDeal(ctx, tx, p.Tenant.ID, kind, id, scope)
		if err != nil {
			return err
		}
		return f(tx, tx, p, d)
	})
}

// collecting reports whether a document in status may receive money and
// invoices: once signed, and not when cancelled.
func collecting(status string) bool {
	return status != cohort.DealDraft && status != cohort.DealCancelled && status != cohort.DealVoided
}

// PaymentPlans returns a contract's or order's installments with what covers
// each, and its balance.
func (s *Service) PaymentPlans(ctx context.Context, kind cohort.ObjectType, id cohort.ID) ([]cohort.PaymentPlan, *cohort.Balance, error) {
	var plans []cohort.PaymentPlan
	var bal cohort.Balance
	err := s.moneyDeal(ctx, kind, id, cohort.ActView, func(q store.Queryer, _ *store.Tx, p *cohort.Principal, d *cohort.Deal) error {
		var err error
		bal, plans, err = s.balance(ctx, q, p, d)
		return err
	})
	return plans, &bal, err
}

// AddInstallment adds an installment to a contract's or order's payment
// plan; the installments never add up to more than the total.
func (s *Service) AddInstallment(ctx context.Context, kind cohort.ObjectType, id cohort.ID, pl *cohort.PaymentPlan) error {
	return s.moneyDeal(ctx, kind, id, cohort.ActEdit, func(q store.Queryer, tx *store.Tx, p *cohort.Principal, d *cohort.Deal) error {
		if err := pl.Validate(); err != nil {
			return err
		}
		if d.Status == cohort.DealCancelled || d.Status == cohort.DealTerminated || d.Status == cohort.DealEnded {
			return cohort.Errorf(cohort.ECONFLICT, "the %s is %s; its plan no longer changes", kind, d.Status)
		}
		plans, err := store.PaymentPlans(ctx, q, p.Tenant.ID, d.ID)
		if err != nil {
			return err
		}
		var planned int64
		for _, x := range plans {
			planned += x.Amount
		}
		if planned+pl.Amount > d.Total {
			return &cohort.Error{Code: cohort.EINVALID, Message: fmt.Sprintf("amount: the installments would add up to %d, above the total %d", planned+pl.Amount, d.Total),
				Fields: []cohort.FieldError{{Field: "amount", Message: fmt.Sprintf("at most %d is left to plan", d.Total-planned)}}}
		}
		pl.DealID, pl.CreatedBy = d.ID, actorID(p)
		if err := store.InsertPaymentPlan(ctx, tx, p.Tenant.ID, pl, s.now()); err != nil {
			return err
		}
		pl.Remaining = pl.Amount
		return s.audit(ctx, tx, "add_installment", kind, d.ID, diff(nil, map[string]any{"installment": pl}))
	})
}

// DeleteInstallment removes an installment no payment names.
func (s *Service) DeleteInstallment(ctx context.Context, kind cohort.ObjectType, id, planID cohort.ID) error {
	return s.moneyDeal(ctx, kind, id, cohort.ActEdit, func(q store.Queryer, tx *store.Tx, p *cohort.Principal, d *cohort.Deal) error {
		if err := store.DeletePaymentPlan(ctx, tx, p.Tenant.ID, d.ID, planID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete_installment", kind, d.ID, diff(map[string]any{"installment": planID.String()}, nil))
	})
}

// Payments lists a contract's or order's payments.
func (s *Service) Payments(ctx context.Context, kind cohort.ObjectType, id cohort.ID) ([]cohort.Payment, error) {
	var out []cohort.Payment
	err := s.moneyDeal(ctx, kind, id, cohort.ActView, func(q store.Queryer, _ *store.Tx, p *cohort.Principal, d *cohort.Deal) error {
		var err error
		out, err = store.Payments(ctx, q, p.Tenant.ID, d.ID)
		return err
	})
	return out, err
}

// CustomerPayment is a payment with the contract or order it was received on.
type CustomerPayment struct {
	cohort.Payment
	Kind       cohort.ObjectType `json:"kind"`
	DealNumber string            `json:"deal_number"`
	DealName   string            `json:"deal_name"`
}

// CustomerPayments returns the payments (reversals included) on a visible
// customer's contracts and orders, those documents the caller may see, newest
// first: the customer page shows the money of the whole relationship. A kind
// the caller may not view is left out.
func (s *Service) CustomerPayments(ctx context.Context, customerID cohort.ID) ([]CustomerPayment, error) {
	p, err := s.visibleRecord(ctx, cohort.ObjCustomer, customerID, cohort.ActView)
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	out := []CustomerPayment{}
	for _, kind := range cohort.DealKinds {
		if !cohort.Signable(kind) || !(p.System || p.Permissions.Can(kind, cohort.ActView)) {
			continue
		}
		scope, _, err := s.recordScope(ctx, kind, cohort.ActView, "d")
		if err != nil {
			return nil, err
		}
		lq := cohort.ListQuery{Filters: []cohort.Filter{{Field: "customer_id", Op: "eq", Values: []string{customerID.String()}}}, Limit: 200}
		for {
			deals, next, err := store.ListDeals(ctx, q, p.Tenant.ID, kind, scope, lq, p.Tenant.Location())
			if err != nil {
				return nil, err
			}
			for _, d := range deals {
				pays, err := store.Payments(ctx, q, p.Tenant.ID, d.ID)
				if err != nil {
					return nil, err
				}
				for _, pay := range pays {
					out = append(out, CustomerPayment{Payment: pay, Kind: kind, DealNumber: d.Number, DealName: d.Name})
				}
			}
			if next == "" {
				break
			}
			lq.Cursor = next
		}
	}
	slices.SortStableFunc(out, func(a, b CustomerPayment) int {
		if c := strings.Compare(b.ReceivedDate, a.ReceivedDate); c != 0 {
			return c
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})
	return out, nil
}

// RecordPayment records money received on a signed contract or order. A
// payment above the receivable (total − collected) is refused; one that
// names an installment must name one of this document's. The team is told.
func (s *Service) RecordPayment(ctx context.Context, kind cohort.ObjectType, id cohort.ID, pay *cohort.Payment) error {
	return s.moneyDeal(ctx, kind, id, cohort.ActEdit, func(q store.Queryer, tx *store.Tx, p *cohort.Principal, d *cohort.Deal) error {
		now := s.now()
		if err := pay.Validate(localDate(p, now)); err != nil {
			return err
		}
		received, err := eventDateAudited(p, kind, "received_date", pay.ReceivedDate, "", now)
		if err != nil {
			return err
		}
		if !collecting(d.Status) {
			return cohort.Errorf(cohort.ECONFLICT, "the %s is %s; payments are received once it is signed", kind, d.Status)
		}
		b, plans, err := s.balance(ctx, q, p, d)
		if err != nil {
			return err
		}
		if pay.Amount > b.Receivable {
			return &cohort.Error{Code: cohort.EINVALID, Message: fmt.Sprintf("amount: %d is more than the receivable %d", pay.Amount, b.Receivable),
				Fields: []cohort.FieldError{{Field: "amount", Message: fmt.Sprintf("at most %d is receivable", b.Receivable)}}}
		}
		if pay.PlanID != 0 && !slices.ContainsFunc(plans, func(x cohort.PaymentPlan) bool { return x.ID == pay.PlanID }) {
			return cohort.Errorf(cohort.EINVALID, "plan_id: not an installment of this %s", kind)
		}
		pay.DealID, pay.Currency, pay.RecordedBy = d.ID, d.Currency, actorID(p)
		if err := store.InsertPayment(ctx, tx, p.Tenant.ID, pay, s.now()); err != nil {
			return err
		}
		if err := s.notifyTeam(ctx, tx, kind, d.ID, "payment_received", map[string]any{"kind": string(kind), "number": d.Number,
			"customer": d.CustomerName, "amount": formatMoney(pay.Amount, pay.Currency)}, "/"+string(kind)+"s/"+d.ID.String()); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, "payment", kind, d.ID, diff(nil, map[string]any{"payment": pay})); err != nil {
			return err
		}
		return s.auditTimes(ctx, tx, kind, d.ID, now, received)
	})
}

// eventDateAudited is eventDate for a date already validated.
func eventDateAudited(p *cohort.Principal, obj cohort.ObjectType, field, date, notBefore string, now time.Time) (bizTime, error) {
	_, bt, err := eventDate(p, obj, field, date, notBefore, now)
	return bt, err
}

// ReversePayment reverses (冲销) a payment recorded in error or refunded: a
// payment of the opposite amount, dated date (default today; not before the
// payment it reverses), that names the one it cancels, so that the collected
// money of every period stays as it was reported and the reversal counts in
// its own. A payment is reversed once; a reversal is not reversed. The team
// is told.
func (s *Service) ReversePayment(ctx context.Context, kind cohort.ObjectType, id, paymentID cohort.ID, reason, date string) (*cohort.Payment, error) {
	reason = strings.TrimSpace(reason)
	var out *cohort.Payment
	err := s.moneyDeal(ctx, kind, id, cohort.ActEdit, func(q store.Queryer, tx *store.Tx, p *cohort.Principal, d *cohort.Deal) error {
		pays, err := store.Payments(ctx, q, p.Tenant.ID, d.ID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(pays, func(x cohort.Payment) bool { return x.ID == paymentID })
		if i < 0 {
			return cohort.Errorf(cohort.ENOTFOUND, "payment not found")
		}
		orig := pays[i]
		var v cohort.Validation
		switch n := utf8.RuneCountInString(reason); {
		case n == 0:
			v.Add("reason", "is required: say why the payment is reversed")
		case n > 500:
			v.Add("reason", "must be at most 500 characters")
		}
		if err := v.Err(); err != nil {
			return err
		}
		if orig.ReversesID != 0 {
			return cohort.Errorf(cohort.EINVALID, "payment_id: a reversal cannot be reversed")
		}
		if orig.ReversedBy != 0 {
			return cohort.Errorf(cohort.ECONFLICT, "the payment is reversed already")
		}
		now := s.now()
		date, dated, err := eventDate(p, kind, "date", date, orig.ReceivedDate, now)
		if err != nil {
			return err
		}
		rev := &cohort.Payment{DealID: d.ID, PlanID: orig.PlanID, ReceivedDate: date, Amount: -orig.Amount,
			Currency: orig.Currency, Method: orig.Method, Reference: orig.Reference, Note: reason, RecordedBy: actorID(p), ReversesID: orig.ID}
		if err := store.InsertPayment(ctx, tx, p.Tenant.ID, rev, s.now()); err != nil {
			return err
		}
		if err := s.notifyTeam(ctx, tx, kind, d.ID, "payment_reversed", map[string]any{"kind": string(kind), "number": d.Number,
			"customer": d.CustomerName, "amount": formatMoney(orig.Amount, orig.Currency), "reason": reason}, "/"+string(kind)+"s/"+d.ID.String()); err != nil {
			return err
		}
		out = rev
		if err := s.audit(ctx, tx, "reverse_payment", kind, d.ID, diff(map[string]any{"payment": orig}, map[string]any{"reversal": rev})); err != nil {
			return err
		}
		return s.auditTimes(ctx, tx, kind, d.ID, now, dated)
	})
	return out, err
}

// Invoices lists a contract's or order's invoices.
func (s *Service) Invoices(ctx context.Context, kind cohort.ObjectType, id cohort.ID) ([]cohort.Invoice, error) {
	var out []cohort.Invoice
	err := s.moneyDeal(ctx, kind, id, cohort.ActView, func(q store.Queryer, _ *store.Tx, p *cohort.Principal, d *cohort.Deal) error {
		var err error
		out, err = store.Invoices(ctx, q, p.Tenant.ID, d.ID)
		return err
	})
	return out, err
}

// IssueInvoice records an invoice on a signed contract or order; the issued
// invoices never add up to more than its total.
func (s *Service) IssueInvoice(ctx context.Context, kind cohort.ObjectType, id cohort.ID, inv *cohort.Invoice) error {
	return s.moneyDeal(ctx, kind, id, cohort.ActEdit, func(q store.Queryer, tx *store.Tx, p *cohort.Principal, d *cohort.Deal) error {
		if err := inv.Validate(localDate(p, s.now())); err != nil {
			return err
		}
		if !collecting(d.Status) {
			return cohort.Errorf(cohort.ECONFLICT, "the %s is %s; invoices are issued once it is signed", kind, d.Status)
		}
		b, _, err := s.balance(ctx, q, p, d)
		if err != nil {
			return err
		}
		if b.Invoiced+inv.Amount > d.Total {
			return &cohort.Error{Code: cohort.EINVALID, Message: fmt.Sprintf("amount: invoices would add up to %d, above the total %d", b.Invoiced+inv.Amount, d.Total),
				Fields: []cohort.FieldError{{Field: "amount", Message: fmt.Sprintf("at most %d is left to invoice", d.Total-b.Invoiced)}}}
		}
		inv.DealID, inv.Currency, inv.Status, inv.CreatedBy = d.ID, d.Currency, cohort.InvoiceIssued, actorID(p)
		if err := store.InsertInvoice(ctx, tx, p.Tenant.ID, inv, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "invoice", kind, d.ID, diff(nil, map[string]any{"invoice": inv}))
	})
}

// VoidInvoice voids an issued invoice of a contract or order.
func (s *Service) VoidInvoice(ctx context.Context, kind cohort.ObjectType, id, invoiceID cohort.ID) (*cohort.Invoice, error) {
	var out *cohort.Invoice
	err := s.moneyDeal(ctx, kind, id, cohort.ActEdit, func(q store.Queryer, tx *store.Tx, p *cohort.Principal, d *cohort.Deal) error {
		invs, err := store.Invoices(ctx, q, p.Tenant.ID, d.ID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(invs, func(x cohort.Invoice) bool { return x.ID == invoiceID })
		if i < 0 {
			return cohort.Errorf(cohort.ENOTFOUND, "invoice not found")
		}
		inv := invs[i]
		if inv.Status == cohort.InvoiceVoid {
			return cohort.Errorf(cohort.ECONFLICT, "the invoice is void already")
		}
		inv.VoidedBy = actorID(p)
		if err := store.VoidInvoice(ctx, tx, p.Tenant.ID, &inv, s.now()); err != nil {
			return err
		}
		out = &inv
		return s.audit(ctx, tx, "void_invoice", kind, d.ID, diff(map[string]any{"invoice": invs[i]}, map[string]any{"invoice": inv}))
	})
	return out, err
}

// --- price lists

// ListPriceLists lists the tenant's price lists (everyone who works
// opportunities may see them, as products).
func (s *Service) ListPriceLists(ctx context.Context, q cohort.ListQuery) ([]*cohort.PriceList, string, error) {
	p, err := require(ctx, cohort.ObjOpportunity, cohort.ActView)
	if err != nil {
		return nil, "", err
	}
	return store.ListPriceLists(ctx, s.db.Read(), p.Tenant.ID, q)
}

// FindPriceList returns one price list.
func (s *Service) FindPriceList(ctx context.Context, id cohort.ID) (*cohort.PriceList, error) {
	p, err := require(ctx, cohort.ObjOpportunity, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.FindPriceList(ctx, s.db.Read(), p.Tenant.ID, id)
}

// CreatePriceList adds a price list (product:create).
func (s *Service) CreatePriceList(ctx context.Context, l *cohort.PriceList) error {
	p, err := require(ctx, cohort.ObjProduct, cohort.ActCreate)
	if err != nil {
		return err
	}
	l.ID, l.TenantID, l.Active = 0, p.Tenant.ID, true
	if l.Currency == "" {
		l.Currency = p.Tenant.Currency
	}
	if err := l.Validate(); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.InsertPriceList(ctx, tx, l, s.now()); err != nil {
			return err
		}
		fresh, err := store.FindPriceList(ctx, tx, p.Tenant.ID, l.ID)
		if err != nil {
			return err
		}
		*l = *fresh
		return s.audit(ctx, tx, "create", cohort.ObjPriceList, l.ID, diff(nil, l))
	})
}

// UpdatePriceList changes a price list (product:edit); items replace all
// prices. Lines priced from it before keep their prices.
func (s *Service) UpdatePriceList(ctx context.Context, id cohort.ID, upd cohort.PriceListUpdate, ifVersion int) (*cohort.PriceList, error) {
	p, err := require(ctx, cohort.ObjProduct, cohort.ActEdit)
	if err != nil {
		return nil, err
	}
	var out *cohort.PriceList
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "price_lists", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindPriceList(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "price list"); err != nil {
			return err
		}
		l := *prev
		if upd.Name != nil {
			l.Name = *upd.Name
		}
		if upd.ValidFrom != nil {
			l.ValidFrom = *upd.ValidFrom
		}
		if upd.ValidTo != nil {
			l.ValidTo = *upd.ValidTo
		}
		if upd.Active != nil {
			l.Active = *upd.Active
		}
		if upd.Items != nil {
			l.Items = slices.Clone(*upd.Items)
		}
		if err := l.Validate(); err != nil {
			return err
		}
		if err := store.UpdatePriceList(ctx, tx, &l, prev.Version, s.now()); err != nil {
			return err
		}
		if out, err = store.FindPriceList(ctx, tx, p.Tenant.ID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, "update", cohort.ObjPriceList, id, diff(prev, out))
	})
	return out, err
}
