package metrics

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-4 }

// The Wilson interval on hand-computed cases: 8 of 10 is [0.4902, 0.9433]
// (p = 0.8, z² = 3.8415, centre (0.8 + 0.19207) / 1.38415 = 0.71680, half
// 1.95996·√(0.016 + 0.0096037) / 1.38415 = 0.22656); 0 of 10 is [0, 0.2775].
func TestWilson(t *testing.T) {
	for _, tc := range []struct{ x, n, lo, hi float64 }{
		{8, 10, 0.4902, 0.9433},
		{0, 10, 0, 0.2775},
		{10, 10, 0.7225, 1},
		{1, 2, 0.0945, 0.9055},
	} {
		lo, hi, ok := Wilson(tc.x, tc.n)
		if !ok || !near(lo, tc.lo) || !near(hi, tc.hi) {
			t.Errorf("Wilson(%v, %v) = %.4f, %.4f, %v; want %.4f, %.4f", tc.x, tc.n, lo, hi, ok, tc.lo, tc.hi)
		}
	}
	if _, _, ok := Wilson(0, 0); ok {
		t.Error("Wilson of no trials")
	}
	if _, _, ok := Wilson(3, 2); ok {
		t.Error("Wilson of more successes than trials")
	}
}

// A person at 8/10 against a team at 10/40 (0.25) is above (0.25 < 0.4902);
// at 4/10 ([0.1682, 0.6873]) against 0.25 is not; at 0/10 ([0, 0.2775])
// against 30/40 (0.75) is below. A raw ratio would call 4/10 vs 0.25 better.
func TestOutlier(t *testing.T) {
	for _, tc := range []struct {
		x, n, rx, rn float64
		want         int
	}{
		{8, 10, 10, 40, 1},
		{4, 10, 10, 40, 0},
		{0, 10, 30, 40, -1},
		{1, 1, 0, 5, 1}, // 1 of 1 is [0.2065, 1]; 0 < 0.2065 → above
		{3, 5, 0, 0, 0}, // nobody else: no judgement
		{0, 0, 3, 5, 0}, // no trials: no judgement
	} {
		if got := Outlier(tc.x, tc.n, tc.rx, tc.rn); got != tc.want {
			t.Errorf("Outlier(%v/%v vs %v/%v) = %d, want %d", tc.x, tc.n, tc.rx, tc.rn, got, tc.want)
		}
	}
}

// Quartiles of 1..8: positions 1.75 and 5.25 → 2.75 and 6.25.
func TestQuartiles(t *testing.T) {
	q1, q3, ok := Quartiles([]float64{8, 1, 7, 2, 6, 3, 5, 4})
	if !ok || !near(q1, 2.75) || !near(q3, 6.25) {
		t.Errorf("quartiles %v %v", q1, q3)
	}
	q1, q3, _ = Quartiles([]float64{5})
	if q1 != 5 || q3 != 5 {
		t.Errorf("one value %v %v", q1, q3)
	}
	if _, _, ok := Quartiles(nil); ok {
		t.Error("quartiles of nothing")
	}
}
