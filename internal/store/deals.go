package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
)

// --- document numbers

// NextNumber hands out the next number of a kind in a year, such as
// QT-2026-000123. The counter is written in tx: a number taken by a
// transaction that rolls back is handed out again, so committed numbers have
// no gaps from failed writes.
func NextNumber(ctx context.Context, tx *Tx, tenantID cohort.ID, prefix string, year int) (string, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO doc_counters (tenant_id, kind, year, last) VALUES (?, ?, ?, 1)
		ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last = doc_counters.last + 1 RETURNING last`,
		int64(tenantID), prefix, year).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("next number: %w", err)
	}
	return fmt.Sprintf("%s-%d-%06d", prefix, year, n), nil
}

// NumberTaken reports whether number is used in table (deals of kind, or
// projects or tickets when kind is "").
func NumberTaken(ctx context.Context, q Queryer, table string, tenantID cohort.ID, kind cohort.ObjectType, number string) (bool, error) {
	w := "tenant_id = ? AND number = ?"
	args := []any{int64(tenantID), number}
	if kind != "" {
		w += " AND kind = ?"
		args = append(args, string(kind))
	}
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE "+w, args...).Scan(&n)
	return n > 0, err
}

// --- price lists

const priceListCols = "l.id, l.tenant_id, l.name, l.currency, l.valid_from, l.valid_to, l.active, l.version, l.created_at, l.updated_at"

func priceListDest(l *cohort.PriceList) []any {
	return []any{idScanner{&l.ID}, idScanner{&l.TenantID}, &l.Name, &l.Currency, &l.ValidFrom, &l.ValidTo, &l.Active, &l.Version,
		msScanner{&l.CreatedAt}, msScanner{&l.UpdatedAt}}
}

// PriceListList is the list spec of price lists.
var PriceListList = &ListSpec{
	IDColumn: "l.id",
	Fields: map[string]Field{
		"name":       {Column: "l.name", Sortable: true},
		"currency":   {Column: "l.currency"},
		"valid_from": {Column: "l.valid_from", Sortable: true},
		"valid_to":   {Column: "l.valid_to", Sortable: true},
		"active":     {Column: "l.active", Type: TBool},
		"updated_at": {Column: "l.updated_at", Type: TTime, Sortable: true},
	},
	QColumns:    []string{"l.name"},
	DefaultSort: []cohort.SortKey{{Field: "name"}},
}

// ListPriceLists lists a tenant's price lists with their items.
func ListPriceLists(ctx context.Context, q Queryer, tenantID cohort.ID, lq cohort.ListQuery) ([]*cohort.PriceList, string, error) {
	ls, next, err := List(ctx, q, PriceListList, lq, nil, "SELECT "+priceListCols+" FROM price_lists l", Where{"l.tenant_id = ?", []any{int64(tenantID)}},
		func() (*cohort.PriceList, []any) {
			l := &cohort.PriceList{}
			return l, priceListDest(l)
		})
	if err != nil {
		return nil, "", err
	}
	for _, l := range ls {
		if l.Items, err = priceListItems(ctx, q, tenantID, l.ID); err != nil {
			return nil, "", err
		}
	}
	return ls, next, nil
}

// FindPriceList returns one price list with its items.
func FindPriceList(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.PriceList, error) {
	l := &cohort.PriceList{}
	err := q.QueryRowContext(ctx, "SELECT "+priceListCols+" FROM price_lists l WHERE l.tenant_id = ? AND l.id = ?", int64(tenantID), int64(id)).Scan(priceListDest(l)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("price list")
	}
	if err != nil {
		return nil, fmt.Errorf("find price list: %w", err)
	}
	l.Items, err = priceListItems(ctx, q, tenantID, id)
	return l, err
}

func priceListItems(ctx context.Context, q Queryer, tenantID, id cohort.ID) ([]cohort.PriceListItem, error) {
	rows, err := q.QueryContext(ctx, `SELECT i.product_id, COALESCE(p.name, ''), i.price FROM price_list_items i
		LEFT JOIN products p ON p.tenant_id = i.tenant_id AND p.id = i.product_id
		WHERE i.tenant_id = ? AND i.price_list_id = ? ORDER BY i.id`, int64(tenantID), int64(id))
	if err != nil {
		return nil, fmt.Errorf("price list items: %w", err)
	}
	defer rows.Close()
	out := []cohort.PriceListItem{}
	for rows.Next() {
		var it cohort.PriceListItem
		if err := rows.Scan(idScanner{&it.ProductID}, &it.ProductName, &it.Price); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// PriceListPrice returns the price of a product on a list, or ENOTFOUND.
func PriceListPrice(ctx context.Context, q Queryer, tenantID, listID, productID cohort.ID) (int64, error) {
	var price int64
	err := q.QueryRowContext(ctx, "SELECT price FROM price_list_items WHERE tenant_id = ? AND price_list_id = ? AND product_id = ?",
		int64(tenantID), int64(listID), int64(productID)).Scan(&price)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("price")
	}
	return price, err
}

// InsertPriceList inserts l with its items.
func InsertPriceList(ctx context.Context, tx *Tx, l *cohort.PriceList, now time.Time) error {
	l.ID, l.Version, l.CreatedAt, l.UpdatedAt = cohort.ID(tx.db.NewID()), 1, now, now
	_, err := tx.ExecContext(ctx, `INSERT INTO price_lists (id, tenant_id, name, currency, valid_from, valid_to, active, version, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?)`, int64(l.ID), int64(l.TenantID), l.Name, l.Currency, l.ValidFrom, l.ValidTo, l.Active, l.Version, ms(now), ms(now))
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a price list named %q exists already", l.Name)
	}
	if err != nil {
		return fmt.Errorf("insert price list: %w", err)
	}
	return replacePriceListItems(ctx, tx, l)
}

func replacePriceListItems(ctx context.Context, tx *Tx, l *cohort.PriceList) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM price_list_items WHERE tenant_id = ? AND price_list_id = ?", int64(l.TenantID), int64(l.ID)); err != nil {
		return err
	}
	for _, it := range l.Items {
		_, err := tx.ExecContext(ctx, "INSERT INTO price_list_items (tenant_id, id, price_list_id, product_id, price) VALUES (?,?,?,?,?)",
			int64(l.TenantID), tx.db.NewID(), int64(l.ID), int64(it.ProductID), it.Price)
		if isForeignKeyViolation(err) {
			return cohort.Errorf(cohort.EINVALID, "items: no such product %s", it.ProductID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// UpdatePriceList writes l and its items if its version is still prevVersion.
func UpdatePriceList(ctx context.Context, tx *Tx, l *cohort.PriceList, prevVersion int, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE price_lists SET name = ?, valid_from = ?, valid_to = ?, active = ?, version = version + 1, updated_at = ?
		WHERE tenant_id = ? AND id = ? AND version = ?`, l.Name, l.ValidFrom, l.ValidTo, l.Active, ms(now), int64(l.TenantID), int64(l.ID), prevVersion)
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a price list named %q exists already", l.Name)
	}
	if err := checkOne(res, err, "price list"); err != nil {
		return err
	}
	l.Version, l.UpdatedAt = prevVersion+1, now
	return replacePriceListItems(ctx, tx, l)
}

