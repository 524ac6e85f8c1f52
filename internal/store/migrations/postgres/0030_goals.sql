-- Goals (issue 9, docs/API.md "Goals"). A goal rule names a metric of the
-- metric engine, the business role earning credit, the subject type, the
-- cycle and the departments it applies to; its values are set per subject
-- ("company", "department:<id>", "person:<id>", "product:<id>",
-- "product_category:<id>", "region:<name>", "segment:<name>") and fiscal
-- period ("FY2026", "FY2026-Q1", "2026-04", "W2026-12-28"). Every change of
-- a value is logged; a locked period refuses edits, a frozen one also keeps
-- the actuals it was closed with.
CREATE TABLE goal_rules (
    tenant_id    BIGINT NOT NULL REFERENCES tenants (id),
    id           BIGINT  NOT NULL,
    name         TEXT    NOT NULL,
    metric       TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    subject_type TEXT    NOT NULL,
    cycle        TEXT    NOT NULL,
    departments  TEXT    NOT NULL DEFAULT '[]',
    filters      TEXT    NOT NULL DEFAULT '[]',
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE goal_values (
    tenant_id  BIGINT  NOT NULL,
    rule_id    BIGINT  NOT NULL,
    subject    TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    value      DOUBLE PRECISION    NOT NULL,
    updated_by BIGINT ,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, subject, period),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES goal_rules (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE goal_value_changes (
    tenant_id  BIGINT  NOT NULL,
    id         BIGINT  NOT NULL,
    rule_id    BIGINT  NOT NULL,
    subject    TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    old_value  DOUBLE PRECISION,
    new_value  DOUBLE PRECISION,
    source     TEXT    NOT NULL,
    changed_by BIGINT ,
    changed_at BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES goal_rules (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX goal_value_changes_cell ON goal_value_changes (tenant_id, rule_id, subject, period, changed_at);

CREATE TABLE goal_locks (
    tenant_id  BIGINT  NOT NULL,
    rule_id    BIGINT  NOT NULL,
    period     TEXT    NOT NULL,
    frozen     TEXT,
    locked_by  BIGINT ,
    locked_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, period),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES goal_rules (tenant_id, id) ON DELETE CASCADE
);
