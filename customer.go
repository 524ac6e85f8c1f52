package cohort

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
)

// Record types that carry a team and appear in the audit log and timeline.
const (
	ObjCustomer ObjectType = "customer"
	ObjContact  ObjectType = "contact"
	ObjFollowUp ObjectType = "followup"
)

// Customer statuses.
const (
	CustomerActive  = "active"
	CustomerLost    = "lost"
	CustomerChurned = "churned"
)

// Value calibration: qualitative (定性) and grade (定级).
var (
	ValueQualities = []string{"", "valuable", "not_valuable", "uncertain"}
	DealSizes      = []string{"", "big", "normal", "small"}
)

// Customer is an account (客户).
type Customer struct {
	ID ID `json:"id"`
	// ExternalID is the record's id in the system it was migrated from
	// (unique per tenant and type when set).
	ExternalID string `json:"external_id"`
	TenantID   ID     `json:"tenant_id"`
	Name       string `json:"name"`
	CreditCode string `json:"credit_code"`
	Industry   string `json:"industry"`
	Province   string `json:"province"`
	City       string `json:"city"`
	Source     string `json:"source"`
	Grade      string `json:"grade"`
	Segment    string `json:"segment"`
	// Value calibration, each settable in one action.
	ValueQuality     string      `json:"value_quality"`
	DealSize         string      `json:"deal_size"`
	ExpectedSignDate string      `json:"expected_sign_date"`
	ExpectedAmount   int64       `json:"expected_amount"`
	Currency         string      `json:"currency"`
	Milestones       []Milestone `json:"milestones"`

	Status         string          `json:"status"`
	LostReason     string          `json:"lost_reason"`
	LostAt         *time.Time      `json:"lost_at"`
	FirstSignedAt  *time.Time      `json:"first_signed_at"`
	OwnerID        ID              `json:"owner_id"`
	DepartmentID   ID              `json:"department_id"`
	PoolID         ID              `json:"pool_id"`
	LastFollowUpAt *time.Time      `json:"last_followup_at"`
	Custom         json.RawMessage `json:"custom"`
	CreatedBy      ID              `json:"created_by"`
	Version        int             `json:"version"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// Milestone is a key-milestone mark on a customer (e.g. "decision maker met").
type Milestone struct {
	Key  string `json:"key"`
	Date string `json:"date"`
	Note string `json:"note,omitempty"`
}

// Validate checks c's own fields and fills defaults.
func (c *Customer) Validate() error {
	var v Validation
	c.Name = strings.TrimSpace(c.Name)
	checkName(&v, "name", c.Name, 200)
	c.CreditCode = strings.ToUpper(strings.TrimSpace(c.CreditCode))
	if c.CreditCode != "" && !ValidCreditCode(c.CreditCode) {
		v.Add("credit_code", "is not a valid unified social credit code (18 characters)")
	}
	if c.Status == "" {
		c.Status = CustomerActive
	}
	if !oneOf(c.Status, CustomerActive, CustomerLost, CustomerChurned) {
		v.Add("status", "must be active, lost or churned")
	}
	if !oneOf(c.ValueQuality, ValueQualities...) {
		v.Add("value_quality", "must be valuable, not_valuable or uncertain")
	}
	if !oneOf(c.DealSize, DealSizes...) {
		v.Add("deal_size", "must be big, normal or small")
	}
	if c.ExpectedSignDate != "" {
		if _, err := time.Parse(time.DateOnly, c.ExpectedSignDate); err != nil {
			v.Add("expected_sign_date", "must be a date YYYY-MM-DD")
		}
	}
	if c.ExpectedAmount < 0 {
		v.Add("expected_amount", "must not be negative")
	}
	if c.Currency != "" && !validCurrency(c.Currency) {
		v.Add("currency", "must be an ISO 4217 code such as CNY")
	}
	if c.Milestones == nil {
		c.Milestones = []Milestone{}
	}
	for _, m := range c.Milestones {
		if !validKey(m.Key) {
			v.Add("milestones", "a milestone key must be 2 to 40 lower-case letters, digits or '_'")
		}
		if _, err := time.Parse(time.DateOnly, m.Date); err != nil {
			v.Add("milestones", "a milestone date must be YYYY-MM-DD")
		}
	}
	if len(c.Custom) == 0 {
		c.Custom = json.RawMessage("{}")
	}
	for _, f := range []struct{ name, val string }{{"industry", c.Industry}, {"province", c.Province}, {"city", c.City},
		{"source", c.Source}, {"grade", c.Grade}, {"segment", c.Segment}, {"lost_reason", c.LostReason}} {
		if len([]rune(f.val)) > 200 {
			v.Add(f.name, "must be at most 200 characters")
		}
	}
	return v.Err()
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

// CompanyKey normalises a company name for duplicate matching: width-folded,
// lower-cased, without spaces and punctuation, and without the legal-form
// suffixes that vary between writings of one name (有限公司, 股份有限公司,
// Co., Ltd. ...).
func CompanyKey(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	k := b.String()
	for _, suffix := range []string{"股份有限公司", "有限责任公司", "有限公司", "集团", "公司", "coltd", "limited", "ltd", "inc", "corp", "co"} {
		if strings.HasSuffix(k, suffix) && len(k) > len(suffix) {
			k = strings.TrimSuffix(k, suffix)
			break
		}
	}
	return k
}

// ValidCreditCode checks a unified social credit code (统一社会信用代码,
// GB 32100-2015): 18 characters with a check character.
func ValidCreditCode(code string) bool {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	if len(code) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		n := strings.IndexByte(alphabet, code[i])
		if n < 0 {
			return false
		}
		sum += n * weights[i]
	}
	check := (31 - sum%31) % 31
	return code[17] == alphabet[check]
}

// CustomerUpdate holds the fields a PATCH may change.
type CustomerUpdate struct {
	Name             *string          `json:"name"`
	CreditCode       *string          `json:"credit_code"`
	Industry         *string          `json:"industry"`
	Province         *string          `json:"province"`
	City             *string          `json:"city"`
	Source           *string          `json:"source"`
	Grade            *string          `json:"grade"`
	Segment          *string          `json:"segment"`
	ValueQuality     *string          `json:"value_quality"`
	DealSize         *string          `json:"deal_size"`
	ExpectedSignDate *string          `json:"expected_sign_date"`
	ExpectedAmount   *int64           `json:"expected_amount"`
	Milestones       *[]Milestone     `json:"milestones"`
	Status           *string          `json:"status"`
	LostReason       *string          `json:"lost_reason"`
	Custom           *json.RawMessage `json:"custom"`
	// LostAt dates a change of status to lost (default now).
	LostAt *time.Time `json:"lost_at,omitempty"`
}

// Contact is a person at a customer (联系人).
type Contact struct {
	ID ID `json:"id"`
	// ExternalID is the record's id in the system it was migrated from
	// (unique per tenant and type when set).
	ExternalID string          `json:"external_id"`
	TenantID   ID              `json:"tenant_id"`
	CustomerID ID              `json:"customer_id"`
	Name       string          `json:"name"`
	Title      string          `json:"title"`
	Phone      string          `json:"phone"`
	Email      string          `json:"email"`
	WeChat     string          `json:"wechat"`
	IsPrimary  bool            `json:"is_primary"`
	Custom     json.RawMessage `json:"custom"`
	Version    int             `json:"version"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// Validate checks and normalises c.
func (c *Contact) Validate() error {
	var v Validation
	c.Name = strings.TrimSpace(c.Name)
	checkName(&v, "name", c.Name, 100)
	if c.Phone != "" {
		p, ok := NormalizePhone(c.Phone)
		if !ok {
			v.Add("phone", "is not a valid phone number")
		}
		c.Phone = p
	}
	if c.Email != "" {
		e, ok := NormalizeEmail(c.Email)
		if !ok {
			v.Add("email", "is not a valid email address")
		}
		c.Email = e
	}
	if len(c.Custom) == 0 {
		c.Custom = json.RawMessage("{}")
	}
	return v.Err()
}

// ContactUpdate holds the fields a PATCH may change.
type ContactUpdate struct {
	Name      *string          `json:"name"`
	Title     *string          `json:"title"`
	Phone     *string          `json:"phone"`
	Email     *string          `json:"email"`
	WeChat    *string          `json:"wechat"`
	IsPrimary *bool            `json:"is_primary"`
	Custom    *json.RawMessage `json:"custom"`
}

// Team access levels.
const (
	AccessRead  = "read"
	AccessWrite = "write"
)

// FullShare is 100 % in basis points.
const FullShare = 10000

// TeamMember is a person on a record's team (相关团队) with a business role,
// an access level and a credit share in basis points (10000 = 100 %).
type TeamMember struct {
	ID         ID         `json:"id"`
	RecordType ObjectType `json:"record_type"`
	RecordID   ID         `json:"record_id"`
	UserID     ID         `json:"user_id"`
	UserName   string     `json:"user_name"`
	Role       string     `json:"role"`
	Access     string     `json:"access"`
	ShareBP    int        `json:"share_bp"`
	ExpiresAt  *time.Time `json:"expires_at"`
	ValidFrom  time.Time  `json:"valid_from"`
	ValidTo    *time.Time `json:"valid_to"`
	AddedBy    ID         `json:"added_by"`
	// ValidFrom and ValidTo are business times; RecordedAt is when the
	// membership was written.
	RecordedAt time.Time `json:"recorded_at"`
}

// TeamInput is one member of a team as a client sets it.
type TeamInput struct {
	UserID    ID         `json:"user_id"`
	Role      string     `json:"role"`
	Access    string     `json:"access"`
	ShareBP   *int       `json:"share_bp"`
	ExpiresAt *time.Time `json:"expires_at"`
}