// --- deals: quotes, contracts, orders

const dealCols = `d.id, d.tenant_id, d.kind, d.number, d.name, d.customer_id, COALESCE(c.name, ''), d.contact_id, d.opportunity_id, d.quote_id,
	d.status, d.currency, d.subtotal, d.discount, d.total, d.valid_until, d.start_date, d.end_date, d.sent_at, d.decided_at, d.signed_at,
	d.signed_date, d.signed_by, d.closed_at, d.note, d.owner_id, d.department_id, d.created_by, d.version, d.created_at, d.updated_at,
	d.voided_at, d.void_reason, d.signing_department_id, d.external_id`

const dealFrom = " FROM deals d LEFT JOIN customers c ON c.tenant_id = d.tenant_id AND c.id = d.customer_id"

func dealDest(d *cohort.Deal) []any {
	return []any{idScanner{&d.ID}, idScanner{&d.TenantID}, (*string)(&d.Kind), &d.Number, &d.Name, idScanner{&d.CustomerID}, &d.CustomerName,
		idScanner{&d.ContactID}, idScanner{&d.OpportunityID}, idScanner{&d.QuoteID}, &d.Status, &d.Currency, &d.Subtotal, &d.Discount, &d.Total,
		&d.ValidUntil, &d.StartDate, &d.EndDate, nullMsScanner{&d.SentAt}, nullMsScanner{&d.DecidedAt}, nullMsScanner{&d.SignedAt},
		&d.SignedDate, idScanner{&d.SignedBy}, nullMsScanner{&d.ClosedAt}, &d.Note, idScanner{&d.OwnerID}, idScanner{&d.DepartmentID},
		idScanner{&d.CreatedBy}, &d.Version, msScanner{&d.CreatedAt}, msScanner{&d.UpdatedAt}, nullMsScanner{&d.VoidedAt}, &d.VoidReason,
		idScanner{&d.SigningDepartmentID}, &d.ExternalID}
}

