-- KPI scorecards (KPI 考核表, issue 9, docs/API.md "Scorecards"). A template
-- is a named set of weighted items (a count, a percentage, a time progress
-- or a manual score, each with a target and a scoring curve) for the people
-- of some departments or listed people, on a month, quarter or year cycle.
-- Manual scores are kept per template, period ("2026-04", "FY2026-Q1",
-- "FY2026"), person and item. Freezing a period stores every person's card
-- as it was (values, points, total): it is never recomputed until an
-- administrator unfreezes it.
CREATE TABLE scorecard_templates (
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    id          BIGINT  NOT NULL,
    name        TEXT    NOT NULL,
    cycle       TEXT    NOT NULL,
    departments TEXT    NOT NULL DEFAULT '[]',
    people      TEXT    NOT NULL DEFAULT '[]',
    items       TEXT    NOT NULL DEFAULT '[]',
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE scorecard_scores (
    tenant_id   BIGINT  NOT NULL,
    template_id BIGINT  NOT NULL,
    period      TEXT    NOT NULL,
    user_id     BIGINT  NOT NULL,
    item        TEXT    NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    updated_by  BIGINT,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, template_id, period, user_id, item),
    FOREIGN KEY (tenant_id, template_id) REFERENCES scorecard_templates (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE scorecard_freezes (
    tenant_id     BIGINT  NOT NULL,
    template_id   BIGINT  NOT NULL,
    period        TEXT    NOT NULL,
    as_of         TEXT    NOT NULL,
    time_progress DOUBLE PRECISION NOT NULL,
    forced        INTEGER NOT NULL DEFAULT 0,
    frozen_by     BIGINT,
    frozen_at     BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, template_id, period),
    FOREIGN KEY (tenant_id, template_id) REFERENCES scorecard_templates (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE scorecard_frozen_cards (
    tenant_id   BIGINT  NOT NULL,
    template_id BIGINT  NOT NULL,
    period      TEXT    NOT NULL,
    user_id     BIGINT  NOT NULL,
    total       DOUBLE PRECISION NOT NULL,
    card        TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, template_id, period, user_id),
    FOREIGN KEY (tenant_id, template_id, period) REFERENCES scorecard_freezes (tenant_id, template_id, period) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
