package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/cohortcrm/cohort"
)

// Batch readers of the records the fact ledger is projected from
// (internal/facts): each reads the records of many ids with one query, for
// a rebuild's batches of 500 and for a write's few records alike.

// eachIn runs query, whose %s is a list of placeholders for ids, with the
// tenant and the ids as arguments, and calls scan on each row.
func eachIn(ctx context.Context, q Queryer, query string, tenantID cohort.ID, ids []cohort.ID, scan func(*sql.Rows) error) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, int64(tenantID))
	for _, id := range ids {
		args = append(args, int64(id))
	}
	rows, err := q.QueryContext(ctx, fmt.Sprintf(query, placeholders(len(ids))), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CustomersByID returns the customers with the given ids that exist.
func CustomersByID(ctx context.Context, q Queryer, tenantID cohort.ID, ids []cohort.ID) (map[cohort.ID]*cohort.Customer, error) {
	out := make(map[cohort.ID]*cohort.Customer, len(ids))
	err := eachIn(ctx, q, "SELECT "+customerCols+" FROM customers c WHERE c.tenant_id = ? AND c.id IN (%s)", tenantID, ids, func(r *sql.Rows) error {
		c := &cohort.Customer{}
		err := r.Scan(customerDest(c)...)
		out[c.ID] = c
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("customers: %w", err)
	}
	return out, nil
}

// OpportunitiesByID returns the opportunities with the given ids that
// exist, without their lines.
func OpportunitiesByID(ctx context.Context, q Queryer, tenantID cohort.ID, ids []cohort.ID) (map[cohort.ID]*cohort.Opportunity, error) {
	out := make(map[cohort.ID]*cohort.Opportunity, len(ids))
	err := eachIn(ctx, q, "SELECT "+oppCols+" FROM opportunities o WHERE o.tenant_id = ? AND o.id IN (%s)", tenantID, ids, func(r *sql.Rows) error {
		o := &cohort.Opportunity{}
		err := r.Scan(oppDest(o)...)
		out[o.ID] = o
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opportunities: %w", err)
	}
	return out, nil
}

// DealsByID returns the documents of kind with the given ids that exist,
// with their lines.
func DealsByID(ctx context.Context, q Queryer, tenantID cohort.ID, kind cohort.ObjectType, ids []cohort.ID) (map[cohort.ID]*cohort.Deal, error) {
	out := make(map[cohort.ID]*cohort.Deal, len(ids))
	var list []*cohort.Deal
	err := eachIn(ctx, q, "SELECT "+dealCols+dealFrom+" WHERE d.tenant_id = ? AND d.id IN (%s) AND d.kind = '"+string(kind)+"'", tenantID, ids,
		func(r *sql.Rows) error {
			d := &cohort.Deal{}
			err := r.Scan(dealDest(d)...)
			out[d.ID], list = d, append(list, d)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	return out, loadDealLines(ctx, q, tenantID, list)
}

// TicketsByID returns the tickets with the given ids that exist.
func TicketsByID(ctx context.Context, q Queryer, tenantID cohort.ID, ids []cohort.ID) (map[cohort.ID]*cohort.Ticket, error) {
	out := make(map[cohort.ID]*cohort.Ticket, len(ids))
	err := eachIn(ctx, q, "SELECT "+ticketCols+ticketFrom+" WHERE k.tenant_id = ? AND k.id IN (%s)", tenantID, ids, func(r *sql.Rows) error {
		t := &cohort.Ticket{}
		err := r.Scan(ticketDest(t)...)
		out[t.ID] = t
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	return out, nil
}

// LeadsByID returns the leads with the given ids that exist.
func LeadsByID(ctx context.Context, q Queryer, tenantID cohort.ID, ids []cohort.ID) (map[cohort.ID]*cohort.Lead, error) {
	out := make(map[cohort.ID]*cohort.Lead, len(ids))
	err := eachIn(ctx, q, "SELECT "+leadCols+" FROM leads l WHERE l.tenant_id = ? AND l.id IN (%s)", tenantID, ids, func(r *sql.Rows) error {
		l := &cohort.Lead{}
		err := r.Scan(leadDest(l)...)
		out[l.ID] = l
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("leads: %w", err)
	}
	return out, nil
}

// ProjectsByID returns the projects with the given ids that exist, with
// their milestones by due date.
func ProjectsByID(ctx context.Context, q Queryer, tenantID cohort.ID, ids []cohort.ID) (map[cohort.ID]*cohort.Project, error) {
	out := make(map[cohort.ID]*cohort.Project, len(ids))
	err := eachIn(ctx, q, "SELECT "+projectCols+projectFrom+" WHERE j.tenant_id = ? AND j.id IN (%s)", tenantID, ids, func(r *sql.Rows) error {
		p := &cohort.Project{Milestones: []cohort.ProjectMilestone{}}
		err := r.Scan(projectDest(p)...)
		out[p.ID] = p
		return err
	})
	if err == nil {
		err = eachIn(ctx, q, "SELECT "+milestoneCols+" FROM project_milestones WHERE tenant_id = ? AND project_id IN (%s) ORDER BY due_date, id",
			tenantID, ids, func(r *sql.Rows) error {
				var m cohort.ProjectMilestone
				if err := r.Scan(milestoneDest(&m)...); err != nil {
					return err
				}
				if p := out[m.ProjectID]; p != nil {
					p.Milestones = append(p.Milestones, m)
				}
				return nil
			})
	}
	if err != nil {
		return nil, fmt.Errorf("projects: %w", err)
	}
	return out, nil
}

// TeamHistories returns every membership the teams of records of one type
// ever had, oldest first, by record.
func TeamHistories(ctx context.Context, q Queryer, tenantID cohort.ID, recordType cohort.ObjectType, ids []cohort.ID) (map[cohort.ID][]cohort.TeamMember, error) {
	out := make(map[cohort.ID][]cohort.TeamMember, len(ids))
	err := eachIn(ctx, q, "SELECT "+teamCols+` FROM record_team t LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id
		WHERE t.tenant_id = ? AND t.record_id IN (%s) AND t.record_type = '`+string(recordType)+"' ORDER BY t.valid_from, t.id", tenantID, ids,
		func(r *sql.Rows) error {
			var m cohort.TeamMember
			err := r.Scan(teamDest(&m)...)
			out[m.RecordID] = append(out[m.RecordID], m)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("read teams: %w", err)
	}
	return out, nil
}

// StageHistories returns the stages opportunities entered, in order, by
// opportunity.
func StageHistories(ctx context.Context, q Queryer, tenantID cohort.ID, ids []cohort.ID) (map[cohort.ID][]cohort.StageEntry, error) {
	out := make(map[cohort.ID][]cohort.StageEntry, len(ids))
	err := eachIn(ctx, q, `SELECT opportunity_id, stage, entered_at, left_at, user_id, COALESCE(recorded_at, entered_at) FROM opportunity_stages
		WHERE tenant_id = ? AND opportunity_id IN (%s) ORDER BY entered_at, id`, tenantID, ids, func(r *sql.Rows) error {
		var e cohort.StageEntry
		var opp cohort.ID
		err := r.Scan(idScanner{&opp}, &e.Stage, msScanner{&e.EnteredAt}, nullMsScanner{&e.LeftAt}, idScanner{&e.UserID}, msScanner{&e.RecordedAt})
		out[opp] = append(out[opp], e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("stage histories: %w", err)
	}
	return out, nil
}

// PoolEventsOf returns customers' pool movements, newest first, by customer.
func PoolEventsOf(ctx context.Context, q Queryer, tenantID cohort.ID, customerIDs []cohort.ID) (map[cohort.ID][]cohort.PoolEvent, error) {
	out := map[cohort.ID][]cohort.PoolEvent{}
	err := eachIn(ctx, q, `SELECT id, pool_id, customer_id, kind, user_id, actor_id, reason, at FROM pool_events
		WHERE tenant_id = ? AND customer_id IN (%s) ORDER BY at DESC, id DESC`, tenantID, customerIDs, func(r *sql.Rows) error {
		var e cohort.PoolEvent
		err := r.Scan(idScanner{&e.ID}, idScanner{&e.PoolID}, idScanner{&e.CustomerID}, &e.Kind, idScanner{&e.UserID},
			idScanner{&e.ActorID}, &e.Reason, msScanner{&e.At})
		out[e.CustomerID] = append(out[e.CustomerID], e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pool events: %w", err)
	}
	return out, nil
}

// Money is what documents were invoiced, planned and paid, by document.
type Money struct {
	Invoices map[cohort.ID][]cohort.Invoice
	Plans    map[cohort.ID][]cohort.PaymentPlan
	Payments map[cohort.ID][]cohort.Payment
}

// MoneyOf returns the invoices (oldest first), payment plans (by due date)
// and payments (in the order received) of documents.
func MoneyOf(ctx context.Context, q Queryer, tenantID cohort.ID, dealIDs []cohort.ID) (*Money, error) {
	m := &Money{Invoices: map[cohort.ID][]cohort.Invoice{}, Plans: map[cohort.ID][]cohort.PaymentPlan{}, Payments: map[cohort.ID][]cohort.Payment{}}
	err := eachIn(ctx, q, "SELECT "+invoiceCols+" FROM invoices WHERE tenant_id = ? AND deal_id IN (%s) ORDER BY issued_date, id", tenantID, dealIDs,
		func(r *sql.Rows) error {
			var i cohort.Invoice
			err := r.Scan(invoiceDest(&i)...)
			m.Invoices[i.DealID] = append(m.Invoices[i.DealID], i)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("invoices: %w", err)
	}
	err = eachIn(ctx, q, `SELECT id, deal_id, due_date, amount, note, created_by, created_at, external_id FROM payment_plans
		WHERE tenant_id = ? AND deal_id IN (%s) ORDER BY due_date, id`, tenantID, dealIDs, func(r *sql.Rows) error {
		var p cohort.PaymentPlan
		err := r.Scan(idScanner{&p.ID}, idScanner{&p.DealID}, &p.DueDate, &p.Amount, &p.Note, idScanner{&p.CreatedBy}, msScanner{&p.CreatedAt}, &p.ExternalID)
		m.Plans[p.DealID] = append(m.Plans[p.DealID], p)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("payment plans: %w", err)
	}
	err = eachIn(ctx, q, `SELECT id, deal_id, plan_id, received_date, amount, currency, method, reference, note, recorded_by, created_at,
		reverses_id, external_id FROM payments WHERE tenant_id = ? AND deal_id IN (%s) ORDER BY received_date, id`, tenantID, dealIDs, func(r *sql.Rows) error {
		var p cohort.Payment
		err := r.Scan(idScanner{&p.ID}, idScanner{&p.DealID}, idScanner{&p.PlanID}, &p.ReceivedDate, &p.Amount, &p.Currency, &p.Method,
			&p.Reference, &p.Note, idScanner{&p.RecordedBy}, msScanner{&p.CreatedAt}, idScanner{&p.ReversesID}, &p.ExternalID)
		m.Payments[p.DealID] = append(m.Payments[p.DealID], p)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	return m, nil
}

// StageMove is the part of an opportunity's stage history a stage move
// changed: the entries entered from the earliest time of the entries the
// move changed on, in order. HasFirst says whether the history's first
// entry that is not an outcome (which the opportunity's creation names)
// is among them, as it is when no earlier entry is one; First is its
// stage.
type StageMove struct {
	Entries  []cohort.StageEntry
	HasFirst bool
	First    string
}

// StageMoveOf reads the stage entries of an opportunity entered from from
// on (the time EnterStage returned), in order, and whether the first
// entry that is not an outcome is among them: one statement, which also
// reads at most one earlier entry that is not an outcome.
func StageMoveOf(ctx context.Context, q Queryer, tenantID, oppID cohort.ID, from time.Time) (*StageMove, error) {
	rows, err := q.QueryContext(ctx, `SELECT stage, entered_at, left_at, user_id, COALESCE(recorded_at, entered_at), id FROM opportunity_stages
		WHERE tenant_id = ? AND opportunity_id = ? AND entered_at >= ?
		UNION ALL SELECT * FROM (SELECT stage, entered_at, left_at, user_id, COALESCE(recorded_at, entered_at), id FROM opportunity_stages
		WHERE tenant_id = ? AND opportunity_id = ? AND entered_at < ? AND stage NOT IN (?, ?, ?) LIMIT 1) earlier`,
		int64(tenantID), int64(oppID), ms(from), int64(tenantID), int64(oppID), ms(from), cohort.OppWon, cohort.OppLost, cohort.OppInvalid)
	if err != nil {
		return nil, fmt.Errorf("stage move: %w", err)
	}
	defer rows.Close()
	var entries []cohort.StageEntry
	var ids []int64
	for rows.Next() {
		var e cohort.StageEntry
		var id int64
		if err := rows.Scan(&e.Stage, msScanner{&e.EnteredAt}, nullMsScanner{&e.LeftAt}, idScanner{&e.UserID}, msScanner{&e.RecordedAt}, &id); err != nil {
			return nil, fmt.Errorf("stage move: %w", err)
		}
		entries, ids = append(entries, e), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stage move: %w", err)
	}
	return NewStageMove(entries, ids, from), nil
}

// NewStageMove makes the StageMove of the entries (with their row ids)
// read as StageMoveOf reads them, from its own statement or from another
// that reads the same rows: those entered from from on, and at most one
// earlier entry that is not an outcome.
func NewStageMove(entries []cohort.StageEntry, ids []int64, from time.Time) *StageMove {
	m := &StageMove{HasFirst: true}
	var kept []int64
	for i, e := range entries {
		if e.EnteredAt.Before(from) {
			m.HasFirst = false
			continue
		}
		m.Entries, kept = append(m.Entries, e), append(kept, ids[i])
	}
	ids = kept
	// In history order (entered_at, id), as StageHistories reads them.
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := m.Entries[a].EnteredAt.Compare(m.Entries[b].EnteredAt); c != 0 {
			return c
		}
		return cmp.Compare(ids[a], ids[b])
	})
	sorted := make([]cohort.StageEntry, len(order))
	for i, j := range order {
		sorted[i] = m.Entries[j]
	}
	m.Entries = sorted
	if m.HasFirst {
		for _, e := range m.Entries {
			if e.Stage != cohort.OppWon && e.Stage != cohort.OppLost && e.Stage != cohort.OppInvalid {
				m.First = e.Stage
				break
			}
		}
	}
	return m
}
