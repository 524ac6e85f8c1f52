package service

import (
	"context"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/facts"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/store"
)

// The per-type halves of an import. Each writes what its one-record path
// (createCustomer, CreateContact, CreateLead, LogFollowUp) writes, in bulk.

// customerImport: owner by e-mail or name (the uploader when empty) within
// the uploader's scope, no duplicate of a stored customer or an earlier row
// by normalised name or credit code; written with the owner on the team,
// indexed and audited.
func (s *Service) customerImport(ctx context.Context, p *cohort.Principal, imp *cohort.Import, x *sheetCtx, fields []*cohort.CustomField) (*objectImport[cohort.Customer], error) {
	a, err := s.Access(ctx, cohort.ObjCustomer, cohort.ActImport)
	if err != nil {
		return nil, err
	}
	owners, err := store.UsersInScope(ctx, s.db.Read(), p.Tenant.ID, a)
	if err != nil {
		return nil, err
	}
	seenName, seenCode := map[string]int{}, map[string]int{}
	return &objectImport[cohort.Customer]{
		spec: customerSheet.withCustom(fields),
		check: func(c *cohort.Customer, line int) []string {
			c.TenantID, c.Currency, c.Status, c.CreatedBy = p.Tenant.ID, p.Tenant.Currency, cohort.CustomerActive, p.User.ID
			if c.OwnerID == 0 {
				c.OwnerID = p.User.ID
			}
			owner := x.users.byID[c.OwnerID]
			if owner == nil || !owners[c.OwnerID] {
				return []string{text{"负责人", "Owner"}.in(x.zh) + ": " + msgOutOfScope.in(x.zh)}
			}
			c.DepartmentID = owner.DepartmentID
			if err := c.Validate(); err != nil {
				return validationReasons(err, x.zh)
			}
			key := cohort.CompanyKey(c.Name)
			if first, ok := seenName[key]; ok {
				return []string{text{"客户名称", "Name"}.in(x.zh) + ": " + fail(msgDupRow, first).say(x.zh)}
			}
			if first, ok := seenCode[c.CreditCode]; ok && c.CreditCode != "" {
				return []string{text{"统一社会信用代码", "Credit code"}.in(x.zh) + ": " + fail(msgDupRow, first).say(x.zh)}
			}
			seenName[key] = line
			if c.CreditCode != "" {
				seenCode[c.CreditCode] = line
			}
			return nil
		},
		match: func(ctx context.Context, q store.Queryer, batch []importRow[cohort.Customer]) (map[int][]string, error) {
			var keys, codes []string
			for _, r := range batch {
				keys = append(keys, cohort.CompanyKey(r.rec.Name))
				if r.rec.CreditCode != "" {
					codes = append(codes, r.rec.CreditCode)
				}
			}
			found, err := store.CustomerRefs(ctx, q, p.Tenant.ID, keys, codes, store.Where{})
			if err != nil || len(found) == 0 {
				return nil, err
			}
			bad := map[int][]string{}
			for i, r := range batch {
				key := cohort.CompanyKey(r.rec.Name)
				for _, f := range found {
					if f.NameKey == key || (r.rec.CreditCode != "" && f.CreditCode == r.rec.CreditCode) {
						bad[i] = []string{text{"客户名称", "Name"}.in(x.zh) + ": " + fail(msgDupCustomer, f.Name).say(x.zh)}
						break
					}
				}
			}
			return bad, nil
		},
		write: func(ctx context.Context, tx *store.Tx, batch []importRow[cohort.Customer], now time.Time) error {
			cs := make([]*cohort.Customer, len(batch))
			for i, r := range batch {
				cs[i] = r.rec
			}
			if err := store.BulkInsertCustomers(ctx, tx, cs, now); err != nil {
				return err
			}
			team := make([]cohort.TeamMember, len(cs))
			docs := make([]search.Prepared, len(cs))
			audit := make([]*cohort.AuditEntry, len(cs))
			for i, c := range cs {
				team[i] = cohort.TeamMember{RecordType: cohort.ObjCustomer, RecordID: c.ID, UserID: c.OwnerID, Role: cohort.RoleOwner,
					Access: cohort.AccessWrite, ShareBP: cohort.FullShare, AddedBy: p.User.ID}
				docs[i] = preparedDoc(batch[i].doc, customerDoc(c))
				audit[i] = s.importAudit(p, imp, cohort.ObjCustomer, c.ID, now)
			}
			if err := store.BulkOpenMemberships(ctx, tx, p.Tenant.ID, team, now); err != nil {
				return err
			}
			fp := facts.NewProjector(ctx, tx, p.Tenant)
			var fs []facts.Fact
			for i, c := range cs {
				more, err := fp.NewCustomer(c, team[i:i+1])
				if err != nil {
					return err
				}
				fs = append(fs, more...)
			}
			if err := facts.Insert(ctx, tx, p.Tenant.ID, fs); err != nil {
				return err
			}
			if err := search.IndexPrepared(ctx, tx, docs); err != nil {
				return err
			}
			return store.BulkInsertAudit(ctx, tx, audit)
		},
		prepare: func(c *cohort.Customer) search.Prepared { return search.Prepare(s.db.Engine, customerDoc(c)) },
	}, nil
}

