package facts

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Projector turns records into facts. It caches people's organisation
// histories, so one projector serves a whole rebuild.
type Projector struct {
	ctx  context.Context
	q    store.Queryer
	t    *cohort.Tenant
	loc  *time.Location
	orgs map[cohort.ID][]cohort.OrgAssignment
	// procs caches sales processes (stage probabilities) by id.
	procs map[cohort.ID]*cohort.SalesProcess
	// shared, when set, keeps organisation histories across projectors
	// (the server's writes); it is cleared whenever a user changes.
	shared *OrgCache
}

// OrgCache keeps people's organisation histories for the projections of
// many transactions. Clear it after any change of a user's organisation.
type OrgCache struct {
	mu  sync.Mutex
	m   map[[2]cohort.ID][]cohort.OrgAssignment
	gen uint64 // moves on with every Clear: a history read before it is not kept
}

// NewOrgCache returns an empty cache.
func NewOrgCache() *OrgCache { return &OrgCache{m: map[[2]cohort.ID][]cohort.OrgAssignment{}} }

// Clear forgets everything.
func (c *OrgCache) Clear() {
	c.mu.Lock()
	c.m = map[[2]cohort.ID][]cohort.OrgAssignment{}
	c.gen++
	c.mu.Unlock()
}

// WithOrgCache has p read organisation histories through c.
func (p *Projector) WithOrgCache(c *OrgCache) *Projector {
	p.shared = c
	return p
}

// NewProjector returns a projector reading through q.
func NewProjector(ctx context.Context, q store.Queryer, t *cohort.Tenant) *Projector {
	return &Projector{ctx: ctx, q: q, t: t, loc: t.Location(), orgs: map[cohort.ID][]cohort.OrgAssignment{}}
}

// teamed projects records of one type whose facts need only the record and
// its team history: load reads the records, project makes one's facts.
func teamed[R any](p *Projector, source cohort.ObjectType, ids []cohort.ID,
	load func(context.Context, store.Queryer, cohort.ID, []cohort.ID) (map[cohort.ID]*R, error), project func(*R, team) ([]Fact, error)) ([]Fact, error) {
	rs, err := load(p.ctx, p.q, p.t.ID, ids)
	if err != nil {
		return nil, err
	}
	teams, err := store.TeamHistories(p.ctx, p.q, p.t.ID, source, ids)
	if err != nil {
		return nil, err
	}
	var out []Fact
	for _, id := range ids {
		if r := rs[id]; r != nil {
			fs, err := project(r, teams[id])
			if err != nil {
				return nil, err
			}
			out = append(out, p.sourced(fs, source, id)...)
		}
	}
	return out, nil
}

// Use has the projector read through q (the next batch's transaction),
// keeping what it cached.
func (p *Projector) Use(q store.Queryer) { p.q = q }

// Project returns the facts of one source record (none when it does not
// exist).
func (p *Projector) Project(source cohort.ObjectType, id cohort.ID) ([]Fact, error) {
	return p.ProjectBatch(source, []cohort.ID{id})
}

// ProjectBatch returns the facts of many source records of one type (a
// rebuild's batch of 500, a write's few): every part of them is read with
// one query per part for the whole batch. Records that do not exist make
// no facts.
func (p *Projector) ProjectBatch(source cohort.ObjectType, ids []cohort.ID) ([]Fact, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []Fact
	add := func(id cohort.ID, fs []Fact, err error) error {
		out = append(out, p.sourced(fs, source, id)...)
		return err
	}
	ctx, q, tid := p.ctx, p.q, p.t.ID
	switch source {
	case cohort.ObjLead:
		ls, err := store.LeadsByID(ctx, q, tid, ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if l := ls[id]; l != nil {
				fs, err := p.leadFacts(l)
				if err := add(id, fs, err); err != nil {
					return nil, err
				}
			}
		}
	case cohort.ObjCustomer:
		cs, err := store.CustomersByID(ctx, q, tid, ids)
		if err != nil {
			return nil, err
		}
		teams, err := store.TeamHistories(ctx, q, tid, source, ids)
		if err != nil {
			return nil, err
		}
		firsts, err := p.firstSignings(cs)
		if err != nil {
			return nil, err
		}
		events, err := store.PoolEventsOf(ctx, q, tid, ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if c := cs[id]; c != nil {
				fs, err := p.customerFacts(c, teams[id], firsts[id], events[id])
				if err := add(id, fs, err); err != nil {
					return nil, err
				}
			}
		}
	case cohort.ObjOpportunity:
		os, err := store.OpportunitiesByID(ctx, q, tid, ids)
		if err != nil {
			return nil, err
		}
		teams, err := store.TeamHistories(ctx, q, tid, source, ids)
		if err != nil {
			return nil, err
		}
		stages, err := store.StageHistories(ctx, q, tid, ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if o := os[id]; o != nil {
				fs, err := p.opportunityFacts(o, teams[id], stages[id])
				if err := add(id, fs, err); err != nil {
					return nil, err
				}
			}
		}
	case cohort.ObjQuote, cohort.ObjContract, cohort.ObjOrder:
		ds, err := store.DealsByID(ctx, q, tid, source, ids)
		if err != nil {
			return nil, err
		}
		var teams map[cohort.ID][]cohort.TeamMember
		money := &store.Money{}
		processes := map[cohort.ID]cohort.ID{}
		if source != cohort.ObjQuote {
			if teams, err = store.TeamHistories(ctx, q, tid, source, ids); err != nil {
				return nil, err
			}
			if money, err = store.MoneyOf(ctx, q, tid, ids); err != nil {
				return nil, err
			}
			if processes, err = p.processesOf(ds); err != nil {
				return nil, err
			}
		}
		for _, id := range ids {
			if d := ds[id]; d != nil {
				fs, err := p.dealFacts(source, d, teams[id], processes[d.OpportunityID], money.Invoices[id], money.Plans[id], money.Payments[id])
				if err := add(id, fs, err); err != nil {
					return nil, err
				}
			}
		}
	case cohort.ObjFollowUp:
		fs, err := store.FollowUpsByID(ctx, q, tid, ids)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			fs, err := p.followUpFacts(f)
			if err := add(f.ID, fs, err); err != nil {
				return nil, err
			}
		}
	case cohort.ObjTicket:
		return teamed(p, source, ids, store.TicketsByID, p.ticketFacts)
	case cohort.ObjProject:
		return teamed(p, source, ids, store.ProjectsByID, p.projectFacts)
	case SourceNextAction:
		as, err := p.nextActions(ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if a, ok := as[id]; ok {
				fs, err := p.nextActionFacts(a)
				if err := add(id, fs, err); err != nil {
					return nil, err
				}
			}
		}
	case cohort.ObjExpense:
		for _, id := range ids {
			fs, err := p.expense(id)
			if err := add(id, fs, err); err != nil {
				return nil, err
			}
		}
	case cohort.ObjUser:
		for _, id := range ids {
			fs, err := p.member(id)
			if err := add(id, fs, err); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("facts: %s makes no facts", source)
	}
	return out, nil
}

