package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
)

// --- sales processes

// ListProcesses lists the tenant's sales processes.
func (s *Service) ListProcesses(ctx context.Context) ([]*cohort.SalesProcess, error) {
	p, err := require(ctx, cohort.ObjOpportunity, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.ListProcesses(ctx, s.db.Read(), p.Tenant.ID)
}

// SaveProcess creates (id 0) or changes a sales process; it needs
// opportunity:administer. A stage that open opportunities stand in cannot be
// removed.
func (s *Service) SaveProcess(ctx context.Context, sp *cohort.SalesProcess, ifVersion int) error {
	p, err := require(ctx, cohort.ObjOpportunity, cohort.ActAdminister)
	if err != nil {
		return err
	}
	sp.TenantID = p.Tenant.ID
	now := s.now()
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if sp.ID == 0 {
			if err := sp.Validate(); err != nil {
				return err
			}
			if err := store.InsertProcess(ctx, tx, sp, now); err != nil {
				return err
			}
			return s.audit(ctx, tx, "create", "sales_process", sp.ID, diff(nil, sp))
		}
		if err := store.LockRow(ctx, tx, "sales_processes", p.Tenant.ID, sp.ID); err != nil {
			return err
		}
		prev, err := store.FindProcess(ctx, tx, p.Tenant.ID, sp.ID)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "sales process"); err != nil {
			return err
		}
		sp.Key = prev.Key
		if err := sp.Validate(); err != nil {
			return err
		}
		var removed []string
		for _, st := range prev.Stages {
			if sp.StageIndex(st.Key) < 0 {
				removed = append(removed, st.Key)
			}
		}
		if n, err := store.CountOpenInStages(ctx, tx, p.Tenant.ID, sp.ID, removed); err != nil {
			return err
		} else if n > 0 {
			return cohort.Errorf(cohort.ECONFLICT, "%d open opportunities stand in the stages you removed (%s); move them first", n, strings.Join(removed, ", "))
		}
		if err := store.UpdateProcess(ctx, tx, sp, prev.Version, now); err != nil {
			return err
		}
		// Open opportunities' facts carry their stage's win probability
		// (opportunity.open): a changed probability rewrites them.
		open, err := store.QueryIDs(ctx, tx, "SELECT id FROM opportunities WHERE tenant_id = ? AND process_id = ? AND status = 'open' AND expected_close_date <> ''",
			int64(p.Tenant.ID), int64(sp.ID))
		if err != nil {
			return err
		}
		for _, id := range open {
			s.project(ctx, tx, cohort.ObjOpportunity, id)
		}
		return s.audit(ctx, tx, "update", "sales_process", sp.ID, diff(prev, sp))
	})
}

// --- products

// ListProducts lists the tenant's products (everyone who works opportunities
// may see them).
func (s *Service) ListProducts(ctx context.Context, q cohort.ListQuery) ([]*cohort.Product, string, error) {
	p, err := require(ctx, cohort.ObjOpportunity, cohort.ActView)
	if err != nil {
		return nil, "", err
	}
	return store.ListProducts(ctx, s.db.Read(), p.Tenant.ID, q)
}

// CreateProduct adds a product (product:create).
func (s *Service) CreateProduct(ctx context.Context, pr *cohort.Product) error {
	p, err := require(ctx, cohort.ObjProduct, cohort.ActCreate)
	if err != nil {
		return err
	}
	pr.TenantID, pr.Active = p.Tenant.ID, true
	if pr.Currency == "" {
		pr.Currency = p.Tenant.Currency
	}
	if err := pr.Validate(); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.InsertProduct(ctx, tx, pr, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", cohort.ObjProduct, pr.ID, diff(nil, pr))
	})
}

// --- opportunities

// ListOpportunities lists the opportunities in the caller's scope.
func (s *Service) ListOpportunities(ctx context.Context, view string, q cohort.ListQuery) ([]*cohort.Opportunity, string, error) {
	scope, p, err := s.opportunityView(ctx, view)
	if err != nil {
		return nil, "", err
	}
	spec, err := s.customSpec(ctx, store.OpportunityList, cohort.ObjOpportunity, "o")
	if err != nil {
		return nil, "", err
	}
	walk, err := s.walkScope(ctx, cohort.ObjOpportunity, "o", view, q)
	if err != nil {
		return nil, "", err
	}
	return store.ListOpportunitiesSpec(ctx, s.db.Read(), spec, p.Tenant.ID, scope, q, p.Tenant.Location(), walk)
}