// DealList is the list spec of quotes, contracts and orders.
var DealList = &ListSpec{
	IDColumn: "d.id",
	Fields: map[string]Field{
		"number":         {Column: "d.number", Sortable: true},
		"name":           {Column: "d.name", Sortable: true},
		"customer_id":    {Column: "d.customer_id", Type: TID},
		"opportunity_id": {Column: "d.opportunity_id", Type: TID},
		"status":         {Column: "d.status", Sortable: true},
		"currency":       {Column: "d.currency"},
		"total":          {Column: "d.total", Type: TInt, Sortable: true},
		"signed_date":    {Column: "d.signed_date", Sortable: true},
		"signed_at":      {Column: "d.signed_at", Type: TTime},
		"sent_at":        {Column: "d.sent_at", Type: TTime},
		"valid_until":    {Column: "d.valid_until", Sortable: true},
		"end_date":       {Column: "d.end_date", Sortable: true},
		"owner_id":       {Column: "d.owner_id", Type: TID},
		"department_id":  {Column: "d.department_id", Type: TID},
		"created_at":     {Column: "d.created_at", Type: TTime, Sortable: true},
		"updated_at":     {Column: "d.updated_at", Type: TTime, Sortable: true},
	},
	QColumns:    []string{"d.number", "d.name", "c.name"},
	DefaultSort: []cohort.SortKey{{Field: "updated_at", Desc: true}},
}

