package service

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
)

// recordScope returns the SQL filter of the records of type obj the caller
// may act on with act: the data scope of their roles, or membership in the
// record's team (with write access for anything but viewing).
func (s *Service) recordScope(ctx context.Context, obj cohort.ObjectType, act cohort.Action, alias string) (store.Where, *cohort.Principal, error) {
	a, err := s.Access(ctx, obj, act)
	if err != nil {
		return store.Where{}, nil, err
	}
	p := cohort.PrincipalFrom(ctx)
	w, err := store.RecordScope(ctx, s.db.Read(), s.db.Engine, a, obj, alias, s.now())
	if err != nil {
		return store.Where{}, nil, err
	}
	if act != cohort.ActView && w.SQL != "" {
		// Read-only team members may look, not change.
		w.SQL = strings.Replace(w.SQL, "AND t.valid_to IS NULL", "AND t.valid_to IS NULL AND t.access = 'write'", 1)
	}
	return w, p, nil
}

// walkScope is the data scope of a list of obj under alias written for
// walking the list's sort index (store.RecordWalkScope), or an empty Where
// for a list that sorts its scope's rows: the walk is for the whole scope
// (view all) of a wide department scope, with no filter or search and a
// sort on the list's own fields (store.Walkable).
func (s *Service) walkScope(ctx context.Context, obj cohort.ObjectType, alias, view string, q cohort.ListQuery) (store.Where, error) {
	if view != "" && view != ViewAll || !store.Walkable(q) {
		return store.Where{}, nil
	}
	a, err := s.Access(ctx, obj, cohort.ActView)
	if err != nil {
		return store.Where{}, err
	}
	w, _, err := store.RecordWalkScope(ctx, s.db.Read(), s.db.Engine, a, obj, alias, s.now())
	return w, err
}

// Views of a record list, beside the user's own filters.
const (
	ViewAll          = "all"
	ViewMine         = "mine"
	ViewSubordinates = "subordinates"
	ViewTeam         = "team"
	ViewFollowed     = "followed"
)

// ListCustomers lists the customers in the caller's scope, narrowed by view.
func (s *Service) ListCustomers(ctx context.Context, view string, q cohort.ListQuery) ([]*cohort.Customer, string, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActView, "c")
	if err != nil {
		return nil, "", err
	}
	switch view {
	case "", ViewAll:
	case ViewMine:
		scope = store.And(scope, store.Where{SQL: "c.owner_id = ?", Args: []any{int64(p.User.ID)}})
	case ViewSubordinates:
		sub := store.AccessWhere(cohort.Access{TenantID: p.Tenant.ID, Scope: cohort.ScopeOwnAndSubordinates, UserID: p.User.ID}, "c.owner_id", "")
		scope = store.And(scope, sub, store.Where{SQL: "c.owner_id <> ?", Args: []any{int64(p.User.ID)}})
	case ViewTeam:
		scope = store.And(scope, store.Where{SQL: `EXISTS (SELECT 1 FROM record_team t WHERE t.tenant_id = c.tenant_id AND t.record_type = 'customer'
			AND t.record_id = c.id AND t.user_id = ? AND t.valid_to IS NULL)`, Args: []any{int64(p.User.ID)}})
	case ViewFollowed:
		scope = store.And(scope, store.FollowedWhere(cohort.ObjCustomer, "c", p.User.ID))
	default:
		return nil, "", cohort.Errorf(cohort.EBADREQUEST, "unknown view %q; use all, mine, subordinates, team or followed", view)
	}
	spec, err := s.customSpec(ctx, store.CustomerList, cohort.ObjCustomer, "c")
	if err != nil {
		return nil, "", err
	}
	walk, err := s.walkScope(ctx, cohort.ObjCustomer, "c", view, q)
	if err != nil {
		return nil, "", err
	}
	return store.ListCustomersSpec(ctx, s.db.Read(), spec, p.Tenant.ID, scope, q, p.Tenant.Location(), walk)
}

// FindCustomer returns a customer the caller may see.
func (s *Service) FindCustomer(ctx context.Context, id cohort.ID) (*cohort.Customer, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActView, "c")
	if err != nil {
		return nil, err
	}
	return store.FindCustomer(ctx, s.db.Read(), p.Tenant.ID, id, scope)
}

