package service

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
)

// --- contacts

// Contacts lists a visible customer's contacts.
func (s *Service) Contacts(ctx context.Context, customerID cohort.ID) ([]*cohort.Contact, error) {
	p, err := s.visibleRecord(ctx, cohort.ObjCustomer, customerID, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.ListContacts(ctx, s.db.Read(), p.Tenant.ID, customerID)
}

// CreateContact adds a contact to a customer the caller may edit.
func (s *Service) CreateContact(ctx context.Context, c *cohort.Contact) error {
	p, err := s.visibleRecord(ctx, cohort.ObjCustomer, c.CustomerID, cohort.ActEdit)
	if err != nil {
		return err
	}
	c.TenantID = p.Tenant.ID
	if err := c.Validate(); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		var err error
		if c.Custom, err = s.checkCustom(ctx, tx, cohort.ObjContact, nil, c.Custom); err != nil {
			return err
		}
		now := s.now()
		created, err := creationTime(p, cohort.ObjContact, &c.CreatedAt, now)
		if err != nil {
			return err
		}
		c.CreatedAt = created.At
		if err := store.InsertContact(ctx, tx, c, now); err != nil {
			return err
		}
		if err := s.auditTimes(ctx, tx, cohort.ObjContact, c.ID, now, created); err != nil {
			return err
		}
		if err := s.reindexCustomer(ctx, tx, c.TenantID, c.CustomerID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", cohort.ObjContact, c.ID, diff(nil, c))
	})
}

// contactOfEditableCustomer finds a contact whose customer the caller may edit.
func (s *Service) contactOfEditableCustomer(ctx context.Context, id cohort.ID) (*cohort.Principal, *cohort.Contact, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := store.FindContact(ctx, s.db.Read(), p.Tenant.ID, id)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.visibleRecord(ctx, cohort.ObjCustomer, c.CustomerID, cohort.ActEdit); err != nil {
		return nil, nil, cohort.Errorf(cohort.ENOTFOUND, "contact not found")
	}
	return p, c, nil
}

// UpdateContact changes a contact.
func (s *Service) UpdateContact(ctx context.Context, id cohort.ID, upd cohort.ContactUpdate, ifVersion int) (*cohort.Contact, error) {
	p, prev, err := s.contactOfEditableCustomer(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ifVersion, prev.Version, "contact"); err != nil {
		return nil, err
	}
	c := *prev
	for _, f := range []struct {
		dst *string
		src *string
	}{{&c.Name, upd.Name}, {&c.Title, upd.Title}, {&c.Phone, upd.Phone}, {&c.Email, upd.Email}, {&c.WeChat, upd.WeChat}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if upd.IsPrimary != nil {
		c.IsPrimary = *upd.IsPrimary
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if upd.Custom != nil {
			custom, err := s.checkCustom(ctx, tx, cohort.ObjContact, prev.Custom, *upd.Custom)
			if err != nil {
				return err
			}
			c.Custom = custom
		}
		if err := store.UpdateContact(ctx, tx, &c, prev.Version, s.now()); err != nil {
			return err
		}
		if err := s.reindexCustomer(ctx, tx, c.TenantID, c.CustomerID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "update", cohort.ObjContact, c.ID, diff(prev, c))
	})
	_ = p
	return &c, err
}

// DeleteContact deletes a contact no follow-up names.
func (s *Service) DeleteContact(ctx context.Context, id cohort.ID, ifVersion int) error {
	p, prev, err := s.contactOfEditableCustomer(ctx, id)
	if err != nil {
		return err
	}
	if err := checkVersion(ifVersion, prev.Version, "contact"); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.DeleteContact(ctx, tx, p.Tenant.ID, id, prev.Version); err != nil {
			return err
		}
		if err := search.Delete(ctx, tx, p.Tenant.ID, string(cohort.ObjContact), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", cohort.ObjContact, id, diff(prev, nil))
	})
}

// --- follow-ups

