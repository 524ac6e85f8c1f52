package service

import (
	"context"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

const settingLeadMapping = "lead_mapping"

// ListLeads lists the leads in the caller's scope.
func (s *Service) ListLeads(ctx context.Context, q cohort.ListQuery) ([]*cohort.Lead, string, error) {
	a, err := s.Access(ctx, cohort.ObjLead, cohort.ActView)
	if err != nil {
		return nil, "", err
	}
	p := cohort.PrincipalFrom(ctx)
	return store.ListLeads(ctx, s.db.Read(), a.TenantID, store.AccessWhere(a, "l.owner_id", "l.department_id"), q, p.Tenant.Location())
}

// FindLead returns a lead in the caller's scope.
func (s *Service) FindLead(ctx context.Context, id cohort.ID) (*cohort.Lead, error) {
	a, err := s.Access(ctx, cohort.ObjLead, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return store.FindLead(ctx, s.db.Read(), a.TenantID, id, store.AccessWhere(a, "l.owner_id", "l.department_id"))
}

// CreateLead records a lead owned by the caller.
func (s *Service) CreateLead(ctx context.Context, l *cohort.Lead) error {
	p, err := require(ctx, cohort.ObjLead, cohort.ActCreate)
	if err != nil {
		return err
	}
	l.ID, l.TenantID, l.ConvertedAt, l.CustomerID, l.ContactID, l.OpportunityID = 0, p.Tenant.ID, nil, 0, 0, 0
	if l.Status == "converted" {
		return cohort.Errorf(cohort.EINVALID, "status: a lead becomes converted by converting it")
	}
	if p.User != nil {
		l.OwnerID, l.DepartmentID = p.User.ID, p.User.DepartmentID
	}
	if err := l.Validate(); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		var err error
		if l.Custom, err = s.checkCustom(ctx, tx, cohort.ObjLead, nil, l.Custom); err != nil {
			return err
		}
		now := s.now()
		created, err := creationTime(p, cohort.ObjLead, &l.CreatedAt, now)
		if err != nil {
			return err
		}
		l.CreatedAt = created.At
		if err := store.InsertLead(ctx, tx, l, now); err != nil {
			return err
		}
		if err := s.auditTimes(ctx, tx, cohort.ObjLead, l.ID, now, created); err != nil {
			return err
		}
		if err := s.indexLead(ctx, tx, l); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", cohort.ObjLead, l.ID, diff(nil, l))
	})
}

// UpdateLead changes an unconverted lead.
func (s *Service) UpdateLead(ctx context.Context, id cohort.ID, upd cohort.LeadUpdate, ifVersion int) (*cohort.Lead, error) {
	a, err := s.Access(ctx, cohort.ObjLead, cohort.ActEdit)
	if err != nil {
		return nil, err
	}
	var out *cohort.Lead
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "leads", a.TenantID, id); err != nil {
			return err
		}
		prev, err := store.FindLead(ctx, tx, a.TenantID, id, store.AccessWhere(a, "l.owner_id", "l.department_id"))
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "lead"); err != nil {
			return err
		}
		if prev.Status == "converted" {
			return cohort.Errorf(cohort.ECONFLICT, "the lead is converted; change the customer instead")
		}
		l := *prev
		for _, f := range []struct{ dst, src *string }{{&l.Name, upd.Name}, {&l.Company, upd.Company}, {&l.Title, upd.Title}, {&l.Phone, upd.Phone},
			{&l.Email, upd.Email}, {&l.Province, upd.Province}, {&l.City, upd.City}, {&l.Industry, upd.Industry}, {&l.Source, upd.Source},
			{&l.Status, upd.Status}, {&l.Note, upd.Note}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		if l.Status == "converted" {
			return cohort.Errorf(cohort.EINVALID, "status: a lead becomes converted by converting it")
		}
		if upd.Custom != nil {
			custom, err := s.checkCustom(ctx, tx, cohort.ObjLead, prev.Custom, *upd.Custom)
			if err != nil {
				return err
			}
			l.Custom = custom
		}
		if err := l.Validate(); err != nil {
			return err
		}
		if err := store.UpdateLead(ctx, tx, &l, prev.Version, s.now()); err != nil {
			return err
		}
		if err := s.indexLead(ctx, tx, &l); err != nil {
			return err
		}
		out = &l
		return s.audit(ctx, tx, "update", cohort.ObjLead, l.ID, diff(prev, l))
	})
	return out, err
}

// LeadMapping returns the tenant's lead conversion mapping.
func (s *Service) LeadMapping(ctx context.Context) (cohort.LeadMapping, error) {
	p, err := require(ctx, cohort.ObjLead, cohort.ActView)
	if err != nil {
		return cohort.LeadMapping{}, err
	}
	var m cohort.LeadMapping
	found, err := store.Setting(ctx, s.db.Read(), p.Tenant.ID, settingLeadMapping, &m)
	if err != nil || !found {
		return cohort.DefaultLeadMapping(), err
	}
	return m, nil
}

// SetLeadMapping changes the tenant's lead conversion mapping.
func (s *Service) SetLeadMapping(ctx context.Context, m cohort.LeadMapping) error {
	p, err := require(ctx, cohort.ObjLead, cohort.ActAdminister)
	if err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.SetSetting(ctx, tx, p.Tenant.ID, settingLeadMapping, m, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "update", cohort.ObjTenant, p.Tenant.ID, diff(nil, map[string]any{settingLeadMapping: m}))
	})
}