// preparedDoc is the prepared form of doc: pre, made from the same record
// before it had its id, with the id and times doc has now; or, with no pre,
// doc as it is (IndexPrepared makes it).
func preparedDoc(pre *search.Prepared, doc search.Doc) search.Prepared {
	if pre == nil {
		return search.Prepared{Doc: doc}
	}
	out := *pre
	out.Doc = doc
	return out
}

// customerRefs resolves the customer cells of rows (a name or a credit
// code) within scope, remembering what it found across batches.
type customerRefs struct {
	p     *cohort.Principal
	scope store.Where
	x     *sheetCtx
	known map[string]*store.CustomerRef
	fails map[string]*cellError
}

// maxKnownCustomers bounds the memory of resolved references.
const maxKnownCustomers = 100000

func newCustomerRefs(p *cohort.Principal, scope store.Where, x *sheetCtx) *customerRefs {
	return &customerRefs{p: p, scope: scope, x: x, known: map[string]*store.CustomerRef{}, fails: map[string]*cellError{}}
}

// resolve returns each ref's customer, or why it has none.
func (c *customerRefs) resolve(ctx context.Context, q store.Queryer, refs []string) error {
	if len(c.known)+len(c.fails) > maxKnownCustomers {
		clear(c.known)
		clear(c.fails)
	}
	var keys, codes []string
	want := map[string]bool{}
	for _, r := range refs {
		if c.known[r] != nil || c.fails[r] != nil || want[r] {
			continue
		}
		want[r] = true
		if code := toUpper(r); cohort.ValidCreditCode(code) {
			codes = append(codes, code)
		} else {
			keys = append(keys, cohort.CompanyKey(r))
		}
	}
	if len(want) == 0 {
		return nil
	}
	found, err := store.CustomerRefs(ctx, q, c.p.Tenant.ID, keys, codes, c.scope)
	if err != nil {
		return err
	}
	for r := range want {
		code, key := toUpper(r), cohort.CompanyKey(r)
		byCode := cohort.ValidCreditCode(code)
		var match []int
		for i, f := range found {
			if (byCode && f.CreditCode == code) || (!byCode && f.NameKey == key) {
				match = append(match, i)
			}
		}
		switch len(match) {
		case 0:
			c.fails[r] = fail(msgNoCustomer)
		case 1:
			f := found[match[0]]
			c.known[r] = &f
		default:
			c.fails[r] = fail(msgManyCustomers)
		}
	}
	return nil
}

