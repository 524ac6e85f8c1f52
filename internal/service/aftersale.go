package service

import (
	"context"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Delivery projects and service tickets. Events kept for the metric engine:
// projects: created and each status change in record_events; each milestone
// done in project_milestones (done_at, done_by). Tickets: opened, responded
// (the first one sets first_response_at/by), resolved, closed, reopened,
// rated in record_events; the ticket row holds the current times. Credit goes
// to the record team at the event's recorded time.

// --- projects

// ListProjects lists the projects in the caller's scope.
func (s *Service) ListProjects(ctx context.Context, view string, q cohort.ListQuery) ([]*cohort.Project, string, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjProject, cohort.ActView, "j")
	if err != nil {
		return nil, "", err
	}
	if scope, err = viewScope(scope, p, cohort.ObjProject, "j", view); err != nil {
		return nil, "", err
	}
	walk, err := s.walkScope(ctx, cohort.ObjProject, "j", view, q)
	if err != nil {
		return nil, "", err
	}
	return store.ListProjects(ctx, s.db.Read(), p.Tenant.ID, scope, q, p.Tenant.Location(), walk)
}

// FindProject returns a project the caller may see, with its milestones.
func (s *Service) FindProject(ctx context.Context, id cohort.ID) (*cohort.Project, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjProject, cohort.ActView, "j")
	if err != nil {
		return nil, err
	}
	return store.FindProject(ctx, s.db.Read(), p.Tenant.ID, id, scope)
}

// CreateProject opens a delivery project for a signed contract or order the
// caller may see (its customer follows), or for a customer the caller may
// see. The caller owns it; team adds the project manager, implementers ...
func (s *Service) CreateProject(ctx context.Context, pj *cohort.Project, team []cohort.TeamInput) error {
	p, err := require(ctx, cohort.ObjProject, cohort.ActCreate)
	if err != nil {
		return err
	}
	if p.User == nil {
		return cohort.Errorf(cohort.EFORBIDDEN, "projects are opened by people")
	}
	custScope, _, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActView, "c")
	if err != nil {
		return err
	}
	var deal *cohort.Deal
	if pj.DealID != 0 {
		for _, kind := range []cohort.ObjectType{cohort.ObjContract, cohort.ObjOrder} {
			if d, err := s.FindDeal(ctx, kind, pj.DealID); err == nil {
				deal = d
			}
		}
		if deal == nil {
			return cohort.Errorf(cohort.EINVALID, "deal_id: no such contract or order")
		}
		if deal.Status == cohort.DealDraft || deal.Status == cohort.DealCancelled {
			return cohort.Errorf(cohort.EINVALID, "deal_id: the %s is %s; projects deliver signed ones", deal.Kind, deal.Status)
		}
		if pj.CustomerID != 0 && pj.CustomerID != deal.CustomerID {
			return cohort.Errorf(cohort.EINVALID, "customer_id: the %s is of another customer", deal.Kind)
		}
		pj.CustomerID = deal.CustomerID
	}
	pj.ID, pj.TenantID, pj.Status, pj.StartedAt, pj.CompletedAt = 0, p.Tenant.ID, cohort.ProjectPlanned, nil, nil
	pj.OwnerID, pj.DepartmentID, pj.CreatedBy = p.User.ID, p.User.DepartmentID, p.User.ID
	if err := pj.Validate(); err != nil {
		return err
	}
	now := s.now()
	created, err := creationTime(p, cohort.ObjProject, &pj.CreatedAt, now)
	if err != nil {
		return err
	}
	pj.CreatedAt = created.At
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		scope := custScope
		if deal != nil {
			scope = store.Where{} // seen through the contract or order
		}
		c, err := store.FindCustomer(ctx, tx, p.Tenant.ID, pj.CustomerID, scope)
		if err != nil {
			return err
		}
		if pj.Number == "" {
			if pj.Number, err = s.nextNumber(ctx, tx, "projects", "", "XM", now); err != nil {
				return err
			}
		}
		pj.CustomerName, pj.Milestones = c.Name, []cohort.ProjectMilestone{}
		if err := store.InsertProject(ctx, tx, pj, now); err != nil {
			return err
		}
		if team, err = withDefaultTeam(ctx, tx, pj.TenantID, pj.OwnerID, team); err != nil {
			return err
		}
		if err := s.replaceTeam(ctx, tx, cohort.ObjProject, pj.ID, withOwner(pj.OwnerID, team), pj.CreatedAt, now); err != nil {
			return err
		}
		if err := s.reindexProject(ctx, tx, pj); err != nil {
			return err
		}
		if err := s.auditTimes(ctx, tx, cohort.ObjProject, pj.ID, now, created); err != nil {
			return err
		}
		if err := s.event(ctx, tx, cohort.ObjProject, pj.ID, "created", "", pj.Status, pj.CreatedAt); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", cohort.ObjProject, pj.ID, diff(nil, pj))
	})
}

