package api_test

import (
	"fmt"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// BenchmarkFactWrites times the everyday writes that keep facts (issue 8:
// facts add at most 20 % to a write), one request at a time so that a CPU
// profile shows one write's path:
//
//	go test -run '^$' -bench FactWrites -benchtime 1000x -cpuprofile cpu.out ./internal/api
//
// "stage" moves 50 opportunities back and forth between the first two
// stages of their process, so their stage histories grow as in
// scripts/loadtest-writes.sh.
func BenchmarkFactWrites(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *store.DB) {
		e := newEnv(b, db)
		c := e.loginB(b)
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
		var custs []cohort.ID
		var opps []cohort.ID
		for i := range 50 {
			var cust cohort.Customer
			c.must(201, "POST", "/api/v1/customers", map[string]any{"name": fmt.Sprintf("种子客户%d有限公司", i)}, &cust)
			var o cohort.Opportunity
			c.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": cust.ID, "process_id": proc.ID,
				"name": fmt.Sprintf("种子商机%d", i), "amount": 120000}, &o)
			custs, opps = append(custs, cust.ID), append(opps, o.ID)
		}
		n := 0
		b.Run("customer", func(b *testing.B) {
			for range b.N {
				n++
				c.must(201, "POST", "/api/v1/customers", map[string]any{"name": fmt.Sprintf("基准客户%d有限公司", n), "industry": "制造业"}, nil)
			}
		})
		b.Run("opportunity", func(b *testing.B) {
			for i := range b.N {
				c.must(201, "POST", "/api/v1/opportunities", map[string]any{"customer_id": custs[i%len(custs)], "process_id": proc.ID,
					"name": fmt.Sprintf("基准商机%d", i), "amount": 120000}, nil)
			}
		})
		at := make([]int, len(opps))
		b.Run("stage", func(b *testing.B) {
			for i := range b.N {
				k := i % len(opps)
				at[k] = 1 - at[k]
				c.must(200, "POST", fmt.Sprintf("/api/v1/opportunities/%d/stage", opps[k]), map[string]any{"stage": proc.Stages[at[k]].Key}, nil)
			}
		})
		b.Run("followup", func(b *testing.B) {
			for i := range b.N {
				c.must(201, "POST", "/api/v1/followups", map[string]any{"customer_id": custs[i%len(custs)], "type": "call", "content": "回访",
					"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "keep_in_touch"}}, nil)
			}
		})
	})
}
