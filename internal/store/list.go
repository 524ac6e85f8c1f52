package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
)

// FieldType says how a list field's filter values and cursor values parse.
type FieldType int

// Field types.
const (
	TString FieldType = iota
	TInt
	TID
	TTime // stored as Unix milliseconds
	TBool
	TFloat
)

// Field is one filterable or sortable field of a list.
type Field struct {
	// Column is the SQL expression; a sortable one must never be NULL.
	Column   string
	Type     FieldType
	Sortable bool
	// Contains, when set, is the SQL (with one '?') that "eq" uses instead of
	// equality: membership in a list-valued field.
	Contains string
}

// ListSpec describes a list: its fields, its free-text columns and its default
// order. The row id is always the last sort key, so every order is total and
// keyset paging is stable.
type ListSpec struct {
	IDColumn    string
	Fields      map[string]Field
	QColumns    []string
	DefaultSort []cohort.SortKey
}

// Where is a fragment of SQL with its arguments.
type Where struct {
	SQL  string
	Args []any
}

// And joins fragments with AND, skipping empty ones.
func And(ws ...Where) Where {
	var parts []string
	var args []any
	for _, w := range ws {
		if w.SQL == "" {
			continue
		}
		parts = append(parts, "("+w.SQL+")")
		args = append(args, w.Args...)
	}
	return Where{SQL: strings.Join(parts, " AND "), Args: args}
}

type listPlan struct {
	where   Where
	match   Where // the filters, search and scope without the cursor
	orderBy string
	keys    []sortCol
	limit   int
}

type sortCol struct {
	col  string
	typ  FieldType
	desc bool
}

func badRequest(format string, args ...any) error {
	return cohort.Errorf(cohort.EBADREQUEST, format, args...)
}