func (c *customerRefs) reason(ref string) []string {
	if e := c.fails[ref]; e != nil {
		return []string{text{"客户", "Customer"}.in(c.x.zh) + ": " + e.say(c.x.zh)}
	}
	return nil
}

// contactImport: the customer by name or credit code within the uploader's
// scope; no phone or e-mail taken by a stored contact or an earlier row.
func (s *Service) contactImport(ctx context.Context, p *cohort.Principal, imp *cohort.Import, x *sheetCtx, fields []*cohort.CustomField) (*objectImport[contactRow], error) {
	scope, _, err := s.importScope(ctx, cohort.ObjContact)
	if err != nil {
		return nil, err
	}
	refs := newCustomerRefs(p, scope, x)
	seen := map[string]int{}
	return &objectImport[contactRow]{
		spec: contactSheet.withCustom(fields),
		check: func(c *contactRow, line int) []string {
			c.TenantID = p.Tenant.ID
			if err := c.Validate(); err != nil {
				return validationReasons(err, x.zh)
			}
			return dupInFile(seen, x.zh, line, c.Phone, c.Email)
		},
		match: func(ctx context.Context, q store.Queryer, batch []importRow[contactRow]) (map[int][]string, error) {
			var cells, phones, emails []string
			for _, r := range batch {
				cells = append(cells, r.rec.customerRef)
				phones, emails = appendNonEmpty(phones, r.rec.Phone), appendNonEmpty(emails, r.rec.Email)
			}
			if err := refs.resolve(ctx, q, cells); err != nil {
				return nil, err
			}
			taken, err := store.ExistingPhonesEmails(ctx, q, "contacts", p.Tenant.ID, phones, emails)
			if err != nil {
				return nil, err
			}
			bad := map[int][]string{}
			for i, r := range batch {
				if why := refs.reason(r.rec.customerRef); why != nil {
					bad[i] = why
					continue
				}
				r.rec.CustomerID = refs.known[r.rec.customerRef].ID
				bad[i] = takenReasons(taken, x.zh, r.rec.Phone, r.rec.Email)
			}
			return bad, nil
		},
		write: func(ctx context.Context, tx *store.Tx, batch []importRow[contactRow], now time.Time) error {
			cs := make([]*cohort.Contact, len(batch))
			for i, r := range batch {
				cs[i] = &r.rec.Contact
			}
			if err := store.BulkInsertContacts(ctx, tx, cs, now); err != nil {
				return err
			}
			docs := make([]search.Doc, len(cs))
			audit := make([]*cohort.AuditEntry, len(cs))
			for i, r := range batch {
				c := refs.known[r.rec.customerRef]
				k := cs[i]
				docs[i] = search.Doc{TenantID: k.TenantID, ObjectType: string(cohort.ObjContact), ObjectID: k.ID, OwnerID: c.OwnerID,
					DepartmentID: c.DepartmentID, Title: k.Name, Text: joinText(c.Name, k.Title, k.Phone, k.Email, k.WeChat), UpdatedAt: k.UpdatedAt}
				audit[i] = s.importAudit(p, imp, cohort.ObjContact, k.ID, now)
			}
			if err := search.IndexNew(ctx, tx, docs); err != nil {
				return err
			}
			return store.BulkInsertAudit(ctx, tx, audit)
		},
	}, nil
}

// dupInFile refuses a phone or e-mail an earlier row of the file has.
func dupInFile(seen map[string]int, zh bool, line int, phone, email string) []string {
	var out []string
	for _, v := range []struct {
		kind, val string
		label     text
	}{{"phone:", phone, text{"电话", "Phone"}}, {"email:", email, text{"邮箱", "E-mail"}}} {
		if v.val == "" {
			continue
		}
		if first, ok := seen[v.kind+v.val]; ok {
			out = append(out, v.label.in(zh)+": "+fail(msgDupRow, first).say(zh))
		}
	}
	if len(out) == 0 {
		if phone != "" {
			seen["phone:"+phone] = line
		}
		if email != "" {
			seen["email:"+email] = line
		}
	}
	return out
}

