-- Tenant-defined metrics (internal/metrics): an aggregate over a fact kind
-- with a role and filters, or a formula over other metrics. definition is
-- the JSON of metrics.Metric's aggregate or formula; name is unique in the
-- tenant and never a built-in metric's.
CREATE TABLE tenant_metrics (
    tenant_id  BIGINT NOT NULL REFERENCES tenants (id),
    id         BIGINT NOT NULL,
    name       TEXT    NOT NULL,
    label_zh   TEXT    NOT NULL,
    label_en   TEXT    NOT NULL,
    unit       TEXT    NOT NULL,
    definition TEXT    NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX tenant_metrics_name ON tenant_metrics (tenant_id, name);
