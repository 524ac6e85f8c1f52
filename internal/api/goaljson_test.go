package api

import (
	"bytes"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cohortcrm/cohort/internal/service"
)

// The hand-written completion JSON is byte for byte what respond writes,
// for every kind of value a row holds: nulls, frozen differences, tiny
// and huge numbers, negative zero, labels that need escaping.
func TestGoalCompletionJSONAsRespond(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	rank, band := 2, service.BandOnTrack
	labels := []string{"华东一区", `引号 " 反斜杠 \ `, "<b>&amp;</b>", "tab\there\nline", "\u2028 \u2029", "bad \xff utf-8", "", "😀 emoji"}
	nums := []*float64{nil, f(0), f(math.Copysign(0, -1)), f(1), f(-2.5), f(1234567.891), f(1e-7), f(-3e-9), f(1e21), f(123456789012345678), f(0.1 + 0.2), f(1e20)}
	c := &service.GoalCompletion{
		Rule:         service.GoalRule{Name: "签约 <金额>", Metric: "signed_amount", Role: "owner", SubjectType: "person", Cycle: "month", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)},
		Unit:         "money",
		Period:       service.GoalPeriod{Key: "2025-12", Kind: "month", From: "2025-12-01", To: "2026-01-01", Frozen: true},
		AsOf:         "2026-12-07",
		TimeProgress: 1.0 / 3,
		Rows:         []service.GoalCompletionRow{},
	}
	for i, l := range labels {
		for j, n := range nums {
			r := service.GoalCompletionRow{Subject: "person:" + l, Kind: "person", Label: l, Parent: "department:1", Depth: i, Actual: n,
				Target: nums[(j+1)%len(nums)], CompletionRate: nums[(j+2)%len(nums)], Gap: nums[(j+3)%len(nums)], Peers: j}
			if j%2 == 0 {
				r.Rank, r.Band, r.Forecast = &rank, &band, nums[(j+4)%len(nums)]
			}
			if j%3 == 0 {
				r.FrozenActual, r.Difference = n, nums[(j+5)%len(nums)]
			}
			if j%4 != 3 {
				r.Trend = []service.GoalTrendPoint{{Period: "2025-11", Actual: n, Target: nums[(j+6)%len(nums)]}, {Period: l, CompletionRate: n}}
			}
			c.Rows = append(c.Rows, r)
		}
	}
	for _, c := range []*service.GoalCompletion{c, {Rows: nil}} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		respond(want, 200, c)
		respondGoalCompletion(got, c)
		if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			a, b := got.Body.Bytes(), want.Body.Bytes()
			i := 0
			for i < len(a) && i < len(b) && a[i] == b[i] {
				i++
			}
			t.Fatalf("differs at byte %d:\n got %q\nwant %q", i, a[max(0, i-80):min(len(a), i+80)], b[max(0, i-80):min(len(b), i+80)])
		}
		if got.Code != 200 || got.Header().Get("Content-Type") != "application/json" || got.Header().Get("Content-Length") != want.Header().Get("Content-Length") {
			t.Fatalf("status %d, headers %v", got.Code, got.Header())
		}
	}
	// A number that is not finite fails as respond fails.
	c.TimeProgress = math.NaN()
	got := httptest.NewRecorder()
	respondGoalCompletion(got, c)
	if got.Code != 500 {
		t.Fatalf("NaN: status %d", got.Code)
	}
}
