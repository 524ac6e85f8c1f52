-- Indexes that serve the main lists' sorts for the administrator's "all"
-- scope and the "mine" view (issue 12): an ordered scan of (tenant, sort
-- column, id) stops after one page instead of scanning and sorting the whole
-- tenant. Keyset paging adds a bound on the sort column (store.keysetWhere),
-- so a later page seeks into the same index.
CREATE INDEX customers_tenant_updated ON customers (tenant_id, updated_at, id);
CREATE INDEX customers_tenant_created ON customers (tenant_id, created_at, id);
CREATE INDEX customers_tenant_name ON customers (tenant_id, name, id);
CREATE INDEX customers_owner_updated ON customers (tenant_id, owner_id, updated_at, id);
CREATE INDEX opportunities_tenant_updated ON opportunities (tenant_id, updated_at, id);
CREATE INDEX opportunities_tenant_created ON opportunities (tenant_id, created_at, id);
CREATE INDEX opportunities_tenant_amount ON opportunities (tenant_id, amount, id);
-- A filter on stage alone (the stage index starts with process and status).
CREATE INDEX opportunities_tenant_stage ON opportunities (tenant_id, stage, updated_at, id);
CREATE INDEX opportunities_owner_updated ON opportunities (tenant_id, owner_id, updated_at, id);
CREATE INDEX followups_tenant_occurred ON followups (tenant_id, occurred_at, id);
-- The default orders of leads, deals (per kind), projects and tickets.
CREATE INDEX leads_tenant_created ON leads (tenant_id, created_at, id);
CREATE INDEX deals_kind_updated ON deals (tenant_id, kind, updated_at, id);
CREATE INDEX projects_tenant_updated ON projects (tenant_id, updated_at, id);
CREATE INDEX tickets_tenant_opened ON tickets (tenant_id, opened_at, id);