func (s *ListSpec) plan(lq cohort.ListQuery, base Where, loc *time.Location) (*listPlan, error) {
	p := &listPlan{limit: lq.Limit}
	if p.limit <= 0 {
		p.limit = cohort.DefaultLimit
	}
	if p.limit > cohort.MaxLimit {
		return nil, badRequest("limit must be at most %d", cohort.MaxLimit)
	}
	conds := []Where{base}
	for _, f := range lq.Filters {
		fd, ok := s.Fields[f.Field]
		if !ok || strings.HasPrefix(f.Field, "sort:") {
			return nil, badRequest("cannot filter on %q", f.Field)
		}
		w, err := filterSQL(fd, f, loc)
		if err != nil {
			return nil, err
		}
		conds = append(conds, w)
	}
	if q := strings.TrimSpace(lq.Q); q != "" && len(s.QColumns) > 0 {
		pat := "%" + escapeLike(strings.ToLower(q)) + "%"
		var ors []string
		var args []any
		for _, c := range s.QColumns {
			ors = append(ors, "lower("+c+") LIKE ? ESCAPE '\\'")
			args = append(args, pat)
		}
		conds = append(conds, Where{strings.Join(ors, " OR "), args})
	}
	sort := lq.Sort
	if len(sort) == 0 {
		sort = s.DefaultSort
	}
	desc := true
	for i, k := range sort {
		// A field may name a separate expression to sort by ("sort:" + name).
		fd, ok := s.Fields["sort:"+k.Field]
		if !ok {
			fd, ok = s.Fields[k.Field]
			ok = ok && fd.Sortable
		}
		if !ok {
			return nil, badRequest("cannot sort on %q", k.Field)
		}
		if i == 0 {
			desc = k.Desc
		}
		p.keys = append(p.keys, sortCol{fd.Column, fd.Type, k.Desc})
	}
	p.keys = append(p.keys, sortCol{s.IDColumn, TID, desc})
	var ob []string
	for _, k := range p.keys {
		d := " ASC"
		if k.desc {
			d = " DESC"
		}
		ob = append(ob, k.col+d)
	}
	p.orderBy = strings.Join(ob, ", ")
	p.match = And(conds...)
	if lq.Cursor != "" {
		vals, err := decodeCursor(lq.Cursor, p.keys)
		if err != nil {
			return nil, err
		}
		conds = append(conds, keysetWhere(p.keys, vals))
	}
	p.where = And(conds...)
	return p, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func parseValue(t FieldType, s string, loc *time.Location) (any, error) {
	switch t {
	case TInt:
		return strconv.ParseInt(s, 10, 64)
	case TID:
		id, err := cohort.ParseID(s)
		return int64(id), err
	case TBool:
		return strconv.ParseBool(s)
	case TFloat:
		return strconv.ParseFloat(s, 64)
	case TTime:
		if ts, err := time.Parse(time.RFC3339, s); err == nil {
			return ts.UnixMilli(), nil
		}
		if loc == nil {
			loc = time.UTC
		}
		d, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil {
			return nil, fmt.Errorf("not a date or RFC 3339 time")
		}
		return d.UnixMilli(), nil
	}
	return s, nil
}

func filterSQL(fd Field, f cohort.Filter, loc *time.Location) (Where, error) {
	col := fd.Column
	switch f.Op {
	case "isnull":
		return Where{SQL: col + " IS NULL"}, nil
	case "notnull":
		return Where{SQL: col + " IS NOT NULL"}, nil
	case "like":
		if len(f.Values) != 1 {
			return Where{}, badRequest("filter %s:like takes one value", f.Field)
		}
		return Where{"lower(" + col + ") LIKE ? ESCAPE '\\'", []any{"%" + escapeLike(strings.ToLower(f.Values[0])) + "%"}}, nil
	}
	if f.Op == "eq" && fd.Contains != "" {
		if len(f.Values) != 1 {
			return Where{}, badRequest("filter %s:eq takes one value", f.Field)
		}
		return Where{fd.Contains, []any{f.Values[0]}}, nil
	}
	ops := map[string]string{"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
	var args []any
	for _, v := range f.Values {
		x, err := parseValue(fd.Type, v, loc)
		if err != nil {
			return Where{}, badRequest("filter %s: %q is not a valid value", f.Field, v)
		}
		args = append(args, x)
	}
	if f.Op == "in" {
		if len(args) == 0 || len(args) > 500 {
			return Where{}, badRequest("filter %s:in takes 1 to 500 values", f.Field)
		}
		return Where{col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", len(args)), ",") + ")", args}, nil
	}
	op, ok := ops[f.Op]
	if !ok {
		return Where{}, badRequest("unknown filter operator %q", f.Op)
	}
	if len(args) != 1 {
		return Where{}, badRequest("filter %s:%s takes one value", f.Field, f.Op)
	}
	return Where{col + " " + op + " ?", args}, nil
}

// keysetWhere selects the rows after vals in the order of keys:
// (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...
func keysetWhere(keys []sortCol, vals []any) Where {
	var ors []string
	var args []any
	for i := range keys {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, keys[j].col+" = ?")
			args = append(args, vals[j])
		}
		op := " > ?"
		if keys[i].desc {
			op = " < ?"
		}
		ands = append(ands, keys[i].col+op)
		args = append(args, vals[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	// A bound on the first sort column, implied by the ORs, lets the
	// engine seek into an index on it instead of scanning from its start.
	op := " >= ?"
	if keys[0].desc {
		op = " <= ?"
	}
	return Where{keys[0].col + op + " AND (" + strings.Join(ors, " OR ") + ")", append([]any{vals[0]}, args...)}
}

func encodeCursor(vals []any) string {
	ss := make([]string, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case []byte:
			ss[i] = string(x)
		case time.Time:
			ss[i] = strconv.FormatInt(x.UnixMilli(), 10)
		case bool:
			ss[i] = strconv.FormatBool(x)
		default:
			ss[i] = fmt.Sprint(x)
		}
	}
	b, _ := json.Marshal(ss)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string, keys []sortCol) ([]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	var ss []string
	if err == nil {
		err = json.Unmarshal(b, &ss)
	}
	if err != nil || len(ss) != len(keys) {
		return nil, badRequest("the cursor is not valid for this list")
	}
	out := make([]any, len(ss))
	for i, s := range ss {
		switch keys[i].typ {
		case TString:
			out[i] = s
		case TBool:
			v, err := strconv.ParseBool(s)
			if err != nil {
				return nil, badRequest("the cursor is not valid for this list")
			}
			out[i] = v
		case TFloat:
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, badRequest("the cursor is not valid for this list")
			}
			out[i] = v
		default:
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, badRequest("the cursor is not valid for this list")
			}
			out[i] = v
		}
	}
	return out, nil
}

