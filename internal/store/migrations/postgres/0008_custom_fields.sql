-- Custom fields (业务特征) declared per object type by the tenant admin;
-- values live in each record's custom JSON column.
CREATE TABLE custom_fields (
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    id          BIGINT  NOT NULL,
    object_type TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    label_zh    TEXT    NOT NULL,
    label_en    TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    options     JSONB   NOT NULL DEFAULT '[]',
    lookup_type TEXT    NOT NULL DEFAULT '',
    required    BOOLEAN NOT NULL DEFAULT FALSE,
    sort_order  BIGINT  NOT NULL DEFAULT 0,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    version     BIGINT  NOT NULL DEFAULT 1,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, object_type, key)
);
