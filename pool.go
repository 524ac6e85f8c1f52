package cohort

import (
	"strings"
	"time"
)

// Pool is a public pool (公海) of customers without an owner.
type Pool struct {
	ID            ID     `json:"id"`
	TenantID      ID     `json:"tenant_id"`
	Name          string `json:"name"`
	AdminIDs      []ID   `json:"admin_ids"`
	DepartmentIDs []ID   `json:"department_ids"`
	// Rules; 0 turns a rule off.
	NoFollowUpDays    int            `json:"no_followup_days"`
	NoFollowUpByGrade map[string]int `json:"no_followup_days_by_grade"`
	NoSigningDays     int            `json:"no_signing_days"`
	NoOpportunityDays int            `json:"no_opportunity_days"`
	WarnDays          int            `json:"warn_days"`
	DailyClaimLimit   int            `json:"daily_claim_limit"`
	MaxOwned          int            `json:"max_owned"`
	ReclaimBlockDays  int            `json:"reclaim_block_days"`
	IsDefault         bool           `json:"is_default"`
	Version           int            `json:"version"`
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
}

// Validate checks p's own fields.
func (p *Pool) Validate() error {
	var v Validation
	p.Name = strings.TrimSpace(p.Name)
	checkName(&v, "name", p.Name, 100)
	if p.AdminIDs == nil {
		p.AdminIDs = []ID{}
	}
	if p.DepartmentIDs == nil {
		p.DepartmentIDs = []ID{}
	}
	if p.NoFollowUpByGrade == nil {
		p.NoFollowUpByGrade = map[string]int{}
	}
	for name, n := range map[string]int{"no_followup_days": p.NoFollowUpDays, "no_signing_days": p.NoSigningDays, "warn_days": p.WarnDays,
		"no_opportunity_days": p.NoOpportunityDays,
		"daily_claim_limit":   p.DailyClaimLimit, "max_owned": p.MaxOwned, "reclaim_block_days": p.ReclaimBlockDays} {
		if n < 0 || n > 100000 {
			v.Add(name, "must be 0 (off) to 100000")
		}
	}
	for g, n := range p.NoFollowUpByGrade {
		if n < 0 || n > 100000 || len(g) > 50 {
			v.Add("no_followup_days_by_grade", "grade %q: days must be 0 to 100000", g)
		}
	}
	for name, n := range map[string]int{"no_followup_days": p.NoFollowUpDays, "no_signing_days": p.NoSigningDays,
		"no_opportunity_days": p.NoOpportunityDays} {
		if p.WarnDays > 0 && n > 0 && p.WarnDays >= n {
			v.Add("warn_days", "must be fewer than %s", name)
		}
	}
	return v.Err()
}

// ReturnDays is the number of days without a follow-up after which a customer
// of grade returns to the pool (0: never).
func (p *Pool) ReturnDays(grade string) int {
	if n, ok := p.NoFollowUpByGrade[grade]; ok {
		return n
	}
	return p.NoFollowUpDays
}

// Pool event kinds.
const (
	PoolReturned = "returned" // by the rules
	PoolReleased = "released" // by the owner or a manager
	PoolClaimed  = "claimed"
	PoolAssigned = "assigned"
)

// PoolEvent is one movement of a customer into or out of a pool.
type PoolEvent struct {
	ID         ID        `json:"id"`
	PoolID     ID        `json:"pool_id"`
	CustomerID ID        `json:"customer_id"`
	Kind       string    `json:"kind"`
	UserID     ID        `json:"user_id"`
	ActorID    ID        `json:"actor_id"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
}