// List runs a keyset-paged list query. selectSQL is "SELECT cols FROM table"
// (with any joins); newRow returns a fresh item and the scan destinations of
// its columns in select order. It returns the page and the cursor of the next
// one ("" on the last page).
//
// walk, when given and not empty, is base with its data scope written to be
// tested row by row (RecordWalkScope): the same rows, which the page then
// reads by walking its sort's index and stopping at the limit. The count
// still reads base, whose scope the engine gathers from the scope's own
// indexes.
func List[T any](ctx context.Context, q Queryer, spec *ListSpec, lq cohort.ListQuery, loc *time.Location,
	selectSQL string, base Where, newRow func() (T, []any), walk ...Where) ([]T, string, error) {
	p, err := spec.plan(lq, base, loc)
	if err != nil {
		return nil, "", err
	}
	match := p.match
	if len(walk) > 0 && walk[0].SQL != "" {
		if p, err = spec.plan(lq, walk[0], loc); err != nil {
			return nil, "", err
		}
	}
	var keyCols []string
	for _, k := range p.keys {
		keyCols = append(keyCols, k.col)
	}
	query := strings.Replace(selectSQL, "SELECT ", "SELECT "+strings.Join(keyCols, ", ")+", ", 1)
	if p.where.SQL != "" {
		query += " WHERE " + p.where.SQL
	}
	query += " ORDER BY " + p.orderBy + " LIMIT " + strconv.Itoa(p.limit+1)
	if lq.Total != nil {
		if err := count(ctx, q, selectSQL, match, lq.Total); err != nil {
			return nil, "", err
		}
	}
	rows, err := q.QueryContext(ctx, query, p.where.Args...)
	if err != nil {
		return nil, "", fmt.Errorf("list: %w", err)
	}
	defer rows.Close()
	var items []T
	var last []any
	for rows.Next() {
		item, dest := newRow()
		keys := make([]any, len(p.keys))
		kd := make([]any, len(keys))
		for i := range keys {
			kd[i] = &keys[i]
		}
		if err := rows.Scan(append(kd, dest...)...); err != nil {
			return nil, "", fmt.Errorf("list: scan: %w", err)
		}
		if len(items) == p.limit {
			return items, encodeCursor(last), rows.Err()
		}
		items = append(items, item)
		last = keys
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list: %w", err)
	}
	return items, "", nil
}

// maxExactTotal is cohort.MaxExactTotal, lowered by tests.
var maxExactTotal = cohort.MaxExactTotal

// count sets t to the number of rows of selectSQL matching where, reading at
// most cohort.MaxExactTotal+1 of them: the count walks the same index the
// list does and never evaluates the list's columns.
func count(ctx context.Context, q Queryer, selectSQL string, where Where, t *cohort.Total) error {
	from := topLevelFrom(selectSQL)
	if from < 0 {
		return fmt.Errorf("list: count: no FROM in %q", selectSQL)
	}
	inner := "SELECT 1" + selectSQL[from:]
	if where.SQL != "" {
		inner += " WHERE " + where.SQL
	}
	inner += " LIMIT " + strconv.Itoa(maxExactTotal+1)
	var n int64
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM ("+inner+") n", where.Args...).Scan(&n); err != nil {
		return fmt.Errorf("list: count: %w", err)
	}
	t.N, t.Exact = n, n <= int64(maxExactTotal)
	if !t.Exact {
		t.N = int64(maxExactTotal)
	}
	return nil
}

// topLevelFrom is the offset of the first " FROM " of a SELECT outside
// parentheses (a column may be a subquery), or -1.
func topLevelFrom(q string) int {
	depth := 0
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ' ', '\n', '\t':
			if depth == 0 && len(q)-i > 6 && strings.EqualFold(q[i+1:i+5], "FROM") && (q[i+5] == ' ' || q[i+5] == '\n' || q[i+5] == '\t') {
				return i
			}
		}
	}
	return -1
}