// ConvertLead is what a conversion asks for.
type ConvertLead struct {
	// CustomerID links the lead to an existing customer instead of creating one.
	CustomerID cohort.ID `json:"customer_id"`
	// Opportunity, when set, also opens an opportunity.
	Opportunity *struct {
		ProcessID cohort.ID `json:"process_id"`
		Amount    int64     `json:"amount"`
		Name      string    `json:"name"`
	} `json:"opportunity"`
	// ConvertedAt dates the conversion (default now). The customer, contact
	// and opportunity it makes begin then, so dating it needs the backdate
	// permission.
	ConvertedAt *time.Time `json:"converted_at,omitempty"`
}

// Convert turns a qualified lead into a customer (or links an existing one),
// a contact and optionally an opportunity, in one transaction, filling them
// through the tenant's mapping. The lead keeps links to what it became.
func (s *Service) Convert(ctx context.Context, id cohort.ID, req ConvertLead) (*cohort.Lead, error) {
	a, err := s.Access(ctx, cohort.ObjLead, cohort.ActEdit)
	if err != nil {
		return nil, err
	}
	if _, err := require(ctx, cohort.ObjCustomer, cohort.ActCreate); err != nil {
		return nil, err
	}
	mapping, err := s.LeadMapping(ctx)
	if err != nil {
		return nil, err
	}
	custScope, _, err := s.recordScope(ctx, cohort.ObjCustomer, cohort.ActEdit, "c")
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *cohort.Lead
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		if err := store.LockRow(ctx, tx, "leads", a.TenantID, id); err != nil {
			return err
		}
		prev, err := store.FindLead(ctx, tx, a.TenantID, id, store.AccessWhere(a, "l.owner_id", "l.department_id"))
		if err != nil {
			return err
		}
		if prev.Status == "converted" {
			return cohort.Errorf(cohort.ECONFLICT, "the lead was converted already")
		}
		l := *prev
		p := cohort.PrincipalFrom(ctx)
		converted := bizTime{At: now}
		if req.ConvertedAt != nil {
			if !canBackdate(p, cohort.ObjLead) {
				return cohort.Errorf(cohort.EFORBIDDEN, "converted_at: a dated conversion sets when the records it makes began, which needs the backdate permission (设置历史时间)")
			}
			if converted, err = eventTime(p, cohort.ObjLead, "converted_at", req.ConvertedAt, now, prev.CreatedAt); err != nil {
				return err
			}
			converted.audited = true
		}
		// What the conversion makes begins with it when it is dated.
		began := time.Time{}
		if req.ConvertedAt != nil {
			began = converted.At
		}
		val := func(m map[string]string, target string) string { return l.Field(m[target]) }
		var customer *cohort.Customer
		if req.CustomerID != 0 {
			if customer, err = store.FindCustomer(ctx, tx, a.TenantID, req.CustomerID, custScope); err != nil {
				return err
			}
		} else {
			customer = &cohort.Customer{Name: val(mapping.Customer, "name"), Industry: val(mapping.Customer, "industry"),
				Province: val(mapping.Customer, "province"), City: val(mapping.Customer, "city"), Source: val(mapping.Customer, "source"),
				Grade: val(mapping.Customer, "grade"), Segment: val(mapping.Customer, "segment"), CreatedAt: began}
			if customer.Name == "" {
				return cohort.Errorf(cohort.EINVALID, "the lead has no %s to name the customer; fill it or pick an existing customer", mapping.Customer["name"])
			}
			if err := s.createCustomer(ctx, tx, customer, nil, nil); err != nil {
				return err
			}
		}
		contact := &cohort.Contact{TenantID: a.TenantID, CustomerID: customer.ID, Name: val(mapping.Contact, "name"), Title: val(mapping.Contact, "title"),
			Phone: val(mapping.Contact, "phone"), Email: val(mapping.Contact, "email"), WeChat: val(mapping.Contact, "wechat"), CreatedAt: began}
		if err := contact.Validate(); err != nil {
			return err
		}
		if err := store.InsertContact(ctx, tx, contact, now); err != nil {
			return err
		}
		if err := s.reindexCustomer(ctx, tx, a.TenantID, customer.ID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, "create", cohort.ObjContact, contact.ID, diff(nil, contact)); err != nil {
			return err
		}
		l.CustomerID, l.ContactID = customer.ID, contact.ID
		if req.Opportunity != nil {
			o := &cohort.Opportunity{CustomerID: customer.ID, ContactID: contact.ID, ProcessID: req.Opportunity.ProcessID,
				Name: req.Opportunity.Name, Amount: req.Opportunity.Amount, Source: val(mapping.Opportunity, "source"), Competitor: val(mapping.Opportunity, "competitor"),
				CreatedAt: began}
			if o.Name == "" {
				o.Name = val(mapping.Opportunity, "name")
			}
			if o.Name == "" {
				o.Name = customer.Name
			}
			if err := s.createOpportunity(ctx, tx, o, nil, store.Where{}); err != nil {
				return err
			}
			l.OpportunityID = o.ID
		}
		l.Status, l.ConvertedAt = "converted", &converted.At
		if err := store.UpdateLead(ctx, tx, &l, prev.Version, now); err != nil {
			return err
		}
		if err := s.auditTimes(ctx, tx, cohort.ObjLead, l.ID, now, converted); err != nil {
			return err
		}
		if err := s.indexLead(ctx, tx, &l); err != nil {
			return err
		}
		out = &l
		return s.audit(ctx, tx, "convert", cohort.ObjLead, l.ID, diff(prev, l))
	})
	return out, err
}
