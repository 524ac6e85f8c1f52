package cohort

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Record types of the sales pipeline.
const (
	ObjOpportunity ObjectType = "opportunity"
	ObjProduct     ObjectType = "product"
)

// Stage is one step of a sales process.
type Stage struct {
	Key    string `json:"key"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	// Probability is the win probability in percent at this stage.
	Probability int `json:"probability"`
	// RequiredFields must be filled on the opportunity to enter the stage.
	RequiredFields []string `json:"required_fields"`
	// RequiredFollowUps are follow-up types that must have been logged on the
	// opportunity (or its customer since it was created) to enter the stage.
	RequiredFollowUps []string `json:"required_followups"`
	GuidanceZh        string   `json:"guidance_zh"`
	GuidanceEn        string   `json:"guidance_en"`
}

// StageFields are the opportunity fields a stage may require.
var StageFields = []string{"amount", "expected_close_date", "contact_id", "competitor", "lines"}

// SalesProcess is the ordered stages of one business type (销售流程).
type SalesProcess struct {
	ID        ID        `json:"id"`
	TenantID  ID        `json:"tenant_id"`
	Key       string    `json:"key"`
	NameZh    string    `json:"name_zh"`
	NameEn    string    `json:"name_en"`
	Stages    []Stage   `json:"stages"`
	Active    bool      `json:"active"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks p and its stages.
func (p *SalesProcess) Validate() error {
	var v Validation
	if !validKey(p.Key) {
		v.Add("key", "must be 2 to 40 lower-case letters, digits or '_'")
	}
	checkName(&v, "name_zh", p.NameZh, 50)
	checkName(&v, "name_en", p.NameEn, 50)
	if len(p.Stages) == 0 || len(p.Stages) > 20 {
		v.Add("stages", "a process has 1 to 20 stages")
	}
	seen := map[string]bool{}
	for i, s := range p.Stages {
		f := fmt.Sprintf("stages[%d]", i)
		if !validKey(s.Key) || seen[s.Key] {
			v.Add(f+".key", "must be a unique key of lower-case letters, digits or '_'")
		}
		seen[s.Key] = true
		checkName(&v, f+".name_zh", s.NameZh, 50)
		checkName(&v, f+".name_en", s.NameEn, 50)
		if s.Probability < 0 || s.Probability > 100 {
			v.Add(f+".probability", "must be 0 to 100")
		}
		for _, rf := range s.RequiredFields {
			if !slices.Contains(StageFields, rf) {
				v.Add(f+".required_fields", "unknown field %q; use %s", rf, strings.Join(StageFields, ", "))
			}
		}
		for _, rt := range s.RequiredFollowUps {
			if !slices.Contains(FollowUpTypes, rt) {
				v.Add(f+".required_followups", "unknown follow-up type %q", rt)
			}
		}
		if p.Stages[i].RequiredFields == nil {
			p.Stages[i].RequiredFields = []string{}
		}
		if p.Stages[i].RequiredFollowUps == nil {
			p.Stages[i].RequiredFollowUps = []string{}
		}
	}
	return v.Err()
}

// StageIndex returns the position of stage key, or -1.
func (p *SalesProcess) StageIndex(key string) int {
	for i, s := range p.Stages {
		if s.Key == key {
			return i
		}
	}
	return -1
}

// BuiltinProcesses are the sales processes of every new tenant: one per
// business type (small order, big order, key account, small customer).
func BuiltinProcesses() []SalesProcess {
	st := func(key, zh, en string, p int, fields, fus []string, gzh, gen string) Stage {
		return Stage{Key: key, NameZh: zh, NameEn: en, Probability: p, RequiredFields: fields, RequiredFollowUps: fus, GuidanceZh: gzh, GuidanceEn: gen}
	}
	none := []string{}
	return []SalesProcess{
		{Key: "small_order", NameZh: "小单", NameEn: "Small order", Active: true, Stages: []Stage{
			st("qualify", "初步接洽", "Qualify", 10, none, none, "确认需求真实、预算和决策人。", "Confirm the need, the budget and who decides."),
			st("quote", "报价", "Quote", 50, []string{"amount"}, none, "按价目表报价，明确交付周期。", "Quote from the price list with the delivery time."),
			st("negotiation", "谈判成交", "Negotiate", 80, []string{"amount", "expected_close_date"}, []string{"quote_sent"}, "确认付款方式，推动签约。", "Agree payment terms and push to sign."),
		}},
		{Key: "big_order", NameZh: "大单", NameEn: "Big order", Active: true, Stages: []Stage{
			st("qualify", "初步接洽", "Qualify", 10, none, none, "识别决策链：发起人、评估人、决策人。", "Map the buying committee: sponsor, evaluators, decision maker."),
			st("needs", "需求分析", "Needs analysis", 20, []string{"contact_id"}, []string{"visit"}, "拜访关键人，记录痛点与成功标准。", "Visit key people; record pains and success criteria."),
			st("proposal", "方案制定", "Proposal", 40, []string{"amount", "expected_close_date"}, none, "售前参与，定制方案并演示。", "Bring presales in; tailor and demo the solution."),
			st("negotiation", "商务谈判", "Negotiation", 70, []string{"amount", "expected_close_date"}, []string{"proposal_sent"}, "方案已发出后进入谈判；明确竞争对手。", "Negotiate once the proposal is sent; know the competitor."),
			st("contract", "合同审批", "Contract", 90, []string{"amount", "expected_close_date", "lines"}, []string{"quote_sent"}, "报价已发出，走合同审批。", "With the quote sent, take the contract through approval."),
		}},
		{Key: "key_account", NameZh: "大客户", NameEn: "Key account", Active: true, Stages: []Stage{
			st("plan", "客户规划", "Account plan", 10, none, none, "制定客户计划与关系图谱。", "Write the account plan and relationship map."),
			st("engage", "高层接触", "Executive engagement", 30, []string{"contact_id"}, []string{"meeting"}, "与高层会面，对齐战略。", "Meet executives and align on strategy."),
			st("solution", "联合方案", "Joint solution", 50, []string{"amount", "expected_close_date"}, []string{"proposal_sent"}, "与客户共同设计方案。", "Design the solution with the customer."),
			st("commit", "承诺签约", "Commit", 85, []string{"amount", "expected_close_date", "lines"}, []string{"quote_sent"}, "获得书面承诺，准备签约。", "Get a written commitment; prepare to sign."),
		}},
		{Key: "small_customer", NameZh: "小客户", NameEn: "Small customer", Active: true, Stages: []Stage{
			st("contact", "电话触达", "Reach", 20, none, []string{"call"}, "电话或微信触达，快速判断意向。", "Reach by phone or WeChat; judge interest fast."),
			st("trial", "试用体验", "Trial", 50, none, none, "开通试用，跟进使用情况。", "Open a trial and follow its use."),
			st("close", "促成签约", "Close", 80, []string{"amount"}, none, "给出限时优惠，促成签约。", "Offer a time-limited deal and close."),
		}},
	}
}

// Opportunity statuses.
const (
	OppOpen    = "open"
	OppWon     = "won"
	OppLost    = "lost"
	OppInvalid = "invalid"
)

// Forecast categories.
var ForecastCategories = []string{"pipeline", "best_case", "commit", "omitted"}

// Opportunity is a potential deal moving through a sales process (商机).
type Opportunity struct {
	ID         ID `json:"id"`
	TenantID   ID `json:"tenant_id"`
	CustomerID ID `json:"customer_id"`
	// CustomerName is read with the opportunity (never written through it).
	CustomerName      string          `json:"customer_name"`
	ContactID         ID              `json:"contact_id"`
	ProcessID         ID              `json:"process_id"`
	Stage             string          `json:"stage"`
	Name              string          `json:"name"`
	Amount            int64           `json:"amount"`
	Currency          string          `json:"currency"`
	ExpectedCloseDate string          `json:"expected_close_date"`
	ForecastCategory  string          `json:"forecast_category"`
	Status            string          `json:"status"`
	LossReason        string          `json:"loss_reason"`
	Competitor        string          `json:"competitor"`
	Source            string          `json:"source"`
	ClosedAt          *time.Time      `json:"closed_at"`
	OwnerID           ID              `json:"owner_id"`
	DepartmentID      ID              `json:"department_id"`
	Custom            json.RawMessage `json:"custom"`
	CreatedBy         ID              `json:"created_by"`
	Lines             []OppLine       `json:"lines"`
	Version           int             `json:"version"`
	CreatedAt         time.Time       `json:"created_at"`
	UpdatedAt         time.Time       `json:"updated_at"`
}

// OppLine is one product line of an opportunity; amounts in minor units.
type OppLine struct {
	ProductID   ID     `json:"product_id"`
	ProductName string `json:"product_name"`
	Quantity    int64  `json:"quantity"`
	UnitPrice   int64  `json:"unit_price"`
	DiscountBP  int    `json:"discount_bp"`
	Amount      int64  `json:"amount"`
}

// LineAmount is quantity × unit price less the discount, rounded half up to
// the minor unit.
func LineAmount(qty, unitPrice int64, discountBP int) int64 {
	gross := qty * unitPrice
	return (gross*int64(FullShare-discountBP) + FullShare/2) / FullShare
}

// Validate checks o's own fields.
func (o *Opportunity) Validate() error {
	var v Validation
	o.Name = strings.TrimSpace(o.Name)
	checkName(&v, "name", o.Name, 200)
	if o.CustomerID == 0 {
		v.Add("customer_id", "is required")
	}
	if o.Amount < 0 {
		v.Add("amount", "must not be negative")
	}
	if o.ExpectedCloseDate != "" {
		if _, err := time.Parse(time.DateOnly, o.ExpectedCloseDate); err != nil {
			v.Add("expected_close_date", "must be a date YYYY-MM-DD")
		}
	}
	if o.ForecastCategory == "" {
		o.ForecastCategory = "pipeline"
	}
	if !slices.Contains(ForecastCategories, o.ForecastCategory) {
		v.Add("forecast_category", "must be one of %s", strings.Join(ForecastCategories, ", "))
	}
	if len(o.Custom) == 0 {
		o.Custom = json.RawMessage("{}")
	}
	if o.Lines == nil {
		o.Lines = []OppLine{}
	}
	for i, l := range o.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		if l.ProductID == 0 {
			v.Add(f+".product_id", "is required")
		}
		if l.Quantity <= 0 || l.Quantity > 1e9 {
			v.Add(f+".quantity", "must be 1 to 1000000000")
		}
		if l.UnitPrice < 0 || l.UnitPrice > 1e13 {
			v.Add(f+".unit_price", "must be 0 to 10^13 minor units")
		}
		if l.DiscountBP < 0 || l.DiscountBP > FullShare {
			v.Add(f+".discount_bp", "must be 0 to 10000")
		}
	}
	return v.Err()
}

