-- Indexes that serve the expenses list's order (incurred_on, then id, as
-- store.ExpenseList sorts by default) for the whole tenant, one person, one
-- customer and one opportunity: an ordered scan stops after a page instead
-- of sorting every matching expense. They replace 0029's person and
-- customer indexes, which lacked the id the order ends with. (IF NOT
-- EXISTS: a database of a build that numbered the tenant-wide one 0036.)
DROP INDEX expenses_user;
DROP INDEX expenses_customer;
CREATE INDEX IF NOT EXISTS expenses_tenant_incurred ON expenses (tenant_id, incurred_on, id);
CREATE INDEX expenses_user ON expenses (tenant_id, user_id, incurred_on, id);
CREATE INDEX expenses_customer ON expenses (tenant_id, customer_id, incurred_on, id);
CREATE INDEX expenses_opportunity ON expenses (tenant_id, opportunity_id, incurred_on, id);