// LogFollowUp records a touch with a customer the caller may see, closes the
// caller's open next actions on that customer and sets the next one: the
// chain of follow-ups. A next action is required while the customer is
// active.
func (s *Service) LogFollowUp(ctx context.Context, f *cohort.FollowUp, next *cohort.NextActionInput) (*cohort.NextAction, error) {
	p, err := require(ctx, cohort.ObjFollowUp, cohort.ActCreate)
	if err != nil {
		return nil, err
	}
	if p.User == nil {
		return nil, cohort.Errorf(cohort.EFORBIDDEN, "follow-ups are logged by people")
	}
	now := s.now()
	f.ID, f.TenantID, f.AuthorID, f.DepartmentID = 0, p.Tenant.ID, p.User.ID, p.User.DepartmentID
	extra, err := followUpTypeKeys(ctx, s.db.Read(), p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	if err := f.Validate(now, extra...); err != nil {
		return nil, err
	}
	occurred, err := eventTime(p, cohort.ObjFollowUp, "occurred_at", &f.OccurredAt, now, time.Time{})
	if err != nil {
		return nil, err
	}
	f.OccurredAt = occurred.At
	if next != nil {
		if err := next.Validate(); err != nil {
			return nil, err
		}
	}
	a, err := s.Access(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	scope := store.RecordAccessOne(a, cohort.ObjCustomer, "c", now)
	var action *cohort.NextAction
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		c, err := store.FindCustomer(ctx, tx, p.Tenant.ID, f.CustomerID, scope)
		if err != nil {
			return err
		}
		if now.Sub(f.OccurredAt) > 24*time.Hour {
			// Entered after the fact: the author's department of that day.
			if dep, _, err := store.DepartmentAt(ctx, tx, p.Tenant.ID, p.User.ID, f.OccurredAt); err != nil {
				return err
			} else if dep != 0 {
				f.DepartmentID = dep
			}
		}
		if next == nil && c.Status == cohort.CustomerActive {
			return &cohort.Error{Code: cohort.EINVALID, Message: "next_action: is required: say what you will do next and roughly when",
				Fields: []cohort.FieldError{{Field: "next_action", Message: "is required"}}}
		}
		if f.ContactID != 0 {
			k, err := store.FindContact(ctx, tx, p.Tenant.ID, f.ContactID)
			if err != nil || k.CustomerID != c.ID {
				return cohort.Errorf(cohort.EINVALID, "contact_id: not a contact of this customer")
			}
		}
		switch f.RecordType {
		case "":
			f.RecordID = 0
		case cohort.ObjOpportunity:
			o, err := store.FindOpportunity(ctx, tx, p.Tenant.ID, f.RecordID, store.Where{})
			if err != nil || o.CustomerID != c.ID {
				return cohort.Errorf(cohort.EINVALID, "record_id: not an opportunity of this customer")
			}
		case cohort.ObjTicket:
			t, err := store.FindTicket(ctx, tx, p.Tenant.ID, f.RecordID, store.Where{})
			if err != nil || t.CustomerID != c.ID {
				return cohort.Errorf(cohort.EINVALID, "record_id: not a ticket of this customer")
			}
		default:
			return cohort.Errorf(cohort.EINVALID, "record_type: follow-ups link to opportunities and tickets only")
		}
		if err := store.InsertFollowUp(ctx, tx, f, now); err != nil {
			return err
		}
		s.projectNew(ctx, tx, cohort.ObjFollowUp, f.ID)
		if err := s.auditTimes(ctx, tx, cohort.ObjFollowUp, f.ID, now, occurred); err != nil {
			return err
		}
		if f.RecordType == cohort.ObjTicket {
			if err := s.respondByFollowUp(ctx, tx, f); err != nil {
				return err
			}
		}
		if err := s.projectOpenActions(ctx, tx, c.ID); err != nil {
			return err
		}
		closed, err := store.CloseNextActions(ctx, tx, p.Tenant.ID, c.ID, p.User.ID, f.ID, now)
		if err != nil {
			return err
		}
		for _, a := range closed {
			// Projected as written (nothing later in tx changes it), its
			// stored facts read to compare.
			s.projectHeld(ctx, tx, facts.SourceNextAction, a.ID, facts.MadeNextAction(a))
		}
		if next != nil {
			from, to, err := cohort.ResolveFuzzy(next.Fuzzy, now, p.Tenant.Location())
			if err != nil {
				return err
			}
			action = &cohort.NextAction{TenantID: p.Tenant.ID, CustomerID: c.ID, CustomerName: c.Name, OwnerID: p.User.ID,
				PlanType: next.PlanType, Fuzzy: next.Fuzzy, Note: next.Note, DueFrom: from, DueTo: to, FromFollowUp: f.ID}
			if err := store.InsertNextAction(ctx, tx, action, now); err != nil {
				return err
			}
			s.projectNew(ctx, tx, facts.SourceNextAction, action.ID)
			if s.reminders != nil {
				if err := s.reminders.Schedule(ctx, tx, action); err != nil {
					return err
				}
			}
		}
		f.AuthorName = p.User.Name
		s.projectSigningFollowUp(ctx, tx, c, f)
		if err := s.audit(ctx, tx, "create", cohort.ObjFollowUp, f.ID, nil); err != nil {
			return err
		}
		s.projectMade(ctx, tx, cohort.ObjFollowUp, f.ID, facts.MadeFollowUp(f))
		if action != nil {
			s.projectMade(ctx, tx, facts.SourceNextAction, action.ID, facts.MadeNextAction(action))
		}
		return nil
	})
	return action, err
}

