package service

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
)

// Duplicate is a customer that matches another by a matching rule.
type Duplicate struct {
	Customer *cohort.Customer `json:"customer"`
	// Rules names what matched: name, credit_code, phone, email.
	Rules []string `json:"rules"`
}

// Duplicates finds the customers that match customer id by normalised
// company name, credit code, or a contact's phone or email — within the
// caller's scope, so nothing outside it is revealed.
func (s *Service) Duplicates(ctx context.Context, id cohort.ID) ([]Duplicate, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActView, "c")
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	c, err := store.FindCustomer(ctx, q, p.Tenant.ID, id, scope)
	if err != nil {
		return nil, err
	}
	found := map[cohort.ID]*Duplicate{}
	var order []cohort.ID
	add := func(other *cohort.Customer, rule string) {
		d, ok := found[other.ID]
		if !ok {
			d = &Duplicate{Customer: other}
			found[other.ID] = d
			order = append(order, other.ID)
		}
		if !slices.Contains(d.Rules, rule) {
			d.Rules = append(d.Rules, rule)
		}
	}
	byName, err := store.DuplicateCustomers(ctx, q, p.Tenant.ID, c.Name, c.CreditCode, c.ID)
	if err != nil {
		return nil, err
	}
	for _, d := range byName {
		if cohort.CompanyKey(d.Name) == cohort.CompanyKey(c.Name) {
			add(d, "name")
		}
		if c.CreditCode != "" && d.CreditCode == c.CreditCode {
			add(d, "credit_code")
		}
	}
	contacts, err := store.ListContacts(ctx, q, p.Tenant.ID, c.ID)
	if err != nil {
		return nil, err
	}
	for _, k := range contacts {
		for _, rule := range []struct {
			name   string
			phones []string
			emails []string
		}{{"phone", nonEmpty(k.Phone), nil}, {"email", nil, nonEmpty(k.Email)}} {
			ids, err := store.CustomersByContact(ctx, q, p.Tenant.ID, rule.phones, rule.emails, c.ID)
			if err != nil {
				return nil, err
			}
			for _, oid := range ids {
				other, err := store.FindCustomer(ctx, q, p.Tenant.ID, oid, scope)
				if err == nil {
					add(other, rule.name)
				}
			}
		}
	}
	out := []Duplicate{}
	for _, oid := range order {
		// Only duplicates the caller may see.
		if _, err := store.FindCustomer(ctx, q, p.Tenant.ID, oid, scope); err == nil {
			out = append(out, *found[oid])
		}
	}
	return out, nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// MergeResult says what a merge did.
type MergeResult struct {
	Survivor *cohort.Customer  `json:"survivor"`
	Moved    store.MergeCounts `json:"moved"`
}

