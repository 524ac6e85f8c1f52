package facts

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// countRollup is a rollup that counts facts (the sum of their rec) by a
// key of its own, beside the additive rollups: facts_stage_monthly and
// facts_later_monthly. Its rows are tenant_id, the key's columns and rec.
type countRollup[K comparable] struct {
	table string
	cols  []string              // the key's columns, after tenant_id
	key   func(*Fact) (K, bool) // a fact's key; false for a fact not counted
	vals  func(K) []any         // the key's values, in cols' order
	dest  func(*K) []any        // scan destinations of the key, in cols' order
	cmp   func(a, b K) int      // a stable order of keys, for row locks
}

// apply adds to the rollup the difference made by removing and adding
// facts, in tx (applyRollups), and deletes the rows it emptied.
func (r countRollup[K]) apply(ctx context.Context, tx *store.Tx, tenantID cohort.ID, removed, added []Fact) error {
	delta := map[K]int64{}
	for sign, fs := range map[int64][]Fact{-1: removed, 1: added} {
		for i := range fs {
			if k, ok := r.key(&fs[i]); ok {
				delta[k] += sign
			}
		}
	}
	var keys []K
	for k, v := range delta {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, r.cmp)
	cols := strings.Join(r.cols, ", ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(r.cols)+2), ", ") + ")"
	var emptied []K
	for start := 0; start < len(keys); start += 500 {
		part := keys[start:min(len(keys), start+500)]
		args := make([]any, 0, len(part)*(len(r.cols)+2))
		for _, k := range part {
			args = append(append(append(args, int64(tenantID)), r.vals(k)...), delta[k])
			if delta[k] < 0 {
				emptied = append(emptied, k)
			}
		}
		q := "INSERT INTO " + r.table + " (tenant_id, " + cols + ", rec) VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", len(part)), ", ") +
			" ON CONFLICT (tenant_id, " + cols + ") DO UPDATE SET rec = " + r.table + ".rec + excluded.rec"
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("facts: %s: %w", r.table, err)
		}
	}
	match := "(" + strings.Join(r.cols, " = ? AND ") + " = ?)"
	for start := 0; start < len(emptied); start += 100 {
		part := emptied[start:min(len(emptied), start+100)]
		ors := make([]string, len(part))
		args := []any{int64(tenantID)}
		for i, k := range part {
			ors[i] = match
			args = append(args, r.vals(k)...)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+r.table+" WHERE tenant_id = ? AND rec = 0 AND ("+strings.Join(ors, " OR ")+")", args...); err != nil {
			return fmt.Errorf("facts: %s: %w", r.table, err)
		}
	}
	return nil
}

// verify compares the rollup's rows of a tenant with want, the counts of
// its facts by key (VerifyRollups), and returns the differences.
func (r countRollup[K]) verify(ctx context.Context, q store.Queryer, tenantID cohort.ID, want map[K]int64) ([]string, error) {
	got := map[K]int64{}
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(r.cols, ", ")+`, rec FROM `+r.table+` WHERE tenant_id = ?`, int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k K
		var n int64
		if err := rows.Scan(append(r.dest(&k), &n)...); err != nil {
			return nil, fmt.Errorf("facts: %w", err)
		}
		got[k] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	var diffs []string
	for k, v := range want {
		if got[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s: %+v is %d, the facts count %d", r.table, k, got[k], v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: %+v is %d, no facts", r.table, k, v))
		}
	}
	return diffs, nil
}
