-- Leads (线索) and per-tenant settings such as the lead conversion mapping.

CREATE TABLE leads (
    tenant_id      BIGINT  NOT NULL,
    id             BIGINT  NOT NULL,
    name           TEXT    NOT NULL,
    company        TEXT    NOT NULL DEFAULT '',
    title          TEXT    NOT NULL DEFAULT '',
    phone          TEXT    NOT NULL DEFAULT '',
    email          TEXT    NOT NULL DEFAULT '',
    province       TEXT    NOT NULL DEFAULT '',
    city           TEXT    NOT NULL DEFAULT '',
    industry       TEXT    NOT NULL DEFAULT '',
    source         TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL DEFAULT 'new',
    note           TEXT    NOT NULL DEFAULT '',
    owner_id       BIGINT,
    department_id  BIGINT,
    converted_at   BIGINT,
    customer_id    BIGINT,
    contact_id     BIGINT,
    opportunity_id BIGINT,
    custom         JSONB   NOT NULL DEFAULT '{}',
    version        BIGINT  NOT NULL DEFAULT 1,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id)
);
CREATE INDEX leads_owner ON leads (tenant_id, owner_id, status, id);
CREATE INDEX leads_department ON leads (tenant_id, department_id, id);
CREATE INDEX leads_phone ON leads (tenant_id, phone);

CREATE TABLE tenant_settings (
    tenant_id  BIGINT  NOT NULL REFERENCES tenants (id),
    key        TEXT    NOT NULL,
    value      JSONB   NOT NULL,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
