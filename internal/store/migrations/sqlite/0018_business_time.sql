-- Business time (issue 7). Every event keeps the time it happened — a
-- record's created_at, a stage's entered_at, a membership's valid_from and
-- valid_to, a signing's signed_at — and, beside it, the time it was written:
-- recorded_at. NULL means "written when it happened" (rows from before this
-- migration, and everything not dated by hand).
ALTER TABLE customers ADD COLUMN recorded_at INTEGER;
ALTER TABLE contacts ADD COLUMN recorded_at INTEGER;
ALTER TABLE leads ADD COLUMN recorded_at INTEGER;
ALTER TABLE opportunities ADD COLUMN recorded_at INTEGER;
ALTER TABLE deals ADD COLUMN recorded_at INTEGER;
ALTER TABLE projects ADD COLUMN recorded_at INTEGER;
ALTER TABLE tickets ADD COLUMN recorded_at INTEGER;
ALTER TABLE opportunity_stages ADD COLUMN recorded_at INTEGER;
ALTER TABLE record_team ADD COLUMN recorded_at INTEGER;
ALTER TABLE user_org_history ADD COLUMN recorded_at INTEGER;

-- Void (作废) of a contract or order: it stays visible and counts in no
-- signed figure. signing_department_id is the owner's department at the
-- signing time (from user_org_history), which the record's own department
-- (following its current owner) cannot stand for.
ALTER TABLE deals ADD COLUMN voided_at INTEGER;
ALTER TABLE deals ADD COLUMN void_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN signing_department_id INTEGER;
UPDATE deals SET signing_department_id = department_id WHERE signed_at IS NOT NULL;