// ListFollowUps lists follow-ups on the customers the caller may see.
func (s *Service) ListFollowUps(ctx context.Context, q cohort.ListQuery) ([]*cohort.FollowUp, string, error) {
	a, err := s.Access(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, "", err
	}
	p := cohort.PrincipalFrom(ctx)
	col := "f.customer_id"
	if s.db.Engine == store.SQLite && len(q.Filters) == 0 && strings.TrimSpace(q.Q) == "" {
		// SQLite reads a scope's follow-ups through each customer's index
		// and sorts them all, which is right for a few customers and slow
		// for a department's thousands (201 ms a page at scale M). From
		// wideScope customers on, walk the list's time index instead and
		// keep the follow-ups of customers in scope ("+" keeps SQLite from
		// driving the plan by the customer ids).
		n, err := store.CountInScope(ctx, s.db.Read(), a, cohort.ObjCustomer, s.now(), wideScope)
		if err != nil {
			return nil, "", err
		}
		if n >= wideScope {
			col = "+" + col
		}
	}
	scope := store.RecordIDIn(a, cohort.ObjCustomer, col, s.now())
	return store.ListFollowUps(ctx, s.db.Read(), p.Tenant.ID, scope, q, p.Tenant.Location())
}

// wideScope is the number of customers in scope (team rows included, so an
// owner's customer may count twice) from which a list of their follow-ups
// walks its time index rather than sorting theirs. At scale M a sales
// manager's department (3,653 customers, 73,510 follow-ups) took 201 ms a
// page by sorting and 3.1 ms by the walk; a salesperson's 158 customers
// (3,129 follow-ups) 5.4 ms by sorting and 31 ms by the walk.
const wideScope = 1000

// TimelineItem is one line of a record's timeline: a follow-up or a change.
type TimelineItem struct {
	At       time.Time          `json:"at"`
	Kind     string             `json:"kind"`
	FollowUp *cohort.FollowUp   `json:"followup,omitempty"`
	Change   *cohort.AuditEntry `json:"change,omitempty"`
}

// Timeline returns a record's follow-ups and changes, newest first: a
// customer's every follow-up, an opportunity's or ticket's the follow-ups
// linked to it, and the audited changes of any record the caller may see.
func (s *Service) Timeline(ctx context.Context, obj cohort.ObjectType, id cohort.ID, limit int) ([]TimelineItem, error) {
	ids := []string{id.String()}
	var linked []cohort.Filter
	var err error
	switch obj {
	case cohort.ObjCustomer:
		_, err = s.visibleRecord(ctx, obj, id, cohort.ActView)
		linked = []cohort.Filter{{Field: "customer_id", Op: "eq", Values: ids}}
	case cohort.ObjOpportunity, cohort.ObjTicket:
		_, err = s.visibleRecord(ctx, obj, id, cohort.ActView)
		linked = []cohort.Filter{{Field: "record_type", Op: "eq", Values: []string{string(obj)}}, {Field: "record_id", Op: "eq", Values: ids}}
	case cohort.ObjContract, cohort.ObjOrder, cohort.ObjProject:
		_, err = s.visibleRecord(ctx, obj, id, cohort.ActView)
	case cohort.ObjQuote:
		_, err = s.FindDeal(ctx, obj, id)
	case cohort.ObjLead:
		_, err = s.FindLead(ctx, id)
	default:
		err = cohort.Errorf(cohort.ENOTFOUND, "%s has no timeline", obj)
	}
	if err != nil {
		return nil, err
	}
	p := cohort.PrincipalFrom(ctx)
	if limit <= 0 || limit > cohort.MaxLimit {
		limit = cohort.DefaultLimit
	}
	loc := p.Tenant.Location()
	var fs []*cohort.FollowUp
	if linked != nil {
		if fs, _, err = store.ListFollowUps(ctx, s.db.Read(), p.Tenant.ID, store.Where{}, cohort.ListQuery{Limit: limit, Filters: linked}, loc); err != nil {
			return nil, err
		}
	}
	changes, _, err := store.ListAudit(ctx, s.db.Read(), p.Tenant.ID, cohort.ListQuery{Limit: limit,
		Filters: []cohort.Filter{{Field: "object_id", Op: "eq", Values: ids}}}, loc)
	if err != nil {
		return nil, err
	}
	items := make([]TimelineItem, 0, len(fs)+len(changes))
	for _, f := range fs {
		items = append(items, TimelineItem{At: f.OccurredAt, Kind: "followup", FollowUp: f})
	}
	for _, c := range changes {
		items = append(items, TimelineItem{At: c.At, Kind: "change", Change: c})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].At.After(items[j].At) })
	if len(items) > limit {
		items = items[:limit]
	}
	return items, nil
}

