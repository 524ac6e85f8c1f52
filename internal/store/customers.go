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

const customerCols = `c.id, c.tenant_id, c.name, c.credit_code, c.industry, c.province, c.city, c.source, c.grade, c.segment,
	c.value_quality, c.deal_size, c.expected_sign_date, c.expected_amount, c.currency, c.milestones, c.status, c.lost_reason,
	c.lost_at, c.first_signed_at, c.owner_id, c.department_id, c.pool_id, c.last_followup_at, c.custom, c.created_by, c.version, c.created_at, c.updated_at,
	c.external_id`

func customerDest(c *cohort.Customer) []any {
	return []any{idScanner{&c.ID}, idScanner{&c.TenantID}, &c.Name, &c.CreditCode, &c.Industry, &c.Province, &c.City, &c.Source,
		&c.Grade, &c.Segment, &c.ValueQuality, &c.DealSize, &c.ExpectedSignDate, &c.ExpectedAmount, &c.Currency, jsonScanner{&c.Milestones},
		&c.Status, &c.LostReason, nullMsScanner{&c.LostAt}, nullMsScanner{&c.FirstSignedAt}, idScanner{&c.OwnerID}, idScanner{&c.DepartmentID},
		idScanner{&c.PoolID}, nullMsScanner{&c.LastFollowUpAt}, rawScanner{&c.Custom}, idScanner{&c.CreatedBy}, &c.Version, msScanner{&c.CreatedAt}, msScanner{&c.UpdatedAt},
		&c.ExternalID}
}

// rawScanner scans a JSON column as raw bytes.
type rawScanner struct{ dst *json.RawMessage }

func (s rawScanner) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*s.dst = json.RawMessage("null")
	case string:
		*s.dst = json.RawMessage(x)
	case []byte:
		*s.dst = append(json.RawMessage(nil), x...)
	default:
		return fmt.Errorf("json: unexpected %T", v)
	}
	return nil
}

// CustomerList is the list spec of customers.
var CustomerList = &ListSpec{
	IDColumn: "c.id",
	Fields: map[string]Field{
		"name":               {Column: "c.name", Sortable: true},
		"credit_code":        {Column: "c.credit_code"},
		"industry":           {Column: "c.industry"},
		"province":           {Column: "c.province"},
		"city":               {Column: "c.city"},
		"source":             {Column: "c.source"},
		"grade":              {Column: "c.grade", Sortable: true},
		"segment":            {Column: "c.segment"},
		"value_quality":      {Column: "c.value_quality"},
		"deal_size":          {Column: "c.deal_size"},
		"expected_sign_date": {Column: "c.expected_sign_date", Sortable: true},
		"expected_amount":    {Column: "c.expected_amount", Type: TInt, Sortable: true},
		"status":             {Column: "c.status", Sortable: true},
		"owner_id":           {Column: "c.owner_id", Type: TID},
		"department_id":      {Column: "c.department_id", Type: TID},
		"pool_id":            {Column: "c.pool_id", Type: TID},
		"last_followup_at":   {Column: "c.last_followup_at", Type: TTime},
		"first_signed_at":    {Column: "c.first_signed_at", Type: TTime},
		"created_at":         {Column: "c.created_at", Type: TTime, Sortable: true},
		"updated_at":         {Column: "c.updated_at", Type: TTime, Sortable: true},
	},
	QColumns:    []string{"c.name", "c.credit_code"},
	DefaultSort: []cohort.SortKey{{Field: "updated_at", Desc: true}},
}

// RecordAccessWhere is AccessWhere for a record with a team: the data scope
// over its owner and department, or a current, unexpired membership of the
// asker in the record's team, whatever the department. A record type without
// a team gets the data scope alone.
//
// It is written as "id IN (scope UNION ALL team)" rather than "scope OR
// EXISTS team": an OR across two tables keeps both engines from using an
// index and turns a salesperson's list into a scan of the whole tenant. UNION
// ALL, not UNION: IN needs no distinct rows, and SQLite made the UNION a merge
// of both halves in id order, which read a group leader's department
// (department_and_children) through the table's key, every opportunity of the
// tenant (85 ms at scale L instead of 18).
func RecordAccessWhere(a cohort.Access, recordType cohort.ObjectType, alias string, now time.Time) Where {
	if _, ok := recordTables[recordType]; !ok {
		// A record type without a team (quotes): the data scope alone.
		return AccessWhere(a, alias+".owner_id", alias+".department_id")
	}
	return RecordIDIn(a, recordType, alias+".id", now)
}

