package api

import (
	"context"
	"net/http"

	"github.com/cohortcrm/cohort"
)

// The shapes most routes share, written once: GET /{id} and PATCH /{id}
// with If-Match, each answering the object with its ETag.

// getByID serves GET .../{id}.
func getByID[T any](s *Server, find func(context.Context, cohort.ID) (*T, error), version func(*T) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		v, err := find(r.Context(), id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respondVersioned(w, http.StatusOK, v, version(v))
	}
}

// listByID serves GET .../{id}/<things>: the record's things, one page.
func listByID[T any](s *Server, list func(context.Context, cohort.ID) ([]T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		items, err := list(r.Context(), id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respond(w, http.StatusOK, cohort.Page[T]{Items: items})
	}
}

// listAll serves GET of a collection answered whole: one page of what list
// returns.
func listAll[T any](s *Server, list func(context.Context) ([]T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		items, err := list(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respond(w, http.StatusOK, cohort.Page[T]{Items: items})
	}
}

// nested serves GET and POST on a record's sub-collection (a contract's
// installments, payments, invoices): GET answers what list returns; POST
// decodes an In, adds it and answers 201 with what was added (with its ETag
// when version is given).
func nested[In, T any](s *Server, list func(context.Context, cohort.ID) (any, error), add func(context.Context, cohort.ID, In) (*T, error),
	version func(*T) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if r.Method != http.MethodPost {
			out, err := list(r.Context(), id)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			respond(w, http.StatusOK, out)
			return
		}
		var in In
		if err := decode(r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		v, err := add(r.Context(), id, in)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if version != nil {
			respondVersioned(w, http.StatusCreated, v, version(v))
			return
		}
		respond(w, http.StatusCreated, v)
	}
}

// patchByID serves PATCH .../{id}, and the POST actions of a record (move
// to a stage, close, change status): the If-Match version and a body of U go
// to update.
func patchByID[U, T any](s *Server, update func(context.Context, cohort.ID, U, int) (*T, error), version func(*T) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		ver, err := ifMatch(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var upd U
		if err := decode(r, &upd); err != nil {
			s.writeError(w, r, err)
			return
		}
		v, err := update(r.Context(), id, upd, ver)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		respondVersioned(w, http.StatusOK, v, version(v))
	}
}

func userVersion(u *cohort.User) int                 { return u.Version }
func departmentVersion(d *cohort.Department) int     { return d.Version }
func permRoleVersion(r *cohort.PermRole) int         { return r.Version }
func businessRoleVersion(r *cohort.BusinessRole) int { return r.Version }
func customerVersion(c *cohort.Customer) int         { return c.Version }
func contactVersion(c *cohort.Contact) int           { return c.Version }
func opportunityVersion(o *cohort.Opportunity) int   { return o.Version }
func leadVersion(l *cohort.Lead) int                 { return l.Version }
func customFieldVersion(f *cohort.CustomField) int   { return f.Version }
func priceListVersion(l *cohort.PriceList) int       { return l.Version }
func dealVersion(d *cohort.Deal) int                 { return d.Version }
func projectVersion(p *cohort.Project) int           { return p.Version }
func ticketVersion(t *cohort.Ticket) int             { return t.Version }

// The actions of records, as the update functions patchByID serves.

func (s *Server) moveStage(ctx context.Context, id cohort.ID, req stageRequest, ver int) (*cohort.Opportunity, error) {
	return s.svc.MoveStage(ctx, id, req.Stage, req.EnteredAt.at(), ver)
}

func (s *Server) closeOpportunity(ctx context.Context, id cohort.ID, req closeRequest, ver int) (*cohort.Opportunity, error) {
	return s.svc.CloseOpportunity(ctx, id, req.Outcome, req.LossReason, req.Competitor, req.ClosedAt.at(), ver)
}

func (s *Server) moveProject(ctx context.Context, id cohort.ID, req projectStatusRequest, ver int) (*cohort.Project, error) {
	return s.svc.MoveProject(ctx, id, req.Status, req.OccurredAt.at(), ver)
}

func (s *Server) moveDeal(kind cohort.ObjectType) func(context.Context, cohort.ID, statusRequest, int) (*cohort.Deal, error) {
	return func(ctx context.Context, id cohort.ID, req statusRequest, ver int) (*cohort.Deal, error) {
		at := req.OccurredAt.at()
		if req.SignedAt != nil {
			at = req.SignedAt.at()
		}
		return s.svc.MoveDeal(ctx, kind, id, req.Status, at, ver)
	}
}
