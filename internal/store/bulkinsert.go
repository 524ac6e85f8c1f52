package store

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
)

// sqliteRowsPerInsert is how many rows one SQLite INSERT carries: enough to
// amortise a statement's overhead (PERFORMANCE.md measured 100-row
// statements at ~315 k rows/s), few enough to stay under SQLite's limit of
// 32,766 parameters for any of our tables.
const sqliteRowsPerInsert = 100

// BulkInsert writes rows (each a value per column of cols) into table in as
// few round trips as the engine allows: COPY on PostgreSQL inside a BulkTx,
// multi-row INSERT statements otherwise. Values are int64, int, bool, string,
// []byte or nil. Callers validate rows first: one bad row fails the whole
// statement, and the caller then retries row by row.
func BulkInsert(ctx context.Context, tx *Tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if table == "record_team" {
		tx.teamWrites++
	}
	if tx.db.Engine == Postgres && tx.conn != nil {
		return copyIn(ctx, tx, table, cols, rows)
	}
	if tx.batched {
		ctx = context.WithoutCancel(ctx) // see detached
	}
	per := sqliteRowsPerInsert
	if tx.db.Engine == Postgres {
		per = min(per, 65535/len(cols))
	}
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	stmt := func(n int) string {
		return tx.db.rebind(head + strings.TrimSuffix(strings.Repeat(one+",", n), ","))
	}
	if len(rows) <= per {
		// One statement.
		args := make([]any, 0, len(rows)*len(cols))
		for _, r := range rows {
			if len(r) != len(cols) {
				return fmt.Errorf("bulk insert into %s: a row has %d values for %d columns", table, len(r), len(cols))
			}
			args = append(args, r...)
		}
		// Through the transaction's own statements: the writer keeps the
		// prepared statements of inserts it runs often.
		if _, err := tx.ExecContext(ctx, head+strings.TrimSuffix(strings.Repeat(one+",", len(rows)), ","), args...); err != nil {
			return fmt.Errorf("bulk insert into %s: %w", table, err)
		}
		return nil
	}
	// The statement of a full chunk is prepared once for all chunks.
	full, err := tx.tx.PrepareContext(ctx, stmt(min(per, len(rows))))
	if err != nil {
		return fmt.Errorf("bulk insert into %s: %w", table, err)
	}
	defer full.Close()
	args := make([]any, 0, per*len(cols))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			if len(r) != len(cols) {
				return fmt.Errorf("bulk insert into %s: a row has %d values for %d columns", table, len(r), len(cols))
			}
			args = append(args, r...)
		}
		if len(chunk) == min(per, len(rows)) {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.tx.ExecContext(ctx, stmt(len(chunk)), args...)
		}
		if err != nil {
			return fmt.Errorf("bulk insert into %s: %w", table, err)
		}
	}
	return nil
}

// copyIn loads rows with COPY ... FROM STDIN in text format on the
// transaction's own connection. Text format lets every column type (jsonb,
// tsvector, bigint) parse its usual input, which binary COPY would need a
// codec for.
func copyIn(ctx context.Context, tx *Tx, table string, cols []string, rows [][]any) error {
	var buf bytes.Buffer
	for _, r := range rows {
		if len(r) != len(cols) {
			return fmt.Errorf("copy into %s: a row has %d values for %d columns", table, len(r), len(cols))
		}
		for i, v := range r {
			if i > 0 {
				buf.WriteByte('\t')
			}
			copyValue(&buf, v)
		}
		buf.WriteByte('\n')
	}
	sql := "COPY " + table + " (" + strings.Join(cols, ", ") + ") FROM STDIN"
	err := tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", dc)
		}
		_, err := c.Conn().PgConn().CopyFrom(ctx, &buf, sql)
		return err
	})
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

// copyValue writes v in COPY's text format: \N for NULL, and backslash,
// tab, newline and carriage return escaped.
func copyValue(buf *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		buf.WriteString(`\N`)
	case int64:
		buf.WriteString(strconv.FormatInt(x, 10))
	case int:
		buf.WriteString(strconv.Itoa(x))
	case bool:
		if x {
			buf.WriteByte('t')
		} else {
			buf.WriteByte('f')
		}
	case []byte:
		copyText(buf, string(x))
	case string:
		copyText(buf, x)
	default:
		copyText(buf, fmt.Sprint(x))
	}
}

func copyText(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			buf.WriteString(`\\`)
		case '\t':
			buf.WriteString(`\t`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		default:
			buf.WriteByte(c)
		}
	}
}
