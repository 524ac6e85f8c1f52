-- Files attached to follow-ups (and later other records); the contents live
-- in the file store under storage_key.
CREATE TABLE attachments (
    tenant_id    BIGINT  NOT NULL,
    id           BIGINT  NOT NULL,
    record_type  TEXT    NOT NULL,
    record_id    BIGINT  NOT NULL,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    storage_key  TEXT    NOT NULL,
    uploaded_by  BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, uploaded_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX attachments_record ON attachments (tenant_id, record_type, record_id);