// RecordAccessWhereOn is RecordAccessWhere for a statement on engine, where
// alias is a table (not a subquery). On SQLite the records are named by rowid
// rather than by id: the indexes on owner and department hold the rowid, so
// each record in scope costs one table seek instead of a seek in the
// (tenant_id, id) key and another in the table. A group leader's opportunities
// in scope by stage at scale L (10,000 in his department): 18 ms -> 9 ms.
func RecordAccessWhereOn(engine Engine, a cohort.Access, recordType cohort.ObjectType, alias string, now time.Time) Where {
	table, ok := recordTables[recordType]
	if engine != SQLite || !ok {
		return RecordAccessWhere(a, recordType, alias, now)
	}
	scope := AccessWhere(a, "x.owner_id", "x.department_id")
	if scope.SQL == "" {
		return scope
	}
	args := append(append([]any{int64(a.TenantID)}, scope.Args...), memberArgs(a, recordType, now)...)
	// CROSS JOIN keeps SQLite reading the memberships first.
	return Where{alias + `.rowid IN (SELECT x.rowid FROM ` + table + ` x WHERE x.tenant_id = ? AND (` + scope.SQL + `)
		UNION ALL SELECT x.rowid FROM record_team t CROSS JOIN ` + table + ` x WHERE ` + memberOf + `
		AND x.tenant_id = t.tenant_id AND x.id = t.record_id)`, args}
}

// RecordScope is the data scope a over a list of recordType under alias, as
// every list and lookup of records asks it: RecordAccessWhereOn, and on
// PostgreSQL for a department scope the departments written out
// (RecordAccessWhereDepartments), read through q now.
func RecordScope(ctx context.Context, q Queryer, engine Engine, a cohort.Access, recordType cohort.ObjectType, alias string, now time.Time) (Where, error) {
	w := RecordAccessWhereOn(engine, a, recordType, alias, now)
	if _, team := recordTables[recordType]; team && engine == Postgres {
		depts, ok, err := DepartmentIDs(ctx, q, a)
		if err != nil {
			return Where{}, err
		}
		if ok {
			w = RecordAccessWhereDepartments(a, recordType, alias, depts, now)
		}
	}
	return w, nil
}

// walkShare: a list walks its sort's index for a department scope whose
// departments hold at least one in walkShare of the tenant's people
// (RecordWalkScope).
const walkShare = 10

// RecordWalkScope is the data scope a over a list of recordType under alias
// written for walking the list's sort index, and true, when a is a
// department or department-and-children scope wide enough for it; an empty
// Where and false otherwise (a list then takes RecordScope alone).
//
// RecordScope gathers every record in scope from the department index and
// sorts them: a sales manager's region at scale L is 40,000 customers,
// 31–87 ms a page. The walk instead reads the tenant's records in the
// sort's order and keeps each whose department is one of the scope's
// (AccessDepartments) or whose team holds the asker now, stopping at the
// page's end: about n/share rows for a page of n where the share of the
// tenant's records in scope is share. The join reads share times the
// tenant's records and sorts them. The share is estimated by the tenant's
// people (users) in the scope's departments, one small read: from one in
// walkShare on the walk reads at most about walkShare rows a row of the
// page, where the join reads a tenth of the tenant or more. At scale M (in
// the sqlite3 shell) a group of 16 of 151 people, 2,505 customers, took
// 5–11 ms a page by the join and 1–3 ms by the walk; a department of 6,
// 886 customers, 2 ms either way. The estimate misleads when a scope's
// records cluster in the sort's order (a department whose customers are
// all lost, sorted by status): the walk then reads the tenant's records out
// of scope until it reaches those in scope.
//
// On SQLite the "+" keeps the department column from driving the plan,
// as RecordIDIn's does for the follow-ups of a wide scope.
func RecordWalkScope(ctx context.Context, q Queryer, engine Engine, a cohort.Access, recordType cohort.ObjectType, alias string, now time.Time) (Where, bool, error) {
	depts, ok := AccessDepartments(a)
	if _, team := recordTables[recordType]; !ok || !team {
		return Where{}, false, nil
	}
	var people, in int
	err := q.QueryRowContext(ctx, `SELECT count(*), count(CASE WHEN u.department_id IN (`+depts.SQL+`) THEN 1 END)
		FROM users u WHERE u.tenant_id = ?`, append(append([]any{}, depts.Args...), int64(a.TenantID))...).Scan(&people, &in)
	if err != nil {
		return Where{}, false, fmt.Errorf("people of the scope: %w", err)
	}
	if in == 0 || in*walkShare < people {
		return Where{}, false, nil
	}
	return walkScope(engine, a, recordType, alias, depts, now), true, nil
}