// Merge folds customer dupID into survivor id: every contact, follow-up,
// next action, opportunity, lead, pool movement and expense moves to the survivor,
// along with the duplicate's team history; the duplicate's current overlay
// members join the survivor's team (its owner too, in role keepOwnerAs when
// given, read-only with no share); empty fields and custom values of the
// survivor are filled from the duplicate. The duplicate is then deleted. Both
// must be editable by the caller; the whole merge is one transaction with an
// audit entry on each side.
func (s *Service) Merge(ctx context.Context, id, dupID cohort.ID, keepOwnerAs string) (*MergeResult, error) {
	scope, p, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActEdit, "c")
	if err != nil {
		return nil, err
	}
	if id == dupID {
		return nil, cohort.Errorf(cohort.EINVALID, "duplicate_id: a customer cannot be merged into itself")
	}
	now := s.now()
	res := &MergeResult{}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		for _, cid := range []cohort.ID{id, dupID} {
			if err := store.LockRow(ctx, tx, "customers", p.Tenant.ID, cid); err != nil {
				return err
			}
		}
		surv, err := store.FindCustomer(ctx, tx, p.Tenant.ID, id, scope)
		if err != nil {
			return err
		}
		dup, err := store.FindCustomer(ctx, tx, p.Tenant.ID, dupID, scope)
		if err != nil {
			return err
		}
		before := *surv
		fillEmpty(surv, dup)
		// Team: survivor's current team plus the duplicate's overlay members.
		team, err := store.CurrentTeam(ctx, tx, p.Tenant.ID, cohort.ObjCustomer, surv.ID)
		if err != nil {
			return err
		}
		dupTeam, err := store.CurrentTeam(ctx, tx, p.Tenant.ID, cohort.ObjCustomer, dup.ID)
		if err != nil {
			return err
		}
		roles, err := store.ListBusinessRoles(ctx, tx, p.Tenant.ID)
		if err != nil {
			return err
		}
		revenue := map[string]bool{}
		for _, r := range roles {
			revenue[r.Key] = r.Revenue
		}
		var members []cohort.TeamInput
		has := map[[2]string]bool{}
		for _, m := range team {
			share := m.ShareBP
			members = append(members, cohort.TeamInput{UserID: m.UserID, Role: m.Role, Access: m.Access, ShareBP: &share, ExpiresAt: m.ExpiresAt})
			has[[2]string{m.UserID.String(), m.Role}] = true
		}
		for _, m := range dupTeam {
			role, access, share := m.Role, m.Access, m.ShareBP
			if revenue[role] {
				if keepOwnerAs == "" || m.Role != cohort.RoleOwner {
					continue
				}
				role, access, share = keepOwnerAs, cohort.AccessRead, 0
			}
			if has[[2]string{m.UserID.String(), role}] {
				continue
			}
			has[[2]string{m.UserID.String(), role}] = true
			members = append(members, cohort.TeamInput{UserID: m.UserID, Role: role, Access: access, ShareBP: &share, ExpiresAt: m.ExpiresAt})
		}
		for _, m := range dupTeam {
			if err := store.CloseMembership(ctx, tx, p.Tenant.ID, m.ID, now); err != nil {
				return err
			}
		}
		if surv.OwnerID != 0 {
			if err := s.replaceTeam(ctx, tx, cohort.ObjCustomer, surv.ID, members, now, now); err != nil {
				return err
			}
		}
		if res.Moved, err = store.MoveCustomerRecords(ctx, tx, p.Tenant.ID, dup.ID, surv.ID); err != nil {
			return err
		}
		if err := facts.Update(ctx, tx, p.Tenant.ID, "customer_id = ?", []any{int64(dup.ID)},
			func(f *facts.Fact) { f.CustomerID = surv.ID }); err != nil {
			return err
		}
		if err := store.UpdateCustomer(ctx, tx, surv, before.Version, now); err != nil {
			return err
		}
		if err := store.DeleteCustomer(ctx, tx, p.Tenant.ID, dup.ID); err != nil {
			return err
		}
		if err := search.Delete(ctx, tx, p.Tenant.ID, string(cohort.ObjCustomer), dup.ID); err != nil {
			return err
		}
		if err := s.reindexCustomer(ctx, tx, p.Tenant.ID, surv.ID); err != nil {
			return err
		}
		moved, _ := json.Marshal(res.Moved)
		if err := s.audit(ctx, tx, "merge", cohort.ObjCustomer, surv.ID, append(diff(before, surv),
			cohort.FieldChange{Field: "merged_from", Before: json.RawMessage("null"), After: json.RawMessage(`"` + dup.ID.String() + `"`)},
			cohort.FieldChange{Field: "moved", Before: json.RawMessage("null"), After: moved})); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, "merged_into", cohort.ObjCustomer, dup.ID, append(diff(dup, nil),
			cohort.FieldChange{Field: "merged_into", Before: json.RawMessage("null"), After: json.RawMessage(`"` + surv.ID.String() + `"`)})); err != nil {
			return err
		}
		res.Survivor, err = store.FindCustomer(ctx, tx, p.Tenant.ID, surv.ID, store.Where{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// fillEmpty copies into c the fields it lacks from d, and d's custom values
// for keys c does not have.
func fillEmpty(c, d *cohort.Customer) {
	for _, f := range []struct{ dst, src *string }{{&c.CreditCode, &d.CreditCode}, {&c.Industry, &d.Industry}, {&c.Province, &d.Province},
		{&c.City, &d.City}, {&c.Source, &d.Source}, {&c.Grade, &d.Grade}, {&c.Segment, &d.Segment}, {&c.ValueQuality, &d.ValueQuality},
		{&c.DealSize, &d.DealSize}, {&c.ExpectedSignDate, &d.ExpectedSignDate}} {
		if *f.dst == "" {
			*f.dst = *f.src
		}
	}
	if c.ExpectedAmount == 0 {
		c.ExpectedAmount = d.ExpectedAmount
	}
	if c.FirstSignedAt == nil || (d.FirstSignedAt != nil && d.FirstSignedAt.Before(*c.FirstSignedAt)) {
		c.FirstSignedAt = d.FirstSignedAt
	}
	if c.LastFollowUpAt == nil || (d.LastFollowUpAt != nil && d.LastFollowUpAt.After(*c.LastFollowUpAt)) {
		c.LastFollowUpAt = d.LastFollowUpAt
	}
	c.Milestones = append(c.Milestones, d.Milestones...)
	cm, dm := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	_ = json.Unmarshal(c.Custom, &cm)
	_ = json.Unmarshal(d.Custom, &dm)
	for k, v := range dm {
		if _, ok := cm[k]; !ok {
			cm[k] = v
		}
	}
	c.Custom, _ = json.Marshal(cm)
}
