-- Tenant settings (issue 7): the first day of the week, as ISO 8601 numbers it
-- (1 = Monday ... 7 = Sunday), and how many days in the past an event may be
-- dated without the permission to backdate further.
ALTER TABLE tenants ADD COLUMN week_start BIGINT NOT NULL DEFAULT 1 CHECK (week_start BETWEEN 1 AND 7);
ALTER TABLE tenants ADD COLUMN backdate_window_days BIGINT NOT NULL DEFAULT 7 CHECK (backdate_window_days BETWEEN 0 AND 3650);
