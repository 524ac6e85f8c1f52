package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cohortcrm/cohort"
)

const leadCols = `l.id, l.tenant_id, l.name, l.company, l.title, l.phone, l.email, l.province, l.city, l.industry, l.source, l.status, l.note,
	l.owner_id, l.department_id, l.converted_at, l.customer_id, l.contact_id, l.opportunity_id, l.custom, l.version, l.created_at, l.updated_at,
	l.external_id`

func leadDest(l *cohort.Lead) []any {
	return []any{idScanner{&l.ID}, idScanner{&l.TenantID}, &l.Name, &l.Company, &l.Title, &l.Phone, &l.Email, &l.Province, &l.City, &l.Industry,
		&l.Source, &l.Status, &l.Note, idScanner{&l.OwnerID}, idScanner{&l.DepartmentID}, nullMsScanner{&l.ConvertedAt}, idScanner{&l.CustomerID},
		idScanner{&l.ContactID}, idScanner{&l.OpportunityID}, rawScanner{&l.Custom}, &l.Version, msScanner{&l.CreatedAt}, msScanner{&l.UpdatedAt},
		&l.ExternalID}
}

// LeadList is the list spec of leads.
var LeadList = &ListSpec{
	IDColumn: "l.id",
	Fields: map[string]Field{
		"name":       {Column: "l.name", Sortable: true},
		"company":    {Column: "l.company", Sortable: true},
		"phone":      {Column: "l.phone"},
		"email":      {Column: "l.email"},
		"province":   {Column: "l.province"},
		"source":     {Column: "l.source"},
		"status":     {Column: "l.status", Sortable: true},
		"owner_id":   {Column: "l.owner_id", Type: TID},
		"created_at": {Column: "l.created_at", Type: TTime, Sortable: true},
		"updated_at": {Column: "l.updated_at", Type: TTime, Sortable: true},
	},
	QColumns:    []string{"l.name", "l.company", "l.phone", "l.email"},
	DefaultSort: []cohort.SortKey{{Field: "created_at", Desc: true}},
}

// InsertLead inserts l.
func InsertLead(ctx context.Context, tx *Tx, l *cohort.Lead, now time.Time) error {
	l.ID, l.Version, l.CreatedAt, l.UpdatedAt = cohort.ID(tx.db.NewID()), 1, createdAt(l.CreatedAt, now), now
	_, err := tx.ExecContext(ctx, `INSERT INTO leads (id, tenant_id, name, company, title, phone, email, province, city, industry, source, status, note,
		owner_id, department_id, custom, version, created_at, updated_at, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		int64(l.ID), int64(l.TenantID), l.Name, l.Company, l.Title, l.Phone, l.Email, l.Province, l.City, l.Industry, l.Source, l.Status, l.Note,
		nullID(l.OwnerID), nullID(l.DepartmentID), string(l.Custom), l.Version, ms(l.CreatedAt), ms(now), ms(now))
	if err != nil {
		return err
	}
	return SetExternalID(ctx, tx, "leads", l.TenantID, l.ID, l.ExternalID)
}

// UpdateLead writes l if its version is still prevVersion.
func UpdateLead(ctx context.Context, tx *Tx, l *cohort.Lead, prevVersion int, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE leads SET name = ?, company = ?, title = ?, phone = ?, email = ?, province = ?, city = ?, industry = ?,
		source = ?, status = ?, note = ?, owner_id = ?, department_id = ?, converted_at = ?, customer_id = ?, contact_id = ?, opportunity_id = ?,
		custom = ?, version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
		l.Name, l.Company, l.Title, l.Phone, l.Email, l.Province, l.City, l.Industry, l.Source, l.Status, l.Note, nullID(l.OwnerID),
		nullID(l.DepartmentID), nullMs(l.ConvertedAt), nullID(l.CustomerID), nullID(l.ContactID), nullID(l.OpportunityID), string(l.Custom),
		ms(now), int64(l.TenantID), int64(l.ID), prevVersion)
	if err := checkOne(res, err, "lead"); err != nil {
		return err
	}
	l.Version, l.UpdatedAt = prevVersion+1, now
	return nil
}

// FindLead returns a lead inside scope.
func FindLead(ctx context.Context, q Queryer, tenantID, id cohort.ID, scope Where) (*cohort.Lead, error) {
	w := And(Where{"l.tenant_id = ? AND l.id = ?", []any{int64(tenantID), int64(id)}}, scope)
	l := &cohort.Lead{}
	err := q.QueryRowContext(ctx, "SELECT "+leadCols+" FROM leads l WHERE "+w.SQL, w.Args...).Scan(leadDest(l)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("lead")
	}
	if err != nil {
		return nil, fmt.Errorf("find lead: %w", err)
	}
	return l, nil
}

// ListLeads lists leads inside scope.
func ListLeads(ctx context.Context, q Queryer, tenantID cohort.ID, scope Where, lq cohort.ListQuery, loc *time.Location) ([]*cohort.Lead, string, error) {
	base := And(Where{"l.tenant_id = ?", []any{int64(tenantID)}}, scope)
	return List(ctx, q, LeadList, lq, loc, "SELECT "+leadCols+" FROM leads l", base, func() (*cohort.Lead, []any) {
		l := &cohort.Lead{}
		return l, leadDest(l)
	})
}

// Setting reads a tenant setting into v; found is false when it is unset.
func Setting(ctx context.Context, q Queryer, tenantID cohort.ID, key string, v any) (found bool, err error) {
	// A kept statement on the read pool (readstmts.go): every follow-up
	// reads its tenant's follow-up types, and preparing the text was half
	// the read.
	rows, err := QueryPrepared(ctx, q, "SELECT value FROM tenant_settings WHERE tenant_id = ? AND key = ?", int64(tenantID), key)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return false, rows.Err()
	}
	var raw string
	if err := rows.Scan(&raw); err != nil {
		return false, err
	}
	if err := rows.Close(); err != nil {
		return false, err
	}
	return true, json.Unmarshal([]byte(raw), v)
}

// SetSetting writes a tenant setting.
func SetSetting(ctx context.Context, tx *Tx, tenantID cohort.ID, key string, v any, now time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tenant_settings (tenant_id, key, value, updated_at) VALUES (?,?,?,?)
		ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, int64(tenantID), key, string(b), ms(now))
	return err
}