// walkScope is RecordWalkScope's Where over the departments depts.
func walkScope(engine Engine, a cohort.Access, recordType cohort.ObjectType, alias string, depts Where, now time.Time) Where {
	plus := ""
	if engine == SQLite {
		plus = "+"
	}
	args := append(append([]any{}, depts.Args...), string(recordType), int64(a.UserID), ms(now))
	return Where{`(` + plus + alias + `.department_id IN (` + depts.SQL + `) OR EXISTS (SELECT 1 FROM record_team t
		WHERE t.tenant_id = ` + alias + `.tenant_id AND t.record_type = ? AND t.record_id = ` + alias + `.id AND t.user_id = ?
		AND t.valid_to IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)))`, args}
}

// Walkable reports whether a page of lq may walk its sort's index with a
// data scope tested row by row (RecordWalkScope): no filter or search,
// which another index may serve better, and a sort on the list's own
// fields, each of which has an index (TestEverySortIsIndexed), not on a
// custom field, which has none.
func Walkable(lq cohort.ListQuery) bool {
	if len(lq.Filters) > 0 || strings.TrimSpace(lq.Q) != "" {
		return false
	}
	for _, k := range lq.Sort {
		if strings.HasPrefix(k.Field, "custom.") {
			return false
		}
	}
	return true
}

// walkBase is the condition on a list's tenant (and kind) with the walk
// form of its scope, for List, or nothing when there is none.
func walkBase(tenant Where, walk []Where) []Where {
	if len(walk) == 0 || walk[0].SQL == "" {
		return nil
	}
	return []Where{And(tenant, walk[0])}
}

// memberOf is the SQL over record_team t of the asker's current, unexpired
// memberships of records of one type, with memberArgs; every record scope
// shares it (recordScope in the service narrows it to write access by its
// "AND t.valid_to IS NULL").
const memberOf = `t.tenant_id = ? AND t.record_type = ? AND t.user_id = ? AND t.valid_to IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`

func memberArgs(a cohort.Access, recordType cohort.ObjectType, now time.Time) []any {
	return []any{int64(a.TenantID), string(recordType), int64(a.UserID), ms(now)}
}

// DepartmentIDs returns the ids of the departments of a department or
// department-and-children scope (see AccessDepartments), read now, and false
// for any other scope.
func DepartmentIDs(ctx context.Context, q Queryer, a cohort.Access) ([]cohort.ID, bool, error) {
	w, ok := AccessDepartments(a)
	if !ok {
		return nil, false, nil
	}
	rows, err := q.QueryContext(ctx, w.SQL, w.Args...)
	if err != nil {
		return nil, false, fmt.Errorf("departments of the scope: %w", err)
	}
	defer rows.Close()
	var ids []cohort.ID
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, false, err
		}
		ids = append(ids, cohort.ID(id))
	}
	return ids, true, rows.Err()
}

// RecordAccessWhereDepartments is RecordAccessWhere on PostgreSQL for a
// department scope whose departments are depts (see DepartmentIDs): the
// record's department among them, or its id among those of the asker's
// teams. Both halves are on the record's own row, so the planner ORs the
// bitmaps of the department index and the primary key and reads each record
// in scope once, where "id IN (scope UNION ALL team)" probes the primary key
// once per record of the department. With the ids written out, the planner
// knows how many records they hold (as a subquery, it chose the stage index
// and read 40,000 rows). A group leader's opportunities by stage at scale L:
// 43 ms -> 12 ms (EXPLAIN ANALYZE).
func RecordAccessWhereDepartments(a cohort.Access, recordType cohort.ObjectType, alias string, depts []cohort.ID, now time.Time) Where {
	if _, ok := recordTables[recordType]; !ok {
		return AccessWhere(a, alias+".owner_id", alias+".department_id")
	}
	in := "NULL" // no department: the team alone
	var args []any
	if len(depts) > 0 {
		in = strings.TrimSuffix(strings.Repeat("?,", len(depts)), ",")
		for _, d := range depts {
			args = append(args, int64(d))
		}
	}
	args = append(args, memberArgs(a, recordType, now)...)
	return Where{`(` + alias + `.department_id IN (` + in + `) OR ` + alias + `.id = ANY (ARRAY(SELECT t.record_id FROM record_team t
		WHERE ` + memberOf + `)))`, args}
}

