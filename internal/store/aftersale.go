package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort"
)

// --- delivery projects

const projectCols = `j.id, j.tenant_id, j.number, j.name, j.customer_id, COALESCE(c.name, ''), j.deal_id, j.status, j.start_date, j.due_date,
	j.started_at, j.completed_at, j.note, j.owner_id, j.department_id, j.created_by, j.version, j.created_at, j.updated_at`

const projectFrom = " FROM projects j LEFT JOIN customers c ON c.tenant_id = j.tenant_id AND c.id = j.customer_id"

func projectDest(p *cohort.Project) []any {
	return []any{idScanner{&p.ID}, idScanner{&p.TenantID}, &p.Number, &p.Name, idScanner{&p.CustomerID}, &p.CustomerName, idScanner{&p.DealID},
		&p.Status, &p.StartDate, &p.DueDate, nullMsScanner{&p.StartedAt}, nullMsScanner{&p.CompletedAt}, &p.Note, idScanner{&p.OwnerID},
		idScanner{&p.DepartmentID}, idScanner{&p.CreatedBy}, &p.Version, msScanner{&p.CreatedAt}, msScanner{&p.UpdatedAt}}
}

// ProjectList is the list spec of delivery projects.
var ProjectList = &ListSpec{
	IDColumn: "j.id",
	Fields: map[string]Field{
		"number":        {Column: "j.number", Sortable: true},
		"name":          {Column: "j.name", Sortable: true},
		"customer_id":   {Column: "j.customer_id", Type: TID},
		"deal_id":       {Column: "j.deal_id", Type: TID},
		"status":        {Column: "j.status", Sortable: true},
		"start_date":    {Column: "j.start_date", Sortable: true},
		"due_date":      {Column: "j.due_date", Sortable: true},
		"owner_id":      {Column: "j.owner_id", Type: TID},
		"department_id": {Column: "j.department_id", Type: TID},
		"created_at":    {Column: "j.created_at", Type: TTime, Sortable: true},
		"updated_at":    {Column: "j.updated_at", Type: TTime, Sortable: true},
	},
	QColumns:    []string{"j.number", "j.name", "c.name"},
	DefaultSort: []cohort.SortKey{{Field: "updated_at", Desc: true}},
}

