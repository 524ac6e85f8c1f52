package metrics

import (
	"context"

	"github.com/cohortcrm/cohort/internal/store"
)

// RollupReads counts the statements that read a rollup, for the tests.
var RollupReads = &rollupReads

// SummedTotals counts the totals summed from grouped rows, for the tests.
var SummedTotals = &summedTotals

// Statements returns the SQL statements (and their arguments) that answer
// q over its period, grouped and total, for EXPLAIN in the benchmarks.
func Statements(ctx context.Context, db store.Queryer, env Env, q Query) ([]string, [][]any, error) {
	c, err := compile(ctx, db, &env, q)
	if err != nil {
		return nil, nil, err
	}
	var sqls []string
	var args [][]any
	for _, grouped := range []bool{true, false} {
		if grouped && len(c.dims) == 0 {
			continue
		}
		for _, g := range c.groups() {
			s, a := c.sqlOf(db.Engine(), &env, c.from, c.to, grouped, g)
			sqls, args = append(sqls, s), append(args, a)
		}
	}
	return sqls, args, nil
}
