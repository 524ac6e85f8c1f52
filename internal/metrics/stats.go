package metrics

import (
	"math"
	"slices"
)

// Statistics the coaching analyses judge people with (docs/METRICS.md
// "Coaching signals"). They work on figures the engine computed.

// z95 is the standard normal quantile of a two-sided 95 % interval.
const z95 = 1.959963984540054

// Wilson is the Wilson score interval of a proportion of x successes in n
// trials at 95 % confidence; ok is false when n is 0.
func Wilson(x, n float64) (lo, hi float64, ok bool) {
	if n <= 0 || x < 0 || x > n {
		return 0, 0, false
	}
	p := x / n
	z2 := z95 * z95
	den := 1 + z2/n
	mid := (p + z2/(2*n)) / den
	half := z95 * math.Sqrt(p*(1-p)/n+z2/(4*n*n)) / den
	return math.Max(0, mid-half), math.Min(1, mid+half), true
}

// Outlier compares a person's x of n with the pooled rate of the rest of
// the team (rx of rn): +1 when the rest's rate lies below the person's
// Wilson interval (the person converts significantly better), -1 when it
// lies above, 0 when inside or when either side has no trials.
func Outlier(x, n, rx, rn float64) int {
	lo, hi, ok := Wilson(x, n)
	if !ok || rn <= 0 {
		return 0
	}
	q := rx / rn
	switch {
	case q < lo:
		return 1
	case q > hi:
		return -1
	}
	return 0
}

// Quartiles are the first and third quartiles of xs by linear
// interpolation between order statistics (position (n−1)·p, as
// QUARTILE.INC); ok is false for no values.
func Quartiles(xs []float64) (q1, q3 float64, ok bool) {
	if len(xs) == 0 {
		return 0, 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	at := func(p float64) float64 {
		pos := float64(len(s)-1) * p
		i := int(math.Floor(pos))
		if i+1 >= len(s) {
			return s[i]
		}
		return s[i] + (pos-float64(i))*(s[i+1]-s[i])
	}
	return at(0.25), at(0.75), true
}
