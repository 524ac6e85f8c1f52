package service

import (
	"math"
	"testing"
)

func f(v float64) *float64 { return &v }

// The log decomposition adds up to the difference in every case, and its
// zeros follow the limit of the ε substitution.
func TestLMDI(t *testing.T) {
	inverse := []bool{false, false, false, true}
	for _, c := range []struct {
		name     string
		a, r     float64
		own, ref []*float64
		effects  []float64
		residual float64
	}{
		// A pure formula: 6·0.5·100 ÷ 3 = 100 against 4·0.5·100 ÷ 2 = 100:
		// the opportunities' ln 1.5 and the cycle's ln(2/3) cancel out.
		{"equal", 100, 100, []*float64{f(6), f(.5), f(100), f(3)}, []*float64{f(4), f(.5), f(100), f(2)}, []float64{100 * math.Log(1.5), 0, 0, 100 * math.Log(2.0/3)}, 0},
		// Only the win rate moves, and the actual with it: no residual.
		{"one factor", 50, 100, []*float64{f(4), f(.25), f(100), f(2)}, []*float64{f(4), f(.5), f(100), f(2)}, []float64{0, -50, 0, 0}, 0},
		// An empty order value on one side: not comparable, in the residual.
		{"empty factor", 50, 100, []*float64{f(4), f(.25), nil, f(2)}, []*float64{f(4), f(.5), f(100), f(2)}, []float64{0, -50, 0, 0}, 0},
		// Nothing signed: the first factor that vanishes with it (nothing
		// won: the win rate) takes the whole difference, not the later ones.
		{"actual 0", 0, 100, []*float64{f(4), f(0), nil, nil}, []*float64{f(4), f(.5), f(100), f(2)}, []float64{0, -100, 0, 0}, 0},
		// No opportunity at all: the opportunities take it.
		{"no opportunity", 0, 100, []*float64{f(0), nil, nil, nil}, []*float64{f(4), f(.5), f(100), f(2)}, []float64{-100, 0, 0, 0}, 0},
		// A reference of 0 whose factors are all there: the residual.
		{"reference 0 unexplained", 80, 0, []*float64{f(4), f(.5), f(100), f(2)}, []*float64{f(4), f(.5), f(100), f(2)}, []float64{0, 0, 0, 0}, 80},
		// A cycle of 0 days is no vanishing divisor: the residual.
		{"reference 0 with a 0 cycle", 80, 0, []*float64{f(4), f(.5), f(100), f(2)}, []*float64{f(4), f(.5), f(100), f(0)}, []float64{0, 0, 0, 0}, 80},
		// An empty cycle on the zero side is an infinite one.
		{"reference 0, no win", 80, 0, []*float64{f(4), f(.5), f(100), f(2)}, []*float64{f(4), f(.5), f(100), nil}, []float64{0, 0, 0, 80}, 0},
		{"both 0", 0, 0, []*float64{f(0), nil, nil, nil}, []*float64{f(0), nil, nil, nil}, []float64{0, 0, 0, 0}, 0},
	} {
		eff, _, res := lmdi(c.a, c.r, c.own, c.ref, inverse)
		sum := res
		for i := range eff {
			sum += eff[i]
			if math.Abs(eff[i]-c.effects[i]) > 1e-9 {
				t.Errorf("%s: effect %d = %v, want %v", c.name, i, eff[i], c.effects[i])
			}
		}
		if math.Abs(res-c.residual) > 1e-9 || math.Abs(sum-(c.a-c.r)) > 1e-9 {
			t.Errorf("%s: residual %v, the parts add up to %v, want %v and %v", c.name, res, sum, c.residual, c.a-c.r)
		}
	}
}

func TestMedianAndWeeks(t *testing.T) {
	if m := median([]*float64{f(3), nil, f(1), f(2)}); m == nil || *m != 2 {
		t.Errorf("median of 3, 1, 2: %v", m)
	}
	if m := median([]*float64{f(4), f(1), f(2), f(3)}); m == nil || *m != 2.5 {
		t.Errorf("median of four: %v", m)
	}
	if m := median([]*float64{nil}); m != nil {
		t.Errorf("median of nothing: %v", *m)
	}
	q := GoalPeriod{From: "2026-04-01", To: "2026-07-01"}
	for asOf, want := range map[string]float64{"2026-05-12": 7, "2026-03-01": 13, "2026-06-29": 1, "2026-12-01": 13} {
		if got := weeksLeft(q, asOf); math.Abs(got-want) > 0.01 {
			t.Errorf("weeks left after %s: %v, want %v", asOf, got, want)
		}
	}
}