// editProject runs f on a project the caller may edit and saves it.
func (s *Service) editProject(ctx context.Context, id cohort.ID, ifVersion int, action string, f func(tx *store.Tx, pj *cohort.Project) error) (*cohort.Project, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjProject, cohort.ActEdit, "j")
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *cohort.Project
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "projects", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindProject(ctx, tx, p.Tenant.ID, id, scope)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "project"); err != nil {
			return err
		}
		pj := *prev
		if err := f(tx, &pj); err != nil {
			return err
		}
		if err := store.UpdateProject(ctx, tx, &pj, prev.Version, now); err != nil {
			return err
		}
		if err := s.reindexProject(ctx, tx, &pj); err != nil {
			return err
		}
		if pj.Milestones, err = store.Milestones(ctx, tx, p.Tenant.ID, id); err != nil {
			return err
		}
		out = &pj
		return s.audit(ctx, tx, action, cohort.ObjProject, id, diff(prev, pj))
	})
	return out, err
}

// UpdateProject changes a project's name, dates and note.
func (s *Service) UpdateProject(ctx context.Context, id cohort.ID, upd cohort.ProjectUpdate, ifVersion int) (*cohort.Project, error) {
	return s.editProject(ctx, id, ifVersion, "update", func(_ *store.Tx, pj *cohort.Project) error {
		for _, f := range []struct{ dst, src *string }{{&pj.Name, upd.Name}, {&pj.StartDate, upd.StartDate}, {&pj.DueDate, upd.DueDate}, {&pj.Note, upd.Note}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		return pj.Validate()
	})
}

// MoveProject moves a project to another status (422 naming the allowed
// ones otherwise) at business time at (nil: now); starting records
// started_at, completing completed_at.
func (s *Service) MoveProject(ctx context.Context, id cohort.ID, to string, at *time.Time, ifVersion int) (*cohort.Project, error) {
	return s.editProject(ctx, id, ifVersion, "status", func(tx *store.Tx, pj *cohort.Project) error {
		if err := cohort.CheckProjectTransition(pj.Status, to); err != nil {
			return err
		}
		p := cohort.PrincipalFrom(ctx)
		now := s.now()
		occurred, start, err := s.recordEventTime(ctx, tx, p, cohort.ObjProject, pj.ID, pj.CreatedAt, "occurred_at", at, now)
		if err != nil {
			return err
		}
		pj.CreatedAt = start
		from := pj.Status
		pj.Status = to
		switch to {
		case cohort.ProjectInProgress:
			if pj.StartedAt == nil {
				pj.StartedAt = &occurred.At
			}
		case cohort.ProjectCompleted:
			pj.CompletedAt = &occurred.At
		}
		if err := s.event(ctx, tx, cohort.ObjProject, pj.ID, to, from, to, occurred.At); err != nil {
			return err
		}
		return s.auditTimes(ctx, tx, cohort.ObjProject, pj.ID, now, occurred)
	})
}

// AddMilestone adds a milestone to a project the caller may edit.
func (s *Service) AddMilestone(ctx context.Context, projectID cohort.ID, m *cohort.ProjectMilestone) (*cohort.Project, error) {
	return s.editProject(ctx, projectID, 0, "add_milestone", func(tx *store.Tx, pj *cohort.Project) error {
		if err := m.Validate(); err != nil {
			return err
		}
		if pj.Status == cohort.ProjectCompleted || pj.Status == cohort.ProjectCancelled {
			return cohort.Errorf(cohort.ECONFLICT, "the project is %s", pj.Status)
		}
		m.ProjectID, m.DoneAt, m.DoneBy = pj.ID, nil, 0
		return store.InsertMilestone(ctx, tx, pj.TenantID, m, s.now())
	})
}

// MilestoneDone marks a milestone done by the caller at business time at
// (nil: now): an event the metric engine counts ("project milestone done"),
// so it is final.
func (s *Service) MilestoneDone(ctx context.Context, projectID, milestoneID cohort.ID, at *time.Time) (*cohort.Project, error) {
	return s.editProject(ctx, projectID, 0, "milestone_done", func(tx *store.Tx, pj *cohort.Project) error {
		m, err := store.FindMilestone(ctx, tx, pj.TenantID, pj.ID, milestoneID)
		if err != nil {
			return err
		}
		if m.DoneAt != nil {
			return cohort.Errorf(cohort.ECONFLICT, "the milestone %s was done already on %s", m.Name, m.DoneAt.Format(time.RFC3339))
		}
		p := cohort.PrincipalFrom(ctx)
		now := s.now()
		occurred, start, err := s.recordEventTime(ctx, tx, p, cohort.ObjProject, pj.ID, pj.CreatedAt, "done_at", at, now)
		if err != nil {
			return err
		}
		pj.CreatedAt = start
		m.DoneAt, m.DoneBy = &occurred.At, actorID(p)
		if err := store.UpdateMilestone(ctx, tx, pj.TenantID, m); err != nil {
			return err
		}
		if err := s.event(ctx, tx, cohort.ObjProject, pj.ID, "milestone_done", pj.Status, pj.Status, occurred.At); err != nil {
			return err
		}
		return s.auditTimes(ctx, tx, cohort.ObjProject, pj.ID, now, occurred)
	})
}

// --- tickets

// ListTickets lists the tickets in the caller's scope.
func (s *Service) ListTickets(ctx context.Context, view string, q cohort.ListQuery) ([]*cohort.Ticket, string, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjTicket, cohort.ActView, "k")
	if err != nil {
		return nil, "", err
	}
	if scope, err = viewScope(scope, p, cohort.ObjTicket, "k", view); err != nil {
		return nil, "", err
	}
	walk, err := s.walkScope(ctx, cohort.ObjTicket, "k", view, q)
	if err != nil {
		return nil, "", err
	}
	return store.ListTickets(ctx, s.db.Read(), p.Tenant.ID, scope, q, p.Tenant.Location(), walk)
}

