-- The fact ledger (DESIGN.md section 5, docs/FACTS.md): one row per
-- measurable event per credited person and business role. Facts are a
-- projection of the records: every write that changes a measurable record
-- deletes and re-inserts that record's facts in its transaction, and
-- `cohort facts rebuild` recomputes them all.
CREATE TABLE facts (
    tenant_id     INTEGER NOT NULL,
    id            INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    -- occurred_at is the event's business time (Unix ms); day is its local
    -- date in the tenant's time zone as days since 1970-01-01.
    occurred_at   INTEGER NOT NULL,
    day           INTEGER NOT NULL,
    -- The record whose projection made the fact (facts are rewritten per
    -- source record) and the customer it belongs to.
    source_type   TEXT    NOT NULL,
    source_id     INTEGER NOT NULL,
    record_type   TEXT    NOT NULL,
    record_id     INTEGER NOT NULL,
    customer_id   INTEGER,
    -- The credited person, their business role and share (basis points),
    -- and their department at occurred_at.
    user_id       INTEGER,
    role          TEXT    NOT NULL DEFAULT '',
    share_bp      INTEGER NOT NULL DEFAULT 10000,
    department_id INTEGER,
    -- Measures: the event's whole amount in minor units of currency (the
    -- credited amount is amount * share_bp / 10000), a duration in seconds,
    -- and a count n (1 unless the kind says otherwise).
    amount        INTEGER NOT NULL DEFAULT 0,
    currency      TEXT    NOT NULL DEFAULT '',
    duration_s    INTEGER NOT NULL DEFAULT 0,
    n             INTEGER NOT NULL DEFAULT 1,
    -- Dimensions: product, sales process (business type), stage, a
    -- kind-specific attribute (follow-up type, ticket kind, loss reason, ...)
    -- and a second time (ref_at: when a span began, e.g. a won opportunity's
    -- creation for its cycle).
    product_id    INTEGER,
    process_id    INTEGER,
    stage         TEXT    NOT NULL DEFAULT '',
    attr          TEXT    NOT NULL DEFAULT '',
    ref_at        INTEGER,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX facts_source ON facts (tenant_id, source_type, source_id);
CREATE INDEX facts_kind_day ON facts (tenant_id, kind, role, day, user_id, department_id, amount, share_bp);
CREATE INDEX facts_user_day ON facts (tenant_id, user_id, kind, day);
CREATE INDEX facts_customer ON facts (tenant_id, customer_id, kind, day);
