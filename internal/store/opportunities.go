package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
)

// --- sales processes

const processCols = "id, tenant_id, key, name_zh, name_en, stages, active, version, created_at, updated_at"

func processDest(p *cohort.SalesProcess) []any {
	return []any{idScanner{&p.ID}, idScanner{&p.TenantID}, &p.Key, &p.NameZh, &p.NameEn, jsonScanner{&p.Stages}, &p.Active, &p.Version,
		msScanner{&p.CreatedAt}, msScanner{&p.UpdatedAt}}
}

// ListProcesses returns a tenant's sales processes.
func ListProcesses(ctx context.Context, q Queryer, tenantID cohort.ID) ([]*cohort.SalesProcess, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+processCols+" FROM sales_processes WHERE tenant_id = ? ORDER BY id", int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	defer rows.Close()
	out := []*cohort.SalesProcess{}
	for rows.Next() {
		p := &cohort.SalesProcess{}
		if err := rows.Scan(processDest(p)...); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FindProcess returns one sales process.
func FindProcess(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.SalesProcess, error) {
	p := &cohort.SalesProcess{}
	err := q.QueryRowContext(ctx, "SELECT "+processCols+" FROM sales_processes WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)).Scan(processDest(p)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("sales process")
	}
	return p, err
}

// InsertProcess inserts p.
func InsertProcess(ctx context.Context, tx *Tx, p *cohort.SalesProcess, now time.Time) error {
	p.ID, p.Version, p.CreatedAt, p.UpdatedAt = cohort.ID(tx.db.NewID()), 1, now, now
	st, _ := json.Marshal(p.Stages)
	_, err := tx.ExecContext(ctx, "INSERT INTO sales_processes ("+processCols+") VALUES (?,?,?,?,?,?,?,?,?,?)", int64(p.ID), int64(p.TenantID),
		p.Key, p.NameZh, p.NameEn, string(st), p.Active, p.Version, ms(now), ms(now))
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a sales process with key %q exists already", p.Key)
	}
	return err
}

// UpdateProcess writes p if its version is still prevVersion.
func UpdateProcess(ctx context.Context, tx *Tx, p *cohort.SalesProcess, prevVersion int, now time.Time) error {
	st, _ := json.Marshal(p.Stages)
	res, err := tx.ExecContext(ctx, `UPDATE sales_processes SET name_zh = ?, name_en = ?, stages = ?, active = ?, version = version + 1, updated_at = ?
		WHERE tenant_id = ? AND id = ? AND version = ?`, p.NameZh, p.NameEn, string(st), p.Active, ms(now), int64(p.TenantID), int64(p.ID), prevVersion)
	if err := checkOne(res, err, "sales process"); err != nil {
		return err
	}
	p.Version, p.UpdatedAt = prevVersion+1, now
	return nil
}

// CountOpenInStages counts open opportunities of a process in the given stages.
func CountOpenInStages(ctx context.Context, q Queryer, tenantID, processID cohort.ID, stages []string) (int, error) {
	if len(stages) == 0 {
		return 0, nil
	}
	args := []any{int64(tenantID), int64(processID)}
	for _, s := range stages {
		args = append(args, s)
	}
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM opportunities WHERE tenant_id = ? AND process_id = ? AND status = 'open' AND stage IN ("+
		strings.TrimSuffix(strings.Repeat("?,", len(stages)), ",")+")", args...).Scan(&n)
	return n, err
}

// --- products

const productCols = "id, tenant_id, code, name, category_id, unit, price, currency, active, version, created_at, updated_at"

func productDest(p *cohort.Product) []any {
	return []any{idScanner{&p.ID}, idScanner{&p.TenantID}, &p.Code, &p.Name, idScanner{&p.CategoryID}, &p.Unit, &p.Price, &p.Currency, &p.Active,
		&p.Version, msScanner{&p.CreatedAt}, msScanner{&p.UpdatedAt}}
}

// ProductList is the list spec of products.
var ProductList = &ListSpec{
	IDColumn: "p.id",
	Fields: map[string]Field{
		"code":        {Column: "p.code", Sortable: true},
		"name":        {Column: "p.name", Sortable: true},
		"category_id": {Column: "p.category_id", Type: TID},
		"price":       {Column: "p.price", Type: TInt, Sortable: true},
		"active":      {Column: "p.active", Type: TBool},
	},
	QColumns:    []string{"p.code", "p.name"},
	DefaultSort: []cohort.SortKey{{Field: "code"}},
}

// ListProducts lists a tenant's products.
func ListProducts(ctx context.Context, q Queryer, tenantID cohort.ID, lq cohort.ListQuery) ([]*cohort.Product, string, error) {
	cols := "p." + strings.ReplaceAll(productCols, ", ", ", p.")
	return List(ctx, q, ProductList, lq, nil, "SELECT "+cols+" FROM products p", Where{"p.tenant_id = ?", []any{int64(tenantID)}},
		func() (*cohort.Product, []any) {
			p := &cohort.Product{}
			return p, productDest(p)
		})
}

// FindProduct returns one product.
func FindProduct(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.Product, error) {
	p := &cohort.Product{}
	err := q.QueryRowContext(ctx, "SELECT "+productCols+" FROM products WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)).Scan(productDest(p)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("product")
	}
	return p, err
}

// InsertProduct inserts p.
func InsertProduct(ctx context.Context, tx *Tx, p *cohort.Product, now time.Time) error {
	p.ID, p.Version, p.CreatedAt, p.UpdatedAt = cohort.ID(tx.db.NewID()), 1, now, now
	_, err := tx.ExecContext(ctx, "INSERT INTO products ("+productCols+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", int64(p.ID), int64(p.TenantID), p.Code,
		p.Name, nullID(p.CategoryID), p.Unit, p.Price, p.Currency, p.Active, p.Version, ms(now), ms(now))
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a product with code %q exists already", p.Code)
	}
	if isForeignKeyViolation(err) {
		return cohort.Errorf(cohort.EINVALID, "category_id: no such category")
	}
	return err
}