// RecordIDIn is RecordAccessWhere over any column holding the record's id,
// such as f.customer_id for the follow-ups of the customers one may see.
func RecordIDIn(a cohort.Access, recordType cohort.ObjectType, col string, now time.Time) Where {
	ids, ok := recordIDs(a, recordType, now)
	if !ok {
		return ids
	}
	return Where{col + ` IN (` + ids.SQL + `)`, ids.Args}
}

// recordIDs is the query of the ids of the records of recordType in scope
// a, and false when there is none to ask: every record is visible (an
// empty Where) or none is ("1 = 0").
func recordIDs(a cohort.Access, recordType cohort.ObjectType, now time.Time) (Where, bool) {
	scope := AccessWhere(a, "x.owner_id", "x.department_id")
	if scope.SQL == "" {
		return scope, false
	}
	table, ok := recordTables[recordType]
	if !ok {
		return Where{SQL: "1 = 0"}, false // no such record type: nothing is visible
	}
	args := append(append([]any{int64(a.TenantID)}, scope.Args...), memberArgs(a, recordType, now)...)
	return Where{`SELECT x.id FROM ` + table + ` x WHERE x.tenant_id = ? AND (` + scope.SQL + `)
		UNION ALL SELECT t.record_id FROM record_team t WHERE ` + memberOf, args}, true
}

// CountInScope counts the records of recordType in scope a, stopping at
// limit; -1 when the scope holds every record.
func CountInScope(ctx context.Context, q Queryer, a cohort.Access, recordType cohort.ObjectType, now time.Time, limit int) (int, error) {
	ids, ok := recordIDs(a, recordType, now)
	if !ok {
		if ids.SQL == "" {
			return -1, nil
		}
		return 0, nil
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM (`+ids.SQL+` LIMIT ?) s`, append(ids.Args, limit)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count the scope: %w", err)
	}
	return n, nil
}

// RecordAccessOne is RecordAccessWhere for finding one record by its key:
// the data scope over its own columns OR a team membership of that record.
// RecordAccessWhere gathers the whole scope first (every record the asker
// owns, for example), which a lookup by key does not need: logging a
// follow-up spent more than half of its time there at scale L.
func RecordAccessOne(a cohort.Access, recordType cohort.ObjectType, alias string, now time.Time) Where {
	scope := AccessWhere(a, alias+".owner_id", alias+".department_id")
	if _, ok := recordTables[recordType]; !ok || scope.SQL == "" {
		return scope
	}
	return Where{"(" + scope.SQL + `) OR EXISTS (SELECT 1 FROM record_team t WHERE t.tenant_id = ` + alias + `.tenant_id
		AND t.record_type = ? AND t.record_id = ` + alias + `.id AND t.user_id = ? AND t.valid_to IS NULL
		AND (t.expires_at IS NULL OR t.expires_at > ?))`,
		append(scope.Args, string(recordType), int64(a.UserID), ms(now))}
}

// InsertCustomer inserts c.
func InsertCustomer(ctx context.Context, tx *Tx, c *cohort.Customer, now time.Time) error {
	if c.ID == 0 {
		c.ID = cohort.ID(tx.db.NewID())
	}
	c.Version, c.CreatedAt, c.UpdatedAt = 1, createdAt(c.CreatedAt, now), now
	ms1, _ := json.Marshal(c.Milestones)
	_, err := tx.ExecContext(ctx, `INSERT INTO customers (id, tenant_id, name, name_key, credit_code, industry, province, city, source, grade,
		segment, value_quality, deal_size, expected_sign_date, expected_amount, currency, milestones, status, lost_reason, lost_at,
		first_signed_at, owner_id, department_id, last_followup_at, custom, created_by, version, created_at, updated_at, owned_since, recorded_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		int64(c.ID), int64(c.TenantID), c.Name, cohort.CompanyKey(c.Name), c.CreditCode, c.Industry, c.Province, c.City, c.Source, c.Grade,
		c.Segment, c.ValueQuality, c.DealSize, c.ExpectedSignDate, c.ExpectedAmount, c.Currency, string(ms1), c.Status, c.LostReason,
		nullMs(c.LostAt), nullMs(c.FirstSignedAt), nullID(c.OwnerID), nullID(c.DepartmentID), nullMs(c.LastFollowUpAt), string(c.Custom),
		nullID(c.CreatedBy), c.Version, ms(c.CreatedAt), ms(now), ownedSince(c.OwnerID, now), ms(now))
	if err != nil {
		return fmt.Errorf("insert customer: %w", err)
	}
	return SetExternalID(ctx, tx, "customers", c.TenantID, c.ID, c.ExternalID)
}

