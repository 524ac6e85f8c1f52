package service

import (
	"context"
	"io"
	"slices"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/sheet"
	"github.com/cohortcrm/cohort/internal/store"
)

// Export writes the records of obj that the caller may see, as format
// (csv or xlsx), with headers in the caller's language. It needs
// <obj>:export, and reads through the same list functions as the list API,
// page by page (keyset), so that the data scope, view, filters, sort and q
// are exactly the list's and memory stays flat. Contacts are those of the
// customers the customer list gives for view, filters and q.
//
// Errors before the first byte is written (permission, a bad filter) are
// returned as usual; an error later leaves a truncated file, and the
// caller must make the transfer fail rather than end it cleanly.
func (s *Service) Export(ctx context.Context, obj cohort.ObjectType, format, view string, lq cohort.ListQuery, w io.Writer) error {
	if err := checkImportObject(obj); err != nil {
		return err
	}
	p, err := require(ctx, obj, cohort.ActExport)
	if err != nil {
		return err
	}
	x, err := s.exportCtx(ctx, p)
	if err != nil {
		return err
	}
	fields := []*cohort.CustomField{}
	if obj != cohort.ObjFollowUp {
		if fields, err = store.CustomFields(ctx, s.db.Read(), p.Tenant.ID, obj); err != nil {
			return err
		}
	}
	lq.Limit, lq.Cursor = cohort.MaxLimit, ""
	switch obj {
	case cohort.ObjCustomer:
		sp := customerSheet.withCustom(fields)
		return exportPages(x, sp, format, w, func(cursor string) ([]*cohort.Customer, string, error) {
			lq.Cursor = cursor
			return s.ListCustomers(ctx, view, lq)
		})
	case cohort.ObjLead:
		sp := leadSheet.withCustom(fields)
		return exportPages(x, sp, format, w, func(cursor string) ([]*cohort.Lead, string, error) {
			lq.Cursor = cursor
			return s.ListLeads(ctx, lq)
		})
	case cohort.ObjFollowUp:
		sp := followUpSheet.withCustom(nil)
		return exportPages(x, sp, format, w, func(cursor string) ([]*followUpRow, string, error) {
			lq.Cursor = cursor
			fs, next, err := s.ListFollowUps(ctx, lq)
			if err != nil {
				return nil, "", err
			}
			ids := make([]cohort.ID, 0, len(fs))
			rows := make([]*followUpRow, len(fs))
			for i, f := range fs {
				ids = append(ids, f.CustomerID)
				rows[i] = &followUpRow{FollowUp: *f}
			}
			x.customers, err = store.CustomerNames(ctx, s.db.Read(), p.Tenant.ID, ids)
			return rows, next, err
		})
	default: // contacts
		sp := contactSheet.withCustom(fields)
		return exportPages(x, sp, format, w, func(cursor string) ([]*contactRow, string, error) {
			lq.Cursor = cursor
			cs, next, err := s.ListCustomers(ctx, view, lq)
			if err != nil {
				return nil, "", err
			}
			ids := make([]cohort.ID, len(cs))
			x.customers = map[cohort.ID]string{}
			for i, c := range cs {
				ids[i] = c.ID
				x.customers[c.ID] = c.Name
			}
			ks, err := store.ContactsOf(ctx, s.db.Read(), p.Tenant.ID, ids)
			rows := make([]*contactRow, len(ks))
			for i, k := range ks {
				rows[i] = &contactRow{Contact: *k}
			}
			return rows, next, err
		})
	}
}

func (s *Service) exportCtx(ctx context.Context, p *cohort.Principal) (*sheetCtx, error) {
	return s.newSheetCtx(ctx, p, s.callerZh(p), s.now())
}

// newSheetCtx loads what reading and writing sheets needs: the tenant's
// users, departments and follow-up types.
func (s *Service) newSheetCtx(ctx context.Context, p *cohort.Principal, zh bool, now time.Time) (*sheetCtx, error) {
	q := s.db.Read()
	users, err := store.TenantUsers(ctx, q, p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	depts, err := store.ListDepartments(ctx, q, p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	own, err := tenantFollowUpTypes(ctx, q, p.Tenant.ID)
	if err != nil {
		return nil, err
	}
	x := &sheetCtx{zh: zh, loc: p.Tenant.Location(), currency: p.Tenant.Currency, now: now, users: newUserIndex(users),
		depts: map[cohort.ID]string{}, deptByNm: map[string][]cohort.ID{}, followUpTypes: slices.Clone(followUpTypes)}
	for _, d := range depts {
		x.depts[d.ID] = d.Name
		x.deptByNm[d.Name] = append(x.deptByNm[d.Name], d.ID)
	}
	for _, t := range own {
		x.followUpTypes = append(x.followUpTypes, option{t.Key, t.NameZh, t.NameEn})
		x.ownTypes = append(x.ownTypes, t.Key)
	}
	x.exists = func(obj cohort.ObjectType, id cohort.ID) bool { return s.recordExists(ctx, p.Tenant.ID, obj, id) }
	return x, nil
}

// exportPages writes the header and then every page that next returns. The
// first page is read before anything is written, so that its errors can
// still be reported properly.
func exportPages[T any](x *sheetCtx, sp *sheetSpec[T], format string, w io.Writer, next func(cursor string) ([]*T, string, error)) error {
	page, cursor, err := next("")
	if err != nil {
		return err
	}
	out, err := sheet.NewWriter(w, format, sp.name.in(x.zh))
	if err != nil {
		return err
	}
	if err := out.WriteRow(sp.headers(x.zh, false)); err != nil {
		return err
	}
	for {
		for _, r := range page {
			if err := out.WriteRow(sp.row(x, r)); err != nil {
				return err
			}
		}
		if cursor == "" {
			break
		}
		if page, cursor, err = next(cursor); err != nil {
			return err
		}
	}
	return out.Close()
}