// InsertProject inserts p.
func InsertProject(ctx context.Context, tx *Tx, p *cohort.Project, now time.Time) error {
	p.ID, p.Version, p.CreatedAt, p.UpdatedAt = cohort.ID(tx.db.NewID()), 1, createdAt(p.CreatedAt, now), now
	_, err := tx.ExecContext(ctx, `INSERT INTO projects (id, tenant_id, number, name, customer_id, deal_id, status, start_date, due_date, started_at,
		completed_at, note, owner_id, department_id, created_by, version, created_at, updated_at, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		int64(p.ID), int64(p.TenantID), p.Number, p.Name, int64(p.CustomerID), nullID(p.DealID), p.Status, p.StartDate, p.DueDate,
		nullMs(p.StartedAt), nullMs(p.CompletedAt), p.Note, nullID(p.OwnerID), nullID(p.DepartmentID), nullID(p.CreatedBy), p.Version, ms(p.CreatedAt), ms(now), ms(now))
	if isUniqueViolation(err) {
		return &cohort.Error{Code: cohort.ECONFLICT, Message: fmt.Sprintf("a project numbered %q exists already", p.Number),
			Fields: []cohort.FieldError{{Field: "number", Message: "is taken"}}}
	}
	if err != nil {
		return fmt.Errorf("insert project: %w", err)
	}
	return nil
}

// UpdateProject writes p if its version is still prevVersion.
func UpdateProject(ctx context.Context, tx *Tx, p *cohort.Project, prevVersion int, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE projects SET name = ?, status = ?, start_date = ?, due_date = ?, started_at = ?, completed_at = ?, note = ?,
		owner_id = ?, department_id = ?, version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
		p.Name, p.Status, p.StartDate, p.DueDate, nullMs(p.StartedAt), nullMs(p.CompletedAt), p.Note, nullID(p.OwnerID), nullID(p.DepartmentID),
		ms(now), int64(p.TenantID), int64(p.ID), prevVersion)
	if err := checkOne(res, err, "project"); err != nil {
		return err
	}
	p.Version, p.UpdatedAt = prevVersion+1, now
	return nil
}

// FindProject returns a project inside scope, with its milestones.
func FindProject(ctx context.Context, q Queryer, tenantID, id cohort.ID, scope Where) (*cohort.Project, error) {
	w := And(Where{"j.tenant_id = ? AND j.id = ?", []any{int64(tenantID), int64(id)}}, scope)
	p := &cohort.Project{}
	err := q.QueryRowContext(ctx, "SELECT "+projectCols+projectFrom+" WHERE "+w.SQL, w.Args...).Scan(projectDest(p)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("project")
	}
	if err != nil {
		return nil, fmt.Errorf("find project: %w", err)
	}
	p.Milestones, err = Milestones(ctx, q, tenantID, id)
	return p, err
}

// ListProjects lists projects inside scope (without milestones); walk, when
// given, is the same scope written for walking the sort's index
// (RecordWalkScope).
func ListProjects(ctx context.Context, q Queryer, tenantID cohort.ID, scope Where, lq cohort.ListQuery, loc *time.Location, walk ...Where) ([]*cohort.Project, string, error) {
	tenant := Where{"j.tenant_id = ?", []any{int64(tenantID)}}
	return List(ctx, q, ProjectList, lq, loc, "SELECT "+projectCols+projectFrom, And(tenant, scope), func() (*cohort.Project, []any) {
		p := &cohort.Project{Milestones: []cohort.ProjectMilestone{}}
		return p, projectDest(p)
	}, walkBase(tenant, walk)...)
}

const milestoneCols = "id, project_id, name, due_date, done_at, done_by, created_at"

func milestoneDest(m *cohort.ProjectMilestone) []any {
	return []any{idScanner{&m.ID}, idScanner{&m.ProjectID}, &m.Name, &m.DueDate, nullMsScanner{&m.DoneAt}, idScanner{&m.DoneBy}, msScanner{&m.CreatedAt}}
}

// Milestones returns a project's milestones by due date.
func Milestones(ctx context.Context, q Queryer, tenantID, projectID cohort.ID) ([]cohort.ProjectMilestone, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+milestoneCols+" FROM project_milestones WHERE tenant_id = ? AND project_id = ? ORDER BY due_date, id",
		int64(tenantID), int64(projectID))
	if err != nil {
		return nil, fmt.Errorf("milestones: %w", err)
	}
	defer rows.Close()
	out := []cohort.ProjectMilestone{}
	for rows.Next() {
		var m cohort.ProjectMilestone
		if err := rows.Scan(milestoneDest(&m)...); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// FindMilestone returns one milestone of a project.
func FindMilestone(ctx context.Context, q Queryer, tenantID, projectID, id cohort.ID) (*cohort.ProjectMilestone, error) {
	m := &cohort.ProjectMilestone{}
	err := q.QueryRowContext(ctx, "SELECT "+milestoneCols+" FROM project_milestones WHERE tenant_id = ? AND project_id = ? AND id = ?",
		int64(tenantID), int64(projectID), int64(id)).Scan(milestoneDest(m)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("milestone")
	}
	return m, err
}

// InsertMilestone adds a milestone to a project.
func InsertMilestone(ctx context.Context, tx *Tx, tenantID cohort.ID, m *cohort.ProjectMilestone, now time.Time) error {
	m.ID, m.CreatedAt = cohort.ID(tx.db.NewID()), now
	_, err := tx.ExecContext(ctx, "INSERT INTO project_milestones (tenant_id, "+milestoneCols+") VALUES (?,?,?,?,?,?,?,?)", int64(tenantID),
		int64(m.ID), int64(m.ProjectID), m.Name, m.DueDate, nullMs(m.DoneAt), nullID(m.DoneBy), ms(now))
	return err
}

// UpdateMilestone writes a milestone's name, due date and done mark.
func UpdateMilestone(ctx context.Context, tx *Tx, tenantID cohort.ID, m *cohort.ProjectMilestone) error {
	_, err := tx.ExecContext(ctx, "UPDATE project_milestones SET name = ?, due_date = ?, done_at = ?, done_by = ? WHERE tenant_id = ? AND id = ?",
		m.Name, m.DueDate, nullMs(m.DoneAt), nullID(m.DoneBy), int64(tenantID), int64(m.ID))
	return err
}

// --- service tickets

const ticketCols = `k.id, k.tenant_id, k.number, k.customer_id, COALESCE(c.name, ''), k.contact_id, k.deal_id, k.kind, k.priority, k.status,
	k.subject, k.description, k.opened_at, k.first_response_at, k.first_response_by, k.resolved_at, k.resolved_by, k.resolution, k.closed_at,
	k.cost, k.currency, k.satisfaction, k.satisfaction_note, k.owner_id, k.department_id, k.created_by, k.version, k.created_at, k.updated_at,
	k.external_id`

const ticketFrom = " FROM tickets k LEFT JOIN customers c ON c.tenant_id = k.tenant_id AND c.id = k.customer_id"

func ticketDest(t *cohort.Ticket) []any {
	return []any{idScanner{&t.ID}, idScanner{&t.TenantID}, &t.Number, idScanner{&t.CustomerID}, &t.CustomerName, idScanner{&t.ContactID},
		idScanner{&t.DealID}, &t.Kind, &t.Priority, &t.Status, &t.Subject, &t.Description, msScanner{&t.OpenedAt}, nullMsScanner{&t.FirstResponseAt},
		idScanner{&t.FirstResponseBy}, nullMsScanner{&t.ResolvedAt}, idScanner{&t.ResolvedBy}, &t.Resolution, nullMsScanner{&t.ClosedAt},
		&t.Cost, &t.Currency, &t.Satisfaction, &t.SatisfactionNote, idScanner{&t.OwnerID}, idScanner{&t.DepartmentID}, idScanner{&t.CreatedBy},
		&t.Version, msScanner{&t.CreatedAt}, msScanner{&t.UpdatedAt}, &t.ExternalID}
}

// TicketList is the list spec of service tickets.
var TicketList = &ListSpec{
	IDColumn: "k.id",
	Fields: map[string]Field{
		"number":            {Column: "k.number", Sortable: true},
		"subject":           {Column: "k.subject"},
		"customer_id":       {Column: "k.customer_id", Type: TID},
		"deal_id":           {Column: "k.deal_id", Type: TID},
		"kind":              {Column: "k.kind"},
		"priority":          {Column: "k.priority", Sortable: true},
		"status":            {Column: "k.status", Sortable: true},
		"opened_at":         {Column: "k.opened_at", Type: TTime, Sortable: true},
		"first_response_at": {Column: "k.first_response_at", Type: TTime},
		"resolved_at":       {Column: "k.resolved_at", Type: TTime},
		"satisfaction":      {Column: "k.satisfaction", Type: TInt},
		"owner_id":          {Column: "k.owner_id", Type: TID},
		"department_id":     {Column: "k.department_id", Type: TID},
		"updated_at":        {Column: "k.updated_at", Type: TTime, Sortable: true},
	},
	QColumns:    []string{"k.number", "k.subject", "c.name"},
	DefaultSort: []cohort.SortKey{{Field: "opened_at", Desc: true}},
}

// InsertTicket inserts t.
func InsertTicket(ctx context.Context, tx *Tx, t *cohort.Ticket, now time.Time) error {
	t.ID, t.Version, t.CreatedAt, t.UpdatedAt = cohort.ID(tx.db.NewID()), 1, createdAt(t.CreatedAt, now), now
	_, err := tx.ExecContext(ctx, `INSERT INTO tickets (id, tenant_id, number, customer_id, contact_id, deal_id, kind, priority, status, subject,
		description, opened_at, first_response_at, first_response_by, resolved_at, resolved_by, resolution, closed_at, cost, currency, satisfaction,
		satisfaction_note, owner_id, department_id, created_by, version, created_at, updated_at, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		int64(t.ID), int64(t.TenantID), t.Number, int64(t.CustomerID), nullID(t.ContactID), nullID(t.DealID), t.Kind, t.Priority, t.Status,
		t.Subject, t.Description, ms(t.OpenedAt), nullMs(t.FirstResponseAt), nullID(t.FirstResponseBy), nullMs(t.ResolvedAt), nullID(t.ResolvedBy),
		t.Resolution, nullMs(t.ClosedAt), t.Cost, t.Currency, t.Satisfaction, t.SatisfactionNote, nullID(t.OwnerID), nullID(t.DepartmentID),
		nullID(t.CreatedBy), t.Version, ms(t.CreatedAt), ms(now), ms(now))
	if isUniqueViolation(err) {
		return &cohort.Error{Code: cohort.ECONFLICT, Message: fmt.Sprintf("a ticket numbered %q exists already", t.Number),
			Fields: []cohort.FieldError{{Field: "number", Message: "is taken"}}}
	}
	if err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	return SetExternalID(ctx, tx, "tickets", t.TenantID, t.ID, t.ExternalID)
}

// UpdateTicket writes t if its version is still prevVersion.
func UpdateTicket(ctx context.Context, tx *Tx, t *cohort.Ticket, prevVersion int, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE tickets SET contact_id = ?, kind = ?, priority = ?, status = ?, subject = ?, description = ?,
		first_response_at = ?, first_response_by = ?, resolved_at = ?, resolved_by = ?, resolution = ?, closed_at = ?, cost = ?, satisfaction = ?,
		satisfaction_note = ?, owner_id = ?, department_id = ?, version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
		nullID(t.ContactID), t.Kind, t.Priority, t.Status, t.Subject, t.Description, nullMs(t.FirstResponseAt), nullID(t.FirstResponseBy),
		nullMs(t.ResolvedAt), nullID(t.ResolvedBy), t.Resolution, nullMs(t.ClosedAt), t.Cost, t.Satisfaction, t.SatisfactionNote,
		nullID(t.OwnerID), nullID(t.DepartmentID), ms(now), int64(t.TenantID), int64(t.ID), prevVersion)
	if err := checkOne(res, err, "ticket"); err != nil {
		return err
	}
	t.Version, t.UpdatedAt = prevVersion+1, now
	return nil
}

