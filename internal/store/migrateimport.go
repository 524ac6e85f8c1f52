package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort"
)

// Bulk writes of a migration import: records with their own business
// times (creation, stage entries, close) and external ids.

// StageEntryAt is one entry of an imported stage history.
type StageEntryAt struct {
	Stage string
	At    time.Time
}

// BulkInsertOpportunities inserts opportunities with their creation times
// (now when unset) and stage histories (hist[i] for opps[i], in time order;
// each entry left when the next one was entered, the last one open), giving
// each its id. Lines are not imported.
func BulkInsertOpportunities(ctx context.Context, tx *Tx, opps []*cohort.Opportunity, hist [][]StageEntryAt, now time.Time) error {
	rows := make([][]any, 0, len(opps))
	stages := make([][]any, 0, 2*len(opps))
	for i, o := range opps {
		o.ID, o.Version, o.CreatedAt, o.UpdatedAt = cohort.ID(tx.db.NewID()), 1, createdAt(o.CreatedAt, now), now
		if len(o.Custom) == 0 {
			o.Custom = json.RawMessage("{}")
		}
		rows = append(rows, []any{int64(o.ID), int64(o.TenantID), int64(o.CustomerID), nullID(o.ContactID), int64(o.ProcessID), o.Stage, o.Name,
			o.Amount, o.Currency, o.ExpectedCloseDate, o.ForecastCategory, o.Status, o.LossReason, o.Competitor, o.Source, nullMs(o.ClosedAt),
			nullID(o.OwnerID), nullID(o.DepartmentID), string(o.Custom), nullID(o.CreatedBy), o.Version, ms(o.CreatedAt), ms(now), o.ExternalID, ms(now)})
		h := hist[i]
		for j, e := range h {
			var left any
			switch {
			case j+1 < len(h):
				left = ms(h[j+1].At)
			case o.ClosedAt != nil:
				// The close leaves the last stage, as a close through the
				// API does: its stay counts in days in stage.
				left = ms(*o.ClosedAt)
			}
			stages = append(stages, []any{int64(o.TenantID), tx.db.NewID(), int64(o.ID), e.Stage, ms(e.At), left, nullID(o.CreatedBy), ms(now)})
		}
	}
	if err := BulkInsert(ctx, tx, "opportunities", []string{"id", "tenant_id", "customer_id", "contact_id", "process_id", "stage", "name",
		"amount", "currency", "expected_close_date", "forecast_category", "status", "loss_reason", "competitor", "source", "closed_at",
		"owner_id", "department_id", "custom", "created_by", "version", "created_at", "updated_at", "external_id", "recorded_at"}, rows); err != nil {
		return err
	}
	return BulkInsert(ctx, tx, "opportunity_stages", []string{"tenant_id", "id", "opportunity_id", "stage", "entered_at", "left_at", "user_id", "recorded_at"}, stages)
}

// BulkInsertDeals inserts contracts or orders with their business times
// (created_at, signed_at, voided_at, kept as given; created_at now when
// unset) and their record events (created, signed, voided), giving each
// its id. Lines are not imported: a migrated document carries its amount
// as its total.
func BulkInsertDeals(ctx context.Context, tx *Tx, ds []*cohort.Deal, now time.Time) error {
	rows := make([][]any, 0, len(ds))
	events := make([][]any, 0, 3*len(ds))
	event := func(d *cohort.Deal, name, from, to string, at time.Time) {
		events = append(events, []any{int64(d.TenantID), tx.db.NewID(), string(d.Kind), int64(d.ID), name, from, to, ms(at), ms(now), nullID(d.CreatedBy)})
	}
	for _, d := range ds {
		d.ID, d.Version, d.CreatedAt, d.UpdatedAt = cohort.ID(tx.db.NewID()), 1, createdAt(d.CreatedAt, now), now
		rows = append(rows, []any{int64(d.ID), int64(d.TenantID), string(d.Kind), d.Number, d.Name, int64(d.CustomerID), nullID(d.ContactID),
			nullID(d.OpportunityID), d.Status, d.Currency, d.Subtotal, d.Discount, d.Total, d.StartDate, d.EndDate, nullMs(d.SignedAt),
			d.SignedDate, nullID(d.SignedBy), d.Note, nullID(d.OwnerID), nullID(d.DepartmentID), nullID(d.CreatedBy), d.Version, ms(d.CreatedAt),
			ms(now), ms(now), nullMs(d.VoidedAt), d.VoidReason, nullID(d.SigningDepartmentID), d.ExternalID})
		event(d, "created", "", cohort.DealDraft, d.CreatedAt)
		if d.SignedAt != nil {
			event(d, cohort.DealSigned, cohort.DealDraft, cohort.DealSigned, *d.SignedAt)
		}
		if d.VoidedAt != nil {
			event(d, "voided", cohort.DealSigned, cohort.DealVoided, *d.VoidedAt)
		}
	}
	if err := BulkInsert(ctx, tx, "deals", []string{"id", "tenant_id", "kind", "number", "name", "customer_id", "contact_id", "opportunity_id",
		"status", "currency", "subtotal", "discount", "total", "start_date", "end_date", "signed_at", "signed_date", "signed_by", "note",
		"owner_id", "department_id", "created_by", "version", "created_at", "updated_at", "recorded_at", "voided_at", "void_reason",
		"signing_department_id", "external_id"}, rows); err != nil {
		return err
	}
	return BulkInsert(ctx, tx, "record_events", []string{"tenant_id", "id", "record_type", "record_id", "event", "from_status", "to_status",
		"occurred_at", "recorded_at", "user_id"}, events)
}