// InsertDeal inserts d with its lines.
func InsertDeal(ctx context.Context, tx *Tx, d *cohort.Deal, now time.Time) error {
	d.ID, d.Version, d.CreatedAt, d.UpdatedAt = cohort.ID(tx.db.NewID()), 1, createdAt(d.CreatedAt, now), now
	_, err := tx.ExecContext(ctx, `INSERT INTO deals (id, tenant_id, kind, number, name, customer_id, contact_id, opportunity_id, quote_id, status,
		currency, subtotal, discount, total, valid_until, start_date, end_date, sent_at, decided_at, signed_at, signed_date, signed_by, closed_at,
		note, owner_id, department_id, created_by, version, created_at, updated_at, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		int64(d.ID), int64(d.TenantID), string(d.Kind), d.Number, d.Name, int64(d.CustomerID), nullID(d.ContactID), nullID(d.OpportunityID),
		nullID(d.QuoteID), d.Status, d.Currency, d.Subtotal, d.Discount, d.Total, d.ValidUntil, d.StartDate, d.EndDate, nullMs(d.SentAt),
		nullMs(d.DecidedAt), nullMs(d.SignedAt), d.SignedDate, nullID(d.SignedBy), nullMs(d.ClosedAt), d.Note, nullID(d.OwnerID),
		nullID(d.DepartmentID), nullID(d.CreatedBy), d.Version, ms(d.CreatedAt), ms(now), ms(now))
	if isUniqueViolation(err) {
		return &cohort.Error{Code: cohort.ECONFLICT, Message: fmt.Sprintf("a %s numbered %q exists already", d.Kind, d.Number),
			Fields: []cohort.FieldError{{Field: "number", Message: "is taken"}}}
	}
	if err != nil {
		return fmt.Errorf("insert %s: %w", d.Kind, err)
	}
	if err := SetExternalID(ctx, tx, "deals", d.TenantID, d.ID, d.ExternalID); err != nil {
		return err
	}
	return replaceDealLines(ctx, tx, d)
}

func replaceDealLines(ctx context.Context, tx *Tx, d *cohort.Deal) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM deal_lines WHERE tenant_id = ? AND deal_id = ?", int64(d.TenantID), int64(d.ID)); err != nil {
		return err
	}
	for _, l := range d.Lines {
		_, err := tx.ExecContext(ctx, `INSERT INTO deal_lines (tenant_id, id, deal_id, product_id, price_list_id, quantity, unit_price, discount_bp, amount)
			VALUES (?,?,?,?,?,?,?,?,?)`, int64(d.TenantID), tx.db.NewID(), int64(d.ID), int64(l.ProductID), nullID(l.PriceListID), l.Quantity,
			l.UnitPrice, l.DiscountBP, l.Amount)
		if isForeignKeyViolation(err) {
			return cohort.Errorf(cohort.EINVALID, "lines: no such product %s", l.ProductID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// UpdateDeal writes d if its version is still prevVersion; lines are
// rewritten only when linesChanged.
func UpdateDeal(ctx context.Context, tx *Tx, d *cohort.Deal, prevVersion int, linesChanged bool, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE deals SET number = ?, name = ?, contact_id = ?, opportunity_id = ?, status = ?, subtotal = ?, discount = ?,
		total = ?, valid_until = ?, start_date = ?, end_date = ?, sent_at = ?, decided_at = ?, signed_at = ?, signed_date = ?, signed_by = ?,
		closed_at = ?, note = ?, owner_id = ?, department_id = ?, voided_at = ?, void_reason = ?, signing_department_id = ?, created_at = ?,
		version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
		d.Number, d.Name, nullID(d.ContactID), nullID(d.OpportunityID), d.Status, d.Subtotal, d.Discount, d.Total, d.ValidUntil, d.StartDate,
		d.EndDate, nullMs(d.SentAt), nullMs(d.DecidedAt), nullMs(d.SignedAt), d.SignedDate, nullID(d.SignedBy), nullMs(d.ClosedAt), d.Note,
		nullID(d.OwnerID), nullID(d.DepartmentID), nullMs(d.VoidedAt), d.VoidReason, nullID(d.SigningDepartmentID), ms(d.CreatedAt),
		ms(now), int64(d.TenantID), int64(d.ID), prevVersion)
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a %s numbered %q exists already", d.Kind, d.Number)
	}
	if err := checkOne(res, err, string(d.Kind)); err != nil {
		return err
	}
	d.Version, d.UpdatedAt = prevVersion+1, now
	if linesChanged {
		return replaceDealLines(ctx, tx, d)
	}
	return nil
}

// FindDeal returns a document of kind inside scope, with its lines.
func FindDeal(ctx context.Context, q Queryer, tenantID cohort.ID, kind cohort.ObjectType, id cohort.ID, scope Where) (*cohort.Deal, error) {
	w := And(Where{"d.tenant_id = ? AND d.id = ? AND d.kind = ?", []any{int64(tenantID), int64(id), string(kind)}}, scope)
	d := &cohort.Deal{}
	err := q.QueryRowContext(ctx, "SELECT "+dealCols+dealFrom+" WHERE "+w.SQL, w.Args...).Scan(dealDest(d)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(string(kind))
	}
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", kind, err)
	}
	return d, loadDealLines(ctx, q, tenantID, []*cohort.Deal{d})
}

func loadDealLines(ctx context.Context, q Queryer, tenantID cohort.ID, deals []*cohort.Deal) error {
	if len(deals) == 0 {
		return nil
	}
	byID := map[cohort.ID]*cohort.Deal{}
	args := []any{int64(tenantID)}
	for _, d := range deals {
		d.Lines = []cohort.DealLine{}
		byID[d.ID] = d
		args = append(args, int64(d.ID))
	}
	rows, err := q.QueryContext(ctx, `SELECT l.deal_id, l.product_id, COALESCE(p.name, ''), l.price_list_id, l.quantity, l.unit_price, l.discount_bp, l.amount
		FROM deal_lines l LEFT JOIN products p ON p.tenant_id = l.tenant_id AND p.id = l.product_id
		WHERE l.tenant_id = ? AND l.deal_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(deals)), ",")+") ORDER BY l.id", args...)
	if err != nil {
		return fmt.Errorf("load deal lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var did cohort.ID
		var l cohort.DealLine
		if err := rows.Scan(idScanner{&did}, idScanner{&l.ProductID}, &l.ProductName, idScanner{&l.PriceListID}, &l.Quantity, &l.UnitPrice,
			&l.DiscountBP, &l.Amount); err != nil {
			return err
		}
		if d := byID[did]; d != nil {
			d.Lines = append(d.Lines, l)
		}
	}
	return rows.Err()
}