// opportunityView is the condition on opportunities o of the caller's data
// scope narrowed by a list view (all, mine, team or followed).
func (s *Service) opportunityView(ctx context.Context, view string) (store.Where, *cohort.Principal, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjOpportunity, cohort.ActView, "o")
	if err != nil {
		return store.Where{}, nil, err
	}
	switch view {
	case "", ViewAll:
	case ViewMine:
		scope = store.And(scope, store.Where{SQL: "o.owner_id = ?", Args: []any{int64(p.User.ID)}})
	case ViewTeam:
		scope = store.And(scope, store.Where{SQL: `EXISTS (SELECT 1 FROM record_team t WHERE t.tenant_id = o.tenant_id AND t.record_type = 'opportunity'
			AND t.record_id = o.id AND t.user_id = ? AND t.valid_to IS NULL)`, Args: []any{int64(p.User.ID)}})
	case ViewFollowed:
		scope = store.And(scope, store.FollowedWhere(cohort.ObjOpportunity, "o", p.User.ID))
	default:
		return store.Where{}, nil, cohort.Errorf(cohort.EBADREQUEST, "unknown view %q; use all, mine, team or followed", view)
	}
	return scope, p, nil
}

// FindOpportunity returns an opportunity the caller may see.
func (s *Service) FindOpportunity(ctx context.Context, id cohort.ID) (*cohort.Opportunity, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjOpportunity, cohort.ActView, "o")
	if err != nil {
		return nil, err
	}
	return store.FindOpportunity(ctx, s.db.Read(), p.Tenant.ID, id, scope)
}

// priceLines fills each line's product name, unit price (from the product
// when zero) and amount.
func priceLines(ctx context.Context, q store.Queryer, tenantID cohort.ID, lines []cohort.OppLine) (int64, error) {
	var total int64
	for i := range lines {
		pr, err := store.FindProduct(ctx, q, tenantID, lines[i].ProductID)
		if err != nil {
			return 0, cohort.Errorf(cohort.EINVALID, "lines[%d].product_id: no such product", i)
		}
		lines[i].ProductName = pr.Name
		if lines[i].UnitPrice == 0 {
			lines[i].UnitPrice = pr.Price
		}
		lines[i].Amount = cohort.LineAmount(lines[i].Quantity, lines[i].UnitPrice, lines[i].DiscountBP)
		total += lines[i].Amount
	}
	return total, nil
}

// CreateOpportunity opens an opportunity on a customer the caller may see, in
// the first stage of its process, owned by the caller.
func (s *Service) CreateOpportunity(ctx context.Context, o *cohort.Opportunity, team []cohort.TeamInput) error {
	if _, err := require(ctx, cohort.ObjOpportunity, cohort.ActCreate); err != nil {
		return err
	}
	custScope, _, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActView, "c")
	if err != nil {
		return err
	}
	// Validate before taking the writer. The search document holds the
	// customer's name, which only the transaction reads reliably: reading it
	// before as well, to tokenize outside the writer, cost more CPU (about
	// 260 µs a request on the read pool) than the tokenizing it moved.
	if err := newOpportunity(cohort.PrincipalFrom(ctx), o); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error { return s.createOpportunity(ctx, tx, o, team, custScope) })
}

// newOpportunity sets the fields of an opportunity about to be opened that
// the caller does not choose and validates it. It reads nothing, so it runs
// before the transaction and again, unchanged, inside it.
func newOpportunity(p *cohort.Principal, o *cohort.Opportunity) error {
	if p.User == nil {
		return cohort.Errorf(cohort.EFORBIDDEN, "opportunities are opened by people")
	}
	o.ID, o.TenantID, o.Status, o.ClosedAt, o.LossReason = 0, p.Tenant.ID, cohort.OppOpen, nil, ""
	o.OwnerID, o.DepartmentID, o.CreatedBy = p.User.ID, p.User.DepartmentID, p.User.ID
	if o.Currency == "" {
		o.Currency = p.Tenant.Currency
	}
	return o.Validate()
}

