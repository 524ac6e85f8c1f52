package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// DrillQuery asks for the facts behind one cell: the metric, the query's
// period, role and filters, plus one filter per dimension of the cell with
// its key (a time dimension's key is its bucket label).
type DrillQuery struct {
	Metric  string   `json:"metric" openapi:"required" example:"signed_amount"`
	Filters []Filter `json:"filters" example:"[{\"dimension\": \"month\", \"values\": [\"2026-03\"]}]"`
	From    string   `json:"from" openapi:"required" example:"2026-01-01"`
	To      string   `json:"to" openapi:"required" example:"2026-04-01"`
	Role    string   `json:"role" example:"owner"`
	// AsOf is the as-of date of as-of figures (see Query.AsOf).
	AsOf string `json:"as_of" example:""`
	// Limit caps the facts returned (default 200, at most 1000).
	Limit int `json:"limit" example:"200"`
}

// DrillRow is one fact behind a cell, with the record it is about.
type DrillRow struct {
	Kind       string    `json:"kind"`
	RecordType string    `json:"record_type"`
	RecordID   cohort.ID `json:"record_id"`
	// RecordName names the record: an opportunity's or project's name, a
	// document's name (else its number), a ticket's subject, a customer's
	// name; "" for others (follow-ups, expenses, leads, next actions).
	RecordName   string    `json:"record_name"`
	CustomerID   cohort.ID `json:"customer_id"`
	CustomerName string    `json:"customer_name"`
	UserID       cohort.ID `json:"user_id"`
	UserName     string    `json:"user_name"`
	Role         string    `json:"role"`
	ShareBP      int       `json:"share_bp"`
	OccurredAt   time.Time `json:"occurred_at"`
	Date         string    `json:"date"`
	Amount       int64     `json:"amount"`
	Credited     float64   `json:"credited"`
	DurationS    int64     `json:"duration_s"`
	N            int64     `json:"n"`
	Stage        string    `json:"stage"`
	Attr         string    `json:"attr"`
	ProductID    cohort.ID `json:"product_id"`
}

// Drill is the answer of a drill-down: the facts, oldest first, and whether
// more were left off.
type Drill struct {
	Metric    string     `json:"metric"`
	Items     []DrillRow `json:"items"`
	Truncated bool       `json:"truncated"`
}

