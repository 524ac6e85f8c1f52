-- Managers' forecast adjustments (the forecast analysis): a manager replaces
-- the figure of a forecast category for their department's subtree (or one
-- person) in a period, with a note. Rows are never updated or deleted: the
-- latest row of a (period, subject, category) is in force and the earlier
-- ones are its history.
CREATE TABLE forecast_adjustments (
    tenant_id     BIGINT NOT NULL REFERENCES tenants (id),
    id            BIGINT  NOT NULL,
    -- The period [period_from, period_to) as local dates YYYY-MM-DD.
    period_from   TEXT    NOT NULL,
    period_to     TEXT    NOT NULL,
    -- The subject: a department (with its subtree) or a person.
    subject_type  TEXT    NOT NULL,
    subject_id    BIGINT  NOT NULL,
    category      TEXT    NOT NULL,
    -- The adjusted amount in minor units and the figure it replaced.
    amount        BIGINT  NOT NULL,
    original      BIGINT  NOT NULL,
    note          TEXT    NOT NULL DEFAULT '',
    created_by    BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX forecast_adjustments_period ON forecast_adjustments (tenant_id, period_from, period_to, subject_type, subject_id, category, created_at);
