package metrics

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// RFM value tiers (docs/API.md, "Segmentation"). Over the customers with a
// signed contract or order in the window (the 365 days up to and including
// the as-of date), each customer has
//
//   - recency: days from its last signing in the window to the as-of date,
//   - frequency: contracts and orders signed in the window (signed_count),
//   - monetary: their amount (signed_amount, revenue credit: the whole
//     amount of each document),
//
// all from the metric engine by the customer dimension, in the asker's
// scope. Each measure is scored 1–5 by quintile: with n customers, one that
// is strictly better than w of them on the measure (fewer days, more
// signings, more money is better; ties share the score) scores
// 1 + ⌊5 × w ÷ n⌋. The tier is the first that applies:
//
//	champion     R ≥ 4, F ≥ 4 and M ≥ 4
//	loyal        R ≥ 3 and (F ≥ 4 or M ≥ 4)
//	at_risk      R ≤ 2 and (F ≥ 4 or M ≥ 4)
//	promising    R ≥ 4
//	hibernating  every other
//
// The most valuable customers are the top N by monetary (then recency).

// Tiers lists the value tiers, best first.
var Tiers = []string{"champion", "loyal", "at_risk", "promising", "hibernating"}

// RFMWindowDays is the window of the segmentation.
const RFMWindowDays = 365

// RFMCustomer is one customer's measures, scores and tier.
type RFMCustomer struct {
	CustomerID cohort.ID `json:"customer_id"`
	Name       string    `json:"name"`
	Recency    int       `json:"recency_days"`
	LastSigned string    `json:"last_signed"`
	Frequency  int       `json:"frequency"`
	Monetary   float64   `json:"monetary"`
	R          int       `json:"r"`
	F          int       `json:"f"`
	M          int       `json:"m"`
	Tier       string    `json:"tier"`
}

// TierCount is the size of a tier.
type TierCount struct {
	Tier     string  `json:"tier"`
	Count    int     `json:"count"`
	Monetary float64 `json:"monetary"`
}

// Segmentation is the RFM analysis at an as-of date.
type Segmentation struct {
	AsOf      string        `json:"as_of"`
	From      string        `json:"from"`
	To        string        `json:"to"`
	Customers int           `json:"customers"`
	Tiers     []TierCount   `json:"tiers"`
	Top       []RFMCustomer `json:"top"`
}

// RunSegmentation computes the RFM tiers at asOf (a local date) and the top
// customers by monetary value, inside env's scope.
func RunSegmentation(ctx context.Context, db store.Queryer, env Env, asOf time.Time, top int) (*Segmentation, error) {
	to := asOf.AddDate(0, 0, 1)
	from := to.AddDate(0, 0, -RFMWindowDays)
	res, err := Run(ctx, db, env, Query{Metrics: []string{"signed_count", "signed_amount", "last_signed_day"}, Dimensions: []string{"customer"},
		From: fmtDate(from), To: fmtDate(to)})
	if err != nil {
		return nil, err
	}
	out := &Segmentation{AsOf: fmtDate(asOf), From: fmtDate(from), To: fmtDate(to), Tiers: []TierCount{}, Top: []RFMCustomer{}}
	var cs []RFMCustomer
	for _, r := range res.Rows {
		id, _ := strconv.ParseInt(r.Keys[0], 10, 64)
		last, n := r.Values["last_signed_day"], r.Values["signed_count"]
		if id == 0 || last == nil || n == nil || *n == 0 {
			continue
		}
		day := dateOf(int64(*last))
		c := RFMCustomer{CustomerID: cohort.ID(id), Name: r.Labels[0], LastSigned: fmtDate(day), Recency: int(dayNum(asOf) - int64(*last)),
			Frequency: int(*n), Monetary: deref(r.Values["signed_amount"])}
		cs = append(cs, c)
	}
	n := len(cs)
	out.Customers = n
	score := func(better func(a, b *RFMCustomer) bool) []int {
		s := make([]int, n)
		for i := range cs {
			worse := 0
			for j := range cs {
				if better(&cs[i], &cs[j]) {
					worse++
				}
			}
			s[i] = 1 + 5*worse/n
		}
		return s
	}
	rs := score(func(a, b *RFMCustomer) bool { return a.Recency < b.Recency })
	fs := score(func(a, b *RFMCustomer) bool { return a.Frequency > b.Frequency })
	ms := score(func(a, b *RFMCustomer) bool { return a.Monetary > b.Monetary })
	counts := map[string]*TierCount{}
	for _, t := range Tiers {
		out.Tiers = append(out.Tiers, TierCount{Tier: t})
	}
	for i := range out.Tiers {
		counts[out.Tiers[i].Tier] = &out.Tiers[i]
	}
	for i := range cs {
		c := &cs[i]
		c.R, c.F, c.M = rs[i], fs[i], ms[i]
		c.Tier = tierOf(c.R, c.F, c.M)
		counts[c.Tier].Count++
		counts[c.Tier].Monetary += c.Monetary
	}
	slices.SortStableFunc(cs, func(a, b RFMCustomer) int {
		switch {
		case a.Monetary != b.Monetary:
			return -cmpFloat(a.Monetary, b.Monetary)
		case a.Recency != b.Recency:
			return a.Recency - b.Recency
		}
		return cmp.Compare(a.CustomerID, b.CustomerID)
	})
	if len(cs) > top {
		cs = cs[:top]
	}
	out.Top = append(out.Top, cs...)
	return out, nil
}

func tierOf(r, f, m int) string {
	heavy := f >= 4 || m >= 4
	switch {
	case r >= 4 && f >= 4 && m >= 4:
		return "champion"
	case r >= 3 && heavy:
		return "loyal"
	case r <= 2 && heavy:
		return "at_risk"
	case r >= 4:
		return "promising"
	}
	return "hibernating"
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func deref(v *float64) float64 {
	if v == nil || math.IsNaN(*v) {
		return 0
	}
	return *v
}
