package service

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// CustomFields lists the tenant's custom fields of obj (all when empty).
func (s *Service) CustomFields(ctx context.Context, obj cohort.ObjectType) ([]*cohort.CustomField, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	return store.CustomFields(ctx, s.db.Read(), p.Tenant.ID, obj)
}

// CreateCustomField declares a field; it needs administer on its object type.
func (s *Service) CreateCustomField(ctx context.Context, f *cohort.CustomField) error {
	if !slices.Contains(cohort.CustomFieldObjects, f.ObjectType) {
		return cohort.Errorf(cohort.EINVALID, "object_type: custom fields exist on customer, contact, opportunity and lead")
	}
	p, err := require(ctx, f.ObjectType, cohort.ActAdminister)
	if err != nil {
		return err
	}
	f.TenantID, f.Active = p.Tenant.ID, true
	if err := f.Validate(); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.InsertCustomField(ctx, tx, f, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", "custom_field", f.ID, diff(nil, f))
	})
}

// CustomFieldUpdate is what may change of a declared field; its key, type
// and object type are fixed once values exist.
type CustomFieldUpdate struct {
	LabelZh   *string   `json:"label_zh"`
	LabelEn   *string   `json:"label_en"`
	Options   *[]string `json:"options"`
	Required  *bool     `json:"required"`
	SortOrder *int      `json:"sort_order"`
	Active    *bool     `json:"active"`
}

// UpdateCustomField changes a field's labels, options, order or state.
// Options may be added, not removed, so that stored values stay valid.
func (s *Service) UpdateCustomField(ctx context.Context, id cohort.ID, upd CustomFieldUpdate, ifVersion int) (*cohort.CustomField, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var out *cohort.CustomField
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		prev, err := store.FindCustomField(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if _, err := require(ctx, prev.ObjectType, cohort.ActAdminister); err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "custom field"); err != nil {
			return err
		}
		f := *prev
		if upd.LabelZh != nil {
			f.LabelZh = *upd.LabelZh
		}
		if upd.LabelEn != nil {
			f.LabelEn = *upd.LabelEn
		}
		if upd.Options != nil {
			for _, o := range prev.Options {
				if !slices.Contains(*upd.Options, o) {
					return cohort.Errorf(cohort.EINVALID, "options: %q is in use and cannot be removed; deactivate the field instead", o)
				}
			}
			f.Options = *upd.Options
		}
		if upd.Required != nil {
			f.Required = *upd.Required
		}
		if upd.SortOrder != nil {
			f.SortOrder = *upd.SortOrder
		}
		if upd.Active != nil {
			f.Active = *upd.Active
		}
		if err := f.Validate(); err != nil {
			return err
		}
		if err := store.UpdateCustomField(ctx, tx, &f, prev.Version, s.now()); err != nil {
			return err
		}
		out = &f
		return s.audit(ctx, tx, "update", "custom_field", f.ID, diff(prev, f))
	})
	return out, err
}

// checkCustom merges changes (keys set to null are removed) into a record's
// current custom values, validates the result against the declarations of
// obj and checks that referenced users, departments and records exist.
func (s *Service) checkCustom(ctx context.Context, q store.Queryer, obj cohort.ObjectType, current, changes json.RawMessage) (json.RawMessage, error) {
	p := cohort.PrincipalFrom(ctx)
	fields, err := store.CustomFields(ctx, q, p.Tenant.ID, obj)
	if err != nil {
		return nil, err
	}
	merged := map[string]json.RawMessage{}
	if len(current) > 0 {
		_ = json.Unmarshal(current, &merged)
	}
	if len(changes) > 0 && string(changes) != "null" {
		var ch map[string]json.RawMessage
		if err := json.Unmarshal(changes, &ch); err != nil {
			return nil, cohort.Errorf(cohort.EINVALID, "custom: must be an object of field keys to values")
		}
		for k, v := range ch {
			if string(v) == "null" {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
	}
	raw, _ := json.Marshal(merged)
	out, refs, err := cohort.CheckCustom(fields, raw)
	if err != nil {
		return nil, err
	}
	var v cohort.Validation
	for key, ids := range refs {
		var f *cohort.CustomField
		for _, x := range fields {
			if x.Key == key {
				f = x
			}
		}
		for _, id := range ids {
			var err error
			switch {
			case f.Type == cohort.CFUser:
				_, err = store.FindUser(ctx, q, p.Tenant.ID, id)
			case f.Type == cohort.CFDepartment:
				_, err = store.FindDepartment(ctx, q, p.Tenant.ID, id)
			case f.LookupType == cohort.ObjCustomer:
				_, err = store.FindCustomer(ctx, q, p.Tenant.ID, id, store.Where{})
			case f.LookupType == cohort.ObjOpportunity:
				_, err = store.FindOpportunity(ctx, q, p.Tenant.ID, id, store.Where{})
			case f.LookupType == cohort.ObjContact:
				_, err = store.FindContact(ctx, q, p.Tenant.ID, id)
			case f.LookupType == cohort.ObjLead:
				_, err = store.FindLead(ctx, q, p.Tenant.ID, id, store.Where{})
			}
			if err != nil {
				v.Add("custom."+key, "%s %s does not exist", f.Type, id)
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// listSpec returns the list spec of obj extended with the tenant's custom
// fields.
func (s *Service) customSpec(ctx context.Context, base *store.ListSpec, obj cohort.ObjectType, alias string) (*store.ListSpec, error) {
	p := cohort.PrincipalFrom(ctx)
	fields, err := store.CustomFields(ctx, s.db.Read(), p.Tenant.ID, obj)
	if err != nil {
		return nil, err
	}
	return base.WithCustom(s.db.Engine, alias, fields), nil
}