// Each action reads in both languages, with its values in their units.
func TestDiagnosisActions(t *testing.T) {
	for _, c := range []struct {
		act        diagnosisAction
		amount     float64
		unit, per  string
		zh, en     string
		wantParams map[string]any
	}{
		{diagnosisAction{factor: GoalFactor{Factor: FactorOpportunities, Metric: metricNewOpps, Unit: "count", Value: f(6), Reference: f(16)}, against: AgainstPeers, perOpp: f(2), weeks: 7},
			3, "visits", "week", "每周多拜访 3 次，新增商机才能从 6 个达到同级中位数的 16 个",
			"+3 visits a week to reach the opportunity count of your peers' median (16 new opportunities instead of 6)", map[string]any{"total": 20.0, "opportunities": 10.0}},
		{diagnosisAction{factor: GoalFactor{Factor: FactorOpportunities, Metric: metricNewOpps, Unit: "count", Value: f(6), Reference: f(8.5)}, against: AgainstPrevious, weeks: 7},
			3, "opportunities", "period", "本期多开发 3 个新商机，从 6 个达到上期的 8.5 个",
			"+3 new opportunities this period to reach the opportunity count of your previous period (8.5 instead of 6)", nil},
		{diagnosisAction{factor: GoalFactor{Factor: FactorConversion, Metric: metricWinRate, Unit: "ratio", Value: f(.18), Reference: f(.25)}, against: AgainstPeers, open: 30},
			3, "wins", "period", "把赢率从 18% 提高到同级中位数的 25%：30 个未结商机中多赢 3 个",
			"Raise the win rate from 18% to 25% like your peers' median: 3 more wins of the 30 open opportunities", nil},
		{diagnosisAction{factor: GoalFactor{Factor: FactorConversion, Metric: metricWinRate, Unit: "ratio", Value: nil, Reference: f(.5)}, against: AgainstPrevious, closed: 0},
			5, "wins", "period", "把赢率从 — 提高到上期的 50%：每决出 10 个商机多赢 5 个",
			"Raise the win rate from — to 50% like your previous period: 5 more wins of every 10 opportunities decided", nil},
		{diagnosisAction{factor: GoalFactor{Factor: FactorOrderValue, Metric: "avg_signed_amount", Unit: "money", Value: f(3000000), Reference: f(4250050)}, against: AgainstPeers},
			1250050, "money", "deal", "把平均签单金额从 30,000.00 提高到同级中位数的 42,500.50（每单多 12,500.50）",
			"Raise the average order value from 30,000.00 to 42,500.50 like your peers' median (+12,500.50 a deal)", nil},
		{diagnosisAction{factor: GoalFactor{Factor: FactorCycle, Metric: metricCycle, Unit: "days", Value: f(60), Reference: f(45.25)}, against: AgainstPrevious},
			14.8, "days", "opportunity", "把商机周期从 60 天缩短到上期的 45.3 天（快 14.8 天）",
			"Shorten the opportunity cycle from 60 to 45.3 days like your previous period (14.8 days faster)", nil},
	} {
		a := c.act.build(true)
		if a.Amount != c.amount || a.Unit != c.unit || a.Per != c.per || a.Message.Text != c.zh {
			t.Errorf("%s: %v %s a %s: %q", c.act.factor.Factor, a.Amount, a.Unit, a.Per, a.Message.Text)
		}
		for k, v := range c.wantParams {
			if a.Message.Params[k] != v {
				t.Errorf("%s: %s = %v, want %v", c.act.factor.Factor, k, a.Message.Params[k], v)
			}
		}
		if en := c.act.build(false).Message.Text; en != c.en {
			t.Errorf("%s: %q", c.act.factor.Factor, en)
		}
	}
}