// ListDeals lists documents of kind inside scope, with their lines; walk,
// when given, is the same scope written for walking the sort's index
// (RecordWalkScope).
func ListDeals(ctx context.Context, q Queryer, tenantID cohort.ID, kind cohort.ObjectType, scope Where, lq cohort.ListQuery, loc *time.Location, walk ...Where) ([]*cohort.Deal, string, error) {
	tenant := Where{"d.tenant_id = ? AND d.kind = ?", []any{int64(tenantID), string(kind)}}
	ds, next, err := List(ctx, q, DealList, lq, loc, "SELECT "+dealCols+dealFrom, And(tenant, scope), func() (*cohort.Deal, []any) {
		d := &cohort.Deal{}
		return d, dealDest(d)
	}, walkBase(tenant, walk)...)
	if err != nil {
		return nil, "", err
	}
	return ds, next, loadDealLines(ctx, q, tenantID, ds)
}

// --- payment plans, payments, invoices

// InsertPaymentPlan adds an installment to a document's plan.
func InsertPaymentPlan(ctx context.Context, tx *Tx, tenantID cohort.ID, p *cohort.PaymentPlan, now time.Time) error {
	p.ID, p.CreatedAt = cohort.ID(tx.db.NewID()), now
	_, err := tx.ExecContext(ctx, "INSERT INTO payment_plans (tenant_id, id, deal_id, due_date, amount, note, created_by, created_at) VALUES (?,?,?,?,?,?,?,?)",
		int64(tenantID), int64(p.ID), int64(p.DealID), p.DueDate, p.Amount, p.Note, nullID(p.CreatedBy), ms(now))
	return err
}

// DeletePaymentPlan removes an installment no payment names.
func DeletePaymentPlan(ctx context.Context, tx *Tx, tenantID, dealID, id cohort.ID) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM payments WHERE tenant_id = ? AND plan_id = ?", int64(tenantID), int64(id)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return cohort.Errorf(cohort.ECONFLICT, "%d payments were received for this installment; it is kept for them", n)
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM payment_plans WHERE tenant_id = ? AND deal_id = ? AND id = ?", int64(tenantID), int64(dealID), int64(id))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("installment")
	}
	return nil
}