// sourced names the source of facts, and the record of those that name none.
func (p *Projector) sourced(fs []Fact, source cohort.ObjectType, id cohort.ID) []Fact {
	for i := range fs {
		fs[i].SourceType, fs[i].SourceID = string(source), id
		if fs[i].RecordType == "" {
			fs[i].RecordType, fs[i].RecordID = string(source), id
		}
	}
	markRecords(fs)
	return fs
}

// day is t's local date in the tenant's zone, as days since 1970-01-01.
func (p *Projector) day(t time.Time) int {
	y, m, d := t.In(p.loc).Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// dateSpan is the start and the last instant of a local date YYYY-MM-DD.
func (p *Projector) dateSpan(date string) (time.Time, time.Time, bool) {
	d, err := time.ParseInLocation(time.DateOnly, date, p.loc)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	return d.UTC(), d.AddDate(0, 0, 1).Add(-time.Millisecond).UTC(), true
}

// departmentAt is the department user belonged to at at (the first span's
// before it began).
func (p *Projector) departmentAt(user cohort.ID, at time.Time) (cohort.ID, error) {
	if user == 0 {
		return 0, nil
	}
	spans, ok := p.orgs[user]
	var gen uint64
	if !ok && p.shared != nil {
		p.shared.mu.Lock()
		spans, ok = p.shared.m[[2]cohort.ID{p.t.ID, user}]
		gen = p.shared.gen
		p.shared.mu.Unlock()
	}
	if !ok {
		var err error
		if spans, err = store.UserOrgHistory(p.ctx, p.q, p.t.ID, user); err != nil {
			return 0, err
		}
		if p.shared != nil {
			p.shared.mu.Lock()
			if p.shared.gen == gen {
				p.shared.m[[2]cohort.ID{p.t.ID, user}] = spans
			}
			p.shared.mu.Unlock()
		}
	}
	p.orgs[user] = spans
	if len(spans) == 0 {
		return 0, nil
	}
	for _, s := range spans {
		if !s.ValidFrom.After(at) && (s.ValidTo == nil || s.ValidTo.After(at)) {
			return s.DepartmentID, nil
		}
	}
	if at.Before(spans[0].ValidFrom) {
		return spans[0].DepartmentID, nil
	}
	return spans[len(spans)-1].DepartmentID, nil
}

// base is a fact of kind at at, before credit.
func (p *Projector) base(kind string, at time.Time) Fact {
	return Fact{Kind: kind, OccurredAt: at.UTC(), Day: p.day(at), ShareBP: cohort.FullShare, N: 1}
}

// personal credits f to one person in role.
func (p *Projector) personal(f Fact, user cohort.ID, role string) (Fact, error) {
	dept, err := p.departmentAt(user, f.OccurredAt)
	f.UserID, f.Role, f.DepartmentID = user, role, dept
	return f, err
}

// team holds a record's memberships over time.
type team []cohort.TeamMember

func (p *Projector) teamOf(obj cohort.ObjectType, id cohort.ID) (team, error) {
	return store.TeamHistory(p.ctx, p.q, p.t.ID, obj, id)
}

// credit returns f once per member of tm in force at creditAt (one
// uncredited fact when nobody is).
func (p *Projector) credit(f Fact, tm team, creditAt time.Time) ([]Fact, error) {
	var out []Fact
	for _, m := range tm {
		if m.ValidFrom.After(creditAt) || (m.ValidTo != nil && !m.ValidTo.After(creditAt)) ||
			(m.ExpiresAt != nil && !m.ExpiresAt.After(creditAt)) {
			continue
		}
		g, err := p.personal(f, m.UserID, m.Role)
		if err != nil {
			return nil, err
		}
		g.ShareBP = m.ShareBP
		out = append(out, g)
	}
	if len(out) == 0 {
		f.Role = ""
		out = append(out, f)
	}
	return out, nil
}

// Lead returns the facts of a lead (an import's, with no reads).
func (p *Projector) Lead(l *cohort.Lead) ([]Fact, error) {
	fs, err := p.leadFacts(l)
	return p.sourced(fs, cohort.ObjLead, l.ID), err
}

func (p *Projector) leadFacts(l *cohort.Lead) ([]Fact, error) {
	var out []Fact
	add := func(kind string, at time.Time) error {
		f := p.base(kind, at)
		f.CustomerID, f.Attr = l.CustomerID, l.Source
		g, err := p.personal(f, l.OwnerID, cohort.RoleOwner)
		out = append(out, g)
		return err
	}
	if err := add("lead.created", l.CreatedAt); err != nil {
		return nil, err
	}
	if l.ConvertedAt != nil {
		if err := add("lead.converted", *l.ConvertedAt); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// signing is a customer's first signing: when, and the document's total.
type signing struct {
	at           time.Time
	total        int64
	currency     string
	before       int       // follow-ups before it
	firstContact time.Time // the earlier of creation and the first follow-up
}

// SourceNextAction is the source type of next actions (下步事务), which have
// no permission object of their own.
const SourceNextAction cohort.ObjectType = "next_action"

// nextAction is what a next action's facts are made of.
type nextAction struct {
	customer, owner cohort.ID
	plan, status    string
	due             int64
	done            *int64
}

// nextActions reads next actions by id.
func (p *Projector) nextActions(ids []cohort.ID) (map[cohort.ID]nextAction, error) {
	out := make(map[cohort.ID]nextAction, len(ids))
	list, args := in(ids)
	rows, err := p.q.QueryContext(p.ctx, `SELECT id, customer_id, owner_id, plan_type, due_to, status, done_at FROM next_actions
		WHERE tenant_id = ? AND id IN `+list, append([]any{int64(p.t.ID)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("facts: next actions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, customer, owner int64
		var a nextAction
		if err := rows.Scan(&id, &customer, &owner, &a.plan, &a.due, &a.status, &a.done); err != nil {
			return nil, fmt.Errorf("facts: next actions: %w", err)
		}
		a.customer, a.owner = cohort.ID(customer), cohort.ID(owner)
		out[cohort.ID(id)] = a
	}
	return out, rows.Err()
}

// nextActionFacts makes a next action's facts: due at the end of its window
// (n = 1 when it was done by then), and done when it was. A cancelled one
// has none.
func (p *Projector) nextActionFacts(a nextAction) ([]Fact, error) {
	if a.status == cohort.ActionCancelled {
		return nil, nil
	}
	f := p.base("next_action.due", time.UnixMilli(a.due).UTC())
	f.CustomerID, f.Attr, f.N = a.customer, a.plan, 0
	if a.done != nil && *a.done <= a.due {
		f.N = 1
	}
	g, err := p.personal(f, a.owner, "author")
	if err != nil {
		return nil, err
	}
	out := []Fact{g}
	if a.status == cohort.ActionDone && a.done != nil {
		d := p.base("next_action.done", time.UnixMilli(*a.done).UTC())
		d.CustomerID, d.Attr = a.customer, a.plan
		g, err := p.personal(d, a.owner, "author")
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// firstSignings returns customers' first signings, from their documents
// that are not void, with the follow-ups before each.
func (p *Projector) firstSignings(cs map[cohort.ID]*cohort.Customer) (map[cohort.ID]*signing, error) {
	out := map[cohort.ID]*signing{}
	if len(cs) == 0 {
		return out, nil
	}
	ids := make([]cohort.ID, 0, len(cs))
	for id := range cs {
		ids = append(ids, id)
	}
	list, args := in(ids)
	rows, err := p.q.QueryContext(p.ctx, `SELECT customer_id, signed_at, total, currency FROM deals WHERE tenant_id = ? AND customer_id IN `+list+`
		AND kind IN ('contract', 'order') AND signed_at IS NOT NULL AND status <> 'voided' ORDER BY customer_id, signed_at, id`,
		append([]any{int64(p.t.ID)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("facts: first signing: %w", err)
	}
	defer rows.Close()
	var signed []cohort.ID
	for rows.Next() {
		var customer, signedAt, total int64
		var currency string
		if err := rows.Scan(&customer, &signedAt, &total, &currency); err != nil {
			return nil, fmt.Errorf("facts: first signing: %w", err)
		}
		id := cohort.ID(customer)
		if out[id] == nil {
			out[id] = &signing{at: time.UnixMilli(signedAt).UTC(), total: total, currency: currency, firstContact: cs[id].CreatedAt}
			signed = append(signed, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(signed) == 0 {
		return out, nil
	}
	// The follow-ups of the signed customers: those before the signing
	// count, and the earliest may be the first contact.
	list, args = in(signed)
	frows, err := p.q.QueryContext(p.ctx, `SELECT customer_id, occurred_at FROM followups WHERE tenant_id = ? AND customer_id IN `+list,
		append([]any{int64(p.t.ID)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("facts: follow-ups before signing: %w", err)
	}
	defer frows.Close()
	for frows.Next() {
		var customer, at int64
		if err := frows.Scan(&customer, &at); err != nil {
			return nil, fmt.Errorf("facts: follow-ups before signing: %w", err)
		}
		s := out[cohort.ID(customer)]
		if s == nil || at >= s.at.UnixMilli() {
			continue
		}
		s.before++
		if at < s.firstContact.UnixMilli() {
			s.firstContact = time.UnixMilli(at).UTC()
		}
	}
	return out, frows.Err()
}

// NewCustomer returns the facts of a customer just created with its first
// team (an import): what Project makes of a customer with no signing or pool
// event yet.
func (p *Projector) NewCustomer(c *cohort.Customer, tm []cohort.TeamMember) ([]Fact, error) {
	fs, err := p.customerFacts(c, tm, nil, nil)
	return p.sourced(fs, cohort.ObjCustomer, c.ID), err
}

func (p *Projector) customerFacts(c *cohort.Customer, tm team, first *signing, events []cohort.PoolEvent) ([]Fact, error) {
	var out []Fact
	emit := func(f Fact, at time.Time) error {
		f.CustomerID = c.ID
		fs, err := p.credit(f, tm, at)
		out = append(out, fs...)
		return err
	}
	if err := emit(p.base("customer.created", c.CreatedAt), c.CreatedAt); err != nil {
		return nil, err
	}
	if first != nil {
		f := p.base("customer.first_signed", first.at)
		contact := first.firstContact
		f.Amount, f.Currency, f.N, f.RefAt = first.total, first.currency, first.before, &contact
		if err := emit(f, first.at); err != nil {
			return nil, err
		}
	}
	if c.Status == cohort.CustomerLost && c.LostAt != nil {
		f := p.base("customer.lost", *c.LostAt)
		f.Attr = c.LostReason
		if err := emit(f, *c.LostAt); err != nil {
			return nil, err
		}
	}
	// Ownership spans, for the customers owned (and forgotten) on a day:
	// from the owner's membership to its end (ref_at; none while it lasts).
	for _, m := range tm {
		if m.Role != cohort.RoleOwner {
			continue
		}
		f := p.base("customer.owned", m.ValidFrom)
		f.CustomerID, f.RefAt = c.ID, m.ValidTo
		if m.ExpiresAt != nil && (f.RefAt == nil || m.ExpiresAt.Before(*f.RefAt)) {
			f.RefAt = m.ExpiresAt
		}
		if f.RefAt != nil {
			r := f.RefAt.UTC()
			f.RefAt = &r
		}
		g, err := p.personal(f, m.UserID, cohort.RoleOwner)
		if err != nil {
			return nil, err
		}
		g.ShareBP = m.ShareBP
		out = append(out, g)
	}
	for _, e := range events {
		kind := "customer.returned"
		if e.Kind == cohort.PoolClaimed || e.Kind == cohort.PoolAssigned {
			kind = "customer.claimed"
		}
		f := p.base(kind, e.At)
		f.CustomerID, f.Attr = c.ID, e.Kind
		g, err := p.personal(f, e.UserID, cohort.RoleOwner)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

func (p *Projector) opportunityFacts(o *cohort.Opportunity, tm team, stages []cohort.StageEntry) ([]Fact, error) {
	var out []Fact
	emit := p.opportunityEmitter(o, tm, &out)
	created := p.base("opportunity.created", o.CreatedAt)
	lastStage := ""
	for _, s := range stages {
		if isOutcome(s.Stage) {
			continue
		}
		if created.Stage == "" {
			created.Stage = s.Stage
		}
		if err := emit(p.stageEntered(s)); err != nil {
			return nil, err
		}
		lastStage = s.Stage
	}
	if err := emit(created); err != nil {
		return nil, err
	}
	if o.Status == cohort.OppOpen {
		if err := p.openFacts(o, tm, &out); err != nil {
			return nil, err
		}
	}
	if o.Status != cohort.OppOpen && o.ClosedAt != nil {
		f := p.base("opportunity."+o.Status, *o.ClosedAt)
		f.Attr, f.Stage, f.DurationS, f.RefAt = o.LossReason, lastStage, int64(o.ClosedAt.Sub(o.CreatedAt)/time.Second), &o.CreatedAt
		if err := emit(f); err != nil {
			return nil, err
		}
	}
	if o.Status == cohort.OppWon && o.ClosedAt != nil {
		q, err := p.quoteWon(o)
		if err != nil {
			return nil, err
		}
		out = append(out, q...)
	}
	return out, nil
}

// opportunityEmitter returns emit, which credits an opportunity's fact to
// its team at the fact's time and appends the facts to out.
func (p *Projector) opportunityEmitter(o *cohort.Opportunity, tm team, out *[]Fact) func(Fact) error {
	return func(f Fact) error {
		f.CustomerID, f.ProcessID, f.Amount, f.Currency = o.CustomerID, o.ProcessID, o.Amount, o.Currency
		fs, err := p.credit(f, tm, f.OccurredAt)
		*out = append(*out, fs...)
		return err
	}
}

// stageEntered is the fact of a stage entry (not an outcome), before credit.
func (p *Projector) stageEntered(s cohort.StageEntry) Fact {
	f := p.base(KindStageEntered, s.EnteredAt)
	f.Stage, f.N = s.Stage, 0
	if s.LeftAt != nil {
		// n is 1 once the stay has ended: the rollups' n_bp is then the
		// weight of the ended stays (days_in_stage).
		f.DurationS, f.RefAt, f.N = int64(s.LeftAt.Sub(s.EnteredAt)/time.Second), s.LeftAt, 1
	}
	return f
}

// openFacts appends the credited opportunity.open facts of an open
// opportunity (none without an expected close date) to out.
func (p *Projector) openFacts(o *cohort.Opportunity, tm team, out *[]Fact) error {
	f, creditAt, ok, err := p.openOpportunity(o)
	if err != nil || !ok {
		return err
	}
	f.CustomerID, f.ProcessID, f.Amount, f.Currency = o.CustomerID, o.ProcessID, o.Amount, o.Currency
	// An opportunity still open after a team change dated later than its
	// expected close (an overdue one handed over) is credited to the team
	// after the change: the people who hold it now.
	for _, m := range tm {
		if m.ValidFrom.After(creditAt) {
			creditAt = m.ValidFrom
		}
		if m.ValidTo != nil && m.ValidTo.After(creditAt) {
			creditAt = *m.ValidTo
		}
	}
	fs, err := p.credit(f, tm, creditAt)
	*out = append(*out, fs...)
	return err
}

// StageMove is an open opportunity's move to another stage, for Source:
// the opportunity as written, and the earliest entry time of the stage
// entries the move changed (store.EnterStage: those it closed and the one
// it opened).
type StageMove struct {
	Opportunity *cohort.Opportunity
	From        time.Time
}

// KindStageEntered is the fact kind of a stage entry.
const KindStageEntered = "opportunity.stage_entered"

// movedStage returns the facts a stage move can have changed, projected,
// and the same facts as stored. An open opportunity's facts are its stage
// entries', its creation's (which names its first stage) and its current
// state's (opportunity.open, which names its stage). A move closes the
// open entry and opens one, so only the entries entered from From on
// change: their facts are the only ones dated from then on, and stored
// facts are told apart by kind and time alone. The creation's facts are
// among them only when no earlier entry names the first stage. An
// opportunity that is not open is projected whole.
// movedEntryCols read a stage entry of opportunity_stages as a row of
// storedCols with an empty kind, for movedStage: id, stage, user_id as
// such, entered_at as occurred_at, left_at as ref_at, and when it was
// recorded as amount. Its NULLs are typed: PostgreSQL reads an untyped
// NULL of the subquery as text.
const movedEntryCols = `id, '', entered_at, 0, '', 0, '', 0, CAST(NULL AS BIGINT), user_id, '', 0, CAST(NULL AS BIGINT),
	COALESCE(recorded_at, entered_at), '', 0, 0, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), stage, '', left_at, 0, 0, 0, 0, 0`

// movedTeamCols read a member of record_team as a row of storedCols
// with an empty kind and the source type "team", for movedStage: id,
// record type and id, user_id, share_bp as such, the role as role, the
// person's name as currency, access as stage, valid_from as occurred_at,
// valid_to as customer_id, expires_at as ref_at, added_by as
// department_id and when it was recorded as amount.
const movedTeamCols = `t.id, '', t.valid_from, 0, 'team', 0, t.record_type, t.record_id, t.valid_to, t.user_id, t.role_key, t.share_bp,
	t.added_by, COALESCE(t.recorded_at, t.valid_from), COALESCE(u.name, ''), 0, 0, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), t.access, '',
	t.expires_at, 0, 0, 0, 0, 0`

// earlierEntries reads, for movedStage, the stage entries' facts before a
// move's From as one row of storedCols per record, credit class and stage:
// the latest day (and time) of an entry, all markSince needs of them (each
// is before every entry projected), where the whole history took a row a
// fact (an opportunity moved back and forth 40 times: twice the fact work
// of its move). Its parameters: tenant, source type, source id, kind, From.
const earlierEntries = `SELECT 0, kind, max(occurred_at), max(day), source_type, source_id, record_type, record_id, CAST(NULL AS BIGINT),
	CAST(NULL AS BIGINT), CASE WHEN role = '' THEN 'owner' ELSE role END, 0, CAST(NULL AS BIGINT), 0, '', 0, 0, CAST(NULL AS BIGINT),
	CAST(NULL AS BIGINT), stage, '', CAST(NULL AS BIGINT), 0, 0, 0, 0, 0
	FROM facts WHERE tenant_id = ? AND source_type = ? AND source_id = ? AND kind = ? AND occurred_at < ?
	GROUP BY kind, source_type, source_id, record_type, record_id, CASE WHEN role = '' THEN 'owner' ELSE role END, stage`

// msTime is a time read as an id-like column (Unix ms; 0 for none).
func msTime(ms cohort.ID) *time.Time {
	if ms == 0 {
		return nil
	}
	t := time.UnixMilli(int64(ms)).UTC()
	return &t
}

func (p *Projector) movedStage(id cohort.ID, m *StageMove) ([]Fact, []StoredFact, error) {
	o := m.Opportunity
	if o == nil || o.ID != id || o.Status != cohort.OppOpen {
		fresh, err := p.Project(cohort.ObjOpportunity, id)
		if err != nil {
			return nil, nil, err
		}
		stored, err := storedOf(p.ctx, p.q, p.t.ID, cohort.ObjOpportunity, []cohort.ID{id})
		return fresh, stored, err
	}
	// One statement reads the stored facts the move can change, the stage
	// entries it changed (store.StageMoveOf's rows) and the opportunity's
	// team (store.TeamHistories'): two ranges of facts_source (tenant,
	// source, kind, occurred_at), the kinds the move can change and the
	// stage entries' facts from From on (without the union the engine
	// reads every fact of the opportunity), those before it summed for the
	// marks of the entries projected (earlierEntries), then the entries and
	// the team. An
	// entry or a member comes as a row of storedCols whose kind is empty
	// (see movedEntryCols and movedTeamCols).
	const byKind = `SELECT ` + storedCols + ` FROM facts WHERE tenant_id = ? AND source_type = ? AND source_id = ? AND kind `
	const entries = `SELECT ` + movedEntryCols + ` FROM opportunity_stages WHERE tenant_id = ? AND opportunity_id = ? AND entered_at `
	const query = byKind + `IN (?, ?) UNION ALL ` + byKind + `= ? AND occurred_at >= ? UNION ALL ` + earlierEntries + ` UNION ALL ` + entries + `>= ? UNION ALL SELECT * FROM (` +
		entries + `< ? AND stage NOT IN (?, ?, ?) LIMIT 1) earlier UNION ALL SELECT ` + movedTeamCols + ` FROM record_team t
		LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id WHERE t.tenant_id = ? AND t.record_id = ? AND t.record_type = ?`
	from := m.From.UnixMilli()
	rows, err := storedQuery(p.ctx, p.q, query, int64(p.t.ID), string(cohort.ObjOpportunity), int64(id), KindOpportunityOpen, "opportunity.created",
		int64(p.t.ID), string(cohort.ObjOpportunity), int64(id), KindStageEntered, from,
		int64(p.t.ID), string(cohort.ObjOpportunity), int64(id), KindStageEntered, from,
		int64(p.t.ID), int64(id), from, int64(p.t.ID), int64(id), from, cohort.OppWon, cohort.OppLost, cohort.OppInvalid,
		int64(p.t.ID), int64(id), string(cohort.ObjOpportunity))
	if err != nil {
		return nil, nil, fmt.Errorf("stage move: %w", err)
	}
	var stored, earlier []StoredFact
	var entered []cohort.StageEntry
	var ids []int64
	var tm team
	for _, r := range rows {
		switch {
		case r.Kind == KindStageEntered && r.OccurredAt.UnixMilli() < from:
			// Entries the move did not change, summed (earlierEntries):
			// the marks of those projected (Fact.SinceStage, SinceAny).
			earlier = append(earlier, r)
		case r.Kind != "":
			stored = append(stored, r)
		case r.SourceType == "team":
			tm = append(tm, cohort.TeamMember{ID: cohort.ID(r.ID), RecordType: cohort.ObjectType(r.RecordType), RecordID: r.RecordID,
				UserID: r.UserID, UserName: r.Currency, Role: r.Role, Access: r.Stage, ShareBP: r.ShareBP, ExpiresAt: r.RefAt,
				ValidFrom: r.OccurredAt, ValidTo: msTime(r.CustomerID), AddedBy: r.DepartmentID, RecordedAt: time.UnixMilli(r.Amount).UTC()})
		default:
			entered = append(entered, cohort.StageEntry{Stage: r.Stage, EnteredAt: r.OccurredAt, LeftAt: r.RefAt, UserID: r.UserID,
				RecordedAt: time.UnixMilli(r.Amount).UTC()})
			ids = append(ids, r.ID)
		}
	}
	// Oldest first, as TeamHistories reads them.
	slices.SortFunc(tm, func(a, b cohort.TeamMember) int {
		return cmp.Or(a.ValidFrom.Compare(b.ValidFrom), cmp.Compare(a.ID, b.ID))
	})
	move := store.NewStageMove(entered, ids, m.From)
	if !move.HasFirst {
		// The creation names an earlier entry the move did not change.
		stored = slices.DeleteFunc(stored, func(f StoredFact) bool { return f.Kind == "opportunity.created" })
	}
	var out []Fact
	emit := p.opportunityEmitter(o, tm, &out)
	for _, s := range move.Entries {
		if isOutcome(s.Stage) {
			continue
		}
		if err := emit(p.stageEntered(s)); err != nil {
			return nil, nil, err
		}
	}
	if move.HasFirst {
		created := p.base("opportunity.created", o.CreatedAt)
		created.Stage = move.First
		if err := emit(created); err != nil {
			return nil, nil, err
		}
	}
	if err := p.openFacts(o, tm, &out); err != nil {
		return nil, nil, err
	}
	// The marks of the entries projected (Fact.SinceStage, SinceAny) name
	// the latest earlier entries: those before From, read as stored.
	out = p.sourced(out, cohort.ObjOpportunity, id)
	markSince(out, earlier)
	return out, stored, nil
}

// quoteWon is the fact of a won opportunity's last sent quote, for quote
// accuracy: at the win, credited to the quote's owner, amount the quote's
// total, n the deviation of the final amount from it in basis points
// (rounded up). The final amount is the total of the opportunity's last
// signed contract or order that is not void, else the opportunity's amount.
func (p *Projector) quoteWon(o *cohort.Opportunity) ([]Fact, error) {
	var qid, total int64
	var owner *int64 // none for a quote made by an integration
	var currency string
	err := p.q.QueryRowContext(p.ctx, `SELECT id, owner_id, total, currency FROM deals WHERE tenant_id = ? AND opportunity_id = ? AND kind = 'quote'
		AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT 1`, int64(p.t.ID), int64(o.ID)).Scan(&qid, &owner, &total, &currency)
	if errors.Is(err, errNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("facts: last quote: %w", err)
	}
	final := o.Amount
	err = p.q.QueryRowContext(p.ctx, `SELECT total FROM deals WHERE tenant_id = ? AND opportunity_id = ? AND kind IN ('contract', 'order')
		AND signed_at IS NOT NULL AND status <> 'voided' ORDER BY signed_at DESC, id DESC LIMIT 1`, int64(p.t.ID), int64(o.ID)).Scan(&final)
	if err != nil && !errors.Is(err, errNoRows) {
		return nil, fmt.Errorf("facts: final contract: %w", err)
	}
	f := p.base("quote.won", *o.ClosedAt)
	f.CustomerID, f.RecordType, f.RecordID, f.Amount, f.Currency = o.CustomerID, string(cohort.ObjQuote), cohort.ID(qid), total, currency
	f.N = deviationBP(final, total)
	if owner == nil {
		f.Role = ""
		return []Fact{f}, nil
	}
	g, err := p.personal(f, cohort.ID(*owner), cohort.RoleOwner)
	return []Fact{g}, err
}

// errNoRows is a single-row read that found nothing.
var errNoRows = sql.ErrNoRows

// deviationBP is |final − quoted| in basis points of quoted, rounded up,
// at most 10^9 (a quote of 0 deviates by nothing or by that).
func deviationBP(final, quoted int64) int {
	const most = 1_000_000_000
	d := final - quoted
	if d < 0 {
		d = -d
	}
	if quoted <= 0 {
		if d == 0 {
			return 0
		}
		return most
	}
	bp := (d*10000 + quoted - 1) / quoted
	if bp > most || bp < 0 {
		return most
	}
	return int(bp)
}

// expense makes an expense's fact: incurred on its date, credited to the
// person who incurred it, about its opportunity when it has one.
func (p *Projector) expense(id cohort.ID) ([]Fact, error) {
	var user, amount int64
	var cust, opp *int64
	var currency, typ, on string
	err := p.q.QueryRowContext(p.ctx, `SELECT user_id, customer_id, opportunity_id, amount, currency, type, incurred_on FROM expenses
		WHERE tenant_id = ? AND id = ?`, int64(p.t.ID), int64(id)).Scan(&user, &cust, &opp, &amount, &currency, &typ, &on)
	if errors.Is(err, errNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("facts: expense: %w", err)
	}
	start, _, ok := p.dateSpan(on)
	if !ok {
		return nil, nil
	}
	f := p.base("expense.incurred", start)
	f.Amount, f.Currency, f.Attr = amount, currency, typ
	if cust != nil {
		f.CustomerID = cohort.ID(*cust)
	}
	// An expense incurred for an opportunity is about it, as a payment is
	// about its contract: the opportunity dimension finds it.
	if opp != nil {
		f.RecordType, f.RecordID = string(cohort.ObjOpportunity), cohort.ID(*opp)
	}
	g, err := p.personal(f, cohort.ID(user), cohort.RoleOwner)
	return []Fact{g}, err
}

// member makes a person's organisation spans (person.member: from the
// span's start, ref_at its end, in its department), for the active people
// of a department on a day. A disabled person has none: the users table
// keeps no time of the disabling.
func (p *Projector) member(id cohort.ID) ([]Fact, error) {
	u, err := store.FindUser(p.ctx, p.q, p.t.ID, id)
	if err != nil {
		return nil, err
	}
	if u.Status == cohort.UserDisabled {
		return nil, nil
	}
	spans, err := store.UserOrgHistory(p.ctx, p.q, p.t.ID, id)
	if err != nil {
		return nil, err
	}
	var out []Fact
	for _, s := range spans {
		f := p.base("person.member", s.ValidFrom)
		f.UserID, f.Role, f.DepartmentID, f.RefAt = id, "member", s.DepartmentID, s.ValidTo
		if f.RefAt != nil {
			r := f.RefAt.UTC()
			f.RefAt = &r
		}
		out = append(out, f)
	}
	return out, nil
}

// openOpportunity is the current-state fact of an open opportunity with an
// expected close date (docs/FACTS.md, opportunity.open): dated at the start
// of that local day, n = its stage's win probability in percent, attr = its
// forecast category, ref_at = its creation. It is credited to the team in
// force at the end of that day (as any date-only event), or at the
// opportunity's creation when the day is before it, or after the team's
// last change when that is later.
func (p *Projector) openOpportunity(o *cohort.Opportunity) (Fact, time.Time, bool, error) {
	start, end, ok := p.dateSpan(o.ExpectedCloseDate)
	if !ok {
		return Fact{}, time.Time{}, false, nil
	}
	prob, err := p.stageProbability(o.ProcessID, o.Stage)
	if err != nil {
		return Fact{}, time.Time{}, false, err
	}
	f := p.base(KindOpportunityOpen, start)
	created := o.CreatedAt.UTC()
	f.N, f.Attr, f.Stage, f.RefAt = prob, o.ForecastCategory, o.Stage, &created
	if end.Before(created) {
		end = created
	}
	return f, end, true, nil
}

// KindOpportunityOpen is the fact kind of an open opportunity's current
// state.
const KindOpportunityOpen = "opportunity.open"

// stageProbability is the win probability (percent) of stage in process
// (0 when either is unknown).
func (p *Projector) stageProbability(process cohort.ID, stage string) (int, error) {
	if p.procs == nil {
		p.procs = map[cohort.ID]*cohort.SalesProcess{}
	}
	sp, ok := p.procs[process]
	if !ok {
		var err error
		sp, err = store.FindProcess(p.ctx, p.q, p.t.ID, process)
		if cohort.ErrorCode(err) == cohort.ENOTFOUND {
			sp, err = nil, nil
		}
		if err != nil {
			return 0, err
		}
		p.procs[process] = sp
	}
	if sp == nil {
		return 0, nil
	}
	if i := sp.StageIndex(stage); i >= 0 {
		return sp.Stages[i].Probability, nil
	}
	return 0, nil
}

func isOutcome(stage string) bool {
	return stage == cohort.OppWon || stage == cohort.OppLost || stage == cohort.OppInvalid
}

// processesOf returns the sales process of each document's opportunity.
func (p *Projector) processesOf(ds map[cohort.ID]*cohort.Deal) (map[cohort.ID]cohort.ID, error) {
	out := map[cohort.ID]cohort.ID{}
	var opps []cohort.ID
	for _, d := range ds {
		if d.OpportunityID != 0 {
			opps = append(opps, d.OpportunityID)
		}
	}
	if len(opps) == 0 {
		return out, nil
	}
	list, args := in(opps)
	rows, err := p.q.QueryContext(p.ctx, "SELECT id, process_id FROM opportunities WHERE tenant_id = ? AND id IN "+list, append([]any{int64(p.t.ID)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("facts: processes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, process int64
		if err := rows.Scan(&id, &process); err != nil {
			return nil, err
		}
		out[cohort.ID(id)] = cohort.ID(process)
	}
	return out, rows.Err()
}

func (p *Projector) dealFacts(kind cohort.ObjectType, d *cohort.Deal, tm team, process cohort.ID, invoices []cohort.Invoice,
	plans []cohort.PaymentPlan, pays []cohort.Payment) ([]Fact, error) {
	var out []Fact
	if kind == cohort.ObjQuote {
		if d.SentAt != nil {
			f := p.base("quote.sent", *d.SentAt)
			f.CustomerID, f.Amount, f.Currency = d.CustomerID, d.Total, d.Currency
			g, err := p.personal(f, d.OwnerID, cohort.RoleOwner)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	}
	emit := func(f Fact, creditAt time.Time) error {
		f.CustomerID, f.ProcessID = d.CustomerID, process
		if f.Currency == "" {
			f.Currency = d.Currency
		}
		fs, err := p.credit(f, tm, creditAt)
		out = append(out, fs...)
		return err
	}
	voided := d.Status == cohort.DealVoided
	if d.SignedAt != nil && !voided {
		f := p.base(string(kind)+".signed", *d.SignedAt)
		f.Amount = d.Total
		if err := emit(f, *d.SignedAt); err != nil {
			return nil, err
		}
		for _, l := range d.Lines {
			f := p.base(string(kind)+".line", *d.SignedAt)
			f.Amount, f.N, f.ProductID = l.Amount, int(l.Quantity), l.ProductID
			if err := emit(f, *d.SignedAt); err != nil {
				return nil, err
			}
		}
	}
	dated := func(kind, date string, amount int64, attr string, ref *time.Time) error {
		start, end, ok := p.dateSpan(date)
		if !ok {
			return nil
		}
		f := p.base(kind, start)
		f.Amount, f.Attr, f.RefAt = amount, attr, ref
		return emit(f, end)
	}
	if kind == cohort.ObjContract && d.SignedAt != nil && !voided {
		// The contract's term, for churn: it started (on its start date,
		// else its signing date) and, when it has an end date, ended.
		start := d.StartDate
		if start == "" {
			start = d.SignedDate
		}
		var endRef *time.Time
		if e, _, ok := p.dateSpan(d.EndDate); ok {
			endRef = &e
		}
		if err := dated("contract.started", start, d.Total, "", endRef); err != nil {
			return nil, err
		}
		if err := dated("contract.ended", d.EndDate, d.Total, "", nil); err != nil {
			return nil, err
		}
	}
	for _, inv := range invoices {
		if inv.Status != cohort.InvoiceIssued {
			continue
		}
		if err := dated("invoice.issued", inv.IssuedDate, inv.Amount, "", nil); err != nil {
			return nil, err
		}
	}
	due := map[cohort.ID]*time.Time{} // an installment's due date, for receivables
	for _, pl := range plans {
		if start, _, ok := p.dateSpan(pl.DueDate); ok {
			due[pl.ID] = &start
		}
		if voided {
			continue
		}
		if err := dated("payment.planned", pl.DueDate, pl.Amount, "", nil); err != nil {
			return nil, err
		}
	}
	for _, pay := range pays {
		attr := ""
		if pay.ReversesID != 0 {
			attr = "reversal"
		}
		if err := dated("payment.received", pay.ReceivedDate, pay.Amount, attr, due[pay.PlanID]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FollowUp returns the facts of a follow-up (an import's, with no reads but
// its author's organisation history).
func (p *Projector) FollowUp(f *cohort.FollowUp) ([]Fact, error) {
	fs, err := p.followUpFacts(f)
	return p.sourced(fs, cohort.ObjFollowUp, f.ID), err
}

func (p *Projector) followUpFacts(f *cohort.FollowUp) ([]Fact, error) {
	x := p.base("followup.done", f.OccurredAt)
	x.CustomerID, x.DurationS, x.Attr = f.CustomerID, int64(f.DurationS), f.Type
	if f.RecordType != "" && f.RecordID != 0 {
		x.RecordType, x.RecordID = string(f.RecordType), f.RecordID
	}
	g, err := p.personal(x, f.AuthorID, "author")
	if err != nil {
		return nil, err
	}
	return []Fact{g}, nil
}

func (p *Projector) ticketFacts(t *cohort.Ticket, tm team) ([]Fact, error) {
	var out []Fact
	emit := func(kind string, at time.Time, amount int64, since bool) error {
		f := p.base(kind, at)
		f.CustomerID, f.Attr, f.Amount, f.Currency = t.CustomerID, t.Kind, amount, t.Currency
		if since {
			f.DurationS, f.RefAt = int64(at.Sub(t.OpenedAt)/time.Second), &t.OpenedAt
		}
		fs, err := p.credit(f, tm, at)
		out = append(out, fs...)
		return err
	}
	if err := emit("ticket.opened", t.OpenedAt, 0, false); err != nil {
		return nil, err
	}
	if t.FirstResponseAt != nil {
		if err := emit("ticket.first_response", *t.FirstResponseAt, 0, true); err != nil {
			return nil, err
		}
	}
	if t.ResolvedAt != nil {
		if err := emit("ticket.resolved", *t.ResolvedAt, t.Cost, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (p *Projector) projectFacts(pj *cohort.Project, tm team) ([]Fact, error) {
	var out []Fact
	for _, m := range pj.Milestones {
		if m.DoneAt == nil {
			continue
		}
		f := p.base("project.milestone_done", *m.DoneAt)
		f.CustomerID, f.Attr = pj.CustomerID, m.Name
		fs, err := p.credit(f, tm, *m.DoneAt)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// Made projections: the facts of a record a write has just made, from the
// record the writer holds, with no read back but the record's team. They
// make what Project would make of the record as it was made: a customer
// with no signing or pool event yet, an opportunity in its first stage, an
// open next action.

// MadeCustomer projects a customer just made, with the team its writer gave it.
// team, when not nil, returns the customer's whole team history if still
// known without a read (nil otherwise: it is read back).
func MadeCustomer(c *cohort.Customer, team func() []cohort.TeamMember) func(p *Projector) ([]Fact, error) {
	return func(p *Projector) ([]Fact, error) {
		history, err := madeTeam(p, cohort.ObjCustomer, c.ID, team)
		if err != nil {
			return nil, err
		}
		return p.NewCustomer(c, history)
	}
}

// madeTeam is the team history of a record just made: team's, or read.
func madeTeam(p *Projector, obj cohort.ObjectType, id cohort.ID, team func() []cohort.TeamMember) ([]cohort.TeamMember, error) {
	if team != nil {
		if t := team(); t != nil {
			return t, nil
		}
	}
	teams, err := store.TeamHistories(p.ctx, p.q, p.t.ID, obj, []cohort.ID{id})
	if err != nil {
		return nil, err
	}
	return teams[id], nil
}

// MadeOpportunity projects an opportunity just opened in its first stage.
// team is as for MadeCustomer.
func MadeOpportunity(o *cohort.Opportunity, team func() []cohort.TeamMember) func(p *Projector) ([]Fact, error) {
	return func(p *Projector) ([]Fact, error) {
		history, err := madeTeam(p, cohort.ObjOpportunity, o.ID, team)
		if err != nil {
			return nil, err
		}
		stages := []cohort.StageEntry{{Stage: o.Stage, EnteredAt: o.CreatedAt}}
		fs, err := p.opportunityFacts(o, history, stages)
		return p.sourced(fs, cohort.ObjOpportunity, o.ID), err
	}
}

// MadeFollowUp projects a follow-up just logged.
func MadeFollowUp(f *cohort.FollowUp) func(p *Projector) ([]Fact, error) {
	return func(p *Projector) ([]Fact, error) { return p.FollowUp(f) }
}

// MadeNextAction projects a next action just planned.
func MadeNextAction(a *cohort.NextAction) func(p *Projector) ([]Fact, error) {
	return func(p *Projector) ([]Fact, error) {
		n := nextAction{customer: a.CustomerID, owner: a.OwnerID, plan: a.PlanType, status: a.Status, due: a.DueTo.UnixMilli()}
		if a.DoneAt != nil {
			done := a.DoneAt.UnixMilli()
			n.done = &done
		}
		fs, err := p.nextActionFacts(n)
		return p.sourced(fs, SourceNextAction, a.ID), err
	}
}