func takenReasons(taken map[string]bool, zh bool, phone, email string) []string {
	var out []string
	if phone != "" && taken["phone:"+phone] {
		out = append(out, text{"电话", "Phone"}.in(zh)+": "+msgDupTaken.in(zh))
	}
	if email != "" && taken["email:"+email] {
		out = append(out, text{"邮箱", "E-mail"}.in(zh)+": "+msgDupTaken.in(zh))
	}
	return out
}

func appendNonEmpty(s []string, v string) []string {
	if v != "" {
		return append(s, v)
	}
	return s
}

// leadImport: owner within the uploader's scope (the uploader when empty);
// no phone or e-mail taken by a stored lead or an earlier row.
func (s *Service) leadImport(ctx context.Context, p *cohort.Principal, imp *cohort.Import, x *sheetCtx, fields []*cohort.CustomField) (*objectImport[cohort.Lead], error) {
	a, err := s.Access(ctx, cohort.ObjLead, cohort.ActImport)
	if err != nil {
		return nil, err
	}
	owners, err := store.UsersInScope(ctx, s.db.Read(), p.Tenant.ID, a)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	return &objectImport[cohort.Lead]{
		spec: leadSheet.withCustom(fields),
		check: func(l *cohort.Lead, line int) []string {
			l.TenantID, l.Status = p.Tenant.ID, "new"
			if l.OwnerID == 0 {
				l.OwnerID = p.User.ID
			}
			owner := x.users.byID[l.OwnerID]
			if owner == nil || !owners[l.OwnerID] {
				return []string{text{"负责人", "Owner"}.in(x.zh) + ": " + msgOutOfScope.in(x.zh)}
			}
			l.DepartmentID = owner.DepartmentID
			if err := l.Validate(); err != nil {
				return validationReasons(err, x.zh)
			}
			return dupInFile(seen, x.zh, line, l.Phone, l.Email)
		},
		match: func(ctx context.Context, q store.Queryer, batch []importRow[cohort.Lead]) (map[int][]string, error) {
			var phones, emails []string
			for _, r := range batch {
				phones, emails = appendNonEmpty(phones, r.rec.Phone), appendNonEmpty(emails, r.rec.Email)
			}
			taken, err := store.ExistingPhonesEmails(ctx, q, "leads", p.Tenant.ID, phones, emails)
			if err != nil {
				return nil, err
			}
			bad := map[int][]string{}
			for i, r := range batch {
				bad[i] = takenReasons(taken, x.zh, r.rec.Phone, r.rec.Email)
			}
			return bad, nil
		},
		write: func(ctx context.Context, tx *store.Tx, batch []importRow[cohort.Lead], now time.Time) error {
			ls := make([]*cohort.Lead, len(batch))
			for i, r := range batch {
				ls[i] = r.rec
			}
			if err := store.BulkInsertLeads(ctx, tx, ls, now); err != nil {
				return err
			}
			docs := make([]search.Prepared, len(ls))
			audit := make([]*cohort.AuditEntry, len(ls))
			fp := facts.NewProjector(ctx, tx, p.Tenant)
			var fs []facts.Fact
			for i, l := range ls {
				docs[i] = preparedDoc(batch[i].doc, leadDoc(l))
				audit[i] = s.importAudit(p, imp, cohort.ObjLead, l.ID, now)
				more, err := fp.Lead(l)
				if err != nil {
					return err
				}
				fs = append(fs, more...)
			}
			if err := facts.Insert(ctx, tx, p.Tenant.ID, fs); err != nil {
				return err
			}
			if err := search.IndexPrepared(ctx, tx, docs); err != nil {
				return err
			}
			return store.BulkInsertAudit(ctx, tx, audit)
		},
		prepare: func(l *cohort.Lead) search.Prepared { return search.Prepare(s.db.Engine, leadDoc(l)) },
	}, nil
}