// --- opportunities

// oppCols ends with the customer's name, so that a list (the kanban) needs no
// request per customer.
const oppCols = `o.id, o.tenant_id, o.customer_id, o.contact_id, o.process_id, o.stage, o.name, o.amount, o.currency, o.expected_close_date,
	o.forecast_category, o.status, o.loss_reason, o.competitor, o.source, o.closed_at, o.owner_id, o.department_id, o.custom, o.created_by,
	o.version, o.created_at, o.updated_at, o.external_id,
	COALESCE((SELECT c.name FROM customers c WHERE c.tenant_id = o.tenant_id AND c.id = o.customer_id), '')`

func oppDest(o *cohort.Opportunity) []any {
	return []any{idScanner{&o.ID}, idScanner{&o.TenantID}, idScanner{&o.CustomerID}, idScanner{&o.ContactID}, idScanner{&o.ProcessID}, &o.Stage,
		&o.Name, &o.Amount, &o.Currency, &o.ExpectedCloseDate, &o.ForecastCategory, &o.Status, &o.LossReason, &o.Competitor, &o.Source,
		nullMsScanner{&o.ClosedAt}, idScanner{&o.OwnerID}, idScanner{&o.DepartmentID}, rawScanner{&o.Custom}, idScanner{&o.CreatedBy},
		&o.Version, msScanner{&o.CreatedAt}, msScanner{&o.UpdatedAt}, &o.ExternalID, &o.CustomerName}
}

// OpportunityList is the list spec of opportunities.
var OpportunityList = &ListSpec{
	IDColumn: "o.id",
	Fields: map[string]Field{
		"name":                {Column: "o.name", Sortable: true},
		"customer_id":         {Column: "o.customer_id", Type: TID},
		"process_id":          {Column: "o.process_id", Type: TID},
		"stage":               {Column: "o.stage", Sortable: true},
		"status":              {Column: "o.status", Sortable: true},
		"amount":              {Column: "o.amount", Type: TInt, Sortable: true},
		"expected_close_date": {Column: "o.expected_close_date", Sortable: true},
		"forecast_category":   {Column: "o.forecast_category"},
		"owner_id":            {Column: "o.owner_id", Type: TID},
		"department_id":       {Column: "o.department_id", Type: TID},
		"competitor":          {Column: "o.competitor"},
		"created_at":          {Column: "o.created_at", Type: TTime, Sortable: true},
		"updated_at":          {Column: "o.updated_at", Type: TTime, Sortable: true},
	},
	QColumns:    []string{"o.name"},
	DefaultSort: []cohort.SortKey{{Field: "updated_at", Desc: true}},
}