// CreateCustomer creates a customer owned by c.OwnerID (the caller when
// zero), with the owner on its team at 100 % and any other members given.
// A customer whose normalised name or credit code exists already is a
// conflict.
func (s *Service) CreateCustomer(ctx context.Context, c *cohort.Customer, team []cohort.TeamInput) error {
	if _, err := require(ctx, cohort.ObjCustomer, cohort.ActCreate); err != nil {
		return err
	}
	// Validate and make the search document before taking the writer.
	if err := newCustomer(cohort.PrincipalFrom(ctx), c); err != nil {
		return err
	}
	doc := s.prepareDoc(customerDoc(c))
	return s.db.WriteTx(ctx, func(tx *store.Tx) error { return s.createCustomer(ctx, tx, c, team, doc) })
}

// createCustomer is CreateCustomer inside the caller's transaction (lead
// conversion and import compose it); doc, when not nil, is the customer's
// search document prepared from c before the transaction.
func (s *Service) createCustomer(ctx context.Context, tx *store.Tx, c *cohort.Customer, team []cohort.TeamInput, doc *search.Prepared) error {
	p := cohort.PrincipalFrom(ctx)
	if err := newCustomer(p, c); err != nil {
		return err
	}
	now := s.now()
	created, err := creationTime(p, cohort.ObjCustomer, &c.CreatedAt, now)
	if err != nil {
		return err
	}
	c.CreatedAt = created.At
	if dups, err := store.DuplicateCustomers(ctx, tx, c.TenantID, c.Name, c.CreditCode, 0); err != nil {
		return err
	} else if len(dups) > 0 {
		return &cohort.Error{Code: cohort.ECONFLICT, Message: "a customer with this name or credit code exists already: " + dups[0].Name,
			Fields: []cohort.FieldError{{Field: "name", Message: "duplicate of customer " + dups[0].ID.String()}}}
	}
	owner, err := store.FindUserRow(ctx, tx, c.TenantID, c.OwnerID)
	if err != nil || owner.Status != cohort.UserActive {
		return cohort.Errorf(cohort.EINVALID, "owner_id: no such active user")
	}
	if err := s.checkOwnerInScope(ctx, tx, cohort.ObjCustomer, cohort.ActCreate, "owner_id", c.OwnerID); err != nil {
		return err
	}
	c.DepartmentID = owner.DepartmentID
	if c.Custom, err = s.checkCustom(ctx, tx, cohort.ObjCustomer, nil, c.Custom); err != nil {
		return err
	}
	if err := store.InsertCustomer(ctx, tx, c, now); err != nil {
		return err
	}
	s.projectNew(ctx, tx, cohort.ObjCustomer, c.ID)
	users := map[cohort.ID]*cohort.User{owner.ID: owner}
	team, err = withDefaultTeamOf(ctx, tx, c.TenantID, c.OwnerID, team, users)
	if err != nil {
		return err
	}
	members, err := s.newTeam(ctx, tx, cohort.ObjCustomer, c.ID, withOwner(c.OwnerID, team), c.CreatedAt, now, users)
	if err != nil {
		return err
	}
	written := teamAsWritten(tx, members)
	// A new customer has no contacts yet: its own document is all there is
	// to index, from the record as written.
	if err := search.UpsertPrepared(ctx, tx, doc.For(customerDoc(c))); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "create", cohort.ObjCustomer, c.ID, diff(nil, c)); err != nil {
		return err
	}
	if err := s.auditTimes(ctx, tx, cohort.ObjCustomer, c.ID, now, created); err != nil {
		return err
	}
	s.projectMade(ctx, tx, cohort.ObjCustomer, c.ID, facts.MadeCustomer(c, written))
	return nil
}

// newCustomer sets the fields of a customer about to be created that the
// caller does not choose (tenant, status, owner by default, creator) and
// validates it. It reads nothing, so it runs before the transaction and
// again, unchanged, inside it.
func newCustomer(p *cohort.Principal, c *cohort.Customer) error {
	c.ID, c.TenantID = 0, p.Tenant.ID
	if c.Currency == "" {
		c.Currency = p.Tenant.Currency
	}
	c.Status, c.LostAt, c.FirstSignedAt, c.LastFollowUpAt = cohort.CustomerActive, nil, nil, nil
	if c.OwnerID == 0 && p.User != nil {
		c.OwnerID = p.User.ID
	}
	if p.User != nil {
		c.CreatedBy = p.User.ID
	}
	return c.Validate()
}