// TakenNumbers returns which of numbers a record of table (deals or
// tickets) of the tenant has; kind, if set, narrows deals to one kind.
func TakenNumbers(ctx context.Context, q Queryer, table string, tenantID cohort.ID, kind cohort.ObjectType, numbers []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(numbers) == 0 {
		return out, nil
	}
	in, args := inList(q.Engine(), "number", numbers)
	w := Where{"tenant_id = ? AND " + in, append([]any{int64(tenantID)}, args...)}
	if kind != "" {
		w = And(w, Where{"kind = ?", []any{string(kind)}})
	}
	rows, err := q.QueryContext(ctx, "SELECT number FROM "+table+" WHERE "+w.SQL, w.Args...)
	if err != nil {
		return nil, fmt.Errorf("taken numbers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// MoveFirstSigned moves each customer's first signing time back to the
// time first gives it (milliseconds).
func MoveFirstSigned(ctx context.Context, tx *Tx, tenantID cohort.ID, first map[cohort.ID]int64) error {
	return moveCustomerTimes(ctx, tx, tenantID, "first_signed_at", ">", first)
}

// BulkInsertPaymentPlans inserts installments, giving each without one its
// id.
func BulkInsertPaymentPlans(ctx context.Context, tx *Tx, tenantID cohort.ID, ps []*cohort.PaymentPlan, now time.Time) error {
	rows := make([][]any, 0, len(ps))
	for _, p := range ps {
		if p.ID == 0 {
			p.ID = cohort.ID(tx.db.NewID())
		}
		p.CreatedAt = now
		rows = append(rows, []any{int64(tenantID), int64(p.ID), int64(p.DealID), p.DueDate, p.Amount, p.Note, nullID(p.CreatedBy), ms(now), p.ExternalID})
	}
	return BulkInsert(ctx, tx, "payment_plans", []string{"tenant_id", "id", "deal_id", "due_date", "amount", "note", "created_by", "created_at",
		"external_id"}, rows)
}

// BulkInsertPayments inserts payments and reversals, giving each without one
// its id.
func BulkInsertPayments(ctx context.Context, tx *Tx, tenantID cohort.ID, ps []*cohort.Payment, now time.Time) error {
	rows := make([][]any, 0, len(ps))
	for _, p := range ps {
		if p.ID == 0 {
			p.ID = cohort.ID(tx.db.NewID())
		}
		p.CreatedAt = now
		rows = append(rows, []any{int64(tenantID), int64(p.ID), int64(p.DealID), nullID(p.PlanID), p.ReceivedDate, p.Amount, p.Currency, p.Method,
			p.Reference, p.Note, nullID(p.RecordedBy), ms(now), nullID(p.ReversesID), p.ExternalID})
	}
	return BulkInsert(ctx, tx, "payments", []string{"tenant_id", "id", "deal_id", "plan_id", "received_date", "amount", "currency", "method",
		"reference", "note", "recorded_by", "created_at", "reverses_id", "external_id"}, rows)
}

// ReversedPayments returns which of the payments ids are reversed already.
func ReversedPayments(ctx context.Context, q Queryer, tenantID cohort.ID, ids []cohort.ID) (map[cohort.ID]bool, error) {
	out := map[cohort.ID]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{int64(tenantID)}
	for _, id := range ids {
		args = append(args, int64(id))
	}
	rows, err := q.QueryContext(ctx, "SELECT reverses_id FROM payments WHERE tenant_id = ? AND reverses_id IN ("+placeholders(len(ids))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("reversed payments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id cohort.ID
		if err := rows.Scan(idScanner{&id}); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// PaymentRefs returns the payments of a tenant whose external id is one of
// exts, by external id.
func PaymentRefs(ctx context.Context, q Queryer, tenantID cohort.ID, exts []string) (map[string]cohort.Payment, error) {
	out := map[string]cohort.Payment{}
	if len(exts) == 0 {
		return out, nil
	}
	in, args := inList(q.Engine(), "external_id", exts)
	rows, err := q.QueryContext(ctx, `SELECT id, deal_id, plan_id, received_date, amount, currency, method, reference, reverses_id, external_id
		FROM payments WHERE tenant_id = ? AND `+in, append([]any{int64(tenantID)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("payment refs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p cohort.Payment
		if err := rows.Scan(idScanner{&p.ID}, idScanner{&p.DealID}, idScanner{&p.PlanID}, &p.ReceivedDate, &p.Amount, &p.Currency, &p.Method,
			&p.Reference, idScanner{&p.ReversesID}, &p.ExternalID); err != nil {
			return nil, err
		}
		out[p.ExternalID] = p
	}
	return out, rows.Err()
}

// BulkInsertTickets inserts tickets with their business times (opened,
// first response, resolved, closed, kept as given) and their record events,
// giving each its id.
func BulkInsertTickets(ctx context.Context, tx *Tx, ts []*cohort.Ticket, now time.Time) error {
	rows := make([][]any, 0, len(ts))
	events := make([][]any, 0, 3*len(ts))
	event := func(t *cohort.Ticket, name, from, to string, at *time.Time, user cohort.ID) {
		if at != nil {
			events = append(events, []any{int64(t.TenantID), tx.db.NewID(), string(cohort.ObjTicket), int64(t.ID), name, from, to, ms(*at), ms(now), nullID(user)})
		}
	}
	for _, t := range ts {
		t.ID, t.Version, t.CreatedAt, t.UpdatedAt = cohort.ID(tx.db.NewID()), 1, t.OpenedAt, now
		rows = append(rows, []any{int64(t.ID), int64(t.TenantID), t.Number, int64(t.CustomerID), nullID(t.ContactID), nullID(t.DealID), t.Kind,
			t.Priority, t.Status, t.Subject, t.Description, ms(t.OpenedAt), nullMs(t.FirstResponseAt), nullID(t.FirstResponseBy), nullMs(t.ResolvedAt),
			nullID(t.ResolvedBy), t.Resolution, nullMs(t.ClosedAt), t.Cost, t.Currency, t.Satisfaction, t.SatisfactionNote, nullID(t.OwnerID),
			nullID(t.DepartmentID), nullID(t.CreatedBy), t.Version, ms(t.CreatedAt), ms(now), ms(now), t.ExternalID})
		status := cohort.TicketOpen
		event(t, "opened", "", status, &t.OpenedAt, t.CreatedBy)
		if t.FirstResponseAt != nil {
			event(t, "responded", status, cohort.TicketInProgress, t.FirstResponseAt, t.FirstResponseBy)
			status = cohort.TicketInProgress
		}
		if t.ResolvedAt != nil {
			event(t, "resolved", status, cohort.TicketResolved, t.ResolvedAt, t.ResolvedBy)
			status = cohort.TicketResolved
		}
		event(t, "closed", status, cohort.TicketClosed, t.ClosedAt, t.OwnerID)
	}
	if err := BulkInsert(ctx, tx, "tickets", []string{"id", "tenant_id", "number", "customer_id", "contact_id", "deal_id", "kind", "priority",
		"status", "subject", "description", "opened_at", "first_response_at", "first_response_by", "resolved_at", "resolved_by", "resolution",
		"closed_at", "cost", "currency", "satisfaction", "satisfaction_note", "owner_id", "department_id", "created_by", "version", "created_at",
		"updated_at", "recorded_at", "external_id"}, rows); err != nil {
		return err
	}
	return BulkInsert(ctx, tx, "record_events", []string{"tenant_id", "id", "record_type", "record_id", "event", "from_status", "to_status",
		"occurred_at", "recorded_at", "user_id"}, events)
}