// Missing lists what o lacks to enter stage s, given the follow-up types
// logged so far.
func (o *Opportunity) Missing(s Stage, logged []string) []string {
	var out []string
	for _, f := range s.RequiredFields {
		empty := false
		switch f {
		case "amount":
			empty = o.Amount <= 0
		case "expected_close_date":
			empty = o.ExpectedCloseDate == ""
		case "contact_id":
			empty = o.ContactID == 0
		case "competitor":
			empty = o.Competitor == ""
		case "lines":
			empty = len(o.Lines) == 0
		}
		if empty {
			out = append(out, "field "+f)
		}
	}
	for _, t := range s.RequiredFollowUps {
		if !slices.Contains(logged, t) {
			out = append(out, "a follow-up of type "+t)
		}
	}
	return out
}

// OpportunityUpdate holds the fields a PATCH may change (the stage and the
// outcome change through their own actions).
type OpportunityUpdate struct {
	Name              *string          `json:"name"`
	ContactID         *ID              `json:"contact_id"`
	Amount            *int64           `json:"amount"`
	ExpectedCloseDate *string          `json:"expected_close_date"`
	ForecastCategory  *string          `json:"forecast_category"`
	Competitor        *string          `json:"competitor"`
	Source            *string          `json:"source"`
	Lines             *[]OppLine       `json:"lines"`
	Custom            *json.RawMessage `json:"custom"`
}

