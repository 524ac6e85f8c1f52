-- Rollups of the fact ledger (docs/FACTS.md, "Rollups"): the additive
-- measures of the facts summed per tenant, local day (facts_daily) or month
-- (facts_monthly, whose day is the first day of the month), kind, role,
-- person, historic department, attr, stage, sales process and product. A
-- missing person, department, process or product is 0. They are kept with
-- the facts: every statement that deletes or inserts facts applies the
-- difference to both tables in its transaction (facts.applyRollups), and
-- `cohort facts verify` checks them against the facts. WITHOUT ROWID: the
-- rows are stored in key order, so the engine's range of (kind, role, day)
-- reads them without a second lookup per row.
CREATE TABLE facts_daily (
    tenant_id     INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    day           INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    attr          TEXT    NOT NULL,
    stage         TEXT    NOT NULL,
    process_id    INTEGER NOT NULL,
    product_id    INTEGER NOT NULL,
    -- count(*), sum(share_bp), sum(amount * share_bp), sum(duration_s),
    -- sum(duration_s * share_bp), sum(n), sum(n * share_bp)
    cnt           INTEGER NOT NULL,
    share_bp      INTEGER NOT NULL,
    amount_bp     INTEGER NOT NULL,
    duration_s    INTEGER NOT NULL,
    duration_bp   INTEGER NOT NULL,
    n             INTEGER NOT NULL,
    n_bp          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id)
) WITHOUT ROWID;
CREATE TABLE facts_monthly (
    tenant_id     INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    day           INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    attr          TEXT    NOT NULL,
    stage         TEXT    NOT NULL,
    process_id    INTEGER NOT NULL,
    product_id    INTEGER NOT NULL,
    cnt           INTEGER NOT NULL,
    share_bp      INTEGER NOT NULL,
    amount_bp     INTEGER NOT NULL,
    duration_s    INTEGER NOT NULL,
    duration_bp   INTEGER NOT NULL,
    n             INTEGER NOT NULL,
    n_bp          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id)
) WITHOUT ROWID;
-- The facts already kept.
INSERT INTO facts_daily (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
    cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp)
SELECT tenant_id, kind, role, day, COALESCE(user_id, 0), COALESCE(department_id, 0), attr, stage, COALESCE(process_id, 0), COALESCE(product_id, 0),
    count(*), sum(share_bp), sum(amount * share_bp), sum(duration_s), sum(duration_s * share_bp), sum(n), sum(n * share_bp)
FROM facts GROUP BY tenant_id, kind, role, day, COALESCE(user_id, 0), COALESCE(department_id, 0), attr, stage, COALESCE(process_id, 0), COALESCE(product_id, 0);
INSERT INTO facts_monthly (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
    cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp)
SELECT tenant_id, kind, role, CAST(julianday(date(day * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER), user_id, department_id, attr, stage, process_id, product_id,
    sum(cnt), sum(share_bp), sum(amount_bp), sum(duration_s), sum(duration_bp), sum(n), sum(n_bp)
FROM facts_daily GROUP BY tenant_id, kind, role, CAST(julianday(date(day * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER), user_id, department_id, attr, stage, process_id, product_id;
