package cohort

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Custom field types.
const (
	CFText       = "text"
	CFNumber     = "number"
	CFMoney      = "money"
	CFDate       = "date"
	CFSingle     = "single"
	CFMulti      = "multi"
	CFUser       = "user"
	CFDepartment = "department"
	CFLookup     = "lookup"
	CFBoolean    = "boolean"
)

// CustomFieldTypes lists the types a tenant may declare.
var CustomFieldTypes = []string{CFText, CFNumber, CFMoney, CFDate, CFSingle, CFMulti, CFUser, CFDepartment, CFLookup, CFBoolean}

// CustomFieldObjects are the object types that carry custom fields.
var CustomFieldObjects = []ObjectType{ObjCustomer, ObjContact, ObjOpportunity, ObjLead}

// CustomField is a field a tenant declares on an object type (业务特征).
type CustomField struct {
	ID         ID         `json:"id"`
	TenantID   ID         `json:"tenant_id"`
	ObjectType ObjectType `json:"object_type"`
	Key        string     `json:"key"`
	LabelZh    string     `json:"label_zh"`
	LabelEn    string     `json:"label_en"`
	Type       string     `json:"type"`
	// Options are the choices of single and multi fields.
	Options []string `json:"options"`
	// LookupType is the record type a lookup field points at.
	LookupType ObjectType `json:"lookup_type"`
	Required   bool       `json:"required"`
	SortOrder  int        `json:"sort_order"`
	Active     bool       `json:"active"`
	Version    int        `json:"version"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Validate checks f's declaration.
func (f *CustomField) Validate() error {
	var v Validation
	if !slices.Contains(CustomFieldObjects, f.ObjectType) {
		v.Add("object_type", "custom fields exist on customer, contact, opportunity and lead")
	}
	if !validKey(f.Key) {
		v.Add("key", "must be 2 to 40 lower-case letters, digits or '_'")
	}
	checkName(&v, "label_zh", f.LabelZh, 50)
	checkName(&v, "label_en", f.LabelEn, 50)
	if !slices.Contains(CustomFieldTypes, f.Type) {
		v.Add("type", "must be one of %s", strings.Join(CustomFieldTypes, ", "))
	}
	if f.Options == nil {
		f.Options = []string{}
	}
	if f.Type == CFSingle || f.Type == CFMulti {
		if len(f.Options) == 0 || len(f.Options) > 200 {
			v.Add("options", "a choice field has 1 to 200 options")
		}
		seen := map[string]bool{}
		for _, o := range f.Options {
			if strings.TrimSpace(o) == "" || len([]rune(o)) > 100 || seen[o] {
				v.Add("options", "options are distinct, non-empty and at most 100 characters")
				break
			}
			seen[o] = true
		}
	}
	if f.Type == CFLookup && !slices.Contains([]ObjectType{ObjCustomer, ObjContact, ObjOpportunity, ObjLead}, f.LookupType) {
		v.Add("lookup_type", "a lookup points at customer, contact, opportunity or lead")
	}
	return v.Err()
}

// CheckCustom validates a record's custom values against the active field
// declarations: unknown keys, wrong types, unknown options and missing
// required values are errors. It returns the values normalised (numbers as
// numbers, money as integer minor units, dates as YYYY-MM-DD). Ids of users,
// departments and lookups are checked for existence by the caller (refs).
func CheckCustom(fields []*CustomField, raw json.RawMessage) (json.RawMessage, map[string][]ID, error) {
	var v Validation
	vals := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(raw)) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		if err := json.Unmarshal(raw, &vals); err != nil {
			return nil, nil, Errorf(EINVALID, "custom: must be an object of field keys to values")
		}
	}
	byKey := map[string]*CustomField{}
	for _, f := range fields {
		if f.Active {
			byKey[f.Key] = f
		}
	}
	out := map[string]any{}
	refs := map[string][]ID{}
	for k, rv := range vals {
		f, ok := byKey[k]
		if !ok {
			v.Add("custom."+k, "no such custom field")
			continue
		}
		if string(rv) == "null" {
			continue
		}
		val, ids, err := checkValue(f, rv)
		if err != nil {
			v.Add("custom."+k, "%s", err.Error())
			continue
		}
		out[k] = val
		if len(ids) > 0 {
			refs[k] = ids
		}
	}
	for _, f := range byKey {
		if _, ok := out[f.Key]; f.Required && !ok {
			v.Add("custom."+f.Key, "is required")
		}
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	b, _ := json.Marshal(out)
	return b, refs, nil
}

func checkValue(f *CustomField, rv json.RawMessage) (any, []ID, error) {
	switch f.Type {
	case CFText:
		var s string
		if json.Unmarshal(rv, &s) != nil || len([]rune(s)) > 2000 {
			return nil, nil, fmt.Errorf("must be text of at most 2000 characters")
		}
		return s, nil, nil
	case CFNumber:
		var n float64
		if json.Unmarshal(rv, &n) != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return nil, nil, fmt.Errorf("must be a number")
		}
		return n, nil, nil
	case CFMoney:
		var n int64
		if json.Unmarshal(rv, &n) != nil {
			return nil, nil, fmt.Errorf("must be an integer amount in minor units (fen)")
		}
		return n, nil, nil
	case CFDate:
		var s string
		if json.Unmarshal(rv, &s) != nil {
			return nil, nil, fmt.Errorf("must be a date YYYY-MM-DD")
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return nil, nil, fmt.Errorf("must be a date YYYY-MM-DD")
		}
		return s, nil, nil
	case CFBoolean:
		var b bool
		if json.Unmarshal(rv, &b) != nil {
			return nil, nil, fmt.Errorf("must be true or false")
		}
		return b, nil, nil
	case CFSingle:
		var s string
		if json.Unmarshal(rv, &s) != nil || !slices.Contains(f.Options, s) {
			return nil, nil, fmt.Errorf("must be one of %s", strings.Join(f.Options, ", "))
		}
		return s, nil, nil
	case CFMulti:
		var ss []string
		if json.Unmarshal(rv, &ss) != nil {
			return nil, nil, fmt.Errorf("must be a list of options")
		}
		for _, s := range ss {
			if !slices.Contains(f.Options, s) {
				return nil, nil, fmt.Errorf("%q is not one of %s", s, strings.Join(f.Options, ", "))
			}
		}
		return ss, nil, nil
	case CFUser, CFDepartment, CFLookup:
		var id ID
		if err := json.Unmarshal(rv, &id); err != nil || id == 0 {
			return nil, nil, fmt.Errorf("must be an id (a string of digits)")
		}
		return id, []ID{id}, nil
	}
	return nil, nil, fmt.Errorf("unknown field type")
}