// FindTicket returns a ticket the caller may see.
func (s *Service) FindTicket(ctx context.Context, id cohort.ID) (*cohort.Ticket, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjTicket, cohort.ActView, "k")
	if err != nil {
		return nil, err
	}
	return store.FindTicket(ctx, s.db.Read(), p.Tenant.ID, id, scope)
}

// CreateTicket opens a ticket on a customer the caller may see. The ticket
// is assigned to t.OwnerID (the caller when zero), who is told.
func (s *Service) CreateTicket(ctx context.Context, t *cohort.Ticket, team []cohort.TeamInput) error {
	p, err := require(ctx, cohort.ObjTicket, cohort.ActCreate)
	if err != nil {
		return err
	}
	if p.User == nil {
		return cohort.Errorf(cohort.EFORBIDDEN, "tickets are opened by people")
	}
	custScope, _, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActView, "c")
	if err != nil {
		return err
	}
	now := s.now()
	t.ID, t.TenantID, t.Status, t.CreatedBy = 0, p.Tenant.ID, cohort.TicketOpen, p.User.ID
	t.FirstResponseAt, t.FirstResponseBy, t.ResolvedAt, t.ResolvedBy, t.ClosedAt, t.Satisfaction = nil, 0, nil, 0, nil, 0
	opened, err := eventTime(p, cohort.ObjTicket, "opened_at", &t.OpenedAt, now, time.Time{})
	if err != nil {
		return err
	}
	// A ticket begins when it was opened: its team is in force from then.
	t.OpenedAt, t.CreatedAt = opened.At, opened.At
	if t.OwnerID == 0 {
		t.OwnerID = p.User.ID
	}
	t.Currency = p.Tenant.Currency
	if err := t.Validate(); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		c, err := store.FindCustomer(ctx, tx, p.Tenant.ID, t.CustomerID, custScope)
		if err != nil {
			return err
		}
		if t.ContactID != 0 {
			if k, err := store.FindContact(ctx, tx, p.Tenant.ID, t.ContactID); err != nil || k.CustomerID != c.ID {
				return cohort.Errorf(cohort.EINVALID, "contact_id: not a contact of this customer")
			}
		}
		if t.DealID != 0 {
			d1, err1 := store.FindDeal(ctx, tx, p.Tenant.ID, cohort.ObjContract, t.DealID, store.Where{})
			d2, err2 := store.FindDeal(ctx, tx, p.Tenant.ID, cohort.ObjOrder, t.DealID, store.Where{})
			if (err1 != nil || d1.CustomerID != c.ID) && (err2 != nil || d2.CustomerID != c.ID) {
				return cohort.Errorf(cohort.EINVALID, "deal_id: not a contract or order of this customer")
			}
		}
		owner, err := store.FindUserRow(ctx, tx, p.Tenant.ID, t.OwnerID)
		if err != nil || owner.Status != cohort.UserActive {
			return cohort.Errorf(cohort.EINVALID, "owner_id: no such active user")
		}
		if err := s.checkOwnerInScope(ctx, tx, cohort.ObjTicket, cohort.ActCreate, "owner_id", t.OwnerID); err != nil {
			return err
		}
		t.DepartmentID, t.CustomerName = owner.DepartmentID, c.Name
		if t.Number == "" {
			if t.Number, err = s.nextNumber(ctx, tx, "tickets", "", "GD", now); err != nil {
				return err
			}
		}
		if err := store.InsertTicket(ctx, tx, t, now); err != nil {
			return err
		}
		if team, err = withDefaultTeam(ctx, tx, t.TenantID, t.OwnerID, team); err != nil {
			return err
		}
		if err := s.replaceTeam(ctx, tx, cohort.ObjTicket, t.ID, withOwner(t.OwnerID, team), t.CreatedAt, now); err != nil {
			return err
		}
		if err := s.auditTimes(ctx, tx, cohort.ObjTicket, t.ID, now, opened); err != nil {
			return err
		}
		if err := s.reindexTicket(ctx, tx, t); err != nil {
			return err
		}
		if err := s.event(ctx, tx, cohort.ObjTicket, t.ID, "opened", "", t.Status, t.OpenedAt); err != nil {
			return err
		}
		if t.OwnerID != p.User.ID {
			if err := s.notifyTicketAssigned(ctx, tx, t.ID, t.OwnerID); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, "create", cohort.ObjTicket, t.ID, diff(nil, t))
	})
}

