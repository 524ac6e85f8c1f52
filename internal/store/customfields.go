package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/cohortcrm/cohort"
)

const customFieldCols = "id, tenant_id, object_type, key, label_zh, label_en, type, options, lookup_type, required, sort_order, active, version, created_at, updated_at"

func customFieldDest(f *cohort.CustomField) []any {
	return []any{idScanner{&f.ID}, idScanner{&f.TenantID}, (*string)(&f.ObjectType), &f.Key, &f.LabelZh, &f.LabelEn, &f.Type, jsonScanner{&f.Options},
		(*string)(&f.LookupType), &f.Required, &f.SortOrder, &f.Active, &f.Version, msScanner{&f.CreatedAt}, msScanner{&f.UpdatedAt}}
}

// CustomFields returns a tenant's custom fields of one object type (all
// types when obj is empty), in display order.
func CustomFields(ctx context.Context, q Queryer, tenantID cohort.ID, obj cohort.ObjectType) ([]*cohort.CustomField, error) {
	w := Where{"tenant_id = ?", []any{int64(tenantID)}}
	if obj != "" {
		w = And(w, Where{"object_type = ?", []any{string(obj)}})
	}
	rows, err := q.QueryContext(ctx, "SELECT "+customFieldCols+" FROM custom_fields WHERE "+w.SQL+" ORDER BY object_type, sort_order, key", w.Args...)
	if err != nil {
		return nil, fmt.Errorf("custom fields: %w", err)
	}
	defer rows.Close()
	out := []*cohort.CustomField{}
	for rows.Next() {
		f := &cohort.CustomField{}
		if err := rows.Scan(customFieldDest(f)...); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FindCustomField returns one custom field.
func FindCustomField(ctx context.Context, q Queryer, tenantID, id cohort.ID) (*cohort.CustomField, error) {
	f := &cohort.CustomField{}
	err := q.QueryRowContext(ctx, "SELECT "+customFieldCols+" FROM custom_fields WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)).Scan(customFieldDest(f)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("custom field")
	}
	return f, err
}

// InsertCustomField inserts f.
func InsertCustomField(ctx context.Context, tx *Tx, f *cohort.CustomField, now time.Time) error {
	f.ID, f.Version, f.CreatedAt, f.UpdatedAt = cohort.ID(tx.db.NewID()), 1, now, now
	opts, _ := json.Marshal(f.Options)
	_, err := tx.ExecContext(ctx, "INSERT INTO custom_fields ("+customFieldCols+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", int64(f.ID), int64(f.TenantID),
		string(f.ObjectType), f.Key, f.LabelZh, f.LabelEn, f.Type, string(opts), string(f.LookupType), f.Required, f.SortOrder, f.Active, f.Version, ms(now), ms(now))
	if isUniqueViolation(err) {
		return cohort.Errorf(cohort.ECONFLICT, "a %s field with key %q exists already", f.ObjectType, f.Key)
	}
	return err
}

// UpdateCustomField writes the changeable parts of f (labels, options,
// required, order, active) if its version is still prevVersion.
func UpdateCustomField(ctx context.Context, tx *Tx, f *cohort.CustomField, prevVersion int, now time.Time) error {
	opts, _ := json.Marshal(f.Options)
	res, err := tx.ExecContext(ctx, `UPDATE custom_fields SET label_zh = ?, label_en = ?, options = ?, required = ?, sort_order = ?, active = ?,
		version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?`, f.LabelZh, f.LabelEn, string(opts), f.Required,
		f.SortOrder, f.Active, ms(now), int64(f.TenantID), int64(f.ID), prevVersion)
	if err := checkOne(res, err, "custom field"); err != nil {
		return err
	}
	f.Version, f.UpdatedAt = prevVersion+1, now
	return nil
}

// WithCustom returns a copy of spec that can also filter and sort on the
// custom fields as "custom.<key>", over the JSON column alias.custom.
func (s *ListSpec) WithCustom(engine Engine, alias string, fields []*cohort.CustomField) *ListSpec {
	if len(fields) == 0 {
		return s
	}
	out := *s
	out.Fields = maps.Clone(s.Fields)
	col := alias + ".custom"
	for _, f := range fields {
		if !f.Active {
			continue
		}
		// Keys are validated to [a-z0-9_], so they are safe inside SQL text.
		var text, num string
		if engine == Postgres {
			text = "(" + col + "->>'" + f.Key + "')"
			num = "(" + col + "->>'" + f.Key + "')::numeric"
		} else {
			text = "json_extract(" + col + ", '$." + f.Key + "')"
			num = text
		}
		fd := Field{Column: text}
		switch f.Type {
		case cohort.CFNumber:
			fd = Field{Column: num, Type: TFloat}
		case cohort.CFMoney:
			fd = Field{Column: num, Type: TInt}
		case cohort.CFBoolean:
			if engine == Postgres {
				fd = Field{Column: "(" + col + "->>'" + f.Key + "')::boolean", Type: TBool}
			} else {
				fd = Field{Column: text, Type: TBool}
			}
		case cohort.CFUser, cohort.CFDepartment, cohort.CFLookup:
			if engine == Postgres {
				fd = Field{Column: "(" + col + "->>'" + f.Key + "')::bigint", Type: TID}
			} else {
				fd = Field{Column: "CAST(" + text + " AS INTEGER)", Type: TID}
			}
		case cohort.CFMulti:
			if engine == Postgres {
				fd.Contains = "jsonb_exists(" + col + "->'" + f.Key + "', ?)"
			} else {
				fd.Contains = "EXISTS (SELECT 1 FROM json_each(" + col + ", '$." + f.Key + "') WHERE value = ?)"
			}
		}
		if f.Type != cohort.CFMulti {
			// Sort with NULLs folded to a default so that keyset paging has a
			// total order.
			sortCol := fd
			switch fd.Type {
			case TString:
				sortCol.Column = "COALESCE(" + fd.Column + ", '')"
			case TFloat, TInt, TID:
				sortCol.Column = "COALESCE(" + fd.Column + ", 0)"
			}
			out.Fields["custom."+f.Key] = fd
			if fd.Type != TBool {
				out.Fields["sort:custom."+f.Key] = sortCol
			}
		} else {
			out.Fields["custom."+f.Key] = fd
		}
	}
	return &out
}