// StageEntry is one stage an opportunity entered.
type StageEntry struct {
	Stage     string     `json:"stage"`
	EnteredAt time.Time  `json:"entered_at"`
	LeftAt    *time.Time `json:"left_at"`
	UserID    ID         `json:"user_id"`
	// RecordedAt is when the entry was written; EnteredAt is when it
	// happened.
	RecordedAt time.Time `json:"recorded_at"`
}

// Product is something the tenant sells.
type Product struct {
	ID         ID        `json:"id"`
	TenantID   ID        `json:"tenant_id"`
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	CategoryID ID        `json:"category_id"`
	Unit       string    `json:"unit"`
	Price      int64     `json:"price"`
	Currency   string    `json:"currency"`
	Active     bool      `json:"active"`
	Version    int       `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Validate checks p.
func (p *Product) Validate() error {
	var v Validation
	p.Code = strings.TrimSpace(p.Code)
	if p.Code == "" || len(p.Code) > 50 {
		v.Add("code", "must be 1 to 50 characters")
	}
	checkName(&v, "name", p.Name, 200)
	if p.Price < 0 {
		v.Add("price", "must not be negative")
	}
	if p.Currency != "" && !validCurrency(p.Currency) {
		v.Add("currency", "must be an ISO 4217 code such as CNY")
	}
	return v.Err()
}