// ownedSince is the owned_since of a customer owned by ownerID from now on:
// the pool rules count from it.
func ownedSince(ownerID cohort.ID, now time.Time) any {
	if ownerID == 0 {
		return nil
	}
	return ms(now)
}

// UpdateCustomer writes c if its version is still prevVersion.
func UpdateCustomer(ctx context.Context, tx *Tx, c *cohort.Customer, prevVersion int, now time.Time) error {
	ms1, _ := json.Marshal(c.Milestones)
	res, err := tx.ExecContext(ctx, `UPDATE customers SET name = ?, name_key = ?, credit_code = ?, industry = ?, province = ?, city = ?,
		source = ?, grade = ?, segment = ?, value_quality = ?, deal_size = ?, expected_sign_date = ?, expected_amount = ?, milestones = ?,
		status = ?, lost_reason = ?, lost_at = ?, first_signed_at = ?,
		owned_since = CASE WHEN owner_id IS NOT DISTINCT FROM ? THEN owned_since ELSE ? END,
		owner_id = ?, department_id = ?, last_followup_at = ?, custom = ?,
		version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
		c.Name, cohort.CompanyKey(c.Name), c.CreditCode, c.Industry, c.Province, c.City, c.Source, c.Grade, c.Segment, c.ValueQuality,
		c.DealSize, c.ExpectedSignDate, c.ExpectedAmount, string(ms1), c.Status, c.LostReason, nullMs(c.LostAt), nullMs(c.FirstSignedAt),
		nullID(c.OwnerID), ownedSince(c.OwnerID, now),
		nullID(c.OwnerID), nullID(c.DepartmentID), nullMs(c.LastFollowUpAt), string(c.Custom), ms(now),
		int64(c.TenantID), int64(c.ID), prevVersion)
	if err := checkOne(res, err, "customer"); err != nil {
		return err
	}
	c.Version, c.UpdatedAt = prevVersion+1, now
	return nil
}

// FindCustomer returns a customer inside scope (an empty Where for none).
func FindCustomer(ctx context.Context, q Queryer, tenantID, id cohort.ID, scope Where) (*cohort.Customer, error) {
	w := And(Where{"c.tenant_id = ? AND c.id = ?", []any{int64(tenantID), int64(id)}}, scope)
	c := &cohort.Customer{}
	err := q.QueryRowContext(ctx, "SELECT "+customerCols+" FROM customers c WHERE "+w.SQL, w.Args...).Scan(customerDest(c)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("customer")
	}
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	return c, nil
}

// ListCustomers lists customers inside scope; walk, when given, is the same
// scope written for walking the sort's index (RecordWalkScope).
func ListCustomers(ctx context.Context, q Queryer, tenantID cohort.ID, scope Where, lq cohort.ListQuery, loc *time.Location, walk ...Where) ([]*cohort.Customer, string, error) {
	return ListCustomersSpec(ctx, q, CustomerList, tenantID, scope, lq, loc, walk...)
}

// ListCustomersSpec lists customers with a list spec extended by custom fields.
func ListCustomersSpec(ctx context.Context, q Queryer, spec *ListSpec, tenantID cohort.ID, scope Where, lq cohort.ListQuery, loc *time.Location, walk ...Where) ([]*cohort.Customer, string, error) {
	tenant := Where{"c.tenant_id = ?", []any{int64(tenantID)}}
	return List(ctx, q, spec, lq, loc, "SELECT "+customerCols+" FROM customers c", And(tenant, scope), func() (*cohort.Customer, []any) {
		c := &cohort.Customer{}
		return c, customerDest(c)
	}, walkBase(tenant, walk)...)
}

// DuplicateCustomers finds customers of a tenant whose normalised name or
// credit code matches, other than except.
func DuplicateCustomers(ctx context.Context, q Queryer, tenantID cohort.ID, name, creditCode string, except cohort.ID) ([]*cohort.Customer, error) {
	w := Where{"c.tenant_id = ? AND c.id <> ? AND (c.name_key = ?", []any{int64(tenantID), int64(except), cohort.CompanyKey(name)}}
	if creditCode != "" {
		w.SQL += " OR c.credit_code = ?"
		w.Args = append(w.Args, creditCode)
	}
	w.SQL += ")"
	rows, err := q.QueryContext(ctx, "SELECT "+customerCols+" FROM customers c WHERE "+w.SQL+" LIMIT 10", w.Args...)
	if err != nil {
		return nil, fmt.Errorf("find duplicates: %w", err)
	}
	defer rows.Close()
	var out []*cohort.Customer
	for rows.Next() {
		c := &cohort.Customer{}
		if err := rows.Scan(customerDest(c)...); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// --- contacts

const contactCols = "k.id, k.tenant_id, k.customer_id, k.name, k.title, k.phone, k.email, k.wechat, k.is_primary, k.custom, k.version, k.created_at, k.updated_at, k.external_id"

func contactDest(c *cohort.Contact) []any {
	return []any{idScanner{&c.ID}, idScanner{&c.TenantID}, idScanner{&c.CustomerID}, &c.Name, &c.Title, &c.Phone, &c.Email, &c.WeChat,
		&c.IsPrimary, rawScanner{&c.Custom}, &c.Version, msScanner{&c.CreatedAt}, msScanner{&c.UpdatedAt}, &c.ExternalID}
}

// InsertContact inserts c; a primary contact makes the others non-primary.
func InsertContact(ctx context.Context, tx *Tx, c *cohort.Contact, now time.Time) error {
	c.ID, c.Version, c.CreatedAt, c.UpdatedAt = cohort.ID(tx.db.NewID()), 1, createdAt(c.CreatedAt, now), now
	if c.IsPrimary {
		if err := clearPrimary(ctx, tx, c.TenantID, c.CustomerID); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO contacts (id, tenant_id, customer_id, name, title, phone, email, wechat, is_primary, custom,
		version, created_at, updated_at, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, int64(c.ID), int64(c.TenantID), int64(c.CustomerID), c.Name,
		c.Title, c.Phone, c.Email, c.WeChat, c.IsPrimary, string(c.Custom), c.Version, ms(c.CreatedAt), ms(now), ms(now))
	if err != nil {
		return err
	}
	return SetExternalID(ctx, tx, "contacts", c.TenantID, c.ID, c.ExternalID)
}

func clearPrimary(ctx context.Context, tx *Tx, tenantID, customerID cohort.ID) error {
	_, err := tx.ExecContext(ctx, "UPDATE contacts SET is_primary = FALSE WHERE tenant_id = ? AND customer_id = ? AND is_primary",
		int64(tenantID), int64(customerID))
	return err
}

// UpdateContact writes c if its version is still prevVersion.
func UpdateContact(ctx context.Context, tx *Tx, c *cohort.Contact, prevVersion int, now time.Time) error {
	if c.IsPrimary {
		if err := clearPrimary(ctx, tx, c.TenantID, c.CustomerID); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE contacts SET name = ?, title = ?, phone = ?, email = ?, wechat = ?, is_primary = ?, custom = ?,
		version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`, c.Name, c.Title, c.Phone, c.Email, c.WeChat,
		c.IsPrimary, string(c.Custom), ms(now), int64(c.TenantID), int64(c.ID), prevVersion)
	if err := checkOne(res, err, "contact"); err != nil {
		return err
	}
	c.Version, c.UpdatedAt = prevVersion+1, now
	return nil
}