// AccessWhere renders an Access (decided by the service) into SQL over a
// table whose owner column is ownerCol and whose department column is
// deptCol. Later record types OR in their record-team membership.
func AccessWhere(a cohort.Access, ownerCol, deptCol string) Where {
	switch a.Scope {
	case cohort.ScopeAll:
		return Where{}
	case cohort.ScopeOwnAndSubordinates:
		return Where{ownerCol + ` IN (WITH RECURSIVE sub(id) AS (
			SELECT CAST(? AS BIGINT) UNION SELECT u.id FROM users u JOIN sub ON u.manager_id = sub.id WHERE u.tenant_id = ?)
			SELECT id FROM sub)`, []any{int64(a.UserID), int64(a.TenantID)}}
	case cohort.ScopeDepartment:
		if a.DepartmentID == 0 {
			return Where{ownerCol + " = ?", []any{int64(a.UserID)}}
		}
		return Where{deptCol + " = ?", []any{int64(a.DepartmentID)}}
	case cohort.ScopeDepartmentAndChildren:
		if a.DepartmentPath == "" {
			return Where{ownerCol + " = ?", []any{int64(a.UserID)}}
		}
		return Where{deptCol + " IN (SELECT d.id FROM departments d WHERE d.tenant_id = ? AND d.path LIKE ?)",
			[]any{int64(a.TenantID), a.DepartmentPath + "%"}}
	default:
		return Where{ownerCol + " = ?", []any{int64(a.UserID)}}
	}
}

// AccessDepartments returns a query of the ids of the departments whose
// records make up the data scope a, for a department or
// department-and-children scope, and false for any other scope. With the
// index on (tenant_id, department_id) it names a wide scope's rows without
// reading them (see search.Scope.Departments).
func AccessDepartments(a cohort.Access) (Where, bool) {
	switch {
	case a.Scope == cohort.ScopeDepartment && a.DepartmentID != 0:
		return Where{"SELECT CAST(? AS BIGINT)", []any{int64(a.DepartmentID)}}, true
	case a.Scope == cohort.ScopeDepartmentAndChildren && a.DepartmentPath != "":
		return Where{"SELECT dd.id FROM departments dd WHERE dd.tenant_id = ? AND dd.path LIKE ?",
			[]any{int64(a.TenantID), a.DepartmentPath + "%"}}, true
	}
	return Where{}, false
}

// ms and friends convert between time.Time and stored Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

// AsStored returns t as a time column gives it back: whole milliseconds, UTC.
func AsStored(t time.Time) time.Time { return fromMs(ms(t)) }

func nullMs(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func fromNullMs(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMs(v.Int64)
	return &t
}

// nullID stores the zero ID as NULL.
func nullID(id cohort.ID) any {
	if id == 0 {
		return nil
	}
	return int64(id)
}

// idScanner scans a nullable id column into a cohort.ID.
type idScanner struct{ dst *cohort.ID }

func (s idScanner) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*s.dst = 0
	case int64:
		*s.dst = cohort.ID(x)
	default:
		return fmt.Errorf("id: unexpected %T", v)
	}
	return nil
}

// msScanner scans a Unix-milliseconds column into a time.Time.
type msScanner struct{ dst *time.Time }

func (s msScanner) Scan(v any) error {
	x, ok := v.(int64)
	if !ok {
		return fmt.Errorf("time: unexpected %T", v)
	}
	*s.dst = fromMs(x)
	return nil
}

// nullMsScanner scans a nullable Unix-milliseconds column.
type nullMsScanner struct{ dst **time.Time }

func (s nullMsScanner) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*s.dst = nil
	case int64:
		t := fromMs(x)
		*s.dst = &t
	default:
		return fmt.Errorf("time: unexpected %T", v)
	}
	return nil
}

// jsonScanner scans a JSON column (TEXT in SQLite, JSONB in PostgreSQL).
type jsonScanner struct{ dst any }

func (s jsonScanner) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(x), s.dst)
	case []byte:
		return json.Unmarshal(x, s.dst)
	}
	return fmt.Errorf("json: unexpected %T", v)
}
