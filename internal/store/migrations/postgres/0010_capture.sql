-- Captured communication: call records, SMS and emails brought in by
-- integrations, matched to contacts and turned into follow-ups; unmatched
-- items wait in an inbox for manual linking.
CREATE TABLE comm_items (
    tenant_id     BIGINT  NOT NULL,
    id            BIGINT  NOT NULL,
    kind          TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    direction     TEXT    NOT NULL,
    from_addr     TEXT    NOT NULL DEFAULT '',
    to_addr       TEXT    NOT NULL DEFAULT '',
    user_id       BIGINT,
    started_at    BIGINT  NOT NULL,
    duration_s    BIGINT  NOT NULL DEFAULT 0,
    subject       TEXT    NOT NULL DEFAULT '',
    body          TEXT    NOT NULL DEFAULT '',
    recording_url TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    followup_id   BIGINT,
    customer_id   BIGINT,
    contact_id    BIGINT,
    created_at    BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, source, external_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX comm_items_status ON comm_items (tenant_id, status, id);