// createOpportunity is CreateOpportunity inside the caller's transaction;
// custScope limits the customers it may be opened on.
func (s *Service) createOpportunity(ctx context.Context, tx *store.Tx, o *cohort.Opportunity, team []cohort.TeamInput, custScope store.Where) error {
	p := cohort.PrincipalFrom(ctx)
	if err := newOpportunity(p, o); err != nil {
		return err
	}
	now := s.now()
	created, err := creationTime(p, cohort.ObjOpportunity, &o.CreatedAt, now)
	if err != nil {
		return err
	}
	o.CreatedAt = created.At
	c, err := store.FindCustomer(ctx, tx, p.Tenant.ID, o.CustomerID, custScope)
	if err != nil {
		return err
	}
	o.CustomerName = c.Name
	if o.ContactID != 0 {
		if k, err := store.FindContact(ctx, tx, p.Tenant.ID, o.ContactID); err != nil || k.CustomerID != c.ID {
			return cohort.Errorf(cohort.EINVALID, "contact_id: not a contact of this customer")
		}
	}
	var proc *cohort.SalesProcess
	if o.ProcessID == 0 {
		procs, err := store.ListProcesses(ctx, tx, p.Tenant.ID)
		if err != nil || len(procs) == 0 {
			return cohort.Errorf(cohort.EINVALID, "process_id: the tenant has no sales process")
		}
		proc = procs[0]
	} else if proc, err = store.FindProcess(ctx, tx, p.Tenant.ID, o.ProcessID); err != nil || !proc.Active {
		return cohort.Errorf(cohort.EINVALID, "process_id: no such active sales process")
	}
	o.ProcessID, o.Stage = proc.ID, proc.Stages[0].Key
	if o.Custom, err = s.checkCustom(ctx, tx, cohort.ObjOpportunity, nil, o.Custom); err != nil {
		return err
	}
	total, err := priceLines(ctx, tx, p.Tenant.ID, o.Lines)
	if err != nil {
		return err
	}
	if len(o.Lines) > 0 && o.Amount == 0 {
		o.Amount = total
	}
	if err := store.InsertOpportunity(ctx, tx, o, now); err != nil {
		return err
	}
	s.projectNew(ctx, tx, cohort.ObjOpportunity, o.ID)
	users := map[cohort.ID]*cohort.User{}
	team, err = withDefaultTeamOf(ctx, tx, o.TenantID, o.OwnerID, team, users)
	if err != nil {
		return err
	}
	members, err := s.newTeam(ctx, tx, cohort.ObjOpportunity, o.ID, withOwner(o.OwnerID, team), o.CreatedAt, now, users)
	if err != nil {
		return err
	}
	written := teamAsWritten(tx, members)
	// o is the row as written, with its customer's name read above: nothing
	// to read again for its search document.
	if err := search.Upsert(ctx, tx, opportunityDoc(o)); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "create", cohort.ObjOpportunity, o.ID, diff(nil, o)); err != nil {
		return err
	}
	if err := s.auditTimes(ctx, tx, cohort.ObjOpportunity, o.ID, now, created); err != nil {
		return err
	}
	s.projectMade(ctx, tx, cohort.ObjOpportunity, o.ID, facts.MadeOpportunity(o, written))
	return nil
}