// InsertOpportunity inserts o with its lines and its first stage entry.
func InsertOpportunity(ctx context.Context, tx *Tx, o *cohort.Opportunity, now time.Time) error {
	o.ID, o.Version, o.CreatedAt, o.UpdatedAt = cohort.ID(tx.db.NewID()), 1, createdAt(o.CreatedAt, now), now
	_, err := tx.ExecContext(ctx, `INSERT INTO opportunities (id, tenant_id, customer_id, contact_id, process_id, stage, name, amount, currency,
		expected_close_date, forecast_category, status, loss_reason, competitor, source, closed_at, owner_id, department_id, custom, created_by,
		version, created_at, updated_at, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		int64(o.ID), int64(o.TenantID), int64(o.CustomerID), nullID(o.ContactID), int64(o.ProcessID), o.Stage, o.Name, o.Amount, o.Currency,
		o.ExpectedCloseDate, o.ForecastCategory, o.Status, o.LossReason, o.Competitor, o.Source, nullMs(o.ClosedAt), nullID(o.OwnerID),
		nullID(o.DepartmentID), string(o.Custom), nullID(o.CreatedBy), o.Version, ms(o.CreatedAt), ms(now), ms(now))
	if err != nil {
		return fmt.Errorf("insert opportunity: %w", err)
	}
	if err := SetExternalID(ctx, tx, "opportunities", o.TenantID, o.ID, o.ExternalID); err != nil {
		return err
	}
	if err := replaceLines(ctx, tx, o); err != nil {
		return err
	}
	_, err = EnterStage(ctx, tx, o.TenantID, o.ID, o.Stage, actorOf(o), o.CreatedAt, now)
	return err
}

func actorOf(o *cohort.Opportunity) cohort.ID { return o.CreatedBy }

func replaceLines(ctx context.Context, tx *Tx, o *cohort.Opportunity) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM opportunity_lines WHERE tenant_id = ? AND opportunity_id = ?", int64(o.TenantID), int64(o.ID)); err != nil {
		return err
	}
	for _, l := range o.Lines {
		_, err := tx.ExecContext(ctx, `INSERT INTO opportunity_lines (tenant_id, id, opportunity_id, product_id, quantity, unit_price, discount_bp, amount)
			VALUES (?,?,?,?,?,?,?,?)`, int64(o.TenantID), tx.db.NewID(), int64(o.ID), int64(l.ProductID), l.Quantity, l.UnitPrice, l.DiscountBP, l.Amount)
		if isForeignKeyViolation(err) {
			return cohort.Errorf(cohort.EINVALID, "lines: no such product %s", l.ProductID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// UpdateOpportunity writes o (and its lines) if its version is still prevVersion.
func UpdateOpportunity(ctx context.Context, tx *Tx, o *cohort.Opportunity, prevVersion int, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE opportunities SET contact_id = ?, stage = ?, name = ?, amount = ?, expected_close_date = ?,
		forecast_category = ?, status = ?, loss_reason = ?, competitor = ?, source = ?, closed_at = ?, owner_id = ?, department_id = ?, custom = ?,
		version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
		nullID(o.ContactID), o.Stage, o.Name, o.Amount, o.ExpectedCloseDate, o.ForecastCategory, o.Status, o.LossReason, o.Competitor, o.Source,
		nullMs(o.ClosedAt), nullID(o.OwnerID), nullID(o.DepartmentID), string(o.Custom), ms(now), int64(o.TenantID), int64(o.ID), prevVersion)
	if err := checkOne(res, err, "opportunity"); err != nil {
		return err
	}
	o.Version, o.UpdatedAt = prevVersion+1, now
	return replaceLines(ctx, tx, o)
}

// FindOpportunity returns an opportunity inside scope, with its lines.
func FindOpportunity(ctx context.Context, q Queryer, tenantID, id cohort.ID, scope Where) (*cohort.Opportunity, error) {
	w := And(Where{"o.tenant_id = ? AND o.id = ?", []any{int64(tenantID), int64(id)}}, scope)
	o := &cohort.Opportunity{}
	err := q.QueryRowContext(ctx, "SELECT "+oppCols+" FROM opportunities o WHERE "+w.SQL, w.Args...).Scan(oppDest(o)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("opportunity")
	}
	if err != nil {
		return nil, fmt.Errorf("find opportunity: %w", err)
	}
	return o, loadLines(ctx, q, tenantID, []*cohort.Opportunity{o})
}

func loadLines(ctx context.Context, q Queryer, tenantID cohort.ID, opps []*cohort.Opportunity) error {
	if len(opps) == 0 {
		return nil
	}
	byID := map[cohort.ID]*cohort.Opportunity{}
	args := []any{int64(tenantID)}
	for _, o := range opps {
		o.Lines = []cohort.OppLine{}
		byID[o.ID] = o
		args = append(args, int64(o.ID))
	}
	rows, err := q.QueryContext(ctx, `SELECT l.opportunity_id, l.product_id, COALESCE(p.name, ''), l.quantity, l.unit_price, l.discount_bp, l.amount
		FROM opportunity_lines l LEFT JOIN products p ON p.tenant_id = l.tenant_id AND p.id = l.product_id
		WHERE l.tenant_id = ? AND l.opportunity_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(opps)), ",")+") ORDER BY l.id", args...)
	if err != nil {
		return fmt.Errorf("load lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var oid cohort.ID
		var l cohort.OppLine
		if err := rows.Scan(idScanner{&oid}, idScanner{&l.ProductID}, &l.ProductName, &l.Quantity, &l.UnitPrice, &l.DiscountBP, &l.Amount); err != nil {
			return err
		}
		if o := byID[oid]; o != nil {
			o.Lines = append(o.Lines, l)
		}
	}
	return rows.Err()
}