// CustomerNextActions returns the open next actions on a customer the caller
// may see, whoever owns them, soonest due first (the record page's banner).
func (s *Service) CustomerNextActions(ctx context.Context, customerID cohort.ID) ([]*cohort.NextAction, error) {
	p, err := s.visibleRecord(ctx, cohort.ObjCustomer, customerID, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.NextActions(ctx, s.db.Read(), p.Tenant.ID, 0, customerID, time.Time{}, 50)
}

// Workbench is a salesperson's home page: what to do now.
type Workbench struct {
	Today     []*cohort.NextAction `json:"today"`
	Overdue   []*cohort.NextAction `json:"overdue"`
	Forgotten map[string]int       `json:"forgotten"`
	// Longest forgotten customers, at most 20.
	ForgottenCustomers []*cohort.Customer `json:"forgotten_customers"`
	// PaymentsDue are my signed contracts and orders with money due within a
	// week or overdue, with their balance.
	PaymentsDue []PaymentDue `json:"payments_due"`
	// Tickets are the open service tickets I own.
	Tickets []*cohort.Ticket `json:"tickets"`
	// Inbox counts captured calls, SMS and emails waiting for me to link.
	Inbox int `json:"inbox"`
}

// PaymentDue is a contract or order with money due.
type PaymentDue struct {
	Deal    *cohort.Deal   `json:"deal"`
	Balance cohort.Balance `json:"balance"`
}

// Workbench gathers the caller's next actions due today, the overdue ones,
// and how many of their customers have gone 7, 15, 30 and 90 days without a
// follow-up.
func (s *Service) Workbench(ctx context.Context) (*Workbench, error) {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	now := s.now()
	loc := p.Tenant.Location()
	t := now.In(loc)
	endOfToday := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1)
	q := s.db.Read()
	open, err := store.NextActions(ctx, q, p.Tenant.ID, p.User.ID, 0, endOfToday, 200)
	if err != nil {
		return nil, err
	}
	w := &Workbench{Today: []*cohort.NextAction{}, Overdue: []*cohort.NextAction{}, Forgotten: map[string]int{}}
	for _, n := range open {
		if n.DueTo.Before(now) {
			w.Overdue = append(w.Overdue, n)
		} else {
			w.Today = append(w.Today, n)
		}
	}
	for _, days := range []int{7, 15, 30, 90} {
		n, err := store.CountForgotten(ctx, q, p.Tenant.ID, p.User.ID, now.AddDate(0, 0, -days))
		if err != nil {
			return nil, err
		}
		w.Forgotten[itoa(days)] = n
	}
	w.ForgottenCustomers, err = store.ForgottenCustomers(ctx, q, p.Tenant.ID, p.User.ID, now.AddDate(0, 0, -7), 20)
	if err != nil {
		return nil, err
	}
	today := t.Format(time.DateOnly)
	deals, err := store.DealsWithPlansDue(ctx, q, p.Tenant.ID, p.User.ID, t.AddDate(0, 0, 7).Format(time.DateOnly), 50)
	if err != nil {
		return nil, err
	}
	w.PaymentsDue = []PaymentDue{}
	for _, d := range deals {
		plans, err := store.PaymentPlans(ctx, q, p.Tenant.ID, d.ID)
		if err != nil {
			return nil, err
		}
		pays, err := store.Payments(ctx, q, p.Tenant.ID, d.ID)
		if err != nil {
			return nil, err
		}
		b := cohort.Balances(d.Total, 0, plans, pays, today)
		if b.Overdue > 0 || (b.NextDue != nil && b.NextDue.DueDate <= t.AddDate(0, 0, 7).Format(time.DateOnly)) {
			w.PaymentsDue = append(w.PaymentsDue, PaymentDue{Deal: d, Balance: b})
		}
	}
	if w.Tickets, err = store.OpenTicketsOf(ctx, q, p.Tenant.ID, p.User.ID, 50); err != nil {
		return nil, err
	}
	if w.Tickets == nil {
		w.Tickets = []*cohort.Ticket{}
	}
	inbox, err := store.CommInbox(ctx, q, p.Tenant.ID, p.User.ID, cohort.MaxLimit)
	w.Inbox = len(inbox)
	return w, err
}
