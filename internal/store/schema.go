package store

import (
	"context"
	"fmt"
	"strings"
)

// GlobalTables are the tables that belong to no tenant: they are reference or
// system tables (replicated to every node under Citus).
var GlobalTables = map[string]bool{
	"tenants":           true,
	"login_failures":    true,
	"schema_migrations": true,
	"jobs":              true,
	"periodic_jobs":     true,
}

// Key is a primary, unique or foreign key of a table.
type Key struct {
	Kind    string // "primary", "unique", "foreign"
	Columns []string
}

// TableKeys lists every table of the schema with its keys, for the schema
// test that holds every tenant table to the tenant-key rule.
func (db *DB) TableKeys(ctx context.Context) (map[string][]Key, error) {
	if db.Engine == Postgres {
		return db.pgTableKeys(ctx)
	}
	return db.sqliteTableKeys(ctx)
}

func (db *DB) sqliteTableKeys(ctx context.Context) (map[string][]Key, error) {
	q := db.Read()
	tables, err := queryStrings(ctx, q, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'")
	if err != nil {
		return nil, err
	}
	out := map[string][]Key{}
	for _, t := range tables {
		if strings.Contains(t, "_fts_") || strings.HasSuffix(t, "_fts") {
			continue // FTS5 shadow tables
		}
		var keys []Key
		// Primary key columns in key order.
		rows, err := q.QueryContext(ctx, "SELECT name, pk FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", t)
		if err != nil {
			return nil, err
		}
		pk := Key{Kind: "primary"}
		for rows.Next() {
			var name string
			var n int
			if err := rows.Scan(&name, &n); err != nil {
				rows.Close()
				return nil, err
			}
			pk.Columns = append(pk.Columns, name)
		}
		rows.Close()
		keys = append(keys, pk)
		// Foreign keys, grouped by id.
		rows, err = q.QueryContext(ctx, `SELECT id, "from" FROM pragma_foreign_key_list(?) ORDER BY id, seq`, t)
		if err != nil {
			return nil, err
		}
		fks := map[int]*Key{}
		var order []int
		for rows.Next() {
			var id int
			var col string
			if err := rows.Scan(&id, &col); err != nil {
				rows.Close()
				return nil, err
			}
			if fks[id] == nil {
				fks[id] = &Key{Kind: "foreign"}
				order = append(order, id)
			}
			fks[id].Columns = append(fks[id].Columns, col)
		}
		rows.Close()
		for _, id := range order {
			keys = append(keys, *fks[id])
		}
		// Unique indexes (including UNIQUE constraints), not the primary key.
		idx, err := queryStrings(ctx, q, "SELECT name FROM pragma_index_list(?) WHERE \"unique\" = 1 AND origin != 'pk'", t)
		if err != nil {
			return nil, err
		}
		for _, ix := range idx {
			cols, err := queryStrings(ctx, q, "SELECT name FROM pragma_index_info(?) ORDER BY seqno", ix)
			if err != nil {
				return nil, err
			}
			keys = append(keys, Key{Kind: "unique", Columns: cols})
		}
		out[t] = keys
	}
	return out, nil
}

func (db *DB) pgTableKeys(ctx context.Context) (map[string][]Key, error) {
	out := map[string][]Key{}
	tables, err := queryStrings(ctx, db.Read(), "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		out[t] = nil
	}
	// Constraints, and unique indexes that are not constraints, one row per
	// column in key order.
	rows, err := db.Read().QueryContext(ctx, `
SELECT c.relname, con.conname, con.contype, a.attname, k.ord
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f')
UNION ALL
SELECT t.relname, i.relname, 'u', a.attname, k.ord
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE n.nspname = current_schema() AND x.indisunique AND NOT x.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
ORDER BY 1, 2, 5`)
	if err != nil {
		return nil, fmt.Errorf("read constraints: %w", err)
	}
	defer rows.Close()
	kinds := map[string]string{"p": "primary", "u": "unique", "f": "foreign"}
	type name struct{ table, constraint string }
	idx := map[name]int{}
	for rows.Next() {
		var table, con, kind, col string
		var ord int
		if err := rows.Scan(&table, &con, &kind, &col, &ord); err != nil {
			return nil, err
		}
		k := name{table, con}
		i, ok := idx[k]
		if !ok {
			out[table] = append(out[table], Key{Kind: kinds[kind]})
			i = len(out[table]) - 1
			idx[k] = i
		}
		out[table][i].Columns = append(out[table][i].Columns, col)
	}
	return out, rows.Err()
}

func queryStrings(ctx context.Context, q Queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// TenantKeyViolations checks every tenant table against the tenant-key rule:
// the primary key starts with tenant_id and every unique and foreign key
// includes it. It returns one line per violation.
func TenantKeyViolations(tables map[string][]Key) []string {
	var out []string
	for table, keys := range tables {
		if GlobalTables[table] {
			continue
		}
		hasPK := false
		for _, k := range keys {
			if k.Kind == "primary" {
				hasPK = true
				if len(k.Columns) < 2 || k.Columns[0] != "tenant_id" {
					out = append(out, fmt.Sprintf("%s: primary key must be (tenant_id, ...), is %v", table, k.Columns))
				}
				continue
			}
			found := false
			for _, c := range k.Columns {
				found = found || c == "tenant_id"
			}
			if !found {
				out = append(out, fmt.Sprintf("%s: %s key %v lacks tenant_id", table, k.Kind, k.Columns))
			}
		}
		if !hasPK {
			out = append(out, table+": no primary key")
		}
	}
	return out
}

// ExecForTest runs raw SQL on the write pool; tests use it to build fixtures
// that the application would never write.
func (db *DB) ExecForTest(ctx context.Context, query string) error {
	_, err := db.write.ExecContext(ctx, query)
	return err
}