// UpdateCustomer changes a customer's fields, including its value calibration
// and status. Marking a customer lost records when.
func (s *Service) UpdateCustomer(ctx context.Context, id cohort.ID, upd cohort.CustomerUpdate, ifVersion int) (*cohort.Customer, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActEdit, "c")
	if err != nil {
		return nil, err
	}
	var out *cohort.Customer
	now := s.now()
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "customers", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindCustomer(ctx, tx, p.Tenant.ID, id, scope)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "customer"); err != nil {
			return err
		}
		c := *prev
		applyCustomerUpdate(&c, upd)
		if err := c.Validate(); err != nil {
			return err
		}
		if upd.Custom != nil {
			if c.Custom, err = s.checkCustom(ctx, tx, cohort.ObjCustomer, prev.Custom, *upd.Custom); err != nil {
				return err
			}
		}
		if c.Status == cohort.CustomerLost && prev.Status != cohort.CustomerLost {
			lost, err := eventTime(p, cohort.ObjCustomer, "lost_at", upd.LostAt, now, prev.CreatedAt)
			if err != nil {
				return err
			}
			c.LostAt = &lost.At
			if err := s.auditTimes(ctx, tx, cohort.ObjCustomer, c.ID, now, lost); err != nil {
				return err
			}
		} else if c.Status == cohort.CustomerActive {
			c.LostAt, c.LostReason = nil, ""
		}
		if c.Name != prev.Name || c.CreditCode != prev.CreditCode {
			if dups, err := store.DuplicateCustomers(ctx, tx, c.TenantID, c.Name, c.CreditCode, c.ID); err != nil {
				return err
			} else if len(dups) > 0 {
				return cohort.Errorf(cohort.ECONFLICT, "a customer with this name or credit code exists already: %s", dups[0].Name)
			}
		}
		if err := store.UpdateCustomer(ctx, tx, &c, prev.Version, now); err != nil {
			return err
		}
		if err := s.reindexCustomer(ctx, tx, c.TenantID, c.ID); err != nil {
			return err
		}
		out = &c
		return s.audit(ctx, tx, "update", cohort.ObjCustomer, c.ID, diff(prev, c))
	})
	return out, err
}

func applyCustomerUpdate(c *cohort.Customer, u cohort.CustomerUpdate) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, u.Name)
	set(&c.CreditCode, u.CreditCode)
	set(&c.Industry, u.Industry)
	set(&c.Province, u.Province)
	set(&c.City, u.City)
	set(&c.Source, u.Source)
	set(&c.Grade, u.Grade)
	set(&c.Segment, u.Segment)
	set(&c.ValueQuality, u.ValueQuality)
	set(&c.DealSize, u.DealSize)
	set(&c.ExpectedSignDate, u.ExpectedSignDate)
	set(&c.Status, u.Status)
	set(&c.LostReason, u.LostReason)
	if u.ExpectedAmount != nil {
		c.ExpectedAmount = *u.ExpectedAmount
	}
	if u.Milestones != nil {
		c.Milestones = slices.Clone(*u.Milestones)
	}
}

// --- record teams

