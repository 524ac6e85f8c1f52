package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cohortcrm/cohort"
)

// Bulk writes of a migration import: records with their own business
// times (creation, stage entries, close) and external ids.

// StageEntryAt is one entry of an imported stage history.
type StageEntryAt struct {
	Stage string
	At    time.Time
}

// BulkInsertOpportunities inserts opportunities with their creation times
// (now when unset) and stage histories (hist[i] for opps[i], in time order;
// each entry left when the next one was entered, the last one open), giving
// each its id. Lines are not imported.
func BulkInsertOpportunities(ctx context.Context, tx *Tx, opps []*cohort.Opportunity, hist [][]StageEntryAt, now time.Time) error {
	rows := make([][]any, 0, len(opps))
	stages := make([][]any, 0, 2*len(opps))
	for i, o := range opps {
		o.ID, o.Version, o.CreatedAt, o.UpdatedAt = cohort.ID(tx.db.NewID()), 1, createdAt(o.CreatedAt, now), now
		if len(o.Custom) == 0 {
			o.Custom = json.RawMessage("{}")
		}
		rows = append(rows, []any{int64(o.ID), int64(o.TenantID), int64(o.CustomerID), nullID(o.ContactID), int64(o.ProcessID), o.Stage, o.Name,
			o.Amount, o.Currency, o.ExpectedCloseDate, o.ForecastCategory, o.Status, o.LossReason, o.Competitor, o.Source, nullMs(o.ClosedAt),
			nullID(o.OwnerID), nullID(o.DepartmentID), string(o.Custom), nullID(o.CreatedBy), o.Version, ms(o.CreatedAt), ms(now), o.ExternalID, ms(now)})
		h := hist[i]
		for j, e := range h {
			var left any
			if j+1 < len(h) {
				left = ms(h[j+1].At)
			}
			stages = append(stages, []any{int64(o.TenantID), tx.db.NewID(), int64(o.ID), e.Stage, ms(e.At), left, nullID(o.CreatedBy), ms(now)})
		}
	}
	if err := BulkInsert(ctx, tx, "opportunities", []string{"id", "tenant_id", "customer_id", "contact_id", "process_id", "stage", "name",
		"amount", "currency", "expected_close_date", "forecast_category", "status", "loss_reason", "competitor", "source", "closed_at",
		"owner_id", "department_id", "custom", "created_by", "version", "created_at", "updated_at", "external_id", "recorded_at"}, rows); err != nil {
		return err
	}
	return BulkInsert(ctx, tx, "opportunity_stages", []string{"tenant_id", "id", "opportunity_id", "stage", "entered_at", "left_at", "user_id", "recorded_at"}, stages)
}