// PaymentPlans returns a document's installments by due date.
func PaymentPlans(ctx context.Context, q Queryer, tenantID, dealID cohort.ID) ([]cohort.PaymentPlan, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, deal_id, due_date, amount, note, created_by, created_at, external_id FROM payment_plans
		WHERE tenant_id = ? AND deal_id = ? ORDER BY due_date, id`, int64(tenantID), int64(dealID))
	if err != nil {
		return nil, fmt.Errorf("payment plans: %w", err)
	}
	defer rows.Close()
	out := []cohort.PaymentPlan{}
	for rows.Next() {
		var p cohort.PaymentPlan
		if err := rows.Scan(idScanner{&p.ID}, idScanner{&p.DealID}, &p.DueDate, &p.Amount, &p.Note, idScanner{&p.CreatedBy}, msScanner{&p.CreatedAt}, &p.ExternalID); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// InsertPayment records a payment.
func InsertPayment(ctx context.Context, tx *Tx, tenantID cohort.ID, p *cohort.Payment, now time.Time) error {
	p.ID, p.CreatedAt = cohort.ID(tx.db.NewID()), now
	_, err := tx.ExecContext(ctx, `INSERT INTO payments (tenant_id, id, deal_id, plan_id, received_date, amount, currency, method, reference, note,
		recorded_by, created_at, reverses_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`, int64(tenantID), int64(p.ID), int64(p.DealID), nullID(p.PlanID), p.ReceivedDate,
		p.Amount, p.Currency, p.Method, p.Reference, p.Note, nullID(p.RecordedBy), ms(now), nullID(p.ReversesID))
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "the payment is reversed already")
	}
	return err
}

// Payments returns a document's payments in the order they were received;
// a reversed payment names its reversal.
func Payments(ctx context.Context, q Queryer, tenantID, dealID cohort.ID) ([]cohort.Payment, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, deal_id, plan_id, received_date, amount, currency, method, reference, note, recorded_by, created_at,
		reverses_id, external_id FROM payments WHERE tenant_id = ? AND deal_id = ? ORDER BY received_date, id`, int64(tenantID), int64(dealID))
	if err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	defer rows.Close()
	out := []cohort.Payment{}
	for rows.Next() {
		var p cohort.Payment
		if err := rows.Scan(idScanner{&p.ID}, idScanner{&p.DealID}, idScanner{&p.PlanID}, &p.ReceivedDate, &p.Amount, &p.Currency, &p.Method,
			&p.Reference, &p.Note, idScanner{&p.RecordedBy}, msScanner{&p.CreatedAt}, idScanner{&p.ReversesID}, &p.ExternalID); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	at := make(map[cohort.ID]int, len(out))
	for i := range out {
		at[out[i].ID] = i
	}
	for _, p := range out {
		if i, ok := at[p.ReversesID]; ok && p.ReversesID != 0 {
			out[i].ReversedBy = p.ID
		}
	}
	return out, nil
}

const invoiceCols = "id, deal_id, number, amount, currency, issued_date, status, note, voided_at, voided_by, created_by, version, created_at, updated_at"

func invoiceDest(i *cohort.Invoice) []any {
	return []any{idScanner{&i.ID}, idScanner{&i.DealID}, &i.Number, &i.Amount, &i.Currency, &i.IssuedDate, &i.Status, &i.Note,
		nullMsScanner{&i.VoidedAt}, idScanner{&i.VoidedBy}, idScanner{&i.CreatedBy}, &i.Version, msScanner{&i.CreatedAt}, msScanner{&i.UpdatedAt}}
}

// InsertInvoice records an invoice.
func InsertInvoice(ctx context.Context, tx *Tx, tenantID cohort.ID, i *cohort.Invoice, now time.Time) error {
	i.ID, i.Version, i.CreatedAt, i.UpdatedAt = cohort.ID(tx.db.NewID()), 1, now, now
	_, err := tx.ExecContext(ctx, "INSERT INTO invoices (tenant_id, "+invoiceCols+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", int64(tenantID),
		int64(i.ID), int64(i.DealID), i.Number, i.Amount, i.Currency, i.IssuedDate, i.Status, i.Note, nullMs(i.VoidedAt), nullID(i.VoidedBy),
		nullID(i.CreatedBy), i.Version, ms(now), ms(now))
	if isUniqueViolation(err) {
		return &cohort.Error{Code: cohort.ECONFLICT, Message: fmt.Sprintf("an invoice numbered %q exists already", i.Number),
			Fields: []cohort.FieldError{{Field: "number", Message: "is taken"}}}
	}
	return err
}

// VoidInvoice marks an issued invoice void.
func VoidInvoice(ctx context.Context, tx *Tx, tenantID cohort.ID, i *cohort.Invoice, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE invoices SET status = 'void', voided_at = ?, voided_by = ?, version = version + 1, updated_at = ?
		WHERE tenant_id = ? AND id = ? AND version = ?`, ms(now), nullID(i.VoidedBy), ms(now), int64(tenantID), int64(i.ID), i.Version)
	if err := checkOne(res, err, "invoice"); err != nil {
		return err
	}
	i.Status, i.VoidedAt, i.Version, i.UpdatedAt = cohort.InvoiceVoid, &now, i.Version+1, now
	return nil
}

// Invoices returns a document's invoices, oldest first.
func Invoices(ctx context.Context, q Queryer, tenantID, dealID cohort.ID) ([]cohort.Invoice, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+invoiceCols+" FROM invoices WHERE tenant_id = ? AND deal_id = ? ORDER BY issued_date, id",
		int64(tenantID), int64(dealID))
	if err != nil {
		return nil, fmt.Errorf("invoices: %w", err)
	}
	defer rows.Close()
	out := []cohort.Invoice{}
	for rows.Next() {
		var i cohort.Invoice
		if err := rows.Scan(invoiceDest(&i)...); err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// --- record events

// InsertEvent appends an event of a deal, project or ticket.
func InsertEvent(ctx context.Context, tx *Tx, tenantID cohort.ID, e *cohort.RecordEvent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO record_events (tenant_id, id, record_type, record_id, event, from_status, to_status, occurred_at,
		recorded_at, user_id) VALUES (?,?,?,?,?,?,?,?,?,?)`, int64(tenantID), tx.db.NewID(), string(e.RecordType), int64(e.RecordID), e.Event,
		e.FromStatus, e.ToStatus, ms(e.OccurredAt), ms(e.RecordedAt), nullID(e.UserID))
	if err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	return nil
}