// FindContact returns one contact.
func FindContact(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.Contact, error) {
	c := &cohort.Contact{}
	err := q.QueryRowContext(ctx, "SELECT "+contactCols+" FROM contacts k WHERE k.tenant_id = ? AND k.id = ?", int64(tenantID), int64(id)).Scan(contactDest(c)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("contact")
	}
	return c, err
}

// ListContacts returns a customer's contacts, primary first.
func ListContacts(ctx context.Context, q Queryer, tenantID, customerID cohort.ID) ([]*cohort.Contact, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+contactCols+" FROM contacts k WHERE k.tenant_id = ? AND k.customer_id = ? ORDER BY k.is_primary DESC, k.id",
		int64(tenantID), int64(customerID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*cohort.Contact{}
	for rows.Next() {
		c := &cohort.Contact{}
		if err := rows.Scan(contactDest(c)...); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteContact deletes a contact no follow-up names.
func DeleteContact(ctx context.Context, tx *Tx, tenantID, id cohort.ID, version int) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM followups WHERE tenant_id = ? AND contact_id = ?", int64(tenantID), int64(id)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return cohort.Errorf(cohort.ECONFLICT, "the contact is named in %d follow-ups and is kept for them", n)
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM contacts WHERE tenant_id = ? AND id = ? AND version = ?", int64(tenantID), int64(id), version)
	return checkOne(res, err, "contact")
}

// CustomersByContact finds customers of a tenant with a contact whose phone
// or email matches, other than except.
func CustomersByContact(ctx context.Context, q Queryer, tenantID cohort.ID, phones, emails []string, except cohort.ID) ([]cohort.ID, error) {
	if len(phones)+len(emails) == 0 {
		return nil, nil
	}
	var ors []string
	args := []any{int64(tenantID), int64(except)}
	for _, p := range phones {
		ors = append(ors, "k.phone = ?")
		args = append(args, p)
	}
	for _, e := range emails {
		ors = append(ors, "k.email = ?")
		args = append(args, e)
	}
	rows, err := q.QueryContext(ctx, "SELECT DISTINCT k.customer_id FROM contacts k WHERE k.tenant_id = ? AND k.customer_id <> ? AND ("+
		strings.Join(ors, " OR ")+") LIMIT 20", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cohort.ID
	for rows.Next() {
		var id cohort.ID
		if err := rows.Scan(idScanner{&id}); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// MergeCounts says how many rows a merge moved.
type MergeCounts struct {
	Contacts      int64 `json:"contacts"`
	FollowUps     int64 `json:"followups"`
	NextActions   int64 `json:"next_actions"`
	Opportunities int64 `json:"opportunities"`
	Leads         int64 `json:"leads"`
	PoolEvents    int64 `json:"pool_events"`
	Deals         int64 `json:"deals"`
	Projects      int64 `json:"projects"`
	Tickets       int64 `json:"tickets"`
	Expenses      int64 `json:"expenses"`
	TeamHistory   int64 `json:"team_history"`
}

// MoveCustomerRecords points every record of customer from at customer to.
// Closed team memberships move too, so that credit history survives; the
// current team is the service's to settle.
func MoveCustomerRecords(ctx context.Context, tx *Tx, tenantID, from, to cohort.ID) (MergeCounts, error) {
	var mc MergeCounts
	for _, m := range []struct {
		n   *int64
		sql string
	}{
		{&mc.Contacts, "UPDATE contacts SET customer_id = ?, is_primary = FALSE WHERE tenant_id = ? AND customer_id = ?"},
		{&mc.FollowUps, "UPDATE followups SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?"},
		{&mc.NextActions, "UPDATE next_actions SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?"},
		{&mc.Opportunities, "UPDATE opportunities SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?"},
		{&mc.Leads, "UPDATE leads SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?"},
		{&mc.PoolEvents, "UPDATE pool_events SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?"},
		{&mc.Deals, "UPDATE deals SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?"},
		{&mc.Projects, "UPDATE projects SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?"},
		{&mc.Tickets, "UPDATE tickets SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?"},
		{&mc.Expenses, "UPDATE expenses SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?"},
		{&mc.TeamHistory, "UPDATE record_team SET record_id = ? WHERE tenant_id = ? AND record_type = 'customer' AND record_id = ? AND valid_to IS NOT NULL"},
	} {
		res, err := tx.ExecContext(ctx, m.sql, int64(to), int64(tenantID), int64(from))
		if err != nil {
			return mc, fmt.Errorf("merge: %w", err)
		}
		*m.n, _ = res.RowsAffected()
	}
	// The facts of the records moved belong to the survivor now: the
	// caller moves them (facts.Update; the two customers' own facts are
	// rewritten by the merge).
	return mc, nil
}

// DeleteCustomer deletes a customer row with no records left on it.
func DeleteCustomer(ctx context.Context, tx *Tx, tenantID, id cohort.ID) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM record_team WHERE tenant_id = ? AND record_type = 'customer' AND record_id = ?", int64(tenantID), int64(id)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "DELETE FROM customers WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id))
	return err
}
