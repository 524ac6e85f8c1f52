-- Every sort a record list offers is served by an index on (tenant, sort
-- column, id) — deals also by kind — so that a page of any order walks an
-- index and stops (issue 12; store.TestEverySortIsIndexed asserts the plans
-- and fails when a field is made sortable without one). Fields that only
-- group (city, industry, source, a follow-up's type ...) filter but no
-- longer sort: an index each would cost every write more than the sort is
-- worth.
CREATE INDEX customers_tenant_status ON customers (tenant_id, status, id);
CREATE INDEX customers_tenant_grade ON customers (tenant_id, grade, id);
CREATE INDEX customers_tenant_expected_amount ON customers (tenant_id, expected_amount, id);
CREATE INDEX customers_tenant_expected_sign ON customers (tenant_id, expected_sign_date, id);
CREATE INDEX leads_tenant_updated ON leads (tenant_id, updated_at, id);
CREATE INDEX leads_tenant_name ON leads (tenant_id, name, id);
CREATE INDEX leads_tenant_company ON leads (tenant_id, company, id);
CREATE INDEX leads_tenant_status ON leads (tenant_id, status, id);
CREATE INDEX opportunities_tenant_name ON opportunities (tenant_id, name, id);
CREATE INDEX opportunities_tenant_status ON opportunities (tenant_id, status, id);
CREATE INDEX opportunities_tenant_close ON opportunities (tenant_id, expected_close_date, id);
CREATE INDEX deals_kind_name ON deals (tenant_id, kind, name, id);
CREATE INDEX deals_kind_status ON deals (tenant_id, kind, status, id);
CREATE INDEX deals_kind_total ON deals (tenant_id, kind, total, id);
CREATE INDEX deals_kind_signed_date ON deals (tenant_id, kind, signed_date, id);
CREATE INDEX deals_kind_valid_until ON deals (tenant_id, kind, valid_until, id);
CREATE INDEX deals_kind_end_date ON deals (tenant_id, kind, end_date, id);
CREATE INDEX deals_kind_created ON deals (tenant_id, kind, created_at, id);
CREATE INDEX projects_tenant_name ON projects (tenant_id, name, id);
CREATE INDEX projects_tenant_status ON projects (tenant_id, status, id);
CREATE INDEX projects_tenant_start ON projects (tenant_id, start_date, id);
CREATE INDEX projects_tenant_due ON projects (tenant_id, due_date, id);
CREATE INDEX projects_tenant_created ON projects (tenant_id, created_at, id);
CREATE INDEX tickets_tenant_priority ON tickets (tenant_id, priority, id);
CREATE INDEX tickets_tenant_status ON tickets (tenant_id, status, id);
CREATE INDEX tickets_tenant_updated ON tickets (tenant_id, updated_at, id);
CREATE INDEX expenses_tenant_amount ON expenses (tenant_id, amount, id);
CREATE INDEX expenses_tenant_created ON expenses (tenant_id, created_at, id);
-- A sort by stage (opportunities_tenant_stage serves a filter on stage with
-- the default order, not the order of stage and id).
CREATE INDEX opportunities_tenant_stage_id ON opportunities (tenant_id, stage, id);
