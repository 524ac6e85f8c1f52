-- A tenant can be disabled (cohort tenant disable): its users cannot log in,
-- and its sessions and API tokens stop working. NULL: enabled.
ALTER TABLE tenants ADD COLUMN disabled_at BIGINT;
