package service

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// followable lists the record types a user can follow.
var followable = []cohort.ObjectType{cohort.ObjCustomer, cohort.ObjOpportunity}

// Follow starts or stops the caller following a record they may see.
func (s *Service) Follow(ctx context.Context, obj cohort.ObjectType, id cohort.ID, on bool) error {
	if !slices.Contains(followable, obj) {
		return cohort.Errorf(cohort.ENOTFOUND, "%s cannot be followed", obj)
	}
	p, err := s.visibleRecord(ctx, obj, id, cohort.ActView)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		return store.SetFollow(ctx, tx, p.Tenant.ID, p.User.ID, obj, id, on, s.now())
	})
}

// SavedViews lists the caller's own views of a list.
func (s *Service) SavedViews(ctx context.Context, obj cohort.ObjectType) ([]store.SavedView, error) {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return nil, cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	return store.ListSavedViews(ctx, s.db.Read(), p.Tenant.ID, p.User.ID, obj)
}

// viewParams are the query parameters a saved view may hold.
var viewParams = []string{"view", "filter", "sort", "q", "limit", "status", "owner_id", "grade", "province", "industry", "stage", "process_id",
	"customer_id", "forecast_category", "source"}

// SaveView stores a named list query of the caller's. The query string is
// checked to hold only list parameters.
func (s *Service) SaveView(ctx context.Context, v *store.SavedView) error {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	var val cohort.Validation
	if !slices.Contains([]cohort.ObjectType{cohort.ObjCustomer, cohort.ObjOpportunity, cohort.ObjLead, cohort.ObjFollowUp}, v.ObjectType) {
		val.Add("object_type", "views exist for customer, opportunity, lead and followup lists")
	}
	v.Name = strings.TrimSpace(v.Name)
	if v.Name == "" || len([]rune(v.Name)) > 50 {
		val.Add("name", "must be 1 to 50 characters")
	}
	q, err := url.ParseQuery(strings.TrimPrefix(v.Query, "?"))
	if err != nil || len(v.Query) > 2000 {
		val.Add("query", "must be a list query string such as view=mine&filter=status:eq:active")
	}
	for k := range q {
		if !slices.Contains(viewParams, k) {
			val.Add("query", "%q is not a list parameter", k)
		}
	}
	if err := val.Err(); err != nil {
		return err
	}
	v.Query = q.Encode()
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		return store.InsertSavedView(ctx, tx, p.Tenant.ID, p.User.ID, v, s.now())
	})
}

// DeleteView deletes one of the caller's views.
func (s *Service) DeleteView(ctx context.Context, id cohort.ID) error {
	p, err := principal(ctx)
	if err != nil || p.User == nil {
		return cohort.Errorf(cohort.EUNAUTHORIZED, "authentication required")
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error { return store.DeleteSavedView(ctx, tx, p.Tenant.ID, p.User.ID, id) })
}