// followUpImport: the customer by name or credit code within the
// uploader's scope, the author by e-mail or name (the uploader when empty).
// Imported follow-ups are history: unlike LogFollowUp they neither close
// nor set next actions, and they move their customers' last follow-up times
// once, when the import ends (finishFollowUps), not batch by batch.
func (s *Service) followUpImport(ctx context.Context, p *cohort.Principal, imp *cohort.Import, x *sheetCtx, fields []*cohort.CustomField) (*objectImport[followUpRow], error) {
	scope, _, err := s.importScope(ctx, cohort.ObjFollowUp)
	if err != nil {
		return nil, err
	}
	refs := newCustomerRefs(p, scope, x)
	// latest is each customer's latest follow-up of the committed batches:
	// at most one entry per customer of the tenant, whatever the file's size.
	latest := map[cohort.ID]int64{}
	resumed := imp.RowsRead > 0 // earlier runs committed batches this one did not see
	return &objectImport[followUpRow]{
		finish: func(ctx context.Context, tx *store.Tx) error {
			if err := s.refreshSignedCustomerFacts(ctx, tx, imp); err != nil {
				return err
			}
			if resumed {
				return finishFollowUps(ctx, tx, imp)
			}
			return store.MoveLastFollowUpsTo(ctx, tx, p.Tenant.ID, latest)
		},
		spec: followUpSheet.withCustom(fields),
		check: func(f *followUpRow, line int) []string {
			f.TenantID = p.Tenant.ID
			if f.AuthorID == 0 {
				f.AuthorID = p.User.ID
			}
			f.DepartmentID = x.users.byID[f.AuthorID].DepartmentID
			// The customer is resolved with its batch (match); stand in for
			// it so that Validate checks the rest now.
			f.CustomerID = -1
			err := f.Validate(x.now, x.ownTypes...)
			f.CustomerID = 0
			if err != nil {
				return validationReasons(err, x.zh)
			}
			return nil
		},
		match: func(ctx context.Context, q store.Queryer, batch []importRow[followUpRow]) (map[int][]string, error) {
			cells := make([]string, len(batch))
			for i, r := range batch {
				cells[i] = r.rec.customerRef
			}
			if err := refs.resolve(ctx, q, cells); err != nil {
				return nil, err
			}
			bad := map[int][]string{}
			for i, r := range batch {
				if why := refs.reason(r.rec.customerRef); why != nil {
					bad[i] = why
					continue
				}
				r.rec.CustomerID = refs.known[r.rec.customerRef].ID
			}
			return bad, nil
		},
		write: func(ctx context.Context, tx *store.Tx, batch []importRow[followUpRow], now time.Time) error {
			fs := make([]*cohort.FollowUp, len(batch))
			for i, r := range batch {
				fs[i] = &r.rec.FollowUp
			}
			if err := store.BulkInsertFollowUps(ctx, tx, fs, now); err != nil {
				return err
			}
			batchLatest := map[cohort.ID]int64{}
			for _, f := range fs {
				if at := f.OccurredAt.UnixMilli(); at > batchLatest[f.CustomerID] {
					batchLatest[f.CustomerID] = at
				}
			}
			tx.AfterCommit(func() {
				for id, at := range batchLatest {
					if at > latest[id] {
						latest[id] = at
					}
				}
			})
			audit := make([]*cohort.AuditEntry, len(fs))
			fp := facts.NewProjector(ctx, tx, p.Tenant)
			var made []facts.Fact
			for i, f := range fs {
				audit[i] = s.importAudit(p, imp, cohort.ObjFollowUp, f.ID, now)
				more, err := fp.FollowUp(f)
				if err != nil {
					return err
				}
				made = append(made, more...)
			}
			if err := facts.Insert(ctx, tx, p.Tenant.ID, made); err != nil {
				return err
			}
			return store.BulkInsertAudit(ctx, tx, audit)
		},
	}, nil
}
