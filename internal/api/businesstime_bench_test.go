package api_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// BenchmarkBusinessTimeWrites compares writes that take a business time with
// the same writes dated now, through the real server, 16 requests at a time:
//
//	go test -run '^$' -bench BusinessTimeWrites ./internal/api
//
// "now" sends no time; "dated" sends one three days back (inside the backdate
// window) or, for a customer's creation time, a year back as the
// administrator.
func BenchmarkBusinessTimeWrites(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *store.DB) {
		e := newEnv(b, db)
		c := e.loginB(b)
		var n atomic.Int64
		var cust cohort.Customer
		c.must(201, "POST", "/api/v1/customers", map[string]any{"name": "基准客户有限公司"}, &cust)
		now := time.Now().UTC()
		for _, dated := range []bool{false, true} {
			label := map[bool]string{false: "now", true: "dated"}[dated]
			b.Run("customer/"+label, func(b *testing.B) {
				b.SetParallelism(8)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						body := map[string]any{"name": fmt.Sprintf("基准客户%d有限公司", n.Add(1))}
						if dated {
							body["created_at"] = now.AddDate(-1, 0, 0).Format(time.RFC3339)
						}
						if res := c.do("POST", "/api/v1/customers", body, nil); res.status != 201 {
							b.Errorf("status %d %s", res.status, res.body)
						}
					}
				})
			})
			b.Run("followup/"+label, func(b *testing.B) {
				b.SetParallelism(8)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						body := map[string]any{"customer_id": cust.ID, "type": "call", "content": "回访",
							"next_action": map[string]any{"fuzzy": "next_week", "plan_type": "keep_in_touch"}}
						if dated {
							body["occurred_at"] = now.Add(-72 * time.Hour).Format(time.RFC3339)
						}
						if res := c.do("POST", "/api/v1/followups", body, nil); res.status != 201 {
							b.Errorf("status %d %s", res.status, res.body)
						}
					}
				})
			})
		}
	})
}
