-- Sales expenses (METRICS.md "sales expenses") and the tenant settings of
-- two figures: churned customers' grace days and quote accuracy's
-- tolerance (basis points of the last quote).
ALTER TABLE tenants ADD COLUMN churn_grace_days INTEGER NOT NULL DEFAULT 30 CHECK (churn_grace_days BETWEEN 0 AND 3650);
ALTER TABLE tenants ADD COLUMN quote_tolerance_bp INTEGER NOT NULL DEFAULT 500 CHECK (quote_tolerance_bp BETWEEN 0 AND 10000);

-- An expense a person incurred (travel, entertainment, gifts ...),
-- optionally for a customer and an opportunity. incurred_on is its business
-- date (local, YYYY-MM-DD); created_at is when it was recorded.
-- department_id is the person's department on incurred_on (data scope).
CREATE TABLE expenses (
    tenant_id      INTEGER NOT NULL,
    id             INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    department_id  INTEGER,
    customer_id    INTEGER,
    opportunity_id INTEGER,
    type           TEXT    NOT NULL,
    amount         INTEGER NOT NULL CHECK (amount > 0),
    currency       TEXT    NOT NULL,
    incurred_on    TEXT    NOT NULL,
    note           TEXT    NOT NULL DEFAULT '',
    created_by     INTEGER,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id)
);
CREATE INDEX expenses_user ON expenses (tenant_id, user_id, incurred_on);
CREATE INDEX expenses_customer ON expenses (tenant_id, customer_id);
