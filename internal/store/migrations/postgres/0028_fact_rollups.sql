-- Rollups of the fact ledger (docs/FACTS.md, "Rollups"): the additive
-- measures of the facts summed per tenant, local day (facts_daily) or month
-- (facts_monthly, whose day is the first day of the month), kind, role,
-- person, historic department, attr, stage, sales process and product. A
-- missing person, department, process or product is 0. They are kept with
-- the facts: every statement that deletes or inserts facts applies the
-- difference to both tables in its transaction (facts.applyRollups), and
-- `cohort facts verify` checks them against the facts. The primary key
-- includes the measures, so the engine's range of (kind, role, day) is an
-- index-only scan.
CREATE TABLE facts_daily (
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
    -- count(*), sum(share_bp), sum(amount * share_bp), sum(duration_s),
    -- sum(duration_s * share_bp), sum(n), sum(n * share_bp)
    cnt           BIGINT NOT NULL,
    share_bp      BIGINT NOT NULL,
    amount_bp     BIGINT NOT NULL,
    duration_s    BIGINT NOT NULL,
    duration_bp   BIGINT NOT NULL,
    n             BIGINT NOT NULL,
    n_bp          BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id)
        INCLUDE (cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp)
);
CREATE TABLE facts_monthly (
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
    PRIMARY KEY (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id)
        INCLUDE (cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp)
);
-- The facts already kept.
INSERT INTO facts_daily (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
    cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp)
SELECT tenant_id, kind, role, day, COALESCE(user_id, 0), COALESCE(department_id, 0), attr, stage, COALESCE(process_id, 0), COALESCE(product_id, 0),
    count(*), sum(share_bp), sum(amount * share_bp), sum(duration_s), sum(duration_s * share_bp), sum(n), sum(n * share_bp)
FROM facts GROUP BY tenant_id, kind, role, day, COALESCE(user_id, 0), COALESCE(department_id, 0), attr, stage, COALESCE(process_id, 0), COALESCE(product_id, 0);
INSERT INTO facts_monthly (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
    cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp)
SELECT tenant_id, kind, role, (CAST(date_trunc('month', DATE '1970-01-01' + day) AS DATE) - DATE '1970-01-01'), user_id, department_id, attr, stage, process_id, product_id,
    sum(cnt), sum(share_bp), sum(amount_bp), sum(duration_s), sum(duration_bp), sum(n), sum(n_bp)
FROM facts_daily GROUP BY tenant_id, kind, role, (CAST(date_trunc('month', DATE '1970-01-01' + day) AS DATE) - DATE '1970-01-01'), user_id, department_id, attr, stage, process_id, product_id;
-- Facts are deleted and inserted on every write of a measurable record,
-- which clears the visibility map of the pages touched; the metric engine's
-- statements are index-only scans of facts_kind_day that read the table for
-- every entry on such a page. Vacuum facts after 2 % of it changed (the
-- default waits for 20 %), so the index answers alone (docs/BENCHMARKS.md).
ALTER TABLE facts SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE facts_daily SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE facts_monthly SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