// ListOpportunities lists opportunities inside scope, with their lines; walk,
// when given, is the same scope written for walking the sort's index
// (RecordWalkScope).
func ListOpportunities(ctx context.Context, q Queryer, tenantID cohort.ID, scope Where, lq cohort.ListQuery, loc *time.Location, walk ...Where) ([]*cohort.Opportunity, string, error) {
	return ListOpportunitiesSpec(ctx, q, OpportunityList, tenantID, scope, lq, loc, walk...)
}

// ListOpportunitiesSpec lists opportunities with a spec extended by custom fields.
func ListOpportunitiesSpec(ctx context.Context, q Queryer, spec *ListSpec, tenantID cohort.ID, scope Where, lq cohort.ListQuery, loc *time.Location, walk ...Where) ([]*cohort.Opportunity, string, error) {
	tenant := Where{"o.tenant_id = ?", []any{int64(tenantID)}}
	opps, next, err := List(ctx, q, spec, lq, loc, "SELECT "+oppCols+" FROM opportunities o", And(tenant, scope), func() (*cohort.Opportunity, []any) {
		o := &cohort.Opportunity{}
		return o, oppDest(o)
	}, walkBase(tenant, walk)...)
	if err != nil {
		return nil, "", err
	}
	return opps, next, loadLines(ctx, q, tenantID, opps)
}

// EnterStage closes the open stage entry of an opportunity and opens one for
// stage (an outcome such as "won" is entered like a stage) at business time
// at, recorded at now. It returns the earliest entry time of the entries
// it changed (those it closed and the new one): the history before that
// time is as it was.
func EnterStage(ctx context.Context, tx *Tx, tenantID, oppID cohort.ID, stage string, userID cohort.ID, at, now time.Time) (time.Time, error) {
	from := at.UTC().Truncate(time.Millisecond)
	rows, err := tx.QueryContext(ctx, "UPDATE opportunity_stages SET left_at = ? WHERE tenant_id = ? AND opportunity_id = ? AND left_at IS NULL RETURNING entered_at",
		ms(at), int64(tenantID), int64(oppID))
	if err != nil {
		return from, err
	}
	defer rows.Close()
	for rows.Next() {
		var entered time.Time
		if err := rows.Scan(msScanner{&entered}); err != nil {
			return from, err
		}
		if entered.Before(from) {
			from = entered
		}
	}
	if err := rows.Err(); err != nil {
		return from, err
	}
	rows.Close()
	_, err = tx.ExecContext(ctx, "INSERT INTO opportunity_stages (tenant_id, id, opportunity_id, stage, entered_at, user_id, recorded_at) VALUES (?,?,?,?,?,?,?)",
		int64(tenantID), tx.db.NewID(), int64(oppID), stage, ms(at), nullID(userID), ms(now))
	return from, err
}

