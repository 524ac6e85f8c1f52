package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort"
)

const expenseCols = `e.id, e.tenant_id, e.user_id, e.department_id, e.customer_id, e.opportunity_id, COALESCE(c.name, ''), COALESCE(o.name, ''),
	e.type, e.amount, e.currency, e.incurred_on, e.note, e.created_by, e.version, e.created_at, e.updated_at`

// expenseFrom names the linked customer and opportunity.
const expenseFrom = ` FROM expenses e LEFT JOIN customers c ON c.tenant_id = e.tenant_id AND c.id = e.customer_id
	LEFT JOIN opportunities o ON o.tenant_id = e.tenant_id AND o.id = e.opportunity_id`

func expenseDest(e *cohort.Expense) []any {
	return []any{idScanner{&e.ID}, idScanner{&e.TenantID}, idScanner{&e.UserID}, idScanner{&e.DepartmentID}, idScanner{&e.CustomerID},
		idScanner{&e.OpportunityID}, &e.CustomerName, &e.OpportunityName, &e.Type, &e.Amount, &e.Currency, &e.IncurredOn, &e.Note, idScanner{&e.CreatedBy}, &e.Version,
		msScanner{&e.CreatedAt}, msScanner{&e.UpdatedAt}}
}

// ExpenseList is the list spec of expenses.
var ExpenseList = &ListSpec{
	IDColumn: "e.id",
	Fields: map[string]Field{
		"user_id":        {Column: "e.user_id", Type: TID},
		"department_id":  {Column: "e.department_id", Type: TID},
		"customer_id":    {Column: "e.customer_id", Type: TID},
		"opportunity_id": {Column: "e.opportunity_id", Type: TID},
		"type":           {Column: "e.type"},
		"amount":         {Column: "e.amount", Type: TInt, Sortable: true},
		"incurred_on":    {Column: "e.incurred_on", Sortable: true},
		"created_at":     {Column: "e.created_at", Type: TTime, Sortable: true},
	},
	QColumns:    []string{"e.type", "e.note"},
	DefaultSort: []cohort.SortKey{{Field: "incurred_on", Desc: true}},
}

// InsertExpense inserts e, setting its id, version and times.
func InsertExpense(ctx context.Context, tx *Tx, e *cohort.Expense, now time.Time) error {
	e.ID, e.Version, e.CreatedAt, e.UpdatedAt = cohort.ID(tx.db.NewID()), 1, now, now
	_, err := tx.ExecContext(ctx, `INSERT INTO expenses (tenant_id, id, user_id, department_id, customer_id, opportunity_id, type, amount, currency,
		incurred_on, note, created_by, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		int64(e.TenantID), int64(e.ID), int64(e.UserID), nullID(e.DepartmentID), nullID(e.CustomerID), nullID(e.OpportunityID), e.Type, e.Amount,
		e.Currency, e.IncurredOn, e.Note, nullID(e.CreatedBy), e.Version, ms(now), ms(now))
	if err != nil {
		return fmt.Errorf("insert expense: %w", err)
	}
	return nil
}

// FindExpense returns the expense with id inside scope (over alias e).
func FindExpense(ctx context.Context, q Queryer, tenantID, id cohort.ID, scope Where) (*cohort.Expense, error) {
	w := And(Where{"e.tenant_id = ? AND e.id = ?", []any{int64(tenantID), int64(id)}}, scope)
	e := &cohort.Expense{}
	err := q.QueryRowContext(ctx, "SELECT "+expenseCols+expenseFrom+" WHERE "+w.SQL, w.Args...).Scan(expenseDest(e)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("expense")
	}
	if err != nil {
		return nil, fmt.Errorf("find expense: %w", err)
	}
	return e, nil
}

// ListExpenses lists expenses inside scope.
func ListExpenses(ctx context.Context, q Queryer, tenantID cohort.ID, scope Where, lq cohort.ListQuery, loc *time.Location) ([]*cohort.Expense, string, error) {
	base := And(Where{"e.tenant_id = ?", []any{int64(tenantID)}}, scope)
	return List(ctx, q, ExpenseList, lq, loc, "SELECT "+expenseCols+expenseFrom, base, func() (*cohort.Expense, []any) {
		e := &cohort.Expense{}
		return e, expenseDest(e)
	})
}

// UpdateExpense writes e, whose stored version must still be prev's.
func UpdateExpense(ctx context.Context, tx *Tx, e, prev *cohort.Expense, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE expenses SET department_id = ?, customer_id = ?, opportunity_id = ?, type = ?, amount = ?, currency = ?,
		incurred_on = ?, note = ?, version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
		nullID(e.DepartmentID), nullID(e.CustomerID), nullID(e.OpportunityID), e.Type, e.Amount, e.Currency, e.IncurredOn, e.Note, ms(now),
		int64(e.TenantID), int64(e.ID), prev.Version)
	if err := checkOne(res, err, "expense"); err != nil {
		return err
	}
	e.Version, e.UpdatedAt = prev.Version+1, now.Truncate(time.Millisecond)
	return nil
}

// DeleteExpense deletes an expense.
func DeleteExpense(ctx context.Context, tx *Tx, tenantID, id cohort.ID) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM expenses WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id))
	return checkOne(res, err, "expense")
}