// Team returns a record's current team.
func (s *Service) Team(ctx context.Context, obj cohort.ObjectType, id cohort.ID) ([]cohort.TeamMember, error) {
	p, err := s.visibleRecord(ctx, obj, id, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.CurrentTeam(ctx, s.db.Read(), p.Tenant.ID, obj, id)
}

// TeamHistory returns every membership of a record's team.
func (s *Service) TeamHistory(ctx context.Context, obj cohort.ObjectType, id cohort.ID) ([]cohort.TeamMember, error) {
	p, err := s.visibleRecord(ctx, obj, id, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.TeamHistory(ctx, s.db.Read(), p.Tenant.ID, obj, id)
}

// visibleRecord checks that the caller may act on record id of type obj.
func (s *Service) visibleRecord(ctx context.Context, obj cohort.ObjectType, id cohort.ID, act cohort.Action) (*cohort.Principal, error) {
	switch obj {
	case cohort.ObjCustomer:
		scope, p, err := s.recordScope(ctx, obj, act, "c")
		if err != nil {
			return nil, err
		}
		if _, err := store.FindCustomer(ctx, s.db.Read(), p.Tenant.ID, id, scope); err != nil {
			return nil, err
		}
		return p, nil
	case cohort.ObjOpportunity:
		scope, p, err := s.recordScope(ctx, obj, act, "o")
		if err != nil {
			return nil, err
		}
		if _, err := store.FindOpportunity(ctx, s.db.Read(), p.Tenant.ID, id, scope); err != nil {
			return nil, err
		}
		return p, nil
	case cohort.ObjContract, cohort.ObjOrder:
		scope, p, err := s.recordScope(ctx, obj, act, "d")
		if err != nil {
			return nil, err
		}
		if _, err := store.FindDeal(ctx, s.db.Read(), p.Tenant.ID, obj, id, scope); err != nil {
			return nil, err
		}
		return p, nil
	case cohort.ObjProject:
		scope, p, err := s.recordScope(ctx, obj, act, "j")
		if err != nil {
			return nil, err
		}
		if _, err := store.FindProject(ctx, s.db.Read(), p.Tenant.ID, id, scope); err != nil {
			return nil, err
		}
		return p, nil
	case cohort.ObjTicket:
		scope, p, err := s.recordScope(ctx, obj, act, "k")
		if err != nil {
			return nil, err
		}
		if _, err := store.FindTicket(ctx, s.db.Read(), p.Tenant.ID, id, scope); err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, cohort.Errorf(cohort.ENOTFOUND, "no team on %s", obj)
}

// TeamAt returns a record's team as it was at instant at: the team that
// earns the credit of an event recorded then.
func (s *Service) TeamAt(ctx context.Context, obj cohort.ObjectType, id cohort.ID, at time.Time) ([]cohort.TeamMember, error) {
	p, err := s.visibleRecord(ctx, obj, id, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.TeamAt(ctx, s.db.Read(), p.Tenant.ID, obj, id, at)
}

// SetTeam replaces a record's team from business time effectiveAt on (nil:
// now). At least one owner; revenue roles' shares add up to 100 %; a changed
// owner needs the transfer permission. Past credit stays with the team of its
// time.
func (s *Service) SetTeam(ctx context.Context, obj cohort.ObjectType, id cohort.ID, members []cohort.TeamInput, effectiveAt *time.Time) ([]cohort.TeamMember, error) {
	p, err := s.visibleRecord(ctx, obj, id, cohort.ActEdit)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		table, _ := store.RecordTable(obj)
		if err := store.LockRow(ctx, tx, table, p.Tenant.ID, id); err != nil {
			return err
		}
		owner, err := store.RecordOwner(ctx, tx, obj, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		start, err := store.RecordStart(ctx, tx, obj, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		at, err := eventTime(p, obj, "effective_at", effectiveAt, now, start)
		if err != nil {
			return err
		}
		newOwner := primaryOwner(owner, members)
		if newOwner != owner && newOwner != 0 {
			if !p.System && !p.Permissions.Can(obj, cohort.ActTransfer) {
				return cohort.Errorf(cohort.EFORBIDDEN, "changing the owner needs the transfer permission")
			}
			if err := s.checkOwnerInScope(ctx, tx, obj, cohort.ActTransfer, "members", newOwner); err != nil {
				return err
			}
		}
		before, _ := store.CurrentTeam(ctx, tx, p.Tenant.ID, obj, id)
		if err := s.replaceTeam(ctx, tx, obj, id, members, at.At, now); err != nil {
			return err
		}
		if newOwner != owner {
			if obj == cohort.ObjCustomer {
				c, err := store.FindCustomer(ctx, tx, p.Tenant.ID, id, store.Where{})
				if err != nil {
					return err
				}
				if err := s.moveOwner(ctx, tx, c, newOwner, now); err != nil {
					return err
				}
			} else {
				u, err := store.FindUserRow(ctx, tx, p.Tenant.ID, newOwner)
				if err != nil {
					return err
				}
				if err := store.SetRecordOwner(ctx, tx, obj, p.Tenant.ID, id, u.ID, u.DepartmentID, now); err != nil {
					return err
				}
				if err := s.reindexRecord(ctx, tx, obj, p.Tenant.ID, id); err != nil {
					return err
				}
				if obj == cohort.ObjTicket {
					if err := s.notifyTicketAssigned(ctx, tx, id, u.ID); err != nil {
						return err
					}
				}
			}
		}
		after, _ := store.CurrentTeam(ctx, tx, p.Tenant.ID, obj, id)
		changes := diff(map[string]any{"team": teamSummary(before)}, map[string]any{"team": teamSummary(after)})
		if !at.At.Equal(now) {
			when, _ := json.Marshal(at.At)
			changes = append(changes, cohort.FieldChange{Field: "effective_at", After: when})
		}
		if err := s.audit(ctx, tx, "team", obj, id, changes); err != nil {
			return err
		}
		return s.auditTimes(ctx, tx, obj, id, now, at)
	})
	if err != nil {
		return nil, err
	}
	return store.CurrentTeam(ctx, s.db.Read(), p.Tenant.ID, obj, id)
}

// primaryOwner is the owner a record points at for access among the owners
// of members: the current one while they stay an owner, else the first
// listed (0 when members name none).
func primaryOwner(current cohort.ID, members []cohort.TeamInput) cohort.ID {
	first := cohort.ID(0)
	for _, m := range members {
		if m.Role != cohort.RoleOwner {
			continue
		}
		if m.UserID == current {
			return current
		}
		if first == 0 {
			first = m.UserID
		}
	}
	return first
}

// mergeMembers folds members holding the same role twice (a transfer to a
// co-owner) into one, adding their shares.
func mergeMembers(members []cohort.TeamInput) []cohort.TeamInput {
	out := members[:0:0]
	for _, m := range members {
		i := slices.IndexFunc(out, func(o cohort.TeamInput) bool { return o.UserID == m.UserID && o.Role == m.Role })
		if i < 0 {
			out = append(out, m)
			continue
		}
		if out[i].ShareBP != nil && m.ShareBP != nil {
			sum := *out[i].ShareBP + *m.ShareBP
			out[i].ShareBP = &sum
		}
	}
	return out
}

// withOwner returns team with owner in the owner role first, unless team
// names owner as an owner already (co-owners with their shares).
func withOwner(owner cohort.ID, team []cohort.TeamInput) []cohort.TeamInput {
	for _, m := range team {
		if m.Role == cohort.RoleOwner && m.UserID == owner {
			return team
		}
	}
	return append([]cohort.TeamInput{{UserID: owner, Role: cohort.RoleOwner, Access: cohort.AccessWrite}}, team...)
}

func teamSummary(ms []cohort.TeamMember) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.UserID.String()+":"+m.Role+":"+m.Access+":"+itoa(m.ShareBP))
	}
	slices.Sort(out)
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// replaceTeam validates members and makes them the record's team from
// business time at on: unchanged memberships stay open, changed or removed
// ones are closed at at and new ones opened from at, so that the history says
// who held what when. A change cannot be dated before the team's last one.
func (s *Service) replaceTeam(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, id cohort.ID, members []cohort.TeamInput, at, now time.Time) error {
	_, err := s.setTeam(ctx, tx, obj, id, members, at, now, nil)
	return err
}

// newTeam is replaceTeam for a record created in tx, which has no team yet:
// it reads neither the team nor when it last changed. users holds user rows
// read in tx already (the owner's), checked again without a read. It returns
// the team as written, as TeamHistory would read it back.
func (s *Service) newTeam(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, id cohort.ID, members []cohort.TeamInput, at, now time.Time,
	users map[cohort.ID]*cohort.User) ([]cohort.TeamMember, error) {
	if users == nil {
		users = map[cohort.ID]*cohort.User{}
	}
	return s.setTeam(ctx, tx, obj, id, members, at, now, users)
}

// setTeam is replaceTeam; fresh, when not nil, says the record is new (see
// newTeam) and holds user rows already read.
func (s *Service) setTeam(ctx context.Context, tx *store.Tx, obj cohort.ObjectType, id cohort.ID, members []cohort.TeamInput, at, now time.Time,
	fresh map[cohort.ID]*cohort.User) ([]cohort.TeamMember, error) {
	p := cohort.PrincipalFrom(ctx)
	tenantID := p.Tenant.ID
	roles, err := store.ListBusinessRoles(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	revenue := map[string]bool{}
	for _, r := range roles {
		revenue[r.Key] = r.Revenue
	}
	var v cohort.Validation
	owners, revenueBP := 0, 0
	type key struct {
		user cohort.ID
		role string
	}
	seen := map[key]bool{}
	want := make([]cohort.TeamMember, 0, len(members))
	// Revenue roles without a share split what the others leave.
	unshared := 0
	for _, m := range members {
		if revenue[m.Role] && m.ShareBP == nil {
			unshared++
		}
	}
	given := 0
	for _, m := range members {
		if revenue[m.Role] && m.ShareBP != nil {
			given += *m.ShareBP
		}
	}
	for i, m := range members {
		field := "team[" + itoa(i) + "]"
		if _, ok := revenue[m.Role]; !ok {
			v.Add(field+".role", "no such business role %q", m.Role)
			continue
		}
		if m.Access == "" {
			m.Access = cohort.AccessWrite
		}
		if m.Access != cohort.AccessRead && m.Access != cohort.AccessWrite {
			v.Add(field+".access", "must be read or write")
		}
		share := cohort.FullShare
		if m.ShareBP != nil {
			share = *m.ShareBP
		} else if revenue[m.Role] {
			share = max(0, cohort.FullShare-given) / max(1, unshared)
		}
		if share < 0 || share > cohort.FullShare {
			v.Add(field+".share_bp", "must be 0 to 10000 (100 %%)")
		}
		if m.Role == cohort.RoleOwner {
			owners++
			m.Access = cohort.AccessWrite
		}
		if revenue[m.Role] {
			revenueBP += share
		}
		k := key{m.UserID, m.Role}
		if seen[k] {
			v.Add(field, "user %s holds role %s twice", m.UserID, m.Role)
		}
		seen[k] = true
		if m.ExpiresAt != nil && !m.ExpiresAt.After(now) {
			v.Add(field+".expires_at", "must be in the future")
		}
		if m.Role == cohort.RoleOwner && m.ExpiresAt != nil {
			v.Add(field+".expires_at", "the owner's membership does not expire")
		}
		u := fresh[m.UserID]
		if u == nil {
			if u, err = store.FindUserRow(ctx, tx, tenantID, m.UserID); err == nil && fresh != nil {
				fresh[m.UserID] = u
			}
		}
		name := ""
		if u == nil || u.Status != cohort.UserActive {
			v.Add(field+".user_id", "no such active user")
		} else {
			name = u.Name
		}
		want = append(want, cohort.TeamMember{RecordType: obj, RecordID: id, UserID: m.UserID, UserName: name, Role: m.Role, Access: m.Access,
			ShareBP: share, ExpiresAt: m.ExpiresAt, AddedBy: actorID(p)})
	}
	if owners == 0 {
		v.Add("team", "a record needs an owner (负责人)")
	}
	if revenueBP != cohort.FullShare {
		v.Add("team", "the revenue roles' shares add up to %d.%02d %%, not 100 %%", revenueBP/100, revenueBP%100)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var current []cohort.TeamMember
	if fresh == nil {
		// A new record's team never changed, and it has none yet.
		if last, err := store.TeamChangedAt(ctx, tx, tenantID, obj, id); err != nil {
			return nil, err
		} else if at.Before(last) {
			return nil, cohort.Errorf(cohort.EINVALID, "effective_at: the team last changed at %s; a change cannot be dated before it", last.UTC().Format(time.RFC3339))
		}
		if current, err = store.CurrentTeam(ctx, tx, tenantID, obj, id); err != nil {
			return nil, err
		}
	}
	// Every owner the team gains is someone the caller may make owner: in
	// their scope for creating (a new record) or transferring.
	field, act := "members", cohort.ActTransfer
	if len(current) == 0 {
		field, act = "team", cohort.ActCreate
	}
	for _, w := range want {
		if w.Role != cohort.RoleOwner || slices.ContainsFunc(current, func(c cohort.TeamMember) bool { return c.Role == cohort.RoleOwner && c.UserID == w.UserID }) {
			continue
		}
		if err := s.checkOwnerInScope(ctx, tx, obj, act, field, w.UserID); err != nil {
			return nil, err
		}
	}
	same := func(a, b cohort.TeamMember) bool {
		return a.UserID == b.UserID && a.Role == b.Role && a.Access == b.Access && a.ShareBP == b.ShareBP &&
			((a.ExpiresAt == nil) == (b.ExpiresAt == nil)) && (a.ExpiresAt == nil || a.ExpiresAt.Equal(*b.ExpiresAt))
	}
	kept := make([]bool, len(want))
	for _, c := range current {
		match := -1
		for i, w := range want {
			if !kept[i] && same(c, w) {
				match = i
				break
			}
		}
		if match >= 0 {
			kept[match] = true
			continue
		}
		if err := store.CloseMembership(ctx, tx, tenantID, c.ID, at); err != nil {
			return nil, err
		}
	}
	for i := range want {
		if kept[i] {
			continue
		}
		if err := store.OpenMembership(ctx, tx, tenantID, &want[i], at, now); err != nil {
			return nil, err
		}
		// As read back: whole milliseconds, UTC.
		w := &want[i]
		w.ValidFrom, w.RecordedAt = store.AsStored(w.ValidFrom), store.AsStored(w.RecordedAt)
		if w.ExpiresAt != nil {
			e := store.AsStored(*w.ExpiresAt)
			w.ExpiresAt = &e
		}
	}
	return want, nil
}

func actorID(p *cohort.Principal) cohort.ID {
	if p != nil && p.User != nil {
		return p.User.ID
	}
	return 0
}

// moveOwner points a customer at its new owner and the owner's department,
// and hands the old owner's open next actions on it to the new one.
func (s *Service) moveOwner(ctx context.Context, tx *store.Tx, c *cohort.Customer, newOwner cohort.ID, now time.Time) error {
	u, err := store.FindUserRow(ctx, tx, c.TenantID, newOwner)
	if err != nil {
		return err
	}
	prev := *c
	c.OwnerID, c.DepartmentID = u.ID, u.DepartmentID
	if err := store.UpdateCustomer(ctx, tx, c, prev.Version, now); err != nil {
		return err
	}
	if prev.OwnerID != 0 {
		if err := s.projectOpenActions(ctx, tx, c.ID); err != nil {
			return err
		}
		if err := store.ReassignNextActions(ctx, tx, c.TenantID, c.ID, prev.OwnerID, u.ID); err != nil {
			return err
		}
	}
	if err := s.reindexCustomer(ctx, tx, c.TenantID, c.ID); err != nil {
		return err
	}
	if err := s.notify(ctx, tx, c.TenantID, u.ID, "customer_assigned", map[string]any{"customer": c.Name}, "/customers/"+c.ID.String()); err != nil {
		return err
	}
	return nil
}

// Transfer hands a customer to a new owner. keepOldAs, when set, keeps the
// old owner on the team in that (non-owner) role with read access; the old
// owner's open next actions on the customer move along.
func (s *Service) Transfer(ctx context.Context, id, newOwner cohort.ID, keepOldAs string, carry bool) (*cohort.Customer, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActTransfer, "c")
	if err != nil {
		return nil, err
	}
	if keepOldAs == cohort.RoleOwner {
		return nil, cohort.Errorf(cohort.EINVALID, "keep_old_as: the old owner cannot stay owner")
	}
	now := s.now()
	var out *cohort.Customer
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "customers", p.Tenant.ID, id); err != nil {
			return err
		}
		c, err := store.FindCustomer(ctx, tx, p.Tenant.ID, id, scope)
		if err != nil {
			return err
		}
		if newOwner == 0 {
			return cohort.Errorf(cohort.EINVALID, "new_owner_id: is required")
		}
		if c.OwnerID == newOwner {
			return cohort.Errorf(cohort.EINVALID, "new_owner_id: the customer is already theirs")
		}
		if err := s.checkOwnerInScope(ctx, tx, cohort.ObjCustomer, cohort.ActTransfer, "new_owner_id", newOwner); err != nil {
			return err
		}
		team, err := store.CurrentTeam(ctx, tx, p.Tenant.ID, cohort.ObjCustomer, id)
		if err != nil {
			return err
		}
		var members []cohort.TeamInput
		oldOwner := c.OwnerID
		for _, m := range team {
			share := m.ShareBP
			switch {
			case m.Role == cohort.RoleOwner && m.UserID == oldOwner:
				members = append(members, cohort.TeamInput{UserID: newOwner, Role: cohort.RoleOwner, Access: cohort.AccessWrite, ShareBP: &share})
			case m.UserID == oldOwner && m.Role == keepOldAs:
				keepOldAs = "" // already on the team in that role
				fallthrough
			default:
				members = append(members, cohort.TeamInput{UserID: m.UserID, Role: m.Role, Access: m.Access, ShareBP: &share, ExpiresAt: m.ExpiresAt})
			}
		}
		if keepOldAs != "" && oldOwner != 0 {
			zero := 0
			members = append(members, cohort.TeamInput{UserID: oldOwner, Role: keepOldAs, Access: cohort.AccessRead, ShareBP: &zero})
		}
		members = mergeMembers(members)
		if err := s.replaceTeam(ctx, tx, cohort.ObjCustomer, id, members, now, now); err != nil {
			return err
		}
		prev := *c
		if err := s.moveOwner(ctx, tx, c, newOwner, now); err != nil {
			return err
		}
		if carry {
			if err := s.carryOpportunities(ctx, tx, c.ID, oldOwner, newOwner, now); err != nil {
				return err
			}
		}
		out = c
		return s.audit(ctx, tx, "transfer", cohort.ObjCustomer, id, diff(map[string]any{"owner_id": prev.OwnerID}, map[string]any{"owner_id": c.OwnerID}))
	})
	return out, err
}

