package cohort

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"
)

// ObjLead is the record type of leads.
const ObjLead ObjectType = "lead"

// Lead statuses.
var LeadStatuses = []string{"new", "contacted", "qualified", "disqualified", "converted"}

// Lead is an unqualified prospect (线索).
type Lead struct {
	ID ID `json:"id"`
	// ExternalID is the record's id in the system it was migrated from
	// (unique per tenant and type when set).
	ExternalID    string          `json:"external_id"`
	TenantID      ID              `json:"tenant_id"`
	Name          string          `json:"name"`
	Company       string          `json:"company"`
	Title         string          `json:"title"`
	Phone         string          `json:"phone"`
	Email         string          `json:"email"`
	Province      string          `json:"province"`
	City          string          `json:"city"`
	Industry      string          `json:"industry"`
	Source        string          `json:"source"`
	Status        string          `json:"status"`
	Note          string          `json:"note"`
	OwnerID       ID              `json:"owner_id"`
	DepartmentID  ID              `json:"department_id"`
	ConvertedAt   *time.Time      `json:"converted_at"`
	CustomerID    ID              `json:"customer_id"`
	ContactID     ID              `json:"contact_id"`
	OpportunityID ID              `json:"opportunity_id"`
	Custom        json.RawMessage `json:"custom"`
	Version       int             `json:"version"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

// Validate checks and normalises l.
func (l *Lead) Validate() error {
	var v Validation
	l.Name = strings.TrimSpace(l.Name)
	checkName(&v, "name", l.Name, 100)
	if l.Status == "" {
		l.Status = "new"
	}
	if !slices.Contains(LeadStatuses, l.Status) {
		v.Add("status", "must be one of %s", strings.Join(LeadStatuses, ", "))
	}
	if l.Phone != "" {
		p, ok := NormalizePhone(l.Phone)
		if !ok {
			v.Add("phone", "is not a valid phone number")
		}
		l.Phone = p
	}
	if l.Email != "" {
		e, ok := NormalizeEmail(l.Email)
		if !ok {
			v.Add("email", "is not a valid email address")
		}
		l.Email = e
	}
	if len([]rune(l.Company)) > 200 || len([]rune(l.Note)) > 5000 {
		v.Add("company", "company at most 200 and note at most 5000 characters")
	}
	if len(l.Custom) == 0 {
		l.Custom = json.RawMessage("{}")
	}
	return v.Err()
}

// LeadUpdate holds the fields a PATCH may change.
type LeadUpdate struct {
	Name     *string `json:"name"`
	Company  *string `json:"company"`
	Title    *string `json:"title"`
	Phone    *string `json:"phone"`
	Email    *string `json:"email"`
	Province *string `json:"province"`
	City     *string `json:"city"`
	Industry *string `json:"industry"`
	Source   *string `json:"source"`
	Status   *string `json:"status"`
	Note     *string `json:"note"`
	// Custom holds changed custom field values (null removes a key).
	Custom *json.RawMessage `json:"custom"`
}

// LeadMapping says which lead field fills which field of the customer,
// contact and opportunity a conversion creates: target field → lead field.
type LeadMapping struct {
	Customer    map[string]string `json:"customer"`
	Contact     map[string]string `json:"contact"`
	Opportunity map[string]string `json:"opportunity"`
}

// Fields a mapping may read and write.
var (
	LeadFields         = []string{"name", "company", "title", "phone", "email", "province", "city", "industry", "source", "note"}
	LeadCustomerFields = []string{"name", "industry", "province", "city", "source", "grade", "segment"}
	LeadContactFields  = []string{"name", "title", "phone", "email", "wechat"}
	LeadOppFields      = []string{"name", "source", "competitor"}
)

// DefaultLeadMapping is the mapping of a tenant that has not set one.
func DefaultLeadMapping() LeadMapping {
	return LeadMapping{
		Customer:    map[string]string{"name": "company", "industry": "industry", "province": "province", "city": "city", "source": "source"},
		Contact:     map[string]string{"name": "name", "title": "title", "phone": "phone", "email": "email"},
		Opportunity: map[string]string{"name": "company", "source": "source"},
	}
}

// Validate checks that every target and source field exists.
func (m *LeadMapping) Validate() error {
	var v Validation
	check := func(part string, targets []string, mp map[string]string) {
		keys := make([]string, 0, len(mp))
		for k := range mp {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !slices.Contains(targets, k) {
				v.Add(part+"."+k, "not a %s field that a lead can fill", part)
			}
			if !slices.Contains(LeadFields, mp[k]) {
				v.Add(part+"."+k, "%q is not a lead field", mp[k])
			}
		}
	}
	check("customer", LeadCustomerFields, m.Customer)
	check("contact", LeadContactFields, m.Contact)
	check("opportunity", LeadOppFields, m.Opportunity)
	if m.Customer["name"] == "" {
		v.Add("customer.name", "the customer's name must come from a lead field")
	}
	if m.Contact["name"] == "" {
		v.Add("contact.name", "the contact's name must come from a lead field")
	}
	return v.Err()
}

// Field returns the value of a lead field by name.
func (l *Lead) Field(name string) string {
	switch name {
	case "name":
		return l.Name
	case "company":
		return l.Company
	case "title":
		return l.Title
	case "phone":
		return l.Phone
	case "email":
		return l.Email
	case "province":
		return l.Province
	case "city":
		return l.City
	case "industry":
		return l.Industry
	case "source":
		return l.Source
	case "note":
		return l.Note
	}
	return ""
}
