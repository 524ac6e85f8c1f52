package service

import (
	"context"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Expenses (METRICS.md "sales expenses") follow the customer:view data
// scope over the person who incurred them, as the figures do: one records
// one's own expenses, or those of a person in one's scope, and sees and
// changes the expenses of the people in one's scope. Every write is audited
// and rewrites the expense's fact (expense.incurred).

func (s *Service) expenseScope(ctx context.Context) (store.Where, *cohort.Principal, error) {
	a, err := s.Access(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return store.Where{}, nil, err
	}
	return store.AccessWhere(a, "e.user_id", "e.department_id"), cohort.PrincipalFrom(ctx), nil
}

func tenantToday(p *cohort.Principal, now time.Time) string {
	return now.In(p.Tenant.Location()).Format(time.DateOnly)
}

// checkExpense validates e and its references in tx and sets the person's
// department on the day it was incurred.
func (s *Service) checkExpense(ctx context.Context, tx *store.Tx, p *cohort.Principal, e *cohort.Expense) error {
	if err := e.Validate(tenantToday(p, s.now())); err != nil {
		return err
	}
	if e.CustomerID != 0 {
		scope, _, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActView, "c")
		if err != nil {
			return err
		}
		if _, err := store.FindCustomer(ctx, tx, p.Tenant.ID, e.CustomerID, scope); err != nil {
			return invalidField("customer_id", "no such customer in your data scope")
		}
	}
	if e.OpportunityID != 0 {
		o, err := store.FindOpportunity(ctx, tx, p.Tenant.ID, e.OpportunityID, store.Where{})
		if err != nil || (e.CustomerID != 0 && o.CustomerID != e.CustomerID) {
			return invalidField("opportunity_id", "no such opportunity of the customer")
		}
		e.CustomerID = o.CustomerID
	}
	day, err := time.ParseInLocation(time.DateOnly, e.IncurredOn, p.Tenant.Location())
	if err != nil {
		return invalidField("incurred_on", "must be a date YYYY-MM-DD")
	}
	dept, _, err := store.DepartmentAt(ctx, tx, p.Tenant.ID, e.UserID, day)
	e.DepartmentID = dept
	return err
}

// CreateExpense records an expense, incurred by e.UserID (default the
// caller), who must be in the caller's scope.
func (s *Service) CreateExpense(ctx context.Context, e *cohort.Expense) error {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return err
	}
	if p.User == nil && e.UserID == 0 {
		return invalidField("user_id", "name the person who incurred the expense")
	}
	e.ID, e.TenantID = 0, p.Tenant.ID
	if e.UserID == 0 {
		e.UserID = p.User.ID
	}
	if e.Currency == "" {
		e.Currency = p.Tenant.Currency
	}
	if p.User != nil {
		e.CreatedBy = p.User.ID
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if _, err := store.FindUser(ctx, tx, p.Tenant.ID, e.UserID); err != nil {
			return invalidField("user_id", "no such person")
		}
		if err := s.checkOwnerInScope(ctx, tx, cohort.ObjCustomer, cohort.ActView, "user_id", e.UserID); err != nil {
			return err
		}
		if err := s.checkExpense(ctx, tx, p, e); err != nil {
			return err
		}
		if err := store.InsertExpense(ctx, tx, e, s.now()); err != nil {
			return err
		}
		// Read back for the names of the linked records.
		made, err := store.FindExpense(ctx, tx, p.Tenant.ID, e.ID, store.Where{})
		if err != nil {
			return err
		}
		*e = *made
		return s.audit(ctx, tx, "create", cohort.ObjExpense, e.ID, diff(nil, e))
	})
}

// FindExpense returns an expense in the caller's scope.
func (s *Service) FindExpense(ctx context.Context, id cohort.ID) (*cohort.Expense, error) {
	scope, p, err := s.expenseScope(ctx)
	if err != nil {
		return nil, err
	}
	return store.FindExpense(ctx, s.db.Read(), p.Tenant.ID, id, scope)
}

// ListExpenses lists the expenses in the caller's scope.
func (s *Service) ListExpenses(ctx context.Context, q cohort.ListQuery) ([]*cohort.Expense, string, error) {
	scope, p, err := s.expenseScope(ctx)
	if err != nil {
		return nil, "", err
	}
	return store.ListExpenses(ctx, s.db.Read(), p.Tenant.ID, scope, q, p.Tenant.Location())
}

// UpdateExpense changes an expense in the caller's scope.
func (s *Service) UpdateExpense(ctx context.Context, id cohort.ID, upd cohort.ExpenseUpdate, ifVersion int) (*cohort.Expense, error) {
	scope, p, err := s.expenseScope(ctx)
	if err != nil {
		return nil, err
	}
	var out *cohort.Expense
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "expenses", p.Tenant.ID, id); err != nil {
			return err
		}
		prev, err := store.FindExpense(ctx, tx, p.Tenant.ID, id, scope)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "expense"); err != nil {
			return err
		}
		e := upd.Apply(*prev)
		if upd.CustomerID != nil && *upd.CustomerID == 0 && e.OpportunityID != 0 {
			// checkExpense would link the opportunity's customer again.
			return invalidField("customer_id", "the expense's opportunity belongs to a customer; unlink the opportunity too")
		}
		if err := s.checkExpense(ctx, tx, p, &e); err != nil {
			return err
		}
		if err := store.UpdateExpense(ctx, tx, &e, prev, s.now()); err != nil {
			return err
		}
		if out, err = store.FindExpense(ctx, tx, p.Tenant.ID, id, store.Where{}); err != nil {
			return err
		}
		return s.audit(ctx, tx, "update", cohort.ObjExpense, id, diff(prev, out))
	})
	return out, err
}

// DeleteExpense deletes an expense in the caller's scope.
func (s *Service) DeleteExpense(ctx context.Context, id cohort.ID, ifVersion int) error {
	scope, p, err := s.expenseScope(ctx)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		prev, err := store.FindExpense(ctx, tx, p.Tenant.ID, id, scope)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "expense"); err != nil {
			return err
		}
		if err := store.DeleteExpense(ctx, tx, p.Tenant.ID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", cohort.ObjExpense, id, diff(prev, nil))
	})
}
