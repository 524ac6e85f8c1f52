package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// deptTree is a tenant's department tree, for roll-ups.
type deptTree struct {
	byID     map[cohort.ID]*dept
	children map[cohort.ID][]cohort.ID // 0: the top-level departments
}

type dept struct {
	id, parent cohort.ID
	name       string
}

func loadDepartments(ctx context.Context, db store.Queryer, tenantID cohort.ID) (*deptTree, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, parent_id, name FROM departments WHERE tenant_id = ? ORDER BY depth, sort_order, name, id", int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("metrics departments: %w", err)
	}
	defer rows.Close()
	t := &deptTree{byID: map[cohort.ID]*dept{}, children: map[cohort.ID][]cohort.ID{}}
	for rows.Next() {
		var id int64
		var parent sql.NullInt64
		d := &dept{}
		if err := rows.Scan(&id, &parent, &d.name); err != nil {
			return nil, err
		}
		d.id, d.parent = cohort.ID(id), cohort.ID(parent.Int64)
		t.byID[d.id] = d
		t.children[d.parent] = append(t.children[d.parent], d.id)
	}
	return t, rows.Err()
}

// subtree is id and every department below it.
func (t *deptTree) subtree(id cohort.ID) []cohort.ID {
	if t.byID[id] == nil {
		return nil
	}
	out := []cohort.ID{id}
	for i := 0; i < len(out); i++ {
		out = append(out, t.children[out[i]]...)
	}
	return out
}

// ancestors are id and every department above it, nearest first; none for
// an unknown department (or none).
func (t *deptTree) ancestors(id cohort.ID) []cohort.ID {
	var out []cohort.ID
	for a := id; a != 0 && t.byID[a] != nil && len(out) < 64; a = t.byID[a].parent {
		out = append(out, a)
	}
	return out
}

// deptLevel is one level of the tree for a Subtrees query: the
// departments at that depth or below (ids, sorted) and, for each, its
// department at that depth (of).
type deptLevel struct {
	ids, of []cohort.ID
}

// levels are the levels of the tree, top first.
func (t *deptTree) levels() []deptLevel {
	ids := make([]cohort.ID, 0, len(t.byID))
	for id := range t.byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []deptLevel
	for _, id := range ids {
		// id's chain from the top (a parent loop, which the tree never
		// has, stops at 64)
		var chain []cohort.ID
		for a := id; a != 0 && t.byID[a] != nil && len(chain) < 64; a = t.byID[a].parent {
			chain = append(chain, a)
		}
		slices.Reverse(chain)
		for k, a := range chain {
			if k == len(out) {
				out = append(out, deptLevel{})
			}
			out[k].ids = append(out[k].ids, id)
			out[k].of = append(out[k].of, a)
		}
	}
	return out
}

// keySQL maps col to its department at the level: a binary search over
// the sorted ids (a few comparisons a fact, not one per department); NULL
// for a department above the level or none.
func (l *deptLevel) keySQL(col string) string {
	if len(l.ids) == 0 {
		return "CAST(NULL AS BIGINT)"
	}
	var b strings.Builder
	var rec func(lo, hi int)
	rec = func(lo, hi int) {
		if hi-lo <= 4 {
			fmt.Fprintf(&b, "CASE %s", col)
			for i := lo; i < hi; i++ {
				fmt.Fprintf(&b, " WHEN %d THEN %d", l.ids[i], l.of[i])
			}
			b.WriteString(" END")
			return
		}
		mid := (lo + hi) / 2
		fmt.Fprintf(&b, "CASE WHEN %s < %d THEN ", col, l.ids[mid])
		rec(lo, mid)
		b.WriteString(" ELSE ")
		rec(mid, hi)
		b.WriteString(" END")
	}
	rec(0, len(l.ids))
	return b.String()
}

// rollupSQL maps a department column to the child of root (or top-level
// department when root is 0) whose subtree holds it; root's own facts keep
// root.
func (t *deptTree) rollupSQL(col string, root cohort.ID) string {
	var b strings.Builder
	b.WriteString("CASE")
	if root != 0 {
		fmt.Fprintf(&b, " WHEN %s = %d THEN %d", col, root, root)
	}
	n := 0
	for _, child := range t.children[root] {
		fmt.Fprintf(&b, " WHEN %s IN (%s) THEN %d", col, idList(t.subtree(child)), child)
		n++
	}
	if root == 0 && n == 0 {
		return "CAST(NULL AS BIGINT)"
	}
	b.WriteString(" END")
	return b.String()
}

// labelSQL names ids of a label table in the language.
func labelSQL(table, lang string) string {
	en := strings.HasPrefix(strings.ToLower(lang), "en")
	switch table {
	case "sales_processes":
		if en {
			return "SELECT id, name_en FROM sales_processes WHERE tenant_id = ? AND id IN (%s)"
		}
		return "SELECT id, name_zh FROM sales_processes WHERE tenant_id = ? AND id IN (%s)"
	case "business_roles":
		if en {
			return "SELECT key, name_en FROM business_roles WHERE tenant_id = ? AND key IN (%s)"
		}
		return "SELECT key, name_zh FROM business_roles WHERE tenant_id = ? AND key IN (%s)"
	}
	return "SELECT id, name FROM " + table + " WHERE tenant_id = ? AND id IN (%s)"
}

// names looks up the labels of keys in a label table.
func names(ctx context.Context, db store.Queryer, tenantID cohort.ID, table, lang string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	if len(keys) == 0 {
		return out, nil
	}
	args := []any{int64(tenantID)}
	var list string
	if table == "business_roles" {
		list = strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ")
		for _, k := range keys {
			args = append(args, k)
		}
	} else {
		ids := make([]cohort.ID, 0, len(keys))
		for _, k := range keys {
			if n, err := strconv.ParseInt(k, 10, 64); err == nil {
				ids = append(ids, cohort.ID(n))
			}
		}
		list = idList(ids)
	}
	rows, err := store.QueryPrepared(ctx, db, fmt.Sprintf(labelSQL(table, lang), list), args...)
	if err != nil {
		return nil, fmt.Errorf("metrics labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, name string
		if err := rows.Scan(&k, &name); err != nil {
			return nil, err
		}
		out[k] = name
	}
	return out, rows.Err()
}

// label fills the labels of the rows' id and role keys.
func (c *compiled) label(ctx context.Context, db store.Queryer, env *Env, rows []Row) error {
	for i, d := range c.dims {
		dim, ok := dimensions[d]
		if !ok || dim.label == "" {
			continue
		}
		seen := map[string]bool{}
		var keys []string
		for _, r := range rows {
			if k := r.Keys[i]; k != "" && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		var m map[string]string
		if dim.dept {
			m = map[string]string{}
			for _, k := range keys {
				n, _ := strconv.ParseInt(k, 10, 64)
				if d := c.depts.byID[cohort.ID(n)]; d != nil {
					m[k] = d.name
				}
			}
		} else {
			var err error
			if m, err = names(ctx, db, env.TenantID, dim.label, env.Lang, keys); err != nil {
				return err
			}
		}
		for j := range rows {
			if n, ok := m[rows[j].Keys[i]]; ok {
				rows[j].Labels[i] = n
			}
		}
	}
	return nil
}
