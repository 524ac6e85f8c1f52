-- Sales processes with ordered stages, products, and opportunities with
-- their stage history and product lines.

CREATE TABLE sales_processes (
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id),
    id            BIGINT  NOT NULL,
    key           TEXT    NOT NULL,
    name_zh       TEXT    NOT NULL,
    name_en       TEXT    NOT NULL,
    -- stages is the ordered JSON list of stages with their probability,
    -- entry requirements and guidance.
    stages        JSONB   NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    version       BIGINT  NOT NULL DEFAULT 1,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, key)
);

CREATE TABLE product_categories (
    tenant_id  BIGINT  NOT NULL REFERENCES tenants (id),
    id         BIGINT  NOT NULL,
    name       TEXT    NOT NULL,
    parent_id  BIGINT,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE products (
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    id          BIGINT  NOT NULL,
    code        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    category_id BIGINT,
    unit        TEXT    NOT NULL DEFAULT '',
    price       BIGINT  NOT NULL DEFAULT 0,
    currency    TEXT    NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    version     BIGINT  NOT NULL DEFAULT 1,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code),
    FOREIGN KEY (tenant_id, category_id) REFERENCES product_categories (tenant_id, id)
);

CREATE TABLE opportunities (
    tenant_id           BIGINT  NOT NULL,
    id                  BIGINT  NOT NULL,
    customer_id         BIGINT  NOT NULL,
    contact_id          BIGINT,
    process_id          BIGINT  NOT NULL,
    stage               TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    amount              BIGINT  NOT NULL DEFAULT 0,
    currency            TEXT    NOT NULL,
    expected_close_date TEXT    NOT NULL DEFAULT '',
    forecast_category   TEXT    NOT NULL DEFAULT 'pipeline',
    status              TEXT    NOT NULL DEFAULT 'open',
    loss_reason         TEXT    NOT NULL DEFAULT '',
    competitor          TEXT    NOT NULL DEFAULT '',
    source              TEXT    NOT NULL DEFAULT '',
    closed_at           BIGINT,
    owner_id            BIGINT,
    department_id       BIGINT,
    custom              JSONB   NOT NULL DEFAULT '{}',
    created_by          BIGINT,
    version             BIGINT  NOT NULL DEFAULT 1,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
    FOREIGN KEY (tenant_id, process_id) REFERENCES sales_processes (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX opportunities_owner ON opportunities (tenant_id, owner_id, status, id);
CREATE INDEX opportunities_department ON opportunities (tenant_id, department_id, status, id);
CREATE INDEX opportunities_customer ON opportunities (tenant_id, customer_id);
CREATE INDEX opportunities_stage ON opportunities (tenant_id, process_id, status, stage);

-- Every stage an opportunity entered, with when it left it.
CREATE TABLE opportunity_stages (
    tenant_id      BIGINT  NOT NULL,
    id             BIGINT  NOT NULL,
    opportunity_id BIGINT  NOT NULL,
    stage          TEXT    NOT NULL,
    entered_at     BIGINT  NOT NULL,
    left_at        BIGINT,
    user_id        BIGINT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id)
);
CREATE INDEX opportunity_stages_opportunity ON opportunity_stages (tenant_id, opportunity_id, entered_at);

CREATE TABLE opportunity_lines (
    tenant_id      BIGINT  NOT NULL,
    id             BIGINT  NOT NULL,
    opportunity_id BIGINT  NOT NULL,
    product_id     BIGINT  NOT NULL,
    quantity       BIGINT  NOT NULL,
    unit_price     BIGINT  NOT NULL,
    discount_bp    BIGINT  NOT NULL DEFAULT 0,
    amount         BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
CREATE INDEX opportunity_lines_opportunity ON opportunity_lines (tenant_id, opportunity_id);
