package cohort

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Record types of the commercial documents and the price lists.
const (
	ObjQuote    ObjectType = "quote"
	ObjContract ObjectType = "contract"
	ObjOrder    ObjectType = "order"
	// ObjPriceList names price lists in the audit log; they are governed by
	// the product permissions.
	ObjPriceList ObjectType = "price_list"
)

// DealKinds are the kinds of commercial document, each with its own
// numbers, statuses and permissions.
var DealKinds = []ObjectType{ObjQuote, ObjContract, ObjOrder}

// Deal statuses. Quotes: draft → sent → accepted | rejected | expired.
// Contracts: draft → signed → (active →) ended | terminated. Orders:
// draft → signed → delivered | cancelled, and a draft may be cancelled.
const (
	DealDraft      = "draft"
	DealSent       = "sent"
	DealAccepted   = "accepted"
	DealRejected   = "rejected"
	DealExpired    = "expired"
	DealSigned     = "signed"
	DealActive     = "active"
	DealEnded      = "ended"
	DealTerminated = "terminated"
	DealDelivered  = "delivered"
	DealCancelled  = "cancelled"
	// DealVoided (作废) is a signed contract or order declared void: it stays
	// visible, tagged, and counts in no signed figure. It is reached by a
	// void (with a reason and a date), not by a status move.
	DealVoided = "voided"
)

// DealTransitions lists, per kind and status, the statuses a document may
// move to. Anything else is refused with the allowed list.
var DealTransitions = map[ObjectType]map[string][]string{
	ObjQuote: {
		DealDraft: {DealSent},
		DealSent:  {DealAccepted, DealRejected, DealExpired},
	},
	ObjContract: {
		DealDraft:  {DealSigned},
		DealSigned: {DealActive, DealEnded, DealTerminated},
		DealActive: {DealEnded, DealTerminated},
	},
	ObjOrder: {
		DealDraft:  {DealSigned, DealCancelled},
		DealSigned: {DealDelivered, DealCancelled},
	},
}

// DealNumberPrefix is the prefix of generated numbers per kind: 报价 QT,
// 合同 HT, 订单 DD.
var DealNumberPrefix = map[ObjectType]string{ObjQuote: "QT", ObjContract: "HT", ObjOrder: "DD"}

// Signable reports whether documents of kind k are signed (contracts and
// orders): signing is what the "signed" metrics and first-signed customers
// count, and only signed documents collect payments.
func Signable(k ObjectType) bool { return k == ObjContract || k == ObjOrder }

// CheckTransition returns a validation error naming the allowed moves when a
// document of kind k may not go from status from to status to.
func CheckTransition(k ObjectType, from, to string) error {
	allowed := DealTransitions[k][from]
	if slices.Contains(allowed, to) {
		return nil
	}
	return transitionError(string(k), from, to, allowed)
}

func transitionError(what, from, to string, allowed []string) error {
	msg := fmt.Sprintf("a %s cannot move from %s to %s", what, from, to)
	if len(allowed) == 0 {
		msg += "; " + from + " is final"
	} else {
		msg += "; allowed: " + strings.Join(allowed, ", ")
	}
	return &Error{Code: EINVALID, Message: "status: " + msg, Fields: []FieldError{{Field: "status", Message: msg}}}
}