// notifyTicketAssigned tells userID that a ticket is now theirs.
func (s *Service) notifyTicketAssigned(ctx context.Context, tx *store.Tx, id, userID cohort.ID) error {
	p := cohort.PrincipalFrom(ctx)
	if userID == actorID(p) {
		return nil
	}
	t, err := store.FindTicket(ctx, tx, p.Tenant.ID, id, store.Where{})
	if err != nil {
		return err
	}
	return s.notify(ctx, tx, p.Tenant.ID, userID, "ticket_assigned", map[string]any{"number": t.Number, "subject": t.Subject,
		"customer": t.CustomerName, "priority": t.Priority}, "/tickets/"+t.ID.String())
}

// editTicket runs f on a ticket the caller may edit and saves it.
func (s *Service) editTicket(ctx context.Context, id cohort.ID, ifVersion int, action string, f func(tx *store.Tx, t *cohort.Ticket) error) (*cohort.Ticket, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjTicket, cohort.ActEdit, "k")
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *cohort.Ticket
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "tickets", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindTicket(ctx, tx, p.Tenant.ID, id, scope)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "ticket"); err != nil {
			return err
		}
		t := *prev
		if err := f(tx, &t); err != nil {
			return err
		}
		if err := t.Validate(); err != nil {
			return err
		}
		if err := store.UpdateTicket(ctx, tx, &t, prev.Version, now); err != nil {
			return err
		}
		if err := s.reindexTicket(ctx, tx, &t); err != nil {
			return err
		}
		out = &t
		return s.audit(ctx, tx, action, cohort.ObjTicket, id, diff(prev, t))
	})
	return out, err
}

