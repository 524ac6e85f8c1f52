-- facts_rollup_delta takes a write's changes to the rollups in one
-- statement (docs/FACTS.md, "Rollups"; docs/BENCHMARKS.md, "The facts'
-- share of a write in fewer statements"): facts.applyRollups inserts one
-- row per changed key of facts_daily, with the first day of its month, and
-- this trigger adds it to the day's row, the month's row and the month's
-- row without the person, deleting each row it emptied. Each row is a
-- difference whose removed facts are counted in those rows, so a row's
-- count is 0 only when no fact is left in it, and then all its sums are 0.
-- The view itself never has rows.
CREATE VIEW facts_rollup_delta AS
SELECT tenant_id, kind, role, day, day AS month, user_id, department_id, attr, stage, process_id, product_id,
    cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user
FROM facts_daily WHERE 0;
CREATE TRIGGER facts_rollup_delta INSTEAD OF INSERT ON facts_rollup_delta
BEGIN
    INSERT INTO facts_daily (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
        cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user)
    VALUES (NEW.tenant_id, NEW.kind, NEW.role, NEW.day, NEW.user_id, NEW.department_id, NEW.attr, NEW.stage, NEW.process_id, NEW.product_id,
        NEW.cnt, NEW.share_bp, NEW.amount_bp, NEW.duration_s, NEW.duration_bp, NEW.n, NEW.n_bp, NEW.rec, NEW.rec_user)
    ON CONFLICT (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id) DO UPDATE SET
        cnt = facts_daily.cnt + excluded.cnt, share_bp = facts_daily.share_bp + excluded.share_bp,
        amount_bp = facts_daily.amount_bp + excluded.amount_bp, duration_s = facts_daily.duration_s + excluded.duration_s,
        duration_bp = facts_daily.duration_bp + excluded.duration_bp, n = facts_daily.n + excluded.n,
        n_bp = facts_daily.n_bp + excluded.n_bp, rec = facts_daily.rec + excluded.rec, rec_user = facts_daily.rec_user + excluded.rec_user;
    DELETE FROM facts_daily WHERE NEW.cnt < 0 AND tenant_id = NEW.tenant_id AND kind = NEW.kind AND role = NEW.role AND day = NEW.day
        AND user_id = NEW.user_id AND department_id = NEW.department_id AND attr = NEW.attr AND stage = NEW.stage
        AND process_id = NEW.process_id AND product_id = NEW.product_id AND cnt = 0;
    INSERT INTO facts_monthly (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
        cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user)
    VALUES (NEW.tenant_id, NEW.kind, NEW.role, NEW.month, NEW.user_id, NEW.department_id, NEW.attr, NEW.stage, NEW.process_id, NEW.product_id,
        NEW.cnt, NEW.share_bp, NEW.amount_bp, NEW.duration_s, NEW.duration_bp, NEW.n, NEW.n_bp, NEW.rec, NEW.rec_user)
    ON CONFLICT (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id) DO UPDATE SET
        cnt = facts_monthly.cnt + excluded.cnt, share_bp = facts_monthly.share_bp + excluded.share_bp,
        amount_bp = facts_monthly.amount_bp + excluded.amount_bp, duration_s = facts_monthly.duration_s + excluded.duration_s,
        duration_bp = facts_monthly.duration_bp + excluded.duration_bp, n = facts_monthly.n + excluded.n,
        n_bp = facts_monthly.n_bp + excluded.n_bp, rec = facts_monthly.rec + excluded.rec, rec_user = facts_monthly.rec_user + excluded.rec_user;
    DELETE FROM facts_monthly WHERE NEW.cnt < 0 AND tenant_id = NEW.tenant_id AND kind = NEW.kind AND role = NEW.role AND day = NEW.month
        AND user_id = NEW.user_id AND department_id = NEW.department_id AND attr = NEW.attr AND stage = NEW.stage
        AND process_id = NEW.process_id AND product_id = NEW.product_id AND cnt = 0;
    INSERT INTO facts_monthly_dept (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id,
        cnt, share_bp, amount_bp, duration_s, duration_bp, n, n_bp, rec, rec_user)
    VALUES (NEW.tenant_id, NEW.kind, NEW.role, NEW.month, 0, NEW.department_id, NEW.attr, NEW.stage, NEW.process_id, NEW.product_id,
        NEW.cnt, NEW.share_bp, NEW.amount_bp, NEW.duration_s, NEW.duration_bp, NEW.n, NEW.n_bp, NEW.rec, NEW.rec_user)
    ON CONFLICT (tenant_id, kind, role, day, user_id, department_id, attr, stage, process_id, product_id) DO UPDATE SET
        cnt = facts_monthly_dept.cnt + excluded.cnt, share_bp = facts_monthly_dept.share_bp + excluded.share_bp,
        amount_bp = facts_monthly_dept.amount_bp + excluded.amount_bp, duration_s = facts_monthly_dept.duration_s + excluded.duration_s,
        duration_bp = facts_monthly_dept.duration_bp + excluded.duration_bp, n = facts_monthly_dept.n + excluded.n,
        n_bp = facts_monthly_dept.n_bp + excluded.n_bp, rec = facts_monthly_dept.rec + excluded.rec, rec_user = facts_monthly_dept.rec_user + excluded.rec_user;
    DELETE FROM facts_monthly_dept WHERE NEW.cnt < 0 AND tenant_id = NEW.tenant_id AND kind = NEW.kind AND role = NEW.role AND day = NEW.month
        AND user_id = 0 AND department_id = NEW.department_id AND attr = NEW.attr AND stage = NEW.stage
        AND process_id = NEW.process_id AND product_id = NEW.product_id AND cnt = 0;
END;
