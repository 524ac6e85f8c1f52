package metrics_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
	"github.com/cohortcrm/cohort/internal/store/storetest"
)

// BenchmarkWinOdds measures the win probability, which reads its frequency
// tables from the facts on every request (no cache), over
// COHORT_BENCH_FACTS (default 1,000,000) generated facts, 3 % of them won
// or lost: for one team (a department's own model) and for the company.
func BenchmarkWinOdds(b *testing.B) {
	n := 1000000
	if s := os.Getenv("COHORT_BENCH_FACTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	db := storetest.Open(b, store.SQLite)
	genFacts(b, db, n)
	features := []string{"negotiate", metrics.AmountBand(3_000_000), "", "", metrics.DaysBand(40)}
	for _, c := range []struct {
		name string
		dept cohort.ID
	}{{"team", 1005}, {"company", 0}} {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			for i := 0; i < b.N; i++ {
				t := time.Now()
				w, err := metrics.WinOdds(context.Background(), db.Read(), tenant, c.dept, features)
				if err != nil {
					b.Fatal(err)
				}
				if w.Won+w.Lost == 0 {
					b.Fatal("no closed opportunities")
				}
				took = append(took, time.Since(t))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms")
		})
	}
}
