package store

import (
	"context"
	"fmt"
	"strings"
)

// Bulk inserts many rows of one table with multi-row INSERT statements,
// flushing every batch rows. It is for loaders (demo data, imports) that
// write rows the service layer has already validated; the caller owns the
// transaction.
type Bulk struct {
	tx    *Tx
	table string
	cols  []string
	batch int
	rows  [][]any
	// Hold keeps rows queued until Flush, so that a loader can write tables
	// in the order their foreign keys need.
	Hold bool
	// Rows counts the rows written so far.
	Rows int
}

// NewBulk returns a loader for table's columns. Each statement carries at
// most about 30,000 parameters, under both engines' limits.
func NewBulk(tx *Tx, table string, cols ...string) *Bulk {
	batch := 30000 / len(cols)
	if batch > 1000 {
		batch = 1000
	}
	return &Bulk{tx: tx, table: table, cols: cols, batch: batch}
}

// Add queues one row (values in column order), flushing a full batch.
func (b *Bulk) Add(ctx context.Context, vals ...any) error {
	if len(vals) != len(b.cols) {
		return fmt.Errorf("bulk %s: %d values for %d columns", b.table, len(vals), len(b.cols))
	}
	b.rows = append(b.rows, vals)
	if !b.Hold && len(b.rows) >= b.batch {
		return b.Flush(ctx)
	}
	return nil
}

// Flush writes the queued rows, a statement per batch.
func (b *Bulk) Flush(ctx context.Context) error {
	for len(b.rows) > 0 {
		n := min(len(b.rows), b.batch)
		if err := b.write(ctx, b.rows[:n]); err != nil {
			return err
		}
		b.Rows += n
		b.rows = b.rows[n:]
	}
	b.rows = nil
	return nil
}

func (b *Bulk) write(ctx context.Context, rows [][]any) error {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(b.cols)), ",") + ")"
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + b.table + " (" + strings.Join(b.cols, ", ") + ") VALUES ")
	args := make([]any, 0, len(rows)*len(b.cols))
	for i, r := range rows {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(one)
		args = append(args, r...)
	}
	// Bulk statements vary in length; rebinding them directly keeps them out
	// of the statement cache.
	q := sb.String()
	if b.tx.db.Engine == Postgres {
		q = Rebind(q)
	}
	if _, err := b.tx.tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("bulk insert into %s: %w", b.table, err)
	}
	return nil
}

// NullID, Ms and friends are the stored forms of values for loaders.
func NullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
