package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// factWriteStatements records the statements the writer runs for one
// request (those of its Tx; the group commit's SAVEPOINT, RELEASE and
// COMMIT are not counted).
func factWriteStatements(db *store.DB, f func()) []string {
	var mu sync.Mutex
	var got []string
	db.SetStatementHook(func(q string) {
		mu.Lock()
		got = append(got, q)
		mu.Unlock()
	})
	f()
	db.SetStatementHook(nil)
	return got
}

// isFactStatement says whether q is one of the fact ledger's own
// statements (the facts and their rollups).
func isFactStatement(q string) bool {
	for _, t := range []string{" facts ", " facts_daily", " facts_monthly", " facts_rollup_delta", "FROM facts\n", " facts("} {
		if strings.Contains(q, t) {
			return true
		}
	}
	return false
}

// TestFactWriteStatements counts the statements of a stage move and of a
// follow-up with its next action (docs/BENCHMARKS.md, "The facts' share of
// a write in fewer statements"), and bounds the fact ledger's share of
// them. go test -run FactWriteStatements -v shows each statement.
func TestFactWriteStatements(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.login("admin@acme.test", adminPassword)
		var procs struct {
			Items []struct {
				ID     cohort.ID `json:"id"`
				Stages []struct {
					Key string `json:"key"`
				} `json:"stages"`
			} `json:"items"`
		}
		c.must(200, "GET", "/api/v1/sales-processes", nil, &procs)
		proc := procs.Items[0]
		var cust cohort.Customer
		c.must(201, "POST", "/api/v1/customers", map[string]any{"name": "计数客户有限公司"}, &cust)
		var o cohort.Opportunity
		c.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": cust.ID, "process_id": proc.ID, "name": "计数商机", "amount": 120000}, &o)
		move := func(i int) {
			c.must(200, "POST", fmt.Sprintf("/api/v1/opportunities/%d/stage", o.ID), map[string]any{"stage": proc.Stages[i%2].Key}, nil)
		}
		followUp := func() {
			c.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": cust.ID, "type": "call", "content": "回访",
				"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "keep_in_touch"}}, nil)
		}
		for i := 1; i < 6; i++ {
			move(i)
			followUp()
		}
		for _, step := range []struct {
			name     string
			run      func()
			maxFacts int
		}{{"stage", func() { move(6) }, 4}, {"followup", followUp, 3}} {
			// A stage move's fourth: the stage entries' own rollup
			// (facts_stage_monthly, for distinct counts of opportunities).
			qs := factWriteStatements(db, step.run)
			// The fact work runs at the end of the write (BeforeCommit), and
			// its first statement reads stored facts: from there on every
			// statement is the facts' (the stage move's team read too).
			nf := 0
			for i, q := range qs {
				mark := " "
				if nf > 0 || isFactStatement(q) {
					nf++
					mark = "F"
				}
				rows := ""
				if n := strings.Count(q, "(?"); n > 1 && strings.HasPrefix(q, "INSERT") {
					rows = fmt.Sprintf(" [%d rows]", n)
				}
				t.Logf("%s %2d %s%s %.160s", step.name, i+1, mark, rows, strings.Join(strings.Fields(q), " "))
			}
			t.Logf("%s: %d statements, %d of them the facts'", step.name, len(qs), nf)
			if nf > step.maxFacts {
				t.Errorf("%s: %d fact statements, want at most %d", step.name, nf, step.maxFacts)
			}
		}
	})
}