// Events returns a record's events in the order they were recorded.
func Events(ctx context.Context, q Queryer, tenantID cohort.ID, recordType cohort.ObjectType, recordID cohort.ID) ([]cohort.RecordEvent, error) {
	rows, err := q.QueryContext(ctx, `SELECT record_type, record_id, event, from_status, to_status, occurred_at, recorded_at, user_id FROM record_events
		WHERE tenant_id = ? AND record_type = ? AND record_id = ? ORDER BY recorded_at, id`, int64(tenantID), string(recordType), int64(recordID))
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	out := []cohort.RecordEvent{}
	for rows.Next() {
		var e cohort.RecordEvent
		if err := rows.Scan((*string)(&e.RecordType), idScanner{&e.RecordID}, &e.Event, &e.FromStatus, &e.ToStatus, msScanner{&e.OccurredAt},
			msScanner{&e.RecordedAt}, idScanner{&e.UserID}); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DealsWithPlansDue lists the signed contracts and orders of owner that are
// not fully paid and have an installment falling due by the local date by
// (the workbench's "payments due"; Balances settles what is really owed).
func DealsWithPlansDue(ctx context.Context, q Queryer, tenantID, owner cohort.ID, by string, limit int) ([]*cohort.Deal, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+dealCols+dealFrom+` WHERE d.tenant_id = ? AND d.owner_id = ? AND d.signed_at IS NOT NULL
		AND d.status NOT IN ('terminated', 'cancelled')
		AND EXISTS (SELECT 1 FROM payment_plans pp WHERE pp.tenant_id = d.tenant_id AND pp.deal_id = d.id AND pp.due_date <= ?)
		AND d.total > (SELECT COALESCE(sum(p.amount), 0) FROM payments p WHERE p.tenant_id = d.tenant_id AND p.deal_id = d.id)
		ORDER BY d.signed_at, d.id LIMIT ?`, int64(tenantID), int64(owner), by, limit)
	if err != nil {
		return nil, fmt.Errorf("deals with plans due: %w", err)
	}
	defer rows.Close()
	var out []*cohort.Deal
	for rows.Next() {
		d := &cohort.Deal{}
		if err := rows.Scan(dealDest(d)...); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// OpenTicketsOf lists the open tickets a user owns, most urgent first.
func OpenTicketsOf(ctx context.Context, q Queryer, tenantID, owner cohort.ID, limit int) ([]*cohort.Ticket, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+ticketCols+ticketFrom+` WHERE k.tenant_id = ? AND k.owner_id = ? AND k.status IN ('open', 'in_progress')
		ORDER BY CASE k.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, k.opened_at LIMIT ?`,
		int64(tenantID), int64(owner), limit)
	if err != nil {
		return nil, fmt.Errorf("open tickets: %w", err)
	}
	defer rows.Close()
	var out []*cohort.Ticket
	for rows.Next() {
		t := &cohort.Ticket{}
		if err := rows.Scan(ticketDest(t)...); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// FirstSigning returns the earliest signing of a customer's contracts and
// orders that are not void, leaving out except (nil when there is none).
func FirstSigning(ctx context.Context, q Queryer, tenantID, customerID, except cohort.ID) (*time.Time, error) {
	var at sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT min(signed_at) FROM deals WHERE tenant_id = ? AND customer_id = ? AND kind IN ('contract', 'order')
		AND signed_at IS NOT NULL AND status <> 'voided' AND id <> ?`, int64(tenantID), int64(customerID), int64(except)).Scan(&at)
	if err != nil || !at.Valid {
		return nil, err
	}
	t := fromMs(at.Int64)
	return &t, nil
}

// LastEventAt returns the business time of a record's latest event other
// than its creation (zero when there is none): later events are dated in
// order.
func LastEventAt(ctx context.Context, q Queryer, tenantID cohort.ID, obj cohort.ObjectType, id cohort.ID) (time.Time, error) {
	var at sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT max(occurred_at) FROM record_events WHERE tenant_id = ? AND record_type = ? AND record_id = ? AND event <> 'created'`,
		int64(tenantID), string(obj), int64(id)).Scan(&at)
	if err != nil || !at.Valid {
		return time.Time{}, err
	}
	return fromMs(at.Int64), nil
}
