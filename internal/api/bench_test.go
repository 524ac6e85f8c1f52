package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// Benchmarks of whole requests through the real server on real databases:
// go test -run '^$' -bench . ./internal/api
func benchEngines(b *testing.B, f func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { f(b, storetest.Open(b, store.SQLite)) })
	b.Run("postgres", func(b *testing.B) {
		if storetest.PostgresDSN(b) == "" {
			b.Skip("COHORT_TEST_POSTGRES not set")
		}
		f(b, storetest.Open(b, store.Postgres))
	})
}

func BenchmarkGetUser(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *store.DB) {
		e := newEnv(b, db)
		c := e.loginB(b)
		path := "/api/v1/users/" + e.admin.ID.String()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if res := c.do("GET", path, nil, nil); res.status != 200 {
					b.Errorf("status %d", res.status)
				}
			}
		})
	})
}

func BenchmarkCreateDepartment(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *store.DB) {
		e := newEnv(b, db)
		c := e.loginB(b)
		var depts cohort.Page[cohort.Department]
		c.must(200, "GET", "/api/v1/departments", nil, &depts)
		root := depts.Items[0].ID
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if res := c.do("POST", "/api/v1/departments", map[string]any{"name": fmt.Sprint("D", i), "parent_id": root}, nil); res.status != 201 {
				b.Fatalf("status %d %s", res.status, res.body)
			}
		}
	})
}

func (e *env) loginB(b *testing.B) *client {
	c := e.login("admin@acme.test", adminPassword)
	c.http.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	return c
}