// Deal is a quote, contract or order (报价/合同/订单) with product lines.
// Money is in minor units of Currency: Total = Subtotal − Discount, where
// Subtotal is the sum of the lines' amounts.
type Deal struct {
	ID ID `json:"id"`
	// ExternalID is the record's id in the system it was migrated from
	// (unique per tenant and type when set).
	ExternalID    string     `json:"external_id"`
	TenantID      ID         `json:"tenant_id"`
	Kind          ObjectType `json:"kind"`
	Number        string     `json:"number"`
	Name          string     `json:"name"`
	CustomerID    ID         `json:"customer_id"`
	CustomerName  string     `json:"customer_name"`
	ContactID     ID         `json:"contact_id"`
	OpportunityID ID         `json:"opportunity_id"`
	// QuoteID is the quote a contract or order was made from.
	QuoteID    ID         `json:"quote_id"`
	Status     string     `json:"status"`
	Currency   string     `json:"currency"`
	Subtotal   int64      `json:"subtotal"`
	Discount   int64      `json:"discount"`
	Total      int64      `json:"total"`
	ValidUntil string     `json:"valid_until"`
	StartDate  string     `json:"start_date"`
	EndDate    string     `json:"end_date"`
	SentAt     *time.Time `json:"sent_at"`
	DecidedAt  *time.Time `json:"decided_at"`
	// SignedAt is when the document was signed (it may be backdated);
	// SignedDate is its local date in the tenant's time zone.
	SignedAt   *time.Time `json:"signed_at"`
	SignedDate string     `json:"signed_date"`
	SignedBy   ID         `json:"signed_by"`
	ClosedAt   *time.Time `json:"closed_at"`
	// VoidedAt and VoidReason say when and why a signed document was
	// declared void (作废).
	VoidedAt   *time.Time `json:"voided_at"`
	VoidReason string     `json:"void_reason"`
	Note       string     `json:"note"`
	OwnerID    ID         `json:"owner_id"`
	// DepartmentID follows the current owner; SigningDepartmentID is the
	// owner's department at the signing time and never moves.
	DepartmentID        ID         `json:"department_id"`
	SigningDepartmentID ID         `json:"signing_department_id"`
	CreatedBy           ID         `json:"created_by"`
	Lines               []DealLine `json:"lines"`
	// Balance is the money position of a signed contract or order; it is
	// filled on the detail view.
	Balance   *Balance  `json:"balance,omitempty"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DealLine is one product line; UnitPrice comes from PriceListID when set,
// else from the client, else from the product.
type DealLine struct {
	ProductID   ID     `json:"product_id"`
	ProductName string `json:"product_name"`
	PriceListID ID     `json:"price_list_id"`
	Quantity    int64  `json:"quantity"`
	UnitPrice   int64  `json:"unit_price"`
	DiscountBP  int    `json:"discount_bp"`
	Amount      int64  `json:"amount"`
}

// MaxMoney bounds any amount, in minor units (10^15: a quadrillion fen).
const MaxMoney = 1e15

func checkDate(v *Validation, field, s string) {
	if s != "" {
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			v.Add(field, "must be a date YYYY-MM-DD")
		}
	}
}

// Validate checks d's own fields and computes its line amounts and totals.
func (d *Deal) Validate() error {
	var v Validation
	d.Name = strings.TrimSpace(d.Name)
	checkName(&v, "name", d.Name, 200)
	d.Number = strings.TrimSpace(d.Number)
	if len(d.Number) > 50 {
		v.Add("number", "must be at most 50 characters")
	}
	if !slices.Contains(DealKinds, d.Kind) {
		v.Add("kind", "must be quote, contract or order")
	}
	if d.CustomerID == 0 {
		v.Add("customer_id", "is required")
	}
	if d.Currency != "" && !validCurrency(d.Currency) {
		v.Add("currency", "must be an ISO 4217 code such as CNY")
	}
	checkDate(&v, "valid_until", d.ValidUntil)
	checkDate(&v, "start_date", d.StartDate)
	checkDate(&v, "end_date", d.EndDate)
	if d.StartDate != "" && d.EndDate != "" && d.EndDate < d.StartDate {
		v.Add("end_date", "must not be before start_date")
	}
	if len([]rune(d.Note)) > 5000 {
		v.Add("note", "must be at most 5000 characters")
	}
	if d.Lines == nil {
		d.Lines = []DealLine{}
	}
	if len(d.Lines) > 500 {
		v.Add("lines", "a document has at most 500 lines")
	}
	d.Subtotal = 0
	for i, l := range d.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		if l.ProductID == 0 {
			v.Add(f+".product_id", "is required")
		}
		if l.Quantity <= 0 || l.Quantity > 1e9 {
			v.Add(f+".quantity", "must be 1 to 1000000000")
			continue
		}
		if l.UnitPrice < 0 || l.UnitPrice > 1e13 {
			v.Add(f+".unit_price", "must be 0 to 10^13 minor units")
			continue
		}
		if l.DiscountBP < 0 || l.DiscountBP > FullShare {
			v.Add(f+".discount_bp", "must be 0 to 10000")
			continue
		}
		d.Lines[i].Amount = LineAmount(l.Quantity, l.UnitPrice, l.DiscountBP)
		d.Subtotal += d.Lines[i].Amount
	}
	if d.Subtotal > MaxMoney {
		v.Add("lines", "the lines add up to more than 10^15 minor units")
	}
	if d.Discount < 0 {
		v.Add("discount", "must not be negative")
	} else if d.Discount > d.Subtotal {
		v.Add("discount", "must not exceed the lines' sum (%d)", d.Subtotal)
	}
	d.Total = d.Subtotal - d.Discount
	return v.Err()
}

// DealUpdate holds the fields a PATCH may change. Lines and money change
// only while the document is a draft.
type DealUpdate struct {
	Name          *string     `json:"name"`
	Number        *string     `json:"number"`
	ContactID     *ID         `json:"contact_id"`
	OpportunityID *ID         `json:"opportunity_id"`
	Discount      *int64      `json:"discount"`
	ValidUntil    *string     `json:"valid_until"`
	StartDate     *string     `json:"start_date"`
	EndDate       *string     `json:"end_date"`
	Note          *string     `json:"note"`
	Lines         *[]DealLine `json:"lines"`
}

// PriceList is a named list of product prices valid between two local dates
// (价目表); a line may take its unit price from it.
type PriceList struct {
	ID        ID              `json:"id"`
	TenantID  ID              `json:"tenant_id"`
	Name      string          `json:"name"`
	Currency  string          `json:"currency"`
	ValidFrom string          `json:"valid_from"`
	ValidTo   string          `json:"valid_to"`
	Active    bool            `json:"active"`
	Items     []PriceListItem `json:"items"`
	Version   int             `json:"version"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// PriceListItem is one product's price on a list.
type PriceListItem struct {
	ProductID   ID     `json:"product_id"`
	ProductName string `json:"product_name"`
	Price       int64  `json:"price"`
}

// Validate checks l.
func (l *PriceList) Validate() error {
	var v Validation
	l.Name = strings.TrimSpace(l.Name)
	checkName(&v, "name", l.Name, 100)
	if l.Currency != "" && !validCurrency(l.Currency) {
		v.Add("currency", "must be an ISO 4217 code such as CNY")
	}
	checkDate(&v, "valid_from", l.ValidFrom)
	checkDate(&v, "valid_to", l.ValidTo)
	if l.ValidFrom != "" && l.ValidTo != "" && l.ValidTo < l.ValidFrom {
		v.Add("valid_to", "must not be before valid_from")
	}
	if l.Items == nil {
		l.Items = []PriceListItem{}
	}
	seen := map[ID]bool{}
	for i, it := range l.Items {
		f := fmt.Sprintf("items[%d]", i)
		if it.ProductID == 0 || seen[it.ProductID] {
			v.Add(f+".product_id", "is required and appears once")
		}
		seen[it.ProductID] = true
		if it.Price < 0 || it.Price > 1e13 {
			v.Add(f+".price", "must be 0 to 10^13 minor units")
		}
	}
	return v.Err()
}

// ValidOn reports whether l is active and valid on local date day.
func (l *PriceList) ValidOn(day string) bool {
	return l.Active && (l.ValidFrom == "" || l.ValidFrom <= day) && (l.ValidTo == "" || day <= l.ValidTo)
}

// PriceListUpdate holds the fields a PATCH may change; Items replaces the
// whole list of prices.
type PriceListUpdate struct {
	Name      *string          `json:"name"`
	ValidFrom *string          `json:"valid_from"`
	ValidTo   *string          `json:"valid_to"`
	Active    *bool            `json:"active"`
	Items     *[]PriceListItem `json:"items"`
}

// PaymentPlan is one installment of a contract's or order's payment plan
// (回款计划): an amount due on a local date.
type PaymentPlan struct {
	ID ID `json:"id"`
	// ExternalID is the record's id in the system it was migrated from
	// (unique per tenant and type when set).
	ExternalID string    `json:"external_id"`
	DealID     ID        `json:"deal_id"`
	DueDate    string    `json:"due_date"`
	Amount     int64     `json:"amount"`
	Note       string    `json:"note"`
	CreatedBy  ID        `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	// Covered, Remaining and Overdue are computed (see Balances).
	Covered   int64 `json:"covered"`
	Remaining int64 `json:"remaining"`
	Overdue   bool  `json:"overdue"`
}

// Validate checks p.
func (p *PaymentPlan) Validate() error {
	var v Validation
	if _, err := time.Parse(time.DateOnly, p.DueDate); err != nil {
		v.Add("due_date", "must be a date YYYY-MM-DD")
	}
	if p.Amount <= 0 || p.Amount > MaxMoney {
		v.Add("amount", "must be above 0 and at most 10^15 minor units")
	}
	if len([]rune(p.Note)) > 500 {
		v.Add("note", "must be at most 500 characters")
	}
	return v.Err()
}

// PaymentMethods are the ways money arrives.
var PaymentMethods = []string{"bank_transfer", "cash", "check", "alipay", "wechat", "card", "other"}

// Payment is money received against a contract or order (回款), optionally
// for one installment of its plan.
type Payment struct {
	ID ID `json:"id"`
	// ExternalID is the record's id in the system it was migrated from
	// (unique per tenant and type when set).
	ExternalID   string    `json:"external_id"`
	DealID       ID        `json:"deal_id"`
	PlanID       ID        `json:"plan_id"`
	ReceivedDate string    `json:"received_date"`
	Amount       int64     `json:"amount"`
	Currency     string    `json:"currency"`
	Method       string    `json:"method"`
	Reference    string    `json:"reference"`
	Note         string    `json:"note"`
	RecordedBy   ID        `json:"recorded_by"`
	CreatedAt    time.Time `json:"created_at"`
	// ReversesID names the payment a reversal (冲销) cancels; a reversal has
	// the opposite amount and is dated the day it was made.
	ReversesID ID `json:"reverses_id"`
	// ReversedBy names the reversal that cancelled this payment (0: none).
	ReversedBy ID `json:"reversed_by"`
}

// Validate checks p against today, the tenant's local date.
func (p *Payment) Validate(today string) error {
	var v Validation
	if p.ReceivedDate == "" {
		p.ReceivedDate = today
	}
	if _, err := time.Parse(time.DateOnly, p.ReceivedDate); err != nil {
		v.Add("received_date", "must be a date YYYY-MM-DD")
	} else if p.ReceivedDate > today {
		v.Add("received_date", "must not be in the future")
	}
	if p.Amount <= 0 || p.Amount > MaxMoney {
		v.Add("amount", "must be above 0 and at most 10^15 minor units")
	}
	if p.Method == "" {
		p.Method = "bank_transfer"
	}
	if !slices.Contains(PaymentMethods, p.Method) {
		v.Add("method", "must be one of %s", strings.Join(PaymentMethods, ", "))
	}
	if len([]rune(p.Reference)) > 100 || len([]rune(p.Note)) > 500 {
		v.Add("note", "reference at most 100 and note at most 500 characters")
	}
	return v.Err()
}

// Invoice statuses.
const (
	InvoiceIssued = "issued"
	InvoiceVoid   = "void"
)

// Invoice is issued against a contract or order (发票). The issued invoices
// of a document never add up to more than its total.
type Invoice struct {
	ID         ID         `json:"id"`
	DealID     ID         `json:"deal_id"`
	Number     string     `json:"number"`
	Amount     int64      `json:"amount"`
	Currency   string     `json:"currency"`
	IssuedDate string     `json:"issued_date"`
	Status     string     `json:"status"`
	Note       string     `json:"note"`
	VoidedAt   *time.Time `json:"voided_at"`
	VoidedBy   ID         `json:"voided_by"`
	CreatedBy  ID         `json:"created_by"`
	Version    int        `json:"version"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Validate checks i against today, the tenant's local date.
func (i *Invoice) Validate(today string) error {
	var v Validation
	i.Number = strings.TrimSpace(i.Number)
	if i.Number == "" || len(i.Number) > 50 {
		v.Add("number", "must be 1 to 50 characters")
	}
	if i.IssuedDate == "" {
		i.IssuedDate = today
	}
	if _, err := time.Parse(time.DateOnly, i.IssuedDate); err != nil {
		v.Add("issued_date", "must be a date YYYY-MM-DD")
	} else if i.IssuedDate > today {
		v.Add("issued_date", "must not be in the future")
	}
	if i.Amount <= 0 || i.Amount > MaxMoney {
		v.Add("amount", "must be above 0 and at most 10^15 minor units")
	}
	if len([]rune(i.Note)) > 500 {
		v.Add("note", "must be at most 500 characters")
	}
	return v.Err()
}

// Balance is the money position of a contract or order on a local date.
type Balance struct {
	AsOf     string `json:"as_of"`
	Total    int64  `json:"total"`
	Planned  int64  `json:"planned"`
	Invoiced int64  `json:"invoiced"`
	// Collected is the sum of payments; Receivable = Total − Collected.
	Collected  int64 `json:"collected"`
	Receivable int64 `json:"receivable"`
	// Due is what remains unpaid on installments due up to AsOf; Overdue
	// what remains on installments due before it.
	Due     int64 `json:"due"`
	Overdue int64 `json:"overdue"`
	// NextDue is the earliest installment not yet covered that falls due on
	// or after AsOf.
	NextDue *PaymentPlan `json:"next_due"`
}

// Balances allocates payments to a document's installments and returns its
// balance on local date asOf; plans are updated in place with what covers
// them. A payment that names an installment covers it first; everything
// else is allocated to the installments in order of due date.
func Balances(total, invoiced int64, plans []PaymentPlan, payments []Payment, asOf string) Balance {
	b := Balance{AsOf: asOf, Total: total, Invoiced: invoiced}
	sort.SliceStable(plans, func(i, j int) bool {
		if plans[i].DueDate != plans[j].DueDate {
			return plans[i].DueDate < plans[j].DueDate
		}
		return plans[i].ID < plans[j].ID
	})
	idx := map[ID]int{}
	for i := range plans {
		plans[i].Covered = 0
		idx[plans[i].ID] = i
		b.Planned += plans[i].Amount
	}
	var pool int64
	for _, p := range payments {
		b.Collected += p.Amount
		if p.ReversesID != 0 || p.ReversedBy != 0 {
			continue // a payment and its reversal cancel out and cover nothing
		}
		amt := p.Amount
		if i, ok := idx[p.PlanID]; ok && p.PlanID != 0 {
			take := min(amt, plans[i].Amount-plans[i].Covered)
			plans[i].Covered += take
			amt -= take
		}
		pool += amt
	}
	for i := range plans {
		take := min(pool, plans[i].Amount-plans[i].Covered)
		plans[i].Covered += take
		pool -= take
	}
	for i := range plans {
		pl := &plans[i]
		pl.Remaining = pl.Amount - pl.Covered
		pl.Overdue = pl.Remaining > 0 && pl.DueDate < asOf
		if pl.Remaining > 0 && pl.DueDate <= asOf {
			b.Due += pl.Remaining
		}
		if pl.Overdue {
			b.Overdue += pl.Remaining
		}
		if pl.Remaining > 0 && pl.DueDate >= asOf && b.NextDue == nil {
			next := *pl
			b.NextDue = &next
		}
	}
	b.Receivable = total - b.Collected
	return b
}

// RecordEvent is one event in the life of a deal, project or ticket: a
// status change, a first response, a milestone done. OccurredAt is the
// business time; RecordedAt is when it was recorded, the instant whose
// record team earns the credit.
type RecordEvent struct {
	RecordType ObjectType `json:"record_type"`
	RecordID   ID         `json:"record_id"`
	Event      string     `json:"event"`
	FromStatus string     `json:"from_status"`
	ToStatus   string     `json:"to_status"`
	OccurredAt time.Time  `json:"occurred_at"`
	RecordedAt time.Time  `json:"recorded_at"`
	UserID     ID         `json:"user_id"`
}
