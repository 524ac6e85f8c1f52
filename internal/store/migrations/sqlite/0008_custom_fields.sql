-- Custom fields (业务特征) declared per object type by the tenant admin;
-- values live in each record's custom JSON column.
CREATE TABLE custom_fields (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    id          INTEGER NOT NULL,
    object_type TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    label_zh    TEXT    NOT NULL,
    label_en    TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    options     TEXT    NOT NULL DEFAULT '[]',
    lookup_type TEXT    NOT NULL DEFAULT '',
    required    BOOLEAN NOT NULL DEFAULT FALSE,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, object_type, key)
);
