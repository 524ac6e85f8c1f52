package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// Custom is a tenant-defined metric: an aggregate over fact kinds with a
// role and filters, or a formula over other metrics.
type Custom struct {
	ID cohort.ID `json:"id"`
	Metric
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MaxCustom caps a tenant's own metrics.
const MaxCustom = 200

var nameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)

// stored is the JSON of a custom metric's definition column.
type stored struct {
	Aggregate  *Agg   `json:"aggregate,omitempty"`
	Formula    string `json:"formula,omitempty"`
	Definition string `json:"definition,omitempty"`
}

// Validate checks m against the catalogue and the tenant's other metrics
// (others, without m itself): a formula must compile, name only known
// metrics and not refer to itself.
func (m *Custom) Validate(others []Metric) error {
	var v cohort.Validation
	m.Name = strings.TrimSpace(m.Name)
	switch {
	case !nameRe.MatchString(m.Name):
		v.Add("name", "must be 1 to 50 lowercase letters, digits or _, starting with a letter")
	case IsBuiltin(m.Name):
		v.Add("name", "%q is a built-in metric", m.Name)
	}
	for _, l := range []struct{ field, s string }{{"label_zh", m.LabelZh}, {"label_en", m.LabelEn}} {
		if n := utf8.RuneCountInString(strings.TrimSpace(l.s)); n == 0 || n > 100 {
			v.Add(l.field, "must be 1 to 100 characters")
		}
	}
	if len(m.Definition) > 500 {
		v.Add("definition", "must be at most 500 characters")
	}
	if !slices.Contains(Units, m.Unit) {
		v.Add("unit", "must be one of %s", strings.Join(Units, ", "))
	}
	m.Formula = strings.TrimSpace(m.Formula)
	switch {
	case (m.Agg == nil) == (m.Formula == ""):
		v.Add("formula", "give either an aggregate or a formula")
	case m.Agg != nil:
		if f, msg := validAgg(m.Agg); f != "" {
			v.Add("aggregate."+f, "%s", msg)
		}
		m.Additive = m.Agg.Func == "count" || m.Agg.Func == "sum"
	default:
		m.Additive = false
		if _, err := parseFormula(m.Formula); err != nil {
			v.Add("formula", "%v", err)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	m.Builtin = false
	env := &Env{Custom: append(slices.Clone(others), m.Metric)}
	p := &plan{keys: map[string]int{}}
	if _, err := p.resolve(env, m.Name, 0, nil); err != nil {
		v.Add("formula", "%v", err)
	}
	// The metrics naming this one must still compile.
	for _, o := range others {
		if o.Formula != "" {
			if _, err := (&plan{keys: map[string]int{}}).resolve(env, o.Name, 0, nil); err != nil {
				v.Add("formula", "metric %q would no longer compile: %v", o.Name, err)
			}
		}
	}
	return v.Err()
}

const customCols = "id, name, label_zh, label_en, unit, definition, version, created_at, updated_at"

func scanCustom(row interface{ Scan(...any) error }) (*Custom, error) {
	var c Custom
	var id, created, updated int64
	var def string
	if err := row.Scan(&id, &c.Name, &c.LabelZh, &c.LabelEn, &c.Unit, &def, &c.Version, &created, &updated); err != nil {
		return nil, err
	}
	var s stored
	if err := json.Unmarshal([]byte(def), &s); err != nil {
		return nil, fmt.Errorf("metric %s: %w", c.Name, err)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = cohort.ID(id), time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	c.Agg, c.Formula, c.Definition = s.Aggregate, s.Formula, s.Definition
	c.Additive = c.Agg != nil && (c.Agg.Func == "count" || c.Agg.Func == "sum")
	return &c, nil
}

// ListCustom returns a tenant's own metrics by name.
func ListCustom(ctx context.Context, db store.Queryer, tenantID cohort.ID) ([]Custom, error) {
	rows, err := db.QueryContext(ctx, "SELECT "+customCols+" FROM tenant_metrics WHERE tenant_id = ? ORDER BY name", int64(tenantID))
	if err != nil {
		return nil, fmt.Errorf("list metrics: %w", err)
	}
	defer rows.Close()
	out := []Custom{}
	for rows.Next() {
		c, err := scanCustom(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// FindCustom returns one of a tenant's metrics.
func FindCustom(ctx context.Context, db store.Queryer, tenantID, id cohort.ID) (*Custom, error) {
	c, err := scanCustom(db.QueryRowContext(ctx, "SELECT "+customCols+" FROM tenant_metrics WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cohort.Errorf(cohort.ENOTFOUND, "metric not found")
	}
	return c, err
}

func definitionJSON(c *Custom) string {
	b, _ := json.Marshal(stored{Aggregate: c.Agg, Formula: c.Formula, Definition: c.Definition})
	return string(b)
}

// InsertCustom stores a new metric of the tenant.
func InsertCustom(ctx context.Context, tx *store.Tx, tenantID cohort.ID, c *Custom, now time.Time) error {
	c.ID, c.Version, c.CreatedAt, c.UpdatedAt = cohort.ID(tx.DB().NewID()), 1, now, now
	_, err := tx.ExecContext(ctx, "INSERT INTO tenant_metrics (tenant_id, "+customCols+") VALUES (?,?,?,?,?,?,?,?,?,?)",
		int64(tenantID), int64(c.ID), c.Name, c.LabelZh, c.LabelEn, c.Unit, definitionJSON(c), c.Version, now.UnixMilli(), now.UnixMilli())
	return nameTaken(err, c.Name)
}

// UpdateCustom writes c (name, labels, unit, definition), bumping its
// version.
func UpdateCustom(ctx context.Context, tx *store.Tx, tenantID cohort.ID, c *Custom, now time.Time) error {
	c.Version++
	c.UpdatedAt = now
	_, err := tx.ExecContext(ctx, `UPDATE tenant_metrics SET name = ?, label_zh = ?, label_en = ?, unit = ?, definition = ?, version = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`, c.Name, c.LabelZh, c.LabelEn, c.Unit, definitionJSON(c), c.Version, now.UnixMilli(), int64(tenantID), int64(c.ID))
	return nameTaken(err, c.Name)
}

// nameTaken turns a unique-key violation into a conflict on the name.
func nameTaken(err error, name string) error {
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "unique") {
		return &cohort.Error{Code: cohort.ECONFLICT, Message: fmt.Sprintf("name: a metric named %q exists already", name),
			Fields: []cohort.FieldError{{Field: "name", Message: "exists already"}}}
	}
	return err
}

// DeleteCustom deletes a tenant's metric.
func DeleteCustom(ctx context.Context, tx *store.Tx, tenantID, id cohort.ID) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM tenant_metrics WHERE tenant_id = ? AND id = ?", int64(tenantID), int64(id))
	return err
}

// Metrics returns the tenant's custom metrics as catalogue entries.
func Metrics(cs []Custom) []Metric {
	out := make([]Metric, len(cs))
	for i, c := range cs {
		out[i] = c.Metric
	}
	return out
}

// CatalogEntry is a metric as the catalogue lists it, in one language.
type CatalogEntry struct {
	Name       string    `json:"name"`
	Label      string    `json:"label"`
	Unit       string    `json:"unit"`
	Additive   bool      `json:"additive"`
	Builtin    bool      `json:"builtin"`
	Definition string    `json:"definition"`
	Formula    string    `json:"formula,omitempty"`
	Aggregate  *Agg      `json:"aggregate,omitempty"`
	ID         cohort.ID `json:"id,omitempty"`
}

// Catalog lists the built-in metrics and the tenant's own in lang, with
// the parametric stage_conversion:<stage> described once.
func Catalog(custom []Custom, lang string) []CatalogEntry {
	var out []CatalogEntry
	for _, m := range Builtins() {
		out = append(out, CatalogEntry{Name: m.Name, Label: m.label(lang), Unit: m.Unit, Additive: m.Additive, Builtin: true, Definition: definition(m.Name, m.Definition, lang),
			Formula: m.Formula, Aggregate: m.Agg})
	}
	sc, _ := stageConversion(stageConversionPfx + "won")
	sc.Name = stageConversionPfx + "<stage>"
	out = append(out, CatalogEntry{Name: sc.Name, Label: strings.TrimSuffix(sc.label(lang), "won") + "<stage>", Unit: UnitRatio, Builtin: true,
		Definition: definition(sc.Name, "of the opportunities that entered a stage in P (the stage dimension or filter), the share that later entered <stage> (won: were won)", lang)})
	fg, _ := forgottenN(forgottenPfx + "30")
	out = append(out, CatalogEntry{Name: forgottenPfx + "<N>", Label: strings.Replace(fg.label(lang), "30", "N", 1), Unit: UnitCount, Builtin: true,
		Definition: definition(forgottenPfx+"<N>", "customers owned on the as-of date, not lost, with no follow-up in the N days ending with it (N from 1 to 3650)", lang)})
	for _, c := range custom {
		out = append(out, CatalogEntry{Name: c.Name, Label: c.label(lang), Unit: c.Unit, Additive: c.Additive, Definition: c.Definition,
			Formula: c.Formula, Aggregate: c.Agg, ID: c.ID})
	}
	return out
}