// RunDrill lists the facts behind a cell of metric, inside env's scope: the
// facts of every aggregate the metric is computed from.
func RunDrill(ctx context.Context, db store.Queryer, env Env, d DrillQuery) (*Drill, error) {
	if d.Limit == 0 {
		d.Limit = 200
	}
	if d.Limit < 1 || d.Limit > MaxDrill {
		return nil, &cohort.Error{Code: cohort.EINVALID, Message: fmt.Sprintf("limit: must be 1 to %d", MaxDrill),
			Fields: []cohort.FieldError{{Field: "limit", Message: fmt.Sprintf("must be 1 to %d", MaxDrill)}}}
	}
	c, err := compile(ctx, db, &env, Query{Metrics: []string{d.Metric}, Filters: d.Filters, From: d.From, To: d.To, Role: d.Role, AsOf: d.AsOf})
	if err != nil {
		var e *cohort.Error
		if errors.As(err, &e) {
			for i := range e.Fields {
				e.Fields[i].Field = strings.Replace(e.Fields[i].Field, "metrics[0]", "metric", 1)
			}
			e.Message = strings.Replace(e.Message, "metrics[0]", "metric", 1)
		}
		return nil, err
	}
	var ors []string
	args := []any{int64(env.TenantID)}
	for _, a := range c.plan.leaves {
		cond, cargs := c.condSQL(a, c.from, c.to, true)
		lo, hi := c.dayBounds(a, c.from, c.to)
		ors = append(ors, "(f.day >= ? AND f.day < ? AND "+cond+")")
		args = append(append(args, lo, hi), cargs...)
	}
	where := []string{"f.tenant_id = ?", "(" + strings.Join(ors, " OR ") + ")"}
	for _, w := range []store.Where{env.Scope, env.Records} {
		if w.SQL != "" {
			where = append(where, "("+w.SQL+")")
			args = append(args, w.Args...)
		}
	}
	joins := map[byte]bool{}
	fw, fargs := c.filterSQL(&env, joins)
	where = append(where, fw...)
	args = append(args, fargs...)
	indexed := ""
	if db.Engine() == store.SQLite && env.Records.SQL != "" {
		indexed = " INDEXED BY facts_source" // as in sqlOf
	} else if db.Engine() == store.SQLite && c.byCustomers() {
		indexed = " INDEXED BY facts_customer" // as in sqlOf
	}
	q := `SELECT f.kind, f.record_type, f.record_id, f.customer_id, f.user_id, f.role, f.share_bp, f.occurred_at, f.day, f.amount,
		f.duration_s, f.n, f.stage, f.attr, f.product_id FROM facts f` + indexed + joinSQL(joins) + " WHERE " + strings.Join(where, " AND ") +
		fmt.Sprintf(" ORDER BY f.occurred_at, f.id LIMIT %d", d.Limit+1)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("metrics drill: %w", err)
	}
	defer rows.Close()
	out := &Drill{Metric: d.Metric, Items: []DrillRow{}}
	for rows.Next() {
		var r DrillRow
		var rec, at, day int64
		var cust, user, prod sql.NullInt64
		if err := rows.Scan(&r.Kind, &r.RecordType, &rec, &cust, &user, &r.Role, &r.ShareBP, &at, &day, &r.Amount,
			&r.DurationS, &r.N, &r.Stage, &r.Attr, &prod); err != nil {
			return nil, err
		}
		r.RecordID, r.CustomerID, r.UserID, r.ProductID = cohort.ID(rec), cohort.ID(cust.Int64), cohort.ID(user.Int64), cohort.ID(prod.Int64)
		r.OccurredAt, r.Date = time.UnixMilli(at).UTC(), fmtDate(dateOf(day))
		r.Credited = round(float64(r.Amount) * float64(r.ShareBP) / 10000)
		out.Items = append(out.Items, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.Items) > d.Limit {
		out.Items, out.Truncated = out.Items[:d.Limit], true
	}
	var custs, users []string
	for _, r := range out.Items {
		if r.CustomerID != 0 {
			custs = append(custs, strconv.FormatInt(int64(r.CustomerID), 10))
		}
		if r.UserID != 0 {
			users = append(users, strconv.FormatInt(int64(r.UserID), 10))
		}
	}
	cn, err := names(ctx, db, env.TenantID, "customers", env.Lang, dedup(custs))
	if err != nil {
		return nil, err
	}
	un, err := names(ctx, db, env.TenantID, "users", env.Lang, dedup(users))
	if err != nil {
		return nil, err
	}
	recs := map[string][]string{}
	for _, r := range out.Items {
		if _, ok := recordNameSQL[r.RecordType]; ok {
			recs[r.RecordType] = append(recs[r.RecordType], strconv.FormatInt(int64(r.RecordID), 10))
		}
	}
	rn := map[string]map[string]string{}
	for typ, ids := range recs {
		m, err := recordNames(ctx, db, env.TenantID, typ, dedup(ids))
		if err != nil {
			return nil, err
		}
		rn[typ] = m
	}
	for i := range out.Items {
		r := &out.Items[i]
		r.CustomerName = cn[r.CustomerID.String()]
		r.UserName = un[r.UserID.String()]
		r.RecordName = rn[r.RecordType][r.RecordID.String()]
	}
	return out, nil
}

// recordNameSQL names the records of a type by id (%s: the ids).
var recordNameSQL = map[string]string{
	"customer":    "SELECT id, name FROM customers WHERE tenant_id = ? AND id IN (%s)",
	"opportunity": "SELECT id, name FROM opportunities WHERE tenant_id = ? AND id IN (%s)",
	"quote":       "SELECT id, CASE WHEN name = '' THEN number ELSE name END FROM deals WHERE tenant_id = ? AND id IN (%s)",
	"contract":    "SELECT id, CASE WHEN name = '' THEN number ELSE name END FROM deals WHERE tenant_id = ? AND id IN (%s)",
	"order":       "SELECT id, CASE WHEN name = '' THEN number ELSE name END FROM deals WHERE tenant_id = ? AND id IN (%s)",
	"ticket":      "SELECT id, subject FROM tickets WHERE tenant_id = ? AND id IN (%s)",
	"project":     "SELECT id, name FROM projects WHERE tenant_id = ? AND id IN (%s)",
}

// recordNames looks up the names of records of one type.
func recordNames(ctx context.Context, db store.Queryer, tenantID cohort.ID, typ string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	ids := make([]cohort.ID, 0, len(keys))
	for _, k := range keys {
		if n, err := strconv.ParseInt(k, 10, 64); err == nil {
			ids = append(ids, cohort.ID(n))
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.QueryContext(ctx, fmt.Sprintf(recordNameSQL[typ], idList(ids)), int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("metrics drill: names of %s: %w", typ, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[strconv.FormatInt(id, 10)] = name
	}
	return out, rows.Err()
}

func dedup(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
