package metrics

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// The explainable win probability of an open opportunity (docs/API.md,
// "Win probability"): a naive-Bayes model over frequency tables of the
// team's won and lost opportunities. Each closed opportunity (one
// opportunity.won or opportunity.lost fact of the revenue role, per record)
// is described by five features: the stage it closed from (for an open one,
// the stage it stands in), its amount band, its source (the opportunity's,
// else its customer's), its customer's industry and how long it was open.
// With W won and L lost and, for a feature's value v, w_v won and l_v lost
// among K values of the feature (those seen and v):
//
//	log-odds = ln((W+1)/(L+1)) + Σ_features ln( ((w_v+1)/(W+K)) / ((l_v+1)/(L+K)) )
//	probability = 1 / (1 + e^(−log-odds))
//
// A factor's effect is its term of the sum; its points are the probability
// minus the probability without that term. The team is the opportunity's
// department (facts credited while their owner belonged to it); with fewer
// than MinWinSamples closed there, the whole company's. The tables are read
// from the facts on every request — one indexed read of the closed
// opportunities — so every close counts at once and nothing is cached.

// MinWinSamples is the number of closed opportunities a department needs to
// have its own model.
const MinWinSamples = 10

// WinFactor is one feature of the opportunity and its effect.
type WinFactor struct {
	Feature string  `json:"feature" example:"stage"`
	Value   string  `json:"value" example:"negotiation"`
	Won     int     `json:"won"`
	Lost    int     `json:"lost"`
	Effect  float64 `json:"effect"`
	Points  float64 `json:"points"`
}

// WinProbability is an opportunity's estimated chance to be won.
type WinProbability struct {
	OpportunityID cohort.ID `json:"opportunity_id"`
	Probability   float64   `json:"probability"`
	// BaseRate is won ÷ (won + lost) of the basis; empty when nothing closed.
	BaseRate *float64 `json:"base_rate"`
	Won      int      `json:"won"`
	Lost     int      `json:"lost"`
	// Basis is department (the opportunity's department's closed ones),
	// company, or none (nothing closed yet: 50 %).
	Basis        string      `json:"basis"`
	DepartmentID cohort.ID   `json:"department_id"`
	Factors      []WinFactor `json:"factors"`
}

// WinFeatures are the features of the model, in order.
var WinFeatures = []string{"stage", "amount_band", "source", "industry", "days_open"}

// AmountBand is the band of an amount in minor units (of a currency with
// cents): below 10 000, 10 000–100 000, 100 000–1 000 000, above.
func AmountBand(amount int64) string {
	switch {
	case amount < 1_000_000:
		return "lt_10k"
	case amount < 10_000_000:
		return "10k_100k"
	case amount < 100_000_000:
		return "100k_1m"
	}
	return "ge_1m"
}

// DaysBand is the band of a number of days open.
func DaysBand(days int64) string {
	switch {
	case days < 30:
		return "lt_30"
	case days < 90:
		return "30_90"
	case days < 180:
		return "90_180"
	}
	return "ge_180"
}

type closedOpp struct {
	won      bool
	features []string
}

// closedOpps reads the closed opportunities of a department (0: the
// company) with their features.
func closedOpps(ctx context.Context, db store.Queryer, tenantID, dept cohort.ID) ([]closedOpp, error) {
	q := `SELECT DISTINCT f.record_id, f.kind, f.stage, f.amount, f.duration_s, COALESCE(c.industry, ''), COALESCE(o.source, ''), COALESCE(c.source, '')
		FROM facts f LEFT JOIN customers c ON c.tenant_id = f.tenant_id AND c.id = f.customer_id
		LEFT JOIN opportunities o ON o.tenant_id = f.tenant_id AND o.id = f.record_id
		WHERE f.tenant_id = ? AND f.kind IN ('opportunity.won', 'opportunity.lost') AND f.role = ?`
	args := []any{int64(tenantID), cohort.RoleOwner}
	if dept != 0 {
		q += " AND f.department_id = ?"
		args = append(args, int64(dept))
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("win probability: %w", err)
	}
	defer rows.Close()
	seen := map[int64]bool{}
	var out []closedOpp
	for rows.Next() {
		var id, amount, dur int64
		var kind, stage, industry, source, custSource string
		if err := rows.Scan(&id, &kind, &stage, &amount, &dur, &industry, &source, &custSource); err != nil {
			return nil, err
		}
		if seen[id] {
			continue // co-owners in the department
		}
		seen[id] = true
		if source == "" {
			source = custSource
		}
		out = append(out, closedOpp{won: kind == kOppWon, features: []string{stage, AmountBand(amount), source, industry, DaysBand(dur / 86400)}})
	}
	return out, rows.Err()
}

// WinOdds computes the win probability of an opportunity with the given
// features (in WinFeatures' order) from the closed opportunities of its
// department, or of the company when the department has too few.
func WinOdds(ctx context.Context, db store.Queryer, tenantID, dept cohort.ID, features []string) (*WinProbability, error) {
	out := &WinProbability{Basis: "department", DepartmentID: dept}
	var closed []closedOpp
	var err error
	if dept != 0 {
		if closed, err = closedOpps(ctx, db, tenantID, dept); err != nil {
			return nil, err
		}
	}
	if len(closed) < MinWinSamples {
		out.Basis, out.DepartmentID = "company", 0
		if closed, err = closedOpps(ctx, db, tenantID, 0); err != nil {
			return nil, err
		}
	}
	model(out, closed, features)
	return out, nil
}

// model fills p from the frequency tables of closed.
func model(p *WinProbability, closed []closedOpp, features []string) {
	for _, c := range closed {
		if c.won {
			p.Won++
		} else {
			p.Lost++
		}
	}
	if p.Won+p.Lost == 0 {
		p.Basis = "none"
	} else {
		r := float64(p.Won) / float64(p.Won+p.Lost)
		p.BaseRate = &r
	}
	W, L := float64(p.Won), float64(p.Lost)
	logit := math.Log((W + 1) / (L + 1))
	p.Factors = []WinFactor{}
	for i, name := range WinFeatures {
		v := features[i]
		values := map[string]bool{v: true}
		var w, l int
		for _, c := range closed {
			values[c.features[i]] = true
			if c.features[i] == v {
				if c.won {
					w++
				} else {
					l++
				}
			}
		}
		k := float64(len(values))
		effect := math.Log(((float64(w) + 1) / (W + k)) / ((float64(l) + 1) / (L + k)))
		logit += effect
		p.Factors = append(p.Factors, WinFactor{Feature: name, Value: v, Won: w, Lost: l, Effect: effect})
	}
	p.Probability = sigmoid(logit)
	for i := range p.Factors {
		f := &p.Factors[i]
		f.Points = round(p.Probability - sigmoid(logit-f.Effect))
		f.Effect = round(f.Effect)
	}
	p.Probability = round(p.Probability)
	slices.SortStableFunc(p.Factors, func(a, b WinFactor) int {
		switch x, y := math.Abs(a.Effect), math.Abs(b.Effect); {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return 0
	})
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// OpportunityFeatures are an open opportunity's features at now.
func OpportunityFeatures(o *cohort.Opportunity, industry, customerSource string, now time.Time) []string {
	src := o.Source
	if src == "" {
		src = customerSource
	}
	return []string{o.Stage, AmountBand(o.Amount), src, industry, DaysBand(int64(now.Sub(o.CreatedAt) / (24 * time.Hour)))}
}