// editOpportunity runs f on an open opportunity the caller may edit, then
// saves it with an audit entry of action. A stage entered or an outcome is
// dated at (nil: now), not before the current stage was entered.
func (s *Service) editOpportunity(ctx context.Context, id cohort.ID, ifVersion int, action string, at *time.Time,
	f func(tx *store.Tx, o *cohort.Opportunity, proc *cohort.SalesProcess, at time.Time) error) (*cohort.Opportunity, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjOpportunity, cohort.ActEdit, "o")
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *cohort.Opportunity
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "opportunities", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindOpportunity(ctx, tx, p.Tenant.ID, id, scope)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "opportunity"); err != nil {
			return err
		}
		if prev.Status != cohort.OppOpen {
			return cohort.Errorf(cohort.ECONFLICT, "the opportunity is %s and can no longer change", prev.Status)
		}
		proc, err := store.FindProcess(ctx, tx, p.Tenant.ID, prev.ProcessID)
		if err != nil {
			return err
		}
		entered := bizTime{At: now}
		if at != nil {
			last, err := store.LastStageEntry(ctx, tx, p.Tenant.ID, id)
			if err != nil {
				return err
			}
			field := "entered_at"
			if action != "stage" {
				field = "closed_at"
			}
			if entered, err = eventTime(p, cohort.ObjOpportunity, field, at, now, last); err != nil {
				return err
			}
		}
		o := *prev
		o.Lines = slices.Clone(prev.Lines)
		if err := f(tx, &o, proc, entered.At); err != nil {
			return err
		}
		// A stage move changes a few of the opportunity's facts (the entry
		// it closes, the one it opens, its current state): unless
		// something before it in tx changed the opportunity, only those
		// are rewritten.
		moved := action == "stage" && o.Stage != prev.Stage && o.Status == cohort.OppOpen &&
			!s.projected(ctx, tx, cohort.ObjOpportunity, o.ID)
		if err := store.UpdateOpportunity(ctx, tx, &o, prev.Version, now); err != nil {
			return err
		}
		// o is the row as written, with its customer's name as of this
		// transaction: nothing to read again for its search document.
		if err := search.Upsert(ctx, tx, opportunityDoc(&o)); err != nil {
			return err
		}
		var changedFrom time.Time // the earliest entry time of the stage entries changed
		if o.Stage != prev.Stage || o.Status != prev.Status {
			stage := o.Stage
			if o.Status != cohort.OppOpen {
				stage = o.Status
			}
			if changedFrom, err = store.EnterStage(ctx, tx, p.Tenant.ID, o.ID, stage, actorID(p), entered.At, now); err != nil {
				return err
			}
		}
		out = &o
		if err := s.audit(ctx, tx, action, cohort.ObjOpportunity, o.ID, diff(prev, o)); err != nil {
			return err
		}
		if err := s.auditTimes(ctx, tx, cohort.ObjOpportunity, o.ID, now, entered); err != nil {
			return err
		}
		if moved {
			s.projectMoved(ctx, tx, &o, changedFrom)
		}
		return nil
	})
	return out, err
}

// UpdateOpportunity changes an open opportunity's fields and lines.
func (s *Service) UpdateOpportunity(ctx context.Context, id cohort.ID, upd cohort.OpportunityUpdate, ifVersion int) (*cohort.Opportunity, error) {
	return s.editOpportunity(ctx, id, ifVersion, "update", nil, func(tx *store.Tx, o *cohort.Opportunity, _ *cohort.SalesProcess, _ time.Time) error {
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		set(&o.Name, upd.Name)
		set(&o.ExpectedCloseDate, upd.ExpectedCloseDate)
		set(&o.ForecastCategory, upd.ForecastCategory)
		set(&o.Competitor, upd.Competitor)
		set(&o.Source, upd.Source)
		if upd.ContactID != nil {
			o.ContactID = *upd.ContactID
		}
		if upd.Amount != nil {
			o.Amount = *upd.Amount
		}
		if upd.Custom != nil {
			custom, err := s.checkCustom(ctx, tx, cohort.ObjOpportunity, o.Custom, *upd.Custom)
			if err != nil {
				return err
			}
			o.Custom = custom
		}
		if upd.Lines != nil {
			o.Lines = slices.Clone(*upd.Lines)
		}
		if err := o.Validate(); err != nil {
			return err
		}
		if o.ContactID != 0 {
			if k, err := store.FindContact(ctx, tx, o.TenantID, o.ContactID); err != nil || k.CustomerID != o.CustomerID {
				return cohort.Errorf(cohort.EINVALID, "contact_id: not a contact of this customer")
			}
		}
		if upd.Lines != nil {
			total, err := priceLines(ctx, tx, o.TenantID, o.Lines)
			if err != nil {
				return err
			}
			if upd.Amount == nil {
				o.Amount = total
			}
		}
		return nil
	})
}

// MoveStage moves an open opportunity to another stage of its process, entered
// at business time at (nil: now). Entering a later stage needs that stage's
// required fields and follow-ups; a refused move is a 422 naming everything
// that is missing. The same stage may be entered again later.
func (s *Service) MoveStage(ctx context.Context, id cohort.ID, stage string, at *time.Time, ifVersion int) (*cohort.Opportunity, error) {
	return s.editOpportunity(ctx, id, ifVersion, "stage", at, func(tx *store.Tx, o *cohort.Opportunity, proc *cohort.SalesProcess, _ time.Time) error {
		to, from := proc.StageIndex(stage), proc.StageIndex(o.Stage)
		if to < 0 {
			return &cohort.Error{Code: cohort.EINVALID, Message: "stage: no stage " + stage + " in this sales process",
				Fields: []cohort.FieldError{{Field: "stage", Message: "unknown stage"}}}
		}
		if to == from {
			return cohort.Errorf(cohort.EINVALID, "stage: the opportunity is in %s already", stage)
		}
		if to > from {
			logged, err := store.LoggedFollowUpTypes(ctx, tx, o.TenantID, o)
			if err != nil {
				return err
			}
			if err := stageGates(proc, o, from, to, logged); err != nil {
				return err
			}
		}
		o.Stage = stage
		return nil
	})
}

