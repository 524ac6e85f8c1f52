-- Stage entries counted from a rollup (docs/FACTS.md, "Stage entries"): the
-- funnel's distinct counts of opportunities that entered a stage, and its
-- days in stage, read rollups instead of every stage entry of the period.
-- On a stage entry's facts n is 1 once the stay has ended (0 while in the
-- stage: the rollups' n_bp weighs the ended stays), rec is 1 on one fact
-- per entry and credit role, and since_stage / since_any are the day of the
-- latest earlier entry of the opportunity into the same stage / into any
-- stage with a fact in the same credit role (0 for none). The projection
-- sets them (facts.markRecords, facts.markSince, facts.StageMarkSQL runs
-- these statements per tenant); here the facts already kept are marked and
-- the stage entries' rollups summed again.
ALTER TABLE facts ADD COLUMN since_stage INTEGER NOT NULL DEFAULT 0;
ALTER TABLE facts ADD COLUMN since_any INTEGER NOT NULL DEFAULT 0;
UPDATE facts SET n = CASE WHEN ref_at IS NULL THEN 0 ELSE 1 END, rec = 0, rec_user = 0 WHERE kind = 'opportunity.stage_entered';
UPDATE facts SET rec = 1 WHERE kind = 'opportunity.stage_entered' AND (tenant_id, id) IN (SELECT tenant_id, id FROM (
    SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id, source_type, source_id, kind, record_type, record_id, CASE WHEN facts.role = '' THEN 'owner' ELSE facts.role END, occurred_at, stage
        ORDER BY CASE WHEN role = '' THEN 1 ELSE 0 END, COALESCE(user_id, 0), share_bp, occurred_at, COALESCE(department_id, 0), id) AS rn
    FROM facts WHERE kind = 'opportunity.stage_entered') r WHERE rn = 1);
UPDATE facts SET
    since_stage = COALESCE((SELECT max(g.day) FROM facts g WHERE g.tenant_id = facts.tenant_id AND g.source_type = facts.source_type
        AND g.source_id = facts.source_id AND g.kind = facts.kind AND g.record_type = facts.record_type AND g.record_id = facts.record_id AND CASE WHEN g.role = '' THEN 'owner' ELSE g.role END = CASE WHEN facts.role = '' THEN 'owner' ELSE facts.role END
        AND g.stage = facts.stage AND g.occurred_at < facts.occurred_at), 0),
    since_any = COALESCE((SELECT max(g.day) FROM facts g WHERE g.tenant_id = facts.tenant_id AND g.source_type = facts.source_type
        AND g.source_id = facts.source_id AND g.kind = facts.kind AND g.record_type = facts.record_type AND g.record_id = facts.record_id AND CASE WHEN g.role = '' THEN 'owner' ELSE g.role END = CASE WHEN facts.role = '' THEN 'owner' ELSE facts.role END
        AND (g.occurred_at < facts.occurred_at OR g.occurred_at = facts.occurred_at AND g.stage < facts.stage)), 0)
WHERE kind = 'opportunity.stage_entered';
DELETE FROM facts_daily WHERE kind = 'opportunity.stage_entered';
DELETE FROM facts_monthly WHERE kind = 'opportunity.stage_entered';
DELETE FROM facts_monthly_dept WHERE kind = 'opportunity.stage_entered';
INSERT INTO facts_daily (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
    cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user)
SELECT tenant_id, kind, role, day, COALESCE(user_id, 0), COALESCE(department_id, 0), attr, stage, COALESCE(process_id, 0), COALESCE(product_id, 0),
    count(*), sum(share_bp), sum(amount * share_bp), sum(duration_s), sum(duration_s * share_bp), sum(n), sum(n * share_bp), sum(rec), sum(rec_user)
FROM facts WHERE kind = 'opportunity.stage_entered'
GROUP BY tenant_id, kind, role, day, COALESCE(user_id, 0), COALESCE(department_id, 0), attr, stage, COALESCE(process_id, 0), COALESCE(product_id, 0);
INSERT INTO facts_monthly (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
    cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user)
SELECT tenant_id, kind, role, CAST(julianday(date(day * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER), user_id, department_id, attr, stage, process_id, product_id,
    sum(cnt), sum(share_bp), sum(amount_bp), sum(duration_s), sum(duration_bp), sum(n), sum(n_bp), sum(rec), sum(rec_user)
FROM facts_daily WHERE kind = 'opportunity.stage_entered'
GROUP BY tenant_id, kind, role, CAST(julianday(date(day * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER), user_id, department_id, attr, stage, process_id, product_id;
INSERT INTO facts_monthly_dept (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
    cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user)
SELECT tenant_id, kind, role, day, 0, department_id, attr, stage, process_id, product_id,
    sum(cnt), sum(share_bp), sum(amount_bp), sum(duration_s), sum(duration_bp), sum(n), sum(n_bp), sum(rec), sum(rec_user)
FROM facts_monthly WHERE kind = 'opportunity.stage_entered'
GROUP BY tenant_id, kind, role, day, department_id, attr, stage, process_id, product_id;
-- The monthly rollup of stage entries (facts.StageRollup): entries (rec)
-- per credit role, month, stage, process and the months of since_stage and
-- since_any. Kept with the other rollups by facts.applyRollups.
CREATE TABLE facts_stage_monthly (
    tenant_id   INTEGER NOT NULL,
    role        TEXT    NOT NULL,
    day         INTEGER NOT NULL,
    stage       TEXT    NOT NULL,
    process_id  INTEGER NOT NULL,
    since_stage INTEGER NOT NULL,
    since_any   INTEGER NOT NULL,
    rec         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, role, day, stage, process_id, since_stage, since_any)
) WITHOUT ROWID;
INSERT INTO facts_stage_monthly (tenant_id, role, day, stage, process_id, since_stage, since_any, rec)
SELECT tenant_id, role, CAST(julianday(date(day * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER), stage, COALESCE(process_id, 0), CAST(julianday(date(since_stage * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER), CAST(julianday(date(since_any * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER), count(*)
FROM facts WHERE kind = 'opportunity.stage_entered' AND rec = 1
GROUP BY tenant_id, role, CAST(julianday(date(day * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER), stage, COALESCE(process_id, 0), CAST(julianday(date(since_stage * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER), CAST(julianday(date(since_any * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER);
