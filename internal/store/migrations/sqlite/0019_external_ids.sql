-- External ids: the id a record had in the system it was migrated from.
-- A migration imports file by file (customers, contacts, opportunities,
-- contracts, payments, follow-ups, tickets); later files name earlier
-- records by these ids, and a re-run skips the rows whose id exists. Empty
-- means none; a non-empty id is unique per tenant and record type (deals:
-- per kind, a contract and an order may share one).
ALTER TABLE customers ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE opportunities ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_plans ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE followups ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX customers_external_id ON customers (tenant_id, external_id) WHERE external_id <> '';
CREATE UNIQUE INDEX contacts_external_id ON contacts (tenant_id, external_id) WHERE external_id <> '';
CREATE UNIQUE INDEX leads_external_id ON leads (tenant_id, external_id) WHERE external_id <> '';
CREATE UNIQUE INDEX opportunities_external_id ON opportunities (tenant_id, external_id) WHERE external_id <> '';
CREATE UNIQUE INDEX deals_external_id ON deals (tenant_id, kind, external_id) WHERE external_id <> '';
CREATE UNIQUE INDEX payments_external_id ON payments (tenant_id, external_id) WHERE external_id <> '';
CREATE UNIQUE INDEX payment_plans_external_id ON payment_plans (tenant_id, external_id) WHERE external_id <> '';
CREATE UNIQUE INDEX followups_external_id ON followups (tenant_id, external_id) WHERE external_id <> '';
CREATE UNIQUE INDEX tickets_external_id ON tickets (tenant_id, external_id) WHERE external_id <> '';

-- Rows of a re-run import whose external id exists are skipped and counted.
ALTER TABLE imports ADD COLUMN rows_skipped INTEGER NOT NULL DEFAULT 0;
