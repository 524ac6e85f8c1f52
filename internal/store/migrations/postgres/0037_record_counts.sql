-- Counts of records from the rollups (docs/FACTS.md, "Counts of records"):
-- rec is 1 on the one fact of each record, kind and credit role (owner and
-- uncredited together) that counts the record, rec_user on the one fact of
-- each record, kind, role and person, for the kinds whose records have one
-- event each (facts.RecordKinds); the rollups sum them. The
-- projection sets it (facts.markRecords); here the facts already kept are
-- marked the same way and the rollups summed again. The rollups' primary
-- key includes rec with the other measures (index-only scans).
ALTER TABLE facts ADD COLUMN rec INTEGER NOT NULL DEFAULT 0;
ALTER TABLE facts ADD COLUMN rec_user INTEGER NOT NULL DEFAULT 0;
UPDATE facts SET rec = CASE WHEN (tenant_id, id) IN (SELECT tenant_id, id FROM (
    SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id, source_type, source_id, kind, record_type, record_id,
            CASE WHEN role = '' THEN 'owner' ELSE role END
        ORDER BY CASE WHEN role = '' THEN 1 ELSE 0 END, COALESCE(user_id, 0), share_bp, occurred_at, COALESCE(department_id, 0), id) AS rn
    FROM facts WHERE kind IN ('lead.created', 'lead.converted', 'customer.created', 'customer.first_signed', 'customer.lost',
        'opportunity.created', 'opportunity.won', 'opportunity.lost', 'opportunity.invalid', 'opportunity.open', 'quote.sent', 'quote.won',
        'contract.signed', 'order.signed', 'contract.started', 'contract.ended', 'ticket.opened', 'ticket.first_response', 'ticket.resolved')) r WHERE rn = 1) THEN 1 ELSE 0 END,
    rec_user = CASE WHEN (tenant_id, id) IN (SELECT tenant_id, id FROM (
    SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id, source_type, source_id, kind, record_type, record_id, role, COALESCE(user_id, 0)
        ORDER BY CASE WHEN role = '' THEN 1 ELSE 0 END, COALESCE(user_id, 0), share_bp, occurred_at, COALESCE(department_id, 0), id) AS rn
    FROM facts WHERE kind IN ('lead.created', 'lead.converted', 'customer.created', 'customer.first_signed', 'customer.lost',
        'opportunity.created', 'opportunity.won', 'opportunity.lost', 'opportunity.invalid', 'opportunity.open', 'quote.sent', 'quote.won',
        'contract.signed', 'order.signed', 'contract.started', 'contract.ended', 'ticket.opened', 'ticket.first_response', 'ticket.resolved')) r WHERE rn = 1) THEN 1 ELSE 0 END
WHERE kind IN ('lead.created', 'lead.converted', 'customer.created', 'customer.first_signed', 'customer.lost',
    'opportunity.created', 'opportunity.won', 'opportunity.lost', 'opportunity.invalid', 'opportunity.open', 'quote.sent', 'quote.won',
    'contract.signed', 'order.signed', 'contract.started', 'contract.ended', 'ticket.opened', 'ticket.first_response', 'ticket.resolved');
ALTER TABLE facts_daily ADD COLUMN rec BIGINT NOT NULL DEFAULT 0;
ALTER TABLE facts_monthly ADD COLUMN rec BIGINT NOT NULL DEFAULT 0;
ALTER TABLE facts_daily ADD COLUMN rec_user BIGINT NOT NULL DEFAULT 0;
ALTER TABLE facts_monthly ADD COLUMN rec_user BIGINT NOT NULL DEFAULT 0;
ALTER TABLE facts_daily DROP CONSTRAINT facts_daily_pkey;
ALTER TABLE facts_monthly DROP CONSTRAINT facts_monthly_pkey;
DELETE FROM facts_daily;
DELETE FROM facts_monthly;
INSERT INTO facts_daily (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
    cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user)
SELECT tenant_id, kind, role, day, COALESCE(user_id, 0), COALESCE(department_id, 0), attr, stage, COALESCE(process_id, 0), COALESCE(product_id, 0),
    count(*), sum(share_bp), sum(amount * share_bp), sum(duration_s), sum(duration_s * share_bp), sum(n), sum(n * share_bp), sum(rec), sum(rec_user)
FROM facts GROUP BY tenant_id, kind, role, day, COALESCE(user_id, 0), COALESCE(department_id, 0), attr, stage, COALESCE(process_id, 0), COALESCE(product_id, 0);
INSERT INTO facts_monthly (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
    cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user)
SELECT tenant_id, kind, role, (CAST(date_trunc('month', DATE '1970-01-01' + day) AS DATE) - DATE '1970-01-01'), user_id, department_id, attr, stage, process_id, product_id,
    sum(cnt), sum(share_bp), sum(amount_bp), sum(duration_s), sum(duration_bp), sum(n), sum(n_bp), sum(rec), sum(rec_user)
FROM facts_daily GROUP BY tenant_id, kind, role, (CAST(date_trunc('month', DATE '1970-01-01' + day) AS DATE) - DATE '1970-01-01'), user_id, department_id, attr, stage, process_id, product_id;
ALTER TABLE facts_daily ADD PRIMARY KEY (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id)
    INCLUDE (cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user);
ALTER TABLE facts_monthly ADD PRIMARY KEY (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id)
    INCLUDE (cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user);
-- The monthly rollup without the person (user_id is always 0): company and
-- department figures read a twelfth of the rows of facts_monthly. Kept with
-- the other two by facts.applyRollups.
CREATE TABLE facts_monthly_dept (
    tenant_id     BIGINT NOT NULL,
    kind          TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    day           INTEGER NOT NULL,
    user_id       BIGINT NOT NULL,
    department_id BIGINT NOT NULL,
    attr          TEXT    NOT NULL,
    stage         TEXT    NOT NULL,
    process_id    BIGINT NOT NULL,
    product_id    BIGINT NOT NULL,
    cnt           BIGINT NOT NULL,
    share_bp      BIGINT NOT NULL,
    amount_bp     BIGINT NOT NULL,
    duration_s    BIGINT NOT NULL,
    duration_bp   BIGINT NOT NULL,
    n             BIGINT NOT NULL,
    n_bp          BIGINT NOT NULL,
    rec           BIGINT NOT NULL,
    rec_user      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id)
        INCLUDE (cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user)
);
INSERT INTO facts_monthly_dept (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
    cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user)
SELECT tenant_id, kind, role, day, 0, department_id, attr, stage, process_id, product_id,
    sum(cnt), sum(share_bp), sum(amount_bp), sum(duration_s), sum(duration_bp), sum(n), sum(n_bp), sum(rec), sum(rec_user)
FROM facts_monthly GROUP BY tenant_id, kind, role, day, department_id, attr, stage, process_id, product_id;
ALTER TABLE facts_monthly_dept SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
