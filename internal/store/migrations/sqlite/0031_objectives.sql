-- Objectives (目标) with key results (关键结果), strategies (策略) and
-- actions (行动), issue 9 (docs/API.md "Objectives and key results").
-- An objective belongs to a person, a department or the company
-- (owner: "person:<id>", "department:<id>", "company") for a fiscal
-- period ("FY2026", "FY2026-Q1", "2026-04"). A key result is a metric of
-- the engine with a role and a target, a goal rule's subject, or a score
-- the owner sets; a strategy names a factor of the performance formula;
-- an action is a quota of a metric per cadence, or a task ticked by hand.
-- Nothing computed is stored: every actual comes from the metric engine.
CREATE TABLE objectives (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    id          INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    owner       TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    created_by  INTEGER,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX objectives_period ON objectives (tenant_id, period, owner);

CREATE TABLE key_results (
    tenant_id    INTEGER NOT NULL,
    id           INTEGER NOT NULL,
    objective_id INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    title        TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    weight       REAL    NOT NULL DEFAULT 1,
    metric       TEXT    NOT NULL DEFAULT '',
    role         TEXT    NOT NULL DEFAULT '',
    filters      TEXT    NOT NULL DEFAULT '[]',
    target       REAL,
    direction    TEXT    NOT NULL DEFAULT 'increase',
    goal_rule_id INTEGER,
    goal_subject TEXT    NOT NULL DEFAULT '',
    self_score   REAL,
    self_note    TEXT    NOT NULL DEFAULT '',
    assessed_by  INTEGER,
    assessed_at  INTEGER,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, objective_id) REFERENCES objectives (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX key_results_objective ON key_results (tenant_id, objective_id, position);

CREATE TABLE objective_strategies (
    tenant_id    INTEGER NOT NULL,
    id           INTEGER NOT NULL,
    objective_id INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    title        TEXT    NOT NULL,
    factor       TEXT    NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, objective_id) REFERENCES objectives (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX objective_strategies_objective ON objective_strategies (tenant_id, objective_id, position);

CREATE TABLE objective_actions (
    tenant_id    INTEGER NOT NULL,
    id           INTEGER NOT NULL,
    objective_id INTEGER NOT NULL,
    strategy_id  INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    title        TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    metric       TEXT    NOT NULL DEFAULT '',
    filters      TEXT    NOT NULL DEFAULT '[]',
    quota        REAL,
    cadence      TEXT    NOT NULL DEFAULT '',
    done_by      INTEGER,
    done_at      INTEGER,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, objective_id) REFERENCES objectives (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, strategy_id) REFERENCES objective_strategies (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX objective_actions_objective ON objective_actions (tenant_id, objective_id, strategy_id, position);
