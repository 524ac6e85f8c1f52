-- Public pools (公海): customers without an owner wait in a pool; rules
-- return neglected customers to it and limit claiming.

CREATE TABLE pools (
    tenant_id            INTEGER NOT NULL REFERENCES tenants (id),
    id                   INTEGER NOT NULL,
    name                 TEXT    NOT NULL,
    -- JSON arrays of ids: the pool's administrators, and the departments
    -- (with their sub-departments) whose people are members.
    admin_ids            TEXT    NOT NULL DEFAULT '[]',
    department_ids       TEXT    NOT NULL DEFAULT '[]',
    -- Rules. 0 turns a rule off. no_followup_days_by_grade is a JSON object
    -- {"A": 30, ...} overriding no_followup_days for those grades.
    no_followup_days     INTEGER NOT NULL DEFAULT 0,
    no_followup_by_grade TEXT    NOT NULL DEFAULT '{}',
    no_signing_days      INTEGER NOT NULL DEFAULT 0,
    warn_days            INTEGER NOT NULL DEFAULT 0,
    daily_claim_limit    INTEGER NOT NULL DEFAULT 0,
    max_owned            INTEGER NOT NULL DEFAULT 0,
    reclaim_block_days   INTEGER NOT NULL DEFAULT 0,
    is_default           BOOLEAN NOT NULL DEFAULT FALSE,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

ALTER TABLE customers ADD COLUMN pool_id INTEGER;
ALTER TABLE customers ADD COLUMN pool_warned_at INTEGER;
CREATE INDEX customers_pool ON customers (tenant_id, pool_id, id);

-- Every movement of a customer into or out of a pool, for the limits, the
-- audit trail and the metric engine.
CREATE TABLE pool_events (
    tenant_id   INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    pool_id     INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    user_id     INTEGER,
    actor_id    INTEGER,
    reason      TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, pool_id) REFERENCES pools (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE INDEX pool_events_user ON pool_events (tenant_id, user_id, kind, at);
CREATE INDEX pool_events_customer ON pool_events (tenant_id, customer_id, at);