// stageGates checks a forward move from stage index from to index to: the
// stage entered and every stage passed on the way must have their
// requirements met, so that a drag over several columns skips no gate. The
// refusal names what the entered stage misses, then each stage passed with
// what it misses ("cannot enter X (x): missing …; passing Y (y): missing …").
// Moving back is not checked.
func stageGates(proc *cohort.SalesProcess, o *cohort.Opportunity, from, to int, logged []string) error {
	st := proc.Stages[to]
	var parts, all []string
	add := func(prefix string, missing []string) {
		parts = append(parts, prefix+"missing "+strings.Join(missing, ", "))
		for _, m := range missing {
			if !slices.Contains(all, m) {
				all = append(all, m)
			}
		}
	}
	if missing := o.Missing(st, logged); len(missing) > 0 {
		add("", missing)
	}
	for i := max(from+1, 0); i < to; i++ {
		if missing := o.Missing(proc.Stages[i], logged); len(missing) > 0 {
			add("passing "+proc.Stages[i].NameEn+" ("+proc.Stages[i].NameZh+"): ", missing)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return &cohort.Error{Code: cohort.EINVALID,
		Message: "cannot enter " + st.NameEn + " (" + st.NameZh + "): " + strings.Join(parts, "; "),
		Fields:  []cohort.FieldError{{Field: "stage", Message: "missing " + strings.Join(all, ", ")}}}
}

// CloseOpportunity ends an open opportunity as won, lost or invalid at
// business time at (nil: now). A win needs an amount; a loss needs a reason.
func (s *Service) CloseOpportunity(ctx context.Context, id cohort.ID, outcome, reason, competitor string, at *time.Time, ifVersion int) (*cohort.Opportunity, error) {
	return s.editOpportunity(ctx, id, ifVersion, outcome, at, func(tx *store.Tx, o *cohort.Opportunity, _ *cohort.SalesProcess, closed time.Time) error {
		var v cohort.Validation
		switch outcome {
		case cohort.OppWon:
			if o.Amount <= 0 {
				v.Add("amount", "a won opportunity needs its amount")
			}
		case cohort.OppLost:
			if strings.TrimSpace(reason) == "" {
				v.Add("loss_reason", "say why it was lost")
			}
		case cohort.OppInvalid:
		default:
			v.Add("outcome", "must be won, lost or invalid")
		}
		if len([]rune(reason)) > 500 || len([]rune(competitor)) > 200 {
			v.Add("loss_reason", "too long")
		}
		if err := v.Err(); err != nil {
			return err
		}
		o.Status, o.ClosedAt, o.LossReason = outcome, &closed, strings.TrimSpace(reason)
		if competitor != "" {
			o.Competitor = competitor
		}
		return nil
	})
}

// StageHistory returns the stages a visible opportunity entered.
func (s *Service) StageHistory(ctx context.Context, id cohort.ID) ([]cohort.StageEntry, error) {
	o, err := s.FindOpportunity(ctx, id)
	if err != nil {
		return nil, err
	}
	return store.StageHistory(ctx, s.db.Read(), o.TenantID, o.ID)
}

// ProductCategories lists the tenant's product categories.
func (s *Service) ProductCategories(ctx context.Context) ([]store.ProductCategory, error) {
	p, err := require(ctx, cohort.ObjOpportunity, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.ListProductCategories(ctx, s.db.Read(), p.Tenant.ID)
}

// CreateProductCategory adds a product category (product:create).
func (s *Service) CreateProductCategory(ctx context.Context, c *store.ProductCategory) error {
	p, err := require(ctx, cohort.ObjProduct, cohort.ActCreate)
	if err != nil {
		return err
	}
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || len([]rune(c.Name)) > 100 {
		return cohort.Errorf(cohort.EINVALID, "name: must be 1 to 100 characters")
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.InsertProductCategory(ctx, tx, p.Tenant.ID, c, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", "product_category", c.ID, diff(nil, c))
	})
}
