package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/metrics"
	"github.com/cohortcrm/cohort/internal/store"
)

// objMetric names tenant-defined metrics in the audit log.
const objMetric cohort.ObjectType = "metric"

// Metric queries read the facts inside the caller's customer:view data
// scope (metrics.Scope says how a scope applies to facts); defining the
// tenant's own metrics takes tenant:administer.

func metricLang(p *cohort.Principal) string {
	if p.User != nil && p.User.Locale != "" {
		return p.User.Locale
	}
	return p.Tenant.Locale
}

// metricEnv is the engine's view of the caller: tenant, scope, language and
// the tenant's own metrics.
func (s *Service) metricEnv(ctx context.Context) (metrics.Env, error) {
	a, err := s.Access(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return metrics.Env{}, err
	}
	p := cohort.PrincipalFrom(ctx)
	custom, err := metrics.ListCustom(ctx, s.db.Read(), p.Tenant.ID)
	if err != nil {
		return metrics.Env{}, err
	}
	loc := p.Tenant.Location()
	y, m, d := s.now().In(loc).Date()
	return metrics.Env{TenantID: p.Tenant.ID, FiscalYearStartMonth: p.Tenant.FiscalYearStartMonth,
		WeekStart: p.Tenant.WeekStart, Scope: metrics.Scope(a),
		Custom: metrics.Metrics(custom), Lang: metricLang(p), Location: loc, Today: time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		ChurnGraceDays: p.Tenant.ChurnGraceDays, QuoteToleranceBP: p.Tenant.QuoteToleranceBP}, nil
}

// MetricCatalog lists the built-in metrics and the tenant's own, in the
// caller's language.
func (s *Service) MetricCatalog(ctx context.Context) ([]metrics.CatalogEntry, error) {
	custom, err := s.TenantMetrics(ctx)
	if err != nil {
		return nil, err
	}
	return metrics.Catalog(custom, metricLang(cohort.PrincipalFrom(ctx))), nil
}

// QueryMetrics answers a metric query inside the caller's scope.
func (s *Service) QueryMetrics(ctx context.Context, q metrics.Query) (*metrics.Result, error) {
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	return metrics.Run(ctx, s.db.Read(), env, q)
}

// DrillMetric lists the facts behind a cell, inside the caller's scope.
func (s *Service) DrillMetric(ctx context.Context, d metrics.DrillQuery) (*metrics.Drill, error) {
	env, err := s.metricEnv(ctx)
	if err != nil {
		return nil, err
	}
	return metrics.RunDrill(ctx, s.db.Read(), env, d)
}

// TenantMetrics lists the tenant's own metrics.
func (s *Service) TenantMetrics(ctx context.Context) ([]metrics.Custom, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return metrics.ListCustom(ctx, s.db.Read(), p.Tenant.ID)
}

// FindTenantMetric returns one of the tenant's own metrics.
func (s *Service) FindTenantMetric(ctx context.Context, id cohort.ID) (*metrics.Custom, error) {
	p, err := require(ctx, cohort.ObjCustomer, cohort.ActView)
	if err != nil {
		return nil, err
	}
	return metrics.FindCustom(ctx, s.db.Read(), p.Tenant.ID, id)
}

// others are the tenant's metrics but id.
func others(cs []metrics.Custom, id cohort.ID) []metrics.Metric {
	var out []metrics.Metric
	for _, c := range cs {
		if c.ID != id {
			out = append(out, c.Metric)
		}
	}
	return out
}

// CreateTenantMetric defines a metric of the tenant's own.
func (s *Service) CreateTenantMetric(ctx context.Context, c *metrics.Custom) error {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		all, err := metrics.ListCustom(ctx, tx, p.Tenant.ID)
		if err != nil {
			return err
		}
		if len(all) >= metrics.MaxCustom {
			return cohort.Errorf(cohort.ECONFLICT, "a tenant has at most %d metrics of its own", metrics.MaxCustom)
		}
		if err := c.Validate(others(all, 0)); err != nil {
			return err
		}
		if err := metrics.InsertCustom(ctx, tx, p.Tenant.ID, c, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "create", objMetric, c.ID, diff(nil, c))
	})
}

// MetricUpdate holds what a PATCH of a tenant metric may change; its name
// stays (other formulas name it). Giving an aggregate drops the formula and
// the other way round.
type MetricUpdate struct {
	LabelZh    *string      `json:"label_zh"`
	LabelEn    *string      `json:"label_en"`
	Unit       *string      `json:"unit"`
	Definition *string      `json:"definition"`
	Aggregate  *metrics.Agg `json:"aggregate"`
	Formula    *string      `json:"formula"`
}

// UpdateTenantMetric changes one of the tenant's metrics.
func (s *Service) UpdateTenantMetric(ctx context.Context, id cohort.ID, upd MetricUpdate, ifVersion int) (*metrics.Custom, error) {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return nil, err
	}
	var out *metrics.Custom
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		prev, err := metrics.FindCustom(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifVersion, prev.Version, "metric"); err != nil {
			return err
		}
		c := *prev
		for _, f := range []struct {
			to   *string
			from *string
		}{{&c.LabelZh, upd.LabelZh}, {&c.LabelEn, upd.LabelEn}, {&c.Unit, upd.Unit}, {&c.Definition, upd.Definition}} {
			if f.from != nil {
				*f.to = *f.from
			}
		}
		if upd.Aggregate != nil {
			c.Agg, c.Formula = upd.Aggregate, ""
		}
		if upd.Formula != nil {
			c.Agg, c.Formula = nil, *upd.Formula
		}
		all, err := metrics.ListCustom(ctx, tx, p.Tenant.ID)
		if err != nil {
			return err
		}
		if err := c.Validate(others(all, id)); err != nil {
			return err
		}
		if err := metrics.UpdateCustom(ctx, tx, p.Tenant.ID, &c, s.now()); err != nil {
			return err
		}
		out = &c
		return s.audit(ctx, tx, "update", objMetric, id, diff(prev, &c))
	})
	return out, err
}

// DeleteTenantMetric deletes one of the tenant's metrics that no other
// metric's formula names.
func (s *Service) DeleteTenantMetric(ctx context.Context, id cohort.ID) error {
	p, err := require(ctx, cohort.ObjTenant, cohort.ActAdminister)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, func(tx *store.Tx) error {
		prev, err := metrics.FindCustom(ctx, tx, p.Tenant.ID, id)
		if err != nil {
			return err
		}
		all, err := metrics.ListCustom(ctx, tx, p.Tenant.ID)
		if err != nil {
			return err
		}
		var users []string
		for _, o := range others(all, id) {
			if o.Formula != "" && slices.Contains(metrics.FormulaNames(o.Formula), prev.Name) {
				users = append(users, o.Name)
			}
		}
		if len(users) > 0 {
			return cohort.Errorf(cohort.ECONFLICT, "%s is used by %s; change those first", prev.Name, strings.Join(users, ", "))
		}
		if err := metrics.DeleteCustom(ctx, tx, p.Tenant.ID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, "delete", objMetric, id, diff(prev, nil))
	})
}