// LastStageEntry returns when an opportunity entered its current stage.
func LastStageEntry(ctx context.Context, q Queryer, tenantID, oppID cohort.ID) (time.Time, error) {
	var at time.Time
	err := q.QueryRowContext(ctx, "SELECT COALESCE(max(entered_at), 0) FROM opportunity_stages WHERE tenant_id = ? AND opportunity_id = ?",
		int64(tenantID), int64(oppID)).Scan(msScanner{&at})
	return at, err
}

// StageHistory returns the stages an opportunity entered, in order.
func StageHistory(ctx context.Context, q Queryer, tenantID, oppID cohort.ID) ([]cohort.StageEntry, error) {
	rows, err := q.QueryContext(ctx, `SELECT stage, entered_at, left_at, user_id, COALESCE(recorded_at, entered_at) FROM opportunity_stages
		WHERE tenant_id = ? AND opportunity_id = ? ORDER BY entered_at, id`, int64(tenantID), int64(oppID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []cohort.StageEntry{}
	for rows.Next() {
		var e cohort.StageEntry
		if err := rows.Scan(&e.Stage, msScanner{&e.EnteredAt}, nullMsScanner{&e.LeftAt}, idScanner{&e.UserID}, msScanner{&e.RecordedAt}); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LoggedFollowUpTypes returns the follow-up types logged on an opportunity,
// or on its customer since the opportunity was created.
func LoggedFollowUpTypes(ctx context.Context, q Queryer, tenantID cohort.ID, o *cohort.Opportunity) ([]string, error) {
	return queryStrings(ctx, q, `SELECT DISTINCT type FROM followups WHERE tenant_id = ? AND
		((record_type = 'opportunity' AND record_id = ?) OR (customer_id = ? AND occurred_at >= ?))`,
		int64(tenantID), int64(o.ID), int64(o.CustomerID), ms(o.CreatedAt))
}

// ProductCategory groups products.
type ProductCategory struct {
	ID        cohort.ID `json:"id"`
	Name      string    `json:"name"`
	ParentID  cohort.ID `json:"parent_id"`
	CreatedAt time.Time `json:"created_at"`
}

// ListProductCategories returns a tenant's product categories by name.
func ListProductCategories(ctx context.Context, q Queryer, tenantID cohort.ID) ([]ProductCategory, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, name, parent_id, created_at FROM product_categories WHERE tenant_id = ? ORDER BY name", int64(tenantID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ProductCategory{}
	for rows.Next() {
		var c ProductCategory
		if err := rows.Scan(idScanner{&c.ID}, &c.Name, idScanner{&c.ParentID}, msScanner{&c.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// InsertProductCategory adds a category under parent (0 for none).
func InsertProductCategory(ctx context.Context, tx *Tx, tenantID cohort.ID, c *ProductCategory, now time.Time) error {
	if c.ParentID != 0 {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM product_categories WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(c.ParentID)).Scan(&n); err != nil || n == 0 {
			return cohort.Errorf(cohort.EINVALID, "parent_id: no such category")
		}
	}
	c.ID, c.CreatedAt = cohort.ID(tx.db.NewID()), now
	_, err := tx.ExecContext(ctx, "INSERT INTO product_categories (tenant_id, id, name, parent_id, created_at) VALUES (?,?,?,?,?)",
		int64(tenantID), int64(c.ID), c.Name, nullID(c.ParentID), ms(now))
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a category named %q exists already", c.Name)
	}
	return err
}