// UpdateTicket changes a ticket's fields.
func (s *Service) UpdateTicket(ctx context.Context, id cohort.ID, upd cohort.TicketUpdate, ifVersion int) (*cohort.Ticket, error) {
	return s.editTicket(ctx, id, ifVersion, "update", func(tx *store.Tx, t *cohort.Ticket) error {
		for _, f := range []struct{ dst, src *string }{{&t.Subject, upd.Subject}, {&t.Description, upd.Description}, {&t.Kind, upd.Kind}, {&t.Priority, upd.Priority}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		if upd.Cost != nil {
			t.Cost = *upd.Cost
		}
		if upd.ContactID != nil {
			t.ContactID = *upd.ContactID
			if t.ContactID != 0 {
				if k, err := store.FindContact(ctx, tx, t.TenantID, t.ContactID); err != nil || k.CustomerID != t.CustomerID {
					return cohort.Errorf(cohort.EINVALID, "contact_id: not a contact of this customer")
				}
			}
		}
		return nil
	})
}

// TicketInput is what a ticket action may carry.
type TicketInput struct {
	// Note says what was done (respond, resolve, reopen); it goes into the
	// audit entry.
	Note string `json:"note"`
	// Resolution (resolve) says how the ticket was resolved.
	Resolution string `json:"resolution"`
	// Cost (resolve) books the service cost in minor units.
	Cost *int64 `json:"cost"`
	// Satisfaction (rate) is 1 to 5; SatisfactionNote the customer's words.
	Satisfaction     int    `json:"satisfaction"`
	SatisfactionNote string `json:"satisfaction_note"`
	// OccurredAt dates the action (the first response, the resolution, ...);
	// default now.
	OccurredAt *time.Time `json:"occurred_at,omitempty"`
}

// TicketAction applies one action to a ticket: respond (the first one sets
// first_response_at; an open ticket goes in progress), resolve (sets
// resolved_at, and first_response_at when there was none), close, reopen
// (clears resolution, closing and rating) or rate (1–5, once resolved). An
// action the status does not allow is a 422 naming the allowed ones.
func (s *Service) TicketAction(ctx context.Context, id cohort.ID, action string, in TicketInput, ifVersion int) (*cohort.Ticket, error) {
	if len([]rune(in.Note)) > 5000 {
		return nil, cohort.Errorf(cohort.EINVALID, "note: must be at most 5000 characters")
	}
	return s.editTicket(ctx, id, ifVersion, action, func(tx *store.Tx, t *cohort.Ticket) error {
		if err := cohort.CheckTicketAction(t.Status, action); err != nil {
			return err
		}
		p := cohort.PrincipalFrom(ctx)
		now := s.now()
		occurred, start, err := s.recordEventTime(ctx, tx, p, cohort.ObjTicket, t.ID, t.CreatedAt, "occurred_at", in.OccurredAt, now)
		if err != nil {
			return err
		}
		t.CreatedAt = start
		at := occurred.At
		from := t.Status
		switch action {
		case "respond":
			s.firstResponse(t, at, actorID(p))
		case "resolve":
			if strings.TrimSpace(in.Resolution) == "" {
				return cohort.Errorf(cohort.EINVALID, "resolution: say how it was resolved")
			}
			s.firstResponse(t, at, actorID(p))
			t.Status, t.ResolvedAt, t.ResolvedBy, t.Resolution = cohort.TicketResolved, &at, actorID(p), strings.TrimSpace(in.Resolution)
			if in.Cost != nil {
				t.Cost = *in.Cost
			}
		case "close":
			t.Status, t.ClosedAt = cohort.TicketClosed, &at
		case "reopen":
			t.Status, t.ResolvedAt, t.ResolvedBy, t.ClosedAt, t.Satisfaction, t.SatisfactionNote = cohort.TicketOpen, nil, 0, nil, 0, ""
			if t.FirstResponseAt != nil {
				t.Status = cohort.TicketInProgress
			}
		case "rate":
			if in.Satisfaction < 1 || in.Satisfaction > 5 {
				return cohort.Errorf(cohort.EINVALID, "satisfaction: must be 1 to 5")
			}
			if len([]rune(in.SatisfactionNote)) > 1000 {
				return cohort.Errorf(cohort.EINVALID, "satisfaction_note: must be at most 1000 characters")
			}
			t.Satisfaction, t.SatisfactionNote = in.Satisfaction, in.SatisfactionNote
		}
		event := map[string]string{"respond": "responded", "resolve": "resolved", "close": "closed", "reopen": "reopened", "rate": "rated"}[action]
		if err := s.event(ctx, tx, cohort.ObjTicket, t.ID, event, from, t.Status, at); err != nil {
			return err
		}
		return s.auditTimes(ctx, tx, cohort.ObjTicket, t.ID, now, occurred)
	})
}

// firstResponse records the first response to t at, by user, once; an open
// ticket goes in progress.
func (s *Service) firstResponse(t *cohort.Ticket, at time.Time, user cohort.ID) {
	if t.FirstResponseAt == nil {
		if at.Before(t.OpenedAt) {
			at = t.OpenedAt
		}
		t.FirstResponseAt, t.FirstResponseBy = &at, user
	}
	if t.Status == cohort.TicketOpen {
		t.Status = cohort.TicketInProgress
	}
}

// respondByFollowUp counts a follow-up logged on a ticket as a response: the
// first one sets first_response_at to when the follow-up happened.
func (s *Service) respondByFollowUp(ctx context.Context, tx *store.Tx, f *cohort.FollowUp) error {
	if err := store.LockRow(ctx, tx, "tickets", f.TenantID, f.RecordID); err != nil {
		return err
	}
	prev, err := store.FindTicket(ctx, tx, f.TenantID, f.RecordID, store.Where{})
	if err != nil {
		return err
	}
	if prev.FirstResponseAt != nil && prev.Status != cohort.TicketOpen {
		return nil
	}
	if prev.Status != cohort.TicketOpen && prev.Status != cohort.TicketInProgress {
		return nil
	}
	t := *prev
	s.firstResponse(&t, f.OccurredAt, f.AuthorID)
	if err := store.UpdateTicket(ctx, tx, &t, prev.Version, s.now()); err != nil {
		return err
	}
	if err := s.event(ctx, tx, cohort.ObjTicket, t.ID, "responded", prev.Status, t.Status, *t.FirstResponseAt); err != nil {
		return err
	}
	return s.audit(ctx, tx, "respond", cohort.ObjTicket, t.ID, diff(prev, t))
}