// FindTicket returns a ticket inside scope.
func FindTicket(ctx context.Context, q Queryer, tenantID, id cohort.ID, scope Where) (*cohort.Ticket, error) {
	w := And(Where{"k.tenant_id = ? AND k.id = ?", []any{int64(tenantID), int64(id)}}, scope)
	t := &cohort.Ticket{}
	err := q.QueryRowContext(ctx, "SELECT "+ticketCols+ticketFrom+" WHERE "+w.SQL, w.Args...).Scan(ticketDest(t)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("ticket")
	}
	if err != nil {
		return nil, fmt.Errorf("find ticket: %w", err)
	}
	return t, nil
}

// ListTickets lists tickets inside scope; walk, when given, is the same scope
// written for walking the sort's index (RecordWalkScope).
func ListTickets(ctx context.Context, q Queryer, tenantID cohort.ID, scope Where, lq cohort.ListQuery, loc *time.Location, walk ...Where) ([]*cohort.Ticket, string, error) {
	tenant := Where{"k.tenant_id = ?", []any{int64(tenantID)}}
	return List(ctx, q, TicketList, lq, loc, "SELECT "+ticketCols+ticketFrom, And(tenant, scope), func() (*cohort.Ticket, []any) {
		t := &cohort.Ticket{}
		return t, ticketDest(t)
	}, walkBase(tenant, walk)...)
}
