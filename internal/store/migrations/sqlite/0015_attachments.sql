-- Files attached to follow-ups (and later other records); the contents live
-- in the file store under storage_key.
CREATE TABLE attachments (
    tenant_id    INTEGER NOT NULL,
    id           INTEGER NOT NULL,
    record_type  TEXT    NOT NULL,
    record_id    INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    storage_key  TEXT    NOT NULL,
    uploaded_by  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, uploaded_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX attachments_record ON attachments (tenant_id, record_type, record_id);