// carryOpportunities hands the old owner's open opportunities on a customer
// to the new owner, keeping the rest of each team.
func (s *Service) carryOpportunities(ctx context.Context, tx *store.Tx, customerID, from, to cohort.ID, now time.Time) error {
	p := cohort.PrincipalFrom(ctx)
	opps, _, err := store.ListOpportunities(ctx, tx, p.Tenant.ID, store.Where{SQL: "o.customer_id = ? AND o.owner_id = ? AND o.status = 'open'",
		Args: []any{int64(customerID), int64(from)}}, cohort.ListQuery{Limit: cohort.MaxLimit}, nil)
	if err != nil {
		return err
	}
	u, err := store.FindUserRow(ctx, tx, p.Tenant.ID, to)
	if err != nil {
		return err
	}
	for _, o := range opps {
		team, err := store.CurrentTeam(ctx, tx, p.Tenant.ID, cohort.ObjOpportunity, o.ID)
		if err != nil {
			return err
		}
		var members []cohort.TeamInput
		for _, m := range team {
			share := m.ShareBP
			if m.Role == cohort.RoleOwner && m.UserID == from {
				m.UserID = to
			} else if m.UserID == to && m.Role != cohort.RoleOwner {
				continue // the new owner leaves an overlay role they held
			}
			members = append(members, cohort.TeamInput{UserID: m.UserID, Role: m.Role, Access: m.Access, ShareBP: &share, ExpiresAt: m.ExpiresAt})
		}
		members = mergeMembers(members)
		if err := s.replaceTeam(ctx, tx, cohort.ObjOpportunity, o.ID, members, now, now); err != nil {
			return err
		}
		if err := store.SetRecordOwner(ctx, tx, cohort.ObjOpportunity, p.Tenant.ID, o.ID, u.ID, u.DepartmentID, now); err != nil {
			return err
		}
		if err := s.reindexOpportunity(ctx, tx, p.Tenant.ID, o.ID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, "transfer", cohort.ObjOpportunity, o.ID, diff(map[string]any{"owner_id": from}, map[string]any{"owner_id": to})); err != nil {
			return err
		}
	}
	return nil
}
